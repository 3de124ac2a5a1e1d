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

from .. import display
from .text import distinct_codes


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


def percent_text(numerator, denominator, threshold=None) -> np.ndarray:
    """Shares as people read them (assessment.display): 33/36 → '91.7%', 9/10 → '90%'; below ``threshold``
    never shown as reaching it (8999/10000 under 90% → '89.9%'); '—' where the base is 0 or missing."""
    num = np.asarray(pd.array(numerator, dtype="Float64").to_numpy(dtype="float64", na_value=np.nan))
    den = np.asarray(pd.array(denominator, dtype="Float64").to_numpy(dtype="float64", na_value=np.nan))
    valid = ~np.isnan(num) & ~np.isnan(den) & (den > 0)
    out = np.full(len(num), "—", dtype=object)
    if not valid.any():
        return out
    # Branches share few distinct (numerator, denominator) pairs: format each pair once.
    top, bottom = num[valid].astype("int64"), den[valid].astype("int64")
    low = int(min(top.min(), 0))
    width = int(bottom.max()) + 1
    distinct, inverse = distinct_codes((top - low) * width + bottom)
    texts = np.array(
        [display.percent(Fraction(int(k // width) + low, int(k % width)), threshold=threshold) for k in distinct],
        dtype=object,
    )
    out[valid] = texts[inverse]
    return out


def number_text(values) -> np.ndarray:
    """Scores for display: 89.5 → '89.5', 90.0 → '90', NaN → '—'."""
    arr = np.asarray(values, dtype="float64")
    out = np.full(len(arr), "—", dtype=object)
    ok = ~np.isnan(arr)
    if ok.any():
        codes, values = pd.factorize(arr[ok])
        texts = np.array([display.number(v, 2, trim=True) for v in values], dtype=object)
        out[ok] = texts[codes]
    return out
