"""The evaluation payload: checked like workbook cells, never silently changed, merged cautiously."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.inputs.merge import reconcile
from assessment.inputs.payload import (
    FieldProblem,
    blank_payload,
    check_payload,
    inputs_for,
    parse_payload,
    payload_rows,
)
from assessment.rubric import load_rubric
from assessment.scoring import score
from tests.factories import branch_row, full_marks, full_year_log, make_inputs

YEAR = 2025


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def full_payload(rubric, **changes) -> dict:
    """A payload that earns every point, as an evaluator would type it (text, 是/否)."""
    payload = blank_payload(rubric)
    payload["org"]["annual_review_grade"] = "优秀"
    for item_id, value in full_marks(rubric).items():
        payload["org"]["items"][item_id]["value"] = value if isinstance(value, str) else f"{value:g}"
    payload["member"] = {"participants": "20", "excellent": "19", "qualified": "1", "basic": "0", "unqualified": "0"}
    payload["public"] = {"satisfied": "40", "basic_satisfied": "2", "unsatisfied": "0", "unsatisfied_verified": "否"}
    payload["social"] = [{"department": "街道综治办", "compliant": "是", "opinion": ""}]
    for path, value in changes.items():
        target = payload
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value
    return payload


def problems_by_field(problems: list[FieldProblem]) -> dict[str, str]:
    return {p.field: p.message for p in problems}


def scored(rubric, payload):
    base = make_inputs(rubric)
    inputs = inputs_for(base.branches, base.activities, {"B1": payload}, rubric)
    return score(rubric, inputs, year=YEAR).branches.loc["B1"]


# ------------------------------------------------------------------ blank and full
def test_a_blank_payload_has_every_field_and_no_problem(rubric):
    payload = blank_payload(rubric)
    assert set(payload["org"]["items"]) == {item.id for item in rubric.items}
    assert all(entry["value"] is None for entry in payload["org"]["items"].values())
    assert payload["social"] == []
    assert check_payload(payload, rubric) == []


def test_a_full_payload_scores_like_the_same_workbook_rows(rubric):
    # Given the payload an evaluator types for the model branch of tests/factories
    payload = full_payload(rubric)
    # Then it has no problem, and it scores exactly like make_inputs' rows (same social opinions)
    assert check_payload(payload, rubric) == []
    expected_inputs = make_inputs(
        rubric,
        public={"unsatisfied": 0},
        social=[{"branch_id": "B1", "department": "街道综治办", "compliant": True, "opinion": None}],
    )
    expected = score(rubric, expected_inputs, year=YEAR).branches.loc["B1"]
    got = scored(rubric, payload)
    assert got["status"] == "已完成"
    assert got["composite"] == expected["composite"]
    assert got["grade"] == expected["grade"]


def test_the_documented_boolean_form_of_yes_no_fields_is_accepted(rubric):
    payload = full_payload(rubric)
    payload["public"]["unsatisfied_verified"] = False
    payload["social"][0]["compliant"] = True
    assert check_payload(payload, rubric) == []


# ------------------------------------------------------------------ check_payload messages
@pytest.mark.parametrize(
    ("path", "typed", "message"),
    [
        ("org.items.s1.value", "十二", "填写了“十二”，应为0到5之间的数"),
        ("org.items.s1.value", "7", "填写了“7”，应为0到5之间的数"),
        ("org.items.s1.value", "-1", "填写了“-1”，应为0到5之间的数"),
        ("org.items.t2.value", "好", "填写了“好”，应为以下之一：已参加、未参加"),
        ("org.items.t3.value", "3.5", "填写了“3.5”，应为不小于0的整数"),
        ("org.items.y7.value", "两件", "填写了“两件”，应为不小于0的整数"),
        ("org.items.p2.value", "120", "填写了“120”，应为0到100之间的数（比例，单位%，如 95）"),
        ("org.annual_review_grade", "特优", "填写了“特优”，应为以下之一：优秀、良好、一般、较差"),
        ("public.satisfied", "很多", "填写了“很多”，应为不小于0的整数"),
        ("public.unsatisfied_verified", "也许", "填写了“也许”，应为“是”或“否”"),
    ],
)
def test_a_wrong_value_is_named_by_its_field_in_chinese(rubric, path, typed, message):
    payload = full_payload(rubric, **{path: typed})
    problems = check_payload(payload, rubric)
    assert problems_by_field(problems) == {path: message}


def test_a_problem_reads_as_label_then_message(rubric):
    payload = full_payload(rubric, **{"org.items.s1.value": "十二"})
    (problem,) = check_payload(payload, rubric)
    assert problem.label == "s1 支部设置规范"
    assert str(problem) == "s1 支部设置规范：填写了“十二”，应为0到5之间的数"


def test_tallies_above_the_participants_are_named_on_both_fields(rubric):
    payload = full_payload(rubric, **{"member.participants": "10", "member.excellent": "11", "member.qualified": "0"})
    found = problems_by_field(check_payload(payload, rubric))
    assert found == {
        "member.excellent": "11人超过参评人数10人",
        "member.participants": "各档合计11人，超过参评人数10人",
    }


def test_a_department_opinion_needs_a_department_and_a_verdict(rubric):
    payload = full_payload(rubric)
    payload["social"] = [
        {"department": "", "compliant": "是", "opinion": "很好"},
        {"department": "街道财政所", "compliant": None, "opinion": ""},
    ]
    found = problems_by_field(check_payload(payload, rubric))
    assert found == {"social.0.department": "必须填写", "social.1.compliant": "必须填写"}
    labels = {p.field: p.label for p in check_payload(payload, rubric)}
    assert labels["social.1.compliant"] == "第2条部门意见·符合标准"


def test_an_added_but_empty_department_row_must_be_filled_or_deleted(rubric):
    payload = full_payload(rubric)
    payload["social"].append({"department": None, "compliant": None, "opinion": ""})
    found = problems_by_field(check_payload(payload, rubric))
    assert found == {"social.1.department": "必须填写", "social.1.compliant": "必须填写"}
    # and it is not scored meanwhile
    assert len(payload_rows("B1", payload, rubric)["social"]) == 1


def test_an_unknown_evidence_state_is_a_problem(rubric):
    payload = full_payload(rubric)
    payload["org"]["items"]["s1"]["evidence"] = {"党员花名册": "seen", "党支部成立批复文件": "maybe"}
    (problem,) = check_payload(payload, rubric)
    assert problem.field == "org.items.s1.evidence"
    assert problem.message == "台账状态应为“已查看”或“缺失”"


def test_spaces_and_percent_signs_are_typing_not_errors(rubric):
    payload = full_payload(rubric, **{"org.items.s1.value": " 4.5 ", "org.items.p2.value": "95%"})
    parsed, problems = parse_payload(payload, rubric)
    assert problems == []
    assert parsed["org"]["s1"] == 4.5
    assert parsed["org"]["p2"] == 95.0


# ------------------------------------------------------------------ payload_rows: wrong → missing
@pytest.mark.parametrize("typed", ["十二", "7", "-1", "5分"])
def test_a_wrong_value_becomes_missing_never_another_number(rubric, typed):
    # Given a points item typed wrong (too large, negative, not a number)
    payload = full_payload(rubric, **{"org.items.s1.value": typed})
    # Then the row scoring reads has no value for it: not clamped to 5, not 0, not 12
    (row,) = payload_rows("B1", payload, rubric)["org"]
    assert row["s1"] is None
    # And the other items are kept as typed
    assert row["s2"] == 5.0
    # And the payload itself still holds what was typed
    assert payload["org"]["items"]["s1"]["value"] == typed


def test_a_wrong_value_leaves_the_branch_unfinished_with_the_item_missing(rubric):
    payload = full_payload(rubric, **{"org.items.s1.value": "7"})
    branch = scored(rubric, payload)
    assert branch["status"] == "未完成"
    assert "s1 支部设置规范" in branch["missing"]
    assert branch["composite"] != branch["composite"]  # NaN: no number is made up


def test_one_wrong_tally_makes_the_whole_channel_missing(rubric):
    payload = full_payload(rubric, **{"member.qualified": "一"})
    assert payload_rows("B1", payload, rubric)["member"] == []
    assert "党员评议（无数据）" in scored(rubric, payload)["missing"]


def test_blank_tallies_count_as_zero_once_the_participants_are_given(rubric):
    payload = full_payload(rubric, **{"member.basic": None, "member.unqualified": ""})
    (row,) = payload_rows("B1", payload, rubric)["member"]
    assert (row["participants"], row["excellent"], row["basic"], row["unqualified"]) == (20, 19, 0, 0)


def test_a_department_row_without_a_verdict_is_not_scored(rubric):
    payload = full_payload(rubric)
    payload["social"].append({"department": "街道财政所", "compliant": None, "opinion": ""})
    rows = payload_rows("B1", payload, rubric)["social"]
    assert [row["department"] for row in rows] == ["街道综治办"]


def test_inputs_for_keeps_master_data_and_activity_log(rubric):
    branches = make_inputs(rubric, branch=branch_row("B1")).branches
    log = make_inputs(rubric, activities=full_year_log("B1")).activities
    inputs = inputs_for(branches, log, {"B1": full_payload(rubric)}, rubric)
    assert list(inputs.org["branch_id"]) == ["B1"]
    assert len(inputs.activities) == len(log)
    assert str(inputs.social["compliant"].dtype) == "boolean"


# ------------------------------------------------------------------ reconcile
def test_one_evaluator_is_taken_as_is(rubric):
    payload = full_payload(rubric)
    merged, disagreements = reconcile({"张三": payload}, rubric)
    assert merged == payload
    assert disagreements == []


def test_no_evaluator_gives_a_blank_payload(rubric):
    merged, disagreements = reconcile({}, rubric)
    assert merged == blank_payload(rubric)
    assert disagreements == []


def test_numbers_take_the_median_and_a_wide_spread_is_flagged(rubric):
    # s1 has max 5; the rubric flags a spread above 20 % of it (1 point), not including 1 itself
    payloads = {
        "张三": full_payload(rubric, **{"org.items.s1.value": "2", "org.items.s2.value": "4"}),
        "李四": full_payload(rubric, **{"org.items.s1.value": "4", "org.items.s2.value": "5"}),
        "王五": full_payload(rubric, **{"org.items.s1.value": "5", "org.items.s2.value": "4.5"}),
    }
    merged, disagreements = reconcile(payloads, rubric)
    assert merged["org"]["items"]["s1"]["value"] == 4
    assert merged["org"]["items"]["s2"]["value"] == 4.5
    flagged = {d.field: d for d in disagreements}
    assert "org.items.s1.value" in flagged  # 5 − 2 = 3 > 1
    assert "org.items.s2.value" not in flagged  # 5 − 4 = 1: at the threshold, not above it
    assert flagged["org.items.s1.value"].values == {"张三": 2.0, "李四": 4.0, "王五": 5.0}
    assert str(flagged["org.items.s1.value"]) == "s1 支部设置规范（张三：2.0；李四：4.0；王五：5.0）"


def test_the_mean_is_used_when_the_rubric_says_so(rubric):
    spec = rubric.channels.reconciliation.model_copy(update={"method": "mean"})
    channels = rubric.channels.model_copy(update={"reconciliation": spec})
    by_mean = rubric.model_copy(update={"channels": channels})
    payloads = {
        "张三": full_payload(rubric, **{"org.items.s1.value": "2"}),
        "李四": full_payload(rubric, **{"org.items.s1.value": "2"}),
        "王五": full_payload(rubric, **{"org.items.s1.value": "5"}),
    }
    merged, _ = reconcile(payloads, by_mean)
    assert merged["org"]["items"]["s1"]["value"] == 3
    assert "平均数" in merged["note"]


def test_a_value_one_evaluator_left_blank_is_flagged(rubric):
    payloads = {
        "张三": full_payload(rubric, **{"org.items.s1.value": "5"}),
        "李四": full_payload(rubric, **{"org.items.s1.value": None}),
    }
    merged, disagreements = reconcile(payloads, rubric)
    assert merged["org"]["items"]["s1"]["value"] == 5
    assert {d.field for d in disagreements} == {"org.items.s1.value"}


def test_a_wrong_value_counts_as_blank_when_merging(rubric):
    payloads = {
        "张三": full_payload(rubric, **{"org.items.s1.value": "十二"}),
        "李四": full_payload(rubric, **{"org.items.s1.value": "3"}),
    }
    merged, disagreements = reconcile(payloads, rubric)
    assert merged["org"]["items"]["s1"]["value"] == 3
    assert disagreements[0].values == {"张三": None, "李四": 3.0}


def test_choices_take_the_more_cautious_value_and_are_flagged(rubric):
    t2 = rubric.item("t2")
    best, worst = max(t2.levels, key=lambda lv: lv.points).label, min(t2.levels, key=lambda lv: lv.points).label
    payloads = {
        "张三": full_payload(rubric, **{"org.annual_review_grade": "优秀", "org.items.t2.value": best}),
        "李四": full_payload(rubric, **{"org.annual_review_grade": "良好", "org.items.t2.value": worst}),
    }
    merged, disagreements = reconcile(payloads, rubric)
    assert merged["org"]["annual_review_grade"] == "良好"
    assert merged["org"]["items"]["t2"]["value"] == worst
    assert {"org.annual_review_grade", "org.items.t2.value"} <= {d.field for d in disagreements}


def test_a_complaint_verified_by_anyone_stands(rubric):
    payloads = {
        "张三": full_payload(rubric, **{"public.unsatisfied": "1", "public.unsatisfied_verified": "否"}),
        "李四": full_payload(rubric, **{"public.unsatisfied": "1", "public.unsatisfied_verified": "是"}),
    }
    merged, disagreements = reconcile(payloads, rubric)
    assert merged["public"]["unsatisfied_verified"] is True
    flagged = {d.field: d.values for d in disagreements}
    assert flagged["public.unsatisfied_verified"] == {"张三": False, "李四": True}


def test_a_department_is_compliant_only_if_every_evaluator_recorded_it_so(rubric):
    one = full_payload(rubric)
    two = copy.deepcopy(one)
    two["social"][0] = {"department": "街道综治办", "compliant": "否", "opinion": "台账不全"}
    merged, disagreements = reconcile({"张三": one, "李四": two}, rubric)
    (department,) = merged["social"]
    assert department["compliant"] is False
    assert department["opinion"] == "李四：台账不全"
    flagged = {d.field: d.values for d in disagreements}
    assert flagged["social.街道综治办"] == {"张三": True, "李四": False}


def test_a_department_only_one_evaluator_heard_is_flagged(rubric):
    one = full_payload(rubric)
    two = copy.deepcopy(one)
    two["social"].append({"department": "街道财政所", "compliant": "是", "opinion": ""})
    merged, disagreements = reconcile({"张三": one, "李四": two}, rubric)
    assert [d["department"] for d in merged["social"]] == ["街道综治办", "街道财政所"]
    assert [d.field for d in disagreements] == ["social.街道财政所"]


def test_the_merged_payload_says_how_it_was_made(rubric):
    payloads = {"张三": full_payload(rubric), "李四": full_payload(rubric, **{"org.items.s1.value": "4"})}
    merged, disagreements = reconcile(payloads, rubric)
    assert (
        merged["note"]
        == "由2位考评人的提交合并（指标分数取中位数，票数整份取居中的一位考评人的记录），分歧阈值为量程的20%"
    )
    assert disagreements == []  # 5 − 4 = 1 is not above 20 % of 5


def test_the_merged_payload_passes_its_own_check_and_scores_complete(rubric):
    payloads = {"张三": full_payload(rubric), "李四": full_payload(rubric, **{"org.items.s1.value": "4"})}
    merged, _ = reconcile(payloads, rubric)
    assert check_payload(merged, rubric) == []
    assert scored(rubric, merged)["status"] == "已完成"


# ------------------------------------------------------------------ tallies merge as whole records
def member_tally(participants: int, excellent: int, qualified: int = 0, basic: int = 0, unqualified: int = 0) -> dict:
    return {
        "member.participants": str(participants),
        "member.excellent": str(excellent),
        "member.qualified": str(qualified),
        "member.basic": str(basic),
        "member.unqualified": str(unqualified),
    }


def veto_passed(rubric, payload, rule_id: str):
    base = make_inputs(rubric)
    inputs = inputs_for(base.branches, base.activities, {"B1": payload}, rubric)
    vetoes = score(rubric, inputs, year=YEAR).vetoes
    value = vetoes.loc[vetoes["rule_id"] == rule_id, "passed"].iloc[0]
    return None if value is pd.NA else bool(value)


def test_two_passing_tallies_never_merge_into_a_veto(rubric):
    # Given evaluator A: 12 took part, 11 优秀 (91.7 %); B: 11 took part, 10 优秀 (90.9 %): both pass 90 %
    payloads = {
        "甲": full_payload(rubric, **member_tally(12, 11, 1)),
        "乙": full_payload(rubric, **member_tally(11, 10, 1)),
    }
    assert all(veto_passed(rubric, p, "member_excellent_share") for p in payloads.values())
    # When merged
    merged, disagreements = reconcile(payloads, rubric)
    # Then the tally is one evaluator's whole record (the lower of the two), and the veto still passes
    assert merged["member"] == {"participants": 11, "excellent": 10, "qualified": 1, "basic": 0, "unqualified": 0}
    assert veto_passed(rubric, merged, "member_excellent_share") is True
    # And a difference of one vote is within 20 % of the count: no disagreement flagged
    assert disagreements == []


def test_a_merged_tally_never_has_more_votes_than_voters(rubric):
    # Per-number medians of (10, 9, 1) and (11, 10, 1) made 10 voters with 9.5→10 优秀 and 1 合格: 11 votes
    payloads = {
        "甲": full_payload(rubric, **member_tally(10, 9, 1)),
        "乙": full_payload(rubric, **member_tally(11, 10, 1)),
    }
    merged, _ = reconcile(payloads, rubric)
    votes = sum(merged["member"][k] for k in ("excellent", "qualified", "basic", "unqualified"))
    assert votes <= merged["member"]["participants"]
    assert check_payload(merged, rubric) == []


def test_a_broken_tally_is_not_picked(rubric):
    # 乙's tally has more votes than voters: it is a problem of its own form, never the merged record
    payloads = {
        "甲": full_payload(rubric, **member_tally(20, 18, 2)),
        "乙": full_payload(rubric, **member_tally(5, 9)),
        "丙": full_payload(rubric, **member_tally(20, 19, 1)),
    }
    merged, _ = reconcile(payloads, rubric)
    assert merged["member"]["participants"] == 20 and merged["member"]["excellent"] == 18


def test_the_lowest_record_is_taken_when_the_rubric_says_so(rubric):
    spec = rubric.channels.reconciliation.model_copy(update={"tallies": "lowest_record"})
    lowest = rubric.model_copy(update={"channels": rubric.channels.model_copy(update={"reconciliation": spec})})
    payloads = {
        "甲": full_payload(rubric, **member_tally(20, 20)),
        "乙": full_payload(rubric, **member_tally(20, 17, 3)),
        "丙": full_payload(rubric, **member_tally(20, 19, 1)),
    }
    assert reconcile(payloads, rubric)[0]["member"]["excellent"] == 19
    assert reconcile(payloads, lowest)[0]["member"]["excellent"] == 17
    assert "最低" in reconcile(payloads, lowest)[0]["note"]


@st.composite
def member_tallies(draw):
    participants = draw(st.integers(1, 40))
    excellent = draw(st.integers(0, participants))
    qualified = draw(st.integers(0, participants - excellent))
    basic = draw(st.integers(0, participants - excellent - qualified))
    unqualified = draw(st.integers(0, participants - excellent - qualified - basic))
    return member_tally(participants, excellent, qualified, basic, unqualified)


@st.composite
def public_tallies(draw):
    counts = [draw(st.integers(0, 30)) for _ in range(3)]
    if sum(counts) == 0:
        counts[0] = 1
    return {
        "public.satisfied": str(counts[0]),
        "public.basic_satisfied": str(counts[1]),
        "public.unsatisfied": str(counts[2]),
    }


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), evaluators=st.integers(2, 5))
def test_merged_tallies_are_consistent_and_between_the_evaluators(rubric, data, evaluators):
    # Given two to five evaluators' valid tallies of one branch
    payloads = {
        f"考评人{i}": full_payload(rubric, **data.draw(member_tallies()), **data.draw(public_tallies()))
        for i in range(evaluators)
    }
    merged, _ = reconcile(payloads, rubric)
    # Then the merged tally is valid: never more votes than voters
    assert check_payload(merged, rubric) == []
    member = merged["member"]
    assert sum(member[k] for k in ("excellent", "qualified", "basic", "unqualified")) <= member["participants"]
    # And the 优秀 veto's outcome lies between the evaluators' own (all pass → pass, all fire → fire)
    own = [veto_passed(rubric, p, "member_excellent_share") for p in payloads.values()]
    assert min(own) <= veto_passed(rubric, merged, "member_excellent_share") <= max(own)
    # And each channel score lies between the evaluators' own
    own_rows = [scored(rubric, p) for p in payloads.values()]
    merged_row = scored(rubric, merged)
    for channel in ("member", "public"):
        values = [row[channel] for row in own_rows]
        assert min(values) <= merged_row[channel] <= max(values)


# ------------------------------------------------------------------ 查证属实 left blank
def test_a_blank_verification_with_no_unsatisfied_costs_nothing(rubric):
    # Given a branch with full marks, 不满意 0 and 查证属实 left blank (the template asks for it only when 不满意 > 0)
    payload = full_payload(rubric, **{"public.unsatisfied": "0", "public.unsatisfied_verified": None})
    # Then the veto passes (nothing to verify) and the branch keeps its 最强资格
    assert veto_passed(rubric, payload, "public_unsatisfied_verified") is True
    assert bool(scored(rubric, payload)["strongest"]) is True


def test_a_blank_verification_with_a_complaint_cannot_be_judged(rubric):
    payload = full_payload(rubric, **{"public.unsatisfied": "1", "public.unsatisfied_verified": None})
    assert veto_passed(rubric, payload, "public_unsatisfied_verified") is None
    assert bool(scored(rubric, payload)["strongest"]) is False


def test_a_rubric_without_only_if_counted_keeps_blank_as_unknown(rubric):
    rules = tuple(
        rule.model_copy(update={"only_if_counted": None}) if rule.id == "public_unsatisfied_verified" else rule
        for rule in rubric.eligibility.veto_rules
    )
    older = rubric.model_copy(update={"eligibility": rubric.eligibility.model_copy(update={"veto_rules": rules})})
    payload = full_payload(rubric, **{"public.unsatisfied": "0", "public.unsatisfied_verified": None})
    assert veto_passed(older, payload, "public_unsatisfied_verified") is None
