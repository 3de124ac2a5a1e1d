"""Reading workbooks: a clean round trip, and every kind of mistake located by sheet, row and column.

Sample rows (conftest.py): 支部/组织评定/党员评议/群众评判 B01 → row 2, B02 → 3, 003 → 4;
社会评价 rows 2–5; 活动记录 row 2 支委会, 3 支部党员大会, 4 谈心谈话 (no attendance), 5 主题党日, 6 党课.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.styles import Font

from assessment.demo.street import generate_demo
from assessment.inputs.frames import SELF_SCORE_PREFIX, sheet_columns
from assessment.inputs.workbook import Problem, WorkbookError, read_workbook
from assessment.outputs.input_workbook import write_input_workbook
from assessment.scoring import score

DTYPES = {
    "branches": {
        "branch_id": "str",
        "name": "str",
        "full_members": "Int64",
        "probationary_members": "Int64",
        "committee_size": "Int64",
        "last_election": "datetime64[ns]",
        "kind": "str",
        "party_groups": "Int64",
        "street": "str",
    },
    "member": {"branch_id": "str", "participants": "Int64"},
    "public": {"branch_id": "str", "unsatisfied_verified": "boolean"},
    "social": {"branch_id": "str", "department": "str", "compliant": "boolean", "opinion": "str"},
    "activities": {
        "branch_id": "str",
        "date": "datetime64[ns]",
        "type": "str",
        "expected": "Int64",
        "attended": "Int64",
        "has_record": "boolean",
    },
}


def problems_of(path: Path, rubric) -> list[Problem]:
    with pytest.raises(WorkbookError) as caught:
        read_workbook(path, rubric)
    return caught.value.problems


def where(problem: Problem) -> tuple:
    return (problem.sheet, problem.row, problem.column)


# ------------------------------------------------------------------ good workbooks
def test_round_trip_gives_equal_frames(sample_workbook, sample_inputs, default_rubric):
    # Given inputs written in the template layout; When read back; Then every frame is equal, dtypes included.
    back = read_workbook(sample_workbook, default_rubric)
    for name, frame in sample_inputs.frames().items():
        pd.testing.assert_frame_equal(back.frames()[name], frame, check_exact=True)


def test_output_dtypes_follow_the_contract(sample_workbook, default_rubric):
    back = read_workbook(sample_workbook, default_rubric)
    for name, dtypes in DTYPES.items():
        frame = back.frames()[name]
        assert {c: str(frame[c].dtype) for c in dtypes} == dtypes, name
    for name, columns in sheet_columns(default_rubric).items():
        # 自查分 columns are kept only where the sheet has a value in them (the sample has none)
        expected = [c for c in columns if not c.startswith(SELF_SCORE_PREFIX)]
        assert list(back.frames()[name].columns) == expected, name
    org = back.org
    for item in default_rubric.items:
        assert str(org[item.id].dtype) == ("str" if item.kind == "level" else "float64")
    assert org.iloc[2].isna().sum() >= 2, "blank grade and the unscored indicator stay missing"


def test_round_trip_of_the_demo_street(tmp_path, default_rubric):
    inputs = generate_demo(default_rubric, seed=7, n_branches=20)
    path = write_input_workbook(inputs, default_rubric, tmp_path / "demo.xlsx")
    back = read_workbook(path, default_rubric)
    for name, frame in inputs.frames().items():
        pd.testing.assert_frame_equal(back.frames()[name], frame.reset_index(drop=True))


def test_what_users_really_type_is_accepted(sample_workbook, default_rubric, edit_workbook):
    # Numbers as text (WPS), full-width digits, text dates in three spellings, a percent cell, spaces.
    edit_workbook(
        sample_workbook,
        [
            ("党员评议", 2, "参评人数", "20"),
            ("党员评议", 2, "优秀", "１９"),
            ("党员评议", 2, "合格", " 1 "),
            ("支部", 2, "上次换届", "2023/6/30"),
            ("活动记录", 2, "日期", "2025年1月5日"),
            ("活动记录", 3, "日期", "2025-02-10"),
            ("活动记录", 2, "有记录", " 是 "),
            ("组织评定", 2, "p2 党员微信群", "95%"),
            ("支部", 2, "支部编号", "B01 "),
        ],
    )
    inputs = read_workbook(sample_workbook, default_rubric)
    assert inputs.member.loc[0, ["participants", "excellent", "qualified"]].tolist() == [20, 19, 1]
    assert inputs.branches.loc[0, "last_election"] == pd.Timestamp("2023-06-30")
    assert inputs.branches.loc[0, "branch_id"] == "B01"
    assert inputs.activities.loc[0, "date"] == pd.Timestamp("2025-01-05")
    assert inputs.activities.loc[1, "date"] == pd.Timestamp("2025-02-10")
    assert inputs.org.loc[0, "p2"] == 95.0


def test_a_percent_formatted_cell_reads_as_percent_points(sample_workbook, default_rubric):
    book = load_workbook(sample_workbook)
    sheet = book["组织评定"]
    column = [c.value for c in sheet[1]].index("p2 党员微信群") + 1
    sheet.cell(row=2, column=column, value=0.95).number_format = "0%"
    book.save(sample_workbook)
    assert read_workbook(sample_workbook, default_rubric).org.loc[0, "p2"] == pytest.approx(95.0)


def test_blank_rows_are_skipped_and_rows_keep_their_excel_numbers(sample_workbook, default_rubric):
    # Given a blank row 3 inserted in 党员评议 and formatted but empty rows far below.
    book = load_workbook(sample_workbook)
    sheet = book["党员评议"]
    sheet.insert_rows(3)
    for row in range(40, 60):
        sheet.cell(row=row, column=2).font = Font(bold=True)
        sheet.cell(row=row, column=3, value="   ")
    sheet.cell(row=5, column=3, value="很多")  # 003 moved from row 4 to row 5
    book.save(sample_workbook)
    # Then only the bad cell is reported, at its real row.
    problems = problems_of(sample_workbook, default_rubric)
    assert [where(p) for p in problems] == [("党员评议", 5, "优秀")]


def test_optional_branch_columns_may_be_left_out_and_extra_columns_are_ignored(sample_workbook, default_rubric):
    book = load_workbook(sample_workbook)
    sheet = book["支部"]
    headers = [c.value for c in sheet[1]]
    for header in ("党小组数", "支部类型", "所属街道"):
        sheet.delete_cols(headers.index(header) + 1)
        headers.remove(header)
    sheet.cell(row=1, column=len(headers) + 2, value="备注")
    sheet.cell(row=2, column=len(headers) + 2, value="自己加的列")
    book.save(sample_workbook)
    inputs = read_workbook(sample_workbook, default_rubric)
    assert inputs.branches["party_groups"].tolist() == [0, 0, 0]
    assert str(inputs.branches["party_groups"].dtype) == "Int64"
    assert inputs.branches["kind"].isna().all()
    assert inputs.branches["street"].isna().all()  # a workbook from before 所属街道 still reads
    assert list(inputs.branches.columns) == list(sheet_columns(default_rubric)["branches"])


def test_the_street_is_read_as_text_and_blank_is_missing(sample_workbook, default_rubric, edit_workbook):
    # Given a street typed with spaces around it, and one left blank (the sample's third branch)
    edit_workbook(sample_workbook, [("支部", 2, "所属街道", "  南城街道 ")])
    inputs = read_workbook(sample_workbook, default_rubric)
    # Then it reads trimmed, and the blank one as missing
    assert inputs.branches["street"].tolist()[:2] == ["南城街道", "西城街道"]
    assert inputs.branches["street"].isna().tolist() == [False, False, True]


def test_blank_indicators_and_blank_tallies(sample_workbook, default_rubric, edit_workbook):
    # Blank indicator = not scored (NA); blank tally = 0; 不满意查证属实 may stay blank when 不满意 is 0.
    edit_workbook(
        sample_workbook,
        [
            ("组织评定", 2, "s2 支部委员会设置", None),
            ("党员评议", 2, "合格", None),
            ("党员评议", 2, "优秀", 20),
            ("群众评判", 2, "不满意查证属实", None),
        ],
    )
    inputs = read_workbook(sample_workbook, default_rubric)
    assert pd.isna(inputs.org.loc[0, "s2"])
    assert inputs.member.loc[0, "qualified"] == 0
    assert pd.isna(inputs.public.loc[0, "unsatisfied_verified"])


def test_a_blank_verification_with_no_unsatisfied_reads_as_no_in_a_workbook(
    sample_workbook, default_rubric, edit_workbook
):
    # Given B01 with 不满意 0 and 查证属实 left blank (the sheet asks for it only when 不满意 > 0)
    edit_workbook(sample_workbook, [("群众评判", 2, "不满意查证属实", None)])
    results = score(default_rubric, read_workbook(sample_workbook, default_rubric), year=2025)
    vetoes = results.vetoes[results.vetoes["rule_id"] == "public_unsatisfied_verified"].set_index("branch_id")
    # Then B01 has nothing to verify: the veto passes instead of 无法判断
    assert bool(vetoes.loc["B01", "passed"]) is True
    assert vetoes.loc["B01", "explanation"] == "没有经查证属实的群众“不满意”评价。"


def test_numeric_branch_ids_read_as_text(sample_workbook, default_rubric, edit_workbook):
    edit_workbook(
        sample_workbook,
        [("支部", 4, "支部编号", 3), ("组织评定", 4, "支部编号", "3")]
        + [(s, 4, "支部编号", 3) for s in ("党员评议", "群众评判")]
        + [("社会评价", 5, "支部编号", 3), ("活动记录", 6, "支部编号", 3)],
    )
    inputs = read_workbook(sample_workbook, default_rubric)
    assert inputs.branches.loc[2, "branch_id"] == "3"
    assert inputs.org.loc[2, "branch_id"] == "3"


# ------------------------------------------------------------------ one mistake each
BAD_CELLS = [
    # sheet, row, header, value typed, found as shown, what the message says
    ("组织评定", 3, "支部编号", "B01", "B01", "与第2行的支部编号重复"),
    ("党员评议", 4, "支部编号", "B02", "B02", "与第3行的支部编号重复"),
    ("群众评判", 3, "支部编号", "B01", "B01", "与第2行的支部编号重复"),
    ("组织评定", 3, "支部编号", "B99", "B99", "“支部”表中没有这个支部编号"),
    ("社会评价", 4, "支部编号", "B99", "B99", "“支部”表中没有这个支部编号"),
    ("活动记录", 5, "支部编号", "X1", "X1", "“支部”表中没有这个支部编号"),
    ("党员评议", 3, "优秀", "十二", "十二", "应为不小于0的整数"),
    ("党员评议", 3, "优秀", 2.5, "2.5", "应为不小于0的整数"),
    ("支部", 2, "正式党员", -3, "-3", "应为不小于0的整数"),
    ("支部", 2, "正式党员", None, "", "应为不小于0的整数"),
    ("支部", 2, "正式党员", 1e20, "100000000000000000000", "数值过大，应为不超过10000000的整数"),
    ("活动记录", 2, "应到人数", "五人", "五人", "应为不小于0的整数"),
    ("组织评定", 2, "s1 支部设置规范", 6, "6", "应为0到5之间的数"),
    ("组织评定", 2, "s1 支部设置规范", -1, "-1", "应为0到5之间的数"),
    ("组织评定", 2, "s1 支部设置规范", "满分", "满分", "应为0到5之间的数"),
    ("组织评定", 2, "t2 书记年度培训", "参加了", "参加了", "应为以下之一：已参加、未参加"),
    ("组织评定", 2, "t3 党员集中学习培训次数", 3.5, "3.5", "应为不小于0的整数"),
    ("组织评定", 2, "p2 党员微信群", 120, "120", "应为0到100之间的数"),
    ("组织评定", 2, "p2 党员微信群", -5, "-5", "应为0到100之间的数"),
    ("组织评定", 2, "年度述职评议等次", "优", "优", "应为以下之一：优秀、良好、一般、较差"),
    ("党员评议", 2, "优秀", 21, "21", "不能超过参评人数（20人）"),
    ("党员评议", 2, "参评人数", 19, "19", "参评人数不能少于各档人数之和20人（优秀+合格+基本合格+不合格）"),
    ("党员评议", 2, "参评人数", None, "", "应为不小于0的整数"),
    ("活动记录", 2, "实到人数", 6, "6", "不能超过应到人数（5人）"),
    ("活动记录", 3, "应到人数", None, "", "支部党员大会须填写应到人数（用于检查是否50%以上到会）"),
    ("活动记录", 2, "类型", "党员大会", "党员大会", "应为以下之一：支委会、支部党员大会"),
    ("活动记录", 2, "日期", "明天", "明天", "应为日期，如 2025-03-05、2025/3/5 或 2025年3月5日"),
    ("活动记录", 2, "日期", "2025-02-30", "2025-02-30", "应为日期"),
    ("活动记录", 2, "日期", None, "", "应为日期"),
    ("支部", 2, "上次换届", "2023.13.1", "2023.13.1", "应为日期"),
    ("支部", 2, "上次换届", dt.datetime(1900, 1, 5), "1900-01-05", "应为日期"),
    ("社会评价", 2, "符合标准", "Y", "Y", "应为“是”或“否”"),
    ("社会评价", 2, "符合标准", None, "", "应为“是”或“否”"),
    ("社会评价", 2, "部门", None, "", "应填写部门"),
    ("活动记录", 2, "有记录", "有", "有", "应为“是”或“否”"),
    ("群众评判", 2, "不满意查证属实", "对", "对", "应为“是”或“否”"),
    ("群众评判", 3, "不满意查证属实", None, "", "“不满意”为2人，应填写“是”或“否”"),
    ("群众评判", 2, "满意", "很多", "很多", "应为不小于0的整数"),
    ("支部", 2, "支部类型", "街道", "街道", "应为以下之一：村、社区、机关、企业、学校、其他"),
    ("支部", 2, "支部名称", None, "", "应填写支部名称"),
    ("党员名册", 2, "谈心谈话次数", "一次", "一次", "应为不小于0的整数"),  # the per-member 谈心谈话 count
    ("党员名册", 3, "谈心谈话次数", -1, "-1", "应为不小于0的整数"),
]


@pytest.mark.parametrize(("sheet", "row", "header", "value", "found", "says"), BAD_CELLS)
def test_each_mistake_is_located(
    sample_workbook, default_rubric, edit_workbook, sheet, row, header, value, found, says
):
    # Given one bad cell; When read; Then exactly that cell is reported, with what was found and expected.
    edit_workbook(sample_workbook, [(sheet, row, header, value)])
    problems = problems_of(sample_workbook, default_rubric)
    assert [where(p) for p in problems] == [(sheet, row, header)], [str(p) for p in problems]
    problem = problems[0]
    assert problem.file == "sample.xlsx"
    assert problem.found == found
    assert says in str(problem)
    assert str(problem).startswith(f"sample.xlsx 工作表“{sheet}”第{row}行“{header}”列：")


@pytest.mark.parametrize(("branch_id", "says"), [(None, "未填写，应填写支部编号"), ("B01", "与第2行的支部编号重复")])
def test_blank_or_duplicate_branch_id_in_the_branch_sheet(
    sample_workbook, default_rubric, edit_workbook, branch_id, says
):
    # A new row 5 whose 支部编号 is blank or repeats B01 (the other rows stay, so nothing else breaks).
    edit_workbook(
        sample_workbook,
        [("支部", 5, "支部编号", branch_id), ("支部", 5, "支部名称", "新支部"), ("支部", 5, "正式党员", 5)],
    )
    (problem,) = problems_of(sample_workbook, default_rubric)
    assert where(problem) == ("支部", 5, "支部编号")
    assert says in str(problem)


def test_a_quorum_meeting_with_nobody_expected(sample_workbook, default_rubric, edit_workbook):
    edit_workbook(sample_workbook, [("活动记录", 3, "应到人数", 0), ("活动记录", 3, "实到人数", 0)])
    (problem,) = problems_of(sample_workbook, default_rubric)
    assert where(problem) == ("活动记录", 3, "应到人数")
    assert "支部党员大会的应到人数应大于0" in str(problem)


def test_a_plain_number_in_a_date_column(sample_workbook, default_rubric):
    # A number in a date-formatted cell is a date to Excel; in a General cell it is only a number.
    book = load_workbook(sample_workbook)
    sheet = book["活动记录"]
    cell = sheet.cell(row=2, column=[c.value for c in sheet[1]].index("日期") + 1, value=45000)
    cell.number_format = "General"
    book.save(sample_workbook)
    (problem,) = problems_of(sample_workbook, default_rubric)
    assert (where(problem), problem.found) == (("活动记录", 2, "日期"), "45000")


def test_message_reads_like_the_example(sample_workbook, default_rubric, edit_workbook):
    edit_workbook(sample_workbook, [("党员评议", 3, "优秀", "十二")])
    with pytest.raises(WorkbookError) as caught:
        read_workbook(sample_workbook, default_rubric)
    assert str(caught.value) == "sample.xlsx 工作表“党员评议”第3行“优秀”列：填写了“十二”，应为不小于0的整数"


def test_a_removed_branch_makes_its_rows_elsewhere_unknown(sample_workbook, default_rubric):
    book = load_workbook(sample_workbook)
    book["支部"].delete_rows(4)
    book.save(sample_workbook)
    problems = problems_of(sample_workbook, default_rubric)
    assert [where(p) for p in problems] == [
        ("组织评定", 4, "支部编号"),
        ("党员评议", 4, "支部编号"),
        ("群众评判", 4, "支部编号"),
        ("社会评价", 5, "支部编号"),
        ("活动记录", 6, "支部编号"),
    ]


def test_missing_sheet(sample_workbook, default_rubric):
    book = load_workbook(sample_workbook)
    del book["社会评价"]
    book.save(sample_workbook)
    (problem,) = problems_of(sample_workbook, default_rubric)
    assert (problem.sheet, problem.row, problem.column) == ("社会评价", None, None)
    assert str(problem) == "sample.xlsx 工作表“社会评价”：缺少此工作表（请使用模板，不要改动工作表名称）"


def test_missing_required_column(sample_workbook, default_rubric):
    book = load_workbook(sample_workbook)
    sheet = book["党员评议"]
    sheet.delete_cols([c.value for c in sheet[1]].index("优秀") + 1)
    book.save(sample_workbook)
    problems = problems_of(sample_workbook, default_rubric)
    assert [where(p) for p in problems] == [("党员评议", 1, "优秀")]
    assert "缺少此列" in str(problems[0])


def test_renamed_sheet_and_duplicate_header(sample_workbook, default_rubric):
    book = load_workbook(sample_workbook)
    book["活动记录"].title = "活动"
    sheet = book["群众评判"]
    sheet.cell(row=1, column=sheet.max_column + 1, value="满意")
    book.save(sample_workbook)
    problems = problems_of(sample_workbook, default_rubric)
    assert [where(p) for p in problems] == [("群众评判", 1, "满意"), ("活动记录", None, None)]
    assert "表头重复" in str(problems[0])


def test_empty_branch_sheet(tmp_path, default_rubric):
    from assessment.outputs.input_workbook import write_template

    path = write_template(tmp_path / "blank.xlsx", default_rubric)
    (problem,) = problems_of(path, default_rubric)
    assert where(problem) == ("支部", 2, "支部编号")
    assert "没有任何支部" in str(problem)


def test_all_problems_of_all_sheets_are_reported_together(sample_workbook, default_rubric, edit_workbook):
    edit_workbook(
        sample_workbook,
        [
            ("活动记录", 4, "类型", "座谈"),
            ("支部", 3, "正式党员", "很多"),
            ("党员评议", 3, "优秀", "十二"),
            ("党员评议", 2, "合格", -1),
            ("社会评价", 3, "符合标准", "基本符合"),
            ("组织评定", 4, "s1 支部设置规范", 9),
        ],
    )
    with pytest.raises(WorkbookError) as caught:
        read_workbook(sample_workbook, default_rubric)
    problems = caught.value.problems
    # In workbook order: sheet by sheet, then row, then column.
    assert [where(p) for p in problems] == [
        ("支部", 3, "正式党员"),
        ("组织评定", 4, "s1 支部设置规范"),
        ("党员评议", 2, "合格"),
        ("党员评议", 3, "优秀"),
        ("社会评价", 3, "符合标准"),
        ("活动记录", 4, "类型"),
    ]
    lines = str(caught.value).splitlines()
    assert lines == [str(p) for p in problems]


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("notes.xlsx", b"just some text, not a workbook", "不是有效的 .xlsx 文件"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "只支持 .xlsx"),
        ("data.csv", "支部编号,支部名称\n".encode("utf-8-sig"), "只支持 .xlsx"),
    ],
)
def test_files_that_are_not_workbooks(tmp_path, default_rubric, name, content, says):
    path = tmp_path / name
    path.write_bytes(content)
    (problem,) = problems_of(path, default_rubric)
    assert problem.file == name
    assert says in str(problem)


def test_missing_file(tmp_path, default_rubric):
    (problem,) = problems_of(tmp_path / "nowhere.xlsx", default_rubric)
    assert str(problem).startswith("nowhere.xlsx：找不到文件")


# ------------------------------------------------------------------ what one upload may cost
def _xlsx_with_sheet_xml(sheet_xml: bytes) -> bytes:
    """A minimal .xlsx whose one worksheet is ``sheet_xml`` (compressed, as Excel would)."""
    import io
    import zipfile

    parts = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        b'+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        b'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
        'name="活动记录" sheetId="1" r:id="rId1"/></sheets></workbook>'.encode(),
        "xl/_rels/workbook.xml.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_an_upload_that_unzips_too_large_is_refused_before_it_is_parsed(default_rubric, monkeypatch):
    from assessment.inputs.workbook import reader

    # Given 5 MB or less on the wire that unzip to 60 MB of worksheet XML
    padding = b" " * (60 * 1024 * 1024)
    data = _xlsx_with_sheet_xml(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + padding
        + b"<sheetData/></worksheet>"
    )
    assert len(data) < reader.UPLOAD_LIMIT_BYTES
    # Then it is refused from the zip directory alone: openpyxl is never asked to read it
    monkeypatch.setattr(reader, "_openpyxl", lambda: pytest.fail("the upload was parsed"))
    with pytest.raises(WorkbookError, match="文件内容过大（解压后约 60 MB，上限为 50 MB）"):
        reader.read_sheet_upload(data, "活动.xlsx", "activities", default_rubric, branch_id="B01")


def test_an_upload_with_too_many_rows_is_refused_at_the_limit(default_rubric):
    from assessment.inputs.workbook import reader

    # Given a sheet of 200,000 near-empty rows after a header
    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for i, name in enumerate(["支部编号", "日期", "类型", "应到人数", "实到人数", "有记录"])
    )
    rows = b"".join(b'<row r="%d"><c r="A%d"/></row>' % (n, n) for n in range(2, 200_002))
    data = _xlsx_with_sheet_xml(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + f'<row r="1">{header}</row>'.encode()
        + rows
        + b"</sheetData></worksheet>"
    )
    with pytest.raises(WorkbookError) as refused:
        reader.read_sheet_upload(data, "活动.xlsx", "activities", default_rubric, branch_id="B01")
    assert f"超过 {reader.UPLOAD_ROW_LIMIT} 行，未读取" in str(refused.value)
    # And a CSV of too many rows likewise
    csv_rows = "支部编号,日期,类型,应到人数,实到人数,有记录\n" + "B01,2025-01-08,支委会,5,5,是\n" * 6000
    with pytest.raises(WorkbookError, match="超过 5000 行"):
        reader.read_sheet_upload(csv_rows.encode(), "活动.csv", "activities", default_rubric, branch_id="B01")
