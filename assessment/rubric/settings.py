"""Editing a rubric as an analyst: what may change, changing it, and what changed.

- :func:`adjustable_settings` lists every setting an analyst of the 组织部/党建办 may move: the
  settings the sources do not fix (``choice: true`` / ``weight_choice: true`` / ``threshold_choice:
  true`` in ``rubrics/``, and every checklist weight — a points rubric's 分值 per item: the sources give
  no weights). The four 最强
  veto rules are fixed by 001 §三(四) and are never listed; :func:`apply_changes` refuses to touch them.
- :func:`apply_changes` writes changes into the YAML texts. ruamel.yaml parses each file and gives
  the exact span of every scalar; only that span is replaced, so comments, sources, flow mappings
  and line breaks stay byte for byte (a full ruamel dump would re-flow ``{…}`` lines and drop
  ``null``). The result is validated with :func:`~assessment.rubric.load_rubric_texts`: a change
  that breaks the rubric is refused with the loader's Chinese ``file:line`` error.
- :func:`apply_to_rubric` gives the same rubric without YAML (fast: for re-scoring while a slider
  moves); :func:`diff_rubrics` lists what differs between two versions, with Chinese labels.
- :func:`rebalance` and :func:`equalize` keep a group of weights summing to exactly 1 (a points rubric's
  分值: to total_points, each at least one step); :func:`with_subtotals` adds the areas' subtotals that
  follow the items' new 分值, so that every level of the hierarchy still adds up.

Numbers are written as exact decimals when they terminate (``0.35``), else as a quoted fraction
(``"1/3"``), which :func:`~assessment.rubric.to_fraction` reads back exactly.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from .. import glossary as g
from ..glossary import FIELD_LABELS
from .loader import RubricError, RubricProblem, element_name, load_rubric_texts
from .model import FILES, Band, ChecklistItem, Rubric
from .types import format_fraction, format_percent, to_fraction

__all__ = [
    "DEFAULT_STEP",
    "GROUP_LABELS",
    "POINTS_GROUP_LABEL",
    "WEIGHT_GROUPS",
    "Change",
    "ChangeLine",
    "DiffLine",
    "NewVersion",
    "Setting",
    "adjustable_settings",
    "apply_changes",
    "apply_to_rubric",
    "area_label",
    "change_lines",
    "decimal_text",
    "diff_rubrics",
    "equalize",
    "format_setting_value",
    "group_label",
    "group_total",
    "next_version",
    "path_text",
    "points_step",
    "prepare_version",
    "rebalance",
    "setting_change",
    "stamp_meta",
    "weights_sum_text",
    "with_subtotals",
]

Path = tuple[str | int, ...]
Value = Fraction | int | str | bool

# The grid weights are kept on after a move: hundredths, as an analyst writes them (0.35).
DEFAULT_STEP = Fraction(1, 100)

# Groups whose weights must sum to 1 (ChannelsFile / ChecklistFile check it on load).
WEIGHT_GROUPS = ("channels", "items")

GROUP_LABELS = {
    "channels": "四评通道权重",
    "items": "组织评定指标权重",
    "grades": "等次分档",
    "stars": "星级分档",
    "standardized": "达标条件",
    "five_strong": "五强标准",
    "weak": "软弱涣散判定",
    "reconciliation": "多名考评人的合并方法",
    "bonus": "加分与总分上限",
}

POINTS_GROUP_LABEL = "组织评定细则分值"  # the items group of a points rubric


def group_label(setting: Setting) -> str:
    """The heading of ``setting``'s group (a points rubric's items: 组织评定细则分值)."""
    return POINTS_GROUP_LABEL if setting.kind == "points" else GROUP_LABELS[setting.group]


_VETO_REFUSED = "“最强党支部”否决规则由来源文件（001 §三(四)）规定，不能调整"


# ---------------------------------------------------------------------------------- values
def decimal_text(value: Fraction) -> str | None:
    """'0.35' for 7/20, '80' for 80, None for 1/3 (no finite decimal)."""
    value = Fraction(value)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return None
    digits = max(twos, fives)
    if digits == 0:
        return str(value.numerator)
    scaled = abs(value.numerator * 10**digits // value.denominator)
    text = str(scaled).rjust(digits + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


def path_text(path: Path) -> str:
    """('items', 3, 'weight') → 'items[3].weight'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _named_path(data: Any, path: Path) -> str:
    """Like :func:`path_text` for messages, but a list element with an ``id`` is named by it:
    ('items', 3, 'weight') → 'items[t5].weight'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            inside = isinstance(data, list) and 0 <= part < len(data)
            text += f"[{element_name(data[part], part) if inside else part}]"
            data = data[part] if inside else None
        else:
            text += f".{part}" if text else str(part)
            data = data.get(part) if isinstance(data, dict) else None
    return text


# --------------------------------------------------------------------------------- changes
@dataclass(frozen=True)
class Change:
    """Set the scalar at ``path`` of rubric file ``file`` to ``value``."""

    file: str
    path: Path
    value: Value


@dataclass(frozen=True)
class Setting:
    """One setting an analyst may change, with everything a page needs to offer it.

    ``paths`` all take the value (a band edge is the upper band's ``min`` and the lower band's
    ``max``). ``label_paths`` are rubric labels that spell the old number (``综合得分80分以上``):
    :meth:`changes` rewrites them with the new number so reasons shown to users stay true.
    ``unit`` is how a page shows the value: ``"%"`` means a share shown ×100.
    """

    id: str
    group: str
    label: str
    value: Value
    file: str
    paths: tuple[Path, ...]
    kind: Literal["weight", "points", "score", "share", "count", "option"]
    minimum: Value | None = None
    maximum: Value | None = None
    step: Fraction | int | None = None
    unit: str = ""
    note: str = ""
    section: str = ""
    options: tuple[tuple[str, str], ...] = ()
    affects_scores: bool = True
    label_paths: tuple[tuple[Path, str], ...] = field(default=(), repr=False)
    # Values that move in proportion with this one (a level item's levels follow its 分值): path, value now.
    scaled: tuple[tuple[Path, Fraction], ...] = field(default=(), repr=False)

    def changes(self, value: Value) -> list[Change]:
        changes = [Change(self.file, path, value) for path in self.paths]
        if self.scaled and Fraction(self.value) != 0:
            factor = Fraction(value) / Fraction(self.value)
            changes += [Change(self.file, path, old * factor) for path, old in self.scaled]
        for path, template in self.label_paths:
            changes.append(Change(self.file, path, template.format(_label_number(value, template))))
        return changes


def _number_text(value: Fraction) -> str:
    return decimal_text(value) or format_fraction(value)


def _label_number(value: Value, template: str) -> str:
    if isinstance(value, str):
        return value
    if "{}%" in template:
        return _number_text(Fraction(value) * 100)
    return _number_text(Fraction(value))


def _label_template(label: str, value: Value) -> str | None:
    """The label with the number it spells replaced by ``{}`` — only when it appears exactly once."""
    if isinstance(value, str):
        return None
    candidates = [_number_text(Fraction(value))]
    if isinstance(value, Fraction) and value <= 1:
        candidates.insert(0, _number_text(value * 100) + "%")
    for text in candidates:
        # The number must stand alone: '60' in '160分' is not the threshold.
        hits = [m for m in re.finditer(re.escape(text), label) if _stands_alone(label, m.start(), m.end())]
        if len(hits) == 1:
            start, end = hits[0].span()
            suffix = "%" if text.endswith("%") else ""
            return (
                label[:start].replace("{", "{{").replace("}", "}}")
                + "{}"
                + suffix
                + (label[end:].replace("{", "{{").replace("}", "}}"))
            )
    return None


def _stands_alone(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return not (before.isdigit() or before == ".") and not (after.isdigit() or after == ".")


def format_setting_value(setting: Setting, value: Value | None = None) -> str:
    """A value as the page shows it: '0.35', '85%', '80', '中位数'."""
    value = setting.value if value is None else value
    if setting.kind == "option":
        return {v: label for label, v in setting.options}.get(str(value), str(value))
    if setting.unit == "%":
        return _number_text(Fraction(value) * 100) + "%"
    return _number_text(Fraction(value)) + setting.unit


# ---------------------------------------------------------------------- adjustable settings
def _edge_settings(
    bands: tuple[Band, ...], group: str, what: str, note: str, decimals: int, base_path: Path
) -> list[Setting]:
    """One setting per shared edge of a band scale (the bands tile the scale, see check_bands)."""
    unit = Fraction(1, 10**decimals)
    order = sorted(range(len(bands)), key=lambda i: bands[i].min)
    settings = []
    for position, (low_i, high_i) in enumerate(itertools.pairwise(order)):
        low, high = bands[low_i], bands[high_i]
        owner = high.label if high.min_inclusive else low.label
        settings.append(
            Setting(
                id=f"{group}.edge.{position}",
                group=group,
                label=f"“{low.label}”与“{high.label}”的分界",
                value=high.min,
                file="eligibility.yaml",
                paths=((*base_path, high_i, "min"), (*base_path, low_i, "max")),
                kind="score",
                minimum=low.min + unit,
                maximum=high.max - unit,
                step=Fraction(1, 2),
                unit="分",
                note=f"{what}：分界值本身属于“{owner}”。{note}",
            )
        )
    return settings


def _score_top(rubric: Rubric, target: str) -> Fraction:
    """The highest score ``target`` (composite or a channel) can reach: above 100 only in 积分制."""
    if target == "composite":
        return max(rubric.meta.scale_max, rubric.composite_max())
    if target == "org":
        return max(rubric.meta.scale_max, rubric.checklist.org_max())
    return rubric.meta.scale_max


def adjustable_settings(rubric: Rubric) -> list[Setting]:
    """Every setting an analyst may change, in page order. Never the veto rules."""
    settings: list[Setting] = []
    scale = (rubric.meta.scale_min, rubric.meta.scale_max)
    decimals = rubric.meta.decimals

    for index, channel in enumerate(rubric.channels.channels):
        if channel.weight_choice:
            settings.append(
                Setting(
                    id=f"channels.{channel.id}",
                    group="channels",
                    label=channel.label,
                    value=channel.weight,
                    file="channels.yaml",
                    paths=(("channels", index, "weight"),),
                    kind="weight",
                    minimum=Fraction(0),
                    maximum=Fraction(1),
                    step=DEFAULT_STEP,
                    note=f"来源文件没有给出权重（选择）。{channel.source}",
                )
            )

    checklist = rubric.checklist
    if checklist.in_points:
        settings += _points_settings(rubric)
    areas = {a.id: a.label for a in checklist.areas}
    for index, item in enumerate(rubric.items):
        # 加分项 and flags carry no weight (not in the group that sums to 1); a points rubric has 分值 controls
        if item.bonus or not item.scored or checklist.in_points:
            continue
        settings.append(
            Setting(
                id=f"items.{item.id}",
                group="items",
                label=f"{item.id} {item.label}",
                value=item.weight,
                file="checklist.yaml",
                paths=(("items", index, "weight"),),
                kind="weight",
                minimum=Fraction(0),
                maximum=Fraction(1),
                step=DEFAULT_STEP,
                section=areas.get(item.area, item.area),
                note=f"条目来源：{item.source}",
            )
        )

    eligibility = rubric.eligibility
    if eligibility.grades.choice:
        settings += _edge_settings(
            eligibility.grades.bands, "grades", g.GRADE, eligibility.grades.source, decimals, ("grades", "bands")
        )
    if eligibility.stars.choice:
        settings += _edge_settings(
            eligibility.stars.bands, "stars", g.STARS, eligibility.stars.source, decimals, ("stars", "bands")
        )
        if eligibility.stars.max_if_not_standardized is not None:
            settings.append(
                Setting(
                    id="stars.max_if_not_standardized",
                    group="stars",
                    label="未达标支部的星级上限",
                    value=eligibility.stars.max_if_not_standardized,
                    file="eligibility.yaml",
                    paths=(("stars", "max_if_not_standardized"),),
                    kind="count",
                    minimum=0,
                    maximum=max(b.stars or 0 for b in eligibility.stars.bands),
                    step=1,
                    unit="星",
                    note="选择：否决只限星级、不扣分。" + eligibility.stars.source,
                )
            )

    n_rules = len(rubric.activities.rules)
    for index, cond in enumerate(eligibility.standardized.conditions):
        if not cond.choice:
            continue
        base = ("standardized", "conditions", index)
        if cond.type == "score_at_least":
            settings.append(
                _with_label(
                    Setting(
                        id=f"standardized.{index}.threshold",
                        group="standardized",
                        label=f"{_target_label(rubric, cond.target)}分数线（{'含' if cond.inclusive else '不含'}本数）",
                        value=cond.threshold,
                        file="eligibility.yaml",
                        paths=((*base, "threshold"),),
                        kind="score",
                        minimum=scale[0],
                        maximum=_score_top(rubric, cond.target),
                        step=Fraction(1, 2),
                        unit="分",
                        note=f"选择：{cond.label}。{eligibility.standardized.source}",
                    ),
                    cond.label,
                    (*base, "label"),
                )
            )
        elif cond.type == "key_items_at_least":
            settings.append(
                _with_label(
                    Setting(
                        id=f"standardized.{index}.share",
                        group="standardized",
                        label=f"关键项得分率下限（{'含' if cond.inclusive else '不含'}本数）",
                        value=cond.share,
                        file="eligibility.yaml",
                        paths=((*base, "share"),),
                        kind="share",
                        minimum=Fraction(0),
                        maximum=Fraction(1),
                        step=DEFAULT_STEP,
                        unit="%",
                        note=f"选择：{cond.label}。关键项：" + "、".join(i.label for i in rubric.items if i.key),
                    ),
                    cond.label,
                    (*base, "label"),
                )
            )
        elif cond.type == "activity_rules_met":
            settings.append(
                _with_label(
                    Setting(
                        id=f"standardized.{index}.max_failed",
                        group="standardized",
                        label="允许未达到的组织生活频次项数",
                        value=cond.max_failed,
                        file="eligibility.yaml",
                        paths=((*base, "max_failed"),),
                        kind="count",
                        minimum=0,
                        maximum=n_rules,
                        step=1,
                        unit="项",
                        note=f"选择：{cond.label}（默认0项，即全部达到）。",
                    ),
                    cond.label,
                    (*base, "label"),
                )
            )

    five = rubric.checklist.five_strong
    if five.threshold_choice:
        settings.append(
            Setting(
                id="five_strong.threshold",
                group="five_strong",
                label="五强各维度得分率下限（含本数）",
                value=five.threshold,
                file="checklist.yaml",
                paths=(("five_strong", "threshold"),),
                kind="share",
                minimum=Fraction(0),
                maximum=Fraction(1),
                step=DEFAULT_STEP,
                unit="%",
                note=f"选择。{five.source}",
            )
        )

    if eligibility.weak.choice:
        for index, cond in enumerate(eligibility.weak.any_of):
            base = ("weak", "any_of", index)
            if cond.type == "score_below":
                settings.append(
                    _with_label(
                        Setting(
                            id=f"weak.{index}.threshold",
                            group="weak",
                            label=f"{_target_label(rubric, cond.target)}低于（不含本数）",
                            value=cond.threshold,
                            file="eligibility.yaml",
                            paths=((*base, "threshold"),),
                            kind="score",
                            minimum=scale[0],
                            maximum=_score_top(rubric, cond.target),
                            step=Fraction(1, 2),
                            unit="分",
                            note=f"选择：{cond.label}。{eligibility.weak.source}",
                        ),
                        cond.label,
                        (*base, "label"),
                    )
                )
            elif cond.type == "activity_failures_at_least":
                settings.append(
                    _with_label(
                        Setting(
                            id=f"weak.{index}.count",
                            group="weak",
                            label="未达到的组织生活频次项数达到（含本数）",
                            value=cond.count,
                            file="eligibility.yaml",
                            paths=((*base, "count"),),
                            kind="count",
                            minimum=1,
                            maximum=max(1, n_rules),
                            step=1,
                            unit="项",
                            note=f"选择：{cond.label}。{eligibility.weak.source}",
                        ),
                        cond.label,
                        (*base, "label"),
                    )
                )

    settings += _bonus_settings(rubric)

    rec = rubric.channels.reconciliation
    if rec.choice:
        settings.append(
            Setting(
                id="reconciliation.method",
                group="reconciliation",
                label="多名考评人数值的合并方法",
                value=rec.method,
                file="channels.yaml",
                paths=(("reconciliation", "method"),),
                kind="option",
                options=(("中位数", "median"), ("平均数", "mean")),
                affects_scores=False,
                note=f"{rec.source}。只影响多名考评人的表单如何合并，不影响本页已合并的数据。",
            )
        )
        settings.append(
            Setting(
                id="reconciliation.disagreement_share",
                group="reconciliation",
                label="标出分歧的给分差（占指标量程，不含本数）",
                value=rec.disagreement_share,
                file="channels.yaml",
                paths=(("reconciliation", "disagreement_share"),),
                kind="share",
                minimum=Fraction(0),
                maximum=Fraction(1),
                step=DEFAULT_STEP,
                unit="%",
                affects_scores=False,
                note=f"{rec.source}。只影响分歧提示，不影响本页的评分。",
            )
        )
    return settings


def points_step(rubric: Rubric) -> Fraction | None:
    """The grid an item's 分值 moves on: 1 point when every base item's points are whole, else ½, else
    0.1, else 0.01; None when the rubric's own points are finer still (then kept exact)."""
    points = [rubric.checklist.item_points(i) for i in rubric.base_items]
    for step in (Fraction(1), Fraction(1, 2), Fraction(1, 10), Fraction(1, 100)):
        if all((p / step).denominator == 1 for p in points) and (rubric.checklist.total_points / step).denominator == 1:
            return step
    return None


def area_label(rubric: Rubric, area_id: str) -> str:
    """An area named with the levels above it: 建设基本队伍 › 党员作用."""
    return " › ".join(a.label for a in rubric.checklist.area_path(area_id)) or area_id


def _points_settings(rubric: Rubric) -> list[Setting]:
    """A points rubric's 分值 per base item: the group adds up to total_points (:func:`rebalance` with
    ``total``); a level item's levels move in proportion with it (its best level stays its 满分); the
    areas' subtotals follow (:func:`with_subtotals`)."""
    checklist = rubric.checklist
    step = points_step(rubric)
    total = format_fraction(checklist.total_points)
    settings = []
    for index, item in enumerate(rubric.items):
        if item.bonus or not item.scored:  # 加分项 and flags are outside every sum
            continue
        scaled = ()
        if item.kind == "level":
            scaled = tuple((("items", index, "levels", k, "points"), lv.points) for k, lv in enumerate(item.levels))
        settings.append(
            Setting(
                id=f"items.{item.id}",
                group="items",
                label=f"{item.id} {item.label}",
                value=item.points,
                file="checklist.yaml",
                paths=(("items", index, "points"),),
                kind="points",
                minimum=step or Fraction(1, 100),
                maximum=checklist.total_points,
                step=step,
                unit="分",
                section=area_label(rubric, item.area),
                note=(
                    f"分值即该条满分，占组织评定的 分值÷总分{total}分。"
                    + ("档次分值按比例随之调整。" if item.kind == "level" else "")
                    + f"条目来源：{item.source}"
                ),
                scaled=scaled,
            )
        )
    return settings


def group_total(rubric: Rubric, group: str) -> Fraction:
    """What a group of the page adds up to: 1 for weights, total_points for a points rubric's 分值."""
    if group == "items" and rubric.checklist.in_points:
        return rubric.checklist.total_points
    return Fraction(1)


def with_subtotals(rubric: Rubric, changes: Iterable[Change]) -> list[Change]:
    """``changes`` and, after them, the subtotal of every area that declares points, moved to the sum of
    its children once the items' points (or legacy weights × total_points) have changed — so that a
    change of one 细则's 分值 keeps every level adding up."""
    changes = list(changes)
    checklist = rubric.checklist
    total = checklist.total_points
    new_points = {i.id: checklist.item_points(i) for i in checklist.base_items}
    index_of = {index: item.id for index, item in enumerate(rubric.items) if not item.bonus}
    for change in changes:
        path = tuple(change.path)
        if change.file != "checklist.yaml" or len(path) != 3 or path[0] != "items" or path[1] not in index_of:
            continue
        if path[2] == "points":
            new_points[index_of[path[1]]] = Fraction(change.value)
        elif path[2] == "weight" and not checklist.in_points:
            new_points[index_of[path[1]]] = Fraction(change.value) * total
    children: dict[str, list] = {}
    for area in checklist.areas:
        if area.parent is not None:
            children.setdefault(area.parent, []).append(area)
    sums: dict[str, Fraction] = {}

    def below(area_id: str) -> Fraction:
        if area_id not in sums:
            value = sum((new_points[i.id] for i in checklist.base_items if i.area == area_id), Fraction(0))
            sums[area_id] = value + sum((below(c.id) for c in children.get(area_id, [])), Fraction(0))
        return sums[area_id]

    explicit = {tuple(c.path) for c in changes if c.file == "checklist.yaml"}
    out = list(changes)
    for index, area in enumerate(checklist.areas):
        path = ("areas", index, "points")
        if area.points is not None and path not in explicit and below(area.id) != area.points:
            out.append(Change("checklist.yaml", path, below(area.id)))
    return out


def _bonus_settings(rubric: Rubric) -> list[Setting]:
    """The bonus cap and the 组织评定 total cap, when the rubric has bonus items and marks them a choice.

    Uncapped (null) stays uncapped here: whether to cap at all is the sheet's decision, not a slider's.
    """
    spec = rubric.checklist.bonus
    if not (spec.choice and rubric.bonus_items):
        return []
    uncapped = rubric.checklist.model_copy(update={"bonus": spec.model_copy(update={"cap": None})}).bonus_max()
    source = spec.source or "选择"
    settings = []
    if spec.cap is not None:
        settings.append(
            Setting(
                id="bonus.cap",
                group="bonus",
                label="加分合计上限（含本数）",
                value=spec.cap,
                file="checklist.yaml",
                paths=(("bonus", "cap"),),
                kind="score",
                minimum=Fraction(0),
                maximum=max(uncapped, spec.cap),
                step=Fraction(1, 2),
                unit="分",
                note=f"加分项得分之和（同组只计最高一项）最多加到组织评定上的分数。{source}",
            )
        )
    if spec.total_cap is not None:
        settings.append(
            Setting(
                id="bonus.total_cap",
                group="bonus",
                label="组织评定总分上限（基础分+加分）",
                value=spec.total_cap,
                file="checklist.yaml",
                paths=(("bonus", "total_cap"),),
                kind="score",
                minimum=Fraction(100),
                maximum=max(Fraction(100) + uncapped, spec.total_cap),
                step=Fraction(1, 2),
                unit="分",
                note=f"高于100分时，等次与星级的最高一档须覆盖可达到的最高综合得分。{source}",
            )
        )
    return settings


def _with_label(setting: Setting, label: str, label_path: Path) -> Setting:
    template = _label_template(label, setting.value)
    if template is None:
        return setting
    return Setting(**{**setting.__dict__, "label_paths": ((label_path, template),)})


def _target_label(rubric: Rubric, target: str) -> str:
    if target == "composite":
        return g.COMPOSITE
    return rubric.channel(target).label


# ------------------------------------------------------------------------- YAML splicing
@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    style: str | None
    flow: bool
    line: int


def _scalar_spans(text: str) -> dict[Path, _Span]:
    """Path of every scalar value → where its text is, from ruamel's parser events."""
    spans: dict[Path, _Span] = {}
    # Each frame: [kind, path, flow, key or index, expecting_key]
    stack: list[list[Any]] = []

    def value_path() -> Path | None:
        if not stack:
            return ()
        frame = stack[-1]
        if frame[0] == "map":
            if frame[4]:
                return None  # this node is a key
            return (*frame[1], frame[3])
        return (*frame[1], frame[3])

    def after_node(key_value: Any = None) -> None:
        if not stack:
            return
        frame = stack[-1]
        if frame[0] == "map":
            if frame[4]:
                frame[3] = key_value
                frame[4] = False
            else:
                frame[4] = True
        else:
            frame[3] += 1

    for event in YAML(typ="rt").parse(text):
        if isinstance(event, ScalarEvent):
            path = value_path()
            if path is not None:
                spans[path] = _Span(
                    event.start_mark.index,
                    event.end_mark.index,
                    event.style,
                    bool(stack and stack[-1][2]),
                    event.start_mark.line + 1,
                )
            after_node(event.value)
        elif isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            path = value_path()
            kind = "map" if isinstance(event, MappingStartEvent) else "seq"
            stack.append([kind, path if path is not None else (), bool(event.flow_style), 0, True])
        elif isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            stack.pop()
            after_node()
        elif isinstance(event, AliasEvent):
            after_node(None)
    return spans


_PLAIN_CHECK = YAML(typ="safe", pure=True)


def _plain_ok(text: str, flow: bool) -> bool:
    """Would ``text`` written plain read back as the same string in this context?"""
    if not text or text != text.strip() or "\n" in text:
        return False
    if flow and any(c in text for c in ",[]{}"):
        return False
    document = f"{{k: {text}}}" if flow else f"k: {text}"
    try:
        loaded = _PLAIN_CHECK.load(document)
    except YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("k") == text and isinstance(loaded.get("k"), str)


def _yaml_scalar(value: Value, span: _Span) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Fraction)):
        exact = decimal_text(Fraction(value))
        if exact is not None:
            return exact
        value = Fraction(value)
        return f'"{value.numerator}/{value.denominator}"'
    if isinstance(value, str):
        if span.style is None and _plain_ok(value, span.flow):
            return value
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar
    raise TypeError(f"cannot write {type(value).__name__} into YAML")


def _get(tree: Any, path: Path) -> Any:
    for part in path:
        tree = tree[part]
    return tree


def _same(read: Any, value: Value) -> bool:
    if isinstance(value, bool):
        return read is value
    if isinstance(value, str):
        return isinstance(read, str) and str(read) == value
    try:
        return to_fraction(read) == Fraction(value)
    except ValueError:
        return False


def _check_allowed(change: Change) -> RubricProblem | None:
    if change.file not in FILES:
        return RubricProblem(change.file, None, "", f"未知的评分标准文件，应为：{'、'.join(FILES)}")
    if change.file == "eligibility.yaml" and change.path[:1] == ("veto_rules",):
        return RubricProblem(change.file, None, path_text(change.path), _VETO_REFUSED)
    return None


def apply_changes(texts: Mapping[str, str], changes: Iterable[Change], *, validate: bool = True) -> dict[str, str]:
    """The rubric texts with ``changes`` written in; every other character kept.

    Raises :class:`RubricError` (Chinese, with file and line) when a change names an unknown file or
    field, touches a veto rule, or leaves a rubric that does not validate.
    """
    changes = list(changes)
    problems = [p for p in map(_check_allowed, changes) if p is not None]
    if problems:
        raise RubricError(problems)
    out = dict(texts)
    by_file: dict[str, dict[Path, Value]] = {}
    for change in changes:  # a later change of the same field wins
        by_file.setdefault(change.file, {})[tuple(change.path)] = change.value
    for file, edits in by_file.items():
        if file not in out:
            problems.append(RubricProblem(file, None, "", "缺少评分标准文件"))
            continue
        text = out[file]
        try:
            spans = _scalar_spans(text)
        except YAMLError as exc:
            problems.append(RubricProblem(file, None, "", f"YAML 格式错误：{exc}"))
            continue
        replacements = []
        for path, value in edits.items():
            span = spans.get(path)
            if span is None:
                problems.append(RubricProblem(file, None, path_text(path), "字段不存在或不是单个取值，无法修改"))
                continue
            try:
                replacements.append((span, _yaml_scalar(value, span)))
            except TypeError:
                problems.append(RubricProblem(file, span.line, path_text(path), f"无法写入的取值：{value!r}"))
        for span, new in sorted(replacements, key=lambda r: r[0].start, reverse=True):
            text = text[: span.start] + new + text[span.end :]
        tree = YAML(typ="rt").load(text)
        for path, value in edits.items():
            if path in spans and not _same(_get(tree, path), value):  # pragma: no cover - a writer bug
                problems.append(RubricProblem(file, spans[path].line, path_text(path), "写入后读回的值不一致"))
        out[file] = text
    if problems:
        raise RubricError(problems)
    if validate:
        load_rubric_texts(out)
    return out


def _raw(node: Any) -> Any:
    """A model as nested dicts and lists with the values as they are (Fractions stay exact:
    ``model_dump`` would write them through ``format_fraction``, which rounds long decimals)."""
    if isinstance(node, BaseModel):
        # A points item's max and weight are derived from its points, not written: leave them out.
        derived = {"max", "weight"} if isinstance(node, ChecklistItem) and node.in_points else set()
        return {name: _raw(getattr(node, name)) for name in type(node).model_fields if name not in derived}
    if isinstance(node, (tuple, list)):
        return [_raw(v) for v in node]
    if isinstance(node, dict):
        return {k: _raw(v) for k, v in node.items()}
    return node


def _set_in(data: Any, path: Path, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    last = path[-1]
    if isinstance(data, list) and not (isinstance(last, int) and 0 <= last < len(data)):
        raise KeyError(last)
    if isinstance(data, dict) and last not in data:
        raise KeyError(last)
    data[last] = value


def _section_attr(file: str) -> str:
    """'checklist.yaml' → the Rubric field holding it (every rubric file is a field of that name)."""
    return file.removesuffix(".yaml")


def apply_to_rubric(rubric: Rubric, changes: Iterable[Change]) -> Rubric:
    """``rubric`` with ``changes`` applied and validated, without going through YAML.

    Equal to ``load_rubric_texts(apply_changes(texts, changes))`` (tested); fast enough to run on
    every slider move. Errors carry file and field but no line (there is no text).
    """
    changes = list(changes)
    problems = [p for p in map(_check_allowed, changes) if p is not None]
    if problems:
        raise RubricError(problems)
    by_file: dict[str, list[Change]] = {}
    for change in changes:
        by_file.setdefault(change.file, []).append(change)
    updates = {}
    for file, edits in by_file.items():
        attr = _section_attr(file)
        data = _raw(getattr(rubric, attr))
        for change in edits:
            try:
                _set_in(data, tuple(change.path), change.value)
            except (KeyError, IndexError, TypeError):
                problems.append(RubricProblem(file, None, path_text(change.path), "字段不存在或不是单个取值，无法修改"))
        try:
            section = FILES[file].model_validate(data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(p for p in error["loc"] if isinstance(p, int) or p in _fields_of(data, error["loc"]))
                problems.append(RubricProblem(file, None, _named_path(data, loc), str(error.get("msg", ""))))
            continue
        for loc, message in section.problems():
            problems.append(RubricProblem(file, None, _named_path(data, loc), message))
        updates[attr] = section
    if problems:
        raise RubricError(problems)
    new = rubric.model_copy(update=updates)
    cross = new.cross_file_problems()
    if cross:
        raise RubricError(
            [
                RubricProblem(file, None, _named_path(_raw(getattr(new, _section_attr(file))), loc), message)
                for file, loc, message in cross
            ]
        )
    return new


def _fields_of(data: Any, loc: tuple) -> set[str]:
    names: set[str] = set()
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            names.add(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
    return names


# ------------------------------------------------------------------------------- weights
def _spread(total: Fraction, olds: dict[str, Fraction], step: Fraction | None) -> dict[str, Fraction]:
    """Share ``total`` among ``olds`` in proportion to them (equally when all are 0), on the grid.

    On a grid of ``step``: the whole steps go by largest remainder (ties: larger old weight, then
    order); the part of ``total`` below one step (only when a locked weight is off the grid) goes to
    the largest share. The result sums to ``total`` exactly and nothing is negative.
    """
    if not olds:
        return {}
    keys = list(olds)
    base_sum = sum(olds.values(), Fraction(0))
    proportions = {k: (olds[k] / base_sum if base_sum > 0 else Fraction(1, len(keys))) for k in keys}
    if step is None:
        out = {k: total * proportions[k] for k in keys}
        out[keys[-1]] = total - sum((out[k] for k in keys[:-1]), Fraction(0))
        return out
    units = math.floor(total / step)
    residue = total - units * step
    quotas = {k: units * proportions[k] for k in keys}
    whole = {k: math.floor(q) for k, q in quotas.items()}
    left = units - sum(whole.values())
    order = sorted(keys, key=lambda k: (-(quotas[k] - whole[k]), -olds[k], keys.index(k)))
    for k in order[:left]:
        whole[k] += 1
    out = {k: whole[k] * step for k in keys}
    if residue:
        largest = max(keys, key=lambda k: (out[k], -keys.index(k)))
        out[largest] += residue
    return out


def rebalance(
    weights: Mapping[str, Fraction],
    changed: str,
    new_value: Fraction,
    locked: Iterable[str] = (),
    step: Fraction | None = DEFAULT_STEP,
    *,
    total: Fraction = Fraction(1),
    minimum: Fraction = Fraction(0),
) -> dict[str, Fraction]:
    """Set ``changed`` to ``new_value``; the other unlocked weights absorb the difference.

    调整一项权重时，其余未锁定的权重按比例缩放，合计始终为 1:
    - locked weights never change (the moved weight's own lock is ignored: the analyst moved it);
    - ``changed`` gets ``new_value`` clamped to what is feasible, [0, 1 − locked]; with nothing
      unlocked left to absorb, the only feasible value, 1 − locked;
    - the others keep their proportions, kept on the ``step`` grid with a final fix-up
      (:func:`_spread`), so the sum is exactly 1 and nothing is negative.

    A points rubric's 分值 use the same rule with ``total`` = total_points and ``minimum`` = one step:
    every unlocked value keeps at least ``minimum`` (a 细则 cannot be worth 0 points).
    """
    weights = {k: Fraction(v) for k, v in weights.items()}
    if changed not in weights:
        raise KeyError(changed)
    locked = set(locked) - {changed}
    fixed = sum((weights[k] for k in weights if k in locked), Fraction(0))
    free = {k: weights[k] for k in weights if k not in locked and k != changed}
    room = max(Fraction(0), Fraction(total) - fixed)
    floor = minimum * len(free)
    if not free:
        value = room
    else:
        value = min(max(Fraction(new_value), minimum), max(minimum, room - floor))
    out = dict(weights)
    out[changed] = value
    spread = _spread(
        max(Fraction(0), room - value - floor), {k: max(Fraction(0), v - minimum) for k, v in free.items()}, step
    )
    out.update({k: v + minimum for k, v in spread.items()})
    return out


def equalize(
    weights: Mapping[str, Fraction],
    locked: Iterable[str] = (),
    step: Fraction | None = DEFAULT_STEP,
    *,
    total: Fraction = Fraction(1),
) -> dict[str, Fraction]:
    """均分: the unlocked weights share what the locked ones leave of ``total`` (1; a points rubric's
    total_points), equally (on the grid, the extra steps go to the first ones in order)."""
    weights = {k: Fraction(v) for k, v in weights.items()}
    locked = set(locked)
    fixed = sum((weights[k] for k in weights if k in locked), Fraction(0))
    free = {k: Fraction(1) for k in weights if k not in locked}
    out = dict(weights)
    out.update(_spread(max(Fraction(0), Fraction(total) - fixed), free, step))
    return out


def weights_sum_text(weights: Iterable[Fraction]) -> str:
    return format_fraction(sum(weights, Fraction(0)))


# ---------------------------------------------------------------------------------- diff
@dataclass(frozen=True)
class DiffLine:
    file: str
    path: str
    label: str
    old: str
    new: str


def _plain_tree(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def _value_text(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return format_fraction(to_fraction(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b and type(a) is type(b)
    numeric = (int, float, str)
    if isinstance(a, numeric) and isinstance(b, numeric) and not (isinstance(a, str) and isinstance(b, str)):
        try:
            return to_fraction(a) == to_fraction(b)
        except ValueError:
            return False
    return a == b


def _walk(old: Any, new: Any, path: Path, out: list[tuple[Path, Any, Any]]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            _walk(old.get(key), new.get(key), (*path, key), out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new)):
            _walk(a, b, (*path, index), out)
    elif not _equal(old, new):
        out.append((path, old, new))


def _generic_label(tree: Any, path: Path, names: Mapping[str, str] = FIELD_LABELS) -> str:
    parts = []
    node = tree
    for part in path:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            if isinstance(node, dict):
                name = " ".join(str(node[k]) for k in ("id", "label") if node.get(k) is not None)
                parts.append(name or f"第{part + 1}项")
            else:
                parts.append(f"第{part + 1}项")
        elif isinstance(node, dict) and part in node:
            node = node[part]
            parts.append(names.get(str(part), str(part)))
        else:
            parts.append(names.get(str(part), str(part)))
            node = None
    return " · ".join(parts)


def diff_rubrics(old_texts: Mapping[str, str], new_texts: Mapping[str, str]) -> list[DiffLine]:
    """What differs between two versions, field by field, with the setting's Chinese label.

    Numbers compare by value (0.4 = "2/5"); comments and layout are not differences.
    """
    labels: dict[tuple[str, Path], str] = {}
    try:
        rubric = load_rubric_texts(dict(old_texts))
    except RubricError:
        rubric = None
    if rubric is not None:
        for setting in adjustable_settings(rubric):
            group = group_label(setting)
            for path in setting.paths:
                labels[(setting.file, path)] = f"{group} · {setting.label}"
            for path, _template in setting.label_paths:
                labels[(setting.file, path)] = f"{group} · {setting.label}（说明文字）"
    labels[("meta.yaml", ("version",))] = "版本"
    return [
        DiffLine(file, path_text(path), labels.get((file, path)) or _generic_label(tree, path), old, new)
        for file, path, tree, old, new in _differences(old_texts, new_texts)
    ]


def _differences(old_texts: Mapping[str, str], new_texts: Mapping[str, str]) -> list[tuple[str, Path, Any, str, str]]:
    """Every scalar that differs: (file, path, the tree that has it, old text, new text)."""
    found_all = []
    for file in [*FILES, *sorted((set(old_texts) | set(new_texts)) - set(FILES))]:
        if file not in old_texts and file not in new_texts:
            continue
        old_tree = _plain_tree(old_texts[file]) if file in old_texts else None
        new_tree = _plain_tree(new_texts[file]) if file in new_texts else None
        found: list[tuple[Path, Any, Any]] = []
        _walk(old_tree, new_tree, (), found)
        for path, old, new in found:
            tree = old_tree if old is not None else new_tree
            found_all.append((file, path, tree, _value_text(old), _value_text(new)))
    return found_all


@dataclass(frozen=True)
class ChangeLine:
    """One thing a new version changes, in the rubric's own words: ``组织评定 权重 40% → 35%``."""

    label: str
    old: str
    new: str

    @property
    def text(self) -> str:
        return f"{self.label} {self.old} → {self.new}"


def _setting_name(setting: Setting) -> str:
    """What a change list calls a setting: ``组织评定 权重``, ``指标 y1 三会一课 权重``,
    ``达标条件 · 综合得分分数线（含本数）``."""
    if setting.group == "channels":
        return f"{setting.label} {FIELD_LABELS['weight']}"
    if setting.group == "items":
        return f"指标 {setting.label} {FIELD_LABELS['points' if setting.kind == 'points' else 'weight']}"
    return f"{GROUP_LABELS.get(setting.group, setting.group)} · {setting.label}"


def _setting_value_text(setting: Setting, value: Value) -> str:
    """A weight as a percentage (0.35 → 35%), anything else as the page shows it (80分, 85%, 中位数)."""
    if setting.kind == "weight":
        share = Fraction(value)
        return f"{decimal_text(share * 100)}%" if decimal_text(share * 100) else f"约{format_percent(share)}"
    return format_setting_value(setting, value)


def setting_change(setting: Setting, old: Value, new: Value) -> ChangeLine:
    """``setting`` moved from ``old`` to ``new``, as a line of a change list."""
    return ChangeLine(_setting_name(setting), _setting_value_text(setting, old), _setting_value_text(setting, new))


# The rubric files' own keys in Chinese, for a change outside the adjustable settings (a change list
# never shows a YAML path such as ``channels[0].weight``).
_KEY_LABELS = {
    **FIELD_LABELS,
    "channels": "四评通道",
    "items": "指标",
    "grades": "等次",
    "stars": "星级",
    "standardized": "达标条件",
    "weak": "软弱涣散判定",
    "five_strong": "五强标准",
    "strongest": "最强党支部",
    "reconciliation": "多名考评人的合并方法",
    "method": "合并方法",
    "disagreement_share": "标出分歧的给分差",
    "veto_rules": "否决规则",
    "conditions": "条件",
    "dimensions": "维度",
    "areas": "创建内容",
    "rules": "规则",
    "activity_types": "组织生活类型",
    "annual_review_grades": "年度述职评议等次",
    "targets": "年度目标",
    "benefits": "待遇",
    "amounts": "金额",
    "states": "流程状态",
    "transitions": "流程步骤",
    "roles": "账户角色",
    "name": "名称",
    "decimals": "小数位数",
    "scale_min": "量程下限",
    "scale_max": "量程上限",
    "designation_term": "评定有效期",
    "max_if_not_standardized": "未达标支部的星级上限",
    "max_failed": "允许未达到的项数",
    "count": "项数",
}

# What prepare_version stamps into meta.yaml: a page shows these beside the list, not in it.
_META_LINES = {("meta.yaml", "version"), *(("meta.yaml", key) for key in ("author", "note", "based_on"))}


def change_lines(old_texts: Mapping[str, str], new_texts: Mapping[str, str]) -> list[ChangeLine]:
    """What a new version changes against ``old_texts``, one line per setting in the rubric's Chinese
    labels (a band edge once, not as the two band ends it moves; the label text that spells the old
    number goes with its number). Anything else that differs is named by the rubric's ids and labels
    and its keys in Chinese (``指标 · s1 支部设置规范 · 满分或上限``). The version stamp (版本, 修改人,
    修改说明, 基于版本) is left out."""
    covered: set[tuple[str, str]] = set()
    lines: list[ChangeLine] = []
    try:
        old_rubric, new_rubric = load_rubric_texts(dict(old_texts)), load_rubric_texts(dict(new_texts))
    except RubricError:
        old_rubric = new_rubric = None
    if old_rubric is not None and new_rubric is not None:
        after = {s.id: s for s in adjustable_settings(new_rubric)}
        for setting in adjustable_settings(old_rubric):
            moved = after.get(setting.id)
            if moved is None or moved.file != setting.file or moved.paths != setting.paths:
                continue
            covered.update((setting.file, path_text(path)) for path in setting.paths)
            if setting.value != moved.value:
                covered.update((setting.file, path_text(path)) for path, _template in setting.label_paths)
                lines.append(setting_change(setting, setting.value, moved.value))
    for file, path, tree, old, new in _differences(old_texts, new_texts):
        if (file, path_text(path)) in covered or (file, path_text(path)) in _META_LINES:
            continue
        lines.append(ChangeLine(_generic_label(tree, path, _KEY_LABELS), old, new))
    return lines


# ------------------------------------------------------------------------------ versions
def next_version(version: str) -> str:
    """'2025.1' → '2025.2'; '2025.9' → '2025.10'; a version without a trailing number gets '.1'."""
    match = re.fullmatch(r"(.*?)(\d+)", version.strip())
    if not match or "." not in version:
        return f"{version.strip()}.1"
    head, number = match.groups()
    return f"{head}{int(number) + 1}"


@dataclass(frozen=True)
class NewVersion:
    """A new rubric version ready to store: its texts, and who made it and why.

    ``author``, ``note`` and ``based_on`` are also written into the texts' meta.yaml.
    """

    texts: dict[str, str]
    version: str
    based_on: str
    author: str
    note: str
    diff: list[DiffLine]
    changes: list[ChangeLine] = field(default_factory=list)  # the diff in the rubric's words (change_lines)


META_STAMP_FIELDS = ("author", "note", "based_on")


def stamp_meta(text: str, values: Mapping[str, str]) -> str:
    """meta.yaml's text with top-level ``values`` (author, note, based_on …) set, every other character kept.

    A key already there has its value replaced where it stands; a missing key is added on the line
    after ``version:`` (or at the end). Values are written as double-quoted scalars, so any text
    (colons, ``#``, line breaks) reads back exactly.
    """
    spans = _scalar_spans(text)
    present = {key: spans[(key,)] for key in values if (key,) in spans}
    places = []
    for key, span in present.items():
        quoted = json.dumps(str(values[key]), ensure_ascii=False)
        if span.start == span.end:  # an empty value (``author:``): the parser puts it at the next token
            colon = re.search(rf"^{re.escape(key)}[ \t]*:", text, re.MULTILINE)
            places.append((colon.end(), colon.end(), " " + quoted))
        else:  # a block scalar's span takes its line break along: keep one
            places.append((span.start, span.end, quoted + ("\n" if text[span.end - 1] == "\n" else "")))
    for start, end, new in sorted(places, reverse=True):
        text = text[:start] + new + text[end:]
    added = "".join(
        f"{key}: {json.dumps(str(values[key]), ensure_ascii=False)}\n" for key in values if key not in present
    )
    if added:
        version = _scalar_spans(text).get(("version",))
        at = text.find("\n", version.end) + 1 if version is not None else 0
        if at <= 0:
            text = text if not text or text.endswith("\n") else text + "\n"
            at = len(text)
        text = text[:at] + added + text[at:]
    return text


def prepare_version(
    old_texts: Mapping[str, str],
    changes: Iterable[Change],
    *,
    author: str,
    note: str,
    taken: Collection[str] = (),
) -> NewVersion:
    """Apply ``changes``, stamp the next version number not in ``taken`` (the versions already stored)
    and write author, note and based_on into meta.yaml; validated (raises :class:`RubricError`)."""
    author, note = author.strip(), note.strip()
    problems = []
    if not author:
        problems.append(RubricProblem("meta.yaml", None, "", "请填写修改人"))
    if not note:
        problems.append(RubricProblem("meta.yaml", None, "", "请填写修改说明"))
    if problems:
        raise RubricError(problems)
    changes = list(changes)
    old = load_rubric_texts(dict(old_texts))
    version = next_version(old.version)
    while version in taken:
        version = next_version(version)
    texts = apply_changes(old_texts, [*changes, Change("meta.yaml", ("version",), version)], validate=False)
    texts["meta.yaml"] = stamp_meta(texts["meta.yaml"], {"author": author, "note": note, "based_on": old.version})
    load_rubric_texts(texts)
    return NewVersion(
        texts, version, old.version, author, note, diff_rubrics(old_texts, texts), change_lines(old_texts, texts)
    )
