#!/usr/bin/env bash
# Run the whole test suite (every marker, browser tests included). Extra arguments go to pytest.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/setup.sh

# Lint and format first: a finding fails the run before the (long) tests start.
lint_paths=(assessment tests benchmarks)
if ! .venv/bin/ruff check "${lint_paths[@]}"; then
    echo "test: ruff check 发现问题（见上）；可先运行 .venv/bin/ruff check --fix ${lint_paths[*]}。" >&2
    exit 1
fi
if ! .venv/bin/ruff format --check "${lint_paths[@]}"; then
    echo "test: 以上文件的格式不符合 ruff format；请运行 .venv/bin/ruff format ${lint_paths[*]}。" >&2
    exit 1
fi

# The store tests also run on PostgreSQL when ASSESSMENT_TEST_POSTGRES_URL names a database. Unless it
# is set already, start a local server for them (scripts/postgres.sh). In CI it is required.
if [ -z "${ASSESSMENT_TEST_POSTGRES_URL:-}" ]; then
    url="$(bash scripts/postgres.sh)" || url=""
    if [ -n "$url" ] && [[ "$url" != postgresql://* ]]; then
        echo "test: scripts/postgres.sh 应只输出数据库 URL，却输出了：$url" >&2
        url=""
    fi
    if [ -n "$url" ]; then
        export ASSESSMENT_TEST_POSTGRES_URL="$url"
    elif [ "${CI:-}" = "true" ]; then
        echo "test: CI 必须运行 PostgreSQL 测试，但未能准备好 PostgreSQL（原因见上）。" >&2
        exit 1
    else
        echo "提示：未能准备好 PostgreSQL，跳过 PostgreSQL 测试（见上）。" >&2
    fi
fi

status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "test: pytest collected no tests; that counts as a failure." >&2
fi
exit "$status"
