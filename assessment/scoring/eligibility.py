"""Grade and star bands, 五强, 达标, the weak-branch flag — all from rubric data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..rubric import Rubric
from ..rubric.model import (
    ActivityFailuresAtLeast,
    ActivityRulesMet,
    Band,
    GradeCap,
    ItemFlag,
    KeyItemsAtLeast,
    KeyItemZero,
    ScoreAtLeast,
    ScoreBelow,
    StructureOk,
    VetoFired,
)
from . import channels as ch
from .numbers import at_least, quantize, share_at_least, threshold_units
from .text import join_where, render


def band_index(units: np.ndarray, bands: tuple[Band, ...], decimals: int) -> np.ndarray:
    """Index of the band each score falls in (−1 for NaN). Bands are validated to tile the scale."""
    conditions = []
    for band in bands:
        low = at_least(units, threshold_units(band.min, decimals), band.min_inclusive)
        high_edge = threshold_units(band.max, decimals)
        high = units <= high_edge if band.max_inclusive else units < high_edge
        conditions.append(low & high)
    return np.select(conditions, list(range(len(bands))), default=-1)


def five_strong(
    rubric: Rubric, items: pd.DataFrame, decimals: int, applicable: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Each dimension's weighted share of points (%, rounded), whether all reach the threshold, and why not.
    An item that does not apply to a branch (``applicable``) is left out of its dimension's share."""
    spec = rubric.checklist.five_strong
    threshold = threshold_units(spec.threshold * 100, decimals)
    shares = {}
    strong = np.ones(len(items), dtype=bool)
    known = np.ones(len(items), dtype=bool)
    short: list[tuple[np.ndarray, np.ndarray]] = []
    for dim in spec.dimensions:
        members = [i for i in rubric.base_items if i.strength == dim.id]
        total_weight = sum(float(i.weight) for i in members)
        if total_weight == 0:
            # An analyst set every item of this dimension to weight 0: it has no share and cannot be 强.
            shares[dim.id] = np.full(len(items), np.nan)
            strong[:] = False
            short.append((np.ones(len(items), dtype=bool), dim.label + "（指标权重均为0，无法评定）"))
            continue
        earned = sum(ch.weighted_points(i, items, applicable) for i in members)
        weight = np.full(len(items), float(total_weight))
        for i in members:
            if applicable is not None and i.applies_to:
                weight = weight - float(i.weight) * ~applicable[i.id].to_numpy(dtype=bool)
        with np.errstate(divide="ignore", invalid="ignore"):  # no applicable item in the dimension: NaN
            value = earned / np.where(weight > 0, weight, np.nan) if applicable is not None else earned / total_weight
        units = quantize(value * 100, decimals)
        shares[dim.id] = units / 10**decimals
        ok = units >= threshold
        known &= ~np.isnan(units)
        strong &= ok
        below = ~ok & ~np.isnan(units)
        short.append((below, render(dim.label + "（{share}%）", len(items), mask=below, share=shares[dim.id])))
    return pd.DataFrame(shares, index=items.index), strong & known, join_where(short, "、", len(items))


def standardized(
    rubric: Rubric,
    score_units: dict[str, np.ndarray],
    items: pd.DataFrame,
    activity_failed: np.ndarray,
    structure_blocked: np.ndarray,
    structure_reasons: np.ndarray,
    decimals: int,
    applicable: pd.DataFrame | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """达标 = every condition of eligibility.yaml's ``standardized`` holds; the unmet ones, named."""
    n = len(items)
    ok = np.ones(n, dtype=bool)
    unmet: list[tuple[np.ndarray, np.ndarray | str]] = []
    for cond in rubric.eligibility.standardized.conditions:
        if isinstance(cond, ScoreAtLeast):
            units = score_units[cond.target]
            met = at_least(units, threshold_units(cond.threshold, decimals), cond.inclusive)
            text = np.where(np.isnan(units), cond.label + "（得分缺项）", cond.label)
        elif isinstance(cond, KeyItemsAtLeast):
            met = np.ones(n, dtype=bool)
            short = []
            for item in (i for i in rubric.base_items if i.key):
                earned = quantize(items[item.id].to_numpy(), decimals)
                top = threshold_units(item.max, decimals)
                item_ok = ~np.isnan(earned) & share_at_least(
                    np.nan_to_num(earned), np.full(n, top), cond.share, cond.inclusive
                )
                if applicable is not None and item.applies_to:  # 不适用: not a key item for this branch
                    item_ok |= ~applicable[item.id].to_numpy(dtype=bool)
                short.append((~item_ok, item.label))
                met &= item_ok
            text = render(cond.label + "（{items}）", n, mask=~met, items=join_where(short, "、", n))
        elif isinstance(cond, ActivityRulesMet):
            met = activity_failed <= cond.max_failed
            text = render(cond.label + "（{count}项未达到）", n, mask=~met, count=activity_failed)
        elif isinstance(cond, StructureOk):
            met = ~structure_blocked
            text = render(cond.label + "（{rules}）", n, mask=~met, rules=structure_reasons)
        else:  # pragma: no cover
            raise AssertionError(cond)
        unmet.append((~met, text))
        ok &= met
    return ok, join_where(unmet, "；", n)


def weak(
    rubric: Rubric,
    score_units: dict[str, np.ndarray],
    items: pd.DataFrame,
    activity_failed: np.ndarray,
    decimals: int,
) -> tuple[np.ndarray, np.ndarray]:
    """软弱涣散 flag: any condition of eligibility.yaml's ``weak`` holds; which ones."""
    n = len(items)
    hits = [
        (condition_hit(rubric, cond, score_units, items, activity_failed, {}, decimals), cond.label)
        for cond in rubric.eligibility.weak.any_of
    ]
    flagged = np.any([hit for hit, _ in hits], axis=0) if hits else np.zeros(n, dtype=bool)
    return flagged, join_where(hits, "；", n)


def condition_hit(
    rubric: Rubric,
    cond,
    score_units: dict[str, np.ndarray],
    items: pd.DataFrame,
    activity_failed: np.ndarray,
    fired: dict[str, np.ndarray],
    decimals: int,
) -> np.ndarray:
    """Whether one 软弱涣散 / 等次限制 condition holds, per branch. A score condition takes the shape of
    its ``score_units`` (branches × perturbations in the sensitivity analysis); the others are per branch."""
    if isinstance(cond, ScoreBelow):
        return score_units[cond.target] < threshold_units(cond.threshold, decimals)  # NaN → False
    if isinstance(cond, KeyItemZero):
        hit = np.zeros(len(items), dtype=bool)
        for item in (i for i in rubric.base_items if i.key):
            hit |= items[item.id].to_numpy() == 0
        return hit
    if isinstance(cond, ActivityFailuresAtLeast):
        return activity_failed >= cond.count
    if isinstance(cond, VetoFired):
        return fired[cond.rule]
    if isinstance(cond, ItemFlag):
        return fired[flag_key(cond.item)]
    raise AssertionError(cond)  # pragma: no cover


def flag_key(item_id: str) -> str:
    """The key of a ``flag`` item's 是 in the ``fired`` dict (a colon: never a veto rule id)."""
    return f"item_flag:{item_id}"


def condition_label(rubric: Rubric, cond) -> str:
    """A condition's words in a reason text: its label; an ``item_flag`` condition without one, the
    item's ``flag_label``."""
    if isinstance(cond, ItemFlag) and cond.label is None:
        return rubric.item(cond.item).flag_label
    return cond.label


def _grade_ranks(rubric: Rubric) -> tuple[np.ndarray, np.ndarray]:
    """rank_of[band index] (0 = best grade; the extra last entry, for band index −1, is −1) and its inverse."""
    order = rubric.eligibility.grade_order()
    rank_of = np.full(len(order) + 1, -1, dtype=np.int64)
    rank_of[list(order)] = np.arange(len(order))
    return rank_of, np.array([*order, -1], dtype=np.int64)


def grade_cap_hits(
    rubric: Rubric,
    score_units: dict[str, np.ndarray],
    items: pd.DataFrame,
    activity_failed: np.ndarray,
    fired: dict[str, np.ndarray],
    decimals: int,
) -> list[tuple[GradeCap, list[tuple[np.ndarray, str]]]]:
    """For every 等次限制 rule, each of its conditions' hits and labels."""
    return [
        (
            cap,
            [
                (
                    condition_hit(rubric, cond, score_units, items, activity_failed, fired, decimals),
                    condition_label(rubric, cond),
                )
                for cond in cap.any_of
            ],
        )
        for cap in rubric.eligibility.grade_caps
    ]


def _column(values: np.ndarray, ndim: int) -> np.ndarray:
    values = np.asarray(values)
    return values.reshape(values.shape + (1,) * (ndim - values.ndim))


def capped_band_index(
    rubric: Rubric, index: np.ndarray, hits: list[tuple[GradeCap, list[tuple[np.ndarray, str]]]]
) -> tuple[np.ndarray, list[tuple[GradeCap, np.ndarray, np.ndarray]]]:
    """The grade band index after the 等次限制 rules (a grade better than a firing rule's ``max_grade``
    becomes it; a lower grade stays), and for each rule where it lowered the grade and which conditions hit."""
    if not hits:
        return index, []
    rank_of, index_of = _grade_ranks(rubric)
    labels = [band.label for band in rubric.eligibility.grades.bands]
    rank = rank_of[index]
    capped = rank.copy()
    applied = []
    for cap, conditions in hits:
        hit = np.zeros(index.shape, dtype=bool)
        for cond_hit, _label in conditions:
            hit = hit | _column(cond_hit, index.ndim)
        limit = rank_of[labels.index(cap.max_grade)]
        lowers = hit & (rank >= 0) & (rank < limit)
        capped = np.where(lowers, np.maximum(capped, limit), capped)
        applied.append((cap, lowers, hit))
    return index_of[capped], applied


def grades_with_caps(
    rubric: Rubric,
    composite_units: np.ndarray,
    score_units: dict[str, np.ndarray],
    items: pd.DataFrame,
    activity_failed: np.ndarray,
    fired: dict[str, np.ndarray],
    decimals: int,
) -> tuple[np.ndarray, np.ndarray]:
    """等次 by the composite's band, lowered by eligibility.yaml's ``grade_caps``; and why it was lowered
    ('' where no rule lowered it)."""
    bands = rubric.eligibility.grades.bands
    n = len(composite_units)
    labels = np.array([b.label for b in bands] + [None], dtype=object)
    index = band_index(composite_units, bands, decimals)
    hits = grade_cap_hits(rubric, score_units, items, activity_failed, fired, decimals)
    capped, applied = capped_band_index(rubric, index, hits)
    parts = []
    for (cap, lowers, _hit), (_cap, conditions) in zip(applied, hits):
        which = join_where([(np.broadcast_to(h, (n,)), label) for h, label in conditions], "、", n)
        literal = (cap.label, cap.max_grade)
        label, top = (text.replace("{", "{{").replace("}", "}}") for text in literal)
        template = label + "（{conditions}）：等次最高为“" + top + "”（按得分为“{grade}”）"
        parts.append((lowers, render(template, n, mask=lowers, conditions=which, grade=labels[index])))
    return labels[capped], join_where(parts, "；", n)


def stars(rubric: Rubric, composite_units: np.ndarray, is_standardized: np.ndarray, decimals: int) -> pd.array:
    spec = rubric.eligibility.stars
    index = band_index(composite_units, spec.bands, decimals)
    values = np.array([b.stars for b in spec.bands] + [0])[index]
    if spec.max_if_not_standardized is not None:
        values = np.where(is_standardized, values, np.minimum(values, spec.max_if_not_standardized))
    result = pd.array(values, dtype="Int64")
    result[index < 0] = pd.NA
    return result


def grades(rubric: Rubric, composite_units: np.ndarray, decimals: int) -> np.ndarray:
    bands = rubric.eligibility.grades.bands
    index = band_index(composite_units, bands, decimals)
    labels = np.array([b.label for b in bands] + [None], dtype=object)
    return labels[index]
