#!/usr/bin/env bash
# 按 deploy/nginx/siping.conf.template 生成 nginx 配置（写到标准输出），分给若干台 Voila 服务器。
#
#   bash deploy/nginx.sh [选项] 地址:端口 [地址:端口 ...] > /etc/nginx/conf.d/siping.conf
#
# 选项：
#   --listen 端口或地址:端口   nginx 监听（默认 80）
#   --server-name 域名          server_name（默认 _，即任何域名）
#   --prefix /路径/             公开地址的路径前缀（默认 /）；Voila 须以 --Voila.base_url=同一前缀 启动
#   --name 名称                 upstream 与变量的名称（默认 siping；内部、公开服务器各用一个，如 siping_public）
#   --cookie 名称               粘滞 cookie 的名称（默认 siping_route）
#   --access-log 文件           访问日志（默认 /var/log/nginx/名称-access.log）
#   --max-fails N / --fail-timeout 秒   一台服务器连接失败 N 次后暂停使用多久（默认 1 次、30 秒）
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
template="$here/nginx/siping.conf.template"

listen=80
server_name=_
prefix=/
name=siping
cookie=siping_route
access_log=""
max_fails=1
fail_timeout=30
servers=()

fail() {
    echo "nginx.sh: $*" >&2
    exit 2
}
while [ "$#" -gt 0 ]; do
    case "$1" in
        --listen) listen="${2:?--listen 需要端口}"; shift 2 ;;
        --server-name) server_name="${2:?--server-name 需要域名}"; shift 2 ;;
        --prefix) prefix="${2:?--prefix 需要路径}"; shift 2 ;;
        --name) name="${2:?--name 需要名称}"; shift 2 ;;
        --cookie) cookie="${2:?--cookie 需要名称}"; shift 2 ;;
        --access-log) access_log="${2:?--access-log 需要文件}"; shift 2 ;;
        --max-fails) max_fails="${2:?--max-fails 需要次数}"; shift 2 ;;
        --fail-timeout) fail_timeout="${2:?--fail-timeout 需要秒数}"; shift 2 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        -*) fail "不认识的选项 $1（见 --help）" ;;
        *) servers+=("$1"); shift ;;
    esac
done

[ "${#servers[@]}" -gt 0 ] || fail "至少给出一台 Voila 服务器（地址:端口，如 127.0.0.1:8866）"
address='^[][A-Za-z0-9.:-]+:[0-9]+$'
for server in "${servers[@]}"; do
    [[ "$server" =~ $address ]] || fail "服务器应写成 地址:端口，实际为“$server”"
done
[[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "--name 只能用字母、数字和下划线，实际为“$name”"
[[ "$cookie" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "--cookie 只能用字母、数字和下划线，实际为“$cookie”"
[[ "$prefix" =~ ^/([A-Za-z0-9._~-]+/)*$ ]] || fail "--prefix 应以 / 开头和结尾（如 /siping/），实际为“$prefix”"
[[ "$max_fails" =~ ^[0-9]+$ ]] || fail "--max-fails 应为整数，实际为“$max_fails”"
[[ "$fail_timeout" =~ ^[0-9]+$ ]] || fail "--fail-timeout 应为秒数，实际为“$fail_timeout”"
[ -n "$access_log" ] || access_log="/var/log/nginx/${name}-access.log"

upstream_lines=""
for server in "${servers[@]}"; do
    upstream_lines+="    server ${server} max_fails=${max_fails} fail_timeout=${fail_timeout}s;"$'\n'
done
upstream_lines="${upstream_lines%$'\n'}"

python3 - "$template" "$listen" "$server_name" "$prefix" "$name" "$cookie" "$access_log" "$upstream_lines" <<'PY'
import re
import sys

template, listen, server_name, prefix, name, cookie, access_log, servers = sys.argv[1:]
lines = open(template, encoding="utf-8").read().splitlines()
if prefix == "/":  # no bare form of the root to redirect
    lines = [line for line in lines if "@PREFIX_BARE@" not in line]
text = "\n".join(lines) + "\n"
for key, value in {
    "@SERVERS@": servers,
    "@LISTEN@": listen,
    "@SERVER_NAME@": server_name,
    "@PREFIX_BARE@": prefix.rstrip("/"),
    "@PREFIX@": prefix,
    "@NAME@": name,
    "@COOKIE@": cookie,
    "@ACCESS_LOG@": access_log,
}.items():
    text = text.replace(key, value)
left = sorted(set(re.findall(r"@[A-Z_]+@", text)))
if left:
    sys.exit(f"nginx.sh: 模板中还有未填的占位符：{left}")
sys.stdout.write(text)
PY
