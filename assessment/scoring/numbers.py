"""Exact comparisons for scores and shares.

Scores are rounded half-up to the rubric's decimals (default 2) and held as
integers of that unit ("hundredths"), so a band edge or threshold is compared
without float error. Count shares (优秀 of 参评人数) are compared as integer
cross-products: ``excellent * den >= participants * num``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd


def quantize(values, decimals: int) -> np.ndarray:
    """Round half-up to ``decimals`` and return float units of 10**-decimals (NaN kept).

    The tiny epsilon absorbs binary error such as 0.1*3 → 0.30000000000000004 / 0.29999999999999999.
    """
    scale = 10**decimals
    arr = np.asarray(values, dtype="float64")
    return np.floor(arr * scale + 0.5 + 1e-7)


def threshold_units(value: Fraction, decimals: int) -> float:
    """A rubric threshold in the same units as :func:`quantize` (exact for ≤ ``decimals`` places)."""
    return float(Fraction(value) * 10**decimals)


def at_least(units: np.ndarray, threshold: float, inclusive: bool) -> np.ndarray:
    """units ≥ threshold (以上) or units > threshold (超过); NaN compares False."""
    return units >= threshold if inclusive else units > threshold


def share_at_least(numerator, denominator, share: Fraction, inclusive: bool) -> np.ndarray:
    """numerator/denominator ≥ share, exactly, in integers. Callers handle denominator 0 and NA."""
    num = np.asarray(numerator, dtype="int64") * share.denominator
    den = np.asarray(denominator, dtype="int64") * share.numerator
    return num >= den if inclusive else num > den


def percent_text(numerator, denominator) -> np.ndarray:
    """'89.99%' — truncated, never rounded up past a threshold; '—' where the base is 0 or missing."""
    num = np.asarray(pd.array(numerator, dtype="Float64").to_numpy(dtype="float64", na_value=np.nan))
    den = np.asarray(pd.array(denominator, dtype="Float64").to_numpy(dtype="float64", na_value=np.nan))
    valid = ~np.isnan(num) & ~np.isnan(den) & (den > 0)
    basis = np.zeros(len(num), dtype=np.int64)
    basis[valid] = (num[valid].astype(np.int64) * 10000) // den[valid].astype(np.int64)
    frac = np.char.rstrip(np.char.zfill((basis % 100).astype(str), 2), "0")
    text = np.char.add((basis // 100).astype(str), np.where(frac == "", "", np.char.add(".", frac)))
    return np.where(valid, np.char.add(text, "%"), "—").astype(object)


def number_text(values) -> np.ndarray:
    """Scores for display: 89.5 → '89.5', 90.0 → '90', NaN → '—'."""
    arr = np.asarray(values, dtype="float64")
    out = np.full(len(arr), "—", dtype=object)
    ok = ~np.isnan(arr)
    out[ok] = [f"{v:.2f}".rstrip("0").rstrip(".") for v in arr[ok]]
    return out
