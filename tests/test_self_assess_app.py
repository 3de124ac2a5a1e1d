"""The 支部自评 page driven as widgets (no browser): entering by code, the form, uploads, 申请考评, report."""

from __future__ import annotations

import base64
import io
import re

import pytest
from openpyxl import Workbook

from assessment.inputs.frames import ACTIVITY_COLUMNS, ROSTER_COLUMNS
from assessment.pages.self_assess.app import CodeGate, SelfAssessApp, code_from_query
from assessment.store import REFUSAL, BranchSession, Store, StoreError
from tests.factories import full_marks

pytest_plugins = ["store_support"]

YEAR = 2025


@pytest.fixture
def imported(store, sample_inputs, default_rubric):
    store.records.import_inputs(
        sample_inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="sample.xlsx"
    )
    return store


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def roster_xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "党员名册"
    sheet.append(list(ROSTER_COLUMNS.values()))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_code_comes_from_the_query_string():
    assert code_from_query("code=ABC-DEF&x=1") == "ABC-DEF"
    assert code_from_query("?code=ABC") == "ABC"
    assert code_from_query("") is None and code_from_query("x=1") is None


def test_a_wrong_code_shows_only_the_refusal_and_repeated_failures_slow_down(imported):
    clock = Clock()
    app = SelfAssessApp(imported, gate=CodeGate(clock=clock))
    for _ in range(3):
        assert not app.enter("ZZZZZZZZ-AAAA-AAAA-AAAA-AAAA-AAAA")
        assert app.state.error == REFUSAL
    # Locked now: even the right code waits (and the answer does not say whether it was right).
    good = imported.access.issue("B01", YEAR, by="管理员").code
    assert not app.enter(good)
    assert app.state.error == "尝试次数过多，请5秒后再试。"
    clock.now += 5
    assert not app.enter("wrong")
    assert app.gate.wait_seconds() == 10  # the delay doubles
    clock.now += 10
    assert app.enter(good)
    assert app.state.error == "" and app.gate.failures == 0
    assert "东风社区党支部" in app.status_box.value and "自评中" in app.status_box.value


def test_entering_by_link_and_what_the_page_shows(imported, database_url, default_rubric, monkeypatch):
    code = imported.access.issue("B01", YEAR, by="管理员").code
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", database_url)
    monkeypatch.setenv("QUERY_STRING", f"code={code}")
    app = SelfAssessApp.from_env()
    assert app.state.session is not None and app.state.session.branch_id == "B01"
    # Every checklist item is on the form, with its evidence; nothing of branch B02 is anywhere.
    assert {f"org.items.{item.id}.value" for item in default_rubric.items} <= set(app.inputs)
    texts = " ".join(getattr(w, "value", "") for w in app.form_box.children if hasattr(w, "value"))
    texts += " ".join(
        c.value
        for card in app.form_box.children
        if hasattr(card, "children")
        for c in card.children
        if isinstance(getattr(c, "value", None), str)
    )
    assert "党员花名册" in texts and "需准备的台账" in texts
    assert "红旗村" not in app.status_box.value + app.findings_box.value + app.gaps_box.value
    app.store.close()


def test_edits_are_saved_as_a_draft_and_the_result_follows(imported, default_rubric):
    app = SelfAssessApp(imported)
    assert app.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    app.inputs["org.items.s1.value"].value = "4"
    app.inputs["org.items.t2.value"].value = "未参加"
    draft = imported.self_assessments.current("B01", YEAR, draft=True)
    assert draft.payload["org"]["items"]["s1"]["value"] == "4"
    assert draft.payload["org"]["items"]["t2"]["value"] == "未参加"
    gaps = app.state.check.gaps
    # what keeps the branch from 达标 comes first (its 支委会 rule), then the items by points lost
    assert gaps.iloc[0]["id"] == "committee_meeting" and gaps.iloc[0]["blocks_standard"]
    assert gaps[gaps["kind"] == "item"].iloc[0]["id"] == "y1"  # unscored, weight 0.10: the largest loss
    assert "失10.00分" in app.gaps_box.value and "怎么补" in app.gaps_box.value
    app.inputs["org.items.s2.value"].value = "9"
    assert app.messages["org.items.s2.value"].value == "填写了“9”，应为0到5之间的数"
    assert app.channel_chart.value and app.radar.value and app.area_chart.value
    assert "“最强党支部”否决规则（预判）" in app.summary_box.value and "无法判断" in app.summary_box.value
    # Opening the page again brings the draft back.
    again = SelfAssessApp(imported)
    assert again.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    assert again.inputs["org.items.s1.value"].value == "4"


def test_the_counter_follows_each_keystroke_before_the_store_and_scoring(imported, default_rubric, monkeypatch):
    app = SelfAssessApp(imported)
    assert app.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    total = len(default_rubric.base_items)
    before = int(re.search(rf"已评(\d+)/{total}项", app.summary_box.value).group(1))

    # Given the store and scoring are slow to answer (here: not at all)
    def unavailable(*args, **kwargs):
        raise StoreError("数据库暂时无法连接，请稍后重试")

    monkeypatch.setattr(BranchSession, "branch", unavailable)
    # When an item is scored, Then the counter already counts it
    app.inputs["org.items.s1.value"].value = "4"
    assert f"已评{before + 1}/{total}项" in app.summary_box.value
    # And a wrong value is not counted
    app.inputs["org.items.s2.value"].value = "9"
    assert f"已评{before + 1}/{total}项" in app.summary_box.value
    app.store.close()


def test_uploads_good_and_bad(imported):
    app = SelfAssessApp(imported)
    assert app.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    paid = ["是"] * 12
    bad = ["B01", "李党员", "党员", "党员", "2020-01-01", 11, None, *paid, "是"]  # 身份 wrong
    assert not app.upload("roster", roster_xlsx([bad]), "名册.xlsx")
    assert "名册.xlsx 工作表“党员名册”第2行“身份”列：填写了“党员”" in app.upload_boxes["roster"].value
    assert "未导入任何内容" in app.upload_boxes["roster"].value
    assert app.upload_actions["roster"].layout.display == "none"
    assert imported.self_assessments.uploaded("B01", YEAR, "roster") is None
    good = [
        ["B01", "王书记", "正式党员", "书记", "2001-07-01", 24, "是", *paid, "是"],
        ["B01", "李党员", "正式党员", "党员", "2020-01-01", 11, None, *(["否"] * 6 + ["是"] * 6), "是"],
    ]
    # Choosing a file shows what it will do; only 确认导入 stores it
    assert app.upload("roster", roster_xlsx(good), "名册.xlsx")
    assert "将用此名册（2人）整表替换现有党员名册（0人）" in app.upload_boxes["roster"].value
    assert "新列入 2 人：王书记、李党员" in app.upload_boxes["roster"].value
    assert imported.self_assessments.uploaded("B01", YEAR, "roster") is None
    app.confirm_upload_buttons["roster"].click()
    assert "已导入党员名册（名册.xlsx）：共2人" in app.upload_boxes["roster"].value
    assert "李党员（1月至6月，6个月）" in app.findings_box.value
    assert "李党员（党员，11次）" in app.findings_box.value
    assert "名册.xlsx" in app.upload_history_box.value and "整体替换" in app.upload_history_box.value


def activities_csv(rows) -> bytes:
    header = ",".join(ACTIVITY_COLUMNS.values())
    return (header + "\n" + "\n".join(",".join(map(str, row)) for row in rows) + "\n").encode()


def test_an_activity_upload_is_previewed_merged_and_kept_in_the_history(imported):
    app = SelfAssessApp(imported)
    assert app.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    assert "街道导入的活动记录" in app.findings_box.value
    rows = [
        ["B01", "2025-03-08", "支部党员大会", 20, 18, "是"],
        ["B01", "2025-06-08", "支部党员大会", 20, 17, "是"],
        ["B01", "2025-02-10", "支部党员大会", 20, 19, "是"],  # the street has it with 18 attending
    ]
    assert app.upload("activities", activities_csv(rows), "补录.csv")
    preview = app.upload_boxes["activities"].value
    assert "将新增 2 条记录（2025年3月、6月的支部党员大会），替换 1 条（2025年2月的支部党员大会）" in preview
    assert "文件中没有的 2 条原有记录保留不变" in preview
    # Ticking 整体替换 changes the preview: the records not in the file would go
    app.replace_all.value = True
    assert "文件中没有的 2 条原有记录将被删除（2025年1月的支委会；2025年3月的谈心谈话）" in (
        app.upload_boxes["activities"].value
    )
    app.replace_all.value = False
    # 取消 stores nothing
    app.cancel_upload_buttons["activities"].click()
    assert imported.self_assessments.uploads("B01", YEAR) == []
    assert "未导入任何内容" in app.upload_boxes["activities"].value
    assert app.upload("activities", activities_csv(rows), "补录.csv")
    app.confirm_upload_buttons["activities"].click()
    assert "新增2条，替换1条，原有记录保留2条" in app.upload_boxes["activities"].value
    (stored,) = imported.self_assessments.uploads("B01", YEAR)
    assert stored.mode == "merge" and stored.counts["added"] == 2
    assert "街道导入的活动记录2条，本支部上传的3条" in app.findings_box.value
    assert "补录.csv" in app.upload_history_box.value and "合并" in app.upload_history_box.value


def test_apply_asks_first_then_submits_and_the_page_is_read_only_until_sent_back(imported, default_rubric):
    app = SelfAssessApp(imported)
    assert app.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    # 申请考评 comes after the self-scoring content, not first
    children = list(app.main.children)
    assert children.index(app.apply_button) > children.index(app.form_box) > children.index(app.status_box)
    app.inputs["org.items.s1.value"].value = "9"
    app.apply_button.click()
    # the second step shows what would be submitted, and here the problem that keeps it from being
    assert app.apply_confirm.layout.display is None and app.confirm_apply_button.disabled
    assert "自评内容有1处问题" in app.apply_confirm_box.value
    assert imported.workflow.status("B01", YEAR).label == "自评中"
    app.cancel_apply_button.click()
    assert app.apply_confirm.layout.display == "none"
    app.inputs["org.items.s1.value"].value = "5"
    app.apply_button.click()
    confirm = app.apply_confirm_box.value
    assert "确认申请考评" in confirm and "组织评定（自评）" in confirm and "综合得分：未完成" in confirm
    assert "待补短板：" in confirm and "主要短板" in confirm
    assert imported.workflow.status("B01", YEAR).label == "自评中"  # nothing submitted yet
    app.confirm_apply_button.click()
    assert app.state.notice == "已提交自评并申请考评，当前状态：已申请。"
    assert "已申请" in app.status_box.value and app.apply_button.disabled
    assert imported.self_assessments.current("B01", YEAR).payload["org"]["items"]["s1"]["value"] == "5"
    # Read-only: the page says so and why, every input is disabled
    assert "已提交，只能查看" in app.locked_box.value and "退回自评" in app.locked_box.value
    assert all(widget.disabled for widget in app.inputs.values())
    assert all(widget.disabled for widget in app.uploads.values()) and app.replace_all.disabled
    # and a change that reaches the kernel anyway is refused by the store; the form shows what was submitted
    app.inputs["org.items.s1.value"].disabled = False
    app.inputs["org.items.s1.value"].value = "2"
    assert "只能查看" in app.state.error
    assert app.inputs["org.items.s1.value"].value == "5"
    assert imported.self_assessments.current("B01", YEAR, draft=True) is None
    assert not app.upload("roster", roster_xlsx([]), "名册.xlsx")
    assert not app.apply()
    assert "现在不能申请考评" in app.state.error
    # The street sends it back: a page opened again is editable
    imported.workflow.move("B01", YEAR, "自评中", role="街道", actor="周考评", reason="材料不全")
    again = SelfAssessApp(imported)
    assert again.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    assert again.locked_box.value == "" and not any(w.disabled for w in again.inputs.values())
    assert again.inputs["org.items.s1.value"].value == "5"
    again.inputs["org.items.s1.value"].value = "4"
    assert imported.self_assessments.current("B01", YEAR, draft=True).payload["org"]["items"]["s1"]["value"] == "4"
    assert again.restart_button.layout.display == "none"  # nothing to go back from


def test_after_failing_the_branch_starts_again_itself(imported, default_rubric):
    code = imported.access.issue("B01", YEAR, by="管理员").code
    app = SelfAssessApp(imported)
    assert app.enter(code)
    for item_id, value in full_marks(default_rubric).items():
        app.inputs[f"org.items.{item_id}.value"].value = value if isinstance(value, str) else f"{value:g}"
    assert app.apply(), app.state.error
    imported.workflow.move("B01", YEAR, "街道考评中", role="街道", actor="周考评", reason="受理")
    imported.workflow.move("B01", YEAR, "未通过", role="街道", actor="周考评", reason="组织生活不足")
    # Given the street's 考评未通过, the branch's page offers its own way back (workflow.yaml: 重新自评)
    again = SelfAssessApp(imported)
    assert again.enter(code)
    assert "未通过" in again.status_box.value and "只能查看" in again.locked_box.value
    assert again.restart_button.layout.display is None and again.restart_button.description == "重新自评"
    # When it starts again, Then the self-assessment is editable and the move is the branch's, with its reason
    again.restart_button.click()
    assert again.state.notice == "已重新自评，当前状态：自评中，可以修改自评。"
    assert again.locked_box.value == "" and not any(w.disabled for w in again.inputs.values())
    assert again.restart_button.layout.display == "none"
    last = imported.workflow.history("B01", YEAR)[-1]
    assert (last.to_status, last.role, last.reason) == ("self_assessing", "branch", "支部重新自评")


def test_a_revoked_code_locks_the_page(imported):
    app = SelfAssessApp(imported)
    assert app.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    app.inputs["org.items.s1.value"].value = "5"
    imported.access.revoke("B01", by="管理员", reason="书记调整")
    app.inputs["org.items.s1.value"].value = "3"
    assert app.state.error == REFUSAL and app.state.session is None and app.main.children == ()
    assert imported.self_assessments.current("B01", YEAR, draft=True).payload["org"]["items"]["s1"]["value"] == "5"


def test_the_report_is_a_pdf_download_link(imported):
    app = SelfAssessApp(imported)
    assert app.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    assert app.make_report()
    match = re.search(r'download="([^"]+)" href="data:application/pdf;base64,([^"]+)"', app.report_link.value)
    assert match and match.group(1) == "B01_东风社区党支部_2025年度自评报告.pdf"
    assert base64.b64decode(match.group(2)).startswith(b"%PDF")


def test_without_a_database_the_page_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", "nonsense://")
    app = SelfAssessApp.from_env()
    assert "自评系统暂时无法使用" in app.error_box.value


def test_a_store_is_reused_by_the_page(imported):
    assert isinstance(SelfAssessApp(imported).store, Store)
