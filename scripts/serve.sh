#!/usr/bin/env bash
# Serve the pages in notebooks/ with standalone Voila (settings: assessment/serve/voila.json).
# PORT (default 8866) and HOST (default 127.0.0.1) choose where it listens; further arguments go to the
# server, e.g. `bash scripts/serve.sh --SipingVoila.mode=public` for the public server (only the branch page).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/setup.sh

# The pages read the database (ASSESSMENT_DATABASE_URL; unset: siping.sqlite in the data directory,
# data/ here unless ASSESSMENT_DATA_DIR says otherwise). An embedded database without any branch
# gets the demo street, so the pages have something to show (a PostgreSQL database is seeded by
# deploy/database.sh seed-demo, if at all).
if [ -z "${ASSESSMENT_DATABASE_URL:-}" ]; then
    if ! bash scripts/seed_demo.sh; then
        echo "serve: 演示数据没有准备好（见上），未启动服务。" >&2
        exit 1
    fi
fi

# assessment.serve is Voila with the package's settings and template, and an access log that hides
# access codes (?code=…). A voila.json in the directory it starts in would override those settings.
exec .venv/bin/python -m assessment.serve notebooks/ \
    --no-browser \
    --port="${PORT:-8866}" \
    --Voila.ip="${HOST:-127.0.0.1}" \
    "$@"
