"""Problems found in a workbook, each located the way an Excel user finds it.

A reader collects every :class:`Problem` of the whole workbook and raises one
:class:`WorkbookError`; the CLI prints them one per line and the apps can show
them beside the field. Rows are Excel row numbers (the header is row 1).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One defect at one place.

    ``found`` is what the cell held as the user typed it: ``""`` for a blank cell,
    ``None`` when the problem is not about a cell's content (a missing sheet or
    column). ``expected`` says, in Chinese, what should be there (``应为…``).
    """

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    found: str | None
    expected: str

    @property
    def location(self) -> str:
        text = self.file
        if self.sheet is not None:
            text += f" 工作表“{self.sheet}”"
        if self.row is not None:
            text += f"第{self.row}行"
        if self.column is not None:
            text += f"“{self.column}”列"
        return text

    @property
    def detail(self) -> str:
        if self.found is None:
            return self.expected
        if self.found == "":
            return f"未填写，{self.expected}"
        return f"填写了“{self.found}”，{self.expected}"

    def __str__(self) -> str:
        return f"{self.location}：{self.detail}"


class WorkbookError(ValueError):
    """A workbook that cannot be used; ``problems`` lists every defect found, in sheet order."""

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("WorkbookError needs at least one problem")
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
