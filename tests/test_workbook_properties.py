"""Invariants of reading: whatever a user types into a cell, the reader answers with Inputs or located
problems — never a traceback — and a problem points at the row that was changed."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from samples import build_sample_inputs, edit_cells

from assessment.inputs.frames import SHEET_NAMES, sheet_columns
from assessment.inputs.workbook import WorkbookError, read_workbook
from assessment.outputs.input_workbook import write_input_workbook
from assessment.rubric import load_rubric

RUBRIC = load_rubric()
# Data rows of the sample workbook (conftest.py), per sheet.
SAMPLE_ROWS = {"branches": 3, "org": 3, "member": 3, "public": 3, "social": 4, "activities": 5, "roster": 3}

cell_values = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["是", "否", "优秀", "１２", "12", "-1", "2.5", "95%", "2025/3/5", "2025年2月30日", "支委会"]),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2200, 1, 1)),
)


@st.composite
def cell_edits(draw):
    key = draw(st.sampled_from(list(SHEET_NAMES)))
    header = draw(st.sampled_from(list(sheet_columns(RUBRIC)[key].values())))
    row = draw(st.integers(min_value=2, max_value=SAMPLE_ROWS[key] + 1))
    return SHEET_NAMES[key], row, header, draw(cell_values)


@pytest.fixture(scope="module")
def sample_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    write_input_workbook(build_sample_inputs(RUBRIC), RUBRIC, path)
    return path.read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edit=cell_edits())
def test_any_single_cell_edit_is_read_or_located(sample_bytes, edit):
    sheet, row, header, _ = edit
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.xlsx"
        path.write_bytes(sample_bytes)
        edit_cells(path, [edit])
        try:
            inputs = read_workbook(path, RUBRIC)
        except WorkbookError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.file == "sample.xlsx"
                assert problem.sheet in SHEET_NAMES.values()
            # The problem is on the changed row (perhaps in a neighbouring column: 实到人数 above a lowered
            # 应到人数), or a changed 支部编号 shows up as unknown branches in other sheets.
            assert (sheet, row) in {(p.sheet, p.row) for p in error.problems} or header == "支部编号"
        else:
            assert len(inputs.branches) >= 3
