"""Result tables to .xlsx or a CSV directory, never half-written."""

from __future__ import annotations

import csv
from fractions import Fraction

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from assessment.outputs.excel import OutputError, write_tables


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return {
        "结果": pd.DataFrame(
            {
                "支部编号": pd.array(["B01", "003"], dtype="str"),
                "综合得分": [91.25, None],
                "达标": pd.array([True, False], dtype="boolean"),
                "星级": pd.array([5, None], dtype="Int64"),
                "比例": [Fraction(9, 10), Fraction(1, 3)],
                "日期": pd.to_datetime(["2025-03-05", None]),
                "说明": ["年度述职评议考核等次为优秀。", ""],
            }
        ),
        "否决明细": pd.DataFrame({"支部编号": ["B01"], "规则": ["annual_review"]}),
    }


def test_xlsx_has_one_sheet_per_table_with_a_bold_frozen_header(tmp_path, tables):
    out = write_tables(tables, tmp_path / "结果.xlsx")
    book = load_workbook(out)
    assert book.sheetnames == ["结果", "否决明细"]
    sheet = book["结果"]
    assert [c.value for c in sheet[1]] == list(tables["结果"].columns)
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["G"].width > sheet.column_dimensions["D"].width
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][:5] == ("B01", 91.25, "是", 5, 0.9)
    assert rows[0][5].date().isoformat() == "2025-03-05"
    assert rows[1][1:6] == (None, "否", None, pytest.approx(1 / 3), None)
    # Numbers keep their exact value and show as the pages round them: a score at 0.00, a count as 0,
    # a share as 0.0%; the date keeps its date format
    assert [sheet.cell(row=2, column=c).number_format for c in (2, 4, 5, 6)] == ["0.00", "0", "0.0%", "yyyy-mm-dd"]
    assert sheet.cell(row=3, column=5).number_format == "0.0%"
    one_place = load_workbook(write_tables(tables, tmp_path / "一位.xlsx", decimals=1))["结果"]
    assert one_place.cell(row=2, column=2).number_format == "0.0"


def test_csv_directory_is_utf8_with_bom(tmp_path, tables):
    out = write_tables(tables, tmp_path / "结果")
    assert sorted(p.name for p in out.iterdir()) == ["否决明细.csv", "结果.csv"]
    raw = (out / "结果.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel and WPS need the BOM to read Chinese"
    with (out / "结果.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(tables["结果"].columns)
    assert rows[1][:3] == ["B01", "91.25", "是"]
    assert rows[1][5] == "2025-03-05"
    assert rows[2][1] == ""


def test_csv_directory_keeps_other_files(tmp_path, tables):
    out = tmp_path / "结果"
    out.mkdir()
    (out / "readme.txt").write_text("mine")
    write_tables(tables, out)
    assert (out / "readme.txt").read_text() == "mine"


def test_a_failed_xlsx_write_leaves_the_old_file_untouched(tmp_path, tables, monkeypatch):
    target = tmp_path / "结果.xlsx"
    target.write_bytes(b"old results")

    def broken_save(self, filename):
        with open(filename, "wb") as handle:
            handle.write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save", broken_save)
    with pytest.raises(OutputError, match="无法写入"):
        write_tables(tables, target)
    assert target.read_bytes() == b"old results"
    assert [p.name for p in tmp_path.iterdir()] == ["结果.xlsx"], "no temporary file is left behind"


def test_a_failed_csv_write_replaces_nothing(tmp_path, tables, monkeypatch):
    out = tmp_path / "结果"
    out.mkdir()
    (out / "结果.csv").write_text("old", encoding="utf-8")
    calls = {"n": 0}
    original = pd.DataFrame.to_csv

    def fail_second(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise PermissionError(13, "Permission denied")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail_second)
    with pytest.raises(OutputError, match="没有写入权限"):
        write_tables(tables, out)
    assert sorted(p.name for p in out.iterdir()) == ["结果.csv"]
    assert (out / "结果.csv").read_text(encoding="utf-8") == "old"


def test_missing_parent_directory_is_a_chinese_error(tmp_path, tables):
    with pytest.raises(OutputError, match="不存在"):
        write_tables(tables, tmp_path / "nowhere" / "结果.xlsx")
    with pytest.raises(OutputError, match="不存在"):
        write_tables(tables, tmp_path / "nowhere" / "结果")
