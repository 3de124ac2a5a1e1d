"""Invariants over random inputs (hypothesis): monotone, in range, weights honoured."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from factories import YEAR, make_inputs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessment.rubric import load_rubric
from assessment.scoring import score

RUBRIC = load_rubric()
ITEMS = RUBRIC.items
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def item_value(draw, item):
    if item.kind == "points":
        return draw(st.integers(0, int(item.max * 2))) / 2
    if item.kind == "level":
        return draw(st.sampled_from([lv.label for lv in item.levels]))
    if item.kind == "count_shortfall":
        return float(draw(st.integers(0, int(item.target) + 3)))
    if item.kind == "deduction":
        return float(draw(st.integers(0, 12)))
    return float(draw(st.integers(0, 100)))


@st.composite
def branch_parts(draw):
    org = {item.id: draw(item_value(item)) for item in ITEMS}
    participants = draw(st.integers(1, 60))
    excellent = draw(st.integers(0, participants))
    qualified = draw(st.integers(0, participants - excellent))
    basic = draw(st.integers(0, participants - excellent - qualified))
    unqualified = draw(st.integers(0, participants - excellent - qualified - basic))
    member = dict(
        participants=participants, excellent=excellent, qualified=qualified, basic=basic, unqualified=unqualified
    )
    public = dict(
        satisfied=draw(st.integers(0, 80)),
        basic_satisfied=draw(st.integers(0, 30)),
        unsatisfied=draw(st.integers(0, 20)),
    )
    if sum(public.values()) == 0:
        public["satisfied"] = 1
    n_opinions = draw(st.integers(1, 5))
    compliant = draw(st.lists(st.booleans(), min_size=n_opinions, max_size=n_opinions))
    social = [
        {"branch_id": "B1", "department": f"部门{i}", "compliant": ok, "opinion": None}
        for i, ok in enumerate(compliant)
    ]
    return dict(org=org, member=member, public=public, social=social)


def composite_of(parts, rubric=RUBRIC):
    return score(rubric, make_inputs(rubric, **parts), year=YEAR).branches.iloc[0]


def raise_item(item, value):
    """The same item one step better, or None when it is already at its best."""
    if item.kind == "points":
        return None if value >= float(item.max) else min(float(item.max), value + 0.5)
    if item.kind == "level":
        ordered = sorted(item.levels, key=lambda lv: lv.points)
        index = [lv.label for lv in ordered].index(value)
        return None if index == len(ordered) - 1 else ordered[index + 1].label
    if item.kind == "count_shortfall":
        return value + 1
    if item.kind == "deduction":
        return None if value == 0 else value - 1
    return None if value >= 100 else value + 1


@SETTINGS
@given(parts=branch_parts(), which=st.sampled_from([i.id for i in ITEMS]))
def test_raising_an_indicator_never_lowers_the_composite(parts, which):
    item = RUBRIC.item(which)
    better = raise_item(item, parts["org"][which])
    before = composite_of(parts)
    if better is None:
        return
    raised = {**parts, "org": {**parts["org"], which: better}}
    after = composite_of(raised)
    assert after["org"] >= before["org"]
    assert after["composite"] >= before["composite"]


@SETTINGS
@given(parts=branch_parts(), level=st.sampled_from(["qualified", "basic", "unqualified"]))
def test_moving_a_member_vote_up_never_lowers_the_composite(parts, level):
    member = parts["member"]
    if member[level] == 0:
        return
    better = {**member, level: member[level] - 1, "excellent": member["excellent"] + 1}
    assert composite_of({**parts, "member": better})["composite"] >= composite_of(parts)["composite"]


@SETTINGS
@given(parts=branch_parts())
def test_scores_stay_in_range(parts):
    b = composite_of(parts)
    for column in ("org", "member", "public", "social", "composite"):
        assert 0 <= b[column] <= 100, column
    assert b["grade"] in {band.label for band in RUBRIC.eligibility.grades.bands}
    assert 1 <= b["stars"] <= 5


def with_channel_weights(weights: dict[str, Fraction]):
    channels = tuple(c.model_copy(update={"weight": weights[c.id]}) for c in RUBRIC.channels.channels)
    return RUBRIC.model_copy(update={"channels": RUBRIC.channels.model_copy(update={"channels": channels})})


@st.composite
def channel_weights(draw):
    cuts = sorted(draw(st.lists(st.integers(0, 20), min_size=3, max_size=3)))
    parts = [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], 20 - cuts[2]]
    return {cid: Fraction(p, 20) for cid, p in zip(("org", "member", "public", "social"), parts)}


@SETTINGS
@given(parts=branch_parts(), weights=channel_weights())
def test_channel_weights_are_honoured(parts, weights):
    rubric = with_channel_weights(weights)
    b = composite_of(parts, rubric)
    expected = sum(float(w) * b[cid] for cid, w in weights.items())
    # Channel scores are shown rounded to 0.01; the composite is computed before that rounding.
    assert abs(b["composite"] - expected) <= 0.011


@SETTINGS
@given(parts=branch_parts(), which=st.sampled_from(["org", "member", "public", "social"]))
def test_a_channel_with_all_the_weight_is_the_composite(parts, which):
    weights = {cid: Fraction(int(cid == which)) for cid in ("org", "member", "public", "social")}
    b = composite_of(parts, with_channel_weights(weights))
    assert b["composite"] == b[which]


def test_many_branches_score_as_each_alone():
    """Vectorised scoring gives every branch the result it gets when scored on its own."""
    rng = np.random.default_rng(7)
    singles, frames = [], []
    for k in range(12):
        bid = f"B{k}"
        org = {i.id: float(rng.integers(0, int(i.max) + 1)) for i in ITEMS if i.kind in ("points", "deduction")}
        member = {"branch_id": bid, "participants": 20, "excellent": int(rng.integers(14, 21)), "qualified": 0}
        inputs = make_inputs(RUBRIC, branch={"branch_id": bid}, org=org, member=member)
        frames.append(inputs)
        singles.append(score(RUBRIC, inputs, year=YEAR).branches)
    together = type(frames[0])(
        **{n: pd.concat([getattr(f, n) for f in frames], ignore_index=True) for n in frames[0].frames()}
    )
    combined = score(RUBRIC, together, year=YEAR).branches
    pd.testing.assert_frame_equal(combined, pd.concat(singles))
