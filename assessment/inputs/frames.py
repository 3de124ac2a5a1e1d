"""The validated input frames that scoring trusts.

Readers (workbook, forms, database) produce an :class:`Inputs`; scoring reads it
and never re-validates. Column names are English; :data:`SHEETS` maps them to
the Chinese headers users see. Member and public tally columns are the level ids
of the rubric (``excellent`` …), and ``org`` has one column per checklist item id.

Frames and columns (dtypes after reading):

``branches``  branch_id (str), name (str), full_members (Int64), probationary_members (Int64),
              committee_size (Int64), last_election (datetime64[ns], NaT if blank),
              kind (str or NA: 村/社区/机关/企业/…), party_groups (Int64, 0 if blank),
              street (str or NA: the 所属街道, for a district's view)
``org``       branch_id, annual_review_grade (str or NA), <item id>… (float; for ``level``
              items the chosen level label as str; for ``flag`` items boolean; NA = not scored);
              an ``evidence_deduction`` item has <item id>.<n> per evidence (str 已查看/缺失) and a
              ``multi_deduction`` item <item id>.<rule id> per rule (float count) instead
              (:func:`item_input_columns`); then self:<item id>… (float: the branch's own 自查分 of
              the item in points; NA = none; optional columns of the sheet)
``member``    branch_id, participants (Int64), <member level id>… (Int64)
``public``    branch_id, <public level id>… (Int64), unsatisfied_verified (boolean)
``social``    branch_id, department (str), compliant (boolean), opinion (str or NA) — one row per opinion
``activities`` branch_id, date (datetime64[ns]), type (str), expected (Int64), attended (Int64),
              has_record (boolean)
``roster``    branch_id, name (str), status (str: a 身份 of members.yaml), role (str: a 职务 of members.yaml),
              joined (datetime64[ns]), sessions (Int64), upper_training (boolean), dues_1 … dues_12
              (boolean: 是 paid, 否 unpaid, NA not due), wechat (boolean), talks (Int64: 谈心谈话 with the
              member in the year, NA not recorded) — one row per member; optional (the 党员名册 sheet may
              be left out: an empty frame)

A branch may be absent from ``org``/``member``/``public``/``social``: that channel is then
missing and the branch is scored as 未完成. A rubric that does not use a channel or condition (meta.yaml
``uses``) has no sheet for it (:func:`sheet_columns`); its frame stays empty and is not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..rubric import Rubric

BRANCH_COLUMNS = {
    "branch_id": "支部编号",
    "name": "支部名称",
    "full_members": "正式党员",
    "probationary_members": "预备党员",
    "committee_size": "支委会人数",
    "last_election": "上次换届",
    "kind": "支部类型",
    "party_groups": "党小组数",
    "street": "所属街道",
}
SOCIAL_COLUMNS = {"branch_id": "支部编号", "department": "部门", "compliant": "符合标准", "opinion": "意见"}
ACTIVITY_COLUMNS = {
    "branch_id": "支部编号",
    "date": "日期",
    "type": "类型",
    "expected": "应到人数",
    "attended": "实到人数",
    "has_record": "有记录",
}
MONTHS = tuple(range(1, 13))
ROSTER_COLUMNS = {
    "branch_id": "支部编号",
    "name": "姓名",
    "status": "身份",
    "role": "职务",
    "joined": "入党日期",
    "sessions": "集中学习次数",
    "upper_training": "参加上级培训",
    **{f"dues_{month}": f"{month}月党费" for month in MONTHS},
    "wechat": "加入微信群",
    "talks": "谈心谈话次数",
}
ROSTER_DTYPES = {
    "branch_id": "str",
    "name": "str",
    "status": "str",
    "role": "str",
    "joined": "datetime64[ns]",
    "sessions": "Int64",
    "upper_training": "boolean",
    **{f"dues_{month}": "boolean" for month in MONTHS},
    "wechat": "boolean",
    "talks": "Int64",
}
# The values of the roster's 身份 and 职务 columns, and which of them count as 正式党员, 支委 and 书记,
# are rules: rubrics/members.yaml (``statuses``, ``roles``).

# Optional columns of the 支部 sheet (the template includes them; blank is allowed).
OPTIONAL_BRANCH_COLUMNS = ("kind", "party_groups", "street")

SHEET_NAMES = {
    "branches": "支部",
    "org": "组织评定",
    "member": "党员评议",
    "public": "群众评判",
    "social": "社会评价",
    "activities": "活动记录",
    "roster": "党员名册",
}
# Sheets a workbook may leave out (read as empty frames).
OPTIONAL_SHEETS = ("roster",)


SELF_SCORE_HEADER = "自查分"
SELF_SCORE_PREFIX = "self:"


def self_score_key(item_id: str) -> str:
    """The 组织评定 column of an item's 自查分 (the branch's own points for it): ``self:s1``."""
    return f"{SELF_SCORE_PREFIX}{item_id}"


def item_input_columns(item) -> dict[str, str]:
    """An item's 组织评定 columns: key → header. One column ``<id>`` headed ``<id> <label>`` (e.g. ``s1
    支部设置规范``), except for the kinds with several inputs: an ``evidence_deduction`` item has one column
    per evidence (``<id>.1`` …, headed ``<id> <label>·<evidence>``, 已查看/缺失), a ``multi_deduction`` item
    one per rule (``<id>.<rule id>``, headed ``<id> <label>·<rule label>``, a count)."""
    subs = item.sub_inputs()
    if not subs:
        return {item.id: f"{item.id} {item.label}"}
    return {f"{item.id}.{suffix}": f"{item.id} {item.label}·{label}" for suffix, label in subs}


def org_columns(rubric: Rubric) -> dict[str, str]:
    """组织评定 columns: key → header (:func:`item_input_columns` per item); after the items, each scored
    item's 自查分 (``s1 自查分``, optional columns; a flag has none)."""
    columns = {"branch_id": "支部编号", "annual_review_grade": "年度述职评议等次"}
    for item in rubric.items:
        columns.update(item_input_columns(item))
    for item in rubric.items:
        if item.scored:
            columns[self_score_key(item.id)] = f"{item.id} {SELF_SCORE_HEADER}"
    return columns


def member_columns(rubric: Rubric) -> dict[str, str]:
    method = rubric.channel("member").method
    columns = {"branch_id": "支部编号", "participants": "参评人数"}
    columns.update({level.id: level.label for level in method.levels})
    return columns


def public_columns(rubric: Rubric) -> dict[str, str]:
    method = rubric.channel("public").method
    columns = {"branch_id": "支部编号"}
    columns.update({level.id: level.label for level in method.levels})
    columns["unsatisfied_verified"] = "不满意查证属实"
    return columns


def used_frames(rubric: Rubric) -> tuple[str, ...]:
    """The input frames the rubric collects, in sheet order: the 支部 and 组织评定 always; a channel's only if
    the rubric uses it, the 活动记录 and the 党员名册 only if it checks them (meta.yaml ``uses``)."""
    wanted = {
        "branches": True,
        "org": True,
        "member": rubric.uses_channel("member"),
        "public": rubric.uses_channel("public"),
        "social": rubric.uses_channel("social"),
        "activities": rubric.uses_condition("activities"),
        "roster": rubric.uses_condition("members"),
    }
    return tuple(name for name in SHEET_NAMES if wanted[name])


def sheet_columns(rubric: Rubric) -> dict[str, dict[str, str]]:
    """For every input frame the rubric collects (:func:`used_frames`): English column → Chinese header, in
    sheet order."""
    columns = {
        "branches": lambda: BRANCH_COLUMNS,
        "org": lambda: org_columns(rubric),
        "member": lambda: member_columns(rubric),
        "public": lambda: public_columns(rubric),
        "social": lambda: SOCIAL_COLUMNS,
        "activities": lambda: ACTIVITY_COLUMNS,
        "roster": lambda: ROSTER_COLUMNS,
    }
    return {name: columns[name]() for name in used_frames(rubric)}


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})


# The activity log's dtypes as the reader gives them: an empty log (a rubric that does not collect it,
# meta.yaml uses) still has dates that read as dates.
ACTIVITY_DTYPES = {
    "branch_id": "str",
    "date": "datetime64[ns]",
    "type": "str",
    "expected": "Int64",
    "attended": "Int64",
    "has_record": "boolean",
}


def empty_activities() -> pd.DataFrame:
    """An activity log with no rows, with the reader's dtypes."""
    return pd.DataFrame({name: pd.Series(dtype=ACTIVITY_DTYPES.get(name, "object")) for name in ACTIVITY_COLUMNS})


def empty_roster() -> pd.DataFrame:
    """A 党员名册 frame with no members, with the dtypes the reader gives."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in ROSTER_DTYPES.items()})


@dataclass
class Inputs:
    """One street's validated inputs for one evaluation."""

    branches: pd.DataFrame
    org: pd.DataFrame
    # A channel the rubric does not use (meta.yaml uses) has no rows: scoring does not read it.
    member: pd.DataFrame = field(default_factory=lambda: _empty(("branch_id", "participants")))
    public: pd.DataFrame = field(default_factory=lambda: _empty(("branch_id",)))
    social: pd.DataFrame = field(default_factory=lambda: _empty(SOCIAL_COLUMNS))
    activities: pd.DataFrame = field(default_factory=empty_activities)
    roster: pd.DataFrame = field(default_factory=empty_roster)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in SHEET_NAMES}
