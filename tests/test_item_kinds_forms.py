"""The 考评 and 支部自评 forms for the kinds flag, evidence_deduction, multi_deduction and stepped: one toggle per
evidence (no count to type beside them), one count per deduction rule, a 是/否 for a flag; what is clicked
becomes the payload scoring reads, and a wrong count is shown beside its own field."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from factories import YEAR, full_form, make_inputs
from kinds_fixture import kinds_rubric, kinds_texts

from assessment.inputs.payload import check_payload, inputs_for
from assessment.pages.components import with_field
from assessment.pages.evaluate.form import EvaluationForm
from assessment.pages.evaluate.state import scoring_key
from assessment.pages.self_assess.form import SelfAssessForm
from assessment.scoring import score


@pytest.fixture(scope="module")
def rubric():
    return kinds_rubric()


class Typing:
    """Hears a form's changes and keeps the payload they make, as the pages' states do."""

    def __init__(self, payload):
        self.payload = payload

    def __call__(self, path, value):
        self.payload = with_field(self.payload, path, value)


def scored(rubric, payload):
    inputs = inputs_for(
        make_inputs(rubric, branch={"kind": "社区"}).branches, make_inputs(rubric).activities, {"B1": payload}, rubric
    )
    return score(rubric, inputs, year=YEAR).items.loc["B1"]


def test_the_evaluate_form_has_a_widget_per_mark_count_and_flag_and_no_count_beside_the_marks(rubric):
    typing = Typing(full_form(rubric))
    form = EvaluationForm(rubric, typing, lambda: None, lambda index: None)
    assert "org.items.s2.value" not in form.inputs and "org.items.s3.value" not in form.inputs
    assert {"org.items.s2.evidence.支委选举结果批复", "org.items.s2.evidence.支委分工文件"} <= set(form.inputs)
    assert {"org.items.s3.counts.late", "org.items.s3.counts.record"} <= set(form.inputs)
    assert [value for _label, value in form.inputs["org.items.f1.value"].options][:2] == ["是", "否"]
    # Problems of the whole item still have a place, and the branch's own value a box.
    assert "org.items.s2.value" in form.messages and "org.items.s2.value" in form.beside
    form.fill(typing.payload)
    assert form.inputs["org.items.s2.evidence.支委分工文件"].value == "seen"
    assert form.inputs["org.items.s3.counts.late"].value == "0"

    before = scoring_key(typing.payload)
    form.inputs["org.items.s2.evidence.支委分工文件"].value = "missing"
    assert scoring_key(typing.payload) != before  # a mark is scored: the page re-scores on it
    form.inputs["org.items.s3.counts.late"].value = "1"
    form.inputs["org.items.s3.counts.record"].value = "2"
    form.inputs["org.items.b9.value"].value = "5"
    form.inputs["org.items.f1.value"].value = "是"
    assert typing.payload["org"]["items"]["s2"]["evidence"]["支委分工文件"] == "missing"
    assert typing.payload["org"]["items"]["f1"]["value"] == "是"
    assert check_payload(typing.payload, rubric) == []
    items = scored(rubric, typing.payload)
    assert (items["s2"], items["s3"], items["b9"], items["f1"]) == (3.0, 1.0, 1.0, 0.0)

    form.inputs["org.items.s3.counts.late"].value = "两次"
    unplaced = form.show_problems(check_payload(typing.payload, rubric))
    assert unplaced == []
    assert "应为不小于0的整数" in form.messages["org.items.s3.counts.late"].value
    assert "siping-bad" in form.inputs["org.items.s3.counts.late"]._dom_classes
    # A blank mark: the item is not scored (and not guessed).
    form.inputs["org.items.s2.evidence.支委分工文件"].value = "unchecked"
    assert "支委分工文件" not in {
        k for k, v in typing.payload["org"]["items"]["s2"]["evidence"].items() if v is not None
    }


def test_the_self_form_offers_the_same_inputs(rubric):
    typing = Typing(full_form(rubric))
    form = SelfAssessForm(rubric, typing)
    assert "org.items.s2.value" not in form.inputs
    form.fill(typing.payload)
    assert form.inputs["org.items.s2.evidence.支委选举结果批复"].value == "seen"
    assert form.inputs["org.items.f1.value"].value == "否"
    form.inputs["org.items.s2.evidence.支委选举结果批复"].value = "missing"
    form.inputs["org.items.s2.evidence.支委分工文件"].value = "missing"
    form.inputs["org.items.s3.counts.record"].value = "3"
    form.inputs["org.items.b9.value"].value = "10"
    assert check_payload(typing.payload, rubric) == []
    items = scored(rubric, typing.payload)
    assert (items["s2"], items["s3"], items["b9"]) == (1.0, 3.5, 2.0)
    form.inputs["org.items.s3.counts.record"].value = "-1"
    form.show_problems(check_payload(typing.payload, rubric))
    assert "应为不小于0的整数" in form.messages["org.items.s3.counts.record"].value


# ------------------------------------------------------------------ the whole 考评 page (widgets, store, panel)
@pytest.fixture
def kinds_store(tmp_path):
    """A fresh database with the demo street's branches and activity log, its current rubric the kinds
    rubric saved as a version of its own (a street's edited rubric always is), and that rubric."""
    from assessment.demo.street import generate_demo
    from assessment.inputs.frames import Inputs
    from assessment.rubric import load_rubric
    from assessment.store import Store

    texts = kinds_texts()
    # Whatever the default version is, the street's own rubric gets a number of its own.
    texts["meta.yaml"] = re.sub(r"(?m)^version: .*$", 'version: "街道细则-1"', texts["meta.yaml"], count=1)
    demo = generate_demo(load_rubric(), year=YEAR)
    master = Inputs(
        branches=demo.branches,
        org=pd.DataFrame(columns=["branch_id"]),
        member=demo.member.iloc[0:0],
        public=demo.public.iloc[0:0],
        social=demo.social.iloc[0:0],
        activities=demo.activities,
    )
    with Store(f"sqlite:///{tmp_path}/t.sqlite") as store:
        store.rubrics.save(texts, author="分析员", note="街道评分细则：四种计分方式")
        store.records.import_inputs(
            master, year=YEAR, evaluator="数据管理员", rubric_version=store.rubrics.current().version, source="示例"
        )
        yield store, store.rubrics.current()


def test_the_evaluate_page_scores_marks_counts_and_a_flag_and_stores_them(kinds_store):
    from factories import staff_session

    from assessment.pages.evaluate.app import EvaluateApp

    kinds_store, rubric = kinds_store

    app = EvaluateApp(kinds_store, rubric, session=staff_session(kinds_store, "张三", "区委"))
    app.branch_picker.value = "JD001"
    app.open_button.click()
    payload = full_form(rubric)
    values = {"org.annual_review_grade": "优秀"}
    for item in rubric.items:
        entry = payload["org"]["items"][item.id]
        if item.kind == "evidence_deduction":
            values.update({f"org.items.{item.id}.evidence.{name}": "seen" for name in item.evidence})
        elif item.kind == "multi_deduction":
            values.update({f"org.items.{item.id}.counts.{k}": v for k, v in entry["counts"].items()})
        elif item.kind == "flag":
            values[f"org.items.{item.id}.value"] = "否"
        else:
            values[f"org.items.{item.id}.value"] = entry["value"]
    values.update({f"member.{k}": v for k, v in payload["member"].items()})
    values.update({f"public.{k}": v for k, v in payload["public"].items() if k != "unsatisfied_verified"})
    values["public.unsatisfied_verified"] = "否"
    values["org.items.b9.value"] = ""  # no bonus: it would make up for the points lost below
    for path, value in values.items():
        app.inputs[path].value = value
    app.form.add_department_button.click()
    app.inputs["social.0.department"].value = "街道综治办"
    app.inputs["social.0.compliant"].value = "是"
    branch = app.state.results.branches.loc["JD001"]
    assert branch["status"] == "已完成" and branch["veto_ids"] == ""
    full = branch["composite"]
    # When one evidence is marked 缺失 and a flag is raised, Then the item loses per and the veto fires.
    app.inputs["org.items.s2.evidence.支委分工文件"].value = "missing"
    app.inputs["org.items.f1.value"].value = "是"
    branch = app.state.results.branches.loc["JD001"]
    assert app.state.results.items.loc["JD001", "s2"] == 3.0
    assert branch["org"] == 98  # 100 − 0.05 × 2/5 × 100
    assert round(full - branch["composite"], 2) == 0.8  # the 组织评定 weighs 0.4
    assert branch["veto_ids"] == "serious_violation" and branch["grade"] == "一般"
    assert "发生严重违纪违法问题" in app.panel.veto_box.value
    app.submit_button.click()
    (stored,) = kinds_store.records.revisions("JD001", YEAR)
    assert stored.payload["org"]["items"]["s2"]["evidence"]["支委分工文件"] == "missing"
    assert stored.payload["org"]["items"]["s3"]["counts"] == {"late": "0", "record": "0"}
