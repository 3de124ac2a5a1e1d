#!/usr/bin/env bash
# Serve the pages in notebooks/ with standalone Voila (settings: assessment/serve/voila.json).
# PORT (default 8866) and HOST (default 127.0.0.1) choose where it listens.
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
    fi
fi

# assessment.serve is Voila with the package's settings and template, and an access log that hides
# access codes (?code=…). A voila.json in the directory it starts in would override those settings.
exec .venv/bin/python -m assessment.serve notebooks/ \
    --no-browser \
    --port="${PORT:-8866}" \
    --Voila.ip="${HOST:-127.0.0.1}"
