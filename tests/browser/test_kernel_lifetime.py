"""A page's kernel lives as long as the page is in use (issue 15): closing the tab ends it within seconds
(the page's unload beacon, which needs the ``_xsrf`` cookie), a page left open without input stops itself
and ends its kernel, and a burst of pages opened at once all come up."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

SMOKE = "smoke.ipynb"
BUTTON_TEXT = "四评冒烟"
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
