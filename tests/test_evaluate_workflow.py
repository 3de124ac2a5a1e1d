"""The 考评 page's workflow panel and report download (widget-driven). The branch's 自查分 beside each field:
tests/test_evaluate_self_score.py."""

from __future__ import annotations

import pytest
from factories import master_data

from assessment.demo.street import generate_demo
from assessment.inputs.payload import blank_payload
from assessment.pages.evaluate.app import EvaluateApp
from assessment.pages.evaluate.workflow import WorkflowPanel
from assessment.rubric import load_rubric
from assessment.store import Store
from tests.factories import record_result, staff_session

YEAR = 2025


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture
def store(tmp_path, rubric):
    demo = generate_demo(rubric, year=YEAR)
    master = master_data(demo)
    with Store(f"sqlite:///{tmp_path}/t.sqlite", rubric=rubric) as opened:
        opened.records.import_inputs(
            master, year=YEAR, evaluator="数据管理员", rubric_version=rubric.version, source="demo"
        )
        yield opened


def self_assessed(store, rubric, s1=5, t3=12):
    payload = blank_payload(rubric)
    payload["org"]["items"]["s1"]["value"] = s1
    payload["org"]["items"]["t3"]["value"] = t3
    session = store.access.open_session(store.access.issue("JD001", YEAR, by="管理员").code)
    session.apply(payload)


def test_the_workflow_panel_shows_status_history_and_moves_with_who_may_make_them(store, rubric):
    self_assessed(store, rubric)
    app = EvaluateApp(store, rubric, session=staff_session(store, "周考评", "街道", "东城街道"))
    app.open_branch("JD001", YEAR)
    panel: WorkflowPanel = app.workflow_panel
    assert panel in app.records.children
    assert "当前状态：<b>已申请</b>" in panel.status.value
    assert "自评中→已申请" in panel.history.value and "支部自评完成，申请考评" in panel.history.value
    assert "受理申请，开始考评（→街道考评中）：可以操作" in panel.moves.value
    # There is no role to pick: a 街道 account moves as the 街道, and the mover is the signed-in person
    assert not hasattr(panel, "controls") or panel.role == "street"
    panel.reason.value = "材料齐全"
    assert panel.move()
    assert store.workflow.status("JD001", YEAR).label == "街道考评中"
    assert store.workflow.history("JD001", YEAR)[-1].actor == "周考评"
    assert "当前状态：<b>街道考评中</b>" in panel.status.value
    # An empty reason is refused with the store's reason
    panel.target.value = "district_check"
    panel.reason.value = ""
    assert not panel.move()
    assert "变更原因不能为空" in panel.message.value
    # 考评通过 rests on the recorded result: none yet, so it is refused and no exception is offered
    panel.reason.value = "考评合格"
    assert not panel.move()
    assert "还没有已提交的考评结果" in panel.message.value
    assert "考评结果不支持：还没有已提交的考评结果" in panel.moves.value
    assert panel.exception.layout.display == "none"
    # A result that is 未达标: the 街道 may forward it only as an exception, with its reason
    record_result(store, "JD001", YEAR, evaluator="周考评", passing=False, last_election="2026-01-01")
    app.open_branch("JD001", YEAR)
    panel.target.value = "district_check"
    assert "考评结果不支持：考评结果未达标" in panel.moves.value and "可按例外办理" in panel.moves.value
    assert panel.exception.layout.display == "flex" and panel.exception.value is False
    panel.reason.value = "考评合格"
    assert not panel.move()
    assert "须由街道写明理由、按“例外”提交" in panel.message.value
    panel.exception.value = True
    panel.reason.value = "部门意见已撤回，请区委复核"
    assert panel.move()
    assert "（例外）" in panel.message.value and panel.exception.value is False
    assert "例外：依据 周考评第1号修订" in panel.history.value
    # 验收 is the 区委's: the 街道 account sees the move, cannot make it, and a forced target is refused
    assert "只能由区委操作" in panel.moves.value and panel.controls.layout.display == "none"
    panel.target.options = [("已达标", "standardized")]
    panel.target.value = "standardized"
    panel.reason.value = "想直接通过"
    assert not panel.move()
    assert store.workflow.status("JD001", YEAR).label == "待区委验收"
    # The 区委 account makes it
    district = EvaluateApp(store, rubric, session=staff_session(store, "李区委", "区委"))
    district.open_branch("JD001", YEAR)
    district.workflow_panel.reason.value = "验收合格"
    district.workflow_panel.target.value = "standardized"
    assert district.workflow_panel.exception.layout.display == "flex"
    district.workflow_panel.exception.value = True
    assert district.workflow_panel.move()
    status = store.workflow.status("JD001", YEAR)
    assert status.label == "已达标" and status.exception
    assert (
        "（例外）" in district.workflow_panel.status.value and "例外办理，依据" in district.workflow_panel.status.value
    )
    # An 分析 account sees the moves and makes none
    analyst = EvaluateApp(store, rubric, session=staff_session(store, "王分析", "分析"))
    analyst.open_branch("JD001", YEAR)
    assert "不能变更考评流程的状态" in analyst.workflow_panel.moves.value
    assert analyst.workflow_panel.controls.layout.display == "none"
    assert not analyst.workflow_panel.move()


def test_a_street_account_cannot_designate_the_strongest(store, rubric):
    self_assessed(store, rubric)
    record_result(store, "JD001", YEAR, evaluator="周考评", last_election="2026-01-01")
    for to, role, actor in (
        ("street_review", "street", "周考评"),
        ("district_check", "street", "周考评"),
        ("standardized", "district", "李区委"),
    ):
        store.workflow.move("JD001", YEAR, to, role=role, actor=actor, reason="按流程")
    street = EvaluateApp(store, rubric, session=staff_session(store, "周考评", "街道", "东城街道"))
    street.open_branch("JD001", YEAR)
    panel = street.workflow_panel
    panel.target.value = "strongest_declared"
    panel.reason.value = "好中选优"
    assert panel.move()  # 申报 is the 街道's
    assert "只能由区委操作" in panel.moves.value and panel.controls.layout.display == "none"
    panel.target.options = [("已评定最强", "strongest")]
    panel.target.value = "strongest"
    panel.reason.value = "自己评定"
    assert not panel.move()
    assert store.workflow.status("JD001", YEAR).label == "最强申报"


def test_the_evaluation_report_downloads_as_a_pdf_from_the_evaluators_page(store, rubric):
    import base64
    import io
    import re

    from pypdf import PdfReader

    self_assessed(store, rubric)
    app = EvaluateApp(store, rubric, session=staff_session(store, "周考评", "街道", "东城街道"))
    app.open_branch("JD001", YEAR)
    assert app.report_download in app.records.children
    assert app.report_download.make()
    match = re.search(r'download="([^"]+)" href="data:application/pdf;base64,([^"]+)"', app.report_download.link.value)
    assert match.group(1) == "JD001_东风社区党支部_2025年度考评报告.pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(base64.b64decode(match.group(2)))).pages)
    assert "东风社区党支部" in text and "自查分" in text and "已申请" in text
