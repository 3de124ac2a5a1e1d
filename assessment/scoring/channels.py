"""四评 channel scores (0–100) and the composite, as whole columns.

Loops run over rubric items and levels (a few dozen), never over branches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..rubric import Rubric
from ..rubric.model import ChecklistItem


def _float(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def item_points(item: ChecklistItem, column: pd.Series) -> np.ndarray:
    """Points earned on one checklist item (0..max), NaN where not scored.

    The input's meaning depends on ``item.kind`` (see rubrics/checklist.yaml);
    every deduction stops at 0 (扣完为止).
    """
    top = float(item.max)
    if item.kind == "level":
        mapping = {lv.label: float(lv.points) for lv in item.levels}
        return column.map(mapping).to_numpy(dtype="float64", na_value=np.nan)
    value = _float(column)
    if item.kind == "points":
        return np.clip(value, 0.0, top)
    if item.kind == "count_shortfall":
        shortfall = np.maximum(float(item.target) - value, 0.0)
        return np.clip(top - float(item.per) * shortfall, 0.0, top)
    if item.kind == "deduction":
        return np.clip(top - float(item.per) * np.maximum(value, 0.0), 0.0, top)
    if item.kind == "rate_steps":
        shortfall = np.maximum(float(item.target) - value, 0.0)
        steps = shortfall / float(item.step)
        # Without the epsilon, 90 − 80 = 10 over a step of 10 could give 0.9999999 steps.
        if item.partial == "floor":
            steps = np.floor(steps + 1e-9)
        elif item.partial == "ceil":
            steps = np.ceil(steps - 1e-9)
        return np.clip(top - float(item.per) * steps, 0.0, top)
    raise AssertionError(f"unknown item kind {item.kind}")  # the rubric loader refuses these


def org_items(rubric: Rubric, org: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Points per checklist item, one row per branch of ``index`` (NaN: not scored or no row)."""
    frame = org.set_index("branch_id").reindex(index) if len(org) else pd.DataFrame(index=index)
    data = {}
    for item in rubric.items:
        column = frame[item.id] if item.id in frame.columns else pd.Series(np.nan, index=index)
        data[item.id] = item_points(item, column)
    return pd.DataFrame(data, index=index)


def org_bonus(rubric: Rubric, items: pd.DataFrame) -> np.ndarray:
    """加分 on the 组织评定's 0–100 scale: the points of every bonus item (an unscored one adds 0), only
    the best item of each ``bonus_group`` (not cumulative), then at most ``bonus.cap``."""
    total = np.zeros(len(items))
    groups: dict[str, np.ndarray] = {}
    for item in rubric.bonus_items:
        points = np.nan_to_num(items[item.id].to_numpy(dtype="float64"), nan=0.0)
        if item.bonus_group is None:
            total = total + points
        else:
            best = groups.get(item.bonus_group)
            groups[item.bonus_group] = points if best is None else np.maximum(best, points)
    for best in groups.values():
        total = total + best
    cap = rubric.checklist.bonus.cap
    return total if cap is None else np.minimum(total, float(cap))


def org_score(rubric: Rubric, items: pd.DataFrame, bonus: np.ndarray | None = None) -> np.ndarray:
    """Σ weight × points/max × 100 over the base items, plus 加分, within ``bonus.total_cap``;
    NaN when any base item is missing (the branch is then 未完成). ``bonus``: :func:`org_bonus`, if known."""
    total = np.zeros(len(items))
    for item in rubric.base_items:
        total = total + float(item.weight) * items[item.id].to_numpy() / float(item.max)
    total = total * 100.0
    if not rubric.bonus_items:
        return total
    total = total + (org_bonus(rubric, items) if bonus is None else bonus)
    cap = rubric.checklist.bonus.total_cap
    return total if cap is None else np.minimum(total, float(cap))


def tally_score(levels, frame: pd.DataFrame, base: np.ndarray) -> np.ndarray:
    """Σ level value × count ÷ base; NaN where base is 0 or missing."""
    total = np.zeros(len(frame))
    for level in levels:
        total = total + float(level.value) * _float(frame[level.id])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base > 0, total / base, np.nan)


def member_score(rubric: Rubric, member: pd.DataFrame, index: pd.Index) -> tuple[np.ndarray, pd.DataFrame]:
    method = rubric.channel("member").method
    frame = member.set_index("branch_id").reindex(index)
    base = _float(frame["participants"])
    return tally_score(method.levels, frame, base), frame


def public_score(rubric: Rubric, public: pd.DataFrame, index: pd.Index) -> tuple[np.ndarray, pd.DataFrame]:
    method = rubric.channel("public").method
    frame = public.set_index("branch_id").reindex(index)
    counts = [_float(frame[level.id]) for level in method.levels]
    responses = np.sum(counts, axis=0) if counts else np.zeros(len(index))
    return tally_score(method.levels, frame, responses), frame


def social_counts(social: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Per branch: number of department opinions, compliant ones, and the non-compliant departments."""
    if len(social) == 0:
        return pd.DataFrame({"opinions": 0, "compliant": 0, "noncompliant": 0, "departments": ""}, index=index).astype(
            {"departments": object}
        )
    compliant = social["compliant"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    grouped = pd.DataFrame({"branch_id": social["branch_id"].to_numpy(), "ok": compliant}).groupby(
        "branch_id", sort=False
    )["ok"]
    opinions = grouped.size().reindex(index, fill_value=0)
    ok = grouped.sum().reindex(index, fill_value=0)
    bad = social.loc[~compliant, ["branch_id", "department"]]
    # Summing "name、" strings per group is done inside pandas' groupby, without a Python call per branch.
    departments = (bad["department"].astype(object) + "、").groupby(bad["branch_id"], sort=False).sum().str[:-1]
    return pd.DataFrame(
        {
            "opinions": opinions.to_numpy(dtype="int64"),
            "compliant": ok.to_numpy(dtype="int64"),
            "noncompliant": (opinions - ok).to_numpy(dtype="int64"),
            "departments": departments.reindex(index).fillna("").to_numpy(dtype=object),
        },
        index=index,
    )


def social_score(counts: pd.DataFrame) -> np.ndarray:
    opinions = counts["opinions"].to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(opinions > 0, counts["compliant"].to_numpy() * 100.0 / opinions, np.nan)


def composite(rubric: Rubric, channel_scores: dict[str, np.ndarray]) -> np.ndarray:
    """Σ channel weight × channel score; NaN when any channel is missing."""
    total = np.zeros(len(next(iter(channel_scores.values()))))
    for channel in rubric.channels.channels:
        total = total + float(channel.weight) * channel_scores[channel.id]
    return total
