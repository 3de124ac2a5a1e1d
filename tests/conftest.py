"""Fixtures shared by the workbook and command-line tests.

``sample_inputs`` is a small street with exact dtypes and a few deliberate blanks
(an unscored indicator, no 支部类型, no 上次换届, attendance left out where allowed),
so a round trip exercises every kind of missing value. Its rows land at known
Excel rows: 支部 B01 → row 2, B02 → row 3, 003 → row 4; the other sheets follow
the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from samples import build_sample_inputs, edit_cells

from assessment.inputs.frames import Inputs
from assessment.rubric import Rubric, load_rubric


@pytest.fixture(scope="session")
def default_rubric() -> Rubric:
    return load_rubric()


@pytest.fixture
def sample_inputs(default_rubric: Rubric) -> Inputs:
    return build_sample_inputs(default_rubric)


@pytest.fixture
def sample_workbook(tmp_path: Path, sample_inputs: Inputs, default_rubric: Rubric) -> Path:
    from assessment.outputs.input_workbook import write_input_workbook

    return write_input_workbook(sample_inputs, default_rubric, tmp_path / "sample.xlsx")


@pytest.fixture
def edit_workbook() -> Callable[[Path, list[tuple[str, int, str, object]]], None]:
    return edit_cells
