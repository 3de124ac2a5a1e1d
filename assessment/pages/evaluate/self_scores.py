"""The branch's own scores (自评) beside the evaluator's fields on the 考评 page.

Real 评分细则 list 自查分 beside 考核分 for each item (DOMAIN.md): the evaluator sees what the branch gave
itself and, once they have entered a value, the gap 考核分 − 自查分 in points of that indicator. Only a
**submitted** self-assessment is shown — a draft is the branch's private work.

Points come from the rubric's own item scoring (:func:`~assessment.analysis.self_assessment.payload_item_points` for the
branch's payload, the page's scored :class:`~assessment.scoring.Results` for the evaluator's), held as
exact fractions of the rubric's decimals (:func:`~assessment.scoring.numbers.quantize`, as scoring compares
scores), so 3.5 against 3.5 is "the same" and never 0.0000001 apart.

:func:`self_side` is worked out once when a branch opens; :class:`SelfScoreView` redraws the lines from it
and the page's latest results when the evaluator types — no database read, and only the lines whose text
changed are sent to the browser. The lines' HTML comes from ``templates/evaluate/self_scores.html.j2``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ... import glossary as g
from ...analysis.self_assessment import payload_item_points
from ...inputs.frames import item_input_columns
from ...inputs.payload import parse_payload
from ...inputs.workbook.layout import sheet_specs
from ...localtime import local_time
from ...rubric import ChecklistItem, Rubric, format_fraction
from ...rubric.model import EVIDENCE_MARKS
from ...scoring import Results
from ...scoring.channels import item_applicability, org_bonus, org_score
from ...scoring.numbers import quantize
from ...store import SelfAssessment
from ..components import format_cell, html_box, input_text, macros

__all__ = ["NO_SELF_ASSESSMENT", "SelfScoreView", "SelfSide", "SelfValue", "exact_points", "self_side"]

NO_SELF_ASSESSMENT = f"该支部本年度未提交{g.SELF_ASSESSMENT}"
MINUS = "−"  # U+2212: a minus sign that does not read as a dash
SAME = f"与{g.SELF_ASSESSMENT}一致"
DIFFERENT = f"与{g.SELF_ASSESSMENT}不同"
TALLY_UNIT = "人"
TALLY_CHANNELS = ("member", "public")


def exact_points(value: Any, decimals: int) -> Fraction | None:
    """Item points as an exact fraction: rounded half-up to the rubric's decimals as scoring does
    (a Fraction stays as it is); None where there are none (blank, wrong, not scored)."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, Fraction):
        return value
    number = float(value)
    if math.isnan(number):
        return None
    return Fraction(int(quantize([number], decimals)[0]), 10**decimals)


def points_text(points: Fraction) -> str:
    return f"{format_fraction(points)} {g.POINTS}"


def signed_text(value: Fraction) -> str:
    """+1.5 / −1.5 / 0."""
    if value == 0:
        return "0"
    return ("+" if value > 0 else MINUS) + format_fraction(abs(value))


@dataclass(frozen=True)
class SelfValue:
    """What the branch gave for one field, as the evaluator's form has it."""

    path: str  # the evaluator's field: org.items.s1.value, org.annual_review_grade, member.excellent …
    text: str  # in the item's own unit: "3 分", "已参加（3 分）", "10 次（3 分）", "18 人", "未填"
    points: Fraction | None = None  # 组织评定 items: the points the rubric's scoring gives
    value: Any = None  # other fields: the parsed value, compared with the evaluator's


@dataclass(frozen=True)
class SelfSide:
    """A branch's submitted self-assessment, ready to be put beside the evaluator's fields."""

    submitted_at: dt.datetime
    rubric_version: str
    values: Mapping[str, SelfValue]
    total: Fraction  # 组织评定 of the items the branch filled (weighted as scoring does), plus 加分, within the caps
    bonus: Fraction  # the 加分 in ``total``
    unfilled: int  # base items the branch left blank (or filled with something the rubric cannot score)


def _item_text(item: ChecklistItem, value: Any, points: Fraction) -> str:
    shown = input_text(value)
    pts = points_text(points)
    return {
        "points": pts,
        "level": f"{shown}（{pts}）",
        "count_shortfall": f"{shown} 次（{pts}）",
        "deduction": f"缺 {shown} 件（{pts}）",
        "rate_steps": f"{shown}%（{pts}）",
        "flag": g.yes_no(bool(value)) if isinstance(value, bool) else shown,
    }.get(item.kind, f"{shown}（{pts}）")


def _sub_text(item: ChecklistItem, values: list[Any]) -> str:
    """An evidence_deduction item's marks (缺失 n 项) or a multi_deduction item's counts, in words."""
    if item.kind == "evidence_deduction":
        return f"缺失 {sum(1 for v in values if v == EVIDENCE_MARKS[1])} 项"
    return "、".join(f"{rule.label}{input_text(v)}次" for rule, v in zip(item.rules, values))


def _raw(payload: Mapping[str, Any], path: str) -> Any:
    if path.startswith("org.items."):
        item_id = path.split(".")[2]
        return ((payload.get("org") or {}).get("items") or {}).get(item_id, {}).get("value")
    channel, _, key = path.partition(".")
    return (payload.get(channel) or {}).get(key)


def _unscorable(raw: Any) -> str:
    return f"“{input_text(raw)}”（无法计分）"


def self_side(
    rubric: Rubric, branch_id: str, self_assessment: SelfAssessment | None, kind: str | None = None
) -> SelfSide | None:
    """The branch's values and 自查分 per field, or None without a submitted self-assessment. ``kind``: the
    branch's 支部类型; an item that does not apply to it (applies_to) is 不适用, neither unfilled nor counted."""
    if self_assessment is None or self_assessment.status != "submitted":
        return None
    payload = self_assessment.payload or {}
    decimals = rubric.meta.decimals
    parsed, _problems = parse_payload(payload, rubric)
    points = payload_item_points(rubric, branch_id, payload)
    values: dict[str, SelfValue] = {}
    counted = points.copy()  # what 自查总分 adds up: a blank or unscorable item counts 0
    unfilled = 0
    applicable = item_applicability(rubric, [kind], pd.Index([branch_id]))
    for item in rubric.items:
        path = f"org.items.{item.id}.value"
        if not item.applies(kind):
            counted[item.id] = float("nan")
            values[path] = SelfValue(path, g.NOT_APPLICABLE)
            continue
        own = exact_points(points.get(item.id), decimals)
        if item.sub_inputs():
            # evidence_deduction / multi_deduction: filled when every mark or count is; shown as the
            # marks or counts themselves.
            subs = [parsed["org"].get(key) for key in item_input_columns(item)]
            value = None if any(v is None for v in subs) else _sub_text(item, subs)
        else:
            value = parsed["org"].get(item.id)
        if own is None or value is None:
            # A blank 加分项 adds nothing, a blank flag costs nothing: neither is missing.
            unfilled += 0 if item.bonus or not item.scored else 1
            counted[item.id] = 0.0
            raw = _raw(payload, path)
            text = g.NOT_FILLED if raw in (None, "") else _unscorable(raw)
            values[path] = SelfValue(path, text)
            continue
        # A flag earns 0 either way: its 是/否 is shown, not compared as points.
        values[path] = SelfValue(path, _item_text(item, value, own), points=own if item.scored else None)
    # 自查总分: the 组织评定 of what the branch filled in, by the scoring's own rule (weights, 加分 with its
    # groups and caps, the total cap), rounded as scoring rounds it; the 加分 in it, shown apart.
    frame = counted.to_frame().T
    bonus = org_bonus(rubric, frame) if rubric.bonus_items else None
    frame.index = applicable.index
    total = exact_points(org_score(rubric, frame, bonus, applicable)[0], decimals)
    extra = exact_points(bonus[0], decimals) if bonus is not None else Fraction(0)
    # The review grade and the tallies only where the branch gave them (its page says 可不填).
    grade = parsed["org"].get("annual_review_grade")
    if grade is not None:
        values["org.annual_review_grade"] = SelfValue("org.annual_review_grade", str(grade), value=grade)
    specs = sheet_specs(rubric)
    for channel in (c for c in TALLY_CHANNELS if c in specs):  # only the channels the rubric uses
        columns = [c for c in specs[channel].columns if c.key != "branch_id"]
        given = {c.key: parsed[channel].get(c.key) for c in columns}
        if all(v is None for v in given.values()):
            continue
        for column in columns:
            path = f"{channel}.{column.key}"
            value = given[column.key]
            if value is None:
                raw = _raw(payload, path)
                text = g.NOT_FILLED if raw in (None, "") else f"“{input_text(raw)}”"
            elif column.kind == "yes_no":
                text = g.yes_no(bool(value))
            else:
                text = f"{input_text(value)} {TALLY_UNIT}"
            values[path] = SelfValue(path, text, value=value)
    return SelfSide(
        submitted_at=self_assessment.updated_at,
        rubric_version=self_assessment.rubric_version,
        values=values,
        total=total,
        bonus=extra,
        unfilled=unfilled,
    )


class SelfScoreView:
    """The summary line over the form and the 自评 line beside each field (``beside``: path → HTML box).

    What a user reads is kept as plain text — :attr:`summary_text`, :attr:`texts` (path → line) and
    :attr:`differing` (item ids where 考核分 ≠ 自查分) — so tests read what the page shows.
    """

    def __init__(self, rubric: Rubric, beside: Mapping[str, widgets.HTML]):
        self.rubric = rubric
        self.beside = dict(beside)
        self.summary = html_box(css="siping-self-summary-box")
        self.side: SelfSide | None = None
        self.open = False
        self.texts: dict[str, str] = {}
        self.differing: tuple[str, ...] = ()
        self.compared = 0
        self.summary_text = ""
        self._loaded: tuple[str | None, SelfAssessment | None] = (None, None)

    def load(
        self,
        rubric: Rubric,
        branch_id: str | None,
        self_assessment: SelfAssessment | None,
        results: Results | None = None,
        parsed: Mapping[str, Any] | None = None,
        kind: str | None = None,
    ) -> None:
        """Another branch or year is open: its submitted self-assessment (None: it has none), compared
        with the evaluator's ``results`` and ``parsed`` values if they are already those of this branch."""
        if not (self.open and (branch_id, self_assessment) == self._loaded and rubric is self.rubric):
            self.rubric = rubric
            self.open = branch_id is not None
            self._loaded = (branch_id, self_assessment)
            self.side = self_side(rubric, branch_id, self_assessment, kind) if branch_id is not None else None
        self.compare(results, parsed or {}, branch_id)

    def compare(self, results: Results | None, parsed: Mapping[str, Any], branch_id: str | None) -> None:
        """Redraw every line against the evaluator's scored results and parsed values."""
        side = self.side
        assessed = None
        if results is not None and branch_id is not None and branch_id in results.items.index:
            assessed = results.items.loc[branch_id]
        decimals = self.rubric.meta.decimals
        differing: list[str] = []
        compared = 0
        for path, box in self.beside.items():
            own = side.values.get(path) if side is not None else None
            if own is None:
                if side is not None and path.startswith("org.items."):
                    own = SelfValue(path, g.NOT_FILLED)  # an item of this rubric the payload does not have
                else:
                    self._set(path, box, "", "")
                    continue
            gap_text, differs = "", False
            if path.startswith("org.items."):
                item_id = path.split(".")[2]
                mine = exact_points(assessed.get(item_id), decimals) if assessed is not None else None
                if own.points is not None and mine is not None:
                    compared += 1
                    if mine == own.points:
                        gap_text = SAME
                    else:
                        differing.append(item_id)
                        gap_text = (
                            f"{g.ASSESSED_SCORE} {points_text(mine)} · "
                            f"{g.SCORE_GAP} {signed_text(mine - own.points)} {g.POINTS}"
                        )
                    differs = mine != own.points
            else:
                mine = _parsed_value(parsed, path)
                if own.value is not None and mine is not None:
                    if mine == own.value:
                        gap_text = SAME
                    elif isinstance(own.value, (bool, str)):
                        gap_text = DIFFERENT
                    else:
                        gap_text = f"{g.SCORE_GAP} {signed_text(Fraction(mine) - Fraction(own.value))} {TALLY_UNIT}"
                    differs = mine != own.value
            label = f"{g.SELF_ASSESSMENT}：{own.text}"
            html_value = _lines().beside(format_cell(label), gap_text, differs)
            self._set(path, box, html_value, label + (f" · {gap_text}" if gap_text else ""))
        self.differing = tuple(differing)
        self.compared = compared
        self._render_summary()

    def _set(self, path: str, box: widgets.HTML, html_value: str, text: str) -> None:
        self.texts[path] = text
        box.value = html_value  # an unchanged value is not sent again (traitlets compares)

    def _render_summary(self) -> None:
        side = self.side
        if not self.open:
            text, value = "", ""
        elif side is None:
            text = NO_SELF_ASSESSMENT
            value = _lines().summary_none(text)
        else:
            total = f"{g.SELF_TOTAL} {format_fraction(side.total)}"
            if side.bonus:
                total += f"，含加分 {format_fraction(side.bonus)}"
            if side.unfilled:
                total += f"，{side.unfilled} 项{g.NOT_FILLED}"
            version = ""
            if side.rubric_version != self.rubric.version:
                version = f"，按评分标准版本 {side.rubric_version} 填写"
            head = f"支部已于 {local_time(side.submitted_at)} 提交{g.SELF_ASSESSMENT}（{total}{version}）"
            differ = f"{g.ASSESSED_SCORE}与{g.SELF_SCORE}不同 {len(self.differing)} 项"
            compared = f"；两者都有分的 {self.compared} 项中，"
            tail = compared + differ if self.compared else ""
            text = head + tail
            value = _lines().summary(head, compared if self.compared else "", differ, bool(self.differing))
        self.summary_text = text
        if self.summary.value != value:
            self.summary.value = value


def _lines():
    return macros("evaluate/self_scores.html.j2")


def _parsed_value(parsed: Mapping[str, Any], path: str) -> Any:
    if path == "org.annual_review_grade":
        return (parsed.get("org") or {}).get("annual_review_grade")
    channel, _, key = path.partition(".")
    return (parsed.get(channel) or {}).get(key)
