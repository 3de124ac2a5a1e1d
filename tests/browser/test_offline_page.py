"""A Voila page served with our voila.json (assessment/serve/voila.json) works, and loads nothing from outside its own server.

The pages will be served on government intranets where a firewall silently drops traffic to public
hosts; there a page that links anything outside its server waits for that request to time out.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMOKE = "smoke.ipynb"
BUTTON_TEXT = "四评冒烟"


def _click_and_wait_for_reply(page, timeout_ms: float = 10_000) -> None:
    page.get_by_role("button", name=BUTTON_TEXT).click()
    page.get_by_text("已点击").wait_for(state="visible", timeout=timeout_ms)


def test_smoke_page_shows_widgets_and_chart_without_errors(page, voila_smoke, open_page, page_problems):
    seconds = open_page(page, voila_smoke.render_url(SMOKE), BUTTON_TEXT, timeout=30)

    assert page_problems(page) == []
    chart = page.locator(".jupyter-widgets img").first
    chart.wait_for(state="visible", timeout=10_000)
    assert chart.evaluate("image => image.complete && image.naturalWidth > 0")
    _click_and_wait_for_reply(page)
    assert page.title() == "四评"
    print(f"smoke page usable after {seconds:.2f} s")


def test_smoke_page_requests_only_its_own_server(page, voila_smoke, requested_urls, open_page, external_requests):
    open_page(page, voila_smoke.render_url(SMOKE), BUTTON_TEXT, timeout=30)
    page.wait_for_load_state("load")
    _click_and_wait_for_reply(page)

    assert any("/voila/" in url for url in requested_urls), requested_urls
    assert external_requests(requested_urls) == []
    # The button's icon is Font Awesome: drawn with the copy bundled in Voila, not a CDN's.
    icon_font = page.evaluate(
        """async () => {
            await document.fonts.ready;
            const icon = document.querySelector('button.jupyter-button i');
            return {
                family: icon ? getComputedStyle(icon).fontFamily : null,
                loaded: [...document.fonts]
                    .filter(face => face.family.includes('Font Awesome') && face.status === 'loaded')
                    .map(face => face.family),
            };
        }"""
    )
    assert icon_font["family"] and "Font Awesome" in icon_font["family"], icon_font
    assert icon_font["loaded"], icon_font


def test_start_page_and_error_page_request_only_their_own_server(page, voila_smoke, requested_urls, external_requests):
    page.goto(voila_smoke.url, wait_until="load", timeout=30_000)
    page.get_by_text("考评验收").first.wait_for(state="visible", timeout=30_000)
    page.goto(voila_smoke.render_url("no-such-page.ipynb"), wait_until="load", timeout=30_000)
    page.get_by_text("页面不存在").first.wait_for(state="visible", timeout=30_000)

    assert external_requests(requested_urls) == []


@pytest.fixture
def firewalled_page(launch_chromium, black_hole, requested_urls):
    """A page in a Chromium for which every public host name leads into ``black_hole``."""
    chromium = launch_chromium([f"--host-resolver-rules={black_hole.host_resolver_rules()}"])
    context = chromium.new_context(locale="zh-CN")
    page = context.new_page()
    page.on("request", lambda request: requested_urls.append(request.url))
    yield page
    context.close()


def test_page_usable_when_public_hosts_hang(
    voila_smoke, firewalled_page, black_hole, requested_urls, open_page, external_requests
):
    # Given a browser behind a firewall that silently drops traffic to every public host
    page = firewalled_page

    # When the page is opened, Then it is usable (a click gets its answer) within 15 s
    started = time.monotonic()
    open_page(page, voila_smoke.render_url(SMOKE), BUTTON_TEXT, timeout=15)
    _click_and_wait_for_reply(page, timeout_ms=max(1.0, 15 - (time.monotonic() - started)) * 1000)
    print(f"usable behind a dropping firewall after {time.monotonic() - started:.2f} s")
    assert external_requests(requested_urls) == []

    # And the firewall was real: a public host name does lead into the black hole
    page.evaluate("() => { fetch('https://cdn.jsdelivr.net/npm/x', {mode: 'no-cors'}); }")
    deadline = time.monotonic() + 10
    while not black_hole.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert black_hole.connections, "the host resolver rule did not lead into the black hole"


@pytest.mark.slow
def test_stock_lab_template_hangs_behind_the_firewall(
    voila_server, firewalled_page, requested_urls, open_page, external_requests
):
    """Control: Voila's own `lab` template is what the test above guards against."""
    stock = voila_server(
        FIXTURES, "voila-stock-lab.log", ["--VoilaConfiguration.template=lab", "--SipingVoila.extra_pages=smoke.ipynb"]
    )

    with pytest.raises(Exception, match="Timeout"):
        open_page(firewalled_page, stock.render_url(SMOKE), BUTTON_TEXT, timeout=8)

    assert any("cdn.jsdelivr.net" in url for url in external_requests(requested_urls))


def test_page_says_please_wait_in_chinese_while_it_opens(page, voila_smoke, open_page):
    """Voila's spinner says "Running …" and "Executing 1 of 2" while the kernel starts and runs the
    notebook (long when many open pages at once): our template says 请稍候 in Chinese instead."""
    response = page.request.get(voila_smoke.render_url(SMOKE), timeout=120_000)
    body = response.text()
    assert response.status == 200
    assert '<h2 id="loading_text">正在打开页面，请稍候…</h2>' in body
    assert "Running " not in body
    open_page(page, voila_smoke.render_url(SMOKE), BUTTON_TEXT, timeout=30)
    progress = page.evaluate("window.voila_process.toString()")
    assert "请稍候" in progress and "Executing" not in progress
