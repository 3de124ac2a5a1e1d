"""计算过程: how an item's points came about, in words, from the rule and the input.

Real 评分细则 say for each point why it was given or taken ("每缺一项扣1分、扣完为止"); the 明细 sheet,
the evaluate page (查看计算过程) and the branch report say it for every branch and item:

.. code-block:: python

    explain_item(item, 3)          # "缺3项 × 扣1分 = 扣3分，得4分（满分7分）"
    explain_item(item, "一般")     # "选“一般”档：2分（满分3分）"

The arithmetic is exact (Fraction, from the value's decimal text); numbers are shown as people read them
(:mod:`assessment.display`), so the final number of the text is the scored number as every page shows it
(:func:`assessment.scoring.channels.item_points`, the rule the scores come from; the tests hold the two
together for every kind). An explainer per kind, in :data:`EXPLAINERS`; a kind without one is said so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from .. import display
from .. import glossary as g
from ..rubric.model import ChecklistItem
from .explain_kinds import KIND_EXPLAINERS

__all__ = [
    "EXPLAINERS",
    "blank_input",
    "exact",
    "explain_bonus",
    "explain_item",
    "item_input",
    "not_applicable_text",
]

Explainer = Callable[[ChecklistItem, Any, int], str]


def blank_input(value: Any) -> bool:
    """Nothing entered: None, NA, NaN or an empty text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(value != value)  # pd.NA raises, NaN-likes compare unequal
    except TypeError:
        return True


def exact(value: Any) -> Fraction | None:
    """A number as an exact Fraction read from its decimal text (0.1 → 1/10); None if it is none."""
    if isinstance(value, bool) or blank_input(value):
        return None
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            return None
    try:
        return display._exact(value)
    except (TypeError, ValueError):
        return None


def _n(value: Fraction, decimals: int) -> str:
    """A number as people read it: 3.5 → 3.5, 4 → 4, 2/3 → 0.67."""
    return display.number(value, decimals, trim=True)


def _points(value: Fraction, decimals: int) -> str:
    return f"{_n(value, decimals)}{g.POINTS}"


def _earned(item: ChecklistItem, earned: Fraction, decimals: int) -> str:
    """The closing clause: 得4分（满分7分）; a 加分项 says what it adds."""
    if item.bonus:
        return f"加{_points(earned, decimals)}（{g.BONUS_ITEM}，本项最多{_points(item.max, decimals)}）"
    return f"得{_points(earned, decimals)}（满分{_points(item.max, decimals)}）"


def _deducted(item: ChecklistItem, deduction: Fraction, decimals: int) -> str:
    """扣3分，得4分（满分7分）; past the item's points: 扣完为止."""
    top = item.max
    if deduction >= top:
        floor = "，扣完为止" if deduction > top else ""
        return f"扣{_points(deduction, decimals)}{floor}，{_earned(item, Fraction(0), decimals)}"
    return f"扣{_points(deduction, decimals)}，{_earned(item, top - deduction, decimals)}"


def _unreadable(value: Any, what: str) -> str:
    return f"“{value}”不是{what}，未计分"


def explain_points(item: ChecklistItem, value: Any, decimals: int) -> str:
    given = exact(value)
    if given is None:
        return _unreadable(value, "分数")
    if given > item.max:
        return f"考评人打分{_points(given, decimals)}，超过满分，按满分计：{_earned(item, item.max, decimals)}"
    if given < 0:
        return f"考评人打分{_points(given, decimals)}，低于0分，按0分计：{_earned(item, Fraction(0), decimals)}"
    return f"考评人打分：{_earned(item, given, decimals)}"


def explain_level(item: ChecklistItem, value: Any, decimals: int) -> str:
    label = str(value).strip()
    for level in item.levels or ():
        if level.label == label:
            others = "、".join(f"{lv.label}{_points(lv.points, decimals)}" for lv in item.levels)
            return f"选“{label}”档：{_earned(item, level.points, decimals)}；各档：{others}"
    return _unreadable(value, "本项的档次（" + "/".join(lv.label for lv in item.levels or ()) + "）")


def explain_count_shortfall(item: ChecklistItem, value: Any, decimals: int) -> str:
    count = exact(value)
    if count is None:
        return _unreadable(value, "次数")
    target, per = item.target, item.per
    shortfall = max(target - count, Fraction(0))
    actual = f"实际{_n(count, decimals)}次"
    if shortfall == 0:
        return f"{actual}，达到要求的{_n(target, decimals)}次，不扣分，{_earned(item, item.max, decimals)}"
    deduction = shortfall * per
    return (
        f"{actual}，比要求{_n(target, decimals)}次少{_n(shortfall, decimals)}次 × 扣{_points(per, decimals)}"
        f" = {_deducted(item, deduction, decimals)}"
    )


def explain_deduction(item: ChecklistItem, value: Any, decimals: int) -> str:
    count = exact(value)
    if count is None:
        return _unreadable(value, "缺失件数")
    count = max(count, Fraction(0))
    if count == 0:
        return f"无缺失，不扣分，{_earned(item, item.max, decimals)}"
    deduction = count * item.per
    return f"缺{_n(count, decimals)}项 × 扣{_points(item.per, decimals)} = {_deducted(item, deduction, decimals)}"


PARTIAL_RULES = {
    "floor": "不足一档的不扣",
    "ceil": "不足一档的按一档扣",
    "prorate": "不足一档的按比例扣",
}


def explain_rate_steps(item: ChecklistItem, value: Any, decimals: int) -> str:
    rate = exact(value)
    if rate is None:
        return _unreadable(value, "比例")
    target, step, per = item.target, item.step, item.per
    shortfall = max(target - rate, Fraction(0))
    actual = f"实际{_n(rate, decimals)}%"
    if shortfall == 0:
        return f"{actual}，达到要求的{_n(target, decimals)}%以上，不扣分，{_earned(item, item.max, decimals)}"
    steps = shortfall / step
    whole = steps.denominator == 1
    if item.partial == "floor":
        counted = Fraction(math.floor(steps))
    elif item.partial == "ceil":
        counted = Fraction(math.ceil(steps))
    else:
        counted = steps
    rule = f"每低{_n(step, decimals)}个百分点扣{_points(per, decimals)}"
    head = f"{actual}，比要求{_n(target, decimals)}%低{_n(shortfall, decimals)}个百分点，{rule}"
    if whole:
        count_text = f"{_n(steps, decimals)}档"
    else:
        count_text = f"{_n(steps, decimals)}档，{PARTIAL_RULES[item.partial]}，按{_n(counted, decimals)}档计"
    if counted == 0:
        return f"{head}：{count_text}，不扣分，{_earned(item, item.max, decimals)}"
    deduction = counted * per
    return f"{head}：{count_text} × 扣{_points(per, decimals)} = {_deducted(item, deduction, decimals)}"


# kind → explainer(item, value, decimals) for a value that is there; blank input and 不适用 are said by
# explain_item before. Part "kinds" adds its kinds below.
EXPLAINERS: dict[str, Explainer] = {
    "points": explain_points,
    "level": explain_level,
    "count_shortfall": explain_count_shortfall,
    "deduction": explain_deduction,
    "rate_steps": explain_rate_steps,
}


def not_applicable_text(item: ChecklistItem, branch_kind: Any) -> str:
    kinds = "、".join(item.applies_to)
    return f"{g.NOT_APPLICABLE}（支部类型：{str(branch_kind).strip()}；本项只适用于{kinds}党支部），不计失分"


def explain_item(
    item: ChecklistItem,
    raw_input: Any,
    *,
    branch_kind: Any = None,
    decimals: int = display.SCORE_DECIMALS,
) -> str:
    """The 计算过程 of one item for one branch: ``raw_input`` is what was entered for it (as the 组织评定
    frame holds it: a number, a level's label; blank = not entered); ``branch_kind`` the branch's 支部类型
    (an item whose ``applies_to`` leaves it out is 不适用); ``decimals`` the rubric's (meta.decimals)."""
    if not item.applies(branch_kind):
        return not_applicable_text(item, branch_kind)
    if item.kind in KIND_EXPLAINERS:  # flag, evidence_deduction, multi_deduction, stepped
        if item.kind == "stepped" and item.bonus and blank_input(raw_input):
            return f"未填写：{g.BONUS_ITEM}空白按不加分计"
        return KIND_EXPLAINERS[item.kind](item, raw_input)
    if blank_input(raw_input):
        if item.bonus:
            return f"未填写：{g.BONUS_ITEM}空白按不加分计"
        return "未填写：缺项，组织评定未完成"
    explainer = EXPLAINERS.get(item.kind)
    if explainer is None:
        return f"计分方式“{item.kind}”暂无计算过程说明"
    return explainer(item, raw_input, decimals)


def item_input(item: ChecklistItem, row: Mapping[str, Any] | None) -> Any:
    """What :func:`explain_item` needs of a 组织评定 row (a frame row or the parsed form's ``org``): the
    item's own cell, or the whole row for a kind with several inputs (evidence marks, counts per rule)."""
    row = row if row is not None else {}
    return row if item.sub_inputs() else row.get(item.id)


def explain_bonus(
    items: list[ChecklistItem],
    points: Mapping[str, Fraction | None],
    groups: Mapping[str, str],
    cap: Fraction | None,
    *,
    decimals: int = display.SCORE_DECIMALS,
) -> tuple[Fraction, str]:
    """加分 after the rules of checklist.yaml ``bonus``: every ungrouped item, the best item of each group
    (不累计), then at most ``cap`` (封顶). ``points``: item id → points earned (None: not scored);
    ``groups``: group id → label. Returns the 加分 and how it came about."""
    parts: list[str] = []
    total = Fraction(0)
    best: dict[str, tuple[Fraction, ChecklistItem]] = {}
    for item in items:
        earned = points.get(item.id) or Fraction(0)
        if item.bonus_group is None:
            total += earned
            if earned:
                parts.append(f"{item.label}{_points(earned, decimals)}")
        elif item.bonus_group not in best or earned > best[item.bonus_group][0]:
            best[item.bonus_group] = (earned, item)
    for group, (earned, item) in best.items():
        total += earned
        if earned:
            parts.append(f"{item.label}{_points(earned, decimals)}（{groups.get(group, group)}不累计，取最高一项）")
    text = "、".join(parts) if parts else "无加分"
    if len(parts) > 1:
        text += f"，合计{_points(total, decimals)}"
    if cap is not None and total > cap:
        text += f"，超过加分上限{_points(cap, decimals)}，按{_points(cap, decimals)}计"
        total = cap
    return total, f"{text}：加{_points(total, decimals)}"
