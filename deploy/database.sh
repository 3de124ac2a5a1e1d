#!/usr/bin/env bash
# 四评的 PostgreSQL 数据库：建立、迁移、放入演示数据。
#
#   bash deploy/database.sh create [--role siping] [--database siping] [--host 127.0.0.1] [--port 5432] [--admin 管理连接]
#       建立登录角色和数据库，数据库的所有者就是这个角色（PostgreSQL 15 起 public 模式只允许数据库所有者建表，
#       否则程序建表时报 “permission denied for schema public”）。密码取环境变量 SIPING_DB_PASSWORD，
#       没有时随机生成。最后在标准输出打印程序用的数据库地址（写入 /etc/siping/siping.env 的 ASSESSMENT_DATABASE_URL）。
#       已有的角色和数据库保留（给了 SIPING_DB_PASSWORD 时改为该密码），可重复运行。
#       管理连接：默认以 root 身份运行时用 postgres 系统用户（runuser -u postgres psql），否则当前用户；
#       --admin 可给出 psql 的连接串（须为超级用户或有 CREATEROLE、CREATEDB 权限）。
#   bash deploy/database.sh migrate
#       把 ASSESSMENT_DATABASE_URL 指定的数据库升级到本程序的结构版本（只需在升级时运行一次，见 README），
#       并在第一次时存入程序自带的评分标准作为当前版本。
#   bash deploy/database.sh seed-demo
#       数据库中还没有任何支部时，放入演示街道（三个年度、流程状态）和三个演示账户（与 scripts/serve.sh 对
#       内置数据库做的相同）。正式使用的数据库不要运行。
#
# PYTHON 可指定程序环境的 Python（默认：本目录上一级的 .venv/bin/python）。
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
python="${PYTHON:-$repo/.venv/bin/python}"

fail() {
    echo "database.sh: $*" >&2
    exit 2
}

create() {
    local role=siping database=siping host=127.0.0.1 port=5432 admin=""
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --role) role="${2:?--role 需要名称}"; shift 2 ;;
            --database) database="${2:?--database 需要名称}"; shift 2 ;;
            --host) host="${2:?--host 需要地址}"; shift 2 ;;
            --port) port="${2:?--port 需要端口}"; shift 2 ;;
            --admin) admin="${2:?--admin 需要连接串}"; shift 2 ;;
            *) fail "create：不认识的参数 $1" ;;
        esac
    done
    [[ "$role" =~ ^[a-z_][a-z0-9_]*$ ]] || fail "角色名只能用小写字母、数字和下划线，实际为“$role”"
    [[ "$database" =~ ^[a-z_][a-z0-9_]*$ ]] || fail "数据库名只能用小写字母、数字和下划线，实际为“$database”"
    [[ "$port" =~ ^[0-9]+$ ]] || fail "端口应为数字，实际为“$port”"

    local psql_admin=(psql -X -q -v ON_ERROR_STOP=1 -d postgres)
    if [ -n "$admin" ]; then
        psql_admin=(psql -X -q -v ON_ERROR_STOP=1 -d "$admin")
    elif [ "$(id -u)" -eq 0 ]; then
        psql_admin=(runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres)
    fi
    local exists
    exists="$("${psql_admin[@]}" -tA -v role="$role" <<<"SELECT count(*) FROM pg_roles WHERE rolname = :'role'")"
    local password="${SIPING_DB_PASSWORD:-}" set_password=yes
    if [ -z "$password" ] && [ "$exists" = 1 ]; then
        set_password=no  # an existing role keeps its password
    elif [ -z "$password" ]; then
        password="$("$python" -c 'import secrets; print(secrets.token_urlsafe(24))')"
    fi
    # psql 变量（:'x' 作为字符串、:"x" 作为名称）负责引号，密码里有什么字符都安全。
    "${psql_admin[@]}" -v role="$role" -v database="$database" -v password="$password" \
        -v set_password="$set_password" <<'SQL' >&2
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'role', :'password')
 WHERE :'set_password' = 'yes' \gexec
SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L TEMPLATE template0', :'database', :'role', 'UTF8')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') \gexec
ALTER DATABASE :"database" OWNER TO :"role";
SQL
    echo "database.sh: 角色 $role 与数据库 $database（所有者 $role）已就绪。" >&2
    if [ "$set_password" = no ]; then
        echo "database.sh: 角色 $role 已存在，密码未改（要改密码请设置 SIPING_DB_PASSWORD 后重新运行）；地址中的“密码”请换成它的密码。" >&2
        echo "postgresql://$role:密码@$host:$port/$database"
        return
    fi
    local quoted
    quoted="$("$python" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$password")"
    echo "postgresql://$role:$quoted@$host:$port/$database"
}

migrate() {
    [ -n "${ASSESSMENT_DATABASE_URL:-}" ] || fail "没有设置 ASSESSMENT_DATABASE_URL（如 set -a; . /etc/siping/siping.env; set +a）"
    "$python" - <<'PY'
import sys

from assessment.store import Store, StoreError
from assessment.store.engine import shown

try:
    with Store() as store:
        upgraded = store.db.schema_upgraded
        version = store.rubric.version  # the first time: stores the shipped rubric as the current version
        where = shown(store.url)
except StoreError as error:
    sys.exit(f"database.sh: {error}")
if upgraded is None:
    print(f"database.sh: 数据库 {where} 的结构已是最新；当前评分标准版本 {version}。")
else:
    before, after = upgraded
    print(f"database.sh: 数据库 {where} 的结构已从 {before or '空'} 升级到 {after}；当前评分标准版本 {version}。")
PY
}

seed_demo() {
    [ -n "${ASSESSMENT_DATABASE_URL:-}" ] || fail "没有设置 ASSESSMENT_DATABASE_URL"
    PYTHON="$python" bash "$repo/scripts/seed_demo.sh"
}

command="${1:-}"
[ "$#" -gt 0 ] && shift
case "$command" in
    create) create "$@" ;;
    migrate) migrate ;;
    seed-demo) seed_demo ;;
    -h|--help|"") awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" ;;
    *) fail "不认识的命令 $command（create、migrate、seed-demo）" ;;
esac
