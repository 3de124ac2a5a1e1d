"""Activity-frequency rules (004 附件1) checked against one year's activity log.

"per_month" means every month of the year has ``min`` counted activities — twelve
meetings in eleven months fail; "per_quarter" likewise per quarter; "per_year" is
a count. A ``scope: per_member`` rule (谈心谈话: 每年与每名党员不少于1次) reads the 党员名册 instead:
every member must have ``min`` talks; without a roster (or one whose 谈心谈话次数 is blank throughout)
only a log with none at all fails. Only activities dated in the evaluation year with minutes
(有记录=是) count; a 支部党员大会 below its voting quorum counts or not as the rule's ``below_quorum`` says
(``below_quorum`` counts those meetings either way: they could not vote). What does not count is
reported as ``not_counted``. Missing months or quarters are named.

Counting uses integer codes and ``numpy.bincount``; which periods are covered is
kept as a bit mask per branch, so naming the missing ones is a table look-up.
"""

from __future__ import annotations

from itertools import compress

import numpy as np
import pandas as pd

from ..rubric import Rubric
from .numbers import share_at_least
from .text import join_where, render

MONTH_NAMES = [f"{m}月" for m in range(1, 13)]
# The columns of :func:`check_activities`' frame (also when there is no rule to check).
ACTIVITY_RESULT_DTYPES = {
    "branch_id": "object",
    "rule_id": "object",
    "type": "object",
    "requirement": "object",
    "count": "int64",
    "not_counted": "int64",
    "below_quorum": "int64",
    "missing_periods": "object",
    "applicable": "bool",
    "met": "boolean",
}
QUARTER_NAMES = ["第一季度", "第二季度", "第三季度", "第四季度"]


def _mask_names(names: list[str]) -> np.ndarray:
    """Text for every bit mask of missing periods: mask → '3月、7月'."""
    size = 1 << len(names)
    return np.array(
        ["、".join(compress(names, [(mask >> i) & 1 for i in range(len(names))])) for mask in range(size)],
        dtype=object,
    )


_MISSING_MONTHS = _mask_names(MONTH_NAMES)
_MISSING_QUARTERS = _mask_names(QUARTER_NAMES)


def _per_member(
    rule, roster: pd.DataFrame | None, index: pd.Index, logged: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``scope: per_member`` rule over the roster's 谈心谈话次数: per branch (count, met, text).

    count: members with ``min`` talks or more (or, without a roster, the talks in the log); met: NA where
    it cannot tell (a member's count left blank; no roster but talks logged); text names who is short."""
    n = len(index)
    members = np.zeros(n, dtype=np.int64)
    known = np.zeros(n, dtype=np.int64)
    talked = np.zeros(n, dtype=np.int64)
    short_names = np.full(n, "", dtype=object)
    if roster is not None and len(roster) and "talks" in roster:
        code = pd.Categorical(roster["branch_id"].astype(str), categories=index).codes.astype(np.int64)
        mine = code >= 0
        talks = roster["talks"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)[mine]
        code = code[mine]
        names = roster["name"].astype(str).to_numpy(dtype=object)[mine]
        members = np.bincount(code, minlength=n)
        known = np.bincount(code[~np.isnan(talks)], minlength=n)
        enough = ~np.isnan(talks) & (talks >= rule.min)  # 不少于: the number itself passes
        talked = np.bincount(code[enough], minlength=n)
        short = ~np.isnan(talks) & ~enough
        for branch in np.unique(code[short]):
            short_names[branch] = "、".join(names[short & (code == branch)])
    blank = members - known
    # A roster that records no talk count at all (e.g. one kept before the column) is as good as none.
    with_roster = known > 0
    failed = short_names != ""
    met = np.full(n, None, dtype=object)
    met[with_roster & failed] = False
    met[with_roster & ~failed & (blank == 0)] = True
    met[~with_roster & (logged == 0)] = False
    text = np.full(n, "", dtype=object)
    unit = f"不足{rule.min}次" if rule.min > 1 else "全年未谈话"
    text[failed] = unit + "：" + short_names[failed]
    partly = with_roster & (blank > 0)
    text[partly] = (
        text[partly]
        + np.where(failed[partly], "；", "")
        + "名册中"
        + blank[partly].astype(str)
        + "人未填写谈心谈话次数"
    )
    text[~with_roster & (logged == 0)] = f"全年没有{rule.type_label}记录"
    # One wording whether the roster is missing or its column blank: the street's import does not keep
    # a workbook's roster, so results from the database and from the workbook must read the same.
    text[~with_roster & (logged > 0)] = "没有党员名册中逐人的谈心谈话次数，无法逐人核对"
    count = np.where(with_roster, talked, logged)
    return count, met, text


def check_activities(
    rubric: Rubric, activities: pd.DataFrame, branches: pd.DataFrame, year: int, roster: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per branch and rule: counts, missing periods, met (NA when not applicable or, for a
    ``per_member`` rule, when the roster cannot tell; ``applicable`` says which).

    ``roster``: the 党员名册 (``Inputs.roster``) that a ``scope: per_member`` rule reads."""
    index = branches.index
    n = len(index)
    # A rubric that does not collect the activity log (meta.yaml uses) checks no rule: no rows.
    rules = rubric.activities.rules if rubric.uses_condition("activities") else ()
    if not rules:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in ACTIVITY_RESULT_DTYPES.items()})
    if len(activities):
        dates = pd.to_datetime(activities["date"])
        in_year = (dates.dt.year == year).to_numpy()
        months = dates.dt.month.to_numpy()[in_year] - 1
        # Columns as arrays, then the year's rows (no copy of the whole log). Codes by hash lookup
        # (-1: not a known branch or type); faster than a Categorical on 20M rows.
        branch_code = index.get_indexer(activities["branch_id"])[in_year].astype(np.int64)
        type_code = pd.Index([r.type_label for r in rules]).get_indexer(activities["type"])[in_year]
        has_record = activities["has_record"].astype("boolean").to_numpy(dtype=bool, na_value=False)[in_year]
        expected = activities["expected"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)[in_year]
        attended = activities["attended"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)[in_year]
        known = branch_code >= 0
    else:
        months = branch_code = type_code = np.zeros(0, dtype=np.int64)
        has_record = known = np.zeros(0, dtype=bool)
        expected = attended = np.zeros(0)

    # Rules that only some branches have to follow (党小组会 needs 党小组; 支委会 needs a committee).
    conditions = {
        "has_party_groups": branches["party_groups"].astype("Float64").fillna(0).to_numpy(dtype="float64") > 0,
        "has_committee": branches["committee_size"].astype("Float64").fillna(0).to_numpy(dtype="float64") > 0,
    }
    columns: dict[str, list] = {name: [] for name in _COLUMNS}
    type_code = np.where(known, type_code, -1)
    for rule_index, rule in enumerate(rules):
        # The log rows of this rule's type (known branches), then everything on those rows only: one pass over
        # the whole log per rule instead of several (20M rows at province scale).
        rows = np.flatnonzero(type_code == rule_index)
        codes_of_type = branch_code[rows]
        counted = has_record[rows]
        below = np.zeros(len(rows), dtype=bool)
        if rule.quorum is not None:
            expected_here, attended_here = expected[rows], attended[rows]
            both = ~np.isnan(expected_here) & ~np.isnan(attended_here)
            quorate = np.ones(len(rows), dtype=bool)
            quorate[both] = share_at_least(attended_here[both], expected_here[both], rule.quorum, rule.quorum_inclusive)
            below = counted & ~quorate
            if rule.below_quorum == "not_counted":
                counted = counted & quorate
        codes = codes_of_type[counted]
        count = np.bincount(codes, minlength=n)
        not_counted = np.bincount(codes_of_type[~counted], minlength=n)
        below_quorum = np.bincount(codes_of_type[below], minlength=n)
        if rule.scope == "per_member":
            count, met, missing = _per_member(rule, roster, index, count)
        elif rule.frequency == "per_year":
            met = count >= rule.min
            missing = render("全年差{gap}次", n, mask=~met, gap=rule.min - count)
        else:
            months_counted = months[rows][counted]
            periods = months_counted if rule.frequency == "per_month" else months_counted // 3
            n_periods = 12 if rule.frequency == "per_month" else 4
            per_period = np.bincount(codes * n_periods + periods, minlength=n * n_periods).reshape(n, n_periods)
            covered = per_period >= rule.min
            mask = (covered * (1 << np.arange(n_periods))).sum(axis=1)
            missing_mask = ((1 << n_periods) - 1) & ~mask
            names = _MISSING_MONTHS if rule.frequency == "per_month" else _MISSING_QUARTERS
            met = missing_mask == 0
            missing = names[missing_mask]
        applicable = conditions[rule.applies_when] if rule.applies_when else np.ones(n, dtype=bool)
        met = pd.array(met, dtype="boolean")
        for name, value in (
            ("count", count),
            ("not_counted", not_counted),
            ("below_quorum", below_quorum),
            ("missing_periods", np.where(applicable, missing, "").astype(object)),
            ("applicable", applicable),
            ("met_values", met.to_numpy(dtype=bool, na_value=False)),
            ("met_unknown", np.asarray(met.isna()) | ~applicable),
        ):
            columns[name].append(value)
    # One frame built column by column (rules one after another, branches in order within each rule).
    k = len(rules)
    return pd.DataFrame(
        {
            "branch_id": np.tile(index.to_numpy(dtype=object), k),
            "rule_id": np.repeat(np.array([r.id for r in rules], dtype=object), n),
            "type": np.repeat(np.array([r.type_label for r in rules], dtype=object), n),
            "requirement": np.repeat(np.array([r.requirement for r in rules], dtype=object), n),
            "count": _stack(columns["count"], np.int64),
            "not_counted": _stack(columns["not_counted"], np.int64),
            "below_quorum": _stack(columns["below_quorum"], np.int64),
            "missing_periods": _stack(columns["missing_periods"], object),
            "applicable": _stack(columns["applicable"], bool),
            "met": pd.arrays.BooleanArray(_stack(columns["met_values"], bool), _stack(columns["met_unknown"], bool)),
        }
    )


_COLUMNS = ("count", "not_counted", "below_quorum", "missing_periods", "applicable", "met_values", "met_unknown")


def _stack(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate([np.asarray(part, dtype=dtype) for part in parts]) if parts else np.zeros(0, dtype=dtype)


def failed_rules(frame: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per branch (in branch order): number of applicable rules not met, and their type names."""
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    n_rules = len(frame) // n
    failed = (frame["met"] == False).fillna(False).to_numpy(dtype=bool).reshape(n_rules, n)
    types = frame["type"].to_numpy(dtype=object).reshape(n_rules, n)[:, 0]
    return failed.sum(axis=0), join_where(list(zip(failed, types)), "、", n)
