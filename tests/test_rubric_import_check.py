"""End to end: import each sample sheet, then load the draft with the project's loader and run
``rubric check`` on it — a fully read sheet passes as it is; one with unread rows fails, naming the
level left short, and passes once the analyst has written the missing item."""

from __future__ import annotations

import pytest
import rubric_sheets

from assessment.cli import main
from assessment.rubric import RubricError, load_rubric
from assessment.rubric.importer import read_sheets

FULLY_READ = ("merged_levels", "points_in_text", "two_sheets", "two_row_header")


def _import(capsys, tmp_path, name: str):
    sheet = rubric_sheets.SHEETS[name](tmp_path / f"{name}.xlsx")
    out = tmp_path / "草稿"
    assert main(["rubric", "import", str(sheet), "--out", str(out)]) == 0
    capsys.readouterr()
    return out


@pytest.mark.parametrize("name", FULLY_READ)
def test_a_fully_read_sheet_checks(capsys, tmp_path, name):
    out = _import(capsys, tmp_path, name)

    rubric = load_rubric(out)
    code = main(["rubric", "check", str(out)])
    printed, _ = capsys.readouterr()

    assert code == 0 and "检查通过" in printed
    read = read_sheets(tmp_path / f"{name}.xlsx")
    assert [(i.id, i.kind, i.source) for i in rubric.items] == [(i.id, i.kind, i.source) for i in read.items]
    assert sum(i.max for i in rubric.items if not i.bonus) == read.total_points()


def test_flags_reach_the_grade_caps(capsys, tmp_path):
    out = _import(capsys, tmp_path, "two_sheets")
    rubric = load_rubric(out)
    [cap] = rubric.eligibility.grade_caps
    assert cap.max_grade == "良好"
    assert [c.item for c in cap.any_of] == ["i5"]


@pytest.mark.parametrize(
    ("name", "short", "missing"),
    [
        (
            "word_like",
            "作用发挥",
            (
                "  - {id: i9, label: 中心工作, area: a2, strength: mass, kind: points, points: 4,"
                " description: 围绕中心工作开展活动, advice: 围绕中心工作开展活动,"
                ' source: "word_like.xlsx 工作表 Sheet1 第8行"}\n'
            ),
        ),
        (
            "points_merged_above",
            "作风建设",
            (
                "  - {id: i9, label: 党员违纪情况, area: a2, strength: political, kind: deduction, points: 2, per: 2,"
                " description: 党员受到党纪处分的每人次扣2分, advice: 加强党员教育管理,"
                ' source: "points_merged_above.xlsx 工作表 细则 第8行"}\n'
            ),
        ),
    ],
)
def test_unread_rows_fail_the_check_until_written(capsys, tmp_path, name, short, missing):
    out = _import(capsys, tmp_path, name)

    with pytest.raises(RubricError) as refused:
        load_rubric(out)
    assert short in str(refused.value)
    assert main(["rubric", "check", str(out)]) == 2
    capsys.readouterr()

    # The analyst writes the unread row as an item (at the end of items, before the comments).
    checklist = out / "checklist.yaml"
    text = checklist.read_text(encoding="utf-8")
    at = text.index("\n# 未能识别")
    checklist.write_text(text[:at] + "\n" + missing + text[at:], encoding="utf-8")

    assert main(["rubric", "check", str(out)]) == 0
    assert len(load_rubric(out).items) == text.count("\n  - id: ") + 1


def test_a_sheet_used_alone_is_scored_without_any_other_data(capsys, tmp_path):
    """--only-sheet: the draft uses 组织评定 alone; the template asks for 支部 and 组织评定 only; a branch
    with the sheet filled in is scored (no 活动记录 at all), every point explained in the 明细 sheet."""
    import openpyxl

    sheet = rubric_sheets.SHEETS["merged_levels"](tmp_path / "细则.xlsx")
    out = tmp_path / "只用细则"
    assert main(["rubric", "import", str(sheet), "--out", str(out), "--only-sheet"]) == 0
    assert "只用本细则" in capsys.readouterr().out
    rubric = load_rubric(out)
    assert rubric.uses.channels == ("org",) and rubric.uses.conditions == ()
    assert [c.id for c in rubric.channels.channels] == ["org"]

    template = tmp_path / "填报.xlsx"
    assert main(["template", "--rubric", str(out), str(template)]) == 0
    book = openpyxl.load_workbook(template)
    assert book.sheetnames == ["说明", "支部", "组织评定"]
    branches, org = book["支部"], book["组织评定"]
    header = {cell.value: cell.column for cell in org[1]}
    branches.cell(2, 1, "Z001")
    branches.cell(2, 2, "第一支部")
    branches.cell(2, 3, 9)
    org.cell(2, 1, "Z001")
    full = {"i1": 4, "i2": "达到要求", "i3": "好", "i4": 4, "i5": 4, "i6": 95, "i8": 0}
    for column, cell in header.items():
        key = str(column).split(" ")[0]
        if "自查分" in str(column):
            continue
        if key in full:
            org.cell(2, cell, full[key])
        elif key in ("i7",):
            org.cell(2, cell, "已查看")
        elif key == "i9":
            org.cell(2, cell, 0)
    book.save(template)
    result = tmp_path / "结果.xlsx"
    assert main(["score", str(template), "--rubric", str(out), "--year", "2026", "--out", str(result)]) == 0
    printed = capsys.readouterr()
    assert "达标 1 个" in printed.out and "未完成 0 个" in printed.out, printed
    scored = openpyxl.load_workbook(result)
    rows = list(scored["结果"].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1]))
    assert row["综合得分"] == 100 and row["达标"] == "是" and row["软弱涣散"] == "否" and row["状态"] == "已完成"
    detail = list(scored["明细"].iter_rows(min_row=2, values_only=True))
    items = [r for r in detail if r[3] and str(r[3]).startswith("i")]
    assert len(items) == len(rubric.items) and all(r[8] for r in items)
    total = next(r for r in detail if r[3] == "基础分合计")
    assert total[4] == 30 and total[5] == 30


def test_a_veto_of_the_sheet_is_a_veto_of_strongest_too(capsys, tmp_path):
    out = _import(capsys, tmp_path, "points_in_text")
    rubric = load_rubric(out)
    flagged = [r for r in rubric.veto_rules if r.type == "item_flag"]
    assert flagged and all(rubric.item(r.item).kind == "flag" for r in flagged)
