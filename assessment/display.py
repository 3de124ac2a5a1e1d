"""How numbers are rounded for people to read: pages, tables, Excel, the PDF, charts.

Decisions never use these: scoring compares exact shares (Fraction, integers) and scores quantized to the
rubric's ``decimals``. What a person reads is rounded here, half up, in one place:

- a share (0–1) as a percentage with :data:`SHARE_DECIMALS` places: 33/36 → ``91.7%``; a share that is exact
  at fewer places keeps its own (9/10 → ``90%``, 1/8 → ``12.5%``);
- a rubric's percentage (a threshold, a target) with :data:`RULE_DECIMALS` places, so that 2/3 reads
  ``66.67%`` (the rubric compares at two places);
- a score with the rubric's ``decimals`` (``69.08``).
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from numbers import Real

__all__ = [
    "EXCEL_COUNT_FORMAT",
    "EXCEL_SHARE_FORMAT",
    "RULE_DECIMALS",
    "SCORE_DECIMALS",
    "SHARE_DECIMALS",
    "count_share",
    "excel_score_format",
    "number",
    "percent",
    "percent_points",
    "rounded",
]

SHARE_DECIMALS = 1  # a share people read: 91.7%
RULE_DECIMALS = 2  # a rubric's own percentage (threshold, target): 66.67%
SCORE_DECIMALS = 2  # a score, when no rubric says otherwise (rubrics/meta.yaml decimals)
EMPTY = "—"

# Excel number formats of the same roundings (the cell keeps the exact value; Excel shows it rounded).
EXCEL_SHARE_FORMAT = "0." + "0" * SHARE_DECIMALS + "%" if SHARE_DECIMALS else "0%"
EXCEL_COUNT_FORMAT = "0"


def excel_score_format(decimals: int = SCORE_DECIMALS) -> str:
    """``0.00`` for two decimals, ``0`` for none."""
    return "0." + "0" * decimals if decimals else "0"


def _exact(value) -> Fraction | None:
    """``value`` as an exact Fraction; None for None, NaN and NA."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        return Fraction(value)
    if isinstance(value, Real):
        number_ = float(value)
        if math.isnan(number_) or math.isinf(number_):
            return None
        # The float's shortest decimal text (0.1 → "0.1"), not its binary expansion: 0.125 rounds up.
        return Fraction(Decimal(repr(number_)))
    try:
        if value != value:  # pd.NA raises, NaN-likes compare unequal
            return None
    except TypeError:
        return None
    return Fraction(value)


def rounded(value, decimals: int, *, down: bool = False) -> Decimal | None:
    """``value`` rounded half up (``down``: towards zero) to ``decimals`` places (None for None/NaN/NA)."""
    exact = _exact(value)
    if exact is None:
        return None
    quantum = Decimal(1).scaleb(-decimals)
    mode = ROUND_DOWN if down else ROUND_HALF_UP
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(quantum, rounding=mode)


def _places(value: Fraction, decimals: int) -> int | None:
    """The number of decimal places ``value`` needs when it is exact at ``decimals`` places or fewer."""
    for places in range(decimals + 1):
        if (value * 10**places).denominator == 1:
            return places
    return None


def number(value, decimals: int = SCORE_DECIMALS, *, trim: bool = False) -> str:
    """A score or average as people read it: 69.083333 → ``69.08``; None/NaN → —.

    With ``trim``, trailing zeros go (``69.50`` → ``69.5``, ``70.00`` → ``70``)."""
    exact = _exact(value)
    if exact is None:
        return EMPTY
    text = f"{rounded(exact, decimals):f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def percent(share, decimals: int = SHARE_DECIMALS, *, threshold=None) -> str:
    """A share (0–1) as a percentage: 33/36 → ``91.7%``, 9/10 → ``90%``, 1/8 → ``12.5%``; None/NaN → —.

    A share exact at ``decimals`` places or fewer is shown with just the places it needs; any other is
    rounded half up and shown with all ``decimals`` places (0.9166… → ``91.7%``). Beside a ``threshold``
    (a share the decision compares with), a share below it is never shown as reaching it: 8999/10000 under
    90%以上 reads ``89.9%``, not ``90.0%``."""
    exact = _exact(share)
    if exact is None:
        return EMPTY
    pct = exact * 100
    places = _places(pct, decimals)
    if places is not None:
        return f"{rounded(pct, places):f}%"
    shown = rounded(pct, decimals)
    limit = _exact(threshold)
    if limit is not None and exact < limit and Fraction(shown) >= limit * 100:
        shown = rounded(pct, decimals, down=True)
    return f"{shown:f}%"


def percent_points(value, decimals: int = SHARE_DECIMALS) -> str:
    """A value already in percent (91.67 of the 五强 dimension shares) as :func:`percent` shows a share."""
    exact = _exact(value)
    return EMPTY if exact is None else percent(exact / 100, decimals)


def count_share(count: int, total: int, decimals: int = SHARE_DECIMALS) -> str:
    """``33/36（91.7%）``: the exact count first, then the rounded share; — without a total."""
    if not total:
        return EMPTY
    return f"{count}/{total}（{percent(Fraction(count, total), decimals)}）"
