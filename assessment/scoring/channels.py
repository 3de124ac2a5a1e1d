"""四评 channel scores (0–100) and the composite, as whole columns.

Loops run over rubric items and levels (a few dozen), never over branches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..rubric import Rubric
from ..rubric.model import EVIDENCE_MARKS, ChecklistItem


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
    if item.kind == "stepped":
        # The points of the highest step reached (at = 以上, inclusive), not cumulative, within max.
        earned = np.where(np.isnan(value), np.nan, 0.0)
        for step in item.steps:
            earned = np.where(value >= step.at, float(step.points), earned)
        return np.minimum(earned, top)
    if item.kind == "flag":
        # A recorded fact earns nothing: 0 where 是 or 否 was recorded, NaN where blank.
        return np.where(np.isnan(value), np.nan, 0.0)
    raise AssertionError(f"unknown item kind {item.kind}")  # the rubric loader refuses these


def sub_input_counts(item: ChecklistItem, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per sub-input of an evidence_deduction / multi_deduction item (its suffix): 1.0 for an evidence
    marked 缺失 (0.0 已查看) or the rule's count; NaN where blank or the column is absent."""
    out = {}
    for suffix, _label in item.sub_inputs():
        key = f"{item.id}.{suffix}"
        if key not in frame.columns:
            out[suffix] = np.full(len(frame), np.nan)
        elif item.kind == "evidence_deduction":
            marks = frame[key].astype(object)
            known = marks.isin(EVIDENCE_MARKS).to_numpy(dtype=bool)
            out[suffix] = np.where(known, (marks == EVIDENCE_MARKS[1]).to_numpy(dtype=bool).astype(float), np.nan)
        else:
            out[suffix] = _float(frame[key])
    return out


def sub_input_points(item: ChecklistItem, frame: pd.DataFrame) -> np.ndarray:
    """Points of an item with several inputs, NaN where any of them is blank (未评分).

    evidence_deduction: per × the number of evidence marked 缺失; multi_deduction: Σ per × count over
    its rules. Either way one floor at 0 (扣完为止) and at most max."""
    top = float(item.max)
    counts = sub_input_counts(item, frame)
    if item.kind == "evidence_deduction":
        taken = float(item.per) * np.sum(list(counts.values()), axis=0)
    else:
        pers = {rule.id: float(rule.per) for rule in item.rules}
        taken = np.sum([pers[suffix] * np.maximum(count, 0.0) for suffix, count in counts.items()], axis=0)
    return np.clip(top - taken, 0.0, top)


def item_flag_values(item: ChecklistItem, org: pd.DataFrame, index: pd.Index) -> pd.Series:
    """A ``flag`` item's recorded fact per branch of ``index``: True (是), False (否) or NA (not recorded)."""
    if not len(org) or item.id not in org.columns:
        return pd.Series(pd.NA, index=index, dtype="boolean")
    values = org.set_index("branch_id")[item.id].reindex(index)
    values = values.astype(object).where(values.notna(), None)
    return values.astype("boolean")


def item_applicability(rubric: Rubric, kinds, index: pd.Index) -> pd.DataFrame:
    """Per branch of ``index`` (its 支部类型 in ``kinds``, NA if not known) and checklist item: whether the
    item applies (``applies_to``, checklist.yaml). A branch of unknown kind is scored on every item."""
    # Few distinct kinds: strip each once.
    codes, distinct = pd.factorize(pd.Series(kinds, index=index, dtype="object"), use_na_sentinel=True)
    stripped = np.array([str(value).strip() for value in distinct] + [""], dtype=object)
    text = stripped[codes]  # code -1 (NA) reads the final ""
    known = text != ""
    data = {}
    for item in rubric.items:
        data[item.id] = ~known | np.isin(text, list(item.applies_to)) if item.applies_to else np.ones(len(index), bool)
    return pd.DataFrame(data, index=index, dtype=bool)


def org_items(
    rubric: Rubric, org: pd.DataFrame, index: pd.Index, applicable: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Points per checklist item, one row per branch of ``index`` (NaN: not scored, no row, or not
    applicable to the branch per ``applicable`` — :func:`item_applicability` — whatever was entered)."""
    frame = org.set_index("branch_id").reindex(index) if len(org) else pd.DataFrame(index=index)
    data = {}
    for item in rubric.items:
        if item.sub_inputs():
            points = sub_input_points(item, frame)
        else:
            column = frame[item.id] if item.id in frame.columns else pd.Series(np.nan, index=index)
            if item.kind == "flag":
                column = column.astype(object).map(lambda v: np.nan if v is None or v is pd.NA or v != v else float(v))
            points = item_points(item, column)
        if applicable is not None:
            points = np.where(applicable[item.id].to_numpy(dtype=bool), points, np.nan)
        data[item.id] = points
    return pd.DataFrame(data, index=index)


def applicable_weight_scale(rubric: Rubric, applicable: pd.DataFrame | None, n: int) -> np.ndarray:
    """Per branch: all base items' weight ÷ the applicable ones' weight (1 exactly where every item
    applies), so that a 不适用 item neither costs points nor caps the 组织评定 below 100."""
    scale = np.ones(n)
    if applicable is None:
        return scale
    limited = [i for i in rubric.base_items if i.applies_to]
    if not limited:
        return scale
    everything = sum(float(i.weight) for i in rubric.base_items)
    left_out = sum(float(i.weight) * ~applicable[i.id].to_numpy(dtype=bool) for i in limited)
    rows = left_out > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale[rows] = everything / (everything - left_out[rows])
    return scale


def weighted_points(
    item: ChecklistItem, items: pd.DataFrame, applicable: pd.DataFrame | None, weight: float | None = None
) -> np.ndarray:
    """weight × points/max per branch; 0 where the item does not apply (its NaN is not a gap)."""
    term = float(item.weight if weight is None else weight) * items[item.id].to_numpy(dtype="float64") / float(item.max)
    if applicable is not None and item.applies_to:
        term = np.where(applicable[item.id].to_numpy(dtype=bool), term, 0.0)
    return term


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


def org_score(
    rubric: Rubric, items: pd.DataFrame, bonus: np.ndarray | None = None, applicable: pd.DataFrame | None = None
) -> np.ndarray:
    """Σ weight × points/max × 100 over the base items, plus 加分, within ``bonus.total_cap``;
    NaN when any base item is missing (the branch is then 未完成). ``bonus``: :func:`org_bonus`, if known.
    Items that do not apply to a branch (``applicable``, see :func:`item_applicability`) are left out and
    the others' weights scaled up to the full weight (the maximum adjusts)."""
    total = np.zeros(len(items))
    for item in rubric.base_items:
        total = total + weighted_points(item, items, applicable)
    total = total * applicable_weight_scale(rubric, applicable, len(items)) * 100.0
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
    frame = frame.reindex(
        columns=[*frame.columns, *(c for c in ("participants", *(lv.id for lv in method.levels)) if c not in frame)]
    )
    base = _float(frame["participants"])
    return tally_score(method.levels, frame, base), frame


def public_score(rubric: Rubric, public: pd.DataFrame, index: pd.Index) -> tuple[np.ndarray, pd.DataFrame]:
    method = rubric.channel("public").method
    frame = public.set_index("branch_id").reindex(index)
    frame = frame.reindex(columns=[*frame.columns, *(lv.id for lv in method.levels if lv.id not in frame)])
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
