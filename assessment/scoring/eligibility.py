"""Grade and star bands, 五强, 达标, the weak-branch flag — all from rubric data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..rubric import Rubric
from ..rubric.model import (
    ActivityFailuresAtLeast,
    ActivityRulesMet,
    Band,
    KeyItemsAtLeast,
    KeyItemZero,
    ScoreAtLeast,
    ScoreBelow,
    StructureOk,
)
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


def five_strong(rubric: Rubric, items: pd.DataFrame, decimals: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Each dimension's weighted share of points (%, rounded), whether all reach the threshold, and why not."""
    spec = rubric.checklist.five_strong
    threshold = threshold_units(spec.threshold * 100, decimals)
    shares = {}
    strong = np.ones(len(items), dtype=bool)
    known = np.ones(len(items), dtype=bool)
    short: list[tuple[np.ndarray, np.ndarray]] = []
    for dim in spec.dimensions:
        members = [i for i in rubric.items if i.strength == dim.id]
        total_weight = sum(float(i.weight) for i in members)
        if total_weight == 0:
            # An analyst set every item of this dimension to weight 0: it has no share and cannot be 强.
            shares[dim.id] = np.full(len(items), np.nan)
            strong[:] = False
            short.append((np.ones(len(items), dtype=bool), dim.label + "（指标权重均为0，无法评定）"))
            continue
        value = sum(float(i.weight) * items[i.id].to_numpy() / float(i.max) for i in members) / total_weight
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
            for item in (i for i in rubric.items if i.key):
                earned = quantize(items[item.id].to_numpy(), decimals)
                top = threshold_units(item.max, decimals)
                item_ok = ~np.isnan(earned) & share_at_least(
                    np.nan_to_num(earned), np.full(n, top), cond.share, cond.inclusive
                )
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
    hits: list[tuple[np.ndarray, str]] = []
    for cond in rubric.eligibility.weak.any_of:
        if isinstance(cond, ScoreBelow):
            hit = score_units[cond.target] < threshold_units(cond.threshold, decimals)  # NaN → False
        elif isinstance(cond, KeyItemZero):
            hit = np.zeros(n, dtype=bool)
            for item in (i for i in rubric.items if i.key):
                hit |= items[item.id].to_numpy() == 0
        elif isinstance(cond, ActivityFailuresAtLeast):
            hit = activity_failed >= cond.count
        else:  # pragma: no cover
            raise AssertionError(cond)
        hits.append((hit, cond.label))
    flagged = np.any([hit for hit, _ in hits], axis=0) if hits else np.zeros(n, dtype=bool)
    return flagged, join_where(hits, "；", n)


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
