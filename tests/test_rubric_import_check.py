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
