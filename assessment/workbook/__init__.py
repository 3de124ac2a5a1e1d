"""Excel in and out: the input template, reading with located problems, writing results.

- :func:`write_template` — a blank input workbook for a rubric;
- :func:`read_workbook` — a filled workbook → validated :class:`~assessment.inputs.Inputs`,
  or :class:`WorkbookError` listing every :class:`Problem`;
- :func:`write_input_workbook` — :class:`~assessment.inputs.Inputs` back into the template layout;
- :func:`write_tables` — result tables to one .xlsx or a directory of UTF-8 CSV files.
"""

import importlib

from .layout import BRANCH_KINDS, Column, SheetSpec, sheet_specs
from .problems import OutputError, Problem, WorkbookError

# Reading and writing pull in openpyxl (~60 ms): load those modules on first use, so a page that
# only needs the layout and the cell checks opens faster.
_LAZY = {
    "read_sheet_upload": "reader",
    "read_workbook": "reader",
    "build_template": "template",
    "write_input_workbook": "template",
    "write_template": "template",
    "write_tables": "writer",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BRANCH_KINDS",
    "Column",
    "OutputError",
    "Problem",
    "SheetSpec",
    "WorkbookError",
    "build_template",
    "read_sheet_upload",
    "read_workbook",
    "sheet_specs",
    "write_input_workbook",
    "write_tables",
    "write_template",
]
