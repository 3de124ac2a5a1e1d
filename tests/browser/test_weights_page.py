"""The 权重分析 page in a real browser, on its own Voila whose kernels see a temporary database
(ASSESSMENT_DATABASE_URL) holding the demo street's 2025 as submitted results: the page scores those (not
the demo workbook), by year and street; move a weight, see the others rebalance and the ranking change;
save the draft as a new version (the change list in the rubric's words first, then 确认保存) and see the
header name it; no sideways scroll on a phone.
The page is for signed-in staff: each test signs in first (an 分析 account, which may save versions), a
区委 account may try settings but not save, and a visitor who has not signed in lands on the sign-in page."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pagekit import screenshot_whole_page, serve_with_database, sideways_scrollers

from assessment.demo.street import generate_demo
from assessment.store import Store
from tests.factories import STAFF_PASSWORD, add_staff

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"

NOTEBOOK = "weights.ipynb"
TITLE = "评分标准权重与阈值分析"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
PHONE = {"width": 390, "height": 844}
ORG = ".siping-setting-channels-org"
MEMBER = ".siping-setting-channels-member"
ANALYST = "王分析"  # an 分析 account: may save rubric versions
DISTRICT = "李区委"  # a 区委 account: may look and try, not save


@pytest.fixture(scope="module")
def weights_server(voila_server, tmp_path_factory):
    """A Voila of its own serving notebooks/weights.ipynb, its kernels pointed at a fresh database holding
    the demo street's 2025 as submitted (the page scores those, reads the current rubric version from it
    and saves new versions into it; see test_evaluate_page.py)."""
    root = tmp_path_factory.mktemp("weights-page")
    url = f"sqlite:///{root}/t.sqlite"
    with Store(url) as store:
        rubric = store.rubrics.current()
        demo = generate_demo(rubric)
        store.records.import_inputs(demo, year=2025, evaluator="张三", rubric_version=rubric, source="demo.xlsx")
        add_staff(store, ANALYST, "分析")
        add_staff(store, DISTRICT, "区委")
    server = serve_with_database(voila_server, root, NOTEBOOK, url, "voila-weights.log")
    return server


def _open(page, server, open_page, page_problems, sign_in, name: str = ANALYST, role: str = "分析") -> float:
    sign_in(page, server, name, STAFF_PASSWORD)
    seconds = open_page(page, server.render_url(NOTEBOOK), TITLE, timeout=90)
    page.get_by_text(f"已登录：{name}（{role}）").first.wait_for(state="visible", timeout=30_000)
    page.locator(".siping-ranking table").wait_for(state="visible", timeout=30_000)
    # the database's submissions, not the demo workbook
    assert page.get_by_text("数据：考评数据库").first.is_visible()
    assert page.get_by_text("以下为演示数据").count() == 0
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


def test_moving_a_weight_rebalances_and_changes_the_ranking(page, weights_server, open_page, page_problems, sign_in):
    # Given the page at desktop width, nothing changed yet
    seconds = _open(page, weights_server, open_page, page_problems, sign_in)
    assert page.get_by_text("所有支部的排名和结果都没有变化").first.is_visible()
    assert page.get_by_text("调整一项权重时，其余未锁定的权重按比例缩放，合计始终为 1").first.is_visible()
    assert _changed_rows(page) == 0
    first_rows = page.locator(".siping-ranking tbody tr").first.inner_text()
    assert _readout(page, MEMBER).inner_text().strip() == "0.20"
    assert page.get_by_text("2025年度 · 全区（所有街道）").first.is_visible()
    # Given 西城街道 picked: only its branches (JD002, not JD001)
    page.get_by_label("街道", exact=True).select_option(label="西城街道")
    page.get_by_text("2025年度 · 西城街道 · ").first.wait_for(state="visible", timeout=20_000)
    # The heading is drawn before the ranking: wait for the ranking itself to hold only 西城's branches.
    page.wait_for_function(
        """() => document.querySelectorAll('.siping-ranking tr[data-branch="JD001"]').length === 0
                 && document.querySelectorAll('.siping-ranking tr[data-branch="JD002"]').length === 1""",
        timeout=20_000,
    )

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
    assert sideways_scrollers(page) == []
    screenshot_whole_page(page, "weights-desktop.png", ".siping-weights")
    print(f"weights page usable after {seconds:.2f} s; weight change → table after {round_trip:.2f} s")


def test_weights_page_fits_a_phone(browser, weights_server, open_page, page_problems, sign_in):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        _open(page, weights_server, open_page, page_problems, sign_in)
        _set_slider(page, ORG, "0.30")
        page.locator(".siping-ranking tr.siping-changed").first.wait_for(state="visible", timeout=20_000)
        # the sensitivity section runs from the page too
        page.get_by_role("button", name="运行").click()
        page.get_by_text("共模拟200次").first.wait_for(state="visible", timeout=30_000)
        screenshot_whole_page(page, "weights.png", ".siping-weights")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE["width"], width
        assert sideways_scrollers(page) == []
        assert page_problems(page) == []
    finally:
        context.close()


def test_saving_a_version_shows_the_diff_then_its_number(page, weights_server, open_page, page_problems, sign_in):
    # Given the page of 王分析 (分析), and 组织评定 moved to 0.50
    _open(page, weights_server, open_page, page_problems, sign_in)
    _set_slider(page, ORG, "0.50")
    page.locator(".siping-ranking tr.siping-changed").first.wait_for(state="visible", timeout=20_000)
    # When the analyst gives a note and clicks 保存为新版本 (the author is who signed in: no name to type)
    assert page.get_by_text(f"修改人：{ANALYST}（分析）").first.is_visible()
    assert page.get_by_label("修改人").count() == 0
    page.get_by_label("修改说明").fill("提高组织评定的权重")
    page.get_by_role("button", name="保存为新版本").click()
    # Then the change list against the current version is shown, in the rubric's words, and nothing is
    # stored before 确认保存
    page.get_by_text("与当前版本相比有").first.wait_for(state="visible", timeout=20_000)
    diff = page.locator(".siping-diff")
    assert diff.get_by_text("组织评定 权重").first.is_visible() and "40% → 50%" in diff.inner_text()
    assert "channels[" not in diff.inner_text()
    assert page.get_by_text("当前评分标准版本 2026.2").first.is_visible()
    with Store(weights_server.database_url) as store:
        assert [v.version for v in store.rubrics.versions()] == ["2026.2"]
    page.get_by_role("button", name="确认保存").click()
    # Then the page names the new version, which is now the database's current one
    page.get_by_text("已保存为新版本 2026.3").first.wait_for(state="visible", timeout=20_000)
    # And the header names it, and the comparison is against it
    page.get_by_text("当前评分标准版本 2026.3").first.wait_for(state="visible", timeout=20_000)
    assert page.get_by_text("当前评分标准版本 2026.2").count() == 0
    assert page.get_by_text("与当前版本（2026.3）相比").first.is_visible()
    with Store(weights_server.database_url) as store:
        assert store.rubrics.current().version == "2026.3"
        assert store.rubrics.versions()[-1].author == ANALYST
        # (back to 2026.2, so that the other tests of this module open the page as they expect)
        store.rubrics.set_current("2026.2", by="测试", reason="还原")
    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []


def test_a_district_account_may_try_settings_but_not_save(page, weights_server, open_page, page_problems, sign_in):
    _open(page, weights_server, open_page, page_problems, sign_in, DISTRICT, "区委")
    _set_slider(page, ORG, "0.50")
    page.locator(".siping-ranking tr.siping-changed").first.wait_for(state="visible", timeout=20_000)
    assert page.get_by_text("你的账户（区委）不能保存评分标准版本").first.is_visible()
    assert page.get_by_role("button", name="保存为新版本").count() == 0
    assert page.get_by_label("修改说明").count() == 0
    with Store(weights_server.database_url) as store:
        assert store.rubrics.current().version == "2026.2"
    assert page_problems(page) == []


def test_without_signing_in_the_page_is_the_sign_in_page(page, weights_server):
    page.goto(weights_server.render_url(NOTEBOOK), wait_until="load", timeout=60_000)
    page.get_by_text("工作人员登录").first.wait_for(state="visible", timeout=30_000)
    assert "/login" in page.url
    text = page.locator("body").inner_text()
    assert TITLE not in text and "JD0" not in text and "保存为新版本" not in text
    assert page.locator(".siping-weights").count() == 0
