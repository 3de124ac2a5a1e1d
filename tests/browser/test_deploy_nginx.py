"""The multi-server set-up of deploy/, on loopback: PostgreSQL, two Voila servers, nginx in front.

Everything is what an administrator runs: the database is made by ``deploy/database.sh create`` (a role that
owns its database, with a password, reached over TCP) and ``migrate``; the servers are started with the
command line of ``deploy/systemd/siping@.service`` (``%i`` = port, the variables of ``siping.env.example``,
path prefix ``/siping/``); nginx serves the configuration ``deploy/nginx.sh`` renders. Then:

- first visits without a cookie are spread over both servers, and one visitor's cookie keeps them on one;
- an access link made by ``access issue --base`` for the public address opens through nginx;
- an evaluator signs in and types a draft through nginx; the server that held the page is killed (with its
  kernels); a reload reaches the other server, still signed in, and the draft is offered back (恢复草稿).
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from assessment.cli import main as cli_main
from assessment.demo.street import generate_demo
from assessment.rubric import load_rubric
from assessment.store import Store
from assessment.store.engine import resolve_url
from tests.factories import STAFF_PASSWORD, add_staff
from tests.store_support import postgres_admin_url

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
ARTIFACTS = REPO / "test-artifacts"
PREFIX = "/siping/"
YEAR = 2025
EVALUATOR = "周考评"
TITLE = "党支部“四评”考评录入"
START_TIMEOUT = 90.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError as error:
        error.close()
        return True
    except OSError:
        return False


def _wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
            pytest.fail(f"{url} did not come up (exit code {process.poll()}); log {log}:\n{tail}", pytrace=False)
        time.sleep(0.3)


def _stop(process: subprocess.Popen) -> None:
    """Stop a process started in a session of its own, with whatever it started (kernels, nginx workers)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    try:
        os.killpg(process.pid, signal.SIGKILL)  # kernels left behind by a server that did not stop them
    except ProcessLookupError:
        pass


# ------------------------------------------------------------------ what deploy/ gives
def unit_command(port: int, variables: dict[str, str]) -> list[str]:
    """ExecStart of deploy/systemd/siping@.service for instance ``port``, run by this interpreter."""
    unit = (DEPLOY / "systemd" / "siping@.service").read_text(encoding="utf-8")
    line = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    words = shlex.split(line.removeprefix("ExecStart="))
    assert words[0] == "/opt/siping/.venv/bin/python", words[0]

    def expand(word: str) -> str:
        word = word.replace("%i", str(port))
        return re.sub(r"\$\{(\w+)\}", lambda m: variables[m.group(1)], word)

    return [sys.executable, *(expand(word) for word in words[1:])]


def env_example() -> dict[str, str]:
    """The variables of deploy/systemd/siping.env.example (what the unit reads from /etc/siping/siping.env)."""
    values = {}
    for line in (DEPLOY / "systemd" / "siping.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


@dataclass
class Voila:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Deployment:
    url: str  # the public address: nginx, with the path prefix
    database_url: str
    servers: list[Voila]
    access_log: Path
    error_log: Path

    def log_lines(self) -> list[str]:
        return self.access_log.read_text(encoding="utf-8").splitlines()

    def server(self, address: str) -> Voila:
        return next(server for server in self.servers if server.address == address)


def upstreams(line: str) -> list[str]:
    """The servers nginx tried for one request, in order (``upstream=a, b`` after a failover)."""
    found = re.search(r"upstream=(.*?) route=", line)
    return [part.strip() for part in found.group(1).split(",")] if found else []


def route(line: str) -> str:
    return re.search(r"route=(\S+)", line).group(1)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        pytest.fail("没有安装 nginx：以 root 运行 scripts/setup.sh 会用 apt 安装（本测试不跳过）。", pytrace=False)
    root = tmp_path_factory.mktemp("deploy")
    ARTIFACTS.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHON=sys.executable)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    started: list[subprocess.Popen] = []

    # The database as deploy/database.sh makes it: a role of its own owning the database, a password, TCP.
    admin = resolve_url(postgres_admin_url())
    name = f"siping_t{secrets.token_hex(5)}"
    pg_port = str(admin.query.get("port") or admin.port or 5432)
    try:
        made = subprocess.run(
            ["bash", str(DEPLOY / "database.sh"), "create", "--role", name, "--database", name, "--port", pg_port]
            + ["--admin", admin.set(drivername="postgresql").render_as_string(hide_password=False)],
            env=dict(env, SIPING_DB_PASSWORD=f"pw '{secrets.token_hex(4)}@/x"),  # quoting and URL escaping matter
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        database_url = made.stdout.strip()
        assert database_url.startswith(f"postgresql://{name}:") and database_url.endswith(
            f"@127.0.0.1:{pg_port}/{name}"
        )
        migrated = subprocess.run(
            ["bash", str(DEPLOY / "database.sh"), "migrate"],
            env=dict(env, ASSESSMENT_DATABASE_URL=database_url),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert migrated.returncode == 0, migrated.stderr
        assert "的结构已从 空 升级到" in migrated.stdout, migrated.stdout
        with Store(database_url) as store:
            rubric = store.rubric
            owner = store.db.read(
                lambda c: c.execute(sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'branches'")).scalar()
            )
            assert owner == name  # the tables belong to the application's role
            demo = generate_demo(load_rubric(), year=YEAR)
            store.records.import_inputs(
                demo, year=YEAR, evaluator="演示数据", rubric_version=rubric.version, source="演示"
            )
            add_staff(store, EVALUATOR, "区委")

        # Two Voila servers, as the systemd unit starts them.
        variables = {**env_example(), "SIPING_BASE_URL": PREFIX}
        workdir = root / "etc-siping"  # the unit's WorkingDirectory (no voila.json of the administrator's)
        workdir.mkdir()
        servers = []
        for index in range(2):
            port = _free_port()
            log = ARTIFACTS / f"voila-deploy-{index + 1}.log"
            command = unit_command(port, variables)
            with log.open("w", encoding="utf-8") as out:
                out.write(f"$ {shlex.join(command)}\n")
                out.flush()
                process = subprocess.Popen(
                    command,
                    cwd=workdir,
                    env=dict(env, ASSESSMENT_DATABASE_URL=database_url),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its kernels share its process group: killing it kills them
                )
            started.append(process)
            servers.append(Voila(port, process, log))
        for server in servers:
            _wait_until_answering(f"http://{server.address}{PREFIX}", server.process, server.log)

        # nginx with the configuration deploy/nginx.sh renders, inside a minimal nginx.conf of our own.
        listen = _free_port()
        access_log, error_log = root / "access.log", ARTIFACTS / "nginx-deploy-error.log"
        rendered = subprocess.run(
            ["bash", str(DEPLOY / "nginx.sh"), "--listen", f"127.0.0.1:{listen}", "--prefix", PREFIX]
            + ["--access-log", str(access_log), *(server.address for server in servers)],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        (root / "siping.conf").write_text(rendered.stdout, encoding="utf-8")
        for temp in ("body", "proxy"):
            (root / temp).mkdir()
        (root / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"pid {root}/nginx.pid;\ndaemon off;\nworker_processes 1;\nevents {{ worker_connections 512; }}\n"
            f"http {{\n  client_body_temp_path {root}/body;\n  proxy_temp_path {root}/proxy;\n"
            f"  include {root}/siping.conf;\n}}\n",
            encoding="utf-8",
        )
        with (ARTIFACTS / "nginx-deploy.out").open("w", encoding="utf-8") as out:
            process = subprocess.Popen(
                [nginx, "-p", str(root), "-c", str(root / "nginx.conf"), "-e", str(error_log)],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        _wait_until_answering(f"http://127.0.0.1:{listen}{PREFIX}", process, error_log)
        yield Deployment(f"http://127.0.0.1:{listen}{PREFIX}", database_url, servers, access_log, error_log)
    finally:
        for process in reversed(started):
            _stop(process)
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
        engine.dispose()


def get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], str]:
    """Status, headers (``route-cookie``: the Set-Cookie of siping_route, if any) and body of one GET, no redirects."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=120) as response:
            return response.status, _headers(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, _headers(error.headers), error.read().decode("utf-8", "replace")


def _headers(message) -> dict[str, str]:
    headers = dict(message)
    routes = [c for c in message.get_all("Set-Cookie", []) if c.startswith("siping_route=")]
    if routes:
        headers["route-cookie"] = routes[0]
    return headers


# ------------------------------------------------------------------ tests
def test_first_visits_spread_over_the_servers_and_a_cookie_keeps_a_visitor_on_one(deployment):
    # When 16 browsers without a cookie open the start page (as an office behind one address would)
    cookies = []
    for _ in range(16):
        status, headers, body = get(deployment.url)
        assert status == 200 and "四评" in body
        cookie = headers["route-cookie"]
        assert cookie.startswith("siping_route=") and f"Path={PREFIX}" in cookie and "HttpOnly" in cookie
        cookies.append(cookie.split(";")[0])
    lines = [line for line in deployment.log_lines() if f'"GET {PREFIX} ' in line]
    # Then both servers got some of them (each visitor's own random route: 2 × 2⁻¹⁶ to fail by chance)
    assert {upstreams(line)[0] for line in lines} == {server.address for server in deployment.servers}

    # When one of them comes back ten times with its cookie
    for _ in range(10):
        status, headers, _body = get(deployment.url, cookie=cookies[0])
        assert status == 200
        assert "route-cookie" not in headers  # no new route
    value = cookies[0].split("=", 1)[1]
    mine = [line for line in deployment.log_lines() if route(line) == value]
    # Then every one of its requests went to the same server
    assert len(mine) == 11 and len({upstreams(line)[0] for line in mine}) == 1

    # And the prefix without its slash is sent to the prefix
    status, headers, _body = get(deployment.url.rstrip("/"))
    assert status == 301 and headers["Location"] == deployment.url


def test_a_server_counts_failed_sign_ins_by_the_address_nginx_passes_on(deployment):
    # Given a server started with --SipingVoila.trust_xheaders=True (the unit's command line), and a visitor
    # whose address nginx passes on as X-Real-IP
    base = f"http://{deployment.servers[1].address}{PREFIX}"
    forwarded = {"X-Real-IP": "10.9.8.7"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}login", headers=forwarded), timeout=30) as response:
        xsrf = next(c for c in response.headers.get_all("Set-Cookie") if c.startswith("_xsrf=")).split(";")[0]
    # When a sign-in fails
    body = urllib.parse.urlencode({"_xsrf": xsrf.split("=", 1)[1], "name": EVALUATOR, "secret": "不对"}).encode()
    request = urllib.request.Request(f"{base}login", data=body, headers={**forwarded, "Cookie": xsrf})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    refused.value.close()
    assert refused.value.code == 403
    # Then the failure counts against that visitor's address, not against nginx's (everyone's)
    with Store(deployment.database_url) as store:
        keys = store.db.read(lambda c: set(c.execute(sa.text("SELECT key FROM sign_in_failures")).scalars()))
    assert "client:10.9.8.7" in keys and "client:127.0.0.1" not in keys


def test_an_access_link_for_the_public_address_opens_through_nginx(deployment, capsys):
    # When the administrator issues a code with the public address (nginx and the path prefix)
    argv = ["access", "issue", "JD001", "--year", str(YEAR), "--base", deployment.url]
    code = cli_main([*argv, "--database", deployment.database_url])
    out, err = capsys.readouterr()
    assert code == 0, err
    link = re.search(r"链接：(\S+)", out).group(1)
    assert link.startswith(f"{deployment.url}voila/render/self_assess.ipynb?code=")
    # Then the link opens the self-assessment page through nginx
    status, _headers, body = get(link)
    assert status == 200, body[:500]
    assert "siping-connection" in body  # the project's page template, rendered by a server under the prefix
    assert re.search(r'"baseUrl": "/siping/"', body), "the page's scripts address the servers under the prefix"


@dataclass
class FrontDoor:
    """What ``sign_in`` needs of a server: its address (here nginx's)."""

    url: str


def open_branch(page, typed: str) -> None:
    page.get_by_label("支部", exact=True).fill(typed)
    page.get_by_role("button", name="打开").click()
    page.get_by_text("正在考评").wait_for(state="visible", timeout=30_000)


def s1_field(page):
    return page.locator(".siping-item", has_text="s1 支部设置规范").get_by_label("得分（0–5）")


def render_lines(deployment: Deployment, value: str) -> list[str]:
    return [line for line in deployment.log_lines() if "/voila/render/evaluate.ipynb" in line and route(line) == value]


def test_a_draft_survives_the_server_that_held_it(deployment, page, open_page, page_problems, sign_in):
    # Given an evaluator signed in through nginx, on the evaluate page, a branch open
    sign_in(page, FrontDoor(deployment.url), EVALUATOR, STAFF_PASSWORD)
    open_page(page, f"{deployment.url}voila/render/evaluate.ipynb", TITLE, timeout=120)
    page.get_by_text(f"评估人：{EVALUATOR}（区委）").wait_for(state="visible", timeout=30_000)
    open_branch(page, "JD001")
    assert s1_field(page).input_value() != "2.5"
    # When they type a score, and the page saves it as a draft
    s1_field(page).fill("2.5")
    expect(page.get_by_text("草稿已自动保存").first).to_be_visible(timeout=30_000)
    assert page_problems(page) == []

    # Then the page, its files and its kernel's websocket all came through one server
    value = next(c["value"] for c in page.context.cookies() if c["name"] == "siping_route")
    rendered = render_lines(deployment, value)
    assert len(rendered) == 1 and len(upstreams(rendered[0])) == 1
    holder = deployment.server(upstreams(rendered[0])[0])
    other = next(server for server in deployment.servers if server is not holder)
    assert {upstreams(line)[-1] for line in deployment.log_lines() if route(line) == value} == {holder.address}

    # When the server that holds the page is killed, kernels and all (a crash, not a clean stop)
    os.killpg(holder.process.pid, signal.SIGKILL)
    holder.process.wait(timeout=30)
    # And the evaluator reloads the page
    page.reload(wait_until="commit")
    page.get_by_placeholder("输入支部编号或名称").wait_for(state="visible", timeout=120_000)

    # Then nginx sent them to the other server, where they are still signed in
    page.get_by_text(f"评估人：{EVALUATOR}（区委）").wait_for(state="visible", timeout=30_000)
    rendered = render_lines(deployment, value)
    assert len(rendered) == 2 and upstreams(rendered[1])[-1] == other.address
    # And the kernel websocket of the killed page had gone to the holder (logged when it broke)
    sockets = [line for line in deployment.log_lines() if "/api/kernels/" in line and route(line) == value]
    assert sockets and upstreams(sockets[0]) == [holder.address]
    # And the draft is offered back, and restoring it brings back what was typed
    open_branch(page, "JD001")
    page.get_by_text("发现未提交的草稿（保存于").wait_for(state="visible", timeout=30_000)
    page.get_by_role("button", name="恢复草稿").click()
    expect(s1_field(page)).to_have_value("2.5", timeout=30_000)
    assert page_problems(page) == []
    # And nginx logged the killed server's failure: a refused connection, or (when the page's websocket had
    # already found it gone and nginx marked it down) the reset of that connection.
    failures = [
        line
        for line in deployment.error_log.read_text(encoding="utf-8").splitlines()
        if holder.address in line and ("connect() failed" in line or "recv() failed" in line)
    ]
    assert failures, deployment.error_log.read_text(encoding="utf-8")


def test_when_no_server_answers_nginx_says_so_in_chinese(deployment):
    # Given every server stopped (the previous test killed one)
    for server in deployment.servers:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=30)
    # Then a visitor gets a Chinese page, not nginx's English one
    status, headers, body = get(deployment.url)
    assert status == 502
    assert headers["Content-Type"].startswith("text/html") and "服务器暂时无法访问" in body and "nginx" not in body
