"""The 总览 as Excel: every table a sheet, the charts as images, from the page's data or the CLI."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from PIL import Image

from assessment.analysis import overview as ov
from assessment.cli import main
from assessment.demo.street import generate_demo_years
from assessment.outputs.overview_workbook import CHART_TITLES, build_overview_workbook, write_overview_workbook
from assessment.rubric import load_rubric
from assessment.store import Store

SHEETS = [
    "说明",
    "年度目标",
    "各街道",  # the demo's branches are in two streets
    "考评流程",
    "星级分布",
    "四评平均分",
    "软弱涣散",
    "否决情况",
    "待遇保障测算",
    "测算设置",
    "各支部结果",
    "图表",
]


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def demo_years(rubric):
    return generate_demo_years(rubric)


@pytest.fixture(scope="module")
def street(rubric, demo_years):
    return ov.street_from_inputs(rubric, demo_years, {2025: {"JD001": "strongest", "JD002": "standardized"}})


def rows(sheet) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def test_workbook_has_every_table_and_the_chart_images(street):
    book = load_workbook(io.BytesIO(build_overview_workbook(street, 2025)))
    assert book.sheetnames == SHEETS

    # The tables are the overview's, header first
    tables = ov.overview_tables(street, 2025)
    for name, frame in tables.items():
        sheet_rows = rows(book[name])
        assert list(sheet_rows[0]) == [str(c) for c in frame.columns], name
        assert len(sheet_rows) == len(frame) + 1, name
    targets = rows(book["年度目标"])
    assert [row[0] for row in targets[1:]] == [2023, 2024, 2025]
    assert targets[3][2] == "38/60（63.3%）"
    budget = {row[0]: row for row in rows(book["待遇保障测算"])[1:]}
    header = rows(book["待遇保障测算"])[0]
    total = header.index("合计（元）")
    assert budget["区级以上“最强党支部”一次性专项绩效奖励"][total] == 25000  # JD001 is a 社区
    assert budget["区委评定“最强党支部”经费上浮"][total] == 6000
    assert budget["标准化规范化党支部经费适当上浮"][total] == "待定"

    # The charts are PNG images on their own sheet, each under its title
    images = book["图表"]._images
    assert len(images) == len(CHART_TITLES)
    for image in images:
        picture = Image.open(io.BytesIO(image._data()))
        assert picture.format == "PNG" and picture.width >= 400
    titles = [row[0] for row in rows(book["图表"]) if row[0]]
    assert titles == list(CHART_TITLES.values())

    notes = {row[0]: row[1] for row in rows(book["说明"])[1:]}
    assert notes["年度"] == "2025年度" and "力争" in notes["“最强”的两种口径"]


def test_numbers_carry_number_formats_so_no_cell_shows_a_long_float(street):
    book = load_workbook(io.BytesIO(build_overview_workbook(street, 2025)))
    averages = book["四评平均分"]
    header = [cell.value for cell in averages[1]]
    mean = header.index("平均分") + 1
    count = header.index("有得分的支部数") + 1
    means = [row[mean - 1] for row in averages.iter_rows(min_row=2)]
    # Some average is a long float (the demo's 党员评议 mean is 92.9718333…): Excel shows it at 0.00
    assert any(len(repr(cell.value)) > 8 for cell in means)
    assert {cell.number_format for cell in means} == {"0.00"}
    assert {row[count - 1].number_format for row in averages.iter_rows(min_row=2)} == {"0"}
    results = book["各支部结果"]
    header = [cell.value for cell in results[1]]
    composite = header.index("综合得分")
    assert {
        row[composite].number_format for row in results.iter_rows(min_row=2) if row[composite].value is not None
    } == {"0.00"}
    budget = book["待遇保障测算"]
    header = [cell.value for cell in budget[1]]
    total = header.index("合计（元）")
    money = [row[total] for row in budget.iter_rows(min_row=2) if isinstance(row[total].value, (int, float))]
    assert money and {cell.number_format for cell in money} <= {"#,##0", "#,##0.00"}
    # Every numeric cell of every table has a format other than General
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if cell.data_type == "n" and cell.value is not None:
                    assert cell.number_format != "General", (sheet.title, cell.coordinate, cell.value)


def test_without_workflow_statuses_the_funnel_chart_is_left_out(rubric, demo_years):
    street = ov.street_from_inputs(rubric, {2024: demo_years[2024]})
    book = load_workbook(io.BytesIO(build_overview_workbook(street, 2024)))
    assert len(book["图表"]._images) == len(CHART_TITLES) - 1
    assert rows(book["考评流程"])[1][0] == "无流程记录"


def test_write_overview_workbook_replaces_the_file_atomically(street, tmp_path):
    out = tmp_path / "总览.xlsx"
    out.write_bytes(b"old")
    assert write_overview_workbook(street, 2023, out) == out
    assert load_workbook(out).sheetnames == SHEETS
    assert [p.name for p in tmp_path.iterdir()] == ["总览.xlsx"]


def test_cli_overview_export(capsys, tmp_path, rubric, demo_years):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Store(url, rubric=rubric) as store:
        for year in (2024, 2025):
            store.records.import_inputs(
                demo_years[year], year=year, evaluator="导入", rubric_version=rubric.version, source="x"
            )
    out = tmp_path / "总览.xlsx"

    code = main(["overview-export", "--database", url, "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "已导出2025年度考评总览（2个年度" in printed
    book = load_workbook(out)
    assert book.sheetnames == SHEETS and len(book["图表"]._images) == len(CHART_TITLES)
    assert [row[0] for row in rows(book["年度目标"])[1:]] == [2024, 2025]

    code = main(["overview-export", "--database", url, "--year", "2024", "--out", str(tmp_path / "2024.xlsx")])
    assert code == 0 and load_workbook(tmp_path / "2024.xlsx")["说明"]["B3"].value == "2024年度"

    # A year the database does not hold, a wrong suffix and an empty database are user errors
    code = main(["overview-export", "--database", url, "--year", "2022", "--out", str(tmp_path / "x.xlsx")])
    assert code == 2 and "没有2022年度的数据" in capsys.readouterr().err
    assert main(["overview-export", "--database", url, "--out", str(tmp_path / "x.csv")]) == 2
    empty = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert main(["overview-export", "--database", empty, "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "还没有数据" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()
