"""Read a filled input workbook into validated :class:`~assessment.inputs.frames.Inputs`.

Everything is checked before anything is returned: every sheet, every column,
every row. All problems of the whole workbook are collected and raised together
as one :class:`WorkbookError`, each naming the file, sheet, Excel row (the header
is row 1), column, what was typed and what was expected — so an evaluator can fix
the whole file in one pass.

Each sheet is read once with openpyxl's streaming reader; the row numbers of the
Excel file are kept as the index of the raw frame (blank rows are dropped but not
renumbered). Parsing and checks then run column by column on whole Series.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...rubric import Rubric
from ..frames import SELF_SCORE_PREFIX, SHEET_NAMES, Inputs
from .layout import YES_NO, Column, SheetSpec, quorum_types, sheet_specs
from .problems import Problem, WorkbookError

# Dates outside this range are typing mistakes (a count typed into a date cell reads as 1900-01-…).
# No branch, meeting or tally comes near this; beyond it a cell holds a slip (and would overflow Int64).
MAX_COUNT = 10_000_000
EARLIEST_YEAR = 1950
LATEST_YEAR = 2100
_TEXT_DATE = (
    r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
_SHOWN_LIMIT = 40


def _openpyxl():
    """openpyxl takes ~60 ms to import; pages that only check typed values never need it."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    return load_workbook, InvalidFileException


# ------------------------------------------------------------------ cell values
def _normalize(text: str) -> str:
    """Full-width digits and letters as typed with a Chinese IME ("１２", "Ａ01") become ASCII."""
    return unicodedata.normalize("NFKC", text).strip()


def _header_key(value: object) -> str | None:
    if value is None:
        return None
    text = "".join(_normalize(str(value)).split())
    return text or None


def _format_number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return format(value, ".10g") if isinstance(value, float) else str(value)


def _as_text(value: object) -> str:
    """A cell's content as the user sees it in Excel."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return _format_number(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _shown(value: object) -> str:
    """A cell's content for a message, shortened if long."""
    text = _as_text(value)
    return text if len(text) <= _SHOWN_LIMIT else text[: _SHOWN_LIMIT - 1] + "…"


def _cell(cell) -> object:
    """One cell's value; blank text is None; a percent-formatted number is shown as typed (95%)."""
    value = cell.value
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number_format = getattr(cell, "number_format", "") or ""
        if "%" in number_format:
            scaled = (decimal.Decimal(repr(value)) * 100).normalize()
            return f"{scaled:f}%"
    return value


def _kinds(raw: pd.Series) -> pd.Series:
    def kind(value: object) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "blank"
        if isinstance(value, bool):
            return "other"
        if isinstance(value, (int, float)):
            return "number"
        if isinstance(value, str):
            return "text"
        if isinstance(value, (dt.datetime, dt.date)):
            return "date"
        return "other"

    return raw.map(kind, na_action=None).astype(object)


# ------------------------------------------------------------------ parsing
@dataclass
class _Parsed:
    """One column parsed: values (NA where blank or bad) and which cells are bad."""

    values: pd.Series
    bad: pd.Series
    blank: pd.Series
    # Bad cells that hold a whole number, only far too large: they get their own message.
    too_large: pd.Series | None = None


def _text_of(raw: pd.Series, mask: pd.Series) -> pd.Series:
    return raw[mask].astype(str).str.normalize("NFKC").str.strip()


def _parse_number(raw: pd.Series, kinds: pd.Series, percent: bool = False) -> tuple[pd.Series, pd.Series]:
    numbers = pd.Series(np.nan, index=raw.index, dtype="float64")
    is_number = kinds == "number"
    numbers[is_number] = raw[is_number].astype("float64")
    is_text = kinds == "text"
    if is_text.any():
        # WPS often stores typed numbers as text ("12"): read them as numbers.
        text = _text_of(raw, is_text)
        if percent:
            text = text.str.removesuffix("%")
        numbers[is_text] = pd.to_numeric(text, errors="coerce")
    numbers = numbers.where(np.isfinite(numbers))
    bad = (kinds != "blank") & numbers.isna()
    return numbers, bad


def _parse(column: Column, raw: pd.Series) -> _Parsed:
    kinds = _kinds(raw)
    blank = kinds == "blank"
    if column.kind in ("count", "number"):
        numbers, bad = _parse_number(raw, kinds, column.percent)
        if column.kind == "count":
            bad |= numbers.notna() & ((numbers < 0) | (numbers % 1 != 0))
            too_large = ~bad & (numbers > MAX_COUNT)
            return _Parsed(numbers.where(~bad & ~too_large), bad | too_large, blank, too_large)
        bad |= numbers.notna() & ((numbers < column.low) | (numbers > column.high))
        return _Parsed(numbers.where(~bad), bad, blank)
    if column.kind == "date":
        return _parse_date(raw, kinds, blank)
    if column.kind in ("choice", "yes_no"):
        choices = YES_NO if column.kind == "yes_no" else column.choices
        lookup = {"".join(_normalize(c).split()): c for c in choices}
        texts = pd.Series(None, index=raw.index, dtype=object)
        filled = ~blank
        # Spaces inside a choice ("优 秀") are typing slips, not a different value.
        texts[filled] = raw[filled].map(_as_text).astype(str).str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
        values = texts.map(lookup).astype(object)
        values = values.where(values.notna(), None)
        bad = filled & values.isna()
        if column.kind == "yes_no":
            values = values.map({YES_NO[0]: True, YES_NO[1]: False}).astype(object)
            values = values.where(~bad & filled, None)
        return _Parsed(values, bad, blank)
    # id and free text: numbers typed into a text column (branch 101) read as their digits.
    values = pd.Series(None, index=raw.index, dtype=object)
    filled = ~blank
    values[filled] = raw[filled].map(_as_text)
    if column.kind == "id":
        values[filled] = values[filled].astype(str).str.normalize("NFKC").str.strip()
    return _Parsed(values, pd.Series(False, index=raw.index), blank)


def _to_timestamp(value: object) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None
    if not EARLIEST_YEAR <= stamp.year <= LATEST_YEAR:
        return None
    return stamp


def _parse_date(raw: pd.Series, kinds: pd.Series, blank: pd.Series) -> _Parsed:
    dates = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    is_date = kinds == "date"
    if is_date.any():
        dates[is_date] = pd.to_datetime(raw[is_date].map(_to_timestamp), errors="coerce").astype("datetime64[ns]")
    is_text = kinds == "text"
    if is_text.any():
        parts = raw[is_text].astype(str).str.normalize("NFKC").str.strip().str.extract(_TEXT_DATE)
        parts = parts.apply(pd.to_numeric)
        parsed = pd.to_datetime(parts[["year", "month", "day"]], errors="coerce")
        in_range = parsed.dt.year.between(EARLIEST_YEAR, LATEST_YEAR)
        dates[is_text] = parsed.where(in_range).astype("datetime64[ns]")
    dates = dates.dt.normalize()
    bad = ~blank & dates.isna()
    return _Parsed(dates, bad, blank)


# ------------------------------------------------------------------ one sheet
@dataclass
class _Sheet:
    spec: SheetSpec
    raw: pd.DataFrame  # object values as typed, index = Excel row number
    parsed: dict[str, _Parsed]

    def has(self, key: str) -> bool:
        return key in self.parsed

    def ok(self, key: str) -> pd.Series:
        """Cells that hold a valid, non-blank value."""
        p = self.parsed[key]
        return ~p.bad & ~p.blank


class _Collector:
    """Problems of one sheet, sorted by row then column when done."""

    def __init__(self, file: str, spec: SheetSpec):
        self.file = file
        self.spec = spec
        self.order = {c.header: i for i, c in enumerate(spec.columns)}
        self.items: list[tuple[int, int, int, Problem]] = []

    def add(self, row: int | None, column: str | None, found: str | None, expected: str) -> None:
        problem = Problem(self.file, self.spec.name, row, column, found, expected)
        self.items.append((row or 0, self.order.get(column, -1), len(self.items), problem))

    def cells(self, sheet: _Sheet, mask: pd.Series, column: Column, expected) -> None:
        """One problem per masked row; ``expected`` is text or a function of the row number."""
        raw = sheet.raw[column.key]
        for row in mask.index[mask.to_numpy(dtype=bool)]:
            message = expected(row) if callable(expected) else expected
            self.add(int(row), column.header, _shown(raw.at[row]), message)

    def sorted(self) -> list[Problem]:
        return [item[-1] for item in sorted(self.items, key=lambda item: item[:3])]


class TooManyRows(Exception):
    """A sheet longer than the reader was told to accept (an upload): reading stopped at the limit."""


def _load_sheet(worksheet, spec: SheetSpec, out: _Collector, *, max_rows: int | None = None) -> _Sheet:
    if getattr(worksheet, "reset_dimensions", None):
        # Files from some writers record a wrong used range; ignore it and read what is there.
        worksheet.reset_dimensions()
    rows = worksheet.iter_rows()
    header = next(rows, ())
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _header_key(cell.value)
        if key is None:
            continue
        if key in positions:
            wanted = next((c.header for c in spec.columns if _header_key(c.header) == key), None)
            if wanted is not None:
                out.add(1, wanted, None, f"表头重复（第{positions[key] + 1}列和第{index + 1}列），请只保留一列")
            continue
        positions[key] = index
    present: list[Column] = []
    for column in spec.columns:
        if _header_key(column.header) in positions:
            present.append(column)
        elif not column.optional_column:
            out.add(1, column.header, None, "缺少此列（表头应在第1行，名称与模板一致）")
    wanted = [positions[_header_key(c.header)] for c in present]
    numbers: list[int] = []
    records: list[list[object]] = []
    # iter_rows yields every row from 1 on, empty ones included, so counting gives Excel's numbers.
    for row_number, cells in enumerate(rows, start=2):
        if max_rows is not None and row_number > max_rows + 1:
            # Stop before reading on: an upload of millions of (even empty) rows must cost nothing.
            raise TooManyRows()
        values = [_cell(cells[i]) if i < len(cells) else None for i in wanted]
        if all(v is None for v in values):
            continue
        numbers.append(row_number)
        records.append(values)
    raw = pd.DataFrame(records, index=pd.Index(numbers, dtype="int64"), columns=[c.key for c in present], dtype=object)
    raw = raw.astype(object).where(raw.notna(), None)
    parsed = {column.key: _parse(column, raw[column.key]) for column in present}
    return _Sheet(spec, raw, parsed)


def _check_cells(sheet: _Sheet, out: _Collector) -> None:
    for column in sheet.spec.columns:
        if not sheet.has(column.key):
            continue
        parsed = sheet.parsed[column.key]
        if parsed.too_large is not None:
            out.cells(sheet, parsed.too_large, column, f"数值过大，应为不超过{MAX_COUNT}的整数")
            out.cells(sheet, parsed.bad & ~parsed.too_large, column, column.expected)
        else:
            out.cells(sheet, parsed.bad, column, column.expected)
        if column.required:
            out.cells(sheet, parsed.blank, column, column.expected)


def _check_branch_ids(sheet: _Sheet, known: set[str] | None, out: _Collector) -> None:
    if not sheet.has("branch_id"):
        return
    column = sheet.spec.column("branch_id")
    ids = sheet.parsed["branch_id"].values
    filled = ids.notna()
    if sheet.spec.one_row_per_branch:
        rows = pd.Series(ids.index, index=ids.index)
        first = rows[filled].groupby(ids[filled].to_numpy()).transform("min")
        duplicate = filled & ids.duplicated(keep="first")
        where = "本表" if sheet.spec.key == "branches" else f"“{sheet.spec.name}”表"
        out.cells(
            sheet,
            duplicate,
            column,
            lambda row: f"与第{first.at[row]}行的支部编号重复，每个支部在{where}只能有一行",
        )
    if known is not None and sheet.spec.key != "branches":
        unknown = filled & ~ids.isin(list(known))
        out.cells(sheet, unknown, column, "“支部”表中没有这个支部编号")


def _check_member(sheet: _Sheet, levels: list[Column], out: _Collector) -> None:
    if not sheet.has("participants"):
        return
    participants = sheet.parsed["participants"].values
    base_ok = sheet.ok("participants")
    levels = [c for c in levels if sheet.has(c.key)]
    any_level_over = pd.Series(False, index=participants.index)
    for column in levels:
        count = sheet.parsed[column.key].values
        over = base_ok & sheet.ok(column.key) & (count > participants)
        any_level_over |= over
        out.cells(sheet, over, column, lambda row: f"不能超过参评人数（{_format_number(participants.at[row])}人）")
    if not levels:
        return
    all_ok = base_ok.copy()
    for column in levels:
        all_ok &= ~sheet.parsed[column.key].bad
    total = sum(sheet.parsed[c.key].values.fillna(0) for c in levels)
    over = all_ok & ~any_level_over & (total > participants)
    names = "+".join(c.header for c in levels)
    out.cells(
        sheet,
        over,
        sheet.spec.column("participants"),
        lambda row: f"参评人数不能少于各档人数之和{_format_number(total.at[row])}人（{names}）",
    )


def _check_public(sheet: _Sheet, out: _Collector) -> None:
    if not (sheet.has("unsatisfied") and sheet.has("unsatisfied_verified")):
        return
    unsatisfied = sheet.parsed["unsatisfied"].values
    verified = sheet.parsed["unsatisfied_verified"]
    label = sheet.spec.column("unsatisfied").header
    needs = sheet.ok("unsatisfied") & (unsatisfied > 0) & verified.blank
    out.cells(
        sheet,
        needs,
        sheet.spec.column("unsatisfied_verified"),
        lambda row: f"“{label}”为{_format_number(unsatisfied.at[row])}人，应填写“是”或“否”",
    )


def _check_activities(sheet: _Sheet, quorum: dict[str, str], out: _Collector) -> None:
    spec = sheet.spec
    if sheet.has("expected") and sheet.has("attended"):
        expected = sheet.parsed["expected"].values
        attended = sheet.parsed["attended"].values
        over = sheet.ok("expected") & sheet.ok("attended") & (attended > expected)
        out.cells(
            sheet,
            over,
            spec.column("attended"),
            lambda row: f"不能超过应到人数（{_format_number(expected.at[row])}人）",
        )
    if not (quorum and sheet.has("type")):
        return
    kinds = sheet.parsed["type"].values
    for key in ("expected", "attended"):
        if not sheet.has(key):
            continue
        column = spec.column(key)
        needs = kinds.isin(list(quorum)) & sheet.parsed[key].blank
        out.cells(
            sheet,
            needs,
            column,
            lambda row, header=column.header: (
                f"{kinds.at[row]}须填写{header}（用于检查是否{quorum[kinds.at[row]]}到会）"
            ),
        )
    if sheet.has("expected"):
        expected = sheet.parsed["expected"].values
        zero = kinds.isin(list(quorum)) & sheet.ok("expected") & (expected == 0)
        out.cells(sheet, zero, spec.column("expected"), lambda row: f"{kinds.at[row]}的应到人数应大于0")


def _check_roster(sheet: _Sheet, rubric: Rubric, out: _Collector) -> None:
    """The secretary's 参加上级培训 must be filled when members.yaml checks the secretary's training:
    it is what that rule reads."""
    rule = rubric.members.rules.secretary_training
    if rule.upper_training_per_year == 0 or not (sheet.has("role") and sheet.has("upper_training")):
        return
    secretary = rubric.members.secretary_role
    roles = sheet.parsed["role"].values
    needs = (roles == secretary).fillna(False) & sheet.parsed["upper_training"].blank
    out.cells(sheet, needs, sheet.spec.column("upper_training"), f"{secretary}须填写“是”或“否”（用于检查{rule.label}）")


# ------------------------------------------------------------------ frames
def _empty_frame(spec: SheetSpec) -> pd.DataFrame:
    """The frame of a sheet the workbook left out (only optional sheets may be)."""
    return pd.DataFrame({c.key: pd.Series(dtype=c.dtype) for c in spec.columns})


def _frame(sheet: _Sheet) -> pd.DataFrame:
    data: dict[str, pd.Series] = {}
    for column in sheet.spec.columns:
        if sheet.has(column.key):
            values = sheet.parsed[column.key].values
        else:
            values = pd.Series(None, index=sheet.raw.index, dtype=object)
        if column.blank is not None:
            values = values.astype(object).where(values.notna(), column.blank)
        if column.dtype == "str":
            values = values.astype(object).where(values.notna(), None).astype("str")
        elif column.dtype == "boolean":
            values = values.astype(object).where(values.notna(), None).astype("boolean")
        else:
            values = values.astype(column.dtype)
        data[column.key] = values
    frame = pd.DataFrame(data, index=sheet.raw.index)
    return frame.reset_index(drop=True)


# ------------------------------------------------------------------ workbook
def _open(path: Path, file: str):
    """The workbook, or a problem saying why it cannot be opened."""

    def problem(text: str) -> Problem:
        return Problem(file, None, None, None, None, text)

    if not path.exists():
        return None, problem(f"找不到文件 {path}")
    if path.is_dir():
        return None, problem("这是一个目录，不是 Excel 文件")
    load_workbook, InvalidFileException = _openpyxl()
    try:
        return load_workbook(path, read_only=True, data_only=True), None
    except InvalidFileException:
        return None, problem("无法打开：只支持 .xlsx 文件（.xls、.et、.csv 请先在 Excel 或 WPS 中另存为 .xlsx）")
    except PermissionError:
        return None, problem("无法打开：没有读取权限")
    # openpyxl reports a damaged or disguised file with many exception types.
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError):
        return None, problem(
            "无法打开：不是有效的 .xlsx 文件（可能已损坏、设置了密码，或其实是别的格式），请在 Excel 或 WPS 中另存为 .xlsx 后重试"
        )


def read_workbook(path: str | os.PathLike, rubric: Rubric) -> Inputs:
    """Read and validate a workbook in the template layout of ``rubric``.

    Returns the :class:`Inputs` frames (dtypes as in :mod:`assessment.inputs.frames`), or raises
    :class:`WorkbookError` listing every problem of every sheet.
    """
    path = Path(path)
    file = path.name
    specs = sheet_specs(rubric)
    book, failure = _open(path, file)
    if failure is not None:
        raise WorkbookError([failure])
    sheets: dict[str, _Sheet] = {}
    collectors = {key: _Collector(file, spec) for key, spec in specs.items()}
    try:
        with warnings.catch_warnings():
            # openpyxl warns about Excel features it drops when reading (extensions, styles); harmless here.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            for key, spec in specs.items():
                if spec.name not in book.sheetnames:
                    if not spec.optional_sheet:
                        collectors[key].add(None, None, None, "缺少此工作表（请使用模板，不要改动工作表名称）")
                    continue
                sheets[key] = _load_sheet(book[spec.name], spec, collectors[key])
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError, SyntaxError):
        # SyntaxError: the XML parser's ParseError for a damaged sheet.
        raise WorkbookError(
            [Problem(file, None, None, None, None, "无法读取：文件已损坏，请在 Excel 或 WPS 中另存为 .xlsx 后重试")]
        )
    finally:
        book.close()

    for key, sheet in sheets.items():
        _check_cells(sheet, collectors[key])
    known: set[str] | None = None
    branches = sheets.get("branches")
    if branches is not None and branches.has("branch_id"):
        known = set(branches.parsed["branch_id"].values.dropna())
        if branches.raw.empty:
            collectors["branches"].add(
                2, branches.spec.column("branch_id").header, None, "没有任何支部，请至少填写一行"
            )
    for key, sheet in sheets.items():
        _check_branch_ids(sheet, known, collectors[key])
    if "member" in sheets:
        member_method = rubric.channel("member").method
        level_columns = [specs["member"].column(level.id) for level in member_method.levels]
        _check_member(sheets["member"], level_columns, collectors["member"])
    if "public" in sheets:
        _check_public(sheets["public"], collectors["public"])
    if "activities" in sheets:
        _check_activities(sheets["activities"], quorum_types(rubric), collectors["activities"])
    if "roster" in sheets:
        _check_roster(sheets["roster"], rubric, collectors["roster"])

    problems = [problem for key in specs for problem in collectors[key].sorted()]
    if problems:
        raise WorkbookError(problems)
    frames = {key: _frame(sheets[key]) if key in sheets else _empty_frame(specs[key]) for key in specs}
    # 自查分 columns are optional: only those with a value are kept (no column = no self-assessment).
    org = frames["org"]
    unfilled = [key for key in org.columns if key.startswith(SELF_SCORE_PREFIX) and org[key].isna().all()]
    frames["org"] = org.drop(columns=unfilled)
    return Inputs(**frames)


def check_value(column: Column, value: object) -> tuple[object, str | None]:
    """Parse one value as a cell of ``column`` would be: (parsed value or None, Chinese problem or None).

    Forms use this so a field typed on a page is judged exactly like the same cell in the workbook.
    """
    if isinstance(value, str):
        value = value.strip() or None
    parsed = _parse(column, pd.Series([value], dtype=object))
    if bool(parsed.bad.iloc[0]):
        too_large = parsed.too_large is not None and bool(parsed.too_large.iloc[0])
        found = _shown(value)
        return None, f"填写了“{found}”，" + ("数值过大" if too_large else column.expected)
    result = parsed.values.iloc[0]
    if result is None or result is pd.NA or result is pd.NaT or (isinstance(result, float) and math.isnan(result)):
        return None, None
    if isinstance(result, np.generic):
        result = result.item()
    return result, None


# ------------------------------------------------------------------ one sheet uploaded on its own
# Limits of a branch's upload (活动记录 or 党员名册 of one branch and one year: a few hundred rows at most).
# They bound what one visitor can make a kernel read: the file, what it unzips to, and the rows.
UPLOAD_LIMIT_BYTES = 5 * 1024 * 1024
UPLOAD_UNZIPPED_LIMIT_BYTES = 50 * 1024 * 1024
UPLOAD_ROW_LIMIT = 5000


class _CsvCell:
    __slots__ = ("value",)

    def __init__(self, value: object):
        self.value = value


class _CsvSheet:
    """CSV rows that look like an openpyxl worksheet to :func:`_load_sheet` (every cell is text)."""

    def __init__(self, rows: list[list[str]]):
        self.rows = rows

    def iter_rows(self):
        for row in self.rows:
            yield tuple(_CsvCell(value if value != "" else None) for value in row)


def _csv_rows(data: bytes, file: str) -> tuple[list[list[str]] | None, Problem | None]:
    import csv
    import io

    # Excel and WPS on Chinese Windows save CSV as GBK unless told UTF-8: try UTF-8 first, then GB18030.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return None, Problem(file, None, None, None, None, "无法读取：CSV 文件的编码既不是 UTF-8 也不是 GBK")
    if "\x00" in text:
        return None, Problem(file, None, None, None, None, "无法读取：这不是 CSV 文本文件")
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""))], None
    except csv.Error as error:
        return None, Problem(file, None, None, None, None, f"无法读取 CSV：{error}")


def _unzipped_size(data: bytes) -> int | None:
    """What an .xlsx (a zip file) says its parts unzip to, read from the zip directory alone; None if it
    is not a zip file. The reader never gets more than this: zipfile stops each part at its stated size."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None


def _too_many_rows(spec: SheetSpec) -> str:
    return (
        f"工作表“{spec.name}”超过 {UPLOAD_ROW_LIMIT} 行，未读取：请只上传本支部本年度的记录"
        f"（上限为 {UPLOAD_ROW_LIMIT} 行）"
    )


def read_sheet_upload(data: bytes, filename: str, key: str, rubric: Rubric, *, branch_id: str) -> pd.DataFrame:
    """One sheet of the template (``key``: ``activities`` or ``roster``) uploaded alone, as .xlsx or .csv.

    Checked exactly like that sheet of a workbook, plus: every row must belong to ``branch_id`` (a
    branch uploads only its own data) and there must be at least one row. Returns the sheet's frame, or
    raises :class:`WorkbookError` naming sheet, Excel/CSV row and column of every problem.
    """
    specs = sheet_specs(rubric)
    file = Path(filename).name or "上传的文件"
    if key not in specs:  # a sheet the rubric does not collect (meta.yaml uses)
        title = SHEET_NAMES.get(key, key)
        raise WorkbookError([Problem(file, None, None, None, None, f"本评分标准不使用{title}，无需上传")])
    spec = specs[key]
    out = _Collector(file, spec)

    def fail(text: str) -> WorkbookError:
        return WorkbookError([Problem(file, None, None, None, None, text)])

    if len(data) > UPLOAD_LIMIT_BYTES:
        raise fail(f"文件太大（{len(data) // 1024} KB），上限为 {UPLOAD_LIMIT_BYTES // 1024 // 1024} MB")
    suffix = Path(file).suffix.lower()
    if suffix == ".csv":
        rows, problem = _csv_rows(data, file)
        if problem is not None:
            raise WorkbookError([problem])
        try:
            sheet = _load_sheet(_CsvSheet(rows), spec, out, max_rows=UPLOAD_ROW_LIMIT)
        except TooManyRows:
            raise fail(_too_many_rows(spec)) from None
    elif suffix == ".xlsx":
        import io

        unzipped = _unzipped_size(data)
        if unzipped is None:
            raise fail(
                "无法打开：不是有效的 .xlsx 文件（可能已损坏或设置了密码），请在 Excel 或 WPS 中另存为 .xlsx 后重试"
            )
        if unzipped > UPLOAD_UNZIPPED_LIMIT_BYTES:
            raise fail(
                f"文件内容过大（解压后约 {unzipped // 1024 // 1024} MB，上限为 "
                f"{UPLOAD_UNZIPPED_LIMIT_BYTES // 1024 // 1024} MB）：请只上传本支部本年度的记录，不要包含其他内容"
            )
        load_workbook, InvalidFileException = _openpyxl()
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError):
            raise fail(
                "无法打开：不是有效的 .xlsx 文件（可能已损坏或设置了密码），请在 Excel 或 WPS 中另存为 .xlsx 后重试"
            )
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
                data_sheets = [name for name in book.sheetnames if name in (spec.name,)]
                if data_sheets:
                    worksheet = book[spec.name]
                elif len(book.sheetnames) == 1:
                    worksheet = book[book.sheetnames[0]]
                else:
                    raise fail(f"找不到工作表“{spec.name}”（文件有多个工作表时，须有一个名为“{spec.name}”）")
                sheet = _load_sheet(worksheet, spec, out, max_rows=UPLOAD_ROW_LIMIT)
        except TooManyRows:
            raise fail(_too_many_rows(spec)) from None
        except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, EOFError, SyntaxError) as error:
            if isinstance(error, WorkbookError):
                raise
            raise fail("无法读取：文件已损坏，请在 Excel 或 WPS 中另存为 .xlsx 后重试") from None
        finally:
            book.close()
    else:
        raise fail("只支持 .xlsx 或 .csv 文件（.xls、.et 请先在 Excel 或 WPS 中另存为 .xlsx）")

    _check_cells(sheet, out)
    if sheet.has("branch_id"):
        ids = sheet.parsed["branch_id"].values
        other = ids.notna() & (ids != branch_id)
        out.cells(sheet, other, spec.column("branch_id"), f"应为本支部的编号 {branch_id}（只能上传本支部的数据）")
    if key == "activities":
        _check_activities(sheet, quorum_types(rubric), out)
    elif key == "roster":
        _check_roster(sheet, rubric, out)
    if sheet.raw.empty and not out.items:
        out.add(2, None, None, "文件中没有任何数据行（表头应在第1行，数据从第2行开始）")
    problems = out.sorted()
    if problems:
        raise WorkbookError(problems)
    return _frame(sheet)
