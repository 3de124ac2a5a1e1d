"""The 总览 app driven in Python, without a browser: set widget values, then read what it shows."""

from __future__ import annotations

import html
import logging
import re

import ipywidgets as widgets
import pytest

from assessment import charts
from assessment.apps import dashboard
from assessment.apps.dashboard import DashboardApp, dashboard_app
from assessment.demo import generate_demo
from assessment.report import summary
from assessment.rubric import load_rubric
from assessment.scoring import score
from tests.factories import make_inputs

YEAR = 2025
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def demo_inputs(rubric):
    return generate_demo(rubric)


@pytest.fixture(scope="module")
def results(rubric, demo_inputs):
    return score(rubric, demo_inputs, year=YEAR)


@pytest.fixture
def app(rubric, demo_inputs):
    return DashboardApp(rubric, demo_inputs, YEAR)


@pytest.fixture
def log_records():
    """Records written by the apps' logger (it does not propagate to root, so caplog misses it)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("assessment.apps")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def shown_counts(app) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(r'data-key="(\w+)".*?>(\d+)</div>', app.summary.value)}


def all_html(app) -> str:
    return "\n".join(w.value for w in (app.title, app.error, app.summary, app.table, app.vetoed, app.detail))


def test_title_names_the_year_and_rubric_version(app, rubric):
    assert "街道党支部标准化规范化考评总览" in app.title.value
    assert f"{YEAR}年度" in app.title.value
    assert f"评分标准版本 {rubric.version}" in app.title.value
    assert app.error.value == ""


def test_summary_counts_match_the_report(app, results):
    assert shown_counts(app) == summary(results)
    for label in ("支部数", "达标", "最强资格", "未完成", "软弱涣散", "被否决"):
        assert f">{label}</div>" in app.summary.value


def test_table_lists_every_branch_in_its_own_scroll_box(app, results):
    for branch_id in results.branches.index:
        assert f'data-branch="{branch_id}"' in app.table.value
        assert f"<td class=nw>{branch_id}</td>" in app.table.value
    assert 'class="siping-scroll siping-results"' in app.table.value
    assert "overflow-x:auto" in app.table.value


def test_charts_are_png_images_that_shrink_to_the_screen(app):
    assert set(app.charts) == {"channels", "vetoes", "ranking"}
    for image in app.charts.values():
        assert isinstance(image, widgets.Image)
        assert bytes(image.value).startswith(PNG_SIGNATURE)
        assert image.layout.max_width == "100%"


def test_veto_section_lists_each_vetoed_branch_with_its_explanation(app, results):
    fired = results.vetoes[results.vetoes["passed"].eq(False).fillna(False)]
    assert len(fired) > 0
    for row in fired.itertuples():
        assert f"<b>{row.branch_id} " in app.vetoed.value
        assert html.escape(row.explanation) in app.vetoed.value
    # Grouped by rule, in the rubric's fixed order
    order = [m for m in re.findall(r'data-rule="(\w+)"', app.vetoed.value)]
    assert order == [rule.id for rule in load_rubric().veto_rules]


def test_choosing_a_branch_redraws_its_detail(app, results):
    # Given the first branch is shown
    first, second = results.branches.index[:2]
    assert app.state.branch_id == first
    assert f'data-branch="{first}"' in app.detail.value
    radar_before = bytes(app.radar.value)

    # When the visitor picks the second branch
    app.branch_picker.value = second

    # Then the state and the detail follow, with that branch's vetoes, activities, structure and radar
    assert app.state.branch_id == second
    detail = app.detail.value
    name = results.branches.loc[second, "name"]
    assert f"{second} {html.escape(name)}" in detail
    for row in results.vetoes[results.vetoes["branch_id"] == second].itertuples():
        assert html.escape(row.explanation) in detail
        assert html.escape(row.source) in detail
    for row in results.activities[results.activities["branch_id"] == second].itertuples():
        assert html.escape(row.type) in detail
        if row.missing_periods:
            assert html.escape(row.missing_periods) in detail
    for row in results.structure[results.structure["branch_id"] == second].itertuples():
        assert html.escape(row.explanation) in detail
    assert html.escape(results.branches.loc[second, "reasons"]) in detail
    assert bytes(app.radar.value).startswith(PNG_SIGNATURE) and bytes(app.radar.value) != radar_before


def test_detail_shows_missing_months(rubric):
    # Given a branch whose log has no 支委会 in March
    from tests.factories import full_year_log

    log = [row for row in full_year_log("B1") if not (row["type"] == "支委会" and row["date"].startswith("2025-03"))]
    app = DashboardApp(rubric, make_inputs(rubric, activities=log), YEAR)
    # Then its detail names the month
    assert "3月" in app.detail.value
    assert "未达到" in app.detail.value


def test_user_text_is_escaped_everywhere(rubric):
    # Given a branch name and a department that carry HTML
    evil = "<script>x</script>"
    inputs = make_inputs(
        rubric,
        branch={"name": evil},
        social=[{"branch_id": "B1", "department": "<b>某部门</b>", "compliant": False, "opinion": "<i>意见</i>"}],
    )
    app = DashboardApp(rubric, inputs, YEAR)
    page = all_html(app)
    # Then it appears escaped, never as markup
    assert evil not in page and "<b>某部门</b>" not in page
    assert html.escape(evil) in app.table.value
    assert html.escape(evil) in app.detail.value
    assert html.escape(evil) in app.vetoed.value
    assert "&lt;b&gt;某部门&lt;/b&gt;" in app.vetoed.value
    assert [label for label, _ in app.branch_picker.options] == [f"B1 {evil}"]  # a <select> shows text


def test_from_demo_generates_the_street_when_there_is_no_workbook(tmp_path, results):
    app = DashboardApp.from_demo(tmp_path / "absent.xlsx")
    assert app.error.value == ""
    assert "系统生成的示例街道" in app.title.value
    assert shown_counts(app) == summary(results)


def test_from_demo_reads_the_workbook_when_it_exists(tmp_path, rubric, demo_inputs, results):
    from assessment.workbook import write_input_workbook

    path = write_input_workbook(demo_inputs, rubric, tmp_path / "demo_street.xlsx")
    app = DashboardApp.from_demo(path)
    assert app.error.value == ""
    assert "demo_street.xlsx" in app.title.value
    assert shown_counts(app) == summary(results)


def test_an_unreadable_workbook_becomes_a_short_chinese_message_and_a_log_line(tmp_path, log_records):
    # Given a demo workbook that is not an Excel file
    path = tmp_path / "demo_street.xlsx"
    path.write_bytes(b"this is not a workbook")

    # When the page opens
    app = DashboardApp.from_demo(path)

    # Then it says so in Chinese, shows no results, and logs the details
    assert "无法读取" in app.error.value and 'role="alert"' in app.error.value
    assert "Traceback" not in app.error.value
    assert app.table not in app.children
    assert any(r.levelno >= logging.ERROR for r in log_records)


def test_a_failure_while_loading_is_caught(monkeypatch, log_records):
    def broken():
        raise OSError("rubrics missing")

    monkeypatch.setattr(dashboard, "load_rubric", broken)
    app = DashboardApp.from_demo()
    assert dashboard.LOAD_FAILED in html.unescape(app.error.value)
    assert "rubrics missing" not in app.error.value
    assert log_records and log_records[-1].exc_info is not None


def test_a_failure_in_a_callback_becomes_a_message_not_an_exception(app, monkeypatch, results, log_records):
    # Given drawing the radar fails
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(charts, "five_strong_radar", broken)

    # When the visitor picks another branch, Then no exception escapes, and the page says what happened
    app.branch_picker.value = results.branches.index[3]
    assert dashboard.DETAIL_FAILED in html.unescape(app.error.value)
    assert log_records and log_records[-1].exc_info is not None

    # And choosing again, once drawing works, clears the message
    monkeypatch.undo()
    app.branch_picker.value = results.branches.index[4]
    assert app.error.value == ""
    assert f'data-branch="{results.branches.index[4]}"' in app.detail.value


def test_dashboard_app_returns_the_widget(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSESSMENT_DEMO_WORKBOOK", str(tmp_path / "absent.xlsx"))
    app = dashboard_app()
    assert isinstance(app, widgets.VBox)
    assert app.table in app.children and app.branch_picker in app.children
