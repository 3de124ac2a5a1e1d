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

# The pages read the database (ASSESSMENT_DATABASE_URL; unset: the embedded data/siping.sqlite).
# An embedded database without any branch gets the demo street, so the pages have something to show.
if [ -z "${ASSESSMENT_DATABASE_URL:-}" ]; then
    if ! branches="$(.venv/bin/python -c 'import sys
from assessment.store import Store, StoreError
try:
    with Store() as store:
        print(len(store.branches()))
except StoreError as error:
    sys.exit(f"serve: {error}")')"; then
        echo "serve: 无法打开数据库 data/siping.sqlite（见上），未启动服务。" >&2
        exit 1
    fi
    if [ "$branches" = "0" ]; then
        echo "serve: 把演示数据导入数据库 data/siping.sqlite" >&2
        if ! .venv/bin/python -m assessment import data/demo/demo_street.xlsx --evaluator 演示数据 --year 2025 >&2; then
            echo "serve: 导入演示数据失败（python -m assessment import），未启动服务。" >&2
            exit 1
        fi
    fi
fi

# Voila reads voila.json from the directory it starts in, so start it here, at the repo root.
exec .venv/bin/python -m voila notebooks/ \
    --no-browser \
    --port="${PORT:-8866}" \
    --Voila.ip="${HOST:-127.0.0.1}"
