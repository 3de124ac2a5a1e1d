"""A page's kernel lives as long as the page is in use (issue 15): closing the tab ends it within seconds
(the page's unload beacon, which needs the ``_xsrf`` cookie), a page left open without input stops itself
and ends its kernel, and a burst of pages opened at once all come up."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

SMOKE = "smoke.ipynb"
BUTTON_TEXT = "四评冒烟"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
IDLE = "长时间未操作，本页已暂停以释放服务器资源"


def kernel_alive(server, kernel_id: str) -> bool:
    """Whether the server's kernel manager still has the kernel (GET /api/kernels/<id>: 200, else 404)."""
    try:
        with urllib.request.urlopen(f"{server.url}api/kernels/{kernel_id}", timeout=30) as answer:
            return json.load(answer)["id"] == kernel_id
    except urllib.error.HTTPError as error:
        with error:
            assert error.code == 404, error.code
            return False


def wait_for_end(server, kernel_id: str, seconds: float) -> float:
    """Seconds until the server no longer has the kernel; fails after ``seconds``."""
    started = time.monotonic()
    while kernel_alive(server, kernel_id):
        if time.monotonic() - started > seconds:
            pytest.fail(f"kernel {kernel_id} still running {seconds:.0f} s later; log:\n{server.log_tail(30)}")
        time.sleep(0.2)
    return time.monotonic() - started


def open_smoke(page, server, open_page) -> str:
    """Open the fixture page until usable; the id of its kernel."""
    open_page(page, server.render_url(SMOKE), BUTTON_TEXT, timeout=90)
    page.wait_for_function("() => window.sipingKernel !== undefined", timeout=30_000)
    kernel_id = page.evaluate("() => window.sipingKernel.id")
    assert kernel_alive(server, kernel_id)
    return kernel_id


def test_closing_a_tab_ends_its_kernel_within_seconds(browser, voila_smoke, open_page):
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        kernel_id = open_smoke(page, voila_smoke, open_page)
        assert any(c["name"] == "_xsrf" for c in context.cookies()), "the page set no _xsrf cookie"
        assert "var IDLE_MINUTES = 60.0;" in page.content()  # SipingVoila.idle_minutes' default reached it
        # When the tab is closed as a person closes it (the page's unload handlers run)
        page.close(run_before_unload=True)
        # Then its kernel ends within seconds, not at the idle cull half an hour later
        assert wait_for_end(voila_smoke, kernel_id, 15) <= 15
        assert "'_xsrf' argument missing" not in voila_smoke.log_path.read_text(encoding="utf-8")
    finally:
        context.close()


def test_leaving_a_page_for_another_address_ends_its_kernel(browser, voila_smoke, open_page):
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        kernel_id = open_smoke(page, voila_smoke, open_page)
        page.goto(voila_smoke.url, wait_until="load")  # the start page, in the same tab
        wait_for_end(voila_smoke, kernel_id, 15)
    finally:
        context.close()


def test_a_page_left_without_input_stops_itself_and_ends_its_kernel(browser, voila_server, open_page):
    # 60 minutes by default; here the server's setting is 6 s, and the page's heartbeat (which would keep
    # the kernel in use for good) beats every second
    server = voila_server(
        FIXTURES, "voila-idle.log", ["--SipingVoila.extra_pages=smoke.ipynb", "--SipingVoila.idle_minutes=0.1"]
    )
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.add_init_script("window.sipingHeartbeat = {every: 1000, timeout: 5000};")
        kernel_id = open_smoke(page, server, open_page)
        notice = page.get_by_role("alertdialog").filter(has_text=IDLE)
        # Input postpones the pause: pressed keys every 2 s for 8 s keep the page going
        for _ in range(4):
            page.wait_for_timeout(2000)
            page.keyboard.press("Shift")
        expect(notice).to_be_hidden()
        assert kernel_alive(server, kernel_id)
        # When nobody touches the page for longer than the limit
        expect(notice).to_be_visible(timeout=30_000)
        # Then it says so over the whole page, its kernel ends, and no "connection lost" bar competes with it
        assert "已保存的草稿不会丢失，请刷新页面继续" in notice.inner_text()
        wait_for_end(server, kernel_id, 15)
        page.wait_for_timeout(6000)  # longer than the heartbeat's timeout: it was stopped, no red bar
        expect(page.get_by_text("连接已断开")).to_be_hidden()
        expect(notice).to_be_visible()
        box = page.locator("#siping-idle").bounding_box()
        assert box and box["width"] >= 1200 and box["height"] >= 600  # covers the page
        # And 刷新页面 brings the page back with a new kernel
        page.get_by_role("button", name="刷新页面").click()
        page.get_by_text(BUTTON_TEXT).first.wait_for(state="visible", timeout=90_000)
        page.wait_for_function(f"() => window.sipingKernel && window.sipingKernel.id !== '{kernel_id}'")
    finally:
        context.close()


BURST = 10  # secretaries opening the link the street sent them, at the same moment


@pytest.mark.slow
def test_ten_secretaries_opening_their_pages_at_once_all_get_them(browser, voila_server, tmp_path_factory):
    from pagekit import serve_with_database

    from assessment.demo.street import generate_demo
    from assessment.rubric import load_rubric
    from assessment.store import Store

    root = tmp_path_factory.mktemp("burst")
    url = f"sqlite:///{root}/burst.sqlite"
    rubric = load_rubric()
    demo = generate_demo(rubric, year=2025, n_branches=20)
    with Store(url, rubric=rubric) as store:
        store.records.import_inputs(
            demo, year=2025, evaluator="数据管理员", rubric_version=rubric.version, source="示例"
        )
        branches = list(demo.branches["branch_id"][:BURST])
        codes = [store.access.issue(branch, 2025, by="管理员").code for branch in branches]
    server = serve_with_database(voila_server, root, "self_assess.ipynb", url, "voila-burst.log")

    contexts = [browser.new_context(locale="zh-CN") for _ in range(BURST)]
    pages = [context.new_page() for context in contexts]
    try:
        started = time.monotonic()
        for page, code in zip(pages, codes, strict=True):  # all requests leave before any page is answered
            page.evaluate(
                "address => { window.location.href = address; }",
                server.render_url("self_assess.ipynb") + f"?code={code}",
            )
        usable: dict[int, float] = {}
        blank: list[int] = []
        for number, page in enumerate(pages):
            remaining = max(1.0, 300 - (time.monotonic() - started))
            try:
                page.get_by_text("当前状态：").first.wait_for(state="visible", timeout=remaining * 1000)
                usable[number] = time.monotonic() - started
            except Exception:  # noqa: BLE001 - counted, then reported with every page's fate
                blank.append(number)
        # Then every page came up (none blank, none a busy page), each with its own kernel
        assert not blank, f"pages {blank} not usable within 300 s; usable after {usable}; log:\n{server.log_tail(40)}"
        log = server.log_path.read_text(encoding="utf-8", errors="replace")
        assert "Timeout waiting for IOPub" not in log and "busy:" not in log  # (busy: a 503 page was sent)
        for page in pages:
            page.wait_for_function("() => window.sipingKernel !== undefined", timeout=30_000)
        kernels = [page.evaluate("() => window.sipingKernel.id") for page in pages]
        assert len(set(kernels)) == BURST and all(kernel_alive(server, kernel) for kernel in kernels)
        print(f"{BURST} pages at once: all usable after {max(usable.values()):.0f} s")
        # And closing the tabs ends every kernel
        for page in pages:
            page.close(run_before_unload=True)
        for kernel in kernels:
            wait_for_end(server, kernel, 30)
    finally:
        for context in contexts:
            context.close()
