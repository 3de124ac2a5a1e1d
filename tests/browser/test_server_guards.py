"""The server as an outsider meets it with nothing but its address (plain HTTP and websockets, no browser):
a Chinese start page instead of a file list, only the pages this server serves, a cap on open pages with a
busy page that starts nothing, no legacy-protocol kernel websocket, no Referer, and a closed tab's kernel
shut down by the page's own beacon request."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"


def fetch(url: str, *, opener=None, data: bytes | None = None, headers: dict | None = None):
    """(status, headers, text) of a request; HTTP errors are answers too."""
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=120) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        with error:  # an error answer holds its connection until closed
            return error.code, error.headers, error.read().decode("utf-8", "replace")


CODES: dict[str, str] = {}  # one-time codes of the accounts made for the internal server


def run_async(make):
    """Run the coroutine ``make()`` to its end in a thread of its own: the browser tests' Playwright keeps
    an event loop running in this thread, where asyncio.run() is refused."""
    answer: dict = {}

    def target() -> None:
        try:
            answer["value"] = asyncio.run(make())
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            answer["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(120)
    if "error" in answer:
        raise answer["error"]
    return answer.get("value")


def kernels_started(server) -> int:
    return len(re.findall(r"Kernel started: ", server.log_path.read_text(encoding="utf-8", errors="replace")))


@pytest.fixture(scope="module")
def internal(voila_server, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('guards') / 'empty.sqlite'}"
    from assessment.store import Store

    with Store(url) as store:  # two accounts, as `python -m assessment user add` makes them
        CODES["李区委"] = store.accounts.add("李区委", "区委", by="管理员")
        CODES["周街道"] = store.accounts.add("周街道", "街道", street="东城街道", by="管理员")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSESSMENT_DATABASE_URL", url)
        return voila_server(NOTEBOOKS, "voila-guards.log", ["--SipingVoila.max_kernels=2"])


@pytest.fixture(scope="module")
def public(voila_server, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('guards-public') / 'empty.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSESSMENT_DATABASE_URL", url)
        return voila_server(NOTEBOOKS, "voila-guards-public.log", ["--SipingVoila.mode=public"])


def test_the_root_address_is_a_chinese_start_page_and_there_is_no_file_list(internal):
    status, headers, text = fetch(internal.url)
    assert status == 200 and headers["Referrer-Policy"] == "no-referrer"
    for title in ("考评验收", "考评总览", "权重与阈值", "支部自评"):
        assert title in text
    assert "voila/render/evaluate.ipynb" in text
    for path in ("voila/tree", "voila/tree/", "voila/tree/notebooks", "voila/api/contents/"):
        status, _, text = fetch(internal.url + path)
        assert status == 404 and "页面不存在" in text, path
    assert fetch(internal.url + "voila/render/no-such-page.ipynb")[0] == 404


def test_the_public_server_serves_only_the_branch_page(public):
    status, _, text = fetch(public.url)
    assert status == 200 and "支部自评" in text and "考评验收" not in text
    for notebook in ("evaluate.ipynb", "overview.ipynb", "weights.ipynb"):
        status, _, text = fetch(public.render_url(notebook))
        assert status == 404 and "页面不存在" in text, notebook
    status, headers, _ = fetch(public.render_url("self_assess.ipynb?code=K7M2QX9D-AAAA-BBBB-CCCC-DDDD-EEEE"))
    assert status == 200 and headers["Referrer-Policy"] == "no-referrer"
    assert "K7M2QX9D-AAAA" not in public.log_path.read_text(encoding="utf-8")


def test_past_the_kernel_cap_a_page_gets_the_busy_page_and_starts_nothing(internal):
    # Given the cap of 2 open pages is reached (plain GETs, as anyone could send them)
    before = kernels_started(internal)
    opened = [fetch(internal.render_url("self_assess.ipynb")) for _ in range(2)]
    assert [status for status, _, _ in opened] == [200, 200]
    # When a third page is asked for
    status, headers, text = fetch(internal.render_url("self_assess.ipynb"))
    # Then it is told, in Chinese, that the server is busy, and no kernel was started for it
    assert status == 503 and "服务器繁忙，请稍后再试" in text and headers["Retry-After"] == "30"
    assert kernels_started(internal) - before == 2
    # And when a page is closed (the tab's beacon, with its _xsrf cookie), a new page can open again
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    for _ in range(2):
        shut_down_one(internal, opener, jar)
    assert fetch(internal.render_url("self_assess.ipynb"))[0] == 200


def shut_down_one(server, opener, jar) -> None:
    """Open nothing new: find a live kernel from the log and close it as the page's beacon does."""
    log = server.log_path.read_text(encoding="utf-8")
    started = re.findall(r"Kernel started: ([0-9a-f-]{36})", log)
    ended = set(re.findall(r"Kernel shutdown: ([0-9a-f-]{36})", log))
    kernel = next(k for k in started if k not in ended)
    fetch(server.url, opener=opener)  # the start page sets the _xsrf cookie, as a page does
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    status, _, _ = fetch(
        f"{server.url}voila/api/shutdown/{kernel}",
        opener=opener,
        data=f"_xsrf={xsrf}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 204, status
    deadline = time.monotonic() + 10
    while kernel not in set(re.findall(r"Kernel shutdown: ([0-9a-f-]{36})", server.log_path.read_text("utf-8"))):
        assert time.monotonic() < deadline, "the kernel was not shut down"
        time.sleep(0.1)


def test_a_kernel_websocket_without_the_v1_protocol_is_refused_and_the_server_keeps_answering(internal):
    from tornado.httpclient import HTTPClientError, HTTPRequest
    from tornado.websocket import websocket_connect

    status, _, page = fetch(internal.render_url("self_assess.ipynb"))
    assert status == 200
    kernel = re.search(r'"kernelId": "([0-9a-f-]{36})"', page).group(1)
    ws_url = internal.url.replace("http://", "ws://") + f"api/kernels/{kernel}/channels?session_id=test"

    async def attempt(subprotocols):
        connection = await websocket_connect(HTTPRequest(ws_url, request_timeout=20), subprotocols=subprotocols)
        return connection

    # The legacy protocol (no subprotocol) is refused before it reaches the kernel
    with pytest.raises(HTTPClientError) as refused:
        run_async(lambda: attempt(None))
    assert refused.value.code == 400

    # The request_states sequence of the hang, tried anyway on the refused path, leaves the server answering
    async def hang_sequence():
        try:
            connection = await attempt(None)
        except HTTPClientError:
            return "refused"
        comm = {
            "header": {"msg_type": "comm_open", "msg_id": "1", "session": "s", "username": "", "version": "5.3"},
            "parent_header": {},
            "metadata": {},
            "channel": "shell",
            "content": {"comm_id": "c1", "target_name": "jupyter.widget.control", "data": {}},
        }
        await connection.write_message(json.dumps(comm))
        connection.close()
        return "open"

    assert run_async(hang_sequence) == "refused"
    started = time.monotonic()
    assert fetch(internal.url)[0] == 200
    assert time.monotonic() - started < 10

    # A browser's connection (v1) still works
    async def v1():
        connection = await attempt(["v1.kernel.websocket.jupyter.org"])
        protocol = connection.selected_subprotocol
        connection.close()
        await asyncio.sleep(0.2)  # let the close finish before the loop ends (no unclosed socket)
        return protocol

    assert run_async(v1) == "v1.kernel.websocket.jupyter.org"


# ------------------------------------------------------------------ signing in
def browser_like():
    """A client with cookies, as a browser is: (opener, jar)."""
    jar = CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def post_form(server, opener, jar, path: str, fields: dict[str, str]):
    fetch(server.url + "login", opener=opener)  # the form's page sets the _xsrf cookie
    xsrf = next(c.value for c in jar if c.name == "_xsrf")
    body = urllib.parse.urlencode({"_xsrf": xsrf, **fields}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return fetch(server.url + path, opener=opener, data=body, headers=headers)


def test_a_visitor_with_only_the_address_gets_the_sign_in_page_and_no_kernel(internal):
    before = kernels_started(internal)
    for notebook in ("evaluate.ipynb", "overview.ipynb", "weights.ipynb"):
        status, _, text = fetch(internal.render_url(notebook))
        assert status == 200 and "工作人员登录" in text and "JD0" not in text, notebook
        assert f"next=%2Fvoila%2Frender%2F{notebook}" in text or f'value="/voila/render/{notebook}"' in text
    # a made-up session cookie is nobody
    status, _, text = fetch(internal.render_url("evaluate.ipynb"), headers={"Cookie": "siping_session=abc"})
    assert "工作人员登录" in text
    assert kernels_started(internal) == before
    # a form posted without the page's _xsrf is refused
    status, _, _ = fetch(internal.url + "login", data=b"name=x&secret=y")
    assert status == 403


def test_first_sign_in_with_the_one_time_code_sets_a_password_then_signing_out_ends_it(internal):
    opener, jar = browser_like()
    # a wrong code: one message, whatever was wrong
    status, _, text = post_form(internal, opener, jar, "login", {"name": "李区委", "secret": "WRONG-CODE", "next": "/"})
    assert status == 403 and "姓名或密码不正确" in text
    status, _, text = post_form(internal, opener, jar, "login", {"name": "无此人", "secret": "x", "next": "/"})
    assert status == 403 and "姓名或密码不正确" in text
    # the one-time code asks for a password (twice the same, 8 characters at least)
    code = CODES["李区委"]
    status, _, text = post_form(internal, opener, jar, "login", {"name": "李区委", "secret": code, "next": "/"})
    assert status == 200 and "请设置自己的密码" in text
    fields = {"name": "李区委", "code": code, "next": "/", "password": "区委密码2026", "again": "区委密码2027"}
    status, _, text = post_form(internal, opener, jar, "login", fields)
    assert status == 400 and "两次输入的密码不一致" in text
    fields["again"] = "区委密码2026"
    status, _, text = post_form(internal, opener, jar, "login", fields)
    assert status == 200 and "已登录：李区委（区委）" in text  # back on the start page, signed in
    session = next(c for c in jar if c.name == "siping_session")
    assert session.has_nonstandard_attr("HttpOnly") or "HttpOnly" in str(session._rest)
    # another site as "next" is not followed
    status, _, text = post_form(
        internal, opener, jar, "login", {"name": "李区委", "secret": "区委密码2026", "next": "https://evil.example/"}
    )
    assert status == 200 and "已登录：李区委（区委）" in text
    # signing out ends the session: the staff pages ask for a sign-in again
    status, _, text = post_form(internal, opener, jar, "logout", {})
    assert status == 200 and "已登录" not in text
    assert "工作人员登录" in fetch(internal.render_url("weights.ipynb"), opener=opener)[2]


def test_the_public_server_has_no_sign_in(public):
    assert fetch(public.url + "login")[0] == 404
    assert fetch(public.url + "logout", data=b"")[0] == 404
