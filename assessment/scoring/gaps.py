"""找不足、补短板: one branch's gaps, ordered by the points they cost, each with what to do.

An item's gap is what it loses on the 组织评定 channel: weight × (max − points) / max × 100 (an item not
yet scored counts as all lost and says so). Rules that failed — activity frequencies, structure, the
member rules of the 党员名册 — lose no points but can stop 达标; they follow the items, blocking ones
first. The advice of an item is its rubric ``advice``; a rule's advice is built from the rule's own data
(its requirement, the months it misses).

A bonus item (加分项) loses nothing from the base: one that could still raise the 组织评定 (not at its
max, not outdone by a better item of its ``bonus_group``, the bonus and total caps not yet reached) is
listed last as an opportunity (kind ``bonus``, no points lost, with the points it could add).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import glossary as g
from ..rubric import Rubric
from ..rubric.model import (
    ActivityRulesMet,
    CommitteeRequired,
    CommitteeSize,
    MaxMembers,
    MinFullMembers,
    StructureOk,
    TermRule,
)
from . import Results
from .channels import applicable_weight_scale, org_bonus, org_score
from .explain_kinds import KIND_EXPLAINERS

__all__ = ["GAP_COLUMNS", "gap_list"]

GAP_COLUMNS = ["kind", "id", "label", "points_lost", "blocks_standard", "finding", "advice"]
KIND_LABELS = {
    "item": "指标",
    "activity": "组织生活",
    "structure": "组织设置",
    "members": "党员管理",
    "bonus": g.BONUS_ITEM,
    "flag": "否决事项",
}


def _structure_advice(rule) -> str:
    if isinstance(rule, MinFullMembers):
        return f"正式党员不足{rule.threshold}人的，与邻近单位联合设置党支部，报上级党组织批复。"
    if isinstance(rule, CommitteeRequired):
        return "召开支部党员大会选举产生支部委员会，报上级党组织批复。"
    if isinstance(rule, CommitteeSize):
        odd = "且为单数" if rule.odd else ""
        return f"按规定补选或调整支部委员，使支委会为{rule.min}至{rule.max}人{odd}。"
    if isinstance(rule, TermRule):
        return "任期届满前向上级党组织请示，按期召开党员大会进行换届选举。"
    if isinstance(rule, MaxMembers):
        return f"党员超过{rule.threshold}人的，拆分设置党支部或按网格设立党小组。"
    return "对照规则整改。"


def _org_row(org: pd.DataFrame | None, branch_id: str) -> pd.Series | None:
    if org is None or not len(org):
        return None
    rows = org[org["branch_id"].astype(str) == str(branch_id)]
    return rows.iloc[0] if len(rows) else None


def _flag_rows(rubric: Rubric, raw: pd.Series | None) -> list[dict]:
    """A ``flag`` item recorded 是: it costs no points but is what an item_flag veto or grade cap reads."""
    if raw is None:
        return []
    rows = []
    for order, item in enumerate(rubric.checklist.flag_items):
        value = raw.get(item.id)
        if value is None or value is pd.NA or not bool(value):
            continue
        rows.append(
            dict(
                kind="flag",
                id=item.id,
                label=item.label,
                points_lost=np.nan,
                blocks_standard=False,
                finding=f"记录“{item.flag_label}”：是（不扣分，按评定规则否决或限制等次）：{item.description}",
                advice=item.advice,
                _order=(0, -1, order),
            )
        )
    return rows


def _bonus_rows(
    rubric: Rubric, points: pd.Series, applicable: pd.DataFrame | None = None, raw: pd.Series | None = None
) -> list[dict]:
    """Bonus items that could still add to the 组织评定, with how much (groups and caps considered)."""
    if not rubric.bonus_items:
        return []
    now = pd.DataFrame([{i.id: float(points.get(i.id, np.nan)) for i in rubric.items}])
    if applicable is not None:
        applicable = applicable.reset_index(drop=True)
    base = now[[i.id for i in rubric.base_items]]
    base_known = not (base.isna() & (applicable[base.columns] if applicable is not None else True)).any(axis=None)
    score_now = org_score(rubric, now, None, applicable)[0] if base_known else org_bonus(rubric, now)[0]
    groups = {grp.id: grp.label for grp in rubric.checklist.bonus.groups}
    decimals = rubric.meta.decimals
    rows = []
    for order, item in enumerate(rubric.bonus_items):
        earned = float(now.at[0, item.id])
        top = float(item.top)
        best = now.copy()
        best[item.id] = top
        score_best = org_score(rubric, best, None, applicable)[0] if base_known else org_bonus(rubric, best)[0]
        gain = round(float(score_best - score_now), decimals + 2)
        if gain <= 0:
            continue
        scored = f"得{earned:g}分" if not np.isnan(earned) else "未填写"
        group = f"；同组“{groups[item.bonus_group]}”只计最高一项" if item.bonus_group else ""
        rows.append(
            dict(
                kind="bonus",
                id=item.id,
                label=item.label,
                points_lost=np.nan,
                blocks_standard=False,
                finding=f"加分项，{scored}（最多加{top:g}分{group}），做到后组织评定可再加{gain:g}分：{item.description}"
                + (
                    f"（{KIND_EXPLAINERS[item.kind](item, raw)}）"
                    if raw is not None and item.kind in KIND_EXPLAINERS
                    else ""
                ),
                advice=item.advice + (f"（需准备：{'、'.join(item.evidence)}）" if item.evidence else ""),
                _order=(3, -gain, order),
            )
        )
    return rows


def gap_list(
    rubric: Rubric,
    results: Results,
    branch_id: str,
    member_rules: pd.DataFrame | None = None,
    org: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The branch's gaps: what keeps it from 达标 first (the rules ``standardized`` requires), then items by
    points lost (largest first), then the other failed rules, then bonus items.

    ``org``: the 组织评定 input rows (assessment.inputs.frames), if at hand. With them an item of the kinds
    evidence_deduction, multi_deduction or stepped says what cost its points (the 缺失 evidence, the counted
    deductions, the next step), and a ``flag`` item recorded 是 is listed first (kind ``flag``): it decides
    vetoes and grade caps, not points."""
    rows: list[dict] = []
    points = results.items.loc[branch_id] if branch_id in results.items.index else pd.Series(dtype="float64")
    raw = _org_row(org, branch_id)
    rows += _flag_rows(rubric, raw)
    applicable = (
        results.applicable.loc[[branch_id]]
        if results.applicable is not None and branch_id in results.applicable.index
        else None
    )
    scale = float(applicable_weight_scale(rubric, applicable, 1)[0])  # 不适用 items raise the others' weight
    for order, item in enumerate(rubric.base_items):
        if not results.item_applies(branch_id, item.id):
            continue  # 不适用 (applies_to): nothing to make up
        earned = float(points.get(item.id, np.nan))
        top = float(item.max)
        scored = not np.isnan(earned)
        lost = float(item.weight) * scale * (top - (earned if scored else 0.0)) / top * 100
        if scored and earned >= top:
            continue
        finding = (
            f"得{earned:g}分（满分{top:g}分）" if scored else f"尚未自评（满分{top:g}分，按全部失分计）"
        ) + f"：{item.description}"
        if raw is not None and item.kind in KIND_EXPLAINERS:
            finding += f"（{KIND_EXPLAINERS[item.kind](item, raw)}）"
        advice = item.advice + (f"（需准备：{'、'.join(item.evidence)}）" if item.evidence else "")
        if raw is not None and item.kind == "evidence_deduction":
            missing = [name for suffix, name in item.sub_inputs() if raw.get(f"{item.id}.{suffix}") == "缺失"]
            advice = item.advice + (f"（需补齐：{'、'.join(missing)}）" if missing else "")
        rows.append(
            dict(
                kind="item",
                id=item.id,
                label=item.label,
                points_lost=round(lost, rubric.meta.decimals + 2),
                blocks_standard=False,
                finding=finding,
                advice=advice,
                _order=(1, -lost, order),
            )
        )
    conditions = rubric.eligibility.standardized.conditions
    activity_blocks = any(isinstance(c, ActivityRulesMet) and c.max_failed == 0 for c in conditions)
    structure_blocks = any(isinstance(c, StructureOk) for c in conditions)
    acts = results.activities[results.activities["branch_id"] == branch_id]
    for order, row in enumerate(acts.itertuples()):
        if row.met is pd.NA or bool(row.met):
            continue
        missing = f"，缺：{row.missing_periods}" if row.missing_periods else ""
        skipped = f"；另有{int(row.not_counted)}次无记录或不足法定人数，未计入" if row.not_counted else ""
        if row.below_quorum and row.below_quorum > row.not_counted:
            skipped += f"；其中{int(row.below_quorum)}次到会不足法定人数，会议计入，但不能进行表决"
        rows.append(
            dict(
                kind="activity",
                id=row.rule_id,
                label=row.type,
                points_lost=np.nan,
                blocks_standard=activity_blocks,
                finding=f"要求{row.requirement}，实有{int(row.count)}次{missing}{skipped}",
                advice=(
                    f"按“{row.requirement}”召开{row.type}并当场记录"
                    + (f"，补齐{row.missing_periods}" if row.missing_periods else "")
                    + "；活动后及时录入活动记录。"
                ),
                _order=(0, 0, order) if activity_blocks else (2, 0, order),
            )
        )
    rules = {rule.id: rule for rule in rubric.structure.rules}
    struct = results.structure[results.structure["branch_id"] == branch_id]
    for order, row in enumerate(struct.itertuples()):
        if row.passed is pd.NA or bool(row.passed):
            continue
        blocks = bool(row.blocking) and structure_blocks
        rows.append(
            dict(
                kind="structure",
                id=row.rule_id,
                label=row.label,
                points_lost=np.nan,
                blocks_standard=blocks,
                finding=row.explanation,
                advice=_structure_advice(rules[row.rule_id]),
                _order=(0, 0, 100 + order) if blocks else (2, 0, 100 + order),
            )
        )
    if member_rules is not None and len(member_rules):
        mine = member_rules[member_rules["branch_id"] == branch_id]
        for order, row in enumerate(mine.itertuples()):
            if row.passed is pd.NA or bool(row.passed):
                continue
            rows.append(
                dict(
                    kind="members",
                    id=row.rule_id,
                    label=row.label,
                    points_lost=np.nan,
                    blocks_standard=False,
                    finding=row.explanation,
                    advice=rubric.members.rule(row.rule_id).advice,  # members.yaml
                    _order=(2, 0, 200 + order),
                )
            )
    rows += _bonus_rows(rubric, points, applicable, raw)
    rows.sort(key=lambda r: r["_order"])
    frame = pd.DataFrame(rows, columns=[*GAP_COLUMNS, "_order"]).drop(columns="_order")
    frame["points_lost"] = frame["points_lost"].astype("float64")
    frame["blocks_standard"] = frame["blocks_standard"].astype(bool)
    return frame.reset_index(drop=True)
