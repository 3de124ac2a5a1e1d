"""明细: every point of every branch, with how it came about (计算过程) and the branch's own 自查分.

One row per branch × checklist item (得分, 满分, 自查分, 差 = 考核 − 自查, 计算过程 in words), a 小计 row after
each area (a subtotal over the area and, where areas have a ``parent``, every level below it), then per
branch the 基础分合计, the 加分 (if the rubric has bonus items) and the 考核总分 (the 组织评定 score as
scoring gives it) beside the 自查总分. A branch without a self-assessment has empty 自查分 cells, and its
rows say so — never 0.

Item points are shown rounded to the rubric's decimals (as every page shows them); a 小计 is the sum of the
rounded points of its rows, so the sheet adds up as a reader checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from .. import display
from .. import glossary as g
from ..inputs.frames import SELF_SCORE_PREFIX, self_score_key
from ..rubric import Rubric
from ..rubric.model import ORG_SCALE, ChecklistItem
from ..scoring import Results
from ..scoring.channels import item_applicability, org_bonus, org_score
from ..scoring.explain import exact, explain_bonus, explain_item, item_input

__all__ = [
    "DETAIL_COLUMNS",
    "DETAIL_SHEET",
    "NO_SELF",
    "SELF_SHEET",
    "detail_tables",
    "self_points_from_org",
    "with_detail",
]

DETAIL_SHEET = "明细"
SELF_SHEET = "自查对照"
AREA = "目标/领域"
ITEM = "指标"
EARNED = "得分"
TOP = "满分"
GAP = f"{g.SCORE_GAP}（考核−自查）"
HOW = "计算过程"
SUBTOTAL = "小计"
TOTAL = "合计"
BASE_TOTAL = "基础分合计"
ASSESSED_TOTAL = "考核总分"
DETAIL_COLUMNS = [g.BRANCH_ID, g.BRANCH_NAME, AREA, ITEM, EARNED, TOP, g.SELF_SCORE, GAP, HOW]
NO_SELF = f"未提交{g.SELF_ASSESSMENT}，无{g.SELF_SCORE}"

SelfPoints = Mapping[str, Fraction | None] | None


def _rounded(value: Any, decimals: int) -> Fraction | None:
    """A scored number as people read it, exactly: 2/3 → 67/100 at two decimals; None if none."""
    found = display.rounded(value, decimals)
    return None if found is None else Fraction(found)


def _cell(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _n(value: Fraction, decimals: int) -> str:
    return display.number(value, decimals, trim=True)


@dataclass
class _Sum:
    earned: Fraction = Fraction(0)
    top: Fraction = Fraction(0)
    own: Fraction = Fraction(0)
    parts: list[str] | None = None
    missing: list[str] | None = None
    own_count: int = 0
    own_missing: list[str] | None = None

    def __post_init__(self):
        self.parts, self.missing, self.own_missing = [], [], []

    def add(self, other: _Sum, decimals: int | None = None) -> None:
        """Add an item's sum (its part as it is) or, with ``decimals``, a level's subtotal (as one part)."""
        self.earned += other.earned
        self.top += other.top
        self.own += other.own
        self.own_count += other.own_count
        if decimals is None:
            self.parts.extend(other.parts)
        elif other.parts:
            self.parts.append(_n(other.earned, decimals))
        self.missing.extend(other.missing)
        self.own_missing.extend(other.own_missing)


def self_points_from_org(org: pd.DataFrame, rubric_of: Callable[[str], Rubric]) -> dict[str, SelfPoints]:
    """Per branch of ``org`` (the 组织评定 frame of a workbook): its 自查分 per item from the ``self:<id>``
    columns, or None where the branch has none at all (no such column, or every cell blank)."""
    found: dict[str, SelfPoints] = {}
    columns = [c for c in org.columns if str(c).startswith(SELF_SCORE_PREFIX)]
    for _, row in org.iterrows():
        branch_id = str(row["branch_id"])
        rubric = rubric_of(branch_id)
        points = {item.id: exact(row.get(self_score_key(item.id))) for item in rubric.items} if columns else {}
        found[branch_id] = points if any(v is not None for v in points.values()) else None
    return found


def _area_tree(rubric: Rubric) -> tuple[list, dict[str, list]]:
    """Top-level areas and each area's children, in file order (``parent`` where areas have one)."""
    areas = list(rubric.checklist.areas)
    known = {area.id for area in areas}
    children: dict[str, list] = {area.id: [] for area in areas}
    top = []
    for area in areas:
        parent = getattr(area, "parent", None)
        if parent in known:
            children[parent].append(area)
        else:
            top.append(area)
    return top, children


def _self_total(rubric: Rubric, branch_id: str, kind: Any, own: SelfPoints) -> Fraction | None:
    """自查总分: the 组织评定 of the branch's own points by the scoring's rule (a blank item counts 0, an
    item that does not apply is left out), as the evaluate page shows it."""
    if own is None:
        return None
    index = pd.Index([branch_id], name="branch_id")
    applicable = item_applicability(rubric, [kind], index)
    values = {}
    for item in rubric.items:
        points = own.get(item.id)
        if not bool(applicable.at[branch_id, item.id]):
            values[item.id] = np.nan
        else:
            values[item.id] = 0.0 if points is None else float(points)
    frame = pd.DataFrame(values, index=index)
    bonus = org_bonus(rubric, frame) if rubric.bonus_items else None
    return _rounded(org_score(rubric, frame, bonus, applicable)[0], rubric.meta.decimals)


def _in_points_units(rubric: Rubric) -> bool:
    """Whether the 组织评定 is the plain sum of the item points: every base item's weight is its points
    over the base items' total points (the points form of checklist.yaml, and today's default)."""
    base = rubric.base_items
    total = sum((item.max for item in base), Fraction(0))
    return total == ORG_SCALE and all(Fraction(item.weight) * total == item.max for item in base)


def _branch_rows(
    rubric: Rubric,
    results: Results,
    branch_id: str,
    raw: Mapping[str, Any],
    kind: Any,
    own: SelfPoints,
) -> Iterator[list]:
    decimals = rubric.meta.decimals
    name = results.branches.at[branch_id, "name"]
    items = results.items.loc[branch_id] if branch_id in results.items.index else pd.Series(dtype="float64")
    applicable = {item.id: results.item_applies(branch_id, item.id) for item in rubric.items}
    earned: dict[str, Fraction | None] = {
        item.id: _rounded(items.get(item.id), decimals) if applicable[item.id] else None for item in rubric.items
    }
    mine: dict[str, Fraction | None] = {
        item.id: (_rounded(own.get(item.id), decimals) if own is not None and applicable[item.id] else None)
        for item in rubric.items
    }

    def gap(a: Fraction | None, b: Fraction | None) -> float | None:
        return None if a is None or b is None else float(a - b)

    def row(area: str, label: str, points, top, self_points, how: str) -> list:
        return [
            branch_id,
            name,
            area,
            label,
            _cell(points),
            _cell(top),
            _cell(self_points),
            gap(points, self_points),
            how,
        ]

    def item_row(item: ChecklistItem, area_label: str) -> list:
        how = explain_item(item, item_input(item, raw), branch_kind=kind, decimals=decimals)
        top = item.max if applicable[item.id] else None
        label = f"{item.id} {item.label}" + (f"（{g.BONUS_ITEM}）" if item.bonus else "")
        return row(area_label, label, earned[item.id], top, mine[item.id], how)

    def item_sum(item: ChecklistItem) -> _Sum:
        total = _Sum()
        if item.bonus or not applicable[item.id]:
            return total
        total.top = item.max
        if earned[item.id] is None:
            total.missing.append(item.id)
        else:
            total.earned = earned[item.id]
            total.parts.append(_n(earned[item.id], decimals))
        if mine[item.id] is not None:
            total.own = mine[item.id]
            total.own_count = 1
        elif own is not None:
            total.own_missing.append(item.id)
        return total

    def sum_text(total: _Sum, bonus_inside: bool) -> str:
        if not total.parts:
            text = "没有已评分的指标"
        elif len(total.parts) == 1:
            text = f"{total.parts[0]}分"
        else:
            text = " + ".join(total.parts) + f" = {_n(total.earned, decimals)}分"
        text += f"（满分{_n(total.top, decimals)}分）"
        if total.missing:
            text += f"；{'、'.join(total.missing)} 未评分，未计入"
        if bonus_inside:
            text += f"；{g.BONUS_ITEM}不计入，见“{g.BONUS}”"
        if own is not None and total.own_count and total.own_missing:
            text += f"；{g.SELF_SCORE}：{'、'.join(total.own_missing)} 未填，按0分计"
        return text

    def own_cell(total: _Sum) -> Fraction | None:
        return total.own if own is not None and total.own_count else None

    top_areas, children = _area_tree(rubric)
    labels = {area.id: area.label for area in rubric.checklist.areas}

    def walk(area, path: str) -> Iterator[list | _Sum]:
        total = _Sum()
        here = [item for item in rubric.items if item.area == area.id]
        for item in here:
            yield item_row(item, path)
            total.add(item_sum(item))
        bonus_inside = any(item.bonus for item in here)
        for child in children[area.id]:
            child_total = _Sum()
            for produced in walk(child, f"{path} / {child.label}"):
                if isinstance(produced, _Sum):
                    child_total = produced
                else:
                    yield produced
            total.add(child_total, decimals)
        yield row(
            path,
            f"{SUBTOTAL}：{labels[area.id]}",
            total.earned,
            total.top,
            own_cell(total),
            sum_text(total, bonus_inside),
        )
        yield total

    base = _Sum()
    for area in top_areas:
        area_total = _Sum()
        for produced in walk(area, area.label):
            if isinstance(produced, _Sum):
                area_total = produced
            else:
                yield produced
        base.add(area_total, decimals)
    yield row(TOTAL, BASE_TOTAL, base.earned, base.top, own_cell(base), sum_text(base, False))

    bonus_total = Fraction(0)
    if rubric.bonus_items:
        spec = rubric.checklist.bonus
        groups = {group.id: group.label for group in spec.groups}
        bonus_items = list(rubric.bonus_items)
        bonus_total, how = explain_bonus(bonus_items, earned, groups, spec.cap, decimals=decimals)
        own_bonus = None
        if own is not None:
            own_bonus, _ = explain_bonus(bonus_items, mine, groups, spec.cap, decimals=decimals)
        yield row(TOTAL, g.BONUS, bonus_total, rubric.checklist.bonus_max(), own_bonus, how)

    assessed = _rounded(results.branches.at[branch_id, "org"], decimals)
    self_total = _self_total(rubric, branch_id, kind, own)
    top = rubric.checklist.org_max()
    if assessed is None:
        missing = "、".join(base.missing)
        how = f"{g.INCOMPLETE}：{missing} 未评分，{ASSESSED_TOTAL}待补评后计算" if missing else g.INCOMPLETE
    elif _in_points_units(rubric):
        left_out = [item.id for item in rubric.base_items if not applicable[item.id]]
        if left_out:
            scaled = base.earned / base.top * ORG_SCALE if base.top else Fraction(0)
            how = (
                f"{'、'.join(left_out)} {g.NOT_APPLICABLE}，按适用指标折算为百分制："
                f"{_n(base.earned, decimals)} ÷ {_n(base.top, decimals)} × 100 = {_n(scaled, decimals)}分"
            )
        else:
            scaled = base.earned
            how = f"{BASE_TOTAL}{_n(base.earned, decimals)}分"
        if rubric.bonus_items:
            how += f" + {g.BONUS}{_n(bonus_total, decimals)}分 = {_n(scaled + bonus_total, decimals)}分"
        cap = rubric.checklist.bonus.total_cap
        if rubric.bonus_items and cap is not None and scaled + bonus_total > cap:
            how += f"，超过总分上限{_n(cap, decimals)}分，按{_n(cap, decimals)}分计"
        how += f"：{ASSESSED_TOTAL}{_n(assessed, decimals)}分"
    else:
        left_out = [item.id for item in rubric.base_items if not applicable[item.id]]
        how = "各项得分按权重折算为百分制（Σ 权重 × 得分 ÷ 满分 × 100）"
        if left_out:
            how += f"，{'、'.join(left_out)} {g.NOT_APPLICABLE}，其权重按比例分给其余指标"
        if rubric.bonus_items:
            how += f"，再加{g.BONUS}{_n(bonus_total, decimals)}分"
        how += f"：{ASSESSED_TOTAL}{_n(assessed, decimals)}分"
    if own is None:
        how += f"；{NO_SELF}"
    else:
        how += f"；{g.SELF_TOTAL}{_n(self_total, decimals)}分（同一规则，未填的自查分按0分计）"
    yield row(TOTAL, f"{ASSESSED_TOTAL}（{g.SELF_TOTAL}）", assessed, top, self_total, how)


def detail_tables(
    results: Results,
    rubric_of: Callable[[str], Rubric],
    org: pd.DataFrame,
    kinds: Mapping[str, Any],
    self_points: Mapping[str, SelfPoints],
) -> dict[str, pd.DataFrame]:
    """The 明细 and 自查对照 sheets. ``rubric_of``: the rubric a branch was scored with; ``org``: the
    组织评定 input rows (branch_id, item ids: what was entered); ``kinds``: branch id → 支部类型;
    ``self_points``: branch id → its 自查分 per item (None: no self-assessment)."""
    raw_rows = {str(row["branch_id"]): row for _, row in org.iterrows()} if len(org) else {}
    rows: list[list] = []
    summary: list[list] = []
    for branch_id in results.branches.index:
        rubric = rubric_of(branch_id)
        raw = raw_rows.get(str(branch_id))
        raw = {} if raw is None else raw.to_dict()
        kind = kinds.get(branch_id)
        own = self_points.get(branch_id)
        produced = list(_branch_rows(rubric, results, branch_id, raw, kind, own))
        rows.extend(produced)
        total = produced[-1]
        assessed, self_total = total[4], total[6]
        if own is None:
            note = NO_SELF
        else:
            unfilled = [
                item.id
                for item in rubric.base_items
                if results.item_applies(branch_id, item.id) and own.get(item.id) is None
            ]
            note = f"{'、'.join(unfilled)} 未填{g.SELF_SCORE}（按0分计）" if unfilled else ""
        summary.append([branch_id, total[1], self_total, assessed, total[7], note])
    detail = pd.DataFrame(rows, columns=DETAIL_COLUMNS)
    compare = pd.DataFrame(
        summary,
        columns=[g.BRANCH_ID, g.BRANCH_NAME, g.SELF_TOTAL, ASSESSED_TOTAL, f"{g.SCORE_GAP}（考核−自查）", "说明"],
    )
    return {DETAIL_SHEET: detail, SELF_SHEET: compare}


def with_detail(tables: Mapping[str, pd.DataFrame], detail: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The export sheets with the 明细 sheets right after 结果 (the first sheet)."""
    names = list(tables)
    ordered = {names[0]: tables[names[0]], **detail} if names else dict(detail)
    ordered.update({name: tables[name] for name in names[1:]})
    return ordered
