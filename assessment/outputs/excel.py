"""Writing files so that nothing is ever half-written.

Every file goes to a temporary name in the same directory first and is moved
into place with :func:`os.replace` (atomic on one file system) only once it is
complete; if anything fails, an existing file keeps its old content.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .. import display
from ..glossary import yes_no
from ..localtime import local


class OutputError(OSError):
    """A result or template file that could not be written; the message is Chinese."""


HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=True)

# Characters Excel refuses in sheet names, and that no file name should carry.
_BAD_NAME_CHARS = re.compile(r"[\[\]:*?/\\]")


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "没有写入权限"
    if isinstance(exc, FileNotFoundError):
        return "所在目录不存在"
    if isinstance(exc, NotADirectoryError):
        return "路径中有一部分不是目录"
    if isinstance(exc, IsADirectoryError):
        return "同名目录已存在"
    return exc.strerror or str(exc)


def _file_mode(target: Path) -> int:
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary_path)``, then move the finished file to ``path``.

    Raises :class:`OutputError` (Chinese) if the directory is missing or not writable.
    """
    target = Path(path)
    parent = target.parent
    if not parent.is_dir():
        raise OutputError(f"无法写入 {target}：所在目录 {parent} 不存在")
    if target.is_dir():
        raise OutputError(f"无法写入 {target}：同名目录已存在")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise OutputError(f"无法写入 {target}：{_os_reason(exc)}") from exc
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        write(temporary_path)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(temporary_path, _file_mode(target))
        os.replace(temporary_path, target)
    except OSError as exc:
        raise OutputError(f"无法写入 {target}：{_os_reason(exc)}") from exc
    finally:
        temporary_path.unlink(missing_ok=True)
    return target


def save_workbook(book: Workbook, path: str | os.PathLike) -> Path:
    return atomic_write(path, lambda temporary: book.save(temporary))


def display_width(text: str) -> int:
    """Columns a text takes in Excel: CJK characters are about two wide."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def style_header(sheet: Worksheet, widths: Mapping[int, int] | None = None) -> None:
    """Bold, shaded, frozen first row."""
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGNMENT
    sheet.freeze_panes = "A2"
    for index, width in (widths or {}).items():
        sheet.column_dimensions[get_column_letter(index)].width = width


# A text cell starting with one of these is run as a formula by Excel or WPS when it is a CSV field, and
# "=…" becomes a formula cell in openpyxl: user text (names, reasons, opinions) must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def append_row(sheet: Worksheet, values: list[object]) -> None:
    """Append a row whose texts stay texts: a value like ``=HYPERLINK(…)`` is stored as a string cell,
    never a formula (openpyxl would write it as one)."""
    sheet.append(values)
    row = sheet.max_row
    for index, value in enumerate(values, start=1):
        if isinstance(value, str) and value.startswith("="):
            sheet.cell(row=row, column=index).data_type = "s"


def csv_text(value: object) -> object:
    """A CSV field that a spreadsheet opens as text: a leading ``'`` before = + - @ (the usual defence
    against formula injection; Excel and WPS hide the quote)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def cell_value(value: object) -> object:
    """A pandas/numpy value as something openpyxl and a CSV reader understand."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return yes_no(bool(value))
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (Fraction, decimal.Decimal)):
        return float(value)
    if isinstance(value, pd.Timestamp):
        # Excel has no time zones: a stored (UTC) time is written as the local wall-clock time
        return local(value.to_pydatetime()).replace(tzinfo=None) if value.tzinfo else value.to_pydatetime()
    if isinstance(value, (int, float, str, dt.datetime, dt.date)):
        return value
    return str(value)


# Headers whose numbers are money (待遇保障测算) or shares 0–1 (a column named …比例/…率 holding fractions).
MONEY_MARKS = ("元",)
SHARE_MARKS = ("比例", "率")


def number_format(header: str, values: Iterable[object], decimals: int = display.SCORE_DECIMALS) -> str | None:
    """The Excel number format of a column of cell values (after :func:`cell_value`), so that a reader sees
    ``69.08`` and not ``69.08333333333333``: counts and other whole numbers ``0``, money ``#,##0``/``#,##0.00``,
    shares (0–1, in a column named …比例/…率) as the pages round them (``0.0%``), any other number — a score,
    an average — with the rubric's decimals (``0.00``). None for a column without numbers."""
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v)]
    if not numbers:
        return None
    whole = all(float(v).is_integer() for v in numbers)
    if any(mark in header for mark in MONEY_MARKS):
        return "#,##0" if whole else "#,##0.00"
    if any(mark in header for mark in SHARE_MARKS) and all(0 <= v <= 1 for v in numbers) and not whole:
        return display.EXCEL_SHARE_FORMAT
    if whole:
        return display.EXCEL_COUNT_FORMAT
    return display.excel_score_format(decimals)


def apply_number_formats(sheet: Worksheet, decimals: int = display.SCORE_DECIMALS) -> None:
    """Give every numeric cell below the header the number format of its column (:func:`number_format`)."""
    for column in sheet.iter_cols(min_row=1):
        header = str(column[0].value or "")
        cells = [cell for cell in column[1:] if cell.data_type == "n" and cell.value is not None]
        fmt = number_format(header, [cell.value for cell in cells], decimals)
        if fmt is None:
            continue
        for cell in cells:
            if not cell.is_date:
                cell.number_format = fmt


def _csv_value(value: object) -> object:
    value = cell_value(value)
    # A date without a time reads better as 2025-03-05 than 2025-03-05 00:00:00.
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date()
    return csv_text(value)


def _export_frame(frame: pd.DataFrame, convert: Callable[[object], object] = cell_value) -> pd.DataFrame:
    if not len(frame.columns):
        return frame
    # map() infers dtypes again (a column of 5 and None becomes 5.0 and NaN): keep objects, empty as None
    converted = frame.astype(object).map(convert).astype(object)
    return converted.where(converted.notna(), None)


def _clean_name(name: str, limit: int) -> str:
    cleaned = _BAD_NAME_CHARS.sub("_", str(name)).strip() or "表"
    return cleaned[:limit]


def _column_widths(frame: pd.DataFrame, sample: int = 200) -> dict[int, int]:
    widths = {}
    for index, column in enumerate(frame.columns, start=1):
        texts = [str(column)] + [str(v) for v in frame[column].head(sample) if v is not None]
        widths[index] = min(60, max(8, max(display_width(t) for t in texts) + 2))
    return widths


def _write_xlsx(tables: Mapping[str, pd.DataFrame], temporary: Path, decimals: int) -> None:
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for name, frame in tables.items():
        title = _clean_name(name, 31)
        if title in used:
            raise ValueError(f"表名重复：{title}")
        used.add(title)
        sheet = book.create_sheet(title)
        exported = _export_frame(frame)
        append_row(sheet, [str(c) for c in exported.columns])
        for row in exported.itertuples(index=False, name=None):
            append_row(sheet, list(row))
        for column_index, column in enumerate(exported.columns, start=1):
            if frame[column].dtype.kind == "M":
                for (cell,) in sheet.iter_rows(min_row=2, min_col=column_index, max_col=column_index):
                    cell.number_format = "yyyy-mm-dd"
        apply_number_formats(sheet, decimals)
        style_header(sheet, _column_widths(exported))
    if not used:
        book.create_sheet("结果")
    book.save(temporary)


def _write_csv_dir(tables: Mapping[str, pd.DataFrame], directory: Path) -> Path:
    parent = directory.parent
    if not parent.is_dir():
        raise OutputError(f"无法写入 {directory}：所在目录 {parent} 不存在")
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"无法写入 {directory}：同名文件已存在，且不是目录")
    created = not directory.exists()
    try:
        directory.mkdir(exist_ok=True)
    except OSError as exc:
        raise OutputError(f"无法创建目录 {directory}：{_os_reason(exc)}") from exc
    # All files are written under temporary names first; only when every one is complete
    # are they renamed, so a failure leaves the directory as it was.
    pending: list[tuple[Path, Path]] = []
    try:
        names: set[str] = set()
        for name, frame in tables.items():
            file_name = _clean_name(name, 100) + ".csv"
            if file_name in names:
                raise ValueError(f"表名重复：{file_name}")
            names.add(file_name)
            handle, temporary = tempfile.mkstemp(prefix=f".{file_name}.", suffix=".tmp", dir=directory)
            os.close(handle)
            pending.append((Path(temporary), directory / file_name))
            # utf-8-sig: the BOM makes Excel and WPS read the Chinese correctly.
            _export_frame(frame, _csv_value).to_csv(temporary, index=False, encoding="utf-8-sig")
            os.chmod(temporary, _file_mode(directory / file_name))
        for temporary, target in pending:
            os.replace(temporary, target)
    except OSError as exc:
        raise OutputError(f"无法写入 {directory}：{_os_reason(exc)}") from exc
    finally:
        for temporary, _ in pending:
            temporary.unlink(missing_ok=True)
        if created and not any(directory.iterdir()):
            directory.rmdir()
    return directory


def write_tables(
    tables: Mapping[str, pd.DataFrame], out: str | os.PathLike, *, decimals: int = display.SCORE_DECIMALS
) -> Path:
    """Write result tables: ``out`` ending in ``.xlsx`` → one sheet per table, numbers with formats that
    show scores with ``decimals`` places (:func:`number_format`); else a directory of ``<name>.csv`` files
    (UTF-8 with BOM). Returns the path written.

    Raises :class:`OutputError` with a Chinese message when the place cannot be written.
    """
    target = Path(out)
    if target.suffix.lower() == ".xlsx":
        return atomic_write(target, lambda temporary: _write_xlsx(tables, temporary, decimals))
    return _write_csv_dir(tables, target)
