#!/usr/bin/env bash
# Serve the pages in notebooks/ with standalone Voila (settings: voila.json at the repo root).
# PORT (default 8866) and HOST (default 127.0.0.1) choose where it listens.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/setup.sh

if [ ! -f data/demo/demo_street.xlsx ]; then
    echo "serve: 生成演示数据 data/demo/demo_street.xlsx" >&2
    if ! .venv/bin/python -m assessment demo; then
        echo "serve: 生成演示数据失败（python -m assessment demo），未启动服务。" >&2
        exit 1
    fi
fi

# Voila reads voila.json from the directory it starts in, so start it here, at the repo root.
exec .venv/bin/python -m voila notebooks/ \
    --no-browser \
    --port="${PORT:-8866}" \
    --Voila.ip="${HOST:-127.0.0.1}"
