"""deploy/ without servers: the nginx configuration nginx.sh renders passes ``nginx -t`` for one server or
several, with or without a path prefix, and refuses what it cannot render; the systemd unit finds every
variable it uses in the example settings. (Two servers, nginx and PostgreSQL together: tests/browser/test_deploy_nginx.py.)"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def render(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(DEPLOY / "nginx.sh"), *args], capture_output=True, text=True, timeout=60, check=False
    )


def nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.fail("没有安装 nginx：以 root 运行 scripts/setup.sh 会用 apt 安装。", pytrace=False)
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "prefix"),
    [
        (["127.0.0.1:8866"], "/"),
        (
            ["--prefix", "/siping/", "--server-name", "dangjian.example.gov.cn", "10.0.0.2:8866", "10.0.0.3:8867"],
            "/siping/",
        ),
        (["--prefix", "/a/b/", "--name", "siping_public", "--cookie", "siping_public_route", "[::1]:8870"], "/a/b/"),
    ],
)
def test_the_rendered_configuration_passes_nginx_test(tmp_path, args, prefix):
    rendered = render("--listen", "127.0.0.1:18080", "--access-log", str(tmp_path / "access.log"), *args)
    assert rendered.returncode == 0, rendered.stderr
    site = rendered.stdout
    assert not re.search(r"@[A-Z_]+@", site)
    servers = [a for a in args if re.fullmatch(r"[\[\]\w.:]+:\d+", a)]
    for server in servers:
        assert f"server {server} max_fails=1 fail_timeout=30s;" in site
    assert f"location {prefix} {{" in site and f"Path={prefix};" in site
    assert "proxy_set_header Host $http_host;" in site and "proxy_set_header Upgrade $http_upgrade;" in site
    assert ("location = /siping { return 301" in site) == (prefix == "/siping/")
    checked = nginx_test(tmp_path, site)
    assert checked.returncode == 0, checked.stderr


def test_the_internal_and_the_public_site_live_side_by_side_in_one_nginx(tmp_path):
    log = ("--access-log", str(tmp_path / "access.log"))
    internal = render(*log, "--server-name", "dangjian.example.gov.cn", "--prefix", "/siping/", "127.0.0.1:8866")
    public = render(
        *log,
        *("--name", "siping_public", "--cookie", "siping_public_route", "--server-name", "zb.example.gov.cn"),
        *("--prefix", "/siping/", "127.0.0.1:8870"),
    )
    assert internal.returncode == 0 and public.returncode == 0, internal.stderr + public.stderr
    checked = nginx_test(tmp_path, internal.stdout + public.stdout)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "至少给出一台 Voila 服务器"),
        (["127.0.0.1"], "服务器应写成 地址:端口"),
        (["--prefix", "siping", "127.0.0.1:8866"], "--prefix 应以 / 开头和结尾"),
        (["--name", "si-ping", "127.0.0.1:8866"], "--name 只能用字母、数字和下划线"),
        (["--max-fails", "x", "127.0.0.1:8866"], "--max-fails 应为整数"),
        (["--listn", "80", "127.0.0.1:8866"], "不认识的选项 --listn"),
    ],
)
def test_nginx_sh_refuses_what_it_cannot_render_and_says_why(args, message):
    rendered = render(*args)
    assert rendered.returncode == 2 and rendered.stdout == ""
    assert message in rendered.stderr


def test_the_unit_finds_every_variable_it_uses_in_the_example_settings():
    unit = (DEPLOY / "systemd" / "siping@.service").read_text(encoding="utf-8")
    example = (DEPLOY / "systemd" / "siping.env.example").read_text(encoding="utf-8")
    defined = {line.split("=", 1)[0] for line in example.splitlines() if re.match(r"^[A-Z_]+=", line)}
    used = set(re.findall(r"\$\{(\w+)\}", unit))
    assert used and used <= defined
    assert {"ASSESSMENT_DATABASE_URL", "SIPING_BASE_URL", "SIPING_MODE"} <= defined
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    for option in ("--Voila.port_retries=0", "--Voila.ip=127.0.0.1", "--SipingVoila.trust_xheaders=True", "--port=%i"):
        assert option in exec_start
