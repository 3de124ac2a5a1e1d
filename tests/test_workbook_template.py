"""The blank template: sheets, headers in contract order, comments, drop-downs and number checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from assessment.inputs.frames import SHEET_NAMES, sheet_columns
from assessment.inputs.workbook import BRANCH_KINDS
from assessment.outputs.input_workbook import write_template


@pytest.fixture
def template(tmp_path: Path, default_rubric):
    path = write_template(tmp_path / "模板.xlsx", default_rubric)
    return load_workbook(path)


def validations_by_column(sheet) -> dict[str, list]:
    """Header → the data validations whose range starts in that header's column at row 2."""
    headers = {get_column_letter(cell.column): cell.value for cell in sheet[1]}
    found: dict[str, list] = {}
    for dv in sheet.data_validations.dataValidation:
        for cell_range in dv.sqref.ranges:
            letter = get_column_letter(cell_range.min_col)
            assert cell_range.min_row == 2, "validation starts right under the header"
            found.setdefault(headers[letter], []).append((dv, cell_range))
    return found


def only(found: dict[str, list], header: str):
    assert header in found, f"no validation on {header}"
    assert len(found[header]) == 1
    return found[header][0]


def test_sheets_in_order_with_instructions_first(template):
    # Given a template; Then 说明 comes first and every input sheet follows, in contract order.
    visible = [ws.title for ws in template.worksheets if ws.sheet_state == "visible"]
    assert visible == ["说明", *SHEET_NAMES.values()]


def test_headers_are_the_contract_headers_in_order(template, default_rubric):
    for key, columns in sheet_columns(default_rubric).items():
        sheet = template[SHEET_NAMES[key]]
        assert [cell.value for cell in sheet[1]] == list(columns.values())
        assert sheet.max_row == 1, "a blank template has no data rows"


def test_header_row_is_bold_frozen_and_columns_are_wide_enough(template):
    for name in SHEET_NAMES.values():
        sheet = template[name]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        for cell in sheet[1]:
            width = sheet.column_dimensions[cell.column_letter].width
            assert width and width >= 10


def test_org_headers_carry_input_label_and_description(template, default_rubric):
    sheet = template["组织评定"]
    comments = {cell.value: cell.comment for cell in sheet[1]}
    for item in default_rubric.items:
        comment = comments[f"{item.id} {item.label}"]
        assert comment is not None
        assert item.input_label in comment.text
        assert item.description in comment.text


def test_yes_no_columns_have_yes_no_dropdowns(template):
    for sheet_name, header in (("群众评判", "不满意查证属实"), ("社会评价", "符合标准"), ("活动记录", "有记录")):
        dv, cell_range = only(validations_by_column(template[sheet_name]), header)
        assert dv.type == "list"
        assert dv.formula1 == '"是,否"'
        assert cell_range.max_row >= 2000


def test_fixed_lists_come_from_the_rubric(template, default_rubric):
    org = validations_by_column(template["组织评定"])
    dv, _ = only(org, "年度述职评议等次")
    assert dv.formula1 == '"' + ",".join(default_rubric.channels.annual_review_grades.levels) + '"'
    for item in default_rubric.items:
        if item.kind == "level":
            dv, _ = only(org, f"{item.id} {item.label}")
            assert dv.type == "list"
            assert dv.formula1 == '"' + ",".join(level.label for level in item.levels) + '"'
    dv, cell_range = only(validations_by_column(template["活动记录"]), "类型")
    assert dv.formula1 == '"' + ",".join(default_rubric.activities.activity_types) + '"'
    assert cell_range.max_row > 2000, "the activity log gets a longer range"
    dv, _ = only(validations_by_column(template["支部"]), "支部类型")
    assert dv.formula1 == '"' + ",".join(BRANCH_KINDS) + '"'
    assert BRANCH_KINDS == ("村", "社区", "机关", "企业", "学校", "其他")


def test_branch_ids_elsewhere_offer_the_branch_list(template):
    for name in ("组织评定", "党员评议", "群众评判", "社会评价", "活动记录"):
        dv, _ = only(validations_by_column(template[name]), "支部编号")
        assert dv.type == "list"
        assert dv.formula1 == "'支部'!$A$2:$A$2000"
        assert dv.errorStyle == "warning", "a branch may be entered here before it is added to 支部"


def test_counts_are_whole_numbers_and_scores_stay_in_range(template, default_rubric):
    member = validations_by_column(template["党员评议"])
    for header in ("参评人数", "优秀", "合格", "基本合格", "不合格"):
        dv, _ = only(member, header)
        assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
    activities = validations_by_column(template["活动记录"])
    for header in ("应到人数", "实到人数"):
        assert only(activities, header)[0].type == "whole"
    branches = validations_by_column(template["支部"])
    for header in ("正式党员", "预备党员", "支委会人数", "党小组数"):
        assert only(branches, header)[0].type == "whole"
    org = validations_by_column(template["组织评定"])
    for item in default_rubric.items:
        dv, _ = only(org, f"{item.id} {item.label}")
        if item.kind == "points":
            assert (dv.type, dv.operator, dv.formula1, dv.formula2) == (
                "decimal",
                "between",
                "0",
                f"{float(item.max):g}",
            )
        elif item.kind == "rate_steps":
            assert (dv.type, dv.formula1, dv.formula2) == ("decimal", "0", "100")
        elif item.kind in ("count_shortfall", "deduction"):
            assert (dv.type, dv.formula1) == ("whole", "0")


def test_validation_messages_are_chinese(template):
    for name in SHEET_NAMES.values():
        for dv in template[name].data_validations.dataValidation:
            assert dv.error and any("\u4e00" <= ch <= "\u9fff" for ch in dv.error)


def test_instructions_explain_sheets_values_and_conventions(template, default_rubric):
    text = "\n".join(str(cell.value) for row in template["说明"].iter_rows() for cell in row if cell.value is not None)
    assert default_rubric.version in text
    for name in SHEET_NAMES.values():
        assert name in text
    assert "以上" in text and "含本数" in text
    assert "有记录" in text and "不计入" in text
    assert "是 / 否" in text
    for grade in default_rubric.channels.annual_review_grades.levels:
        assert grade in text
    assert "2025年3月5日" in text


def test_template_path_must_be_writable(tmp_path, default_rubric):
    from assessment.outputs.excel import OutputError

    with pytest.raises(OutputError, match="不存在"):
        write_template(tmp_path / "no-such-dir" / "模板.xlsx", default_rubric)


def test_long_or_comma_lists_use_a_hidden_options_sheet(tmp_path, default_rubric):
    # Excel caps an inline list at 255 characters and splits it at commas: such lists go to 选项.
    from assessment.inputs.workbook import read_workbook

    extra = tuple(f"专题活动第{n:02d}期（理论学习、志愿服务）" for n in range(1, 21)) + ("座谈会,交流会",)
    activities = default_rubric.activities.model_copy(
        update={"activity_types": default_rubric.activities.activity_types + extra}
    )
    rubric = default_rubric.model_copy(update={"activities": activities})
    path = write_template(tmp_path / "长列表.xlsx", rubric)
    book = load_workbook(path)
    assert book["选项"].sheet_state == "hidden"
    assert book.sheetnames[-1] == "选项"
    dv, _ = only(validations_by_column(book["活动记录"]), "类型")
    assert dv.formula1.startswith("'选项'!$A$1:$A$")
    options = [row[0] for row in book["选项"].iter_rows(values_only=True)]
    assert options == list(rubric.activities.activity_types)
    # The reader accepts the long names like any other.
    sheet = book["支部"]
    sheet.append(["B01", "测试党支部", 5])
    book["活动记录"].append(["B01", "2025-03-05", "座谈会,交流会", 5, 5, "是"])
    book.save(path)
    assert read_workbook(path, rubric).activities["type"].tolist() == ["座谈会,交流会"]
