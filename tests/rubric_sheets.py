"""Street scoring sheets (评分细则) of different shapes, for the rubric import tests.

Written by the team in its own words after the shapes of published 考核细则 (no text is copied): a
title above the header, merged cells for the levels, points in a column or in the text, a sheet
copied from Word with one 评分标准 column, two sheets plus a notes sheet, subtotal rows. Each
builder saves a workbook at the given path and returns it.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook


def _put(sheet, rows: dict[int, list], merges: tuple[str, ...] = ()) -> None:
    for row, values in rows.items():
        for column, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(row=row, column=column, value=value)
    for cells in merges:
        sheet.merge_cells(cells)


def merged_levels(path: Path) -> Path:
    """目标 → 项目 → 细则 as merged cells, points in the 分值 column, title rows above the header."""
    book = Workbook()
    sheet = book.active
    sheet.title = "考核细则"
    _put(
        sheet,
        {
            1: ["某街道党支部标准化规范化建设考核细则（30分）"],
            3: ["考核目标", "考核项目", "考核内容", "分值", "评分标准", "考核方式"],
            4: [
                "组织建设（16分）",
                "班子建设（8分）",
                "按单位设置党支部，隶属关系明确",
                4,
                "视设置情况酌情扣分",
                "查看文件",
            ],
            5: [None, None, "按期换届，委员分工明确", 2, "未按期换届的扣2分", "查看文件、会议记录"],
            6: [None, None, "班子团结，议事规范", 2, "一般的扣0.5分、不好的不得分", "走访"],
            7: [None, "组织生活（8分）", "党员大会每季度召开1次", 2, "少一次扣0.5分，扣完为止", "会议记录"],
            8: [None, None, "党课全年不少于4次", 2, "每少一次扣0.5分", "会议记录"],
            9: [None, None, "党员参加组织生活出勤率", 4, "出勤率90%以下每低10%扣1分", "查阅资料"],
            10: [
                "基础保障（14分）",
                "台账资料（6分）",
                "三本：会议记录本、党小组记录本、学习笔记本",
                3,
                "每缺一项扣1分，扣完为止",
                "查阅资料",
            ],
            11: [None, None, "各类档案盒分类归档", 3, "每缺一项扣1分，扣完为止", "查阅资料"],
            12: [
                None,
                "阵地建设（8分）",
                "党员活动室一牌一旗三板",
                8,
                "未设活动室的扣4分；缺党旗的扣2分；每缺一块展板扣1分",
                "实地查看",
            ],
        },
        ("A1:F1", "A4:A9", "B4:B6", "B7:B9", "A10:A12", "B10:B11"),
    )
    book.save(path)
    return path


def points_in_text(path: Path) -> Path:
    """Header on row 1, no 分值 column (points in the text), the level repeated on each row, and a
    加分项 and a 否决项."""
    book = Workbook()
    sheet = book.active
    sheet.title = "评分表"
    _put(
        sheet,
        {
            1: ["考核项目", "评分细则", "检查方式"],
            2: ["组织生活（10分）", "1.主题党日（4分）：每月开展1次，少一次扣0.5分", "查看记录"],
            3: ["组织生活（10分）", "2.谈心谈话（3分）：一般的扣1分，差的不得分", "个别访谈"],
            4: ["组织生活（10分）", "3.组织生活会（3分）：按要求召开的得3分，否则不得分", "查看记录"],
            5: ["加分项", "信息宣传：在区级以上媒体发表信息5篇奖1分、10篇奖2分，不累计", "查阅资料"],
            6: ["否决项", "发生严重违纪违法问题的，实行一票否决", "查阅资料"],
            7: ["否决项", "支部书记受到党纪处分的", "查阅资料"],
        },
    )
    book.save(path)
    return path


def word_like(path: Path) -> Path:
    """Copied from a Word document: one 评分标准 column with numbered headings and items."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    _put(
        sheet,
        {
            1: ["社区党支部考核评分标准"],
            2: ["评分标准"],
            3: ["一、组织建设（10分）"],
            4: ["1．支部设置（4分）：正式党员3人以上单独成立党支部，视设置情况酌情扣分。"],
            5: ["2．发展党员（6分）：发展党员程序规范，每发现一处问题扣1分。"],
            6: ["二、作用发挥（10分）"],
            7: ["3．志愿服务（6分）：党员参与志愿服务比例达到80%以上，每低10%扣2分，不足10%按10%扣。"],
            8: ["4．中心工作（4分）：围绕中心工作开展活动，工作有亮点。"],
        },
    )
    book.save(path)
    return path


def two_sheets(path: Path) -> Path:
    """Two scored sheets and a notes sheet: 一级指标 with a subtotal row, 二级指标 per row as labels,
    a 合计 row, then a sheet of bonus and veto rows."""
    book = Workbook()
    base = book.active
    base.title = "基础指标"
    _put(
        base,
        {
            1: ["2025年度党支部考核细则"],
            2: ["序号", "一级指标", "二级指标", "分数", "扣分标准", "自查分", "备注"],
            3: [None, "党员管理", None, 9, None],
            4: [1, None, "党费收缴", 3, "未按月收缴的扣1分；台账不清的扣1分"],
            5: [2, None, "党员教育", 3, "每年集中学习不少于12次，每少1次扣0.5分"],
            6: [3, None, "流动党员管理", 3, "每缺一人联系记录扣0.5分"],
            7: ["合计", None, None, 9],
        },
        ("A1:G1",),
    )
    extra = book.create_sheet("加分与否决")
    _put(
        extra,
        {
            1: ["项目", "内容", "分值", "评分标准"],
            2: ["加分项", "获得区级以上表彰", 2, "获得区级以上表彰的奖2分，不累计"],
            3: ["否决项", "班子成员违纪", None, "班子成员受到党纪处分的，当年不得评为优秀"],
        },
    )
    notes = book.create_sheet("说明")
    _put(notes, {1: ["本细则由街道党工委负责解释。"]})
    book.save(path)
    return path


def points_merged_above(path: Path) -> Path:
    """The 分值 column merged over each 项目 (the project's points), items' points in the content
    text; two title lines above the header; one row whose points cannot be found."""
    book = Workbook()
    sheet = book.active
    sheet.title = "细则"
    _put(
        sheet,
        {
            1: ["党支部规范化建设评分细则"],
            2: ["填报单位：            填报日期："],
            4: ["考核项目", "考核内容", "分值", "评分标准", "考核方式"],
            5: ["规范组织生活", "支委会每月召开1次（2分）", 6, "少开一次扣0.5分", "会议记录"],
            6: [None, "主题党日（2分）", None, "每月1次，缺一次扣0.5分", "会议记录"],
            7: [None, "民主评议党员（2分）", None, "每年开展1次，完成的得2分，否则不得分", "查阅资料"],
            8: ["作风建设", "党员违纪情况", 4, "党员受到党纪处分的，每人次扣2分", "查阅资料"],
            9: [None, "廉洁自律（2分）", None, "根据日常表现综合评定", "走访"],
        },
        ("A5:A7", "C5:C7", "A8:A9", "C8:C9"),
    )
    book.save(path)
    return path


def two_row_header(path: Path) -> Path:
    """A header over two rows (得分 split into 自查分 / 考核分), no level columns, synonyms for every
    column name, points as text in the 分值 column, and the header repeated on a later page."""
    book = Workbook()
    sheet = book.active
    sheet.title = "考核表"
    _put(
        sheet,
        {
            1: ["机关党支部年度考核评分表"],
            2: ["序号", "考核要点", "分数", "评分办法", "检查方法", "得分"],
            3: [None, None, None, None, None, "自查分", "考核分"],
            4: [1, "党员花名册、组织关系介绍信存根、党费收缴台账齐全", "3分", "每缺一项扣1分", "查阅台账"],
            5: [2, "党员先锋作用发挥", "３分", "好的得3分，一般的得2分，差的得1分", "走访群众"],
            6: ["序号", "考核要点", "分数", "评分办法", "检查方法", "得分"],
            7: [3, "党员志愿服务参与率", 4, "参与率100%，每低20%扣1分，不足20%的按比例扣分", "查阅资料"],
        },
        ("A1:G1", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:G2"),
    )
    book.save(path)
    return path


SHEETS = {
    "merged_levels": merged_levels,
    "points_in_text": points_in_text,
    "word_like": word_like,
    "two_sheets": two_sheets,
    "points_merged_above": points_merged_above,
    "two_row_header": two_row_header,
}
