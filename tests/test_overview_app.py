"""The 总览 app driven in Python, without a browser: set widget values, then read what it shows."""

from __future__ import annotations

import base64
import html
import io
import logging
import re

import ipywidgets as widgets
import pytest
from openpyxl import load_workbook

from assessment import display
from assessment.demo.street import generate_demo_years
from assessment.outputs import charts
from assessment.pages.identity import NOT_SIGNED_IN, SESSION_ENV, SIGNED_OUT, Session
from assessment.pages.overview import app as overview_page
from assessment.pages.overview.app import OverviewApp, overview_app
from assessment.rubric import load_rubric
from assessment.scoring import score
from assessment.store import Store
from assessment.store.accounts import Identity
from tests.factories import STAFF_PASSWORD, add_staff, make_inputs

YEAR = 2025
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The demo street's counts per year, written out (tests/test_overview_demo.py pins the same street's
# 达标/最强资格/软弱涣散 over the years), so that the page is not checked against its own summary code.
DEMO_COUNTS = {
    2023: {"branches": "60", "standardized": "27", "strongest": "3", "incomplete": "0", "weak": "16", "vetoed": "56"},
    2024: {"branches": "60", "standardized": "34", "strongest": "5", "incomplete": "0", "weak": "11", "vetoed": "52"},
    2025: {"branches": "60", "standardized": "38", "strongest": "7", "incomplete": "3", "weak": "7", "vetoed": "51"},
}
# Workflow statuses for the app: 2025 in progress, 2023 finished.
STATUSES = {
    2023: {"JD001": "strongest", "JD002": "standardized", "JD003": "failed"},
    2024: {},
    2025: {"JD001": "strongest", "JD004": "strongest", "JD002": "district_check", "JD005": "applied"},
}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def staff(name: str = "李四", role: str = "区委", street: str | None = None) -> Identity:
    """A signed-in person, as the server would know them (the roles of the package's workflow.yaml)."""
    (account_role,) = (r for r in load_rubric().workflow.accounts if r.label == role)
    return Identity(name, account_role, street)


DISTRICT_STAFF = staff()


@pytest.fixture(scope="module")
def demo_years(rubric):
    return generate_demo_years(rubric)


@pytest.fixture(scope="module")
def results(rubric, demo_years):
    return {year: score(rubric, inputs, year=year) for year, inputs in demo_years.items()}


@pytest.fixture
def app(rubric, demo_years):
    return OverviewApp.from_inputs(rubric, demo_years, statuses=STATUSES, who=DISTRICT_STAFF)


@pytest.fixture
def log_records():
    """Records written by the apps' logger (it does not propagate to root, so caplog misses it)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("assessment.pages")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def shown_counts(app) -> dict[str, str]:
    return dict(re.findall(r'data-key="(\w+)".*?>([\d—]+)</div>', app.summary.value))


def all_html(app) -> str:
    parts = (app.title, app.error, app.summary, app.targets, app.funnel, app.stars_and_channels, app.weak)
    parts += (app.vetoed, app.budget, app.table, app.detail)
    return "\n".join(w.value for w in parts)


def funnel_counts(app) -> dict[str, int]:
    return {label: int(n) for label, n in re.findall(r"([\u4e00-\u9fff]+) (\d+)个", app.funnel.value)}


# ------------------------------------------------------------------ what the page shows
def test_title_names_the_year_and_rubric_version_and_the_latest_year_is_chosen(app, rubric):
    assert "街道党支部标准化规范化考评总览" in app.title.value
    assert "已登录：<b>李四（区委）</b>" in app.signed_in.value
    assert app.children.index(app.signed_in) == app.children.index(app.title) + 1
    assert f"{YEAR}年度" in app.title.value
    assert f"评分标准版本 {rubric.version}" in app.title.value
    assert app.error.value == ""
    assert app.state.year == YEAR and app.year_picker.value == YEAR
    assert [value for _, value in app.year_picker.options] == [2025, 2024, 2023]


def test_the_district_and_each_street_of_the_demo_are_listed(app):
    # (without 所属街道, one street and a note: tests/test_overview_streets.py)
    assert [value for _, value in app.street_picker.options] == [overview_page.DISTRICT, "东城街道", "西城街道"]
    assert app.street_picker.value == overview_page.DISTRICT and "60个支部" in app.street_picker.options[0][0]
    assert "东城街道（30个支部）" == app.street_picker.options[1][0]


def test_summary_counts_match_the_report_and_the_designations(app):
    assert shown_counts(app) == {**DEMO_COUNTS[YEAR], "designated": "2"}
    for label in ("支部数", "达标", "最强资格", "已评定最强", "未完成", "软弱涣散", "被否决"):
        assert f">{label}</div>" in app.summary.value


def test_targets_over_the_years_are_a_chart_and_a_table_with_the_aim_and_the_basis_explained(app):
    assert bytes(app.target_chart.value).startswith(PNG_SIGNATURE)
    targets = html.unescape(app.targets.value)
    for year in (2023, 2024, 2025):
        standardized = int(DEMO_COUNTS[year]["standardized"])
        assert display.count_share(standardized, 60) in targets
    assert "力争40%以上（评定为“最强党支部”）" in targets
    assert "50%以上（达到“最强党支部”标准）" in targets
    assert "“力争”目标" in targets
    # The chosen year's line names both 最强 figures
    year_line = html.unescape(app.summary.value)
    assert "已评定最强 3.3%（2/60）" in year_line
    assert "达到最强标准（最强资格）11.7%（7/60）" in year_line


def test_funnel_counts_each_status(app, rubric):
    counts = funnel_counts(app)
    assert counts["已评定最强"] == 2 and counts["待区委验收"] == 1 and counts["已申请"] == 1
    assert counts["自评中"] == 56 and counts["撤销"] == 0
    assert sum(counts.values()) == 60
    assert bytes(app.charts["funnel"].value).startswith(PNG_SIGNATURE)


def test_weak_list_and_budget(app, results, rubric):
    weak = results[YEAR].branches[results[YEAR].branches["weak"]]
    for branch_id, row in weak.iterrows():
        assert f">{branch_id}</td>" in app.weak.value
        assert html.escape(row["weak_reasons"]) in app.weak.value
    assert f"共{len(weak)}个" in app.weak.value
    budget = html.unescape(app.budget.value)
    # JD001 (社区) and JD004 (社区) designated 最强: 2 × 25,000 bonus, 2 × 6,000 funding uplift
    for text in ("区级以上“最强党支部”一次性专项绩效奖励", "25,000", "50,000", "12,000", "待定", "示例数值"):
        assert text in budget, text


def test_charts_are_png_images_that_shrink_to_the_screen(app):
    assert set(app.charts) == {"funnel", "stars", "channels", "vetoes", "ranking"}
    for image in [*app.charts.values(), app.target_chart]:
        assert isinstance(image, widgets.Image)
        assert bytes(image.value).startswith(PNG_SIGNATURE)
        assert image.layout.max_width == "100%"


def test_veto_section_lists_each_vetoed_branch_with_its_explanation(app, results):
    vetoes = results[YEAR].vetoes
    fired = vetoes[vetoes["passed"].eq(False).fillna(False)]
    assert len(fired) > 0
    for row in fired.itertuples():
        assert f"<b>{row.branch_id} " in app.vetoed.value
        assert html.escape(row.explanation) in app.vetoed.value
    order = re.findall(r'data-rule="(\w+)"', app.vetoed.value)
    assert order == [rule.id for rule in load_rubric().veto_rules]


def test_table_lists_every_branch_with_its_workflow_status(app, results):
    for branch_id in results[YEAR].branches.index:
        assert f'data-branch="{branch_id}"' in app.table.value
    assert 'class="siping-scroll siping-results"' in app.table.value
    assert "<th>流程状态</th>" in app.table.value
    assert re.search(r'data-branch="JD004">.*?<td class=nw>已评定最强</td></tr>', app.table.value)


# ------------------------------------------------------------------ the year picker drives everything
def test_switching_the_year_redraws_every_view(app, results):
    # Given the 2025 page
    before = {name: bytes(image.value) for name, image in app.charts.items()}
    views = ("summary", "funnel", "stars_and_channels", "weak", "vetoed", "budget", "table", "detail")
    html_before = {name: getattr(app, name).value for name in views}
    target_chart = bytes(app.target_chart.value)

    # When the visitor picks 2023
    app.year_picker.value = 2023

    # Then the state, the title and every view follow the year
    assert app.state.year == 2023
    assert "2023年度" in app.title.value and app.error.value == ""
    assert shown_counts(app) == {**DEMO_COUNTS[2023], "designated": "1"}
    counts = funnel_counts(app)
    assert counts["已评定最强"] == 1 and counts["已达标"] == 1 and counts["未通过"] == 1 and counts["自评中"] == 57
    assert "2023年度" in app.funnel.value
    assert "目标动态清零" in app.summary.value and "（本年度目标：动态清零）" in app.weak.value
    for name in views:
        assert getattr(app, name).value != html_before[name], name
    for name, image in app.charts.items():
        assert bytes(image.value) != before[name], name
    # The chart over the years does not depend on the chosen year
    assert bytes(app.target_chart.value) == target_chart
    # And the detail shows the same branch in 2023
    assert app.state.branch_id == "JD001"
    assert "已评定最强" in app.detail.value

    # When the visitor goes back to 2025, the 2025 page returns (charts from the cache)
    app.year_picker.value = 2025
    assert {name: bytes(image.value) for name, image in app.charts.items()} == before
    assert app.table.value == html_before["table"]


def test_a_year_without_workflow_records_says_so(rubric, demo_years):
    app = OverviewApp.from_inputs(rubric, demo_years, who=DISTRICT_STAFF)
    assert "没有考评验收流程的记录" in app.funnel.value
    assert app.charts["funnel"].layout.display == "none"
    assert shown_counts(app)["designated"] == "—"
    assert "无流程记录" in html.unescape(app.budget.value)


# ------------------------------------------------------------------ export
def test_export_offers_the_workbook_with_tables_and_charts(app):
    # When the visitor asks for the Excel file
    app.year_picker.value = 2024
    app.export_button.click()

    # Then a download link carries a workbook with the tables and the chart images
    assert app.error.value == ""
    link = app.download.value
    assert 'download="全区考评总览_2024年度.xlsx"' in link
    data = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", link).group(1))
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[:4] == ["说明", "年度目标", "各街道", "考评流程"] and book.sheetnames[-1] == "图表"
    assert len(book["图表"]._images) == 6
    assert book["说明"]["B3"].value == "2024年度"
    # And a year switch withdraws the link (it was for another year)
    app.year_picker.value = 2025
    assert app.download.value == ""


def test_a_failing_export_becomes_a_message(app, monkeypatch, log_records):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(overview_page, "build_overview_workbook", broken)
    app.export_button.click()
    assert overview_page.EXPORT_FAILED in html.unescape(app.error.value)
    assert "disk full" not in app.error.value
    assert log_records and log_records[-1].exc_info is not None


# ------------------------------------------------------------------ branch detail (kept from the first version)
def test_choosing_a_branch_redraws_its_detail(app, results):
    first, second = results[YEAR].branches.index[:2]
    assert app.state.branch_id == first
    assert f'data-branch="{first}"' in app.detail.value
    radar_before = bytes(app.radar.value)

    app.branch_picker.value = second

    assert app.state.branch_id == second
    detail = app.detail.value
    result = results[YEAR]
    assert f"{second} {html.escape(result.branches.loc[second, 'name'])}" in detail
    for row in result.vetoes[result.vetoes["branch_id"] == second].itertuples():
        assert html.escape(row.explanation) in detail
    for row in result.activities[result.activities["branch_id"] == second].itertuples():
        assert html.escape(row.type) in detail
    assert "流程状态" in detail and "待区委验收" in detail  # JD002 in 2025
    assert bytes(app.radar.value).startswith(PNG_SIGNATURE) and bytes(app.radar.value) != radar_before


def test_detail_shows_missing_months(rubric):
    from tests.factories import full_year_log

    log = [row for row in full_year_log("B1") if not (row["type"] == "支委会" and row["date"].startswith("2025-03"))]
    app = OverviewApp.from_inputs(rubric, make_inputs(rubric, activities=log), YEAR, who=DISTRICT_STAFF)
    assert "3月" in app.detail.value
    assert "未达到" in app.detail.value


def test_user_text_is_escaped_everywhere(rubric):
    evil = "<script>x</script>"
    inputs = make_inputs(
        rubric,
        branch={"name": evil},
        social=[{"branch_id": "B1", "department": "<b>某部门</b>", "compliant": False, "opinion": "<i>意见</i>"}],
    )
    app = OverviewApp.from_inputs(rubric, inputs, YEAR, statuses={YEAR: {"B1": "standardized"}}, who=DISTRICT_STAFF)
    page = all_html(app)
    assert evil not in page and "<b>某部门</b>" not in page
    assert html.escape(evil) in app.table.value
    assert html.escape(evil) in app.detail.value
    assert html.escape(evil) in app.vetoed.value
    assert "&lt;b&gt;某部门&lt;/b&gt;" in app.vetoed.value
    assert [label for label, _ in app.branch_picker.options] == [f"B1 {evil}"]  # a <select> shows text


# ------------------------------------------------------------------ the database, and failures
def seeded_database(tmp_path, rubric, demo_years) -> str:
    url = f"sqlite:///{tmp_path / 'overview.sqlite'}"
    with Store(url, rubric=rubric) as store:
        for year in (2023, 2025):
            store.records.import_inputs(
                demo_years[year], year=year, evaluator="演示数据", rubric_version=rubric.version, source="示例"
            )
    return url


def sign_in_env(monkeypatch, url: str, name: str = "王分析", role: str = "分析", street: str | None = None) -> str:
    """The kernel's environment as the server sets it: the database and a signed-in account's session."""
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", url)
    with Store(url) as store:
        token = add_staff(store, name, role, street)
    monkeypatch.setenv(SESSION_ENV, token)
    return token


def test_from_env_reads_every_year_of_the_database(tmp_path, monkeypatch, rubric, demo_years, results):
    sign_in_env(monkeypatch, seeded_database(tmp_path, rubric, demo_years))
    app = overview_app()
    assert isinstance(app, widgets.VBox) and app.error.value == ""
    assert "已登录：<b>王分析（分析）</b>" in app.signed_in.value
    assert "考评数据库" in app.title.value
    assert [value for _, value in app.year_picker.options] == [2025, 2023]
    # The database's reconciled submissions score as the inputs do; nobody has moved in the workflow yet
    assert shown_counts(app) == {**DEMO_COUNTS[2025], "designated": "0"}
    assert funnel_counts(app)["自评中"] == 60
    app.year_picker.value = 2023
    assert shown_counts(app)["standardized"] == DEMO_COUNTS[2023]["standardized"]


def test_an_empty_database_says_what_to_do(tmp_path, monkeypatch):
    sign_in_env(monkeypatch, f"sqlite:///{tmp_path / 'empty.sqlite'}")
    app = overview_app()
    assert app.error.value == ""
    assert "数据库中还没有考评数据" in app.notice.value
    assert app.table not in app.children


def test_a_failure_while_loading_is_caught(monkeypatch, tmp_path, log_records):
    def broken(_store):
        raise OSError("rubrics missing")

    sign_in_env(monkeypatch, f"sqlite:///{tmp_path / 'broken.sqlite'}")
    monkeypatch.setattr("assessment.store.rubric_versions.RubricVersions.current", broken)
    app = OverviewApp.from_env()
    assert overview_page.LOAD_FAILED in html.unescape(app.error.value)
    assert 'role="alert"' in app.error.value
    assert "rubrics missing" not in app.error.value and "Traceback" not in app.error.value
    assert app.table not in app.children
    assert log_records and log_records[-1].exc_info is not None


def test_a_failure_while_drawing_a_year_is_caught(app, monkeypatch, log_records):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(charts, "star_distribution", broken)
    app.year_picker.value = 2024
    assert overview_page.YEAR_FAILED in html.unescape(app.error.value)
    assert log_records and log_records[-1].exc_info is not None
    monkeypatch.undo()
    app.year_picker.value = 2023
    assert app.error.value == ""


def test_a_failure_in_a_callback_becomes_a_message_not_an_exception(app, monkeypatch, results, log_records):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(charts, "five_strong_radar", broken)
    app.branch_picker.value = results[YEAR].branches.index[3]
    assert overview_page.DETAIL_FAILED in html.unescape(app.error.value)
    assert log_records and log_records[-1].exc_info is not None

    monkeypatch.undo()
    app.branch_picker.value = results[YEAR].branches.index[4]
    assert app.error.value == ""
    assert f'data-branch="{results[YEAR].branches.index[4]}"' in app.detail.value


# ------------------------------------------------------------------ who may look
def assert_shows_no_data(app) -> None:
    """Only the notice: no picker, no figure, no branch, nothing to export."""
    assert html.escape(NOT_SIGNED_IN) in app.error.value
    assert app.street is None and app.district is None and app.who is None
    assert app.children == (app.children[0], app.title, app.signed_in, app.error, app.notice)
    assert app.signed_in.value == "" and app.notice.value == ""
    assert "评分标准版本" not in app.title.value
    assert all(not widget.options for widget in (app.street_picker, app.year_picker, app.branch_picker))
    assert all(getattr(app, name).value == "" for name in ("summary", "targets", "funnel", "table", "detail"))
    assert all(bytes(image.value) == b"" for image in [app.target_chart, app.radar, *app.charts.values()])
    app.export_button.click()
    assert app.download.value == ""


def test_without_a_sign_in_the_page_shows_no_data(rubric, demo_years):
    assert_shows_no_data(OverviewApp.from_inputs(rubric, demo_years, statuses=STATUSES))


def test_from_env_without_a_sign_in_reads_nothing(tmp_path, monkeypatch, rubric, demo_years):
    url = seeded_database(tmp_path, rubric, demo_years)
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", url)
    monkeypatch.delenv(SESSION_ENV, raising=False)
    assert_shows_no_data(overview_app())
    # A session that ended (signed out) or a made-up one is nobody too
    token = sign_in_env(monkeypatch, url, "李四", "区委")
    with Store(url) as store:
        store.accounts.end_session(token)
    assert_shows_no_data(overview_app())
    monkeypatch.setenv(SESSION_ENV, "not-a-session")
    assert_shows_no_data(overview_app())


def test_a_street_account_from_the_database_sees_only_its_street(tmp_path, monkeypatch, rubric, demo_years):
    url = seeded_database(tmp_path, rubric, demo_years)
    sign_in_env(monkeypatch, url, "张三", "街道", "东城街道")
    app = overview_app()
    assert app.error.value == "" and "已登录：<b>张三（街道，东城街道）</b>" in app.signed_in.value
    assert [value for _, value in app.street_picker.options] == ["东城街道"]
    east = set(demo_years[YEAR].branches.query("street == '东城街道'")["branch_id"])
    assert {value for _, value in app.branch_picker.options} == east
    assert shown_counts(app)["branches"] == "30" and "东城街道" in app.title.value


def test_an_export_after_signing_out_is_refused(tmp_path, monkeypatch, rubric, demo_years):
    url = seeded_database(tmp_path, rubric, demo_years)
    token = sign_in_env(monkeypatch, url, "李四", "区委")
    app = overview_app()
    assert app.error.value == ""
    with Store(url) as store:
        store.accounts.end_session(token)
    app.export_button.click()
    assert html.escape(SIGNED_OUT) in app.error.value and app.download.value == ""
    # Still signed in, the same page exports (the session is asked again)
    with Store(url) as store:
        live = Session(store, store.accounts.sign_in("李四", STAFF_PASSWORD, client="127.0.0.1").token)
        page = OverviewApp.from_inputs(rubric, demo_years, session=live)
        page.export_button.click()
        assert page.error.value == "" and 'download="全区考评总览_2025年度.xlsx"' in page.download.value
