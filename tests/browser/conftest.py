"""Harness for browser tests: standalone Voila serving a directory, Chromium driven by Playwright.

Helpers are offered as fixtures that return the function (``open_page``, ``page_problems``,
``external_requests``, ``launch_chromium``), so that tests never import conftest.

Voila is started as scripts/serve.sh starts it (``python -m assessment.serve``, from the repository
root), so the package's voila.json (template, culling, no tracebacks) applies exactly as there. Browser tests never skip: when Chromium cannot start they
fail and say why, so that CI cannot go green without having opened a page.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "test-artifacts"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

SERVER_START_TIMEOUT = 60.0
# Without the networking flags Chromium keeps calling home, which floods a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension"}

# The tail of the log of every Voila this session started, for failure reports.
_running_servers: list[VoilaServer] = []


# --- Voila -------------------------------------------------------------------------------------


@dataclass
class VoilaServer:
    directory: Path
    port: int
    log_path: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def render_url(self, notebook: str) -> str:
        """URL of the page for ``notebook`` (a path relative to the served directory)."""
        return f"{self.url}voila/render/{notebook}"

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError as error:
        error.close()  # (an error answer holds its connection until closed)
        return True  # an error page is still an answer
    except (urllib.error.URLError, OSError):
        return False


def start_voila(directory: Path, log_name: str, extra_args: Iterable[str] = ()) -> VoilaServer:
    """Start standalone Voila on a free loopback port serving ``directory``; wait until it answers."""
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / log_name
    port = _free_port()
    # sys.executable is the venv's Python, so the kernel is the venv's ipykernel too
    # (jupyter_client runs a kernelspec's "python" as the server's own interpreter).
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    command = [
        sys.executable,
        "-m",
        "assessment.serve",  # Voila as scripts/serve.sh starts it
        str(directory),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        *extra_args,
    ]
    with log_path.open("w", encoding="utf-8") as log:
        log.write(f"$ (cd {REPO_ROOT} && {' '.join(command)})\n")
        log.flush()
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = VoilaServer(directory, port, log_path, process)

    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not _answers_http(server.url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop_voila(server)
            why = (
                f"exited with code {process.returncode}"
                if process.returncode is not None
                else f"did not answer within {SERVER_START_TIMEOUT:.0f} s"
            )
            pytest.fail(
                f"Voila serving {directory} {why}. Log {log_path}, last lines:\n"
                f"{server.log_tail()}\n"
                "(Run scripts/setup.sh first: it installs the package and links the siping template.)",
                pytrace=False,
            )
        time.sleep(0.2)
    _running_servers.append(server)
    return server


def stop_voila(server: VoilaServer) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=15)
    if server in _running_servers:
        _running_servers.remove(server)


@pytest.fixture(scope="session")
def voila_server() -> Iterator[Callable[..., VoilaServer]]:
    """Factory: ``voila_server(directory, log_name, extra_args=())`` starts Voila once per session."""
    servers: dict[tuple[Path, tuple[str, ...]], VoilaServer] = {}

    def serve(directory: Path, log_name: str = "voila.log", extra_args: Iterable[str] = ()) -> VoilaServer:
        key = (Path(directory).resolve(), tuple(extra_args))
        if key not in servers:
            servers[key] = start_voila(key[0], log_name, key[1])
        return servers[key]

    yield serve
    for server in servers.values():
        stop_voila(server)


@pytest.fixture(scope="session")
def voila_notebooks(voila_server) -> VoilaServer:
    """Voila serving the real pages in notebooks/, as scripts/serve.sh does."""
    return voila_server(REPO_ROOT / "notebooks", "voila.log")


@pytest.fixture(scope="session")
def voila_url(voila_notebooks) -> str:
    """Base URL (ending in '/') of Voila serving notebooks/; a page is at f"{voila_url}voila/render/x.ipynb"."""
    return voila_notebooks.url


@pytest.fixture(scope="session")
def voila_smoke(voila_server) -> VoilaServer:
    """Voila serving tests/browser/fixtures (smoke.ipynb), with the package's voila.json."""
    return voila_server(FIXTURES, "voila-smoke.log", ["--SipingVoila.extra_pages=smoke.ipynb"])


# --- Chromium ----------------------------------------------------------------------------------


def chromium_executable() -> str | None:
    """$CHROMIUM_PATH, else Debian's /usr/bin/chromium, else None (Playwright's own browser)."""
    if os.environ.get("CHROMIUM_PATH"):
        return os.environ["CHROMIUM_PATH"]
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return None


def launch_chromium(playwright, extra_args: Iterable[str] = ()):
    executable = chromium_executable()
    try:
        return playwright.chromium.launch(executable_path=executable, args=[*CHROMIUM_ARGS, *extra_args], headless=True)
    except Exception as error:  # noqa: BLE001 - whatever stops Chromium must fail, with its reason
        pytest.fail(
            "Chromium 无法启动，浏览器测试不能运行（不会跳过）。\n"
            f"executable_path={executable or '(Playwright 自带浏览器)'}\n"
            "请以 root 运行 scripts/setup.sh 安装 chromium，或设置 CHROMIUM_PATH，"
            "或运行 .venv/bin/playwright install chromium。\n"
            f"原因：{error}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def playwright_session():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.fail(f"playwright 未安装（pip install -e '.[test]'）：{error}", pytrace=False)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_session):
    chromium = launch_chromium(playwright_session)
    yield chromium
    chromium.close()


@pytest.fixture
def requested_urls() -> list[str]:
    """Every URL the ``page`` requested (documents, scripts, styles, fonts, XHR, websockets)."""
    return []


@pytest.fixture
def page(browser, requested_urls, request):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    new_page = context.new_page()
    watch_requests(new_page, requested_urls)
    yield new_page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        save_page_artifacts(new_page, request.node.nodeid)
    context.close()


def watch_requests(page, urls: list[str]) -> None:
    page.on("request", lambda req: urls.append(req.url))
    page.on("websocket", lambda socket_: urls.append(socket_.url))


def save_page_artifacts(page, name: str) -> Path:
    """Screenshot and HTML of ``page`` into test-artifacts/, named after ``name``."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w-]+", "_", name).strip("_")
    screenshot = ARTIFACTS / f"{stem}.png"
    try:
        page.screenshot(path=str(screenshot), full_page=True, timeout=10_000)
        (ARTIFACTS / f"{stem}.html").write_text(page.content(), encoding="utf-8")
    except Exception as error:  # noqa: BLE001 - a broken page must not hide the test's own failure
        print(f"could not save page artifacts for {name}: {error}")
    return screenshot


# --- helpers for tests -------------------------------------------------------------------------


def open_page(page, url_path: str, expect_text: str, timeout: float = 30.0) -> float:
    """Open a Voila page and wait until its widgets and ``expect_text`` are visible.

    ``url_path`` is a full URL (e.g. ``server.render_url("x.ipynb")``) or a path resolved against
    the context's base_url. Waits from the first response byte, not for the load event: a page is
    usable once its widgets show, whatever else it is still fetching. Returns the seconds taken.
    """
    started = time.monotonic()

    def deadline_ms() -> float:
        return max(1.0, (timeout - (time.monotonic() - started)) * 1000)

    page.goto(url_path, wait_until="commit", timeout=deadline_ms())
    page.locator(".jupyter-widgets").first.wait_for(state="visible", timeout=deadline_ms())
    page.get_by_text(expect_text).first.wait_for(state="visible", timeout=deadline_ms())
    return time.monotonic() - started


def page_problems(page) -> list[str]:
    """Texts of error or stderr outputs and tracebacks shown on the page (empty when clean)."""
    return page.evaluate(
        """() => {
            const shown = [...document.querySelectorAll(
                '[data-mime-type="application/vnd.jupyter.stderr"],'
                + ' [data-mime-type="application/vnd.jupyter.error"], .jp-OutputArea-stderr'
            )].map(element => element.innerText.trim());
            const body = document.body ? document.body.innerText : '';
            for (const marker of ['Traceback', 'There was an error when executing cell']) {
                if (body.includes(marker)) shown.push(`page text contains ${marker}`);
            }
            return shown;
        }"""
    )


def external_requests(urls: Iterable[str]) -> list[str]:
    """The URLs that would leave this machine (anything not on loopback or local to the page)."""
    leaving = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES:
            continue
        if parts.hostname not in LOOPBACK_HOSTS:
            leaving.append(url)
    return leaving


@pytest.fixture(name="open_page", scope="session")
def _open_page_fixture():
    return open_page


@pytest.fixture(name="page_problems", scope="session")
def _page_problems_fixture():
    return page_problems


@pytest.fixture(name="external_requests", scope="session")
def _external_requests_fixture():
    return external_requests


def sign_in(page, server: VoilaServer, name: str, password: str) -> None:
    """Sign in as a staff member the way they would (the sign-in page, then the start page says who)."""
    page.goto(f"{server.url}login", wait_until="load", timeout=60_000)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("密码或一次性登录码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.get_by_text(f"已登录：{name}").wait_for(state="visible", timeout=60_000)


@pytest.fixture(name="sign_in", scope="session")
def _sign_in_fixture():
    return sign_in


@pytest.fixture(name="launch_chromium", scope="session")
def _launch_chromium_fixture(playwright_session):
    """``launch_chromium(extra_args)``: another Chromium, e.g. with different network rules."""
    launched = []

    def launch(extra_args: Iterable[str] = ()):
        chromium = launch_chromium(playwright_session, extra_args)
        launched.append(chromium)
        return chromium

    yield launch
    for chromium in launched:
        chromium.close()


@dataclass
class BlackHole:
    """A loopback port that accepts connections and never answers: a firewall that drops traffic."""

    port: int
    connections: list[socket.socket]

    def host_resolver_rules(self) -> str:
        """Chromium rule sending every public host name here (loopback stays reachable)."""
        return f"MAP * 127.0.0.1:{self.port}, EXCLUDE 127.0.0.1, EXCLUDE localhost"


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    hole = BlackHole(port=listener.getsockname()[1], connections=[])
    stopping = threading.Event()

    def hold_connections() -> None:
        while not stopping.is_set():
            try:
                connection, _address = listener.accept()
            except (TimeoutError, OSError):
                continue
            hole.connections.append(connection)

    thread = threading.Thread(target=hold_connections, name="black-hole", daemon=True)
    thread.start()
    yield hole
    stopping.set()
    thread.join(timeout=5)
    for connection in hole.connections:
        connection.close()
    listener.close()


# --- hooks -------------------------------------------------------------------------------------


def pytest_collection_modifyitems(config, items):
    browser_dir = Path(__file__).resolve().parent
    for item in items:
        if browser_dir in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    if report.failed and _running_servers:
        for server in _running_servers:
            report.sections.append((f"Voila log tail ({server.log_path.name})", server.log_tail(40)))
