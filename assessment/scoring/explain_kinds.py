"""计算过程 in words for the kinds flag, evidence_deduction, multi_deduction and stepped.

Each explainer takes the item and its raw input and says how the points came about, from the rule and the
input only (exact fractions, no rounding): "缺失2项 × 扣2分 = 扣4分，得1分（满分5分）". ``KIND_EXPLAINERS``
maps each kind to its explainer; assessment.scoring.explain registers them beside the other kinds'.

The raw input is what the evaluator gave for the item, in any of the forms the kit carries it:
- a row of the 组织评定 frame (a dict or pandas Series with the keys ``<id>`` or ``<id>.<suffix>``,
  see assessment.inputs.frames.item_input_columns),
- the item's entry of a payload (``{"value": …, "evidence": {name: seen/missing}, "counts": {rule: n}}``),
- for flag and stepped, the value itself (True/False/是/否, a count).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import pandas as pd

from ..rubric.model import EVIDENCE_MARKS, ChecklistItem
from ..rubric.types import format_fraction

__all__ = [
    "KIND_EXPLAINERS",
    "explain_evidence_deduction",
    "explain_flag",
    "explain_multi_deduction",
    "explain_stepped",
    "kind_earned",
]

_STATE_MARKS = {"seen": EVIDENCE_MARKS[0], "missing": EVIDENCE_MARKS[1]}


def _blank(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _f(value: Fraction) -> str:
    return format_fraction(Fraction(value))


def _number(value: Any) -> Fraction | None:
    if _blank(value) or isinstance(value, bool):
        return None
    try:
        return Fraction(str(value).strip()) if isinstance(value, str) else Fraction(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _single(item: ChecklistItem, raw: Any) -> Any:
    """The one value of a flag or stepped item from any of the raw forms."""
    if isinstance(raw, (Mapping, pd.Series)):
        if "value" in raw and item.id not in raw:
            return raw.get("value")
        return raw.get(item.id)
    return raw


def _subs(item: ChecklistItem, raw: Any) -> dict[str, Any]:
    """Per sub-input suffix (evidence number or rule id): the mark (已查看/缺失) or the count, None if blank."""
    out: dict[str, Any] = {}
    if raw is None:
        return dict.fromkeys((suffix for suffix, _ in item.sub_inputs()), None)
    payload = isinstance(raw, Mapping) and ("evidence" in raw or "counts" in raw)
    for suffix, label in item.sub_inputs():
        if payload and item.kind == "evidence_deduction":
            value = _STATE_MARKS.get((raw.get("evidence") or {}).get(label))
        elif payload:
            value = (raw.get("counts") or {}).get(suffix)
        else:
            value = raw.get(f"{item.id}.{suffix}")
        out[suffix] = None if _blank(value) else value
    return out


def _result(taken: Fraction, top: Fraction) -> str:
    """ "扣X分，得Y分（满分Z分）", saying 扣完为止 where the deduction reaches past the 满分."""
    if taken >= top:
        return f"扣{_f(taken)}分，扣完为止，得0分（满分{_f(top)}分）"
    return f"扣{_f(taken)}分，得{_f(top - taken)}分（满分{_f(top)}分）"


def _flag_value(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return {"是": True, "否": False}.get(value.strip())
    if _blank(value):
        return None
    try:
        return bool(value)
    except (TypeError, ValueError):
        return None


def explain_flag(item: ChecklistItem, raw: Any) -> str:
    value = _flag_value(_single(item, raw))
    if value is None:
        return f"未记录“{item.flag_label}”（是/否）；本项不计分，只作否决或等次限制的依据"
    return f"记录“{item.flag_label}”：{'是' if value else '否'}；本项不计分，只作否决或等次限制的依据"


def _evidence_count(item: ChecklistItem, raw: Any) -> tuple[list[str], list[str], list[str]]:
    """The evidence names marked 已查看, marked 缺失, and left blank."""
    names = dict(item.sub_inputs())
    seen, missing, blank = [], [], []
    for suffix, mark in _subs(item, raw).items():
        {EVIDENCE_MARKS[0]: seen, EVIDENCE_MARKS[1]: missing}.get(mark, blank).append(names[suffix])
    return seen, missing, blank


def explain_evidence_deduction(item: ChecklistItem, raw: Any) -> str:
    seen, missing, blank = _evidence_count(item, raw)
    total = len(item.evidence)
    if blank:
        return f"台账{total}项中{len(blank)}项尚未填写“已查看”或“缺失”（{'、'.join(blank)}），本项未评分"
    head = f"台账{total}项：已查看{len(seen)}项，缺失{len(missing)}项" + (
        f"（{'、'.join(missing)}）" if missing else ""
    )
    if not missing:
        return f"{head}；不扣分，得{_f(item.max)}分（满分{_f(item.max)}分）"
    taken = item.per * len(missing)
    return f"{head}；缺失{len(missing)}项 × 扣{_f(item.per)}分 = {_result(taken, item.max)}"


def explain_multi_deduction(item: ChecklistItem, raw: Any) -> str:
    counts = _subs(item, raw)
    blank = [rule.label for rule in item.rules if _number(counts[rule.id]) is None]
    if blank:
        return f"尚未填写{'、'.join(blank)}的次数，本项未评分"
    parts, taken = [], Fraction(0)
    for rule in item.rules:
        count = max(_number(counts[rule.id]), Fraction(0))
        if count:
            parts.append(f"{rule.label}{_f(count)}次 × 扣{_f(rule.per)}分 = 扣{_f(count * rule.per)}分")
            taken += count * rule.per
    if not parts:
        return (
            f"{'、'.join(rule.label for rule in item.rules)}均为0次；不扣分，得{_f(item.max)}分（满分{_f(item.max)}分）"
        )
    total = "；合计" if len(parts) > 1 else "；"
    return "；".join(parts) + total + _result(taken, item.max)


def _steps_text(item: ChecklistItem) -> str:
    return "、".join(f"{step.at}以上得{_f(step.points)}分" for step in item.steps)


def explain_stepped(item: ChecklistItem, raw: Any) -> str:
    count = _number(_single(item, raw))
    rule = f"（{_steps_text(item)}，不累计）"
    if count is None:
        return f"未填写达到的数量，本项未评分{rule}"
    reached = [step for step in item.steps if count >= step.at]
    if not reached:
        return f"达到{_f(count)}，不足{item.steps[0].at}，得0分{rule}"
    step = reached[-1]
    earned = min(step.points, item.max)
    capped = f"，以满分{_f(item.max)}分为限" if step.points > item.max else ""
    return f"达到{_f(count)}，在{step.at}以上，得{_f(earned)}分{capped}{rule}"


def kind_earned(item: ChecklistItem, raw: Any) -> Fraction | None:
    """The points an item of these kinds earns from its raw input, exactly (None: not scored). The same
    rule scoring applies over whole columns (assessment.scoring.channels), for one branch's words."""
    if item.kind == "flag":
        return None if _flag_value(_single(item, raw)) is None else Fraction(0)
    if item.kind == "stepped":
        count = _number(_single(item, raw))
        if count is None:
            return None
        reached = [step.points for step in item.steps if count >= step.at]
        return min(reached[-1], item.max) if reached else Fraction(0)
    if item.kind == "evidence_deduction":
        _seen, missing, blank = _evidence_count(item, raw)
        return None if blank else max(item.max - item.per * len(missing), Fraction(0))
    if item.kind == "multi_deduction":
        counts = {key: _number(value) for key, value in _subs(item, raw).items()}
        if any(value is None for value in counts.values()):
            return None
        taken = sum((rule.per * max(counts[rule.id], Fraction(0)) for rule in item.rules), Fraction(0))
        return max(item.max - taken, Fraction(0))
    raise ValueError(item.kind)


KIND_EXPLAINERS: dict[str, Callable[[ChecklistItem, Any], str]] = {
    "flag": explain_flag,
    "evidence_deduction": explain_evidence_deduction,
    "multi_deduction": explain_multi_deduction,
    "stepped": explain_stepped,
}
