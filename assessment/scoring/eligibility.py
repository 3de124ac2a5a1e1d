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
from ..rubric.types import format_fraction
from .numbers import at_least, quantize, share_at_least, threshold_units


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
    weak_names = np.full(len(items), "", dtype=object)
    for dim in spec.dimensions:
        members = [i for i in rubric.items if i.strength == dim.id]
        total_weight = sum(float(i.weight) for i in members)
        value = sum(float(i.weight) * items[i.id].to_numpy() / float(i.max) for i in members) / total_weight
        units = quantize(value * 100, decimals)
        shares[dim.id] = units / 10**decimals
        ok = units >= threshold
        known &= ~np.isnan(units)
        strong &= ok
        label = dim.label + "（" + pd.Series(units / 10**decimals).map(lambda v: f"{v:g}%").to_numpy(dtype=object) + "）"
        weak_names = np.where(~ok & ~np.isnan(units), np.where(weak_names == "", label, weak_names + "、" + label), weak_names)
    return pd.DataFrame(shares, index=items.index), strong & known, weak_names


def _score_units(target: str, scores: dict[str, np.ndarray]) -> np.ndarray:
    return scores[target]


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
    reasons = np.full(n, "", dtype=object)
    for cond in rubric.eligibility.standardized.conditions:
        detail = np.full(n, "", dtype=object)
        if isinstance(cond, ScoreAtLeast):
            units = _score_units(cond.target, score_units)
            met = at_least(units, threshold_units(cond.threshold, decimals), cond.inclusive)
            detail = np.where(np.isnan(units), "（得分缺项）", "")
        elif isinstance(cond, KeyItemsAtLeast):
            met = np.ones(n, dtype=bool)
            for item in (i for i in rubric.items if i.key):
                earned = quantize(items[item.id].to_numpy(), decimals)
                top = threshold_units(item.max, decimals)
                item_ok = ~np.isnan(earned) & share_at_least(
                    np.nan_to_num(earned), np.full(n, top), cond.share, cond.inclusive
                )
                detail = np.where(item_ok, detail, np.where(detail == "", item.label, detail + "、" + item.label))
                met &= item_ok
            detail = np.where(detail == "", "", "（" + detail + "）")
        elif isinstance(cond, ActivityRulesMet):
            met = activity_failed <= cond.max_failed
            detail = np.where(met, "", "（" + activity_failed.astype(str).astype(object) + "项未达到）")
        elif isinstance(cond, StructureOk):
            met = ~structure_blocked
            detail = np.where(met, "", "（" + structure_reasons + "）")
        else:  # pragma: no cover
            raise AssertionError(cond)
        text = cond.label + detail
        reasons = np.where(met, reasons, np.where(reasons == "", text, reasons + "；" + text))
        ok &= met
    return ok, reasons


def weak(
    rubric: Rubric,
    score_units: dict[str, np.ndarray],
    items: pd.DataFrame,
    activity_failed: np.ndarray,
    decimals: int,
) -> tuple[np.ndarray, np.ndarray]:
    """软弱涣散 flag: any condition of eligibility.yaml's ``weak`` holds; which ones."""
    n = len(items)
    flagged = np.zeros(n, dtype=bool)
    reasons = np.full(n, "", dtype=object)
    for cond in rubric.eligibility.weak.any_of:
        if isinstance(cond, ScoreBelow):
            units = _score_units(cond.target, score_units)
            hit = units < threshold_units(cond.threshold, decimals)  # NaN → False
        elif isinstance(cond, KeyItemZero):
            hit = np.zeros(n, dtype=bool)
            for item in (i for i in rubric.items if i.key):
                hit |= items[item.id].to_numpy() == 0
        elif isinstance(cond, ActivityFailuresAtLeast):
            hit = activity_failed >= cond.count
        else:  # pragma: no cover
            raise AssertionError(cond)
        reasons = np.where(hit, np.where(reasons == "", cond.label, reasons + "；" + cond.label), reasons)
        flagged |= hit
    return flagged, reasons


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


def describe_threshold(value) -> str:
    return format_fraction(value)
