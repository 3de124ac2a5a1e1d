"""The 考评 page shows the branch's uploaded activity records beside the street's own log, and says which
one its 组织生活 verdicts use (the street's)."""

from __future__ import annotations

import pytest
from factories import staff_session

from assessment.inputs.frames import ACTIVITY_COLUMNS
from assessment.pages.evaluate import EvaluateApp

pytest_plugins = ["store_support"]

YEAR = 2025


@pytest.fixture
def imported(store, sample_inputs, default_rubric):
    store.records.import_inputs(
        sample_inputs, year=YEAR, evaluator="数据管理员", rubric_version=default_rubric.version, source="sample.xlsx"
    )
    return store


def activities_csv(rows) -> bytes:
    header = ",".join(ACTIVITY_COLUMNS.values())
    return (header + "\n" + "\n".join(",".join(map(str, row)) for row in rows) + "\n").encode()


def opened(store, rubric, branch_id: str = "B01") -> EvaluateApp:
    app = EvaluateApp(store, rubric, session=staff_session(store, "张三", "区委"))
    app.branch_picker.value = branch_id
    app.open_button.click()
    assert app.state.branch_id == branch_id
    return app


def test_without_uploads_the_section_says_the_street_log_is_used(imported, default_rubric):
    app = opened(imported, default_rubric)
    assert "没有在自评页上传活动记录；组织生活按街道记录（3条）判断" in app.branch_log.value


def test_uploaded_records_are_listed_beside_the_street_log_with_source_and_dates(imported, default_rubric):
    session = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
    session.upload(
        "activities",
        activities_csv(
            [
                ["B01", "2025-06-08", "支部党员大会", 20, 17, "是"],
                ["B01", "2025-02-10", "支部党员大会", 20, 19, "是"],  # the street has 18 attending
            ]
        ),
        "补录.csv",
    )
    app = opened(imported, default_rubric)
    shown = app.branch_log.value
    assert "按街道记录（3条）判断，支部上传的记录不计入" in shown
    assert "上传过1次，现有上传的记录2条（其中1条与街道记录同日同类但内容不同），替换或删除了1条街道记录" in shown
    # one row per record, in date order: the street's, the branch's (file, when), the replaced street record
    rows = shown.split("<tr")[2:]
    assert [r.split("<td")[1].split(">")[1].split("<")[0] for r in rows] == [
        "2025-01-05",
        "2025-02-10",
        "2025-02-10",
        "2025-03-15",
        "2025-06-08",
    ]
    assert "支部上传" in rows[1] and "补录.csv" in rows[1] and "与街道记录不同" in rows[1] and ">19<" in rows[1]
    assert "街道记录" in rows[2] and "已被支部上传的同日同类记录替换" in rows[2] and "siping-displaced" in rows[2]
    assert "街道记录" in rows[0] and "支部上传" not in rows[0]
    # the verdicts keep to the street's log: the replaced record's 18 is what the panel counted
    counted = app._master.activities
    attended = counted["attended"].dropna().tolist()
    assert len(counted) == 3 and 18 in attended and 19 not in attended
    # and another branch shows nothing of B01's uploads
    other = opened(imported, default_rubric, "B02")
    assert "补录.csv" not in other.branch_log.value
