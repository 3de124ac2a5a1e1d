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
