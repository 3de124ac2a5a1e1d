"""The 党员名册 rules (rubrics/members.yaml) at their edges, the gap list, and the self-check."""

from __future__ import annotations

import pandas as pd
import pytest
from samples import build_sample_inputs, sample_roster

from assessment.analysis.self_assessment import payload_item_points, self_check
from assessment.inputs.payload import blank_payload
from assessment.rubric import load_rubric
from assessment.scoring.members import check_members

RUBRIC = load_rubric()
PAID = [True] * 12


def member(name="甲", role="党员", sessions=12, upper=None, dues=PAID, wechat=True, status="正式党员", branch="B01"):
    return (branch, name, status, role, "2010-07-01", sessions, upper, list(dues), wechat)


def rule(findings, rule_id, branch="B01"):
    rows = findings.rules[(findings.rules["rule_id"] == rule_id) & (findings.rules["branch_id"] == branch)]
    (row,) = rows.itertuples()
    return row


def with_rule(rubric, rule_id: str, **update):
    """``rubric`` with members.yaml rule ``rule_id`` changed."""
    rules = rubric.members.rules
    changed = rules.model_copy(update={rule_id: getattr(rules, rule_id).model_copy(update=update)})
    return rubric.model_copy(update={"members": rubric.members.model_copy(update={"rules": changed})})


def with_dues(unpaid_months: list[int]) -> list[bool]:
    return [month not in unpaid_months for month in range(1, 13)]


# ------------------------------------------------------------------ dues
@pytest.mark.parametrize(
    ("unpaid", "flagged"),
    [
        ([3, 4, 5, 6, 7], False),  # 5 consecutive months: not yet
        ([3, 4, 5, 6, 7, 8], True),  # 6 consecutive months: flagged (以上 includes 6)
        ([1, 2, 3, 5, 6, 7], False),  # 6 months, but paid in April: the longest run is 3
        ([7, 8, 9, 10, 11, 12], True),  # up to December
    ],
)
def test_dues_lapse_counts_consecutive_unpaid_months(unpaid, flagged):
    findings = check_members(RUBRIC, sample_roster([member("王五", dues=with_dues(unpaid))]))
    result = rule(findings, "dues_lapse")
    assert bool(result.passed) is (not flagged)
    assert bool(findings.members.loc[0, "lapse"]) is flagged
    if flagged:
        assert f"王五（{unpaid[0]}月至{unpaid[-1]}月，6个月）" in result.explanation
        assert "由支部研究决定（本工具只提示）" in result.explanation


def test_a_blank_month_is_not_due_and_breaks_a_run():
    dues = [False, False, False, None, False, False, False, True, True, True, True, True]
    findings = check_members(RUBRIC, sample_roster([member(dues=dues)]))
    assert findings.members.loc[0, "unpaid_run"] == 3 and findings.members.loc[0, "unpaid_total"] == 6
    assert bool(rule(findings, "dues_lapse").passed)


def test_without_consecutive_the_rubric_counts_unpaid_months_in_total():
    rubric = with_rule(RUBRIC, "dues_lapse", consecutive=False)
    dues = with_dues([1, 3, 5, 7, 9, 11])
    findings = check_members(rubric, sample_roster([member("赵六", dues=dues)]))
    result = rule(findings, "dues_lapse")
    assert (
        not result.passed
        and "累计6个月以上" in result.explanation
        and "1月、3月、5月、7月、9月、11月" in result.explanation
    )
    assert bool(rule(check_members(RUBRIC, sample_roster([member(dues=dues)])), "dues_lapse").passed)


# ------------------------------------------------------------------ training
@pytest.mark.parametrize(("sessions", "ok"), [(11, False), (12, True), (13, True)])
def test_members_need_12_sessions(sessions, ok):
    findings = check_members(RUBRIC, sample_roster([member("李四", sessions=sessions)]))
    result = rule(findings, "member_training")
    assert bool(result.passed) is ok
    assert ("李四（党员，11次）" in result.explanation) is (not ok)


@pytest.mark.parametrize(("role", "sessions", "ok"), [("委员", 23, False), ("委员", 24, True), ("副书记", 12, False)])
def test_committee_members_need_24_sessions(role, sessions, ok):
    findings = check_members(RUBRIC, sample_roster([member("张委员", role=role, sessions=sessions)]))
    assert bool(rule(findings, "committee_training").passed) is ok
    assert bool(findings.members.loc[0, "sessions_short"]) is (not ok)


@pytest.mark.parametrize(("upper", "passed"), [(True, True), (False, False), (None, None)])
def test_the_secretary_needs_the_upper_committees_training(upper, passed):
    findings = check_members(RUBRIC, sample_roster([member("王书记", role="书记", sessions=24, upper=upper)]))
    result = rule(findings, "secretary_training")
    assert (None if result.passed is pd.NA else bool(result.passed)) is passed
    if passed is False:
        assert result.explanation == "书记王书记本年度未参加上级党委组织的培训（应每年参加1次）。"


def test_exactly_one_secretary_and_the_wechat_share_at_nine_tenths():
    nine_of_ten = [member(f"党员{i}", wechat=i < 9) for i in range(10)]
    nine_of_ten[0] = member("王书记", role="书记", sessions=24, upper=True)
    findings = check_members(RUBRIC, sample_roster(nine_of_ten))
    assert bool(rule(findings, "wechat_share").passed)  # 9 of 10 = 90%以上 (includes 90%)
    assert bool(rule(findings, "secretary_present").passed)
    eight = [*nine_of_ten[:8], member("甲", wechat=False), member("乙", wechat=False)]
    findings = check_members(RUBRIC, sample_roster(eight))
    result = rule(findings, "wechat_share")
    assert not result.passed and "未入群：甲、乙" in result.explanation
    two = sample_roster([member("甲", role="书记", upper=True), member("乙", role="书记", upper=True)])
    assert "名册中有2名书记" in rule(check_members(RUBRIC, two), "secretary_present").explanation


def test_many_branches_are_checked_at_once_and_kept_apart():
    roster = sample_roster([member("甲", sessions=11), member("乙", sessions=12, branch="B02")])
    findings = check_members(RUBRIC, roster)
    assert not rule(findings, "member_training").passed
    assert rule(findings, "member_training", "B02").passed
    assert list(findings.for_branch("B02").members["name"]) == ["乙"]


# ------------------------------------------------------------------ gaps and the self-check
def full_payload(rubric, **values):
    payload = blank_payload(rubric)
    for item in rubric.items:
        value = {
            "level": item.levels[0].label if item.levels else None,
            "count_shortfall": item.target,
            "deduction": 0,
            "rate_steps": 100,
        }.get(item.kind, item.max)
        payload["org"]["items"][item.id]["value"] = float(value) if not isinstance(value, str) else value
    for item_id, value in values.items():
        payload["org"]["items"][item_id]["value"] = value
    return payload


def test_gaps_are_ordered_by_points_lost_and_carry_the_rubrics_advice():
    inputs = build_sample_inputs(RUBRIC)
    branch = inputs.branches[inputs.branches["branch_id"] == "B01"].reset_index(drop=True)
    # y1 weight 0.10, max 10: 5 points short → 5.00; r1 weight 0.06, max 6: 3 short → 3.00; s1: 1 short → 1.00
    checked = self_check(RUBRIC, branch, inputs.activities, None, full_payload(RUBRIC, y1=5, r1=3, s1=4), year=2025)
    items = checked.gaps[checked.gaps["kind"] == "item"]
    assert list(items["id"]) == ["y1", "r1", "s1"]
    assert list(items["points_lost"]) == [5.0, 3.0, 1.0]
    assert items.iloc[0]["advice"].startswith(RUBRIC.item("y1").advice)
    rules = checked.gaps[checked.gaps["kind"] != "item"]
    assert len(rules) and rules["points_lost"].isna().all()
    committee = rules[rules["id"] == "committee_meeting"].iloc[0]
    assert "缺：" in committee["finding"] and "4月" in committee["finding"] and committee["blocks_standard"]
    assert checked.gaps.index.tolist() == list(range(len(checked.gaps)))


def test_the_roster_gives_the_structure_counts_and_member_findings():
    inputs = build_sample_inputs(RUBRIC)
    branch = inputs.branches[inputs.branches["branch_id"] == "B01"].reset_index(drop=True)
    roster = sample_roster(
        [
            member("王书记", role="书记", sessions=24, upper=True),
            member("张委员", role="委员", sessions=24),
            member("李党员", sessions=11, dues=with_dues([1, 2, 3, 4, 5, 6])),
        ]
    )
    checked = self_check(RUBRIC, branch, inputs.activities, roster, full_payload(RUBRIC), year=2025)
    assert "正式党员3人、预备党员0人、支委会2人" in checked.roster_note
    struct = checked.results.structure.set_index("rule_id")
    assert struct.loc["committee_size", "passed"] == False
    member_gaps = checked.gaps[checked.gaps["kind"] == "members"]
    assert set(member_gaps["id"]) == {"member_training", "dues_lapse"}
    secretary_only = sample_roster([member("王书记", role="书记", sessions=24, upper=True)])
    alone = self_check(RUBRIC, branch, inputs.activities, secretary_only, full_payload(RUBRIC), year=2025)
    assert "未设支委会" in alone.roster_note
    assert alone.branches["committee_size"].iloc[0] == 0


def test_the_self_check_predicts_the_vetoes_it_can_and_says_which_it_cannot():
    inputs = build_sample_inputs(RUBRIC)
    branch = inputs.branches[inputs.branches["branch_id"] == "B01"].reset_index(drop=True)
    payload = full_payload(RUBRIC)
    payload["org"]["annual_review_grade"] = "良好"
    payload["member"] = {"participants": 10, "excellent": 9, "qualified": 1, "basic": 0, "unqualified": 0}
    checked = self_check(RUBRIC, branch, inputs.activities, None, payload, year=2025)
    vetoes = checked.results.vetoes.set_index("rule_id")["passed"]
    assert vetoes["annual_review"] == False
    assert vetoes["member_excellent_share"] == True
    assert vetoes["public_unsatisfied_verified"] is pd.NA and vetoes["department_noncompliance"] is pd.NA
    assert checked.row["org"] == 100.0


def test_payload_item_points_are_the_self_scores():
    points = payload_item_points(RUBRIC, "B01", full_payload(RUBRIC, s1=4, t3=11))
    assert points["s1"] == 4.0 and points["t3"] == 3.5  # 1 session short of 12: −0.5
    assert payload_item_points(RUBRIC, "B01", None).isna().all()


# ------------------------------------------------------------------ dues across the turn of the year
def last_year(unpaid: list[int], name="王五", branch="B01"):
    return sample_roster([member(name, dues=with_dues(unpaid), branch=branch)])


@pytest.mark.parametrize(
    ("before", "now", "flagged", "span"),
    [
        ([9, 10, 11, 12], [1, 2], True, "上年9月至本年2月，6个月"),  # six months across December–January
        ([10, 11, 12], [1, 2], False, ""),  # five: 不满六个月
        ([7, 8, 9, 10, 11, 12], [], False, ""),  # a lapse that ended last year was last year's finding
        (
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            [3, 4, 5, 6, 7, 8],
            True,
            "3月至8月，6个月",
        ),  # last year's run is longer
    ],
)
def test_with_last_years_roster_a_lapse_across_the_year_counts(before, now, flagged, span):
    roster = sample_roster([member("王五", dues=with_dues(now))])
    findings = check_members(RUBRIC, roster, last_year(before))
    result = rule(findings, "dues_lapse")
    assert bool(result.passed) is (not flagged)
    assert bool(findings.members.loc[0, "lapse"]) is flagged
    if flagged:
        assert f"王五（{span}）" in result.explanation
    assert "已结合上年度名册检查跨年度的连续未交纳" in result.explanation


def test_without_last_years_roster_the_result_says_it_saw_only_this_year():
    roster = sample_roster([member("王五", dues=with_dues([1, 2]))])
    result = rule(check_members(RUBRIC, roster), "dues_lapse")
    assert bool(result.passed)  # what it can see passes …
    assert "只有本年度的党费记录" in result.explanation  # … and it says what it could not see
    assert "上年12月至本年1月" in result.explanation


def test_members_are_matched_by_branch_and_name_and_the_unmatched_are_named():
    roster = sample_roster(
        [member("王五", dues=with_dues([1, 2])), member("新党员", dues=with_dues([1])), member("王五", branch="B02")]
    )
    # Last year 王五 of B01 did not pay from September; a 王五 of another branch did not either.
    previous = pd.concat([last_year([9, 10, 11, 12]), last_year([7, 8, 9, 10, 11, 12], branch="B03")])
    findings = check_members(RUBRIC, roster, previous)
    assert findings.members["lapse"].tolist() == [True, False, False]
    result = rule(findings, "dues_lapse")
    assert "上年度名册中找不到、本年1月未交纳的党员只按本年度检查：新党员" in result.explanation
    assert bool(rule(findings, "dues_lapse", "B02").passed)


def test_a_name_twice_in_a_branch_is_not_matched_to_last_year():
    roster = sample_roster([member("王五", dues=with_dues([1, 2])), member("王五")])
    findings = check_members(RUBRIC, roster, last_year([9, 10, 11, 12]))
    assert not findings.members["lapse"].any()


def test_the_self_check_uses_last_years_roster():
    inputs = build_sample_inputs(RUBRIC)
    branch = inputs.branches[inputs.branches["branch_id"] == "B01"].reset_index(drop=True)
    roster = sample_roster([member("王书记", role="书记", sessions=24, upper=True, dues=with_dues([1, 2]))])
    previous = sample_roster([member("王书记", role="书记", dues=with_dues([9, 10, 11, 12]))])
    args = (RUBRIC, branch, inputs.activities, roster, full_payload(RUBRIC))
    seen = self_check(*args, year=2025, previous_roster=previous)
    assert not bool(rule(seen.members, "dues_lapse").passed)
    assert bool(rule(self_check(*args, year=2025).members, "dues_lapse").passed)


def test_the_self_check_reads_talks_from_the_roster_and_says_when_it_cannot_tell():
    from assessment.pages.self_assess.views import findings_html

    inputs = build_sample_inputs(RUBRIC)
    branch = inputs.branches[inputs.branches["branch_id"] == "B01"].reset_index(drop=True)
    roster = sample_roster([member("王书记", role="书记", sessions=24, upper=True), member("李党员")])
    args = (RUBRIC, branch, inputs.activities, roster, full_payload(RUBRIC))
    # B01's log has one 谈心谈话; the roster has no talk counts: the page cannot tell whether everyone had one
    unknown = self_check(*args, year=2025)
    talks = unknown.results.activities.set_index("rule_id").loc["heart_talk"]
    assert pd.isna(talks["met"]) and "无法逐人核对" in talks["missing_periods"]
    assert "无法判断" in str(findings_html(unknown))
    # With the counts, 李党员 without a talk fails the rule
    roster["talks"] = pd.array([1, 0], dtype="Int64")
    counted = self_check(*args[:3], roster, args[4], year=2025)
    talks = counted.results.activities.set_index("rule_id").loc["heart_talk"]
    assert talks["met"] == False and talks["missing_periods"] == "全年未谈话：李党员"
