"""The 考评 and 支部自评 forms for the kinds flag, evidence_deduction, multi_deduction and stepped: one toggle per
evidence (no count to type beside them), one count per deduction rule, a 是/否 for a flag; what is clicked
becomes the payload scoring reads, and a wrong count is shown beside its own field."""

from __future__ import annotations

import pytest
from factories import YEAR, full_form, make_inputs
from kinds_fixture import kinds_rubric

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
