"""Every rule at its edges: 以上/超过/不足 boundaries, exact shares, empty reviews, missing data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from factories import YEAR, branch_row, full_year_log, make_inputs

from assessment.rubric import load_rubric
from assessment.scoring import eligibility as el
from assessment.scoring import score
from assessment.scoring.channels import item_points


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def run(rubric, **parts):
    return score(rubric, make_inputs(rubric, **parts), year=YEAR)


def veto(results, rule_id):
    rows = results.vetoes[results.vetoes["rule_id"] == rule_id]
    assert len(rows) == 1
    return rows.iloc[0]


def only(results):
    assert len(results.branches) == 1
    return results.branches.iloc[0]


# ------------------------------------------------------------------ the model branch
def test_model_branch_is_eligible(rubric):
    b = only(run(rubric))
    assert b["status"] == "已完成" and b["missing"] == ""
    assert b["standardized"] and b["five_strong"] and b["strongest"]
    assert b["grade"] == "优秀" and b["stars"] == 5 and not b["weak"]
    assert b["veto_ids"] == ""


# ------------------------------------------------------------------ member_excellent_share (90%以上)
@pytest.mark.parametrize(
    ("excellent", "participants", "passes", "observed"),
    [
        (9, 10, True, "90%"),  # 90%以上 includes 90%
        (18, 20, True, "90%"),
        (899, 1000, False, "89.9%"),
        (8999, 10000, False, "89.9%"),  # 89.99% is rounded for display, but never up to the 90% it misses
        (33, 36, True, "91.7%"),
        (10, 10, True, "100%"),
        (0, 10, False, "0%"),
    ],
)
def test_member_excellent_share_is_exact(rubric, excellent, participants, passes, observed):
    member = {"participants": participants, "excellent": excellent, "qualified": participants - excellent}
    result = run(rubric, member=member)
    rule = veto(result, "member_excellent_share")
    assert bool(rule["passed"]) is passes
    assert rule["observed"] == observed and rule["threshold"] == "90%"
    assert ("member_excellent_share" in only(result)["veto_ids"]) is not passes
    assert f"占参评人数{participants}人" in rule["explanation"]


def test_base_is_participants_not_ballots_cast(rubric):
    # 9 of 10 took part but one ballot was blank: 9 优秀 still 90% of participants.
    rule = veto(run(rubric, member={"participants": 10, "excellent": 9, "qualified": 0}), "member_excellent_share")
    assert bool(rule["passed"])
    # Blank ballots are not 优秀: 8 优秀 + 2 blank of 10 is 80%.
    rule = veto(run(rubric, member={"participants": 10, "excellent": 8, "qualified": 0}), "member_excellent_share")
    assert not bool(rule["passed"]) and rule["observed"] == "80%"


def test_review_with_no_participants_is_not_eligible_with_a_reason(rubric):
    result = run(rubric, member={"participants": 0, "excellent": 0, "qualified": 0})
    b = only(result)
    rule = veto(result, "member_excellent_share")
    assert not bool(rule["passed"])
    assert "参评人数为0" in rule["explanation"]
    assert not b["strongest"] and "参评人数为0" in b["reasons"]
    assert b["status"] == "未完成" and "参评人数为0" in b["missing"]


# ------------------------------------------------------------------ the other three vetoes
@pytest.mark.parametrize(("grade", "passes"), [("优秀", True), ("良好", False), ("一般", False), ("较差", False)])
def test_annual_review_below_excellent_vetoes(rubric, grade, passes):
    result = run(rubric, org={"annual_review_grade": grade})
    rule = veto(result, "annual_review")
    assert bool(rule["passed"]) is passes
    assert rule["observed"] == grade and rule["source"].startswith("001 §三(四)")
    assert only(result)["strongest"] is passes or bool(only(result)["strongest"]) is passes


def test_verified_public_complaint_vetoes(rubric):
    result = run(rubric, public={"unsatisfied": 1, "unsatisfied_verified": True})
    assert not bool(veto(result, "public_unsatisfied_verified")["passed"])
    assert only(result)["veto_ids"] == "public_unsatisfied_verified"
    # An unverified complaint does not.
    result = run(rubric, public={"unsatisfied": 3, "unsatisfied_verified": False})
    assert bool(veto(result, "public_unsatisfied_verified")["passed"])


def test_department_noncompliance_vetoes_and_names_the_department(rubric):
    social = [
        {"branch_id": "B1", "department": "街道综治办", "compliant": True, "opinion": None},
        {"branch_id": "B1", "department": "市场监管所", "compliant": False, "opinion": "台账不全"},
    ]
    result = run(rubric, social=social)
    rule = veto(result, "department_noncompliance")
    assert not bool(rule["passed"]) and rule["observed"] == "1"
    assert "市场监管所" in rule["explanation"]
    assert only(result)["social"] == 50.0


def test_vetoes_fire_in_the_fixed_order(rubric):
    social = [{"branch_id": "B1", "department": "街道纪工委", "compliant": False, "opinion": "x"}]
    result = run(
        rubric,
        org={"annual_review_grade": "良好"},
        member={"excellent": 10, "qualified": 10},
        public={"unsatisfied_verified": True},
        social=social,
    )
    assert only(result)["veto_ids"] == (
        "annual_review;member_excellent_share;public_unsatisfied_verified;department_noncompliance"
    )
    assert list(result.vetoes["rule_id"]) == [
        "annual_review",
        "member_excellent_share",
        "public_unsatisfied_verified",
        "department_noncompliance",
    ]


# ------------------------------------------------------------------ incomplete data
def test_missing_indicator_is_incomplete_and_vetoes_still_run(rubric):
    result = run(rubric, org={"y1": np.nan}, member={"excellent": 5, "qualified": 15})
    b = only(result)
    assert b["status"] == "未完成"
    assert "y1 三会一课" in b["missing"]
    assert np.isnan(b["org"]) and np.isnan(b["composite"]) and b["grade"] is None and pd.isna(b["stars"])
    assert not b["standardized"] and not b["strongest"]
    # The veto rule whose inputs are present is still evaluated and fires.
    assert "member_excellent_share" in b["veto_ids"]
    assert bool(veto(result, "annual_review")["passed"])


def test_missing_channels_are_listed_and_their_vetoes_unknown(rubric):
    result = run(rubric, drop=("social", "member"))
    b = only(result)
    assert "党员评议（无数据）" in b["missing"] and "社会评价（无部门意见）" in b["missing"]
    assert pd.isna(veto(result, "department_noncompliance")["passed"])
    assert pd.isna(veto(result, "member_excellent_share")["passed"])
    assert "无法判断" in b["reasons"]
    assert b["veto_ids"] == ""


# ------------------------------------------------------------------ bands (以上 owns the edge)
def test_grade_bands_at_their_edges(rubric):
    units = np.array([10000, 9000, 8999, 8000, 7999, 6000, 5999, 0, np.nan])
    assert list(el.grades(rubric, units, 2)) == ["优秀", "优秀", "良好", "良好", "一般", "一般", "较差", "较差", None]


def test_star_bands_and_cap_when_not_standardized(rubric):
    units = np.array([9000, 8999, 7000, 6999, 5999])
    assert list(el.stars(rubric, units, np.ones(5, dtype=bool), 2)) == [5, 4, 3, 2, 1]
    assert list(el.stars(rubric, units, np.zeros(5, dtype=bool), 2)) == [3, 3, 3, 2, 1]


def test_composite_of_exactly_ninety_is_excellent(rubric):
    # org 90 (三会一课 worth 10 points scored 0), member 90, public 90, social 100 → 36+18+18+20 = 92; use social 90 too.
    social = [{"branch_id": "B1", "department": f"部门{i}", "compliant": i < 9, "opinion": None} for i in range(10)]
    result = run(
        rubric,
        branch={"kind": "社区"},  # every item applies (t5 is for 村/社区 only: elsewhere the others weigh more)
        org={"y1": 0.0},
        member={"participants": 10, "excellent": 9, "qualified": 0, "unqualified": 1},
        public={"satisfied": 9, "basic_satisfied": 0, "unsatisfied": 1},
        social=social,
    )
    b = only(result)
    assert (b["org"], b["member"], b["public"], b["social"]) == (90.0, 90.0, 90.0, 90.0)
    assert b["composite"] == 90.0 and b["grade"] == "优秀"


def test_composite_just_below_ninety(rubric):
    # public 35980/400 = 89.95 → composite 36 + 18 + 17.99 + 18 = 89.99 → 良好.
    social = [{"branch_id": "B1", "department": f"部门{i}", "compliant": i < 9, "opinion": None} for i in range(10)]
    result = run(
        rubric,
        branch={"kind": "社区"},  # every item applies (t5 is for 村/社区 only: elsewhere the others weigh more)
        org={"y1": 0.0},
        member={"participants": 10, "excellent": 9, "qualified": 0, "unqualified": 1},
        public={"satisfied": 358, "basic_satisfied": 3, "unsatisfied": 39},
        social=social,
    )
    b = only(result)
    assert b["public"] == 89.95 and b["composite"] == 89.99 and b["grade"] == "良好"


def test_standardized_threshold_is_inclusive(rubric):
    # composite exactly 80: org 80 (y1 0, s1 0, y5 0 → 10+5+4=19 lost... use rate item) — drive via channel scores.
    units = {"composite": np.array([8000.0, 7999.0])}
    cond = rubric.eligibility.standardized.conditions[0]
    assert cond.type == "score_at_least" and cond.inclusive
    from assessment.scoring.numbers import at_least, threshold_units

    assert list(at_least(units["composite"], threshold_units(cond.threshold, 2), cond.inclusive)) == [True, False]


# ------------------------------------------------------------------ checklist item kinds
def test_item_kinds(rubric):
    t3 = rubric.item("t3")  # count_shortfall: target 12, 0.5 per missing, max 4
    assert list(item_points(t3, pd.Series([12, 13, 10, 0, np.nan])))[:4] == [4, 4, 3, 0]
    y7 = rubric.item("y7")  # deduction: 1 per missing, max 6, floored at 0 (扣完为止)
    assert list(item_points(y7, pd.Series([0, 2, 6, 9]))) == [6, 4, 0, 0]
    p2 = rubric.item("p2")  # rate_steps: 90% target, 1 per 10 points, a partial step counts (ceil)
    assert list(item_points(p2, pd.Series([100, 90, 89.5, 80, 79, 0]))) == [3, 3, 2, 2, 1, 0]
    t2 = rubric.item("t2")  # level
    assert list(item_points(t2, pd.Series(["已参加", "未参加", None]))[:2]) == [3, 0]


def test_key_item_below_sixty_percent_blocks_standardized(rubric):
    # y1 三会一课 is a key item worth 10: 5.5 is 55% → not 达标 even though the composite stays high.
    b = only(run(rubric, org={"y1": 5.5}))
    assert b["composite"] >= 80 and not b["standardized"]
    assert "三会一课" in b["standardized_reasons"]
    assert only(run(rubric, org={"y1": 6.0}))["standardized"]  # 60%以上 includes 60%


def test_weak_branch_flags(rubric):
    b = only(run(rubric, org={"y1": 0.0}))
    assert b["weak"] and "关键项得0分" in b["weak_reasons"]
    assert not only(run(rubric))["weak"]


# ------------------------------------------------------------------ activities
def activity_row(rubric_type, date, *, record=True, expected=20, attended=18, branch="B1"):
    return dict(branch_id=branch, date=date, type=rubric_type, expected=expected, attended=attended, has_record=record)


def rule_row(results, rule_id):
    rows = results.activities[results.activities["rule_id"] == rule_id]
    assert len(rows) == 1
    return rows.iloc[0]


def test_twelve_committee_meetings_in_eleven_months_fail(rubric):
    log = [r for r in full_year_log("B1") if r["type"] != "支委会"]
    log += [activity_row("支委会", f"{YEAR}-{m:02d}-05") for m in range(1, 12)]
    log.append(activity_row("支委会", f"{YEAR}-11-25"))  # the twelfth, in November again
    result = run(rubric, activities=log)
    row = rule_row(result, "committee_meeting")
    assert row["count"] == 12 and not row["met"] and row["missing_periods"] == "12月"
    b = only(result)
    assert not b["standardized"] and "组织生活" in b["standardized_reasons"]


def test_quarterly_meeting_missing_quarter_is_named(rubric):
    log = [r for r in full_year_log("B1") if not (r["type"] == "支部党员大会" and r["date"].startswith(f"{YEAR}-08"))]
    row = rule_row(run(rubric, activities=log), "general_meeting")
    assert row["count"] == 3 and not row["met"] and row["missing_periods"] == "第三季度"


def test_yearly_count_and_shortfall(rubric):
    log = [r for r in full_year_log("B1") if not (r["type"] == "党课" and r["date"].startswith(f"{YEAR}-12"))]
    row = rule_row(run(rubric, activities=log), "party_lecture")
    assert row["count"] == 3 and not row["met"] and row["missing_periods"] == "全年差1次"


def test_meetings_without_minutes_are_listed_but_not_counted(rubric):
    log = [r for r in full_year_log("B1") if not (r["type"] == "主题党日" and r["date"].startswith(f"{YEAR}-04"))]
    log.append(activity_row("主题党日", f"{YEAR}-04-15", record=False))
    row = rule_row(run(rubric, activities=log), "theme_day")
    assert row["count"] == 11 and row["not_counted"] == 1 and row["missing_periods"] == "4月" and not row["met"]


def test_only_the_evaluation_year_counts(rubric):
    log = [r for r in full_year_log("B1") if not (r["type"] == "支委会" and r["date"].startswith(f"{YEAR}-01"))]
    log.append(activity_row("支委会", f"{YEAR - 1}-12-28"))
    log.append(activity_row("支委会", f"{YEAR + 1}-01-02"))
    row = rule_row(run(rubric, activities=log), "committee_meeting")
    assert row["count"] == 11 and row["missing_periods"] == "1月"


def _with_quarter_meeting(attended: int) -> list[dict]:
    """A full year whose only first-quarter 支部党员大会 had ``attended`` of 20 members."""
    log = [r for r in full_year_log("B1") if not (r["type"] == "支部党员大会" and r["date"].startswith(f"{YEAR}-02"))]
    log.append(activity_row("支部党员大会", f"{YEAR}-02-10", expected=20, attended=attended))
    return log


@pytest.mark.parametrize(("attended", "below"), [(10, 0), (9, 1), (11, 0)])
def test_a_general_meeting_below_half_attendance_counts_but_could_not_vote(rubric, attended, below):
    # 条例第十一条: half attendance (半数以上, inclusive) is the condition for voting, not for holding the meeting
    row = rule_row(run(rubric, activities=_with_quarter_meeting(attended)), "general_meeting")
    assert bool(row["met"]) is True and row["not_counted"] == 0 and row["below_quorum"] == below


@pytest.mark.parametrize(("attended", "counts"), [(10, True), (9, False), (11, True)])
def test_the_stricter_reading_does_not_count_a_meeting_below_half(rubric, attended, counts):
    rules = tuple(
        r.model_copy(update={"below_quorum": "not_counted"}) if r.id == "general_meeting" else r
        for r in rubric.activities.rules
    )
    strict = rubric.model_copy(update={"activities": rubric.activities.model_copy(update={"rules": rules})})
    row = rule_row(run(strict, activities=_with_quarter_meeting(attended)), "general_meeting")
    assert bool(row["met"]) is counts and row["not_counted"] == (0 if counts else 1)
    assert row["below_quorum"] == (0 if counts else 1)


def test_the_gap_list_says_a_meeting_could_not_vote(rubric):
    from assessment.scoring.gaps import gap_list

    log = [
        r for r in _with_quarter_meeting(9) if not (r["type"] == "支部党员大会" and r["date"].startswith(f"{YEAR}-05"))
    ]
    results = run(rubric, activities=log)
    gaps = gap_list(rubric, results, "B1")
    finding = gaps.loc[gaps["id"] == "general_meeting", "finding"].iloc[0]
    assert "其中1次到会不足法定人数，会议计入，但不能进行表决" in finding


def test_party_group_meetings_only_apply_to_branches_with_groups(rubric):
    assert pd.isna(rule_row(run(rubric), "group_meeting")["met"])
    result = run(rubric, branch={"party_groups": 2})
    row = rule_row(result, "group_meeting")
    assert row["applicable"] and not row["met"] and row["missing_periods"].startswith("1月、2月")


# ------------------------------------------------------------------ structure
def structure_row(results, rule_id):
    rows = results.structure[results.structure["rule_id"] == rule_id]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize(
    ("full", "committee", "passes"),
    [(7, 0, False), (7, 3, True), (6, 0, True), (8, 0, False)],
)
def test_committee_required_from_seven_full_members(rubric, full, committee, passes):
    result = run(rubric, branch={"full_members": full, "probationary_members": 3, "committee_size": committee})
    row = structure_row(result, "committee_required")
    assert bool(row["passed"]) is passes
    if not passes:
        assert not only(result)["standardized"]
        assert "支部委员会设置" in only(result)["standardized_reasons"]


@pytest.mark.parametrize(("size", "passes"), [(3, True), (5, True), (7, True), (4, False), (9, False), (1, False)])
def test_committee_size_three_to_seven_and_odd(rubric, size, passes):
    row = structure_row(run(rubric, branch={"committee_size": size}), "committee_size")
    assert bool(row["passed"]) is passes


def test_branch_needs_three_full_members(rubric):
    assert bool(structure_row(run(rubric, branch={"full_members": 3, "committee_size": 0}), "branch_formed")["passed"])
    row = structure_row(run(rubric, branch={"full_members": 2, "committee_size": 0}), "branch_formed")
    assert not row["passed"] and "不足3人" in row["explanation"]


@pytest.mark.parametrize(
    ("kind", "elected", "overdue"),
    [
        ("机关", "2022-12-31", True),
        ("机关", "2023-01-01", False),
        ("社区", "2021-01-01", False),
        ("村", "2020-12-31", True),
    ],
)
def test_term_by_branch_kind(rubric, kind, elected, overdue):
    row = structure_row(run(rubric, branch={"kind": kind, "last_election": pd.Timestamp(elected)}), "term_due")
    assert bool(row["passed"]) is not overdue


def test_term_without_election_date_cannot_be_judged(rubric):
    row = structure_row(run(rubric, branch={"last_election": pd.NaT}), "term_due")
    assert pd.isna(row["passed"]) and "未填写上次换届日期" in row["explanation"]


@pytest.mark.parametrize(("full", "probationary", "passes"), [(48, 2, True), (49, 2, False)])
def test_branch_size_fifty_is_fine_fifty_one_is_flagged(rubric, full, probationary, passes):
    row = structure_row(run(rubric, branch={"full_members": full, "probationary_members": probationary}), "branch_size")
    assert bool(row["passed"]) is passes


def test_several_branches_keep_their_own_results(rubric):
    one = make_inputs(rubric)
    two = make_inputs(rubric, branch={"branch_id": "B2"}, member={"branch_id": "B2", "excellent": 1, "qualified": 19})
    both = type(one)(
        **{name: pd.concat([getattr(one, name), getattr(two, name)], ignore_index=True) for name in one.frames()}
    )
    two_rows = both.member["branch_id"] == "B2"
    assert two_rows.sum() == 1
    result = score(rubric, both, year=YEAR)
    assert list(result.branches.index) == ["B1", "B2"]
    assert result.branches.loc["B1", "strongest"] and not result.branches.loc["B2", "strongest"]
    assert branch_row("B2")["name"] == result.branches.loc["B2", "name"]


def test_committee_meetings_only_apply_to_branches_with_a_committee(rubric):
    log = [r for r in full_year_log("B1") if r["type"] != "支委会"]
    row = rule_row(run(rubric, branch={"full_members": 5, "committee_size": 0}, activities=log), "committee_meeting")
    assert not row["applicable"] and pd.isna(row["met"])
    row = rule_row(run(rubric, activities=log), "committee_meeting")
    assert row["applicable"] and not row["met"] and row["count"] == 0


def test_a_five_strong_dimension_without_weight_is_not_strong_and_says_why(rubric, recwarn):
    items = tuple(i.model_copy(update={"weight": i.weight}) for i in rubric.items)
    political = {i.id for i in items if i.strength == "political"}
    moved = sum(i.weight for i in items if i.id in political)
    items = tuple(
        i.model_copy(update={"weight": 0 if i.id in political else (i.weight + moved if i.id == "y1" else i.weight)})
        for i in items
    )
    changed = rubric.model_copy(update={"checklist": rubric.checklist.model_copy(update={"items": items})})
    b = only(score(changed, make_inputs(changed), year=YEAR))
    assert not b["five_strong"] and not b["strongest"]
    assert "政治功能强（指标权重均为0，无法评定）" in b["reasons"]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_the_gap_list_puts_what_blocks_standardized_first(rubric):
    from assessment.scoring.gaps import gap_list

    # A missed quarter of 支部党员大会 (a rule 达标 requires) and points lost on s1 (5 of them)
    log = [r for r in full_year_log("B1") if not (r["type"] == "支部党员大会" and r["date"].startswith(f"{YEAR}-0"))]
    results = run(rubric, activities=log, org={"s1": 0})
    gaps = gap_list(rubric, results, "B1")
    assert gaps["blocks_standard"].any() and (~gaps["blocks_standard"]).any()
    first_free = int((~gaps["blocks_standard"]).to_numpy().argmax())
    assert gaps["blocks_standard"].iloc[:first_free].all() and not gaps["blocks_standard"].iloc[first_free:].any()
    assert gaps.iloc[0]["id"] == "general_meeting"
    items = gaps[gaps["kind"] == "item"]
    assert list(items["points_lost"]) == sorted(items["points_lost"], reverse=True)


# ------------------------------------------------------------------ items for some kinds of branch (applies_to)
def test_t5_applies_to_village_and_community_branches_only_as_the_rubric_says(rubric):
    t5 = rubric.item("t5")
    assert t5.applies_to == ("村", "社区") and t5.applies_to_source.startswith("001 §二(二)")


@pytest.mark.parametrize("kind", ["机关", "企业"])
def test_an_item_that_does_not_apply_costs_nothing_and_the_maximum_adjusts(rubric, kind):
    # When t5 (大专 cadre, 001: villages and communities) is left blank or scored 0 for an office branch
    blank = run(rubric, branch={"kind": kind}, org={"t5": None})
    zero = run(rubric, branch={"kind": kind}, org={"t5": 0})
    for results in (blank, zero):
        b = only(results)
        # Then it is neither missing nor lost: full marks elsewhere are still 100
        assert b["status"] == "已完成" and b["missing"] == ""
        assert b["org"] == 100
        assert np.isnan(results.items.loc["B1", "t5"]) and not results.item_applies("B1", "t5")
        assert (results.dimensions.loc["B1"] == 100).all()


def test_the_others_weights_rise_when_an_item_does_not_apply(rubric):
    # Given s1 (weight 0.05 of 1) at 0: a village loses 5 points; an office branch, for which t5
    # (weight 0.02) does not apply, loses 0.05 / 0.98 of 100
    village = only(run(rubric, branch={"kind": "村"}, org={"s1": 0}))
    office = only(run(rubric, branch={"kind": "机关"}, org={"s1": 0}))
    assert village["org"] == 95
    assert office["org"] == pytest.approx(100 - 5 / 0.98, abs=10**-rubric.meta.decimals)


@pytest.mark.parametrize("kind", ["村", "社区", None])
def test_villages_communities_and_branches_of_unknown_kind_are_scored_on_it(rubric, kind):
    results = run(rubric, branch={"kind": kind}, org={"t5": 0})
    assert results.items.loc["B1", "t5"] == 0 and results.item_applies("B1", "t5")
    assert only(results)["org"] == 98
    missing = only(run(rubric, branch={"kind": kind}, org={"t5": None}))
    assert "t5 班子学历结构" in missing["missing"]


def test_applies_to_needs_its_source(rubric):
    from pydantic import ValidationError

    data = rubric.item("t5").model_dump() | {"applies_to_source": None}
    with pytest.raises(ValidationError, match="applies_to_source"):
        type(rubric.item("t5")).model_validate(data)


# ------------------------------------------------------------------ 谈心谈话: every member, from the roster
def _talks_roster(talks: dict[str, int | None], branch="B1"):
    from samples import sample_roster

    frame = sample_roster([(branch, name, "正式党员", "党员", None, 12, None, [True] * 12, True) for name in talks])
    frame["talks"] = pd.array(list(talks.values()), dtype="Int64")
    return frame


def _talk_rule(rubric, talks, *, log_talks=1, scope=None):
    if scope is not None:
        rules = tuple(
            r.model_copy(update={"scope": scope}) if r.id == "heart_talk" else r for r in rubric.activities.rules
        )
        rubric = rubric.model_copy(update={"activities": rubric.activities.model_copy(update={"rules": rules})})
    log = [r for r in full_year_log("B1") if r["type"] != "谈心谈话"]  # every other rule met
    log += [activity_row("谈心谈话", f"{YEAR}-05-0{d + 1}") for d in range(log_talks)]
    inputs = make_inputs(rubric, activities=log)
    if talks is not None:
        inputs.roster = _talks_roster(talks)
    results = score(rubric, inputs, year=YEAR)
    return rule_row(results, "heart_talk"), only(results)


def test_talks_are_checked_member_by_member_by_default(rubric):
    heart = next(r for r in rubric.activities.rules if r.id == "heart_talk")
    assert heart.scope == "per_member" and heart.scope_choice and heart.requirement == "每名党员每年不少于1次"
    row, branch = _talk_rule(rubric, {"甲": 2, "乙": 1, "丙": 0})
    # One talk logged for the branch would have passed the old per-branch reading; 丙 had none
    assert row["met"] == False and row["count"] == 2
    assert row["missing_periods"] == "全年未谈话：丙"
    assert "谈心谈话" in branch["activity_failed_types"] and not branch["standardized"]
    row, branch = _talk_rule(rubric, {"甲": 1, "乙": 1})
    assert row["met"] == True and branch["activity_failures"] == 0


def test_a_blank_count_cannot_tell_and_a_short_member_still_fails(rubric):
    row, _ = _talk_rule(rubric, {"甲": 1, "乙": None})
    assert pd.isna(row["met"]) and row["applicable"] and row["missing_periods"] == "名册中1人未填写谈心谈话次数"
    row, _ = _talk_rule(rubric, {"甲": 0, "乙": None})
    assert row["met"] == False and row["missing_periods"] == "全年未谈话：甲；名册中1人未填写谈心谈话次数"


def test_without_a_roster_only_a_log_without_talks_fails(rubric):
    row, branch = _talk_rule(rubric, None, log_talks=0)
    assert row["met"] == False and row["missing_periods"] == "全年没有谈心谈话记录"
    row, branch = _talk_rule(rubric, None, log_talks=1)
    assert pd.isna(row["met"]) and "无法逐人核对" in row["missing_periods"] and branch["activity_failures"] == 0


def test_a_roster_without_any_talk_count_is_read_as_no_roster(rubric):
    row, _ = _talk_rule(rubric, {"甲": None, "乙": None}, log_talks=0)
    assert row["met"] == False and row["missing_periods"] == "全年没有谈心谈话记录"
    row, _ = _talk_rule(rubric, {"甲": None, "乙": None}, log_talks=2)
    assert pd.isna(row["met"]) and row["missing_periods"] == "没有党员名册中逐人的谈心谈话次数，无法逐人核对"


def test_per_branch_stays_available_as_the_lenient_choice(rubric):
    row, _ = _talk_rule(rubric, {"甲": 1, "丙": 0}, scope="per_branch")
    assert row["met"] == True and row["requirement"] == "每年不少于1次"


def test_per_member_needs_a_yearly_talk_rule():
    from pydantic import ValidationError

    from assessment.rubric.model import ActivityRule

    with pytest.raises(ValidationError, match="per_member"):
        ActivityRule(id="x", type_label="谈心谈话", frequency="per_month", min=1, scope="per_member", source="s")
