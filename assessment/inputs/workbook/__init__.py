"""Reading Excel input: the sheets' layout and cell checks, and reading with located problems.

- :func:`read_workbook` — a filled workbook → validated :class:`~assessment.inputs.frames.Inputs`,
  or :class:`WorkbookError` listing every :class:`Problem`;
- :func:`read_sheet_upload` — one uploaded sheet (活动记录 or 党员名册) of a branch.

Writing workbooks (the blank template, results) is :mod:`assessment.outputs`.
"""

import importlib

from .layout import BRANCH_KINDS, Column, SheetSpec, sheet_specs
from .problems import Problem, WorkbookError

# Reading pulls in openpyxl (~60 ms): load the reader on first use, so a page that only needs the
# layout and the cell checks opens faster.
_LAZY = {"read_sheet_upload": "reader", "read_workbook": "reader"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BRANCH_KINDS",
    "Column",
    "Problem",
    "SheetSpec",
    "WorkbookError",
    "read_sheet_upload",
    "read_workbook",
    "sheet_specs",
]
