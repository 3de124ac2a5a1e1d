"""明细 and 自查分: every point of every branch in the results workbook, adding up, with the branch's own
self-assessment beside it; the input workbook's optional 自查分 columns accepted or refused by cell.

Sample rows (conftest.py): 组织评定 B01 → row 2 (full marks), B02 → 3, 003 → 4 (s1 not scored).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from assessment.cli import main
from assessment.inputs.payload import blank_payload
from assessment.inputs.workbook import WorkbookError, read_workbook
from assessment.outputs.detail import detail_tables
from assessment.scoring import score
from assessment.store import Store

pytest_plugins = ["store_support"]  # fixtures: database_url


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def sheet_rows(path, name: str) -> list[dict]:
    sheet = load_workbook(path)[name]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def close(a, b) -> bool:
    return abs(a - b) < 1e-9


@pytest.fixture
def scored_with_self(capsys, sample_workbook, edit_workbook, tmp_path):
    # Given B01 gave itself 4 on s1 (it got 5) and 3 on y7; B02 and 003 no 自查分 at all.
    edit_workbook(sample_workbook, [("组织评定", 2, "s1 自查分", 4), ("组织评定", 2, "y7 自查分", 3.5)])
    out = tmp_path / "结果.xlsx"
    code, _, err = run(capsys, "score", sample_workbook, "--year", "2025", "--out", out)
    assert code == 0, err
    return out


def test_the_detail_sheet_adds_up_per_area_and_to_the_total(scored_with_self, default_rubric):
    book = load_workbook(scored_with_self)
    assert book.sheetnames[:3] == ["结果", "明细", "自查对照"]
    rows = sheet_rows(scored_with_self, "明细")
    results = {row["支部编号"]: row for row in sheet_rows(scored_with_self, "结果")}
    labels = {area.id: area.label for area in default_rubric.checklist.areas}
    for branch_id in ("B01", "B02", "003"):
        mine = [row for row in rows if row["支部编号"] == branch_id]
        # one row per item, one 小计 per area, 基础分合计 and 考核总分
        assert len(mine) == len(default_rubric.items) + len(labels) + 2
        subtotals = []
        for area_id, label in labels.items():
            items = [r for r in mine if r["目标/领域"] == label and not r["指标"].startswith("小计")]
            assert [r["指标"].split()[0] for r in items] == [i.id for i in default_rubric.items if i.area == area_id]
            (subtotal,) = [r for r in mine if r["指标"] == f"小计：{label}"]
            assert close(sum(r["得分"] or 0 for r in items), subtotal["得分"])
            assert close(sum(r["满分"] or 0 for r in items), subtotal["满分"])
            subtotals.append(subtotal)
        (base,) = [r for r in mine if r["指标"] == "基础分合计"]
        assert close(sum(r["得分"] for r in subtotals), base["得分"])
        assert close(base["满分"], 100)
        total = mine[-1]
        assert total["指标"] == "考核总分（自查总分）"
        organisation = results[branch_id]["组织评定"]
        assert (total["得分"] is None) == (organisation is None)
        if organisation is not None:  # the 组织评定 of the 结果 sheet, and here the sum of the points
            assert close(total["得分"], organisation) and close(total["得分"], base["得分"])
    # every item row's 计算过程 ends with the 得分 it stands beside
    b02 = [r for r in rows if r["支部编号"] == "B02" and r["指标"].split()[0] in {i.id for i in default_rubric.items}]
    for row in b02:
        assert f"得{row['得分']:g}分" in row["计算过程"], row
    # the unscored item of 003 is said so, and its 得分 left empty
    (s1,) = [r for r in rows if r["支部编号"] == "003" and r["指标"].startswith("s1 ")]
    assert s1["得分"] is None and s1["计算过程"] == "未填写：缺项，组织评定未完成"
    assert rows[-1]["支部编号"] == "003" and rows[-1]["计算过程"].startswith("未完成：s1 未评分")


def test_self_scores_beside_the_assessed_ones_and_empty_without_a_self_assessment(scored_with_self):
    rows = sheet_rows(scored_with_self, "明细")
    (s1,) = [r for r in rows if r["支部编号"] == "B01" and r["指标"].startswith("s1 ")]
    assert (s1["得分"], s1["自查分"], s1["差（考核−自查）"]) == (5, 4, 1)
    (y7,) = [r for r in rows if r["支部编号"] == "B01" and r["指标"].startswith("y7 ")]
    assert (y7["自查分"], y7["差（考核−自查）"]) == (3.5, y7["得分"] - 3.5)
    b02 = [r for r in rows if r["支部编号"] == "B02"]
    assert all(r["自查分"] is None and r["差（考核−自查）"] is None for r in b02)
    assert b02[-1]["计算过程"].endswith("未提交自评，无自查分")
    compare = {row["支部编号"]: row for row in sheet_rows(scored_with_self, "自查对照")}
    assert compare["B02"]["自查总分"] is None and compare["B02"]["说明"] == "未提交自评，无自查分"
    b01 = compare["B01"]
    # 自查总分 by the scoring's rule: blank 自查分 count 0 — here 4 + 3.5
    assert (b01["自查总分"], b01["考核总分"]) == (7.5, 100)
    assert b01["差（考核−自查）"] == 92.5
    assert "s2" in b01["说明"] and "s1" not in b01["说明"].split(" ")[0].split("、")
    # shown with the project's number formats
    sheet = load_workbook(scored_with_self)["自查对照"]
    assert sheet["C2"].number_format == "0.00"


def test_a_self_score_column_is_optional_and_checked_by_cell(sample_workbook, default_rubric, edit_workbook):
    # Without any 自查分, the workbook reads as before (no self columns kept).
    assert not [c for c in read_workbook(sample_workbook, default_rubric).org.columns if c.startswith("self:")]
    # A valid one is kept as points.
    edit_workbook(sample_workbook, [("组织评定", 3, "s1 自查分", "4.5")])
    org = read_workbook(sample_workbook, default_rubric).org
    assert org["self:s1"].tolist()[1] == 4.5 and org["self:s1"].isna().tolist() == [True, False, True]
    # One above the item's points, or a word, is refused where it is.
    edit_workbook(sample_workbook, [("组织评定", 2, "s1 自查分", 9), ("组织评定", 4, "y7 自查分", "满分")])
    with pytest.raises(WorkbookError) as caught:
        read_workbook(sample_workbook, default_rubric)
    assert [str(p) for p in caught.value.problems] == [
        "sample.xlsx 工作表“组织评定”第2行“s1 自查分”列：填写了“9”，应为0到5之间的数",
        "sample.xlsx 工作表“组织评定”第4行“y7 自查分”列：填写了“满分”，应为0到6之间的数",
    ]


def test_a_workbook_without_the_self_score_columns_still_reads(sample_workbook, default_rubric):
    book = load_workbook(sample_workbook)
    sheet = book["组织评定"]
    headers = [c.value for c in sheet[1]]
    first = next(i for i, h in enumerate(headers) if h.endswith("自查分"))
    sheet.delete_cols(first + 1, len(headers) - first)
    book.save(sample_workbook)
    inputs = read_workbook(sample_workbook, default_rubric)
    assert [i.id for i in default_rubric.items] == [c for c in inputs.org.columns][2:]


def test_subtotals_walk_nested_areas(sample_inputs, default_rubric):
    # Given areas two levels deep (a 项目 under a 目标): s1, s2 in "setting_a" under "setting"
    areas = (
        *default_rubric.checklist.areas,
        SimpleNamespace(id="setting_a", label="支部设置", parent="setting", source=""),
    )
    items = tuple(
        item.model_copy(update={"area": "setting_a"}) if item.id in ("s1", "s2") else item
        for item in default_rubric.checklist.items
    )
    checklist = default_rubric.checklist.model_copy(update={"areas": areas, "items": items})
    rubric = default_rubric.model_copy(update={"checklist": checklist})
    results = score(rubric, sample_inputs, year=2025)
    kinds = dict(zip(sample_inputs.branches["branch_id"], sample_inputs.branches["kind"], strict=True))
    detail = detail_tables(results, lambda _b: rubric, sample_inputs.org, kinds, {})["明细"]
    b02 = detail[detail["支部编号"] == "B02"].reset_index(drop=True)
    labels = b02["指标"].tolist()
    # an area's own items first, then each child area with its 小计, then the area's 小计 over all of them
    start = labels.index("s3 按期换届")
    assert labels[start : start + 5] == [
        "s3 按期换届",
        "s1 支部设置规范",
        "s2 支部委员会设置",
        "小计：支部设置",
        "小计：规范基本设置",
    ]
    own, first, second, inner, outer = (b02.loc[start + k] for k in range(5))
    assert inner["目标/领域"] == "规范基本设置 / 支部设置"
    assert close(inner["得分"], first["得分"] + second["得分"])
    assert close(outer["得分"], inner["得分"] + own["得分"])
    assert close(outer["满分"], 15)
    assert outer["计算过程"].startswith(f"{own['得分']:g} + {inner['得分']:g} = ")


def test_export_puts_the_submitted_self_assessment_beside_the_assessed_points(
    capsys, database_url, sample_workbook, default_rubric, tmp_path
):
    # Given the workbook imported, then B01 submitting its self-assessment (s1: 4) from its own page
    assert run(capsys, "import", sample_workbook, "--database", database_url, "--year", 2025)[0] == 0
    with Store(database_url, rubric=default_rubric) as store:
        payload = blank_payload(default_rubric)
        payload["org"]["items"]["s1"]["value"] = "4"
        session = store.access.open_session(store.access.issue("B01", 2025, by="管理员").code)
        session.apply(payload)
    # When exported
    out = tmp_path / "导出.xlsx"
    code, _, err = run(capsys, "export", "--out", out, "--database", database_url)
    assert code == 0, err
    # Then B01's 自查分 stands beside its points, and the others say they have none
    rows = sheet_rows(out, "明细")
    (s1,) = [r for r in rows if r["支部编号"] == "B01" and r["指标"].startswith("s1 ")]
    assert (s1["得分"], s1["自查分"], s1["差（考核−自查）"]) == (5, 4, 1)
    compare = {row["支部编号"]: row for row in sheet_rows(out, "自查对照")}
    assert (compare["B01"]["自查总分"], compare["B01"]["考核总分"], compare["B01"]["差（考核−自查）"]) == (4, 100, 96)
    assert compare["B02"]["自查总分"] is None and compare["B02"]["说明"] == "未提交自评，无自查分"


BONUS_ITEMS = """
  - {id: b1, label: 获得市级表彰, area: role, kind: points, points: 3, bonus: true, bonus_group: honours,
     description: 加3分, advice: 争创, source: 测试}
  - {id: b2, label: 获得区级表彰, area: role, kind: points, points: 2, bonus: true, bonus_group: honours,
     description: 加2分, advice: 争创, source: 测试}
  - {id: b3, label: 党建特色品牌, area: role, kind: level, points: 2, levels: [{label: 有, points: 2}, {label: 无, points: 0}],
     bonus: true, description: 加2分, advice: 打造品牌, source: 测试}
"""


def test_bonus_not_cumulative_capped_and_the_total_cap_are_explained(sample_inputs):
    from assessment.rubric import load_rubric_texts, read_rubric_texts

    texts = dict(read_rubric_texts()[0])
    default = "bonus:\n  cap: null\n  total_cap: 100\n  groups: []\n"
    block = "bonus:\n  cap: 3\n  total_cap: 100\n  groups:\n    - {id: honours, label: 表彰奖励, source: 测试}\n"
    texts["checklist.yaml"] = texts["checklist.yaml"].replace(default, block).rstrip("\n") + "\n" + BONUS_ITEMS
    rubric = load_rubric_texts(texts)
    # Given B01 with full marks, both honours (not cumulative: 3) and a brand (2): 5, capped at 3
    org = sample_inputs.org.assign(b1=[3.0, None, None], b2=[2.0, None, None], b3=["有", None, None])
    inputs = sample_inputs
    inputs.org = org
    results = score(rubric, inputs, year=2025)
    kinds = dict(zip(inputs.branches["branch_id"], inputs.branches["kind"], strict=True))
    detail = detail_tables(results, lambda _b: rubric, org, kinds, {})["明细"]
    b01 = detail[detail["支部编号"] == "B01"].set_index("指标")
    bonus = b01.loc["加分"]
    assert bonus["得分"] == 3 == results.branches.at["B01", "bonus"]
    assert "获得市级表彰3分（表彰奖励不累计，取最高一项）" in bonus["计算过程"]
    assert bonus["计算过程"].endswith("合计5分，超过加分上限3分，按3分计：加3分")
    total = b01.loc["考核总分（自查总分）"]
    assert total["得分"] == results.branches.at["B01", "org"] == 100
    assert total["计算过程"].startswith(
        "基础分合计100分 + 加分3分 = 103分，超过总分上限100分，按100分计：考核总分100分"
    )
    # the bonus items stand in their area, outside its 小计
    assert b01.loc["b2 获得区级表彰（加分项）", "计算过程"] == "考评人打分：加2分（加分项，本项最多2分）"
    assert "加分项不计入" in b01.loc["小计：发挥基本作用", "计算过程"]
    # a blank bonus item adds nothing and is said so
    b02 = detail[detail["支部编号"] == "B02"].set_index("指标")
    assert b02.loc["b1 获得市级表彰（加分项）", "计算过程"] == "未填写：加分项空白按不加分计"
