"""The input workbook users fill in Excel or WPS: template and filled copies.

The first sheet, 说明, explains every sheet and column; the data sheets carry the
Chinese headers of :mod:`assessment.inputs.frames` in order, drop-down lists where the
values are fixed, and whole-number or range checks where they are counts or
scores. Excel's validation only catches typing mistakes (not pasted values),
so :func:`assessment.inputs.workbook.read_workbook` checks everything again.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..inputs.frames import Inputs
from ..inputs.workbook.layout import YES_NO, Column, SheetSpec, quorum_types, sheet_specs
from ..rubric import Rubric
from .excel import append_row, cell_value, display_width, save_workbook, style_header

INSTRUCTIONS_SHEET = "说明"
# Lists too long (or with commas) for an inline drop-down formula live here.
OPTIONS_SHEET = "选项"
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
# Excel limits: an inline list formula to 255 characters, an input prompt to 255, its title to 32.
_INLINE_LIST_LIMIT = 255


def _width(column: Column) -> int:
    if column.width:
        return column.width
    return max(10, min(30, display_width(column.header) + 4))


class _ListSource:
    """Drop-down formulas; long lists go to a hidden 选项 sheet."""

    def __init__(self, book: Workbook):
        self.book = book
        self.sheet: Worksheet | None = None
        self.next_column = 1

    def formula(self, values: Sequence[str]) -> str:
        inline = ",".join(values)
        if len(inline) + 2 <= _INLINE_LIST_LIMIT and not any("," in v or '"' in v for v in values):
            return f'"{inline}"'
        if self.sheet is None:
            self.sheet = self.book.create_sheet(OPTIONS_SHEET)
            self.sheet.sheet_state = "hidden"
        letter = get_column_letter(self.next_column)
        for row, value in enumerate(values, start=1):
            self.sheet.cell(row=row, column=self.next_column, value=value)
        self.next_column += 1
        return f"{quote_sheetname(OPTIONS_SHEET)}!${letter}$1:${letter}${len(values)}"


def _validation(column: Column, lists: _ListSource, branch_list: str | None) -> DataValidation | None:
    title = column.header[:32]
    prompt = (column.note or column.allowed)[:255]
    common = {
        "allow_blank": True,
        "showErrorMessage": True,
        "showInputMessage": True,
        "promptTitle": title,
        "prompt": prompt,
    }
    if column.kind == "yes_no":
        return DataValidation(
            type="list", formula1=lists.formula(YES_NO), errorTitle="输入有误", error="请选择“是”或“否”", **common
        )
    if column.kind == "choice":
        allowed = "、".join(column.choices)
        return DataValidation(
            type="list",
            formula1=lists.formula(column.choices),
            errorTitle="输入有误",
            error=f"请从下拉列表中选择：{allowed}"[:255],
            **common,
        )
    if column.kind == "count":
        return DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="0",
            errorTitle="输入有误",
            error="请填写不小于0的整数",
            **common,
        )
    if column.kind == "number":
        return DataValidation(
            type="decimal",
            operator="between",
            formula1=f"{column.low:g}",
            formula2=f"{column.high:g}",
            errorTitle="输入有误",
            error=f"请填写{column.low:g}到{column.high:g}之间的数",
            **common,
        )
    if column.kind == "date":
        # A warning, not a stop: text dates such as 2025年3月5日 are accepted by the reader.
        return DataValidation(
            type="date",
            operator="between",
            formula1="DATE(1950,1,1)",
            formula2="DATE(2100,12,31)",
            errorStyle="warning",
            errorTitle="日期可能有误",
            error="请填写日期，如 2025-03-05",
            **common,
        )
    if column.kind == "id" and branch_list is not None:
        # Offer the branches of the 支部 sheet; a warning only, so a branch may be typed first.
        return DataValidation(
            type="list",
            formula1=branch_list,
            errorStyle="warning",
            errorTitle="支部编号",
            error="该编号不在“支部”表中",
            **common,
        )
    return None


def _data_sheet(book: Workbook, spec: SheetSpec, lists: _ListSource, rows: int, branch_list: str | None) -> Worksheet:
    sheet = book.create_sheet(spec.name)
    sheet.append([c.header for c in spec.columns])
    widths = {}
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        widths[index] = _width(column)
        if column.comment:
            comment = Comment(column.comment, "四评")
            comment.width = 320
            comment.height = 40 + 18 * (1 + display_width(column.comment) // 36)
            sheet.cell(row=1, column=index).comment = comment
        # Column formats apply to what users type later: ids stay text ("001" keeps its zeros).
        if column.kind == "id":
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
        elif column.kind == "date":
            sheet.column_dimensions[letter].number_format = DATE_FORMAT
        validation = _validation(column, lists, branch_list)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{rows}")
            sheet.add_data_validation(validation)
    style_header(sheet, widths)
    sheet.row_dimensions[1].height = 30
    return sheet


def _instructions(sheet: Worksheet, rubric: Rubric, specs: dict[str, SheetSpec]) -> None:
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.append([f"{rubric.meta.name} — 数据填报模板"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"评分标准版本：{rubric.version}（读取时按此版本检查；评分标准改版后请重新生成模板）"])
    sheet.append([])
    sheet.append(["填写须知"])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    notes = [
        "每个工作表的第1行是表头，请勿修改、删除或调换；可以在右侧增加自己的列（读取时忽略）。工作表名称不要改动。",
        "“支部编号”是各表之间的纽带：“支部”表每个支部一行、编号不能重复；其他工作表中的支部编号必须在“支部”表中出现。",
        # Only the sheets the rubric collects (meta.yaml uses) are named.
        "、".join(specs[key].name for key in ("org", "member", "public") if key in specs)
        + "每个支部最多一行"
        + ("；社会评价每条部门意见一行" if "social" in specs else "")
        + ("；活动记录每次活动一行" if "activities" in specs else "")
        + "。",
        "整行空白会被忽略。组织评定中空白的指标表示“未评分”，结果中列为缺项，该支部为“未完成”。",
        "人数、次数、件数填写不小于0的整数；文本形式的数字（如 WPS 中的“12”）也可以。",
        "日期可以是 Excel 日期，也可以写成文本：2025-03-05、2025/3/5、2025年3月5日。",
        "“是/否”列只能填“是”或“否”。",
        "数字用语：以上、以下、以内、不少于、达到 均含本数；超过、不满、不足 不含本数。例如“90%以上”含90%：10人中9人即达到。",
        *(["活动记录中“有记录”为“否”的活动会在结果中列出，但不计入次数。"] if "activities" in specs else []),
        *(
            f"{label}：实到人数达不到应到人数的{share}的，列出但不计入次数，因此须填写应到、实到人数。"
            for label, share in (quorum_types(rubric).items() if "activities" in specs else ())
        ),
        *(note for spec in specs.values() for note in spec.notes),
        *(
            ["群众评判：“不满意”人数大于0时，须填写“不满意查证属实”（是/否）；空白的档次人数按0计。"]
            if "public" in specs
            else []
        ),
        "组织评定各指标的评分说明见表头单元格的批注（鼠标移到表头上即可看到）。",
    ]
    for number, note in enumerate(notes, start=1):
        sheet.append([f"{number}. {note}"])
    sheet.append([])
    sheet.append(["工作表", "列", "是否必填", "可填写的值", "说明"])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
    for spec in specs.values():
        sheet.append([spec.name, "", "", "", spec.purpose])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for column in spec.columns:
            if column.required:
                required = "必填"
            elif column.optional_column:
                required = "可不填（此列也可省略）"
            else:
                required = "可不填"
            allowed = column.note if column.comment else column.allowed
            explanation = column.comment.split("\n", 1)[1] if column.comment else column.note
            sheet.append(["", column.header, required, allowed, explanation])
    for row in sheet.iter_rows(min_row=header_row):
        for cell in row:
            cell.alignment = wrap
    for letter, width in zip("ABCDE", (12, 34, 22, 34, 70)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = None


def build_template(rubric: Rubric, *, rows: dict[str, int] | None = None) -> Workbook:
    """The template as an openpyxl workbook (unsaved). ``rows`` raises a sheet's validation range."""
    specs = sheet_specs(rubric)
    book = Workbook()
    instructions = book.active
    instructions.title = INSTRUCTIONS_SHEET
    lists = _ListSource(book)
    branch_rows = max(specs["branches"].rows, (rows or {}).get("branches", 0))
    branch_list = f"{quote_sheetname(specs['branches'].name)}!$A$2:$A${branch_rows}"
    for key, spec in specs.items():
        last_row = max(spec.rows, (rows or {}).get(key, 0))
        _data_sheet(book, spec, lists, last_row, None if key == "branches" else branch_list)
    _instructions(instructions, rubric, specs)
    if lists.sheet is not None:
        # Keep the hidden option lists out of the users' way, at the end.
        book.move_sheet(lists.sheet, offset=len(book.sheetnames) - 1 - book.index(lists.sheet))
    return book


def write_template(path: str | os.PathLike, rubric: Rubric) -> Path:
    """Write a blank input workbook for ``rubric`` to ``path`` (.xlsx). Returns the path."""
    return save_workbook(build_template(rubric), path)


def _excel_value(value: object, column: Column) -> object:
    value = cell_value(value)
    if value is None:
        return None
    if column.kind in ("count", "number") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_input_workbook(inputs: Inputs, rubric: Rubric, path: str | os.PathLike) -> Path:
    """Write ``inputs`` in the template layout (same headers and drop-downs) to ``path``."""
    specs = sheet_specs(rubric)
    frames = inputs.frames()
    # Leave room below the data for drop-downs when users add rows.
    rows = {key: len(frames[key]) + 501 for key in specs}
    book = build_template(rubric, rows=rows)
    for key, spec in specs.items():
        frame = frames[key]
        sheet = book[spec.name]
        present = [c for c in spec.columns if c.key in frame.columns]
        positions = [spec.columns.index(c) + 1 for c in present]
        values = {c.key: frame[c.key].astype(object).tolist() for c in present}
        width = len(spec.columns)
        for row_index in range(len(frame)):
            row: list[object] = [None] * width
            for column, position in zip(present, positions):
                row[position - 1] = _excel_value(values[column.key][row_index], column)
            append_row(sheet, row)
        for column, position in zip(present, positions):
            if column.kind == "date" and len(frame):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                    cell.number_format = DATE_FORMAT
            elif column.kind == "id" and len(frame):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
                    cell.number_format = TEXT_FORMAT
    return save_workbook(book, path)


__all__ = ["build_template", "write_input_workbook", "write_template"]
