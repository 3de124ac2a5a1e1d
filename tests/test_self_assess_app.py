"""The 支部自评 page driven as widgets (no browser): entering by code, the form, uploads, 申请考评, report."""

from __future__ import annotations

import base64
import io
import re

import pytest
from openpyxl import Workbook

from assessment.inputs.frames import ROSTER_COLUMNS
from assessment.pages.self_assess.app import CodeGate, SelfAssessApp, code_from_query
from assessment.store import REFUSAL, BranchSession, Store, StoreError

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
    assert imported.self_assessments.uploaded("B01", YEAR, "roster") is None
    good = [
        ["B01", "王书记", "正式党员", "书记", "2001-07-01", 24, "是", *paid, "是"],
        ["B01", "李党员", "正式党员", "党员", "2020-01-01", 11, None, *(["否"] * 6 + ["是"] * 6), "是"],
    ]
    assert app.upload("roster", roster_xlsx(good), "名册.xlsx")
    assert "已保存党员名册" in app.upload_boxes["roster"].value
    assert "李党员（1月至6月，6个月）" in app.findings_box.value
    assert "李党员（党员，11次）" in app.findings_box.value


def test_apply_submits_and_moves_on_and_a_revoked_code_locks_the_page(imported, default_rubric):
    app = SelfAssessApp(imported)
    assert app.enter(imported.access.issue("B01", YEAR, by="管理员").code)
    app.inputs["org.items.s1.value"].value = "5"
    assert app.apply()
    assert app.state.notice == "已提交自评并申请考评，当前状态：已申请。"
    assert "已申请" in app.status_box.value and app.apply_button.disabled
    assert imported.self_assessments.current("B01", YEAR).payload["org"]["items"]["s1"]["value"] == "5"
    assert not app.apply()
    assert "现在不能申请考评" in app.state.error
    imported.access.revoke("B01", by="管理员", reason="书记调整")
    app.inputs["org.items.s1.value"].value = "3"
    assert app.state.error == REFUSAL and app.state.session is None and app.main.children == ()
    assert imported.self_assessments.current("B01", YEAR, draft=True) is None


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
