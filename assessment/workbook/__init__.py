"""Excel in and out: the input template, reading with located problems, writing results.

- :func:`write_template` — a blank input workbook for a rubric;
- :func:`read_workbook` — a filled workbook → validated :class:`~assessment.inputs.Inputs`,
  or :class:`WorkbookError` listing every :class:`Problem`;
- :func:`write_input_workbook` — :class:`~assessment.inputs.Inputs` back into the template layout;
- :func:`write_tables` — result tables to one .xlsx or a directory of UTF-8 CSV files.
"""

from .layout import BRANCH_KINDS, Column, SheetSpec, sheet_specs
from .problems import OutputError, Problem, WorkbookError
from .reader import read_sheet_upload, read_workbook
from .template import build_template, write_input_workbook, write_template
from .writer import write_tables

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
