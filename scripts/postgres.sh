#!/usr/bin/env bash
# A local PostgreSQL for the store tests: install (Debian, as root) if missing, start the cluster,
# create the role of the current user and the database siping_test, then print its URL on stdout
# (scripts/test.sh exports it as ASSESSMENT_TEST_POSTGRES_URL). Idempotent; quick when running.
# Exits non-zero, saying why on stderr, when PostgreSQL cannot be had.
set -euo pipefail
# Only the URL goes to stdout: everything the tools print (pg_ctl says "Removed stale pid file." after an
# unclean stop, apt-get and createdb talk too) goes to stderr, so the caller's $(...) captures the URL alone.
exec 3>&1 1>&2
database="${SIPING_TEST_DATABASE:-siping_test}"
user="$(id -un)"

newest_server() { ls -1 /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(newest_server)" ] || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "postgres: apt-get install postgresql" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "postgres: 没有安装 PostgreSQL，且当前不是 root 用户，无法用 apt-get 安装。" >&2
        exit 1
    fi
fi
version="$(newest_server)"

# The cluster of that version (Debian's package creates "main"; a bare install may not have one).
cluster="$(pg_lsclusters --no-header 2>/dev/null | awk -v v="$version" '$1 == v { print $2; exit }')"
if [ -z "$cluster" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "postgres: PostgreSQL $version 没有数据库集群，创建需要 root。" >&2
        exit 1
    fi
    echo "postgres: pg_createcluster $version main" >&2
    pg_createcluster "$version" main >/dev/null
    cluster=main
fi
status="$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $4 }')"
port="$(pg_lsclusters --no-header | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $3 }')"
if [ "$status" != "online" ]; then
    echo "postgres: pg_ctlcluster $version $cluster start" >&2
    pg_ctlcluster "$version" "$cluster" start 3>&-  # the server must not hold the URL pipe open
fi

socket=/var/run/postgresql
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
query() { as_postgres psql -h "$socket" -p "$port" -d postgres -tAc "$1"; }
for _ in $(seq 1 30); do
    pg_isready -q -h "$socket" -p "$port" && break
    sleep 0.5
done
if [ "$(query "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != "1" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "postgres: 数据库中没有角色 $user，创建需要 root。" >&2
        exit 1
    fi
    query "CREATE ROLE \"$user\" SUPERUSER LOGIN" >/dev/null
fi
if [ "$(query "SELECT 1 FROM pg_database WHERE datname = '$database'")" != "1" ]; then
    as_postgres createdb -h "$socket" -p "$port" -O "$user" "$database"
fi
echo "postgresql://$user@/$database?host=$socket&port=$port" >&3
