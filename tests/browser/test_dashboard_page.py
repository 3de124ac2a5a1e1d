"""The 总览 page in a real browser: it opens without errors, shows its table and charts, drills down,
and never scrolls sideways on a phone."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

NOTEBOOK = "dashboard.ipynb"
TITLE = "街道党支部标准化规范化考评总览"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
PHONE = {"width": 390, "height": 844}


def _open(page, voila_notebooks, open_page, page_problems) -> float:
    seconds = open_page(page, voila_notebooks.render_url(NOTEBOOK), TITLE, timeout=60)
    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
    return seconds


def _pick_branch(page, text_fragment: str, timeout_ms: float = 15_000) -> float:
    """Choose the branch whose option contains ``text_fragment``; wait for its detail. Returns seconds."""
    picker = page.locator(".siping-dashboard select").first
    option = picker.locator("option", has_text=text_fragment).first
    value = option.get_attribute("value")
    label = option.inner_text().strip()
    started = time.monotonic()
    picker.select_option(value=value)
    page.locator(".siping-detail h4", has_text=label).wait_for(state="visible", timeout=timeout_ms)
    seconds = time.monotonic() - started
    page.wait_for_function(
        "() => [...document.querySelectorAll('.siping-dashboard img')].every(i => i.complete)",
        timeout=timeout_ms,
    )
    return seconds


def _page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def _sideways_scrollers(page) -> list[str]:
    """Elements that scroll sideways, other than our own table boxes (.siping-scroll).

    Voila's lab template scrolls the page inside a panel, not the document: checking only
    ``document.documentElement.scrollWidth`` would miss a page that is too wide.
    """
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
    """Voila scrolls inside a panel, so a full_page screenshot shows one screen: grow the viewport."""
    ARTIFACTS.mkdir(exist_ok=True)
    viewport = page.viewport_size
    height = page.evaluate("() => document.querySelector('.siping-dashboard').scrollHeight")
    page.set_viewport_size({"width": viewport["width"], "height": min(int(height) + 120, 16_000)})
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    page.set_viewport_size(viewport)
    return path


def test_dashboard_shows_results_charts_and_branch_detail(page, voila_notebooks, open_page, page_problems):
    # Given the 总览 page, opened at desktop width
    seconds = _open(page, voila_notebooks, open_page, page_problems)

    # Then the summary, the results table and the charts are visible
    for label in ("支部数", "达标", "最强资格", "未完成", "软弱涣散", "被否决"):
        assert page.locator(".siping-stat", has_text=label).first.is_visible()
    table = page.locator(".siping-results table")
    table.wait_for(state="visible", timeout=10_000)
    assert table.locator("tbody tr").count() >= 20
    charts = page.locator(".siping-dashboard img")
    charts.first.wait_for(state="visible", timeout=10_000)
    assert charts.first.evaluate("image => image.complete && image.naturalWidth > 0")
    assert page.get_by_text("被否决的支部").first.is_visible()

    # When a visitor picks the third branch, Then its detail and its 五强 radar replace the first's
    third = page.locator(".siping-dashboard select option").nth(2).inner_text().strip()
    pick_seconds = _pick_branch(page, third)
    detail = page.locator(".siping-detail")
    for heading in ("“最强党支部”否决规则", "组织生活", "组织设置", "资格说明"):
        assert detail.get_by_text(heading).first.is_visible()
    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
    assert _sideways_scrollers(page) == []
    _screenshot_whole_page(page, "dashboard-desktop.png")
    print(f"dashboard usable after {seconds:.2f} s; branch detail after {pick_seconds:.2f} s")


def test_dashboard_fits_a_phone_without_sideways_scroll(browser, voila_notebooks, open_page, page_problems):
    # Given a phone-sized browser
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        # When the page has opened and a branch is chosen
        _open(page, voila_notebooks, open_page, page_problems)
        page.locator(".siping-dashboard img").first.wait_for(state="visible", timeout=10_000)
        second = page.locator(".siping-dashboard select option").nth(1).inner_text().strip()
        _pick_branch(page, second)

        _screenshot_whole_page(page, "dashboard.png")

        # Then nothing makes the page wider than the screen: wide tables scroll inside their own box
        assert _page_width(page) <= PHONE["width"], _page_width(page)
        assert _sideways_scrollers(page) == []
        results_box = page.locator(".siping-results")
        assert results_box.evaluate("box => box.scrollWidth > box.clientWidth"), "the table should scroll in its box"
        widest_image = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('.siping-dashboard img')]"
            ".map(image => image.getBoundingClientRect().right))"
        )
        assert widest_image <= PHONE["width"]
    finally:
        context.close()
