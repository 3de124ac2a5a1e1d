"""Exact numbers for rubric settings.

Weights, thresholds and shares are kept as :class:`fractions.Fraction` so that a
group of weights sums to exactly 1 and "90%以上" is compared without float error.
A YAML number such as ``0.9`` is read through its decimal text, so it means 9/10.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, PlainValidator

from .. import display


def to_fraction(value: object) -> Fraction:
    """Parse ``0.9``, ``"9/10"``, ``"90%"`` or ``3`` into an exact fraction."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ValueError(f"应为数字，实际为 {value}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"应为有限的数字，实际为 {value}")
        return Fraction(repr(value))
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                return Fraction(text[:-1].strip()) / 100
            return Fraction(text)
        except (ValueError, ZeroDivisionError):
            pass
    raise ValueError(f"应为数字或分数（如 0.9、9/10、90%），实际为 {value!r}")


def _in_unit_interval(value: Fraction) -> Fraction:
    if not 0 <= value <= 1:
        raise ValueError(f"应在0到1之间（含），实际为 {format_fraction(value)}")
    return value


def _non_negative(value: Fraction) -> Fraction:
    if value < 0:
        raise ValueError(f"不能为负数，实际为 {format_fraction(value)}")
    return value


def _positive(value: Fraction) -> Fraction:
    if value <= 0:
        raise ValueError(f"应大于0，实际为 {format_fraction(value)}")
    return value


def format_fraction(value: Fraction) -> str:
    """Decimal text when exact (0.4), else p/q."""
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den == 1:
        return format(float(value), "g")
    return f"{value.numerator}/{value.denominator}"


def format_percent(value: Fraction) -> str:
    """A rubric's percentage (threshold, target): 9/10 → '90%'; 1/3 → '33.33%' (assessment.display)."""
    return display.percent(value, display.RULE_DECIMALS)


_serialize = PlainSerializer(format_fraction, return_type=str)

Exact = Annotated[Fraction, PlainValidator(to_fraction), _serialize]
Share = Annotated[Fraction, PlainValidator(to_fraction), AfterValidator(_in_unit_interval), _serialize]
NonNegative = Annotated[Fraction, PlainValidator(to_fraction), AfterValidator(_non_negative), _serialize]
Positive = Annotated[Fraction, PlainValidator(to_fraction), AfterValidator(_positive), _serialize]
