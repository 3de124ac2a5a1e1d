"""``assessment rubric import``: a street's 评分细则 workbook read into a rubric draft in points.

Five sheets of different shapes (tests/rubric_sheets.py): each row recognised to the right kind and
numbers, unread rows listed with their sheet, row and text, points added up per level.
"""

from __future__ import annotations

import shutil
from fractions import Fraction

import pytest
import rubric_sheets
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from assessment.cli import main
from assessment.rubric import DEFAULT_RUBRIC_DIR
from assessment.rubric.importer import REPORT_NAME, SheetImportError, header_role, read_sheets
from assessment.rubric.phrasing import Recognised, Unreadable, recognise

F = Fraction


def _items(result) -> dict[str, tuple]:
    """label → (kind, points, fields, area label, bonus)."""
    return {i.label: (i.kind, i.points, i.fields, result.area(i.area).label, i.bonus) for i in result.items}


def _levels(*pairs) -> dict:
    return {"levels": [{"label": label, "points": F(points)} for label, points in pairs]}


# ------------------------------------------------------------------ the five sheets
def test_merged_levels_sheet(tmp_path):
    result = read_sheets(rubric_sheets.merged_levels(tmp_path / "细则.xlsx"))

    assert result.sheets == [("考核细则", 3)]
    areas = {a.label: (a.points, a.parent and result.area(a.parent).label) for a in result.areas}
    assert areas == {
        "组织建设": (16, None),
        "班子建设": (8, "组织建设"),
        "组织生活": (8, "组织建设"),
        "基础保障": (14, None),
        "台账资料": (6, "基础保障"),
    }
    items = _items(result)
    assert items["按单位设置党支部"] == ("points", 4, {}, "班子建设", False)
    assert items["按期换届"] == ("level", 2, _levels(("达到要求", 2), ("未按期换届", 0)), "班子建设", False)
    assert items["班子团结"] == ("level", 2, _levels(("好", 2), ("一般", "1.5"), ("不好", 0)), "班子建设", False)
    assert items["党员大会每季度召开1次"] == ("count_shortfall", 2, {"target": 4, "per": F(1, 2)}, "组织生活", False)
    assert items["党课全年不少于4次"][:3] == ("count_shortfall", 2, {"target": 4, "per": F(1, 2)})
    assert items["党员参加组织生活出勤率"][:3] == (
        "rate_steps",
        4,
        {"target": 90, "step": 10, "per": 1, "partial": "floor"},
    )
    assert items["三本"][:3] == (
        "evidence_deduction",
        3,
        {"per": 1, "evidence": ["会议记录本", "党小组记录本", "学习笔记本"]},
    )
    assert items["各类档案盒分类归档"][:3] == ("deduction", 3, {"per": 1})
    # A 项目 of a single row is the item itself (its label and points), under the 目标.
    rules = [{"id": "r1", "label": "未设活动室", "per": 4}, {"id": "r2", "label": "缺党旗", "per": 2}]
    rules.append({"id": "r3", "label": "缺1块展板", "per": 1})
    assert items["阵地建设"] == ("multi_deduction", 8, {"rules": rules}, "基础保障", False)
    assert [i.source for i in result.items][:2] == [
        "细则.xlsx 工作表 考核细则 第4行",
        "细则.xlsx 工作表 考核细则 第5行",
    ]
    assert result.unread == []
    assert {a.label: result.area_sum(a.id) for a in result.areas} == {
        "组织建设": 16,
        "班子建设": 8,
        "组织生活": 8,
        "基础保障": 14,
        "台账资料": 6,
    }
    assert result.total_points() == 30 == result.base_total()  # the title's （30分）
    assert result.mismatches() == []
    assert any("partial: floor" in note for note in result.notes)  # the sheet leaves the partial step open


def test_points_in_text_sheet_with_bonus_and_veto(tmp_path):
    result = read_sheets(rubric_sheets.points_in_text(tmp_path / "评分表.xlsx"))

    assert result.sheets == [("评分表", 1)]
    items = _items(result)
    assert items["主题党日"] == ("count_shortfall", 4, {"target": 12, "per": F(1, 2)}, "组织生活", False)
    assert items["谈心谈话"] == ("level", 3, _levels(("好", 3), ("一般", 2), ("差", 0)), "组织生活", False)
    assert items["组织生活会"] == ("level", 3, _levels(("达到要求", 3), ("未达到", 0)), "组织生活", False)
    steps = {"steps": [{"at": 5, "points": 1}, {"at": 10, "points": 2}]}
    assert items["信息宣传"] == ("stepped", 2, steps, "加分项", True)
    assert items["发生严重违纪违法问题"] == ("flag", 0, {"flag_label": "发生严重违纪违法问题"}, "否决项", False)
    # Under the 否决项 heading a bare condition is a veto too.
    assert items["支部书记受到党纪处分"] == ("flag", 0, {"flag_label": "支部书记受到党纪处分"}, "否决项", False)
    assert [i.cap for i in result.items if i.kind == "flag"] == ["veto", "veto"]
    # The 加分项 and 否决项 are outside the sums: the total is the 组织生活 area's 10 points.
    assert result.total_points() == 10 == result.base_total()
    assert result.mismatches() == []


def test_word_like_sheet_lists_the_unread_row(tmp_path):
    result = read_sheets(rubric_sheets.word_like(tmp_path / "标准.xlsx"))

    assert result.sheets == [("Sheet1", 2)]
    assert [(a.label, a.points, a.parent) for a in result.areas] == [("组织建设", 10, None), ("作用发挥", 10, None)]
    items = _items(result)
    assert items["支部设置"] == ("points", 4, {}, "组织建设", False)
    assert items["发展党员"] == ("deduction", 6, {"per": 1}, "组织建设", False)
    assert items["志愿服务"][:3] == ("rate_steps", 6, {"target": 80, "step": 10, "per": 2, "partial": "ceil"})
    [unread] = result.unread
    assert (unread.sheet, unread.row, unread.points) == ("Sheet1", 8, 4)
    assert "中心工作（4分）：围绕中心工作开展活动，工作有亮点" in unread.text
    assert str(unread).startswith("工作表“Sheet1”第8行（4分）：没有识别出计分方式")
    # The unread row leaves its level short: named with both numbers.
    assert result.area_sum(result.areas[1].id) == 6
    assert result.mismatches() == [
        "“作用发挥”（标准.xlsx 工作表 Sheet1 第6行）标为10分，已读出的下级合计6分",
        "总分应为20分，已读出的基础指标合计16分",
    ]


def test_two_sheets_with_subtotal_rows(tmp_path):
    result = read_sheets(rubric_sheets.two_sheets(tmp_path / "细则.xlsx"))

    assert result.sheets == [("基础指标", 2), ("加分与否决", 1), ("说明", None)]
    items = _items(result)
    rules = [{"id": "r1", "label": "未按月收缴", "per": 1}, {"id": "r2", "label": "台账不清", "per": 1}]
    assert items["党费收缴"] == ("multi_deduction", 3, {"rules": rules}, "党员管理", False)
    assert items["党员教育"][:3] == ("count_shortfall", 3, {"target": 12, "per": F(1, 2)})
    assert items["流动党员管理"][:3] == ("deduction", 3, {"per": F(1, 2)})
    assert items["获得区级以上表彰"] == ("stepped", 2, {"steps": [{"at": 1, "points": 2}]}, "加分项", True)
    assert items["班子成员违纪"][:3] == ("flag", 0, {"flag_label": "班子成员受到党纪处分"})
    assert next(i for i in result.items if i.kind == "flag").cap == "优秀"
    assert result.area(result.items[0].area).points == 9  # from the subtotal row
    assert result.total_points() == 9 == result.base_total()  # the 合计 row
    assert result.unread == [] and result.mismatches() == []


def test_points_merged_over_the_project(tmp_path):
    result = read_sheets(rubric_sheets.points_merged_above(tmp_path / "细则.xlsx"))

    assert result.sheets == [("细则", 4)]
    assert [(a.label, a.points) for a in result.areas] == [("规范组织生活", 6), ("作风建设", 4)]
    items = _items(result)
    assert items["支委会每月召开1次"][:3] == ("count_shortfall", 2, {"target": 12, "per": F(1, 2)})
    assert items["主题党日"][:3] == ("count_shortfall", 2, {"target": 12, "per": F(1, 2)})
    assert items["民主评议党员"][:3] == ("level", 2, _levels(("达到要求", 2), ("未达到", 0)))
    assert items["廉洁自律"][:3] == ("points", 2, {})
    # The 分值 cell belongs to the project: the row without "（N分）" of its own cannot be given points.
    [unread] = result.unread
    assert (unread.row, unread.reason, unread.points) == (8, "扣分项，但没有找到本项分值", None)
    assert unread.text == "党员违纪情况；党员受到党纪处分的，每人次扣2分"
    assert {a.label: result.area_sum(a.id) for a in result.areas} == {"规范组织生活": 6, "作风建设": 2}


def test_two_row_header_without_levels(tmp_path):
    result = read_sheets(rubric_sheets.two_row_header(tmp_path / "考核表.xlsx"))

    assert result.sheets == [("考核表", 2)]
    # No level columns: the sheet is the one area; the sub-header and the repeated header are not items.
    assert [(a.label, a.points) for a in result.areas] == [("考核表", None)]
    assert [(i.label, i.kind, i.points, i.fields, i.methods) for i in result.items] == [
        (
            "党员花名册、组织关系介绍信存根、党费收缴台账齐全",
            "evidence_deduction",
            3,
            {"per": 1, "evidence": ["党员花名册", "组织关系介绍信存根", "党费收缴台账"]},
            ["查阅台账"],
        ),
        ("党员先锋作用发挥", "level", 3, _levels(("好", 3), ("一般", 2), ("差", 1)), ["走访群众"]),
        (
            "党员志愿服务参与率",
            "rate_steps",
            4,
            {"target": 100, "step": 20, "per": 1, "partial": "prorate"},
            ["查阅资料"],
        ),
    ]
    assert [i.source for i in result.items] == [f"考核表.xlsx 工作表 考核表 第{row}行" for row in (4, 5, 7)]
    assert result.total_points() == 10 and result.unread == [] and result.mismatches() == []


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("考核内容", "content"),
        ("考核 项目", "level"),
        ("分值（分）", "points"),
        ("分数", "points"),
        ("评分标准及扣分办法", "criteria"),
        ("扣分标准", "criteria"),
        ("检查方式", "method"),
        ("自查得分", "ignore"),
        ("某街道党支部标准化规范化建设考核细则（100分）", None),
        ("填报单位：", None),
    ],
)
def test_header_names(header, role):
    assert header_role(header) == role


# ------------------------------------------------------------------ phrasings one by one
@pytest.mark.parametrize(
    ("criteria", "content", "points", "kind", "fields"),
    [
        ("每缺一项扣1分，扣完为止", "", 4, "deduction", {"per": 1}),
        ("每缺2项扣1分", "", 4, "deduction", {"per": F(1, 2)}),
        ("少一次扣0.5分", "党课全年4次", 2, "count_shortfall", {"target": 4, "per": F(1, 2)}),
        ("每半年召开1次，少一次扣1分", "", 2, "count_shortfall", {"target": 2, "per": 1}),
        ("低于95%的，每低5个百分点扣0.5分，不足5个百分点不扣", "", 2, "rate_steps",
         {"target": 95, "step": 5, "per": F(1, 2), "partial": "floor"}),
        ("较好的扣1分，一般的扣2分，较差的不得分", "", 4, "level",
         {"levels": [{"label": "好", "points": 4}, {"label": "较好", "points": 3}, {"label": "一般", "points": 2},
                     {"label": "较差", "points": 0}]}),
        ("每报送1篇信息加0.5分，最高加2分", "", None, "stepped",
         {"steps": [{"at": n, "points": F(n, 2)} for n in range(1, 5)]}),
        ("酌情扣分", "", 3, "points", {}),
        ("好的计3分，一般的计2分，差的计0分", "", 3, "level",
         {"levels": [{"label": "好", "points": 3}, {"label": "一般", "points": 2}, {"label": "差", "points": 0}]}),
        ("未建立党员联系群众制度的不得分", "", 2, "level",
         {"levels": [{"label": "达到要求", "points": 2}, {"label": "未建立党员联系群众制度", "points": 0}]}),
    ],
)  # fmt: skip
def test_phrasings(criteria, content, points, kind, fields):
    found = recognise(criteria, content, None if points is None else F(points))
    assert isinstance(found, Recognised)
    assert (found.kind, found.fields) == (kind, fields)


@pytest.mark.parametrize(
    ("criteria", "points", "reason"),
    [
        ("支委会每月1次、党员大会每季度1次，少一次扣0.5分", 2, "按次数扣分，但写了几种次数，无法确定应有次数"),
        ("少一次扣0.5分", 2, "按次数扣分，但没有写明应有次数（如 每季度1次、全年4次）"),
        ("每发现一处问题扣1分", None, "扣分项，但没有找到本项分值"),
        ("工作有特色，群众认可", 2, "没有识别出计分方式"),
        ("每加入1个志愿队加1分", None, "按次数累计加分，但没有写明最高加几分（封顶）"),
        (
            "发生安全事故的扣2分，情节严重的一票否决",
            4,
            "同一格中既有否决又有扣分或加分，请拆成一个否决项和一个计分的指标",
        ),
    ],
)
def test_unreadable_phrasings_say_why(criteria, points, reason):
    assert recognise(criteria, "", None if points is None else F(points)) == Unreadable(reason)


def test_a_bare_condition_under_a_veto_heading_is_a_veto():
    assert recognise("发生严重违纪违法问题的") == Unreadable("没有识别出计分方式")
    veto = recognise("发生严重违纪违法问题的", veto_section=True)
    assert (veto.kind, veto.fields, veto.cap) == ("flag", {"flag_label": "发生严重违纪违法问题"}, "veto")


def test_a_veto_names_its_condition_and_the_grade():
    veto = recognise("凡发生重大安全责任事故的，实行一票否决")
    cap = recognise("党员受到刑事处罚的，当年不得评为一类")
    assert (veto.kind, veto.fields["flag_label"], veto.cap) == ("flag", "发生重大安全责任事故", "veto")
    assert (cap.kind, cap.fields["flag_label"], cap.cap) == ("flag", "党员受到刑事处罚", "一类")


# ------------------------------------------------------------------ the command
def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_command_writes_the_draft_and_the_report(capsys, tmp_path):
    sheet = rubric_sheets.word_like(tmp_path / "细则.xlsx")
    out = tmp_path / "新标准"

    code, printed, _ = run(capsys, "rubric", "import", sheet, "--out", out)

    assert code == 0
    assert "工作表“Sheet1”第8行（4分）：没有识别出计分方式。原文：4．中心工作（4分）" in printed
    assert "有 1 行未能识别" in printed
    report = (out / REPORT_NAME).read_text(encoding="utf-8")
    assert "工作表“Sheet1”第8行（4分）" in report and "“作用发挥”" in report and "rubric check" in report
    yaml = YAML(typ="safe")
    checklist = yaml.load((out / "checklist.yaml").read_text(encoding="utf-8"))
    assert checklist["total_points"] == 20
    assert checklist["areas"] == [
        {"id": "a1", "label": "组织建设", "points": 10, "source": "细则.xlsx 工作表 Sheet1 第3行"},
        {"id": "a2", "label": "作用发挥", "points": 10, "source": "细则.xlsx 工作表 Sheet1 第6行"},
    ]
    first = checklist["items"][0]
    assert {k: first[k] for k in ("id", "label", "area", "kind", "points", "source")} == {
        "id": "i1",
        "label": "支部设置",
        "area": "a1",
        "kind": "points",
        "points": 4,
        "source": "细则.xlsx 工作表 Sheet1 第4行",
    }
    assert "max" not in first and "weight" not in first
    assert checklist["items"][2]["partial"] == "ceil"
    assert "第8行" in (out / "checklist.yaml").read_text(encoding="utf-8")  # the unread row as a comment
    meta = yaml.load((out / "meta.yaml").read_text(encoding="utf-8"))
    assert meta["name"] == "细则（导入草稿）" and meta["version"].startswith("导入草稿-")
    assert f"（草稿为 {meta['version']}）" in report
    assert sorted(p.name for p in tmp_path.iterdir()) == ["新标准", "细则.xlsx"]  # no temporary left


def test_command_writes_grade_caps_for_the_flags(capsys, tmp_path):
    out = tmp_path / "草稿"
    code, _, _ = run(capsys, "rubric", "import", rubric_sheets.two_sheets(tmp_path / "细则.xlsx"), "--out", out)

    assert code == 0
    eligibility = YAML(typ="safe").load((out / "eligibility.yaml").read_text(encoding="utf-8"))
    assert eligibility["grade_caps"] == [
        {
            "id": "cap_i5",
            "label": "班子成员受到党纪处分",
            "max_grade": "良好",
            "any_of": [{"type": "item_flag", "item": "i5"}],
            "source": "细则.xlsx 工作表 加分与否决 第3行；选择：“不得评为优秀”写为等次最高只能评到良好",
            "choice": True,
        }
    ]
    items = YAML(typ="safe").load((out / "checklist.yaml").read_text(encoding="utf-8"))["items"]
    assert [(i["kind"], i.get("bonus", False)) for i in items][-2:] == [("stepped", True), ("flag", False)]


def test_command_refuses_a_non_empty_out(capsys, tmp_path):
    out = tmp_path / "已有"
    out.mkdir()
    (out / "checklist.yaml").write_text("旧内容", encoding="utf-8")

    code, _, err = run(capsys, "rubric", "import", rubric_sheets.merged_levels(tmp_path / "细则.xlsx"), "--out", out)

    assert code == 2
    assert "已是一个非空目录" in err and "不会覆盖" in err
    assert [p.name for p in out.iterdir()] == ["checklist.yaml"]
    assert (out / "checklist.yaml").read_text(encoding="utf-8") == "旧内容"


def test_command_fills_an_empty_out(capsys, tmp_path):
    out = tmp_path / "空目录"
    out.mkdir()
    code, _, _ = run(capsys, "rubric", "import", rubric_sheets.merged_levels(tmp_path / "细则.xlsx"), "--out", out)
    assert code == 0 and (out / "checklist.yaml").is_file() and (out / REPORT_NAME).is_file()


def test_command_says_where_it_cannot_write(capsys, tmp_path):
    blocker = tmp_path / "文件.txt"
    blocker.write_text("", encoding="utf-8")
    sheet = rubric_sheets.merged_levels(tmp_path / "细则.xlsx")

    code, _, err = run(capsys, "rubric", "import", sheet, "--out", blocker / "草稿")

    assert code == 2 and "无法在" in err and "文件.txt" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["文件.txt", "细则.xlsx"]


def test_command_refuses_what_is_not_a_sheet(capsys, tmp_path):
    old = tmp_path / "细则.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    code, _, err = run(capsys, "rubric", "import", old, "--out", tmp_path / "草稿")
    assert code == 2 and "只能导入 .xlsx 工作簿" in err
    broken = tmp_path / "坏.xlsx"
    broken.write_text("不是工作簿", encoding="utf-8")
    code, _, err = run(capsys, "rubric", "import", broken, "--out", tmp_path / "草稿")
    assert code == 2 and "无法作为 .xlsx 工作簿打开" in err
    assert not (tmp_path / "草稿").exists()


def test_command_copies_the_other_files_from_base(capsys, tmp_path):
    base = tmp_path / "底本"
    shutil.copytree(DEFAULT_RUBRIC_DIR, base)
    meta = (base / "meta.yaml").read_text(encoding="utf-8")
    (base / "meta.yaml").write_text(meta + 'author: 李四\nnote: 调整权重\nbased_on: "2026.1"\n', encoding="utf-8")
    targets = (base / "targets.yaml").read_text(encoding="utf-8") + "# 本区的目标\n"
    (base / "targets.yaml").write_text(targets, encoding="utf-8")
    out = tmp_path / "草稿"

    code, _, _ = run(
        capsys, "rubric", "import", rubric_sheets.merged_levels(tmp_path / "细则.xlsx"), "--out", out, "--base", base
    )

    assert code == 0
    assert (out / "targets.yaml").read_text(encoding="utf-8") == targets
    draft_meta = YAML(typ="safe").load((out / "meta.yaml").read_text(encoding="utf-8"))
    assert {"author", "note", "based_on"}.isdisjoint(draft_meta)  # not true of the draft
    assert draft_meta["decimals"] == 2


def test_command_refuses_an_incomplete_base(capsys, tmp_path):
    base = tmp_path / "底本"
    base.mkdir()
    (base / "meta.yaml").write_text('version: "1"\nname: 底本\n', encoding="utf-8")
    sheet = rubric_sheets.merged_levels(tmp_path / "细则.xlsx")

    code, _, err = run(capsys, "rubric", "import", sheet, "--out", tmp_path / "草稿", "--base", base)

    assert code == 2 and "--base" in err and "checklist.yaml" in err
    assert not (tmp_path / "草稿").exists()


def test_a_workbook_without_a_header_is_refused(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "名单"
    book.active["A1"] = "支部名称"
    book.save(tmp_path / "名单.xlsx")
    with pytest.raises(SheetImportError, match="工作表 “名单” 的前30行中都没有找到表头"):
        read_sheets(tmp_path / "名单.xlsx")


# ------------------------------------------------------------------ any text
_PIECES = st.sampled_from(
    [
        "每缺", "一项", "0项", "扣", "1分", "0.5分", "0分", "少", "一次", "每月", "1次", "每季度", "全年", "4次",
        "90%", "以下", "每低", "10%", "一般的", "不好的", "不得分", "得满分", "奖", "加", "5篇", "最高", "封顶",
        "不累计", "一票否决", "不得评为", "优秀", "的", "，", "；", "。", "（2分）", "：", "酌情", "未", "否则",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_PIECES, max_size=12).map("".join),
    st.sampled_from([None, Fraction(0), Fraction(1, 2), Fraction(4)]),
)
def test_any_text_is_read_or_explained(text, points):
    """Whatever the cell says, the reader answers with a kind or a reason, and the kind's numbers hold."""
    found = recognise(text, "", points)
    assert isinstance(found, Recognised | Unreadable)
    if isinstance(found, Unreadable):
        assert found.reason
        return
    top = found.points if found.points is not None else points
    if found.kind != "flag":
        assert top is not None and top > 0
    for level in found.fields.get("levels", ()):
        assert 0 <= level["points"] <= top
    for name in ("per", "step", "target"):
        if name in found.fields:
            assert found.fields[name] > 0
    for rule in found.fields.get("rules", ()):
        assert rule["per"] > 0
    steps = found.fields.get("steps", ())
    assert [s["at"] for s in steps] == sorted({s["at"] for s in steps})
    assert all(s["at"] > 0 and s["points"] > 0 for s in steps)
