"""Bulk synthetic inputs for the benchmarks: large, merely plausible data made with vectorised numpy
(100,000 branches and 2,000,000 activity rows in a few seconds). For reading and for the pages, the demo
street (:mod:`assessment.demo.street`) tells a story; this does not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.frames import Inputs
from ..rubric import Rubric
from .street import (
    DEMO_DEPARTMENTS,
    DEMO_STREETS,
    KIND_SHARES,
    KINDS,
    NONCOMPLIANT_OPINIONS,
    activity_labels,
    levels_best_first,
)

__all__ = ["synthetic_inputs"]


def _str_array(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype="str")


def _ids(n: int, prefix: str) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def synthetic_inputs(
    rubric: Rubric, *, n_branches: int, n_activity_rows: int, seed: int = 1, year: int = 2025
) -> Inputs:
    """Large plausible inputs, fully vectorised (for benchmarks, not for reading).

    ``n_activity_rows`` rows are spread evenly over the branches (dates cycle through the months
    of ``year``; about 2% fall in the previous December). About 2% of branches lack a 社会评价 row and 1% have a
    blank indicator, so the 未完成 path is exercised too.
    """
    if n_branches < 1 or n_activity_rows < 0:
        raise ValueError("n_branches must be ≥ 1 and n_activity_rows ≥ 0")
    rng = np.random.default_rng(seed)
    n = n_branches
    ids = _ids(n, "B")
    id_array = _str_array(ids)
    quality = rng.beta(6, 2, n)

    # --- branches
    kinds = np.array(KINDS, dtype=object)[rng.choice(len(KINDS), size=n, p=KIND_SHARES)]
    full = np.clip(np.round(rng.lognormal(np.log(18), 0.55, n)), 3, 80).astype(np.int64)
    probationary = rng.integers(0, 4, n)
    members = full + probationary
    committee = np.where(full >= 40, 7, np.where(full >= 15, 5, 3))
    committee = np.where(full >= 7, committee, 0)
    wrong = rng.random(n)
    committee = np.where((wrong < 0.01) & (full >= 7), 0, np.where(wrong > 0.99, committee + 1, committee))
    days_back = rng.integers(0, 6 * 365, n)
    last_election = np.datetime64(f"{year}-12-31", "ns") - days_back.astype("timedelta64[D]").astype("timedelta64[ns]")
    last_election = np.where(committee > 0, last_election, np.datetime64("NaT", "ns"))
    groups = np.where(members >= 24, np.minimum(5, members // 11), 0)
    branches = pd.DataFrame(
        {
            "branch_id": id_array,
            "name": _str_array(ids + "党支部"),
            "full_members": pd.array(full, dtype="Int64"),
            "probationary_members": pd.array(probationary, dtype="Int64"),
            "committee_size": pd.array(committee, dtype="Int64"),
            "last_election": pd.Series(last_election.astype("datetime64[ns]")),
            "kind": _str_array(kinds),
            "party_groups": pd.array(groups, dtype="Int64"),
            "street": _str_array(np.array(DEMO_STREETS, dtype=object)[np.arange(n) % len(DEMO_STREETS)]),
        }
    )

    # --- org
    grades = np.array(rubric.channels.annual_review_grades.levels, dtype=object)
    grade_index = np.clip(((1 - quality) * 4 + rng.normal(0, 0.4, n)).astype(int), 0, len(grades) - 1)
    org: dict = {"branch_id": id_array, "annual_review_grade": _str_array(grades[grade_index])}
    blank = rng.random(n) < 0.01
    for item in rubric.items:
        f = np.clip(quality + rng.normal(0, 0.06, n), 0, 1)
        maximum = float(item.max)
        if item.kind == "level":
            labels = np.array(
                [lv.label for lv in sorted(item.levels, key=lambda lv: lv.points, reverse=True)], dtype=object
            )
            position = np.minimum(len(labels) - 1, ((1 - f) * len(labels)).astype(int))
            org[item.id] = _str_array(labels[position])
            continue
        if item.kind == "points":
            values = np.clip(np.round(f * maximum * 2) / 2, 0, maximum)
        elif item.kind == "count_shortfall":
            target = float(item.target)
            values = np.maximum(0, np.round(target + (f - 0.85) * target * 1.4))
        elif item.kind == "deduction":
            values = np.maximum(0, np.round((1 - f) * (maximum / float(item.per)) * 1.3))
        else:  # rate_steps
            values = np.clip(np.round(55 + 45 * f + rng.normal(0, 2, n), 1), 0, 100)
        org[item.id] = values.astype("float64")
    first_points = next((i.id for i in rubric.base_items if i.kind == "points"), None)
    if first_points is not None:
        org[first_points] = np.where(blank, np.nan, org[first_points])
    org = pd.DataFrame(org)

    # --- member
    m_levels = levels_best_first(rubric.channel("member").method.levels)
    participants = members - np.minimum(rng.integers(0, 4, n), members - 1)
    excellent = rng.binomial(participants, np.clip(quality + 0.05, 0, 1))
    member: dict = {"branch_id": id_array, "participants": pd.array(participants, dtype="Int64")}
    member[m_levels[0].id] = pd.array(excellent, dtype="Int64")
    rest = participants - excellent - (rng.random(n) < 0.05)  # a blank ballot now and then
    rest = np.maximum(rest, 0)
    for i, level in enumerate(m_levels[1:]):
        if i == len(m_levels) - 2:
            count = rest
        else:
            count = rng.binomial(rest, 0.8)
        member[level.id] = pd.array(count, dtype="Int64")
        rest = rest - count
    member = pd.DataFrame(member)

    # --- public
    p_levels = levels_best_first(rubric.channel("public").method.levels)
    responses = rng.integers(15, 130, n)
    public: dict = {"branch_id": id_array}
    remaining = responses
    top = rng.binomial(remaining, np.clip(quality, 0, 1))
    public[p_levels[0].id] = top
    remaining = remaining - top
    for i, level in enumerate(p_levels[1:]):
        count = remaining if i == len(p_levels) - 2 else rng.binomial(remaining, 0.8)
        public[level.id] = count
        remaining = remaining - count
    unsatisfied_id = p_levels[-1].id
    verified = (rng.random(n) < 0.02) & (np.asarray(public[unsatisfied_id]) > 0)
    public = pd.DataFrame({k: (v if k == "branch_id" else pd.array(v, dtype="Int64")) for k, v in public.items()})
    public["unsatisfied_verified"] = pd.array(verified, dtype="boolean")

    # --- social (1–4 opinions; 2% of branches have none)
    k = rng.integers(1, 5, n) * (rng.random(n) >= 0.02)
    owner = np.repeat(np.arange(n), k)
    departments = np.array(DEMO_DEPARTMENTS["all"] + DEMO_DEPARTMENTS["社区"], dtype=object)
    compliant = rng.random(owner.size) >= 0.02
    opinions = np.array(NONCOMPLIANT_OPINIONS, dtype=object)[rng.integers(0, len(NONCOMPLIANT_OPINIONS), owner.size)]
    social = pd.DataFrame(
        {
            "branch_id": _str_array(ids[owner]),
            "department": _str_array(departments[rng.integers(0, departments.size, owner.size)]),
            "compliant": pd.array(compliant, dtype="boolean"),
            "opinion": _str_array(np.where(compliant, None, opinions)),
        }
    )

    # --- activities
    rows = n_activity_rows
    per = np.full(n, rows // n, dtype=np.int64)
    per[: rows % n] += 1
    owner = np.repeat(np.arange(n), per)
    labels = activity_labels(rubric)
    types = np.array(list(labels.values()), dtype=object)
    weights = np.array(
        [
            12
            if key in ("committee_meeting", "group_meeting", "theme_day")
            else 4
            if key in ("general_meeting", "party_lecture")
            else 1
            for key in labels
        ],
        dtype=float,
    )
    type_index = rng.choice(types.size, size=rows, p=weights / weights.sum())
    # Dates cycle through the months within each branch (so some branches cover every month),
    # with about 2% of the rows in the previous December (they must not count).
    position = np.arange(rows) - np.repeat(np.cumsum(per) - per, per)
    month = (position + rng.integers(0, 12, n)[owner]) % 12
    dates = (np.datetime64(f"{year}-01", "M") + month).astype("datetime64[D]") + rng.integers(0, 28, rows)
    prior = rng.random(rows) < 0.02
    dates = np.where(prior, np.datetime64(f"{year - 1}-12-01", "D") + rng.integers(0, 31, rows), dates)
    dates = dates.astype("datetime64[ns]")
    committee_type = type_index == list(labels).index("committee_meeting")
    expected = np.where(committee_type & (committee[owner] > 0), committee[owner], members[owner])
    attended = rng.binomial(expected, 0.85)
    has_record = rng.random(rows) >= 0.03
    activities = pd.DataFrame(
        {
            "branch_id": _str_array(ids[owner]),
            "date": pd.Series(dates),
            "type": _str_array(types[type_index]),
            "expected": pd.array(expected, dtype="Int64"),
            "attended": pd.array(attended, dtype="Int64"),
            "has_record": pd.array(has_record, dtype="boolean"),
        }
    )
    return Inputs(branches=branches, org=org, member=member, public=public, social=social, activities=activities)
