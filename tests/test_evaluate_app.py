"""The 考评 app driven in Python, without a browser, on a real Store (a temporary SQLite file).

The store is seeded with the demo street's branches and activity log (``import_inputs``); each
test then plays an evaluator: types into the named widgets, clicks buttons and reads what the
page shows.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import ipywidgets as widgets
import pytest
from factories import master_data

from assessment.demo.street import generate_demo
from assessment.pages.evaluate import app as evaluate
from assessment.pages.evaluate.app import EvaluateApp
from assessment.pages.evaluate.views import local_time
from assessment.pages.identity import Session
from assessment.rubric import load_rubric
from assessment.store import Store
from tests.factories import full_marks, staff_session, walk

YEAR = 2025
REPO = Path(__file__).resolve().parents[1]
BRANCH = "JD001"  # 东风社区党支部 in the demo street
# Full marks (tests/factories.full_marks) with 20 members (19 优秀, 1 合格), 40 满意 + 2 基本满意 and one
# compliant department: 0.4×100 + 0.2×99 + 0.2×(4000+120)/42 + 0.2×100 = 99.42.
FULL_COMPOSITE = "99.42"
# s1 (max 5, weight 0.05 of the 0.4 组织评定) at 4 instead of 5 costs 0.4 × 0.05 × 1/5 × 100 = 0.4.
S1_AT_4_COMPOSITE = "99.02"


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def demo(rubric):
    return generate_demo(rubric, year=YEAR)


@pytest.fixture
def db_url(tmp_path, rubric, demo):
    """A fresh database holding the demo street's branches and activity log, and no evaluation."""
    url = f"sqlite:///{tmp_path}/t.sqlite"
    master = master_data(demo)
    with Store(url, rubric=rubric) as store:
        store.records.import_inputs(
            master, year=YEAR, evaluator="数据管理员", rubric_version=rubric.version, source="示例街道"
        )
    return url


@pytest.fixture
def store(db_url, rubric):
    with Store(db_url, rubric=rubric) as opened:
        yield opened


@pytest.fixture
def app(store, rubric):
    return evaluate_page(store, rubric)


@pytest.fixture
def log_records():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("assessment.pages")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def evaluate_page(store, rubric, name: str = "张三", role: str = "区委", street: str | None = None) -> EvaluateApp:
    """The page as ``name`` opens it, signed in (the evaluator is the signed-in person)."""
    return EvaluateApp(store, rubric, session=staff_session(store, name, role, street))


def open_branch(app, typed: str = "东风") -> None:
    app.branch_picker.value = typed
    app.open_button.click()


def fill_everything(app, rubric, **overrides) -> None:
    """Type a full evaluation (full marks) the way an evaluator would, field by field."""
    values = {"org.annual_review_grade": "优秀"}
    for item_id, value in full_marks(rubric).items():
        values[f"org.items.{item_id}.value"] = value if isinstance(value, str) else f"{value:g}"
    values.update(
        {
            "member.participants": "20",
            "member.excellent": "19",
            "member.qualified": "1",
            "member.basic": "0",
            "member.unqualified": "0",
            "public.satisfied": "40",
            "public.basic_satisfied": "2",
            "public.unsatisfied": "0",
            "public.unsatisfied_verified": "否",
        }
    )
    values.update(overrides)
    for path, value in values.items():
        app.inputs[path].value = value
    if not app.state.payload["social"]:
        app.form.add_department_button.click()
        app.inputs["social.0.department"].value = "街道综治办"
        app.inputs["social.0.compliant"].value = "是"


def message_beside(app, path: str) -> str:
    return app.form.messages[path].value


# ------------------------------------------------------------------ the page and the form
def test_the_notebook_is_one_cell_that_shows_the_app():
    notebook = json.loads((REPO / "notebooks" / "evaluate.ipynb").read_text(encoding="utf-8"))
    (cell,) = notebook["cells"]
    assert "".join(cell["source"]) == "from assessment.pages.evaluate import evaluate_app\nevaluate_app()"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_the_top_bar_offers_every_branch_and_the_latest_year(app, store):
    labels = list(app.branch_picker.options)
    assert len(labels) == len(store.records.branches())
    assert "JD001 东风社区党支部" in labels
    assert app.year_picker.value == max(store.records.years())
    assert app.workspace.layout.display == "none"  # nothing to fill before a branch is open


@pytest.mark.parametrize("typed", ["东风", "JD001", "jd001", "JD001 东风社区党支部", " 东风社区 "])
def test_a_branch_opens_from_part_of_its_id_or_name(app, typed):
    open_branch(app, typed)
    assert app.state.branch_id == BRANCH
    assert app.branch_picker.value == "JD001 东风社区党支部"
    assert "JD001 东风社区党支部" in app.session.value
    assert app.workspace.layout.display == "flex"


def test_an_ambiguous_or_unknown_branch_says_so_and_opens_nothing(app):
    open_branch(app, "社区")
    assert "个支部与“社区”相符" in app.open_message.value
    assert app.state.branch_id is None
    open_branch(app, "不存在的支部")
    assert "找不到与“不存在的支部”相符的支部" in app.open_message.value
    assert app.state.branch_id is None


def test_the_form_is_built_from_the_rubric(app, rubric):
    open_branch(app)
    assert app.form.tab.titles == tuple(c.label for c in rubric.channels.channels)
    for item in rubric.items:
        assert f"org.items.{item.id}.value" in app.inputs
        assert f"org.items.{item.id}.comment" in app.inputs
        for name in item.evidence:
            assert app.inputs[f"org.items.{item.id}.evidence.{name}"].value == "unchecked"
    level_item = next(item for item in rubric.items if item.kind == "level")
    options = [value for _, value in app.inputs[f"org.items.{level_item.id}.value"].options]
    assert options == ["", *[lv.label for lv in level_item.levels]]
    grades = [value for _, value in app.inputs["org.annual_review_grade"].options]
    assert grades == ["", *rubric.channels.annual_review_grades.levels]
    member_levels = rubric.channel("member").method.levels
    assert all(f"member.{level.id}" in app.inputs for level in member_levels)
    # Nothing clamps: a wrong value must stay visible as typed
    bounded = (widgets.BoundedFloatText, widgets.BoundedIntText, widgets.FloatSlider, widgets.IntSlider)
    assert not any(isinstance(widget, bounded) for widget in app.inputs.values())


# ------------------------------------------------------------------ the result panel follows the form
def test_the_panel_follows_every_change(app, rubric):
    # Given a branch just opened: nothing is filled in
    open_branch(app)
    assert app.panel.composite == "未完成"
    assert "组织评定（无数据）" in app.panel.missing
    # When the evaluator fills in everything
    fill_everything(app, rubric)
    # Then the composite, grade and every veto are shown at once
    assert app.panel.composite == FULL_COMPOSITE
    assert app.panel.grade == "优秀"
    assert app.panel.missing == ""
    assert {rule: status for rule, (status, _) in app.panel.vetoes_shown.items()} == {
        "annual_review": "通过",
        "member_excellent_share": "通过",
        "public_unsatisfied_verified": "通过",
        "department_noncompliance": "通过",
    }
    assert "19人" in app.panel.vetoes_shown["member_excellent_share"][1]
    # When one score changes, Then the composite follows
    app.inputs["org.items.s1.value"].value = "4"
    assert app.panel.composite == S1_AT_4_COMPOSITE
    # When the annual review grade drops, Then its veto fires with its reason and source
    app.inputs["org.annual_review_grade"].value = "良好"
    status, explanation = app.panel.vetoes_shown["annual_review"]
    assert status == "否决"
    assert "良好" in explanation
    assert "来源：" in app.panel.veto_box.value
    assert app.panel.strongest == "否"


def test_activity_findings_from_the_log_are_shown(app, rubric, demo, store):
    # JD002 has gaps in its activity log in the demo street
    open_branch(app, "JD002")
    fill_everything(app, rubric)
    assert "组织生活与组织设置" in app.panel.findings.value
    assert "支部党员大会" in app.panel.findings.value
    assert "第一季度" in app.panel.findings.value


def test_the_charts_are_redrawn_only_when_what_they_show_changes(app, rubric):
    open_branch(app)
    fill_everything(app, rubric)
    bars, radar = app.panel.channel_chart.value, app.panel.radar.value
    assert bytes(bars[:4]) == bytes(radar[:4]) == b"\x89PNG"
    # A comment changes no score: the pictures are left alone
    app.inputs["org.items.s1.comment"].value = "班子齐全"
    assert app.panel.channel_chart.value is bars
    assert app.panel.radar.value is radar
    # A score changes both
    app.inputs["org.items.s1.value"].value = "2"
    assert bytes(app.panel.channel_chart.value) != bytes(bars)
    assert bytes(app.panel.radar.value) != bytes(radar)


@pytest.mark.parametrize(
    ("typed", "message"), [("十二", "填写了“十二”，应为0到5之间的数"), ("7", "填写了“7”，应为0到5之间的数")]
)
def test_a_wrong_value_is_shown_beside_its_field_and_never_changed(app, rubric, store, typed, message):
    open_branch(app)
    fill_everything(app, rubric)
    # When the evaluator types a wrong value
    app.inputs["org.items.s1.value"].value = typed
    # Then the message stands next to that field, in Chinese, and the field is marked
    assert message in message_beside(app, "org.items.s1.value")
    assert "siping-bad" in app.inputs["org.items.s1.value"]._dom_classes
    # And the value is kept exactly as typed — in the state and in the saved draft
    assert app.state.payload["org"]["items"]["s1"]["value"] == typed
    assert store.records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]["s1"]["value"] == typed
    # And it is not turned into another number: the result is unfinished, with the item missing
    assert app.panel.composite == "未完成"
    assert "s1 支部设置规范" in app.panel.missing
    assert "有1处填写有误" in app.panel.problems.value
    # When it is corrected, Then the message goes and the composite comes back
    app.inputs["org.items.s1.value"].value = "5"
    assert message_beside(app, "org.items.s1.value") == ""
    assert "siping-bad" not in app.inputs["org.items.s1.value"]._dom_classes
    assert app.panel.composite == FULL_COMPOSITE


def test_a_tally_above_the_participants_is_named_beside_both_fields(app, rubric):
    open_branch(app)
    fill_everything(app, rubric, **{"member.excellent": "25"})
    assert "25人超过参评人数20人" in message_beside(app, "member.excellent")
    assert "超过参评人数20人" in message_beside(app, "member.participants")
    assert "党员评议（无数据）" in app.panel.missing


# ------------------------------------------------------------------ drafts
def test_every_change_is_saved_as_a_draft(app, store):
    open_branch(app)
    app.inputs["org.items.s2.value"].value = "4"
    app.inputs["org.items.s2.evidence.支委分工文件"].value = "missing"
    app.inputs["org.items.s2.comment"].value = "分工文件未上墙"
    draft = store.records.load_draft(BRANCH, YEAR, "张三")
    item = draft.payload["org"]["items"]["s2"]
    assert item == {"value": "4", "comment": "分工文件未上墙", "evidence": {"支委分工文件": "missing"}}
    assert draft.rubric_version == app.rubric.version
    assert "草稿已自动保存" in app.draft_status.value


def test_after_a_kernel_restart_the_draft_is_offered_back(app, db_url, rubric):
    # Given an evaluator who typed a few values, then lost the kernel
    open_branch(app)
    app.inputs["org.items.s1.value"].value = "4"
    app.inputs["org.items.t2.value"].value = "已参加"
    # When a NEW app (and a new store connection) opens the same branch for the same evaluator
    with Store(db_url, rubric=rubric) as reopened_store:
        again = evaluate_page(reopened_store, rubric)
        open_branch(again)
        # Then the draft is offered, with the time it was saved, and the form is untouched until asked
        assert again.draft_offer.layout.display == "flex"
        assert "发现未提交的草稿（保存于 " in again.offer_text.value
        assert again.inputs["org.items.s1.value"].value == ""
        # When the evaluator restores it, Then the form and the panel show it
        again.restore_button.click()
        assert again.inputs["org.items.s1.value"].value == "4"
        assert again.inputs["org.items.t2.value"].value == "已参加"
        assert again.draft_offer.layout.display == "none"
        assert "已恢复草稿" in again.draft_status.value
        # And later changes are saved again
        again.inputs["org.items.s3.value"].value = "3"
        saved = reopened_store.records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]
        assert (saved["s1"]["value"], saved["s3"]["value"]) == ("4", "3")


def test_a_draft_can_be_discarded(app, store, rubric):
    open_branch(app)
    app.inputs["org.items.s1.value"].value = "4"
    again = evaluate_page(store, rubric)
    open_branch(again)
    assert "有未处理的草稿" in again.draft_status.value
    # When the evaluator discards it right away, Then nothing is left, and later edits are a new draft
    again.discard_button.click()
    assert again.draft_offer.layout.display == "none"
    assert store.records.load_draft(BRANCH, YEAR, "张三") is None
    again.inputs["org.items.s2.value"].value = "1"
    kept = store.records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]
    assert (kept["s1"]["value"], kept["s2"]["value"]) == (None, "1")


def test_typing_while_a_draft_is_offered_is_saved_and_the_offer_can_still_be_answered(app, store, rubric):
    # Given a draft left by an earlier visit, offered back
    open_branch(app)
    app.inputs["org.items.s1.value"].value = "4"
    again = evaluate_page(store, rubric)
    open_branch(again)
    # When the evaluator types before answering the offer
    again.inputs["org.items.s2.value"].value = "1"
    # Then what is typed is saved at once: no keystroke waits for the answer
    kept = store.records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]
    assert (kept["s1"]["value"], kept["s2"]["value"]) == (None, "1")
    assert "草稿已自动保存" in again.draft_status.value
    # And the older draft is still offered (the page holds it), saying that typing replaced it
    assert again.draft_offer.layout.display == "flex"
    assert "表单内容已保存为新的草稿" in again.offer_text.value
    # When it is restored, Then the form and the stored draft are the older one again
    again.restore_button.click()
    assert (again.inputs["org.items.s1.value"].value, again.inputs["org.items.s2.value"].value) == ("4", "")
    kept = store.records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]
    assert (kept["s1"]["value"], kept["s2"]["value"]) == ("4", None)
    assert "已恢复草稿" in again.draft_status.value
    # And a third window that types and then answers 放弃 keeps what it typed as the draft
    third = evaluate_page(store, rubric)
    open_branch(third)
    third.inputs["org.items.s3.value"].value = "2"
    third.discard_button.click()
    assert third.draft_offer.layout.display == "none"
    kept = store.records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]
    assert (kept["s1"]["value"], kept["s3"]["value"]) == (None, "2")


def test_without_a_sign_in_the_page_shows_no_branch_and_changes_nothing(store, rubric):
    # A kernel started without the server's session (or with one that ended) shows only the sign-in notice
    page = EvaluateApp(store, rubric, session=Session(store, "not-a-session"))
    assert "请先登录" in page.error.value
    assert page.branch_picker.options == () and page.workflow_panel is None
    open_branch(page)
    assert page.state.branch_id is None and page.form is None
    assert store.records.audit(limit=1)[0].action == "import"  # nothing written


def test_the_evaluator_is_the_signed_in_person_and_there_is_no_name_to_type(app, store):
    assert "张三（区委）" in app.evaluator.value
    assert not any(isinstance(w, widgets.Text) and w.description == "评估人" for w in walk(app))
    open_branch(app)
    app.inputs["org.items.s1.value"].value = "3"
    assert store.records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]["s1"]["value"] == "3"
    assert "张三" in app.session.value


def test_a_street_account_sees_only_its_own_street(store, rubric, app):
    streets = dict(zip(store.records.branches()["branch_id"], store.records.branches()["street"], strict=True))
    east = sorted(b for b, street in streets.items() if street == "东城街道")
    west = sorted(b for b, street in streets.items() if street == "西城街道")
    assert east and west and len(app.branch_picker.options) == len(streets)  # 区委: every branch
    page = evaluate_page(store, rubric, "周街道", "街道", "东城街道")
    assert [label.split()[0] for label in page.branch_picker.options] == east
    # a branch of another street, asked for by id (as a visitor could), is answered as if it did not exist
    page.open_branch(west[0], YEAR)
    assert page.state.branch_id is None and "不在数据库中" in page.error.value
    page.branch_picker.value = west[0]
    page.open_button.click()
    assert page.state.branch_id is None


def test_a_view_only_account_can_look_but_not_score(store, rubric):
    page = evaluate_page(store, rubric, "王分析", "分析")
    open_branch(page)
    assert page.state.branch_id == BRANCH
    page.inputs["org.items.s1.value"].value = "3"
    assert "只能查看，不能打分" in page.draft_status.value
    assert store.records.load_draft(BRANCH, YEAR, "王分析") is None
    page.submit_button.click()
    assert "只能查看，不能打分" in page.submit_message.value
    assert all(r.evaluator != "王分析" for r in store.records.revisions(BRANCH, YEAR))


def test_after_signing_out_nothing_more_is_saved_or_submitted(app, store, rubric):
    open_branch(app)
    app.inputs["org.items.s1.value"].value = "4"
    store.accounts.end_session(app.session_of.token)  # signed out in another tab
    app.session_of.checked_at -= 61  # a minute later (drafts ask again at most once a minute)
    app.inputs["org.items.s1.value"].value = "2"
    assert "登录已失效" in app.draft_status.value
    assert store.records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]["s1"]["value"] == "4"
    fill_everything(app, rubric)
    app.submit_button.click()
    assert "登录已失效" in app.submit_message.value
    assert all(r.evaluator != "张三" for r in store.records.revisions(BRANCH, YEAR))


# ------------------------------------------------------------------ submitting
def test_a_form_with_a_wrong_value_is_refused_and_nothing_is_stored(app, rubric, store):
    open_branch(app)
    fill_everything(app, rubric, **{"org.items.s1.value": "十二", "public.satisfied": "很多"})
    app.submit_button.click()
    shown = app.submit_message.value
    assert "有2处填写有误，未提交" in shown
    assert "s1 支部设置规范：填写了“十二”，应为0到5之间的数" in shown
    assert "满意：填写了“很多”" in shown
    assert store.records.revisions(BRANCH, YEAR) == []
    assert store.records.load_draft(BRANCH, YEAR, "张三") is not None  # the work is still there


def test_submit_then_correct_with_a_reason(app, rubric, store):
    open_branch(app)
    fill_everything(app, rubric)
    assert app.submit_button.description == "提交"
    assert app.reason.layout.display == "none"
    # When the evaluator submits, Then revision 1 is stored and the page says so
    app.submit_button.click()
    (first,) = store.records.revisions(BRANCH, YEAR)
    assert first.revision_no == 1 and first.evaluator == "张三" and first.status == "submitted"
    assert "已提交第 1 号修订" in app.submit_message.value
    assert store.records.load_draft(BRANCH, YEAR, "张三") is None
    # And the button now offers a correction, which needs a reason
    assert app.submit_button.description == "提交更正"
    assert app.reason.layout.display is None
    app.inputs["org.items.s1.value"].value = "4"
    # Once the form changes, the message about the submission gives way to the draft status
    assert "号修订" not in app.submit_message.value
    assert "草稿" in app.draft_status.value and "已提交；草稿已清除" not in app.draft_status.value
    app.submit_button.click()
    assert "请填写更正原因" in app.submit_message.value
    assert len(store.records.revisions(BRANCH, YEAR)) == 1
    # When a reason is given, Then revision 2 supersedes revision 1
    app.reason.value = "补查了支部设置批复文件"
    app.submit_button.click()
    first, second = store.records.revisions(BRANCH, YEAR)
    assert (first.status, second.status) == ("superseded", "submitted")
    assert second.revision_no == 2 and second.reason == "补查了支部设置批复文件"
    assert second.payload["org"]["items"]["s1"]["value"] == "4"
    assert "已提交第 2 号修订" in app.submit_message.value
    assert app.reason.value == ""
    # And the history lists both, newest first, in Beijing time
    history = app.history.value
    assert history.index("第2号") < history.index("第1号")
    assert "已被更正" in history and "已提交" in history
    assert "补查了支部设置批复文件" in history
    assert local_time(first.created_at) in history
    assert app.rubric.version in history


def test_the_submission_and_history_survive_a_new_app(app, rubric, store):
    open_branch(app)
    fill_everything(app, rubric)
    app.submit_button.click()
    again = evaluate_page(store, rubric)
    open_branch(again)
    assert again.submit_button.description == "提交更正"
    assert "你已提交第 1 号修订" in again.submit_message.value
    assert again.inputs["org.items.s1.value"].value == "5"  # the submitted content, to correct from
    assert again.panel.composite == FULL_COMPOSITE
    assert "第1号" in again.history.value
    assert again.draft_offer.layout.display == "none"
    # When the form changes, the message about the submission goes
    again.inputs["org.items.s1.value"].value = "3"
    assert "号修订" not in again.submit_message.value


def test_two_evaluators_are_reconciled_and_their_disagreement_flagged(app, rubric, store):
    # Given 张三 submitted full marks
    open_branch(app)
    fill_everything(app, rubric)
    app.submit_button.click()
    # When 李四, on another laptop, submits s1 = 1 and the grade 良好
    other = evaluate_page(store, rubric, "李四")
    open_branch(other)
    assert other.submit_button.description == "提交"
    fill_everything(other, rubric, **{"org.items.s1.value": "1", "org.annual_review_grade": "良好"})
    other.submit_button.click()
    # Then each evaluator's submission is listed with their composite and grade
    shown = other.reconciled.value
    assert "张三" in shown and "李四" in shown
    assert FULL_COMPOSITE in shown
    # And the merged result states its method and threshold
    assert "合并结果（2位考评人）" in shown
    assert "中位数" in shown and "20%" in shown
    # And the disagreements name each evaluator's value
    assert "存在分歧的指标（2项）" in shown
    assert "s1 支部设置规范</b>：张三 5；李四 1" in shown
    assert "年度述职评议等次</b>：张三 优秀；李四 良好" in shown
    # When they also differ on a tally, Then it is named as users know it, not by its id
    third = evaluate_page(store, rubric, "王五")
    open_branch(third)
    fill_everything(third, rubric, **{"member.excellent": "10", "member.qualified": "10"})
    third.submit_button.click()
    assert "党员评议·优秀</b>：张三 19；李四 19；王五 10" in third.reconciled.value
    assert "<b>excellent" not in third.reconciled.value
    # And the merged 群众评判 and 社会评价 count (是/否 fields survive the merge)
    assert "未完成" not in shown.split("合并结果")[1].split("合并方法")[0]


# ------------------------------------------------------------------ safety
def test_user_text_is_escaped_everywhere_it_is_shown(rubric, store):
    app = evaluate_page(store, rubric, "<i>赵</i>")
    open_branch(app)
    fill_everything(app, rubric)
    app.inputs["social.0.department"].value = "<b>x</b>"
    app.inputs["social.0.compliant"].value = "否"
    # The department's name appears in the veto explanation, escaped
    assert app.panel.vetoes_shown["department_noncompliance"][0] == "否决"
    assert "&lt;b&gt;x&lt;/b&gt;" in app.panel.veto_box.value
    assert "<b>x</b>" not in app.panel.veto_box.value
    assert "&lt;i&gt;赵&lt;/i&gt;" in app.session.value
    app.submit_button.click()
    app.reason.value = "<script>alert(1)</script>"
    app.submit_button.click()
    everything = "".join(w.value for w in (app.history, app.reconciled, app.session, app.submit_message))
    assert "<script>" not in everything and "<i>赵</i>" not in everything
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in app.history.value
    assert "&lt;i&gt;赵&lt;/i&gt;" in app.history.value


def test_a_failing_draft_save_is_a_short_message_not_a_traceback(app, store, monkeypatch, log_records):
    open_branch(app)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.records, "save_draft", broken)
    app.inputs["org.items.s1.value"].value = "4"
    assert "草稿暂未保存，正在重试" in app.draft_status.value
    assert "Traceback" not in app.draft_status.value and "disk full" not in app.draft_status.value
    assert app.panel.composite == "未完成"  # the page carries on
    assert any("draft not saved, will retry" in record.getMessage() for record in log_records)


def test_an_error_while_scoring_becomes_a_message(app, monkeypatch, log_records):
    open_branch(app)

    def broken(payload):
        raise RuntimeError("boom")

    monkeypatch.setattr(app, "_score", broken)
    app.inputs["org.items.s1.value"].value = "4"
    assert evaluate.CHANGE_FAILED in app.error.value
    assert "boom" not in app.error.value
    assert log_records and log_records[-1].exc_info is not None


def test_an_unreachable_database_is_a_short_message(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", "nonsense://nowhere")
    page = evaluate.evaluate_app()
    assert evaluate.LOAD_FAILED in page.error.value
    assert page.branch_picker.options == ()


# ------------------------------------------------------------------ department opinions
def test_department_opinions_can_be_added_and_deleted(app, rubric):
    open_branch(app)
    fill_everything(app, rubric)
    app.form.add_department_button.click()
    assert "必须填写" in message_beside(app, "social.1.department")  # an empty row must be filled or deleted
    app.inputs["social.1.department"].value = "街道财政所"
    app.inputs["social.1.compliant"].value = "否"
    app.inputs["social.1.opinion"].value = "经费使用不规范"
    assert [row["department"] for row in app.state.payload["social"]] == ["街道综治办", "街道财政所"]
    assert app.panel.vetoes_shown["department_noncompliance"][0] == "否决"
    # When the first opinion is deleted, Then the second moves up, in the state and on the form
    app.form.delete_buttons[0].click()
    assert [row["department"] for row in app.state.payload["social"]] == ["街道财政所"]
    assert app.inputs["social.0.department"].value == "街道财政所"
    assert app.inputs["social.0.opinion"].value == "经费使用不规范"
    assert "social.1.department" not in app.inputs
    assert app.panel.composite != FULL_COMPOSITE


def test_another_year_reopens_the_branch_with_its_own_log_and_draft(app, store, rubric, demo):
    # Given the store also holds a 2024 activity log
    master = master_data(demo)
    store.records.import_inputs(
        master, year=YEAR - 1, evaluator="数据管理员", rubric_version=rubric.version, source="2024"
    )
    page = evaluate_page(store, rubric)
    assert [year for _, year in page.year_picker.options] == [YEAR, YEAR - 1]
    open_branch(page)
    page.inputs["org.items.s1.value"].value = "4"
    # When the evaluator switches the year, Then the branch reopens for that year, with a form of its own
    page.year_picker.value = YEAR - 1
    assert page.state.year == YEAR - 1
    assert f"{YEAR - 1}年度" in page.session.value
    assert page.inputs["org.items.s1.value"].value == ""
    assert store.records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]["s1"]["value"] == "4"
    # And going back offers the draft of that year
    page.year_picker.value = YEAR
    assert "发现未提交的草稿" in page.offer_text.value


def test_an_empty_database_says_what_to_do(tmp_path, rubric):
    with Store(f"sqlite:///{tmp_path}/empty.sqlite", rubric=rubric) as empty:
        page = evaluate_page(empty, rubric)
        assert "数据库中还没有支部" in page.open_message.value
        open_branch(page, "东风")
        assert page.state.branch_id is None


def test_yes_no_fields_are_booleans_in_the_payload(app, rubric, store):
    open_branch(app)
    fill_everything(app, rubric)
    assert app.state.payload["public"]["unsatisfied_verified"] is False
    assert app.state.payload["social"][0]["compliant"] is True
    app.inputs["public.unsatisfied_verified"].value = ""
    assert app.state.payload["public"]["unsatisfied_verified"] is None
    saved = store.records.load_draft(BRANCH, YEAR, "张三").payload
    assert saved["social"][0]["compliant"] is True
