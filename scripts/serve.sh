#!/usr/bin/env bash
# Serve the pages in notebooks/ with standalone Voila (settings: assessment/serve/voila.json).
# PORT (default 8866) and HOST (default 127.0.0.1) choose where it listens; further arguments go to the
# server, e.g. `bash scripts/serve.sh --SipingVoila.mode=public` for the public server (only the branch page).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
bash scripts/setup.sh

# The demo street over three years: 2023 and 2024 in demo_street_<year>.xlsx, 2025 in demo_street.xlsx.
demo_years=(2023 2024 2025)
demo_workbook() {
    if [ "$1" = 2025 ]; then echo data/demo/demo_street.xlsx; else echo "data/demo/demo_street_$1.xlsx"; fi
}
for year in "${demo_years[@]}"; do
    workbook="$(demo_workbook "$year")"
    if [ ! -f "$workbook" ]; then
        echo "serve: 生成演示数据 $workbook" >&2
        if ! .venv/bin/python -m assessment demo --year "$year" --out "$workbook"; then
            echo "serve: 生成演示数据失败（python -m assessment demo --year $year），未启动服务。" >&2
            exit 1
        fi
    fi
done

# The pages read the database (ASSESSMENT_DATABASE_URL; unset: siping.sqlite in the data directory,
# data/ here unless ASSESSMENT_DATA_DIR says otherwise). An embedded database without any branch
# gets the demo street, so the pages have something to show.
if [ -z "${ASSESSMENT_DATABASE_URL:-}" ]; then
    database="$(.venv/bin/python -c 'from assessment import paths; print(paths.database_path())')"
    if ! branches="$(.venv/bin/python -c 'import sys
from assessment.store import Store, StoreError
try:
    with Store() as store:
        print(len(store.records.branches()))
except StoreError as error:
    sys.exit(f"serve: {error}")')"; then
        echo "serve: 无法打开数据库 $database（见上），未启动服务。" >&2
        exit 1
    fi
    if [ "$branches" = "0" ]; then
        echo "serve: 把演示数据（${demo_years[*]}年度）导入数据库 $database" >&2
        for year in "${demo_years[@]}"; do
            workbook="$(demo_workbook "$year")"
            if ! .venv/bin/python -m assessment import "$workbook" --evaluator 演示数据 --year "$year" >&2; then
                echo "serve: 导入演示数据失败（python -m assessment import $workbook），未启动服务。" >&2
                exit 1
            fi
        done
        # Workflow statuses (申请、考评、验收、评定), so that the 总览's funnel and designations show something.
        if ! .venv/bin/python -m assessment demo --seed-workflow >&2; then
            echo "serve: 推进演示考评流程失败（python -m assessment demo --seed-workflow），未启动服务。" >&2
            exit 1
        fi
        # Demo staff accounts: the staff pages need a sign-in. Their one-time codes are shown here, once
        # (python -m assessment user reset 姓名 shows a new one); the first sign-in sets a password.
        echo "serve: 演示账户（在 http://${HOST:-127.0.0.1}:${PORT:-8866}/login 用姓名和一次性登录码登录，然后设置密码）：" >&2
        for account in "演示街道 --role 街道 --street 东城街道" "演示区委 --role 区委" "演示分析 --role 分析"; do
            # shellcheck disable=SC2086 # the words of one account are its arguments
            if ! .venv/bin/python -m assessment user add $account --by 演示数据 >&2; then
                echo "serve: 添加演示账户失败（python -m assessment user add $account），未启动服务。" >&2
                exit 1
            fi
        done
    fi
fi

# assessment.serve is Voila with the package's settings and template, and an access log that hides
# access codes (?code=…). A voila.json in the directory it starts in would override those settings.
exec .venv/bin/python -m assessment.serve notebooks/ \
    --no-browser \
    --port="${PORT:-8866}" \
    --Voila.ip="${HOST:-127.0.0.1}" \
    "$@"
