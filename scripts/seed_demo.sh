#!/usr/bin/env bash
# Put the demo street into a database that has no branch yet: its three years (2023–2025, generated into
# data/demo/ when missing), the workflow statuses, and three demo staff accounts whose one-time codes are
# shown here, once. A database that already has branches is left alone (exit 0).
# The database: $ASSESSMENT_DATABASE_URL, else the embedded SQLite file. scripts/serve.sh calls this for
# the embedded database; deploy/database.sh seed-demo for PostgreSQL. PYTHON may name the interpreter
# (default: .venv/bin/python of this checkout); LOGIN_URL is shown beside the one-time codes.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python="${PYTHON:-.venv/bin/python}"
login_url="${LOGIN_URL:-http://${HOST:-127.0.0.1}:${PORT:-8866}/login}"

# The demo street over three years: 2023 and 2024 in demo_street_<year>.xlsx, 2025 in demo_street.xlsx.
demo_years=(2023 2024 2025)
demo_workbook() {
    if [ "$1" = 2025 ]; then echo data/demo/demo_street.xlsx; else echo "data/demo/demo_street_$1.xlsx"; fi
}
for year in "${demo_years[@]}"; do
    workbook="$(demo_workbook "$year")"
    if [ ! -f "$workbook" ]; then
        echo "seed: 生成演示数据 $workbook" >&2
        if ! "$python" -m assessment demo --year "$year" --out "$workbook"; then
            echo "seed: 生成演示数据失败（python -m assessment demo --year $year）。" >&2
            exit 1
        fi
    fi
done

where="$("$python" -c 'from assessment.store.engine import resolve_url, shown; print(shown(resolve_url()))')"
if ! branches="$("$python" -c 'import sys
from assessment.store import Store, StoreError
try:
    with Store() as store:
        print(len(store.records.branches()))
except StoreError as error:
    sys.exit(f"seed: {error}")')"; then
    echo "seed: 无法打开数据库 $where（见上）。" >&2
    exit 1
fi
if [ "$branches" != "0" ]; then
    exit 0
fi

echo "seed: 把演示数据（${demo_years[*]}年度）导入数据库 $where" >&2
for year in "${demo_years[@]}"; do
    workbook="$(demo_workbook "$year")"
    if ! "$python" -m assessment import "$workbook" --evaluator 演示数据 --year "$year" >&2; then
        echo "seed: 导入演示数据失败（python -m assessment import $workbook）。" >&2
        exit 1
    fi
done
# Workflow statuses (申请、考评、验收、评定), so that the 总览's funnel and designations show something.
if ! "$python" -m assessment demo --seed-workflow >&2; then
    echo "seed: 推进演示考评流程失败（python -m assessment demo --seed-workflow）。" >&2
    exit 1
fi
# Demo staff accounts: the staff pages need a sign-in. Their one-time codes are shown here, once
# (python -m assessment user reset 姓名 shows a new one); the first sign-in sets a password.
echo "seed: 演示账户（在 $login_url 用姓名和一次性登录码登录，然后设置密码）：" >&2
for account in "演示街道 --role 街道 --street 东城街道" "演示区委 --role 区委" "演示分析 --role 分析"; do
    # shellcheck disable=SC2086 # the words of one account are its arguments
    if ! "$python" -m assessment user add $account --by 演示数据 >&2; then
        echo "seed: 添加演示账户失败（python -m assessment user add $account）。" >&2
        exit 1
    fi
done
