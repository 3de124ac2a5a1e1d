"""The 权重分析 page in a real browser: move a weight, see the others rebalance and the ranking change;
no sideways scroll on a phone."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

NOTEBOOK = "weights.ipynb"
TITLE = "评分标准权重与阈值分析"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
PHONE = {"width": 390, "height": 844}
ORG = ".siping-setting-channels-org"
MEMBER = ".siping-setting-channels-member"


def _open(page, voila_notebooks, open_page, page_problems) -> float:
    seconds = open_page(page, voila_notebooks.render_url(NOTEBOOK), TITLE, timeout=90)
    page.locator(".siping-ranking table").wait_for(state="visible", timeout=30_000)
    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
    return seconds


def _readout(page, selector: str):
    return page.locator(f"{selector} .widget-readout").first


def _set_slider(page, selector: str, value: str) -> None:
    """Type into the slider's readout, as a user may (ipywidgets 8 makes it editable), and press Enter."""
    readout = _readout(page, selector)
    readout.scroll_into_view_if_needed()
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.keyboard.press("Enter")


def _changed_rows(page) -> int:
    return page.locator(".siping-ranking tr.siping-changed").count()


def _sideways_scrollers(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('*')].filter(element => {
                const overflow = getComputedStyle(element).overflowX;
                return (overflow === 'auto' || overflow === 'scroll')
                    && element.scrollWidth > element.clientWidth + 1
                    && !element.classList.contains('siping-scroll');
            }).map(element => `${element.tagName}.${[...element.classList].join('.')}`
                + ` ${element.scrollWidth}>${element.clientWidth}`)"""
    )


def _screenshot_whole_page(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    viewport = page.viewport_size
    height = page.evaluate("() => document.querySelector('.siping-weights').scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height) + 120, 16_000)})
    path = ARTIFACTS / name
    page.wait_for_timeout(300)
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    return path


def test_moving_a_weight_rebalances_and_changes_the_ranking(page, voila_notebooks, open_page, page_problems):
    # Given the page at desktop width, nothing changed yet
    seconds = _open(page, voila_notebooks, open_page, page_problems)
    assert page.get_by_text("所有支部的排名和结果都没有变化").first.is_visible()
    assert page.get_by_text("调整一项权重时，其余未锁定的权重按比例缩放，合计始终为 1").first.is_visible()
    assert _changed_rows(page) == 0
    first_rows = page.locator(".siping-ranking tbody tr").first.inner_text()
    assert _readout(page, MEMBER).inner_text().strip() == "0.20"

    # When the analyst sets 组织评定 to 0.70
    started = time.monotonic()
    _set_slider(page, ORG, "0.70")

    # Then the other weights rebalance, and the ranking table changes with highlighted rows
    page.locator(".siping-ranking tr.siping-changed").first.wait_for(state="visible", timeout=20_000)
    round_trip = time.monotonic() - started
    page.wait_for_function(
        """() => [...document.querySelectorAll('.siping-setting-channels-member .widget-readout')]
                 .some(e => e.innerText.trim() === '0.10')""",
        timeout=10_000,
    )
    assert _readout(page, ORG).inner_text().strip() == "0.70"
    assert page.get_by_text("个支部排名变化").first.is_visible()
    assert _changed_rows(page) > 0
    assert page.locator(".siping-ranking tbody tr").first.inner_text() != first_rows or _changed_rows(page) > 0
    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
    assert _sideways_scrollers(page) == []
    _screenshot_whole_page(page, "weights-desktop.png")
    print(f"weights page usable after {seconds:.2f} s; weight change → table after {round_trip:.2f} s")


def test_weights_page_fits_a_phone(browser, voila_notebooks, open_page, page_problems):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _open(page, voila_notebooks, open_page, page_problems)
        _set_slider(page, ORG, "0.30")
        page.locator(".siping-ranking tr.siping-changed").first.wait_for(state="visible", timeout=20_000)
        # the sensitivity section runs from the page too
        page.get_by_role("button", name="运行").click()
        page.get_by_text("共模拟200次").first.wait_for(state="visible", timeout=30_000)
        _screenshot_whole_page(page, "weights.png")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        assert _sideways_scrollers(page) == []
        assert page_problems(page) == []
    finally:
        context.close()
