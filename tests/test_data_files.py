"""The workbooks shipped in data/ are what the current code and rubric would write."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from assessment.demo.street import generate_demo, generate_demo_years
from assessment.inputs.frames import SHEET_NAMES, sheet_columns
from assessment.inputs.workbook import read_workbook
from assessment.rubric import load_rubric

DATA = Path(__file__).resolve().parents[1] / "data"


def test_shipped_demo_workbook_matches_the_generator():
    rubric = load_rubric()
    shipped = read_workbook(DATA / "demo" / "demo_street.xlsx", rubric)
    fresh = generate_demo(rubric)
    for name in SHEET_NAMES:
        pd.testing.assert_frame_equal(
            getattr(shipped, name).reset_index(drop=True),
            getattr(fresh, name).reset_index(drop=True),
            check_dtype=False,
            obj=f"data/demo/demo_street.xlsx 工作表 {SHEET_NAMES[name]}（请运行 python -m assessment demo 重新生成）",
        )


@pytest.mark.parametrize("year", [2023, 2024])
def test_shipped_earlier_demo_years_match_the_generator(year):
    rubric = load_rubric()
    shipped = read_workbook(DATA / "demo" / f"demo_street_{year}.xlsx", rubric)
    fresh = generate_demo_years(rubric, (year, 2025))[year]
    for name in SHEET_NAMES:
        pd.testing.assert_frame_equal(
            getattr(shipped, name).reset_index(drop=True),
            getattr(fresh, name).reset_index(drop=True),
            check_dtype=False,
            obj=f"data/demo/demo_street_{year}.xlsx 工作表 {SHEET_NAMES[name]}"
            f"（请运行 python -m assessment demo --year {year} 重新生成）",
        )


def test_shipped_template_has_the_current_rubric_columns():
    rubric = load_rubric()
    book = load_workbook(DATA / "template.xlsx")
    for key, columns in sheet_columns(rubric).items():
        headers = [cell.value for cell in book[SHEET_NAMES[key]][1] if cell.value is not None]
        assert headers == list(columns.values()), f"data/template.xlsx 的“{SHEET_NAMES[key]}”表头已过时"
    notes = " ".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    assert rubric.version in notes
