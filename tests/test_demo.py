"""The demo street and the bulk synthetic inputs: deterministic, typed as the contract says, varied."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from assessment.demo.street import generate_demo
from assessment.demo.synthetic import synthetic_inputs
from assessment.inputs.frames import SELF_SCORE_PREFIX, sheet_columns
from assessment.rubric import load_rubric
from assessment.scoring import score

YEAR = 2025


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def demo(rubric):
    return generate_demo(rubric)


def _labels(rubric) -> dict[str, str]:
    return {rule.id: rule.type_label for rule in rubric.activities.rules}


def _members(demo) -> pd.Series:
    b = demo.branches.set_index("branch_id")
    return b["full_members"] + b["probationary_members"]


def _is_str(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype)


# ------------------------------------------------------------ determinism
def test_same_seed_gives_identical_frames(rubric, demo):
    again = generate_demo(rubric)
    for name, frame in demo.frames().items():
        pd.testing.assert_frame_equal(frame, again.frames()[name], check_exact=True)


def test_other_seed_differs(rubric, demo):
    other = generate_demo(rubric, seed=7)
    assert len(other.branches) == 60
    assert not demo.activities.equals(other.activities)
    assert not demo.org.equals(other.org)


def test_size_can_be_chosen(rubric):
    assert len(generate_demo(rubric, n_branches=35, seed=3).branches) == 35


# ---------------------------------------------------------- contract types
def test_columns_follow_the_contract(rubric, demo):
    for name, columns in sheet_columns(rubric).items():
        # The 自查分 columns (self:<item>) are optional: the demo's street has none.
        expected = [c for c in columns if not c.startswith(SELF_SCORE_PREFIX)]
        assert list(getattr(demo, name).columns) == expected, name


def test_dtypes_follow_the_contract(rubric, demo):
    b = demo.branches
    for column in ("branch_id", "name", "kind"):
        assert _is_str(b[column]), column
    for column in ("full_members", "probationary_members", "committee_size", "party_groups"):
        assert b[column].dtype == "Int64", column
    assert b["last_election"].dtype == "datetime64[ns]"

    org = demo.org
    assert _is_str(org["branch_id"]) and _is_str(org["annual_review_grade"])
    for item in rubric.items:
        if item.kind == "level":
            assert _is_str(org[item.id]), item.id
        else:
            assert org[item.id].dtype == "float64", item.id

    for frame in (demo.member, demo.public):
        assert _is_str(frame["branch_id"])
        for column in frame.columns.drop(["branch_id"]):
            expected = "boolean" if column == "unsatisfied_verified" else "Int64"
            assert frame[column].dtype == expected, column

    s = demo.social
    assert _is_str(s["branch_id"]) and _is_str(s["department"]) and _is_str(s["opinion"])
    assert s["compliant"].dtype == "boolean"

    a = demo.activities
    assert _is_str(a["branch_id"]) and _is_str(a["type"])
    assert a["date"].dtype == "datetime64[ns]"
    assert a["expected"].dtype == "Int64" and a["attended"].dtype == "Int64"
    assert a["has_record"].dtype == "boolean"


# ------------------------------------------------------------------ street
def test_branches_look_like_a_street(demo):
    b = demo.branches
    assert len(b) == 60
    assert list(b["branch_id"]) == [f"JD{i:03d}" for i in range(1, 61)]
    assert b["name"].is_unique
    assert b["name"].str.endswith("党支部").all()
    assert set(b["kind"]) == {"村", "社区", "机关", "企业", "学校"}
    assert (b["full_members"] >= 3).all()
    members = b["full_members"] + b["probationary_members"]
    assert ((members >= 8) & (members <= 45)).mean() > 0.6
    assert 1 <= (members > 50).sum() <= 3
    small = b[b["full_members"] <= 6]
    assert len(small) >= 2 and (small["committee_size"] == 0).all()
    assert ((b["full_members"] >= 7) & (b["committee_size"] == 0)).any()
    committee = b.loc[b["committee_size"] > 0, "committee_size"]
    assert committee.isin([3, 5, 7]).mean() > 0.85
    assert (committee % 2 == 0).any()
    assert (b["party_groups"] > 0).any() and (b.loc[members < 20, "party_groups"] == 0).all()


def test_some_elections_are_overdue(demo):
    b = demo.branches
    years = np.where(b["kind"].isin(["村", "社区"]), 5, 3)
    elected = b["last_election"]
    due = [d + pd.DateOffset(years=int(y)) if pd.notna(d) else pd.NaT for d, y in zip(elected, years)]
    overdue = pd.Series(due) <= pd.Timestamp(YEAR, 12, 31)
    assert 2 <= overdue.sum() <= 12
    assert (elected.dropna() <= pd.Timestamp(YEAR, 12, 31)).all()


def test_indicator_values_respect_kind_and_bounds(rubric, demo):
    org = demo.org
    grades = rubric.channels.annual_review_grades.levels
    assert org["annual_review_grade"].dropna().isin(grades).all()
    assert (org["annual_review_grade"] == grades[0]).mean() > 0.3
    for item in rubric.items:
        values = org[item.id].dropna()
        if item.kind == "level":
            assert values.isin([lv.label for lv in item.levels]).all(), item.id
            continue
        assert (values >= 0).all(), item.id
        if item.kind == "points":
            assert (values <= float(item.max)).all(), item.id
            assert ((values * 2) % 1 == 0).all(), item.id
        elif item.kind in ("count_shortfall", "deduction"):
            assert (values % 1 == 0).all(), item.id
            if item.kind == "count_shortfall":
                assert values.min() < float(item.target) <= values.max(), item.id
            else:
                assert values.max() <= 12, item.id
        elif item.kind == "rate_steps":
            assert (values <= 100).all(), item.id


def test_member_tallies(rubric, demo):
    m = demo.member.set_index("branch_id")
    levels = [lv.id for lv in rubric.channel("member").method.levels]
    members = _members(demo).reindex(m.index)
    assert (m["participants"] <= members).all() and (m["participants"] > 0).all()
    assert (m["participants"] >= members - 10).all()
    tallies = m[levels].sum(axis=1)
    assert (m[levels] >= 0).all().all()
    assert (tallies <= m["participants"]).all()
    assert (tallies < m["participants"]).any(), "some blank ballots"
    excellent, participants = m["excellent"], m["participants"]
    exact = excellent * 10 == participants * 9
    assert exact.sum() >= 2, "some branches exactly at 90%"
    below = (excellent * 10 < participants * 9) & ((excellent + 1) * 10 >= participants * 9)
    assert below.sum() >= 2, "some branches just below 90%"


def test_public_counts(rubric, demo):
    p = demo.public
    levels = [lv.id for lv in rubric.channel("public").method.levels]
    assert (p[levels] >= 0).all().all() and (p[levels].sum(axis=1) > 0).all()
    verified = p[p["unsatisfied_verified"]]
    assert 2 <= len(verified) <= 3
    assert (verified["unsatisfied"] >= 1).all()


def test_department_opinions(demo):
    s = demo.social
    per_branch = s.groupby("branch_id").size()
    assert per_branch.between(1, 4).all()
    assert s["department"].nunique() >= 6
    assert s["compliant"].mean() > 0.9
    bad = s[~s["compliant"]]
    assert len(bad) >= 2
    assert bad["opinion"].notna().all() and (bad["opinion"].str.len() > 5).all()


def test_incomplete_branches(rubric, demo):
    ids = set(demo.branches["branch_id"])
    no_social = ids - set(demo.social["branch_id"])
    no_public = ids - set(demo.public["branch_id"])
    items = [i.id for i in rubric.items]
    blank = set(demo.org.loc[demo.org[items].isna().any(axis=1), "branch_id"])
    incomplete = no_social | no_public | blank
    assert no_social and blank
    assert 2 <= len(incomplete) <= 3


# -------------------------------------------------------------- activities
def test_activity_log_shape(rubric, demo):
    a = demo.activities
    labels = _labels(rubric)
    assert set(a["type"]) <= set(rubric.activities.activity_types)
    assert set(a["type"]) == set(labels.values())
    assert (a["attended"] >= 0).all() and (a["attended"] <= a["expected"]).all()
    assert set(a["branch_id"]) == set(demo.branches["branch_id"])
    b = demo.branches.set_index("branch_id")
    members = _members(demo)
    row_members = a["branch_id"].map(members)
    for rule_id in ("general_meeting", "theme_day", "party_lecture"):
        rows = a["type"] == labels[rule_id]
        assert (a.loc[rows, "expected"] == row_members[rows]).all(), rule_id
    committee = a["type"] == labels["committee_meeting"]
    assert (a.loc[committee, "expected"] == a.loc[committee, "branch_id"].map(b["committee_size"])).all()
    # No 支委会 where there is no committee; 党小组会 only where there are groups.
    no_committee = set(b.index[b["committee_size"] == 0])
    assert not set(a.loc[committee, "branch_id"]) & no_committee
    groups = a["type"] == labels["group_meeting"]
    assert set(a.loc[groups, "branch_id"]) == set(b.index[b["party_groups"] > 0])


def test_activity_noise_is_present(rubric, demo):
    a = demo.activities
    labels = _labels(rubric)
    assert (~a["has_record"]).sum() >= 3
    prior = a["date"].dt.year == YEAR - 1
    assert prior.sum() >= 3
    assert (a["date"].dt.year.isin([YEAR - 1, YEAR])).all()
    general = a[(a["type"] == labels["general_meeting"]) & (a["date"].dt.year == YEAR)]
    quorum = Fraction(rubric.activities.rules[[r.id for r in rubric.activities.rules].index("general_meeting")].quorum)
    below = general["attended"] * quorum.denominator < general["expected"] * quorum.numerator
    assert below.sum() >= 2


def test_strong_and_weak_branches_differ_in_their_logs(rubric, demo):
    a = demo.activities[(demo.activities["date"].dt.year == YEAR) & demo.activities["has_record"]]
    theme = a[a["type"] == _labels(rubric)["theme_day"]]
    months = theme.groupby("branch_id")["date"].agg(lambda d: d.dt.month.nunique())
    assert (months == 12).sum() >= 30
    assert (months < 12).sum() >= 2
    lectures = a[a["type"] == _labels(rubric)["party_lecture"]].groupby("branch_id").size()
    assert (lectures >= 4).sum() >= 40 and (lectures == 3).any()


def test_a_prior_year_entry_hides_a_gap(rubric, demo):
    a = demo.activities
    theme = a[(a["type"] == _labels(rubric)["theme_day"]) & a["has_record"]]
    this_year = theme[theme["date"].dt.year == YEAR].groupby("branch_id")["date"].agg(lambda d: set(d.dt.month))
    last_year = theme[theme["date"].dt.year == YEAR - 1]
    hidden = [
        bid
        for bid, month in zip(last_year["branch_id"], last_year["date"].dt.month)
        if month not in this_year.get(bid, set())
    ]
    assert hidden


# --------------------------------------------------------------- synthetic
def test_synthetic_inputs_shapes_and_types(rubric, demo):
    syn = synthetic_inputs(rubric, n_branches=1000, n_activity_rows=20_000, seed=5)
    assert len(syn.branches) == len(syn.org) == len(syn.member) == len(syn.public) == 1000
    assert len(syn.activities) == 20_000
    assert syn.activities.groupby("branch_id").size().eq(20).all()
    assert syn.social.groupby("branch_id").size().between(1, 4).all()
    assert syn.branches["branch_id"].is_unique
    for name, frame in syn.frames().items():
        assert list(frame.columns) == list(demo.frames()[name].columns), name
        for column in frame.columns:
            assert frame[column].dtype == demo.frames()[name][column].dtype, (name, column)
    a = syn.activities
    assert (a["attended"] <= a["expected"]).all()
    m = syn.member
    levels = [lv.id for lv in rubric.channel("member").method.levels]
    assert (m[levels].sum(axis=1) <= m["participants"]).all()
    again = synthetic_inputs(rubric, n_branches=1000, n_activity_rows=20_000, seed=5)
    pd.testing.assert_frame_equal(syn.activities, again.activities)


def test_synthetic_inputs_uneven_rows(rubric):
    syn = synthetic_inputs(rubric, n_branches=7, n_activity_rows=50)
    assert len(syn.activities) == 50
    assert syn.activities.groupby("branch_id").size().between(7, 8).all()


# ----------------------------------------------------------------- scoring
def test_demo_street_scores_into_a_spread(rubric, demo):
    results = score(rubric, demo, year=YEAR)
    b = results.branches
    assert len(b) == 60
    standardized = b["standardized"].astype(bool)
    assert 20 <= standardized.sum() <= 50, "many 达标, not all"
    assert b["strongest"].astype(bool).sum() >= 1
    assert b["strongest"].astype(bool).sum() <= 15
    assert b["weak"].astype(bool).sum() >= 2
    assert (b["status"] == "未完成").sum() >= 1
    v = results.vetoes
    fired = set(v.loc[(v["passed"] == False).fillna(False).astype(bool), "rule_id"])
    assert fired == {rule.id for rule in rubric.veto_rules}

    # Entries of the previous year and entries without a record do not count.
    labels = _labels(rubric)
    a = demo.activities
    theme = a[(a["type"] == labels["theme_day"]) & a["has_record"]]
    this_year = theme[theme["date"].dt.year == YEAR].groupby("branch_id")["date"].agg(lambda d: d.dt.month.nunique())
    checks = results.activities
    theme_checks = checks[checks["rule_id"] == "theme_day"].set_index("branch_id")
    short = this_year[this_year < 12].index
    assert len(short) >= 2
    assert not theme_checks.loc[short, "met"].astype(bool).any()
