#!/usr/bin/env bash
# Prepare this checkout for serving and testing: system packages (when root), .venv, editable install.
# Idempotent, and fast when nothing changed. scripts/serve.sh and scripts/test.sh call it; it may
# also be sourced (the work runs in a subshell, so the caller's shell options stay untouched).

siping_setup() (
    set -euo pipefail
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

    # Chromium (browser tests) and Noto CJK (Chinese in screenshots and charts) come from apt, and so
    # does Pango, which WeasyPrint (the PDF reports) loads at run time, and nginx (deploy/'s test).
    missing=()
    for pkg in libpango-1.0-0 libpangoft2-1.0-0; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
    done
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    # nginx: the multi-server test (tests/browser/test_deploy_nginx.py) puts it in front of two servers.
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    if ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed' \
        && [ ! -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then
        missing+=(fonts-noto-cjk)
    fi
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "setup: apt-get install ${missing[*]}" >&2
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            echo "提示：当前不是 root 用户或没有 apt-get，跳过安装 ${missing[*]}。" >&2
            echo "      图表中的中文改用 mplfonts 自带的 Noto Sans CJK SC 字体；" >&2
            echo "      浏览器测试所需的 Chromium 可用 .venv/bin/playwright install chromium 安装，或设置 CHROMIUM_PATH。" >&2
            echo "      PDF 报告需要系统的 Pango 库（libpango-1.0-0、libpangoft2-1.0-0），请管理员安装；" >&2
            echo "      没有时其他功能照常，只是不能生成 PDF（命令行 report 会说明原因）。" >&2
            echo "      多服务器测试（tests/browser/test_deploy_nginx.py）需要 nginx（apt-get install nginx）。" >&2
        fi
    fi

    if [ ! -x "$repo/.venv/bin/python" ]; then
        echo "setup: python3 -m venv .venv" >&2
        python3 -m venv "$repo/.venv"
    fi

    cd "$repo"
    hash="$(sha256sum pyproject.toml | cut -c1-16)"
    if [ ! -e ".venv/.installed-$hash" ]; then
        # test: what scripts/test.sh runs; dev: JupyterLab, to open the notebooks while working on them.
        echo "setup: pip install -e '.[test,dev]'" >&2
        if ! .venv/bin/python -m pip install -q -e '.[test,dev]' >.venv/pip-install.log 2>&1; then
            cat .venv/pip-install.log >&2
            exit 1
        fi
        rm -f .venv/.installed-*
        touch ".venv/.installed-$hash"
    fi

    # The Voila template ships inside the package now (python -m assessment.serve finds it there);
    # earlier versions of this script linked share/jupyter/voila/templates/siping into .venv.
    link=".venv/share/jupyter/voila/templates/siping"
    if [ -L "$link" ]; then
        rm -f "$link"
    fi
)

siping_setup
