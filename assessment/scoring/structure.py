"""Structure rules from the 支部 sheet: formation, committee, size, term (structure.yaml)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..rubric import Rubric
from ..rubric.model import CommitteeRequired, CommitteeSize, MaxMembers, MinFullMembers, TermRule
from .text import render


def _ints(series: pd.Series) -> np.ndarray:
    return series.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)


def _term_due(last: pd.Series, years: np.ndarray) -> pd.Series:
    """Date a term ends: the anniversary ``years`` later (29 Feb → 28 Feb)."""
    last = pd.to_datetime(last)
    ok = last.notna().to_numpy()
    year = np.where(ok, last.dt.year.fillna(2000).to_numpy(dtype="int64") + years, 2000)
    month = last.dt.month.fillna(1).to_numpy(dtype="int64")
    day = last.dt.day.fillna(1).to_numpy(dtype="int64")
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    day = np.where((month == 2) & (day == 29) & ~leap, 28, day)
    due = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day}))
    return due.where(ok)


def check_structure(rubric: Rubric, branches: pd.DataFrame, year: int) -> pd.DataFrame:
    """One row per branch and rule: passed (NA = cannot tell or not applicable), explanation."""
    n = len(branches)
    if not rubric.uses_condition("structure") or not rubric.structure.rules:
        # Not collected (meta.yaml uses): no rule is checked.
        columns = {"branch_id": "object", "rule_id": "object", "label": "object", "passed": "boolean"}
        columns |= {"blocking": "bool", "explanation": "object", "source": "object"}
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in columns.items()})
    full = _ints(branches["full_members"])
    probationary = _ints(branches["probationary_members"])
    committee = _ints(branches["committee_size"])
    pieces = []
    for rule in rubric.structure.rules:
        applicable = np.ones(n, dtype=bool)
        known = np.ones(n, dtype=bool)
        fields: dict = {}
        if isinstance(rule, MinFullMembers):
            known = ~np.isnan(full)
            passed = full >= rule.threshold if rule.inclusive else full > rule.threshold
            fields = {"observed": branches["full_members"], "threshold": rule.threshold}
            note = f"正式党员{rule.threshold}人以上" if rule.inclusive else f"正式党员超过{rule.threshold}人"
        elif isinstance(rule, CommitteeRequired):
            known = ~np.isnan(full)
            required = full >= rule.full_members_at_least
            has_committee = np.nan_to_num(committee, nan=0) > 0
            passed = ~required | has_committee
            fields = {"observed": branches["full_members"], "threshold": rule.full_members_at_least}
            note = np.where(
                required,
                f"正式党员{rule.full_members_at_least}人以上，已设立支委会",
                f"正式党员不足{rule.full_members_at_least}人，设书记1名即可",
            )
        elif isinstance(rule, CommitteeSize):
            applicable = np.nan_to_num(committee, nan=0) > 0
            size = np.nan_to_num(committee, nan=0)
            passed = (size >= rule.min) & (size <= rule.max)
            if rule.odd:
                passed &= size % 2 == 1
            fields = {"observed": branches["committee_size"], "min": rule.min, "max": rule.max}
            note = f"支委会人数在{rule.min}至{rule.max}人之间" + ("且为单数" if rule.odd else "")
        elif isinstance(rule, TermRule):
            kinds = branches["kind"] if "kind" in branches else pd.Series(pd.NA, index=branches.index)
            years = kinds.map(rule.years_by_kind).fillna(rule.default_years).to_numpy(dtype="int64")
            due = _term_due(branches["last_election"], years)
            known = due.notna().to_numpy()
            year_end = pd.Timestamp(year=year, month=12, day=31)
            passed = (due > year_end).to_numpy(dtype=bool, na_value=False)
            fields = {
                "last_election": pd.to_datetime(branches["last_election"]),
                "years": years,
                "due": due,
            }
            note = "任期未满"
        elif isinstance(rule, MaxMembers):
            total = full + np.nan_to_num(probationary, nan=0)
            known = ~np.isnan(full)
            passed = total <= rule.threshold if rule.inclusive else total < rule.threshold
            fields = {"observed": total, "threshold": rule.threshold}
            note = f"党员{rule.threshold}人以内" if rule.inclusive else f"党员不足{rule.threshold}人"
        else:  # pragma: no cover - the loader only admits the types above
            raise AssertionError(rule)
        evaluated = applicable & known
        passed = np.asarray(passed, dtype=bool)
        explanation = render(rule.fail_text, n, mask=evaluated & ~passed, **fields)
        note = np.broadcast_to(np.asarray(note, dtype=object), (n,))
        ok_rows = evaluated & passed
        codes, notes = pd.factorize(note[ok_rows])  # few distinct notes: each sentence built once
        passing = np.array([f"{rule.label}：符合要求（{text}）。" for text in notes] or [""], dtype=object)
        explanation[ok_rows] = passing[codes]
        explanation[applicable & ~known] = getattr(rule, "missing_text", f"缺少{rule.label}所需数据，无法判断。")
        explanation[~applicable] = f"{rule.label}：不适用。"
        result = pd.array(np.where(evaluated, passed, False), dtype="boolean")
        result[~evaluated] = pd.NA
        pieces.append(
            pd.DataFrame(
                {
                    "branch_id": branches.index.to_numpy(),
                    "rule_id": rule.id,
                    "label": rule.label,
                    "passed": result,
                    "blocking": rule.blocking,
                    "explanation": explanation,
                    "source": rule.source,
                }
            )
        )
    return pd.concat(pieces, ignore_index=True)
