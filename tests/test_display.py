"""Display rounding (assessment/display.py): what people read is rounded half up in one place; decisions
stay exact."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from assessment import display
from assessment.analysis import overview as ov
from assessment.pages.components import format_cell
from assessment.rubric import format_percent


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (Fraction(33, 36), "91.7%"),  # the walkthrough's 33/36, once shown as 91.66%
        (Fraction(9, 10), "90%"),  # exact: no rounding digits
        (Fraction(1, 8), "12.5%"),
        (Fraction(1, 3), "33.3%"),
        (Fraction(2, 3), "66.7%"),
        (Fraction(8999, 10000), "90.0%"),  # rounded up to 90: shown with its decimal, not as the exact 90%
        (Fraction(1, 1600), "0.1%"),  # 0.0625% rounds half up
        (0.125, "12.5%"),
        (np.float64(0.953), "95.3%"),
        (float("nan"), "—"),
        (None, "—"),
        (pd.NA, "—"),
    ],
)
def test_percent_rounds_half_up_to_the_display_decimals(share, text):
    assert display.percent(share) == text


def test_rule_percentages_keep_the_rubric_precision():
    assert format_percent(Fraction(9, 10)) == "90%"
    assert format_percent(Fraction(2, 3)) == "66.67%"
    assert display.percent(Fraction(2, 3), display.RULE_DECIMALS) == "66.67%"


@pytest.mark.parametrize(
    ("value", "decimals", "trim", "text"),
    [
        (69.08333333333333, 2, False, "69.08"),
        (2.675, 2, False, "2.68"),  # the float 2.675 is 2.67499… in binary; people mean 2.675
        (0.125, 2, False, "0.13"),
        (70.0, 2, True, "70"),
        (69.5, 2, True, "69.5"),
        (5, 2, False, "5.00"),
        (None, 2, False, "—"),
        (float("nan"), 2, False, "—"),
    ],
)
def test_number_rounds_scores_half_up(value, decimals, trim, text):
    assert display.number(value, decimals, trim=trim) == text


def test_count_share_and_table_cells_go_through_the_helper():
    assert display.count_share(33, 36) == "33/36（91.7%）"
    assert display.count_share(0, 0) == "—"
    assert ov._count_share(33, 36) == "33/36（91.7%）"
    assert format_cell(69.08333333333333) == "69.08"
    assert format_cell(2.675) == "2.68"


def test_excel_formats_match_the_display_rounding():
    assert display.EXCEL_SHARE_FORMAT == "0.0%"
    assert display.excel_score_format(2) == "0.00"
    assert display.excel_score_format(0) == "0"


def test_a_share_below_its_threshold_is_never_shown_as_reaching_it():
    # 8999/10000 rounds to 90.0%, beside 90%以上 that reads as met: it is shown 89.9%
    assert display.percent(Fraction(8999, 10000)) == "90.0%"
    assert display.percent(Fraction(8999, 10000), threshold=Fraction(9, 10)) == "89.9%"
    # a share at or above the threshold rounds as usual
    assert display.percent(Fraction(33, 36), threshold=Fraction(9, 10)) == "91.7%"
    assert display.percent(Fraction(9, 10), threshold=Fraction(9, 10)) == "90%"
    # below, but not rounding up to it: as usual
    assert display.percent(Fraction(2, 3), threshold=Fraction(9, 10)) == "66.7%"


def test_column_texts_equal_one_by_one_formatting():
    """percent_text/number_text format each distinct value once (the 1M-branch benchmark): the column must
    read exactly as formatting every row by itself, NA and zero bases included."""
    from assessment.scoring.numbers import number_text, percent_text

    rng = np.random.default_rng(7)
    num = rng.integers(0, 40, 2000).astype("float64")
    den = rng.integers(0, 40, 2000).astype("float64")
    num[::37] = np.nan
    den[::53] = np.nan
    threshold = Fraction(9, 10)
    expected = [
        "—" if np.isnan(a) or np.isnan(b) or b == 0 else display.percent(Fraction(int(a), int(b)), threshold=threshold)
        for a, b in zip(num, den)
    ]
    assert list(percent_text(num, den, threshold)) == expected
    assert list(percent_text([np.nan], [3])) == ["—"]

    scores = np.round(rng.uniform(0, 100, 2000), 3)
    scores[::41] = np.nan
    assert list(number_text(scores)) == [display.number(v, 2, trim=True) if not np.isnan(v) else "—" for v in scores]


def test_rendered_templates_equal_filling_every_row():
    """render fills a template once per distinct combination of values: every row must read as if it had
    been filled by itself (numbers, NA, booleans, dates, text and scalars alike)."""
    from assessment.scoring.text import _positional, column_text, render

    rng = np.random.default_rng(3)
    n = 500
    fields = {
        "count": pd.array(rng.integers(0, 5, n), dtype="Int64"),
        "share": np.round(rng.uniform(0, 3, n), 1),
        "flag": pd.array(rng.choice([True, False, None], n), dtype="boolean"),
        "day": pd.Series(pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 3, n), unit="D")),
        "name": np.array(rng.choice(["甲", "乙", None], n), dtype=object),
        "fixed": 7,
    }
    fields["count"][::9] = pd.NA
    fields["share"][::11] = np.nan
    template = "{name}：{count}次，{share}分，{flag}，{day}，{fixed}{{注}}"
    mask = rng.random(n) < 0.7
    rows = np.flatnonzero(mask)
    positional, names = _positional(template)
    for shares in (fields["share"], rng.uniform(0, 3, n)):  # few combinations (a table) or many (a sort)
        fields["share"] = shares
        expected = np.full(n, "", dtype=object)
        expected[rows] = list(map(positional.format, *(column_text(fields[name], rows) for name in names)))
        assert render(template, n, mask=mask, **fields).tolist() == expected.tolist()
        assert "{注}" in expected[rows[0]]


def test_joined_reasons_equal_joining_every_row():
    """join_where joins each distinct combination once: every row must read as joined by itself, with
    scalar and per-row texts, empty texts skipped, in the order given."""
    from assessment.scoring.text import join_where

    rng = np.random.default_rng(5)
    n = 800
    per_row = np.array(rng.choice(["缺一", "缺二", ""], n), dtype=object)
    parts = [
        (rng.random(n) < 0.6, "甲"),
        (rng.random(n) < 0.5, per_row),
        (rng.random(n) < 0.4, np.array([f"第{i % 7}项" for i in range(n)], dtype=object)),
        (True, "总是"),
    ]
    expected = []
    for row in range(n):
        texts = []
        for mask, text in parts:
            hit = mask if np.ndim(mask) == 0 else mask[row]
            value = text if np.ndim(text) == 0 else text[row]
            if hit and value:
                texts.append(value)
        expected.append("；".join(texts))
    assert join_where(parts, "；", n).tolist() == expected
    scalars = [(mask, text) for mask, text in parts if np.ndim(text) == 0] + [(rng.random(n) < 0.5, "")]
    expected = ["、".join(text for mask, text in scalars if text and (mask is True or mask[row])) for row in range(n)]
    assert join_where(scalars, "、", n).tolist() == expected
    # Many combinations (more than are joined group by group): row by row, same reading.
    many = [(rng.random(5000) < 0.5, np.array(rng.choice(["子", "丑", ""], 5000), dtype=object)) for _ in range(16)]
    expected = ["，".join(t[row] for m, t in many if m[row] and t[row]) for row in range(5000)]
    assert join_where(many, "，", 5000).tolist() == expected
