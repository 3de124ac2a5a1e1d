"""The 总览 says which activity log its 组织生活 verdicts used: the street's stored log, not what branches
uploaded on their 自评 page (those are named, for the evaluators to check)."""

from __future__ import annotations

import pytest

from assessment.analysis import overview as ov
from assessment.inputs.frames import ACTIVITY_COLUMNS
from assessment.pages.overview.app import OverviewApp
from assessment.store.accounts import Identity

pytest_plugins = ["store_support"]

YEAR = 2025


def staff(rubric, role: str = "区委", street: str | None = None) -> Identity:
    (account_role,) = (r for r in rubric.workflow.accounts if r.label == role)
    return Identity("李四", account_role, street)


@pytest.fixture
def uploaded(store, sample_inputs, default_rubric):
    store.records.import_inputs(
        sample_inputs, year=YEAR, evaluator="数据管理员", rubric_version=default_rubric.version, source="sample.xlsx"
    )
    session = store.access.open_session(store.access.issue("B01", YEAR, by="管理员").code)
    header = ",".join(ACTIVITY_COLUMNS.values())
    rows = ["B01,2025-05-08,支部党员大会,20,17,是", "B01,2025-08-08,支部党员大会,20,17,是"]
    session.upload("activities", (header + "\n" + "\n".join(rows) + "\n").encode(), "补录.csv")
    return store


def test_the_note_names_the_street_log_and_the_branches_that_uploaded(uploaded, default_rubric):
    street = ov.load_street(uploaded, default_rubric)
    app = OverviewApp(street, who=staff(default_rubric))
    note = app.activity_note.value
    assert "按街道导入数据库的活动记录" in note and "支部在自评页上传的活动记录不计入" in note
    assert "2025年度1个支部上传过：B01 东风社区党支部" in note
    # the verdicts are the street log's: B01's 支部党员大会 counted once (the two uploaded are not)
    acts = street.years[YEAR].results.activities
    row = acts[(acts["branch_id"] == "B01") & (acts["rule_id"] == "general_meeting")].iloc[0]
    assert row["count"] == 1
    app.branch_picker.value = "B01"
    assert "本支部另在自评页上传了活动记录，未计入" in app.detail.value
    app.branch_picker.value = "B02"
    assert "本支部没有在自评页上传活动记录" in app.detail.value


def test_a_street_account_sees_only_its_own_streets_uploads(uploaded, default_rubric):
    street = ov.load_street(uploaded, default_rubric)
    west = OverviewApp(street, who=staff(default_rubric, "街道", "西城街道"))
    assert "2025年度没有支部在自评页上传活动记录" in west.activity_note.value
    assert "B01" not in west.activity_note.value


def test_results_read_from_inputs_say_so(sample_inputs, default_rubric):
    app = OverviewApp.from_inputs(default_rubric, sample_inputs, YEAR, who=staff(default_rubric))
    assert app.activity_note.value and ov.ACTIVITY_BASIS_INPUTS in app.activity_note.value
