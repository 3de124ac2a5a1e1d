"""When a page loses its kernel, it says so at once (issue 12): a red bar on top, in Chinese, instead of
the last "草稿已自动保存" staying on screen while what is typed goes nowhere."""

from __future__ import annotations

from playwright.sync_api import expect

SMOKE = "smoke.ipynb"
BUTTON_TEXT = "四评冒烟"
LOST = "连接已断开：此后的修改不会保存"


def test_a_page_whose_kernel_ends_says_the_connection_is_lost(page, voila_smoke, open_page, page_problems):
    # The page asks its kernel every 15 s and gives it 90 s; here every second, with 5 s
    page.add_init_script("window.sipingHeartbeat = {every: 1000, timeout: 5000};")
    open_page(page, voila_smoke.render_url(SMOKE), BUTTON_TEXT, timeout=60)
    page.wait_for_function("() => window.sipingKernel !== undefined", timeout=30_000)
    banner = page.get_by_text(LOST)
    page.wait_for_timeout(7000)  # answered heartbeats: no false alarm while the kernel lives
    expect(banner).to_be_hidden()
    # When the kernel ends (here: shut down as a closed tab's beacon would; a crash or a cull looks the same)
    status = page.evaluate(
        """async () => {
            const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf=')).split('=')[1];
            const answer = await fetch('/voila/api/shutdown/' + window.sipingKernel.id, {
                method: 'POST', body: new URLSearchParams({_xsrf: decodeURIComponent(xsrf)}),
            });
            return answer.status;
        }"""
    )
    assert status == 204
    # Then the page says so, on top of everything, and offers a reload
    expect(banner).to_be_visible(timeout=30_000)
    assert page.get_by_role("alert").filter(has_text=LOST).count() == 1


def test_a_click_acts_on_what_the_screen_shows_even_while_the_kernel_is_busy(voila_server, browser, open_page):
    """ordering.ipynb: each change of the field keeps the kernel busy for a second; the button reports the
    value the kernel has when the click arrives. Typed while the kernel is busy, then clicked at once."""
    from pathlib import Path

    fixtures = Path(__file__).resolve().parent / "fixtures"
    server = voila_server(fixtures, "voila-ordering.log", ["--SipingVoila.extra_pages=ordering.ipynb"])
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        open_page(page, server.render_url("ordering.ipynb"), "未提交", timeout=60)
        page.wait_for_function("() => window.sipingOrdered === true", timeout=30_000)
        field = page.get_by_label("内容")
        field.press_sequentially("a")  # the kernel is now busy for a second with "a"
        page.wait_for_timeout(100)
        field.press_sequentially("bc最后")  # held back by ipywidgets until the kernel answers
        page.get_by_role("button", name="提交").click()  # at once
        expect(page.get_by_text("提交时：", exact=False)).to_have_text("提交时：abc最后", timeout=30_000)
    finally:
        context.close()
