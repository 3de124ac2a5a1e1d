"""The 总览 page in a real browser, on its own Voila whose kernels see a temporary database
(ASSESSMENT_DATABASE_URL) holding the demo street for 2023–2025 with workflow statuses: it opens
without errors, shows the targets over the years, the funnel, the weak branches and the budget,
follows a change of year, offers the Excel file, drills down to a branch, and never scrolls sideways
on a phone. The page is for signed-in staff: each test signs in first (an 分析 account: every street),
and a visitor who has not lands on the sign-in page."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pagekit import screenshot_whole_page, serve_with_database, sideways_scrollers

from assessment.demo.street import generate_demo_years
from assessment.rubric import load_rubric
from assessment.store import Store
from tests.factories import STAFF_PASSWORD, add_staff

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
NOTEBOOK = "overview.ipynb"
TITLE = "街道党支部标准化规范化考评总览"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
PHONE = {"width": 390, "height": 844}
ANALYST = "王分析"  # an 分析 account: it sees every street


def seed_database(url: str) -> None:
    """The demo street as scripts/serve.sh imports it: three years, one import per year."""
    rubric = load_rubric()
    with Store(url, rubric=rubric) as store:
        for year, inputs in generate_demo_years(rubric).items():
            store.records.import_inputs(
                inputs, year=year, evaluator="演示数据", rubric_version=rubric.version, source="示例"
            )
        seed_workflow(store, rubric)
        add_staff(store, ANALYST, "分析")


def seed_workflow(store, rubric) -> None:
    """Workflow statuses, when the demo can seed them (assessment.demo.workflow)."""
    try:
        from assessment.demo.workflow import seed_demo_workflow
    except ImportError:
        return
    seed_demo_workflow(store, rubric)


@pytest.fixture(scope="module")
def overview_server(voila_server, tmp_path_factory):
    """A Voila of its own serving a copy of notebooks/overview.ipynb, its kernels pointed at a fresh
    database (see test_evaluate_page.py: the shared servers keep this process's environment)."""
    root = tmp_path_factory.mktemp("overview-page")
    url = f"sqlite:///{root}/t.sqlite"
    seed_database(url)
    # How many branches hold a 最强 designation at each year's end: which demo designations could be made
    # depends on today (a branch whose term is already over is not designated), so it is read, not written.
    from assessment.analysis import overview as ov

    with Store(url) as store:
        street = ov.load_street(store, store.rubric)
    DESIGNATED.update({row.year: row.strongest_designated for row in ov.target_progress(street)})
    server = serve_with_database(voila_server, root, NOTEBOOK, url, "voila-overview.log")
    return server


DESIGNATED: dict[int, int] = {}  # year → 已评定最强 of the seeded demo (overview_server)


def _open(page, server, open_page, page_problems, sign_in) -> float:
    sign_in(page, server, ANALYST, STAFF_PASSWORD)
    seconds = open_page(page, server.render_url(NOTEBOOK), TITLE, timeout=90)
    page.get_by_text(f"已登录：{ANALYST}（分析）").wait_for(state="visible", timeout=30_000)
    page.locator(".siping-results table").wait_for(state="visible", timeout=30_000)
    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
    return seconds


def _wait_images(page, timeout_ms: float = 15_000) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.siping-overview img')].every(i => i.complete)",
        timeout=timeout_ms,
    )


def _pick_branch(page, text_fragment: str, timeout_ms: float = 15_000) -> float:
    """Choose the branch whose option contains ``text_fragment``; wait for its detail. Returns seconds."""
    picker = page.get_by_label("选择支部")
    option = picker.locator("option", has_text=text_fragment).first
    value = option.get_attribute("value")
    label = option.inner_text().strip()
    started = time.monotonic()
    picker.select_option(value=value)
    page.locator(".siping-detail h4", has_text=label).wait_for(state="visible", timeout=timeout_ms)
    seconds = time.monotonic() - started
    _wait_images(page, timeout_ms)
    return seconds


def _pick_year(page, year: int, timeout_ms: float = 20_000) -> float:
    started = time.monotonic()
    page.get_by_label("年度", exact=True).select_option(label=f"{year}年")
    page.locator(".siping-subtitle", has_text=f"{year}年度").wait_for(state="visible", timeout=timeout_ms)
    page.locator(".siping-funnel", has_text=f"{year}年度").wait_for(state="visible", timeout=timeout_ms)
    seconds = time.monotonic() - started
    _wait_images(page, timeout_ms)
    return seconds


def _stat(page, key: str) -> str:
    return page.locator(f'.siping-stat[data-key="{key}"] div').first.inner_text().strip()


def test_overview_shows_the_street_over_the_years_and_follows_the_year(
    page, overview_server, open_page, page_problems, sign_in
):
    # Given the 总览 page, opened at desktop width on the latest year
    seconds = _open(page, overview_server, open_page, page_problems, sign_in)
    _wait_images(page)
    assert page.locator(".siping-subtitle", has_text="2025年度").is_visible()

    # Then the summary, the targets over the years, the funnel, weak branches, budget and results show
    for label in ("支部数", "达标", "最强资格", "已评定最强", "未完成", "软弱涣散", "被否决"):
        assert page.locator(".siping-stat", has_text=label).first.is_visible()
    assert _stat(page, "standardized") == "38"  # as DEMO_COUNTS in tests/test_overview_app.py
    targets = page.locator(".siping-targets table")
    assert targets.locator("tbody tr").count() == 3
    assert page.get_by_text("“力争”目标").first.is_visible()
    funnel = page.locator(".siping-funnel").inner_text()
    assert "自评中" in funnel and "待区委验收" in funnel
    # the demo's workflow: designated in 2025 and earlier designations still valid
    assert DESIGNATED[2025] > 0 and _stat(page, "designated") == str(DESIGNATED[2025])
    assert page.locator(".siping-weak table tbody tr").count() == 7
    assert page.locator(".siping-budget").get_by_text("待定").first.is_visible()
    assert page.locator(".siping-results table tbody tr").count() == 60
    assert page.get_by_text("被否决的支部").first.is_visible()
    images = page.locator(".siping-overview img")
    assert images.count() >= 6
    assert images.first.evaluate("image => image.complete && image.naturalWidth > 0")

    # When the visitor picks 2023, Then every figure follows
    year_seconds = _pick_year(page, 2023)
    assert _stat(page, "standardized") == "27"
    # The parts of the page render one after another: wait for each (a loaded machine is slower)
    page.locator(".siping-weak", has_text="本年度目标：动态清零").wait_for(state="visible", timeout=20_000)
    page.locator(".siping-year-targets", has_text="力争40%以上").wait_for(state="visible", timeout=20_000)
    assert _stat(page, "designated") == str(DESIGNATED[2023])  # every qualified branch whose term runs

    # When they ask for the Excel file, Then a download link brings a workbook of that year
    page.get_by_role("button", name="生成Excel文件").click()
    link = page.locator("a.siping-download")
    link.wait_for(state="visible", timeout=30_000)
    assert "2023年度" in link.inner_text()
    with page.expect_download(timeout=30_000) as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "全区考评总览_2023年度.xlsx"  # the demo's two streets
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert book["说明"]["B3"].value == "2023年度" and len(book["图表"]._images) >= 5

    # When they pick the third branch, Then its detail and 五强 radar replace the first's
    third = page.get_by_label("选择支部").locator("option").nth(2).inner_text().strip()
    pick_seconds = _pick_branch(page, third)
    detail = page.locator(".siping-detail")
    for heading in ("“最强党支部”否决规则", "组织生活", "组织设置", "资格说明", "流程状态"):
        assert detail.get_by_text(heading).first.is_visible()

    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
    assert sideways_scrollers(page) == []
    _pick_year(page, 2025)
    screenshot_whole_page(page, "overview-desktop.png", ".siping-overview")
    print(
        f"overview usable after {seconds:.2f} s; year switch {year_seconds:.2f} s; "
        f"branch detail after {pick_seconds:.2f} s"
    )


def test_overview_fits_a_phone_without_sideways_scroll(browser, overview_server, open_page, page_problems, sign_in):
    # Given a phone-sized browser
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        # When the page has opened, a branch is chosen and the Excel link is offered
        _open(page, overview_server, open_page, page_problems, sign_in)
        _wait_images(page)
        second = page.get_by_label("选择支部").locator("option").nth(1).inner_text().strip()
        _pick_branch(page, second)
        page.get_by_role("button", name="生成Excel文件").click()
        page.locator("a.siping-download").wait_for(state="visible", timeout=30_000)

        screenshot_whole_page(page, "overview.png", ".siping-overview")

        # Then nothing makes the page wider than the screen: wide tables scroll inside their own box
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert sideways_scrollers(page) == []
        results_box = page.locator(".siping-results")
        assert results_box.evaluate("box => box.scrollWidth > box.clientWidth"), "the table should scroll in its box"
        widest = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('.siping-overview img, .siping-overview select,"
            " .siping-download')].map(element => element.getBoundingClientRect().right))"
        )
        assert widest <= PHONE["width"]
        assert page_problems(page) == []
    finally:
        context.close()


def test_without_signing_in_the_page_is_the_sign_in_page_and_shows_no_branch(page, overview_server):
    # A visitor with only the page's address (no session cookie) gets the sign-in page, no kernel, no data
    page.goto(overview_server.render_url(NOTEBOOK), wait_until="load", timeout=60_000)
    page.get_by_text("工作人员登录").first.wait_for(state="visible", timeout=30_000)
    assert "/login" in page.url
    text = page.locator("body").inner_text()
    assert "JD0" not in text and TITLE not in text and "达标" not in text
    assert page.locator(".siping-overview").count() == 0
