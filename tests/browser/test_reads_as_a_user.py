"""Each page read as its user reads it (issue 14): the visible text holds no raw ids (``annual_review``,
``channels[``), no “UTC”, no English words but the names people use (PDF, Excel, WPS, csv, xlsx), and
nothing is wider than the screen at 1366 px and at 390 px. The pages are opened as their own tests open
them (the servers and sign-in of test_evaluate_page, test_self_assess_page, test_overview_page and
test_weights_page)."""

from __future__ import annotations

import re

import pytest
from pagekit import sideways_scrollers
from test_evaluate_page import EVALUATOR, evaluate_server, open_branch, open_evaluate  # noqa: F401
from test_overview_page import _open as open_overview
from test_overview_page import (
    _pick_branch,
    overview_server,  # noqa: F401
)
from test_self_assess_page import NOTEBOOK as SELF_NOTEBOOK
from test_self_assess_page import self_server  # noqa: F401
from test_weights_page import (
    ORG,
    _set_slider,
    weights_server,  # noqa: F401
)
from test_weights_page import _open as open_weights

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)
# English a reader meets as names of things: file kinds and programs
ALLOWED_WORDS = {"PDF", "Excel", "WPS", "csv", "xlsx", "CSV", "XLSX"}
# Codes people do use: branch ids (JD001, B01), indicator numbers (s1, t2), an access code's 8-letter id
CODE = re.compile(r"^(?:[A-Z]{1,4}\d+|[a-z]\d{1,2}|[A-Z0-9]{8})$")
RAW_ID = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b|\b[a-z_]+\[")


def reading_problems(text: str) -> list[str]:
    """What a reader should not meet in ``text``: raw ids, UTC, English words."""
    problems = [f"raw id: {m}" for m in sorted(set(RAW_ID.findall(text)))]
    if "UTC" in text:
        problems.append("UTC")
    for match in re.finditer(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*", text):
        word = match.group()
        if word not in ALLOWED_WORDS and not CODE.match(word):
            around = text[max(0, match.start() - 15) : match.end() + 15].replace("\n", " ")
            problems.append(f"English: {word} (…{around}…)")
    return problems


def fits(page) -> list[str]:
    """Nothing wider than the viewport: the document, and no box but our table boxes scrolls sideways."""
    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    problems = [] if wide[0] <= wide[1] else [f"page {wide[0]}px wide in a {wide[1]}px window"]
    return problems + sideways_scrollers(page)


def read_at_each_width(page, name: str, ready) -> None:
    """At 1366 px then 390 px: wait for ``ready(page)``, then read the page's text and measure it."""
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        page.wait_for_timeout(600)
        ready(page)
        text = page.locator("body").inner_text()
        found += [f"{width}px: {p}" for p in reading_problems(text) + fits(page)]
    assert found == [], name


def test_reading_problems_finds_what_it_should():
    # The check itself: ids, UTC and English are found, the allowed names and codes are not
    found = reading_problems("否决规则：annual_review；channels[0]；2025-07-01 05:30 UTC；Loading")
    assert {"raw id: annual_review", "raw id: channels[", "UTC"} <= set(found)
    assert any(p.startswith("English: Loading") for p in found)
    assert reading_problems("JD001 红旗村党支部 s1 下载 Excel（xlsx）或 PDF；版本 2026.1") == []


def test_the_evaluate_page_reads_as_a_user(page, evaluate_server, open_page, page_problems, sign_in):  # noqa: F811
    open_evaluate(page, evaluate_server, open_page, page_problems, sign_in)
    open_branch(page, "JD001")

    def ready(page):
        page.locator(".siping-panel .siping-composite").wait_for(state="visible", timeout=30_000)

    read_at_each_width(page, "evaluate", ready)


def test_the_self_assessment_page_reads_as_a_user(self_server, page, open_page):  # noqa: F811
    url = self_server.render_url(SELF_NOTEBOOK) + f"?code={self_server.codes['JD001']}"
    open_page(page, url, "当前状态：", timeout=90)

    def ready(page):
        page.locator(".siping-item").first.wait_for(state="visible", timeout=30_000)

    read_at_each_width(page, "self-assess", ready)


def test_the_overview_reads_as_a_user(page, overview_server, open_page, page_problems, sign_in):  # noqa: F811
    open_overview(page, overview_server, open_page, page_problems, sign_in)

    def ready(page):
        page.locator(".siping-results table").wait_for(state="visible", timeout=30_000)

    read_at_each_width(page, "overview", ready)
    # On the phone the budget table scrolls in its own box, and a hint above it says so
    budget = page.locator(".siping-scroll.siping-budget")
    assert budget.evaluate("box => box.scrollWidth > box.clientWidth && getComputedStyle(box).overflowX === 'auto'")
    assert page.locator(".siping-scroll-hint").first.is_visible()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.wait_for_timeout(300)
    assert not page.locator(".siping-scroll-hint").first.is_visible()

    # A branch's detail reads the same way
    _pick_branch(page, "JD001")

    def detail(page):
        page.locator(".siping-detail").wait_for(state="visible", timeout=30_000)

    read_at_each_width(page, "overview-detail", detail)


def cut_lines(page, selector: str) -> list[str]:
    """Boxes of ``selector`` that scroll down and whose height is not a whole number of lines."""
    return page.evaluate(
        """selector => [...document.querySelectorAll(selector)].filter(box => {
                if (box.scrollHeight <= box.clientHeight + 1) return false;
                const line = parseFloat(getComputedStyle(box).lineHeight);
                const lines = box.clientHeight / line;
                return Math.abs(lines - Math.round(lines)) > 0.05;
            }).map(box => `${box.className} ${box.clientHeight}px / ${getComputedStyle(box).lineHeight}`)""",
        selector,
    )


def test_the_weights_page_reads_as_a_user(page, weights_server, open_page, page_problems, sign_in):  # noqa: F811
    open_weights(page, weights_server, open_page, page_problems, sign_in)

    def ready(page):
        page.locator(".siping-ranking table").wait_for(state="visible", timeout=30_000)

    read_at_each_width(page, "weights", ready)

    # With a weight moved, the lists of changes and of changed branches read the same way, and a list that
    # scrolls shows whole lines
    page.set_viewport_size({"width": 1366, "height": 900})
    _set_slider(page, ORG, "0.70")

    def changed(page):
        page.locator(".siping-ranking tr.siping-changed").first.wait_for(state="visible", timeout=20_000)
        page.locator(".siping-change-list").first.wait_for(state="visible", timeout=20_000)

    read_at_each_width(page, "weights-changed", changed)
    assert page.locator(".siping-changed-list li").count() > 12  # enough branches for the list to scroll
    assert cut_lines(page, ".siping-changed-list, .siping-hangs") == []
