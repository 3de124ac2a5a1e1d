"""What every sheet of the input workbook holds, column by column.

One description serves three readers: the template (headers, drop-downs, the 说明
sheet), the reader (what a cell may contain and the message when it does not) and
the writer of input workbooks. Headers come from :func:`assessment.inputs.frames.sheet_columns`,
the contract, so the layout can never drift from the frames scoring reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ...rubric import Rubric, format_fraction, format_percent
from ...rubric.model import EVIDENCE_MARKS, TermRule
from ..frames import (
    MONTHS,
    OPTIONAL_BRANCH_COLUMNS,
    OPTIONAL_SHEETS,
    SELF_SCORE_HEADER,
    SHEET_NAMES,
    item_input_columns,
    self_score_key,
    sheet_columns,
)

# 支部类型: the 支部工作条例 distinguishes 村/社区 (5-year terms) from the rest; the others are
# the usual kinds of unit a street's branches sit in.
BRANCH_KINDS = ("村", "社区", "机关", "企业", "学校", "其他")

YES_NO = ("是", "否")

ColumnKind = Literal["id", "text", "count", "number", "date", "yes_no", "choice"]

# Output dtype of each kind (assessment/inputs.py); a column may override it.
DTYPES: dict[str, str] = {
    "id": "str",
    "text": "str",
    "count": "Int64",
    "number": "float64",
    "date": "datetime64[ns]",
    "yes_no": "boolean",
    "choice": "str",
}

DATE_EXAMPLES = "2025-03-05、2025/3/5 或 2025年3月5日"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: ColumnKind
    required: bool = False
    # The column itself may be absent from the sheet (older templates).
    optional_column: bool = False
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    # Accept "95%" (and a percent-formatted cell) as 95.
    percent: bool = False
    # Value used for a blank cell (e.g. 0 for a tally); None keeps it missing.
    blank: object = None
    dtype_override: str | None = None
    # Shown in the 说明 sheet and as the cell's input prompt.
    note: str = ""
    # Cell comment on the header (组织评定 items).
    comment: str | None = None
    width: int | None = None

    @property
    def dtype(self) -> str:
        return self.dtype_override or DTYPES[self.kind]

    @property
    def allowed(self) -> str:
        """What may be typed, for the 说明 sheet."""
        if self.kind == "count":
            return "不小于0的整数"
        if self.kind == "number":
            text = f"{_num(self.low)}到{_num(self.high)}之间的数"
            return text + "（单位%，如 95）" if self.percent else text
        if self.kind == "date":
            return f"日期，如 {DATE_EXAMPLES}"
        if self.kind == "yes_no":
            return "是 / 否"
        if self.kind == "choice":
            return " / ".join(self.choices)
        if self.kind == "id":
            return "支部编号（文本，如 A01）"
        return "文本"

    @property
    def expected(self) -> str:
        """The second half of a problem message: what the cell should hold."""
        if self.kind == "count":
            return "应为不小于0的整数"
        if self.kind == "number":
            text = f"应为{_num(self.low)}到{_num(self.high)}之间的数"
            return text + "（比例，单位%，如 95）" if self.percent else text
        if self.kind == "date":
            return f"应为日期，如 {DATE_EXAMPLES}"
        if self.kind == "yes_no":
            return "应为“是”或“否”"
        if self.kind == "choice":
            return "应为以下之一：" + "、".join(self.choices)
        return f"应填写{self.header}"


@dataclass(frozen=True)
class SheetSpec:
    key: str
    name: str
    purpose: str
    columns: tuple[Column, ...]
    # 组织评定/党员评议/群众评判 hold one row per branch; 支部 too (its own rows).
    one_row_per_branch: bool
    # Drop-downs and formats reach this Excel row.
    rows: int = 2000
    notes: tuple[str, ...] = field(default=())
    # The workbook may leave the whole sheet out (read as no rows).
    optional_sheet: bool = False

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def quorum_types(rubric: Rubric) -> dict[str, str]:
    """Activity types whose attendance is checked (支部党员大会) → the quorum in words."""
    found = {}
    for rule in rubric.activities.rules:
        if rule.quorum is not None:
            found[rule.type_label] = format_percent(rule.quorum) + ("以上" if rule.quorum_inclusive else "（不含）以上")
    return found


def _kind_note(rubric: Rubric) -> str:
    """What 支部类型 decides, from the rubric's term rule (years by kind)."""
    for rule in rubric.structure.rules:
        if isinstance(rule, TermRule):
            by_kind = "、".join(f"{kind}{years}年" for kind, years in rule.years_by_kind.items())
            years = f"{by_kind}，其他{rule.default_years}年" if by_kind else f"均为{rule.default_years}年"
            return f"决定换届年限（{years}）；可不填，导入时留空则保持数据库中原有的类型"
    return "可不填，导入时留空则保持数据库中原有的类型"


def _item_columns(item, headers: dict[str, str]) -> list[Column]:
    """The 组织评定 column(s) of one item (several for evidence_deduction and multi_deduction)."""
    max_points = float(item.max)
    comment = f"{item.input_label}\n{item.description}"
    if item.bonus:
        comment = f"加分项：得分直接加到组织评定上，空白按不加分计\n{comment}"
    if item.applies_to:
        comment += f"\n只适用于{'、'.join(item.applies_to)}党支部；其他类型的支部不适用，可留空（不计失分）"
    if item.methods:
        comment += "\n考评方式：" + "、".join(item.methods)
    if item.kind == "evidence_deduction":
        note = (
            f"逐项填写“{EVIDENCE_MARKS[0]}”或“{EVIDENCE_MARKS[1]}”；每项缺失扣{format_fraction(item.per)}分，"
            "扣完为止；有一项空白即本指标未评分"
        )
        return [
            Column(key=key, header=header, kind="choice", choices=EVIDENCE_MARKS, comment=comment, note=note)
            for key, header in headers.items()
        ]
    if item.kind == "multi_deduction":
        pers = {f"{item.id}.{rule.id}": rule.per for rule in item.rules}
        return [
            Column(
                key=key,
                header=header,
                kind="count",
                dtype_override="float64",
                comment=comment,
                note=f"次数；每次扣{format_fraction(pers[key])}分，本指标各项合计扣完为止；有一项空白即本指标未评分",
            )
            for key, header in headers.items()
        ]
    (header,) = headers.values()
    common = {"key": item.id, "header": header, "comment": comment, "note": item.input_label}
    if item.kind == "points":
        return [Column(kind="number", low=0.0, high=max_points, **common)]
    if item.kind == "level":
        return [Column(kind="choice", choices=tuple(lv.label for lv in item.levels), **common)]
    if item.kind in ("count_shortfall", "deduction", "stepped"):
        # Counts, but the org frame keeps every item as float (inputs.py).
        return [Column(kind="count", dtype_override="float64", **common)]
    if item.kind == "rate_steps":
        return [Column(kind="number", low=0.0, high=100.0, percent=True, **common)]
    if item.kind == "flag":
        return [Column(kind="yes_no", **common)]
    raise AssertionError(f"unknown item kind {item.kind}")  # the rubric loader refuses these


def _self_score_column(item, header: str) -> Column:
    """The branch's 自查分 of an item: its own points, 0 to the item's points; the column may be left out."""
    top = float(item.max)
    note = f"支部自查（自评）给本项的分数，0到{_num(top)}分；可不填（此列也可省略）"
    return Column(
        self_score_key(item.id),
        header,
        "number",
        optional_column=True,
        low=0.0,
        high=top,
        note=note,
        comment=f"{SELF_SCORE_HEADER}：{item.id} {item.label}\n{note}",
    )


def _either(labels: tuple[str, ...]) -> str:
    """书记、副书记或委员."""
    return labels[0] if len(labels) == 1 else "、".join(labels[:-1]) + f"或{labels[-1]}"


def _checks_secretary_training(rubric: Rubric) -> bool:
    """Whether the roster's 参加上级培训 is checked for the secretary (members.yaml secretary_training)."""
    return rubric.members.rules.secretary_training.upper_training_per_year > 0


def sheet_specs(rubric: Rubric) -> dict[str, SheetSpec]:
    """Every input sheet, in workbook order, keyed like :class:`assessment.inputs.frames.Inputs`."""
    headers = sheet_columns(rubric)
    branch_id = "branch_id"

    def bid(one_per_branch: bool) -> Column:
        note = "每个支部一行，编号不能重复" if one_per_branch else "应为“支部”表中已有的编号"
        return Column(branch_id, "支部编号", "id", required=True, note=note, width=12)

    h = headers["branches"]
    branches = SheetSpec(
        "branches",
        SHEET_NAMES["branches"],
        "全街道每个党支部一行：基本情况，用于检查组织设置。",
        (
            Column(branch_id, h[branch_id], "id", required=True, note="每个支部一行，编号不能重复", width=12),
            Column("name", h["name"], "text", required=True, width=28),
            # Read by the 组织设置 rules; a rubric that does not check them (meta.yaml uses) needs no count.
            Column("full_members", h["full_members"], "count", required=rubric.uses_condition("structure")),
            Column("probationary_members", h["probationary_members"], "count", note="空白表示未填"),
            Column("committee_size", h["committee_size"], "count", note="未设支委会填0"),
            Column("last_election", h["last_election"], "date", note="空白表示未填，结果中提示无法判断是否按期换届"),
            Column(
                "kind",
                h["kind"],
                "choice",
                choices=BRANCH_KINDS,
                optional_column="kind" in OPTIONAL_BRANCH_COLUMNS,
                note=_kind_note(rubric),
            ),
            Column(
                "party_groups",
                h["party_groups"],
                "count",
                optional_column="party_groups" in OPTIONAL_BRANCH_COLUMNS,
                blank=0,
                note="空白按0计；设有党小组的支部才检查党小组会",
            ),
            Column(
                "street",
                h["street"],
                "text",
                optional_column="street" in OPTIONAL_BRANCH_COLUMNS,
                note="支部所属的街道（如 东城街道），用于汇总到区的总览；只有一个街道时可不填；导入时留空则保持原有的街道",
                width=14,
            ),
        ),
        one_row_per_branch=True,
    )

    grades = rubric.channels.annual_review_grades.levels
    org_cols = [
        bid(True),
        Column(
            "annual_review_grade",
            headers["org"]["annual_review_grade"],
            "choice",
            choices=tuple(grades),
            # Not collected (meta.yaml uses): the column may be left blank or out.
            optional_column=not rubric.uses_condition("annual_review"),
            note="空白表示尚未评议"
            if rubric.uses_condition("annual_review")
            else "本评分标准不使用，可不填（此列也可省略）",
            width=16,
        ),
    ]
    for item in rubric.items:
        org_cols.extend(_item_columns(item, {key: headers["org"][key] for key in item_input_columns(item)}))
    for item in rubric.items:
        if item.scored:
            org_cols.append(_self_score_column(item, headers["org"][self_score_key(item.id)]))
    org = SheetSpec(
        "org",
        SHEET_NAMES["org"],
        "街道党工委对每个支部的评定：每个支部一行，每个指标一列（表头批注中有评分说明）。空白的指标表示未评分，结果中列为缺项"
        + ("（加分项除外：空白按不加分计）。" if rubric.bonus_items else "。")
        + f"最后各列“…{SELF_SCORE_HEADER}”是支部自查给各指标的分数（可不填），结果的“明细”表列出考核分与自查分之差。",
        tuple(org_cols),
        one_row_per_branch=True,
    )

    member = None
    if "member" in headers:  # collected (meta.yaml uses)
        member_method = rubric.channel("member").method
        h = headers["member"]
        member = SheetSpec(
            "member",
            SHEET_NAMES["member"],
            "支部民主评议的汇总：每个支部一行，参评人数与评价为各档的人数。",
            (
                bid(True),
                Column("participants", h["participants"], "count", required=True, note="参加评议的党员总数"),
                *(
                    Column(level.id, level.label, "count", blank=0, note="空白按0计；不能超过参评人数")
                    for level in member_method.levels
                ),
            ),
            one_row_per_branch=True,
            notes=("党员评议：各档人数之和不能超过参评人数；差额视为空白票，不计为优秀。",),
        )

    public = None
    if "public" in headers:  # collected (meta.yaml uses)
        public_method = rubric.channel("public").method
        h = headers["public"]
        public = SheetSpec(
            "public",
            SHEET_NAMES["public"],
            "群众评判（公示、访谈、民意调查、线上评价）的汇总：每个支部一行。",
            (
                bid(True),
                *(Column(level.id, level.label, "count", blank=0, note="空白按0计") for level in public_method.levels),
                Column(
                    "unsatisfied_verified",
                    h["unsatisfied_verified"],
                    "yes_no",
                    note="“不满意”大于0时必填；“是”即不得评定为最强党支部",
                    width=16,
                ),
            ),
            one_row_per_branch=True,
        )

    social = None
    if "social" in headers:  # collected (meta.yaml uses)
        h = headers["social"]
        social = SheetSpec(
            "social",
            SHEET_NAMES["social"],
            "相关部门的意见：每条意见一行。",
            (
                bid(False),
                Column("department", h["department"], "text", required=True, width=20),
                Column("compliant", h["compliant"], "yes_no", required=True, note="该部门认为支部是否符合标准"),
                Column("opinion", h["opinion"], "text", width=48),
            ),
            one_row_per_branch=False,
        )

    activities = None
    if "activities" in headers:  # collected (meta.yaml uses)
        quorum = quorum_types(rubric)
        h = headers["activities"]
        attendance_note = "、".join(quorum) + "必填（检查到会人数），其他活动可不填" if quorum else "可不填"
        activities = SheetSpec(
            "activities",
            SHEET_NAMES["activities"],
            "组织生活台账：每次会议或活动一行。",
            (
                bid(False),
                Column("date", h["date"], "date", required=True, width=14),
                Column(
                    "type",
                    h["type"],
                    "choice",
                    required=True,
                    choices=tuple(rubric.activities.activity_types),
                    width=16,
                ),
                Column("expected", h["expected"], "count", note=attendance_note),
                Column("attended", h["attended"], "count", note="不能超过应到人数；" + attendance_note),
                Column("has_record", h["has_record"], "yes_no", required=True, note="“否”的活动列出但不计入次数"),
            ),
            one_row_per_branch=False,
            rows=20000,
        )

    roster = None
    if "roster" in headers:  # collected (meta.yaml uses)
        h = headers["roster"]
        members = rubric.members
        dues_note = "是＝已交纳，否＝未交纳，空白＝不需交纳（尚未入党或月份未到）"
        roster = SheetSpec(
            "roster",
            SHEET_NAMES["roster"],
            "党员名册（可不提供此表）：每名党员一行，用于检查学习培训、书记培训、党费交纳和谈心谈话。",
            (
                bid(False),
                Column("name", h["name"], "text", required=True, width=10),
                Column("status", h["status"], "choice", required=True, choices=members.status_labels, width=12),
                Column(
                    "role",
                    h["role"],
                    "choice",
                    required=True,
                    choices=members.role_labels,
                    note=f"支部委员会成员填{_either(members.committee_roles)}",
                ),
                Column("joined", h["joined"], "date", note="可不填", width=14),
                Column("sessions", h["sessions"], "count", required=True, note="本年度参加集中学习培训的次数"),
                Column(
                    "upper_training",
                    h["upper_training"],
                    "yes_no",
                    note="本年度是否参加上级党委组织的培训"
                    + (f"（{members.secretary_role}必填）" if _checks_secretary_training(rubric) else ""),
                ),
                *(Column(f"dues_{month}", h[f"dues_{month}"], "yes_no", note=dues_note, width=10) for month in MONTHS),
                Column(
                    "wechat",
                    h["wechat"],
                    "yes_no",
                    optional_column=True,
                    note="是否已加入党员微信群；可不填（此列也可省略）",
                ),
                Column(
                    "talks",
                    h["talks"],
                    "count",
                    optional_column=True,
                    note="本年度与该党员谈心谈话的次数（逐人检查“每年与每名党员谈心谈话不少于1次”）；可不填（此列也可省略）",
                ),
            ),
            one_row_per_branch=False,
            optional_sheet="roster" in OPTIONAL_SHEETS,
            notes=(
                "党员名册：可以不提供此表；提供时每名党员一行，党费各月填“是”（已交）、“否”（未交）或留空（不需交纳）。",
            ),
        )

    specs = {s.key: s for s in (branches, org, member, public, social, activities, roster) if s is not None}
    # The contract fixes the headers; a mismatch here is a programming error, not a user's.
    for key, spec in specs.items():
        assert [c.key for c in spec.columns] == list(headers[key]), key
        assert [c.header for c in spec.columns] == list(headers[key].values()), key
    return specs


__all__ = [
    "BRANCH_KINDS",
    "YES_NO",
    "Column",
    "SheetSpec",
    "quorum_types",
    "sheet_specs",
]
