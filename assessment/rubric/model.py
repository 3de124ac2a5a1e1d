"""The rubric as frozen, validated objects.

One pydantic model per YAML file (``*File``) so that a validation error is
reported against the file it came from; :class:`Rubric` joins them and runs the
checks that span files. Every user-facing message is Chinese; the loader adds
the file name and line.
"""

from __future__ import annotations

import itertools
import string
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

from .types import Exact, NonNegative, Positive, Share, format_fraction

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]

CHANNEL_IDS = ("org", "member", "public", "social")
VETO_IDS = (
    "annual_review",
    "member_excellent_share",
    "public_unsatisfied_verified",
    "department_noncompliance",
)
SCORE_TARGETS = Literal["composite", "org", "member", "public", "social"]
# The designations a workflow state may stand for (``holds``), each including the ones before it: a
# branch designated 最强 by the 市委 (city) is designated 最强 (strongest), and a 最强 branch is 达标.
DESIGNATIONS = ("standardized", "strongest", "city")
Designation = Literal["standardized", "strongest", "city"]
DESIGNATION_LABELS = {"standardized": "达标", "strongest": "最强", "city": "市委评定最强"}
# Every channel score is on a 0–100 scale (weights sum to 1); only bonus points may take 组织评定 above it.
ORG_SCALE = Fraction(100)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    def problems(self) -> list[tuple[tuple, str]]:
        """Semantic checks after parsing: (location path, Chinese message) pairs."""
        return []


def _unique_ids(items, what: str):
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"{what}编号“{item.id}”重复")
        seen.add(item.id)
    return items


Problems = list[tuple[tuple, str]]


def _duplicate_problems(items, key: str | tuple[str, ...], what: str) -> Problems:
    seen: set[str] = set()
    found: Problems = []
    where = key if isinstance(key, tuple) else (key,)
    for index, item in enumerate(items):
        value = item.id
        if value in seen:
            found.append(((*where, index, "id"), f"{what}编号“{value}”重复"))
        seen.add(value)
    return found


def _template_fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _check_template(template: str, allowed: set[str], field: str) -> None:
    unknown = _template_fields(template) - allowed
    if unknown:
        raise ValueError(
            f"{field} 中的占位符 {{{', '.join(sorted(unknown))}}} 未知，可用：{'、'.join(sorted(allowed))}"
        )


# ---------------------------------------------------------------- meta.yaml
class Meta(Frozen):
    version: Text
    name: Text
    scale_min: Exact = Fraction(0)
    scale_max: Exact = Fraction(100)
    decimals: Annotated[int, Field(ge=0, le=4)] = 2
    decimals_source: str = ""
    # Who made this version, why, and which version it was made from (written by prepare_version;
    # the built-in rubrics/meta.yaml may leave them out).
    author: str | None = None
    note: str | None = None
    based_on: str | None = None

    @model_validator(mode="after")
    def _scale(self):
        if self.scale_min >= self.scale_max:
            raise ValueError("scale_min 应小于 scale_max")
        return self


# ------------------------------------------------------------ channels.yaml
class TallyLevel(Frozen):
    id: Ident
    label: Text
    value: Annotated[Exact, Field()]

    @field_validator("value")
    @classmethod
    def _range(cls, v: Fraction) -> Fraction:
        if not 0 <= v <= 100:
            raise ValueError(f"档次分值应在0到100之间，实际为 {format_fraction(v)}")
        return v


class ChecklistMethod(Frozen):
    type: Literal["checklist"]


class TallyMethod(Frozen):
    type: Literal["tally"]
    base: Literal["participants", "responses"]
    base_source: str = ""
    levels: tuple[TallyLevel, ...] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _unique(cls, v):
        return _unique_ids(v, "档次")


class ComplianceMethod(Frozen):
    type: Literal["compliance_share"]


ChannelMethod = Annotated[Union[ChecklistMethod, TallyMethod, ComplianceMethod], Field(discriminator="type")]


class Channel(Frozen):
    id: Literal["org", "member", "public", "social"]
    label: Text
    weight: Share
    weight_choice: bool = False
    source: Text
    method: ChannelMethod


class ReviewGrades(Frozen):
    levels: tuple[Text, ...] = Field(min_length=1)
    source: Text
    choice: bool = False

    @field_validator("levels")
    @classmethod
    def _unique(cls, v):
        if len(set(v)) != len(v):
            raise ValueError("等次名称重复")
        return v


class Reconciliation(Frozen):
    """How several evaluators' submissions for one branch become one result."""

    method: Literal["median", "mean"]
    # A tally (党员评议, 群众评判) is one evaluator's whole record: median_record = the one in the middle by
    # channel score (of two in the middle, the lower); lowest_record = the lowest. Never number by number.
    # Optional: a rubric written before this field existed merged the same way it does with the default.
    tallies: Literal["median_record", "lowest_record"] = "median_record"
    disagreement_share: Share
    source: Text
    choice: bool = False


class ChannelsFile(Frozen):
    channels: tuple[Channel, ...]
    annual_review_grades: ReviewGrades
    reconciliation: Reconciliation

    def problems(self) -> Problems:
        found: Problems = []
        ids = [c.id for c in self.channels]
        if sorted(ids) != sorted(CHANNEL_IDS):
            found.append((("channels",), f"四评通道应恰为 {', '.join(CHANNEL_IDS)} 各一个，实际为 {', '.join(ids)}"))
            return found
        total = sum((c.weight for c in self.channels), Fraction(0))
        if total != 1:
            found.append((("channels",), f"四个通道的权重之和应为1，实际为 {format_fraction(total)}"))
        expected = {"org": "checklist", "member": "tally", "public": "tally", "social": "compliance_share"}
        for index, c in enumerate(self.channels):
            if c.method.type != expected[c.id]:
                found.append(
                    (
                        ("channels", index, "method", "type"),
                        f"通道 {c.id} 的计分方式应为 {expected[c.id]}，实际为 {c.method.type}",
                    )
                )
        if found:
            return found
        index = ids.index("member")
        member = self.channels[index].method
        if member.base != "participants" or "excellent" not in {lv.id for lv in member.levels}:
            found.append(
                (
                    ("channels", index, "method"),
                    "党员评议应以参评人数（participants）为分母，并包含“优秀”档（id: excellent）",
                )
            )
        index = ids.index("public")
        if "unsatisfied" not in {lv.id for lv in self.channels[index].method.levels}:
            found.append((("channels", index, "method", "levels"), "群众评判应包含“不满意”档（id: unsatisfied）"))
        return found

    def channel(self, channel_id: str) -> Channel:
        return next(c for c in self.channels if c.id == channel_id)


# ----------------------------------------------------------- checklist.yaml
class Labelled(Frozen):
    id: Ident
    label: Text
    source: str = ""


class Area(Labelled):
    """A level above the items (目标 → 项目 → …): ``parent`` is another area's id (none: a top level);
    ``points`` its 分值, which must equal the sum of its children (ChecklistFile.problems)."""

    points: NonNegative | None = None
    parent: Ident | None = None


@dataclass(frozen=True)
class AreaNode:
    """One area in the hierarchy (:meth:`ChecklistFile.area_tree`): its depth (0 = top level), its points
    (as declared, else the sum of its children), its child areas' ids and its own base items' ids."""

    area: Area
    depth: int
    points: Fraction
    children: tuple[str, ...]
    items: tuple[str, ...]


class LevelPoints(Frozen):
    label: Text
    points: NonNegative


class ChecklistItem(Frozen):
    id: Ident
    label: Text
    area: Ident
    frame000: Ident | None = None
    # Required for a base item (ChecklistFile.problems checks it); a bonus item may leave it out.
    strength: Ident | None
    kind: Literal["points", "level", "count_shortfall", "deduction", "rate_steps"]
    # 分值 (the rubric's unit): the item's 满分; its share of the 组织评定 is points / total_points. The
    # legacy form writes ``max`` + ``weight`` instead (rubric versions stored before points). Either is
    # given, never both; ``max`` and ``weight`` are always set after validation (derived from ``points``:
    # ChecklistFile sets the weight from its total_points).
    points: Positive | None = None
    max: Positive | None = None
    weight: Share | None = None
    key: bool = False
    # 加分项: its points are added on top of the 组织评定 score (0–100 scale), outside the weights.
    bonus: bool = False
    bonus_group: Ident | None = None
    description: Text
    methods: tuple[Text, ...] = ()
    evidence: tuple[Text, ...] = ()
    advice: Text
    source: Text
    levels: tuple[LevelPoints, ...] | None = None
    target: NonNegative | None = None
    per: Positive | None = None
    step: Positive | None = None
    partial: Literal["floor", "ceil", "prorate"] | None = None
    # Only branches of these kinds (支部类型) are scored on the item; for the others it is 不适用: not
    # counted as lost, and the 组织评定 and 五强 shares are taken over the applicable items' weights.
    # Empty = every branch; a branch whose kind is blank is scored (the kit cannot tell).
    applies_to: tuple[Text, ...] = ()
    applies_to_source: Text | None = None

    def applies(self, kind) -> bool:
        """Whether a branch of ``kind`` (NA/None: not known) is scored on this item."""
        if not self.applies_to or not isinstance(kind, str) or not kind.strip():
            return True
        return kind.strip() in self.applies_to

    @model_validator(mode="before")
    @classmethod
    def _bonus_defaults(cls, data):
        """A bonus item carries no weight and need not name a 五强 dimension: both may be left out."""
        if isinstance(data, dict) and data.get("bonus") is True:
            defaults = {"strength": None} if "points" in data else {"weight": 0, "strength": None}
            data = {**defaults, **data}
        return data

    @model_validator(mode="after")
    def _points_or_max(self):
        """``points`` (max = points) or the legacy ``max`` + ``weight``; never both."""
        if self.points is not None:
            written = [name for name in ("max", "weight") if getattr(self, name) is not None]
            if written:
                raise ValueError(
                    f"写了 points（分值）就不能再写 {'、'.join(written)}：分值即满分，"
                    "权重由分值 ÷ 总分得出；请删去 " + "、".join(written)
                )
            # Derived values (the object is still being built): the weight over the default total of 100;
            # ChecklistFile replaces it when its total_points differs.
            object.__setattr__(self, "max", self.points)
            object.__setattr__(self, "weight", Fraction(0) if self.bonus else self.points / ORG_SCALE)
            return self
        missing = [name for name in ("max", "weight") if getattr(self, name) is None]
        if missing:
            raise ValueError(
                f"缺少 points（分值）；或按旧写法同时写 max（满分）与 weight（权重），缺少：{'、'.join(missing)}"
            )
        return self

    @property
    def in_points(self) -> bool:
        """Whether the item is written in points (``points``) rather than the legacy ``max`` + ``weight``."""
        return self.points is not None

    @model_serializer(mode="wrap")
    def _written(self, handler):
        """A dump says what is written: a points item's derived max and weight are left out, so that it
        validates again (``model_validate(item.model_dump())``)."""
        data = handler(self)
        if self.points is not None and isinstance(data, dict):
            data.pop("max", None)
            data.pop("weight", None)
        return data

    @model_validator(mode="after")
    def _kind_fields(self):
        needs = {
            "points": (),
            "level": ("levels",),
            "count_shortfall": ("target", "per"),
            "deduction": ("per",),
            "rate_steps": ("target", "step", "per", "partial"),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"计分方式 {self.kind} 需要字段：{'、'.join(missing)}")
        if self.kind == "level":
            labels = [lv.label for lv in self.levels]
            if len(set(labels)) != len(labels):
                raise ValueError("档次名称重复")
            for lv in self.levels:
                if lv.points > self.max:
                    raise ValueError(
                        f"档次“{lv.label}”的分值 {format_fraction(lv.points)} 超过满分 {format_fraction(self.max)}"
                    )
        if self.applies_to and not self.applies_to_source:
            raise ValueError("写了 applies_to（适用的支部类型）时须写 applies_to_source（来源）")
        if len(set(self.applies_to)) != len(self.applies_to):
            raise ValueError("applies_to 中支部类型重复")
        if self.kind == "rate_steps" and self.target > 100:
            raise ValueError(f"比例目标应在0到100之间，实际为 {format_fraction(self.target)}")
        return self

    @property
    def top(self) -> Fraction:
        """The most points the item can earn (a level item: its best level)."""
        if self.kind == "level":
            return max(lv.points for lv in self.levels)
        return self.max

    @property
    def input_label(self) -> str:
        """What the evaluator enters for this item (used as a column header hint)."""
        return {
            "points": f"得分（0–{format_fraction(self.max)}）",
            "level": "档次（" + "/".join(lv.label for lv in self.levels or ()) + "）",
            "count_shortfall": "实际次数",
            "deduction": "缺失件数",
            "rate_steps": "比例（%）",
        }[self.kind]


class BonusSettings(Frozen):
    """加分项 and the cap of the 组织评定 total (see rubrics/checklist.yaml ``bonus``)."""

    cap: NonNegative | None = None
    total_cap: Positive | None = Fraction(100)
    groups: tuple[Labelled, ...] = ()
    choice: bool = False
    source: str = ""


class FiveStrong(Frozen):
    source: Text
    threshold: Share
    threshold_choice: bool = False
    dimensions: tuple[Labelled, ...] = Field(min_length=1)

    @field_validator("dimensions")
    @classmethod
    def _unique(cls, v):
        return _unique_ids(v, "五强维度")


class ChecklistFile(Frozen):
    # 总分: the base items' points (and the top-level areas' points) add up to it.
    total_points: Positive = ORG_SCALE
    areas: tuple[Area, ...]
    frames000: tuple[Labelled, ...]
    five_strong: FiveStrong
    bonus: BonusSettings = BonusSettings()
    items: tuple[ChecklistItem, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _derived_weights(self):
        """A points item's weight is its points ÷ total_points (a bonus item's 0). Copies: an item given as
        an object may be shared with another checklist."""
        items = tuple(
            item.model_copy(update={"weight": Fraction(0) if item.bonus else item.points / self.total_points})
            if item.in_points
            else item
            for item in self.items
        )
        object.__setattr__(self, "items", items)
        return self

    @property
    def base_items(self) -> tuple[ChecklistItem, ...]:
        return tuple(i for i in self.items if not i.bonus)

    @property
    def in_points(self) -> bool:
        """Whether the items are written in points (else the legacy max + weight)."""
        return any(i.in_points for i in self.items)

    # ---------------------------------------------------------------- the hierarchy of areas
    def item_points(self, item: ChecklistItem) -> Fraction:
        """A base item's share of total_points: its points, or (legacy form) weight × total_points."""
        return item.points if item.in_points else item.weight * self.total_points

    def area(self, area_id: str) -> Area:
        return next(a for a in self.areas if a.id == area_id)

    def _children(self) -> dict[str | None, list[Area]]:
        children: dict[str | None, list[Area]] = {}
        for a in self.areas:
            children.setdefault(a.parent, []).append(a)
        return children

    def area_points(self, area_id: str) -> Fraction:
        """An area's points: as declared, else the sum of its child areas' points and its own base items'."""
        declared = self.area(area_id).points
        return declared if declared is not None else self._sum_below(area_id)

    def _sum_below(self, area_id: str, seen: frozenset[str] = frozenset()) -> Fraction:
        """The sum of an area's children: child areas (declared points, else their own sums) and base items."""
        seen = seen | {area_id}
        total = sum((self.item_points(i) for i in self.base_items if i.area == area_id), Fraction(0))
        for child in self._children().get(area_id, []):
            if child.id in seen:  # a cycle (reported by problems()): not followed
                continue
            total += child.points if child.points is not None else self._sum_below(child.id, seen)
        return total

    def area_path(self, area_id: str) -> tuple[Area, ...]:
        """The areas from the top level down to ``area_id`` (目标, 项目, …), itself last."""
        path: list[Area] = []
        known = {a.id: a for a in self.areas}
        current = known.get(area_id)
        while current is not None and current not in path:
            path.append(current)
            current = known.get(current.parent) if current.parent is not None else None
        return tuple(reversed(path))

    def items_under(self, area_id: str) -> tuple[ChecklistItem, ...]:
        """Every item (base and bonus) in ``area_id`` or any area below it, in file order."""
        return tuple(i for i in self.items if any(a.id == area_id for a in self.area_path(i.area)))

    def area_tree(self) -> tuple[AreaNode, ...]:
        """Every area, parents before their children (depth first, siblings in file order), with its depth,
        points (declared, else summed), child areas and own base items: the subtotals per level."""
        children = self._children()
        out: list[AreaNode] = []

        def visit(area: Area, depth: int, seen: frozenset[str]) -> None:
            kids = [c for c in children.get(area.id, []) if c.id not in seen]
            out.append(
                AreaNode(
                    area,
                    depth,
                    self.area_points(area.id),
                    tuple(c.id for c in kids),
                    tuple(i.id for i in self.base_items if i.area == area.id),
                )
            )
            for child in kids:
                visit(child, depth + 1, seen | {child.id})

        known = {a.id for a in self.areas}
        for area in self.areas:
            if area.parent is None or area.parent not in known:
                visit(area, 0, frozenset({area.id}))
        return tuple(out)

    @property
    def bonus_items(self) -> tuple[ChecklistItem, ...]:
        return tuple(i for i in self.items if i.bonus)

    def bonus_max(self) -> Fraction:
        """The most bonus any branch can get: each group's best item, every ungrouped item, then the cap."""
        best: dict[str, Fraction] = {}
        total = Fraction(0)
        for item in self.bonus_items:
            if item.bonus_group is None:
                total += item.top
            else:
                best[item.bonus_group] = max(best.get(item.bonus_group, Fraction(0)), item.top)
        total += sum(best.values(), Fraction(0))
        return total if self.bonus.cap is None else min(total, self.bonus.cap)

    def org_max(self) -> Fraction:
        """The highest 组织评定 score reachable: 100 plus the most bonus, within ``total_cap``."""
        top = ORG_SCALE + self.bonus_max()
        return top if self.bonus.total_cap is None else min(top, self.bonus.total_cap)

    def _bonus_problems(self) -> Problems:
        found = _duplicate_problems(self.bonus.groups, ("bonus", "groups"), "加分组")
        groups = {grp.id for grp in self.bonus.groups}
        for index, item in enumerate(self.items):
            if not item.bonus:
                if item.bonus_group is not None:
                    found.append(
                        (
                            ("items", index, "bonus_group"),
                            f"指标 {item.id} 不是加分项（bonus: true），不能设 bonus_group",
                        )
                    )
                continue
            if item.weight != 0:
                found.append(
                    (
                        ("items", index, "weight"),
                        (
                            f"加分项 {item.id} 不参与权重（其得分直接加到组织评定的百分制得分上），"
                            f"weight 应为0或不写，实际为 {format_fraction(item.weight)}"
                        ),
                    )
                )
            if item.key:
                found.append((("items", index, "key"), f"加分项 {item.id} 不能是关键项（key）"))
            if item.bonus_group is not None and item.bonus_group not in groups:
                known = "、".join(sorted(groups)) or "无（请先在 bonus.groups 中定义）"
                found.append(
                    (
                        ("items", index, "bonus_group"),
                        f"加分项 {item.id} 的加分组“{item.bonus_group}”未在 bonus.groups 中定义，可选：{known}",
                    )
                )
        if self.bonus.total_cap is not None and self.bonus.total_cap < ORG_SCALE:
            found.append(
                (
                    ("bonus", "total_cap"),
                    (
                        f"组织评定总分上限 total_cap 应不低于 {format_fraction(ORG_SCALE)}（基础分满分），"
                        f"实际为 {format_fraction(self.bonus.total_cap)}；不封顶（积分制）写 null"
                    ),
                )
            )
        return found

    def _points_problems(self) -> Problems:
        """Points and the hierarchy: one form for all items; every area's parent known, no cycle; every
        area with points equal to the sum of its children; the top-level areas' and the base items' points
        equal to total_points."""
        found: Problems = []
        total = format_fraction(self.total_points)
        in_points = [i.id for i in self.items if i.in_points]
        legacy = [i.id for i in self.items if not i.in_points]
        if in_points and legacy:
            found.append(
                (
                    ("items",),
                    (
                        f"同一份清单混用了两种写法：指标 {'、'.join(in_points)} 写了 points（分值），"
                        f"指标 {'、'.join(legacy)} 写的是 max + weight（旧写法）；请统一改为 points"
                    ),
                )
            )
        known = {a.id: a for a in self.areas}
        broken: set[str] = set()
        for index, area in enumerate(self.areas):
            if area.parent is None:
                continue
            if area.parent not in known:
                broken.add(area.id)
                choices = "、".join(sorted(a for a in known if a != area.id)) or "无"
                found.append(
                    (
                        ("areas", index, "parent"),
                        f"创建内容 {area.id} 的上级“{area.parent}”未定义，可选：{choices}",
                    )
                )
                continue
            chain = [area.id]
            current = known[area.parent]
            while current is not None and current.id not in chain:
                chain.append(current.id)
                current = known.get(current.parent) if current.parent is not None else None
            if current is not None and current.id == area.id:
                broken.add(area.id)
                found.append(
                    (
                        ("areas", index, "parent"),
                        f"创建内容的上下级形成了循环：{' → '.join([*chain, area.id])}（上级应一直追溯到最高一级）",
                    )
                )
        if found:
            return found
        children = self._children()
        for index, area in enumerate(self.areas):
            if area.points is None:
                continue
            below = self._sum_below(area.id)
            if below != area.points:
                parts = [f"{c.id} {format_fraction(self.area_points(c.id))}分" for c in children.get(area.id, [])] + [
                    f"{i.id} {format_fraction(self.item_points(i))}分" for i in self.base_items if i.area == area.id
                ]
                listed = "、".join(parts) if parts else "没有下级内容或指标"
                found.append(
                    (
                        ("areas", index, "points"),
                        (
                            f"创建内容 {area.id}（{area.label}）的分值为 {format_fraction(area.points)} 分，"
                            f"但其下各项之和为 {format_fraction(below)} 分（{listed}）；加分项不计"
                        ),
                    )
                )
        tops = [a for a in self.areas if a.parent is None]
        if tops and all(a.points is not None for a in tops):
            top_sum = sum((a.points for a in tops), Fraction(0))
            if top_sum != self.total_points:
                listed = "、".join(f"{a.id} {format_fraction(a.points)}分" for a in tops)
                found.append(
                    (
                        ("areas",),
                        f"最高一级创建内容的分值之和应为总分 {total} 分（total_points），实际为 {format_fraction(top_sum)} 分（{listed}）",
                    )
                )
        if self.in_points and not legacy:
            item_sum = sum((i.points for i in self.base_items), Fraction(0))
            if item_sum != self.total_points:
                extra = "（加分项不计）" if self.bonus_items else ""
                found.append(
                    (
                        ("items",),
                        f"各指标的分值之和{extra}应为总分 {total} 分（total_points），实际为 {format_fraction(item_sum)} 分",
                    )
                )
        return found

    def problems(self) -> Problems:
        found = (
            _duplicate_problems(self.areas, "areas", "创建内容")
            + _duplicate_problems(self.frames000, "frames000", "五个标准化")
            + _duplicate_problems(self.items, "items", "指标")
            + self._bonus_problems()
        )
        areas = {a.id for a in self.areas}
        frames = {f.id for f in self.frames000}
        dims = {d.id for d in self.five_strong.dimensions}
        for index, item in enumerate(self.items):
            if item.area not in areas:
                found.append(
                    (
                        ("items", index, "area"),
                        f"指标 {item.id} 的 area “{item.area}” 未定义，可选：{'、'.join(sorted(areas))}",
                    )
                )
            if item.frame000 is not None and item.frame000 not in frames:
                found.append(
                    (
                        ("items", index, "frame000"),
                        f"指标 {item.id} 的 frame000 “{item.frame000}” 未定义，可选：{'、'.join(sorted(frames))}",
                    )
                )
            if item.strength is None and not item.bonus:
                found.append(
                    (
                        ("items", index, "strength"),
                        f"指标 {item.id} 缺少 strength（五强维度），可选：{'、'.join(sorted(dims))}",
                    )
                )
            elif item.strength is not None and item.strength not in dims:
                found.append(
                    (
                        ("items", index, "strength"),
                        f"指标 {item.id} 的 strength “{item.strength}” 未定义，可选：{'、'.join(sorted(dims))}",
                    )
                )
        found += self._points_problems()
        if not self.in_points:
            total = sum((i.weight for i in self.base_items), Fraction(0))
            if total != 1:
                extra = "（加分项不计）" if self.bonus_items else ""
                found.append((("items",), f"组织评定各指标权重之和{extra}应为1，实际为 {format_fraction(total)}"))
        for index, dim in enumerate(self.five_strong.dimensions):
            if not any(i.strength == dim.id for i in self.base_items):
                found.append((("five_strong", "dimensions", index), f"五强维度 {dim.id} 没有任何指标"))
        return found


# --------------------------------------------------------- eligibility.yaml
class ScoreAtLeast(Frozen):
    type: Literal["score_at_least"]
    target: SCORE_TARGETS
    threshold: NonNegative
    inclusive: bool = True
    choice: bool = False
    label: Text


class KeyItemsAtLeast(Frozen):
    type: Literal["key_items_at_least"]
    share: Share
    inclusive: bool = True
    choice: bool = False
    label: Text


class ActivityRulesMet(Frozen):
    type: Literal["activity_rules_met"]
    max_failed: Annotated[int, Field(ge=0)] = 0
    choice: bool = False
    label: Text


class StructureOk(Frozen):
    type: Literal["structure_ok"]
    choice: bool = False
    label: Text


StandardCondition = Annotated[
    Union[ScoreAtLeast, KeyItemsAtLeast, ActivityRulesMet, StructureOk], Field(discriminator="type")
]


class Standardized(Frozen):
    source: Text
    conditions: tuple[StandardCondition, ...] = Field(min_length=1)


class VetoBase(Frozen):
    id: Ident
    label: Text
    source: Text
    notes: str = ""
    pass_text: Text
    fail_text: Text
    missing_text: Text

    placeholders: ClassVar[frozenset[str]] = frozenset({"observed", "threshold"})

    @model_validator(mode="after")
    def _templates(self):
        allowed = set(self.placeholders)
        for name in ("pass_text", "fail_text", "missing_text"):
            _check_template(getattr(self, name), allowed, name)
        return self


class MinLevelRule(VetoBase):
    type: Literal["min_level"]
    input: Literal["annual_review_grade"]
    at_least: Text


class MinShareRule(VetoBase):
    type: Literal["min_share"]
    numerator: Literal["excellent"]
    denominator: Literal["participants"]
    threshold: Share
    inclusive: bool
    zero_text: Text

    placeholders: ClassVar[frozenset[str]] = frozenset({"observed", "threshold", "numerator", "denominator"})


class FlagAbsentRule(VetoBase):
    type: Literal["flag_absent"]
    input: Literal["unsatisfied_verified"]
    # The 群众评判 level whose count must be above 0 for the flag to matter: with none of it counted there
    # is nothing to verify, so a blank flag reads 否. Left out (a rubric written before this field), a
    # blank flag stays 无法判断 whatever the count.
    only_if_counted: Ident | None = None


class MaxCountRule(VetoBase):
    type: Literal["max_count"]
    input: Literal["noncompliant_departments"]
    max: Annotated[int, Field(ge=0)]

    placeholders: ClassVar[frozenset[str]] = frozenset({"observed", "threshold", "departments"})


VetoRule = Annotated[Union[MinLevelRule, MinShareRule, FlagAbsentRule, MaxCountRule], Field(discriminator="type")]


class Strongest(Frozen):
    requires_standardized: bool = True
    requires_five_strong: bool = True
    source: Text


class Band(Frozen):
    label: Text
    stars: Annotated[int, Field(ge=0, le=10)] | None = None
    min: Exact
    min_inclusive: bool
    max: Exact
    max_inclusive: bool


def check_bands(
    bands: tuple[Band, ...], lo: Fraction, hi: Fraction, what: str, *, reachable: Fraction | None = None
) -> None:
    """Bands must cover [lo, hi] exactly once: each shared edge owned by one side.

    ``reachable`` is the highest score the rubric can give when bonus points may take it above ``hi``
    (积分制): the top band must then reach at least that far, so that every reachable score has a band.
    """
    ordered = sorted(bands, key=lambda b: b.min)
    if ordered[0].min != lo or not ordered[0].min_inclusive:
        raise ValueError(f"{what}最低一档应从 {format_fraction(lo)}（含）开始")
    top = ordered[-1]
    if reachable is not None and reachable > hi:
        if top.max < reachable or not top.max_inclusive:
            raise ValueError(
                f"{what}最高一档“{top.label}”应到 {format_fraction(reachable)}（含）或更高：组织评定含加分后"
                f"可超过 {format_fraction(hi)} 分，综合得分最高可达 {format_fraction(reachable)} 分"
                f"（实际到 {format_fraction(top.max)}{'（含）' if top.max_inclusive else '（不含）'}）；"
                "或在 checklist.yaml 的 bonus.total_cap 中设封顶分数"
            )
    elif top.max != hi or not top.max_inclusive:
        raise ValueError(f"{what}最高一档应到 {format_fraction(hi)}（含）为止")
    for band in ordered:
        if band.min > band.max or (band.min == band.max and not (band.min_inclusive and band.max_inclusive)):
            raise ValueError(f"{what}“{band.label}”的下限高于上限")
    for low, high in itertools.pairwise(ordered):
        if low.max < high.min:
            raise ValueError(
                f"{what}“{low.label}”与“{high.label}”之间有空档：{format_fraction(low.max)} 到 {format_fraction(high.min)}"
            )
        if low.max > high.min:
            raise ValueError(f"{what}“{low.label}”与“{high.label}”重叠")
        if low.max_inclusive == high.min_inclusive:
            edge = format_fraction(low.max)
            if low.max_inclusive:
                raise ValueError(f"{what}边界 {edge} 同时属于“{low.label}”和“{high.label}”")
            raise ValueError(f"{what}边界 {edge} 不属于任何一档（“{low.label}”与“{high.label}”都不含）")


class Stars(Frozen):
    source: Text
    choice: bool = False
    max_if_not_standardized: Annotated[int, Field(ge=0)] | None = None
    bands: tuple[Band, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _stars(self):
        for band in self.bands:
            if band.stars is None:
                raise ValueError(f"星级“{band.label}”缺少 stars")
        return self


class Grades(Frozen):
    source: Text
    choice: bool = False
    bands: tuple[Band, ...] = Field(min_length=1)


class ScoreBelow(Frozen):
    type: Literal["score_below"]
    target: SCORE_TARGETS
    threshold: NonNegative
    label: Text


class KeyItemZero(Frozen):
    type: Literal["key_item_zero"]
    label: Text


class ActivityFailuresAtLeast(Frozen):
    type: Literal["activity_failures_at_least"]
    count: Annotated[int, Field(ge=1)]
    label: Text


WeakCondition = Annotated[Union[ScoreBelow, KeyItemZero, ActivityFailuresAtLeast], Field(discriminator="type")]


class Weak(Frozen):
    source: Text
    choice: bool = False
    any_of: tuple[WeakCondition, ...] = Field(min_length=1)


class VetoFired(Frozen):
    """The 最强 veto rule ``rule`` (one of veto_rules) fired for the branch."""

    type: Literal["veto_fired"]
    rule: Ident
    label: Text


CapCondition = Annotated[
    Union[ScoreBelow, KeyItemZero, ActivityFailuresAtLeast, VetoFired], Field(discriminator="type")
]


class GradeCap(Frozen):
    """A veto that caps the grade (等次), not the score: when any condition holds, the grade is at most
    ``max_grade`` (a grade band label); a grade already at or below it is kept."""

    id: Ident
    label: Text
    max_grade: Text
    any_of: tuple[CapCondition, ...] = Field(min_length=1)
    source: Text
    choice: bool = False


class EligibilityFile(Frozen):
    standardized: Standardized
    veto_rules: tuple[VetoRule, ...]
    strongest: Strongest
    stars: Stars
    grades: Grades
    weak: Weak
    grade_caps: tuple[GradeCap, ...] = ()

    def problems(self) -> Problems:
        found = _duplicate_problems(self.grade_caps, "grade_caps", "等次限制")
        labels = [band.label for band in self.grades.bands]
        veto_ids = [rule.id for rule in self.veto_rules]
        for index, cap in enumerate(self.grade_caps):
            if cap.max_grade not in labels:
                found.append(
                    (
                        ("grade_caps", index, "max_grade"),
                        f"等次限制 {cap.id} 的最高等次“{cap.max_grade}”不是 grades 中的等次，可选：{'、'.join(labels)}",
                    )
                )
            for position, cond in enumerate(cap.any_of):
                if isinstance(cond, VetoFired) and cond.rule not in veto_ids:
                    found.append(
                        (
                            ("grade_caps", index, "any_of", position, "rule"),
                            f"否决规则“{cond.rule}”未在 veto_rules 中定义，可选：{'、'.join(veto_ids)}",
                        )
                    )
        ids = tuple(veto_ids)
        if ids != VETO_IDS:
            found.insert(
                0,
                (
                    ("veto_rules",),
                    "否决规则应恰为以下四条并按此顺序：" + "、".join(VETO_IDS) + f"；实际为：{'、'.join(ids) or '无'}",
                ),
            )
        return found

    def grade_order(self) -> tuple[int, ...]:
        """Indices of ``grades.bands`` from the best grade (highest scores) to the lowest."""
        bands = self.grades.bands
        return tuple(sorted(range(len(bands)), key=lambda i: (bands[i].min, not bands[i].min_inclusive), reverse=True))


# ---------------------------------------------------------- activities.yaml
# The one activity type the 党员名册 records per member (its 谈心谈话次数 column).
PER_MEMBER_TYPE = "谈心谈话"


class ActivityRule(Frozen):
    id: Ident
    type_label: Text
    frequency: Literal["per_month", "per_quarter", "per_year"]
    min: Annotated[int, Field(ge=1)]
    # The share of those expected who must attend for the meeting to vote (支部工作条例第十一条: 表决必须有半数以上
    # 有表决权的党员到会方可进行), and what a meeting below it is: ``counts`` (it was held and counts; the result
    # says it could not vote) or ``not_counted`` (the stricter reading). Left out (a rubric written before this
    # field), ``not_counted``: such rubrics were read that way.
    quorum: Share | None = None
    quorum_inclusive: bool = True
    below_quorum: Literal["counts", "not_counted"] = "not_counted"
    below_quorum_choice: bool = False
    applies_when: Literal["has_party_groups", "has_committee"] | None = None
    # per_branch: the branch's activity log has ``min`` activities of the type; per_member: every member of
    # the 党员名册 had ``min`` of them in the year (the roster's 谈心谈话次数 column; only per_year, and only
    # for a type the roster records: 谈心谈话). Without a roster the per-member rule can only fail a branch
    # whose log has none at all; otherwise it cannot tell.
    scope: Literal["per_branch", "per_member"] = "per_branch"
    scope_choice: bool = False
    choice: bool = False
    source: Text

    @model_validator(mode="after")
    def _per_member(self):
        if self.scope == "per_member" and self.frequency != "per_year":
            raise ValueError("scope: per_member（逐人检查）只能与 frequency: per_year（每年次数）一起使用")
        return self

    @property
    def requirement(self) -> str:
        unit = {"per_month": "每月", "per_quarter": "每季度", "per_year": "每年"}[self.frequency]
        if self.scope == "per_member":
            return f"每名党员{unit}不少于{self.min}次"
        if self.frequency == "per_year":
            return f"{unit}不少于{self.min}次"
        return f"{unit}{self.min}次以上" if self.min > 1 else f"{unit}1次"


class ActivitiesFile(Frozen):
    activity_types: tuple[Text, ...] = Field(min_length=1)
    activity_types_source: str = ""
    rules: tuple[ActivityRule, ...]

    def problems(self) -> Problems:
        found = _duplicate_problems(self.rules, "rules", "组织生活规则")
        for index, rule in enumerate(self.rules):
            if rule.scope == "per_member" and rule.type_label != PER_MEMBER_TYPE:
                found.append(
                    (
                        ("rules", index, "scope"),
                        f"党员名册只记录每名党员的{PER_MEMBER_TYPE}次数，规则 {rule.id}（{rule.type_label}）不能逐人检查",
                    )
                )
        if len(set(self.activity_types)) != len(self.activity_types):
            found.append((("activity_types",), "活动类型重复"))
        for index, rule in enumerate(self.rules):
            if rule.type_label not in self.activity_types:
                found.append(
                    (
                        ("rules", index, "type_label"),
                        f"规则 {rule.id} 的活动类型“{rule.type_label}”不在 activity_types 中",
                    )
                )
        return found


# ----------------------------------------------------------- structure.yaml
class StructureBase(Frozen):
    id: Ident
    label: Text
    blocking: bool = False
    choice: bool = False
    source: Text
    fail_text: Text

    placeholders: ClassVar[frozenset[str]] = frozenset({"observed", "threshold"})

    @model_validator(mode="after")
    def _templates(self):
        _check_template(self.fail_text, set(self.placeholders), "fail_text")
        return self


class MinFullMembers(StructureBase):
    type: Literal["min_full_members"]
    threshold: Annotated[int, Field(ge=1)]
    inclusive: bool = True


class CommitteeRequired(StructureBase):
    type: Literal["committee_required"]
    full_members_at_least: Annotated[int, Field(ge=1)]


class CommitteeSize(StructureBase):
    type: Literal["committee_size"]
    min: Annotated[int, Field(ge=1)]
    max: Annotated[int, Field(ge=1)]
    odd: bool = True

    placeholders: ClassVar[frozenset[str]] = frozenset({"observed", "min", "max"})


class TermRule(StructureBase):
    type: Literal["term"]
    years_by_kind: dict[Text, Annotated[int, Field(ge=1)]] = {}
    default_years: Annotated[int, Field(ge=1)]
    missing_text: Text

    placeholders: ClassVar[frozenset[str]] = frozenset({"last_election", "years", "due"})


class MaxMembers(StructureBase):
    type: Literal["max_members"]
    threshold: Annotated[int, Field(ge=1)]
    inclusive: bool = True


StructureRule = Annotated[
    Union[MinFullMembers, CommitteeRequired, CommitteeSize, TermRule, MaxMembers],
    Field(discriminator="type"),
]


class StructureFile(Frozen):
    rules: tuple[StructureRule, ...]

    def problems(self) -> Problems:
        return _duplicate_problems(self.rules, "rules", "组织设置规则")


# ------------------------------------------------------------- members.yaml
class MemberStatus(Frozen):
    """A value of the roster's 身份 column; ``full``: a 正式党员 (counted by the structure rules)."""

    label: Text
    full: bool = False
    source: str = ""


class MemberRole(Frozen):
    """A value of the roster's 职务 column: on the 支部委员会 (``committee``), the 书记 (``secretary``)."""

    label: Text
    committee: bool = False
    secretary: bool = False
    source: str = ""


class MemberRule(Frozen):
    """One check over the roster: its name and advice as users read them, and its source."""

    label: Text
    advice: Text  # what to do when it fails (找不足、补短板)
    source: Text


class SessionsRule(MemberRule):
    sessions_at_least: Annotated[int, Field(ge=0)]  # 不少于: the number itself passes


class SecretaryTraining(MemberRule):
    upper_training_per_year: int

    @field_validator("upper_training_per_year")
    @classmethod
    def _checkable(cls, v: int) -> int:
        if v not in (0, 1):
            raise ValueError(
                f"党员名册只记录书记本年度是否参加上级培训（是/否），只能检查每年1次（写1）或不检查（写0），实际为 {v}"
            )
        return v


class DuesRule(MemberRule):
    lapse_months: Annotated[int, Field(ge=1)]
    consecutive: bool
    consecutive_choice: bool = False


class WechatRule(MemberRule):
    joined_share_at_least: Share


class MemberRules(Frozen):
    """The checks of the roster, by the id the code runs them under (scoring/members.py)."""

    member_training: SessionsRule
    committee_training: SessionsRule
    secretary_training: SecretaryTraining
    secretary_present: MemberRule
    dues_lapse: DuesRule
    wechat_share: WechatRule


class MembersFile(Frozen):
    statuses: tuple[MemberStatus, ...] = Field(min_length=1)
    roles: tuple[MemberRole, ...] = Field(min_length=1)
    rules: MemberRules

    def problems(self) -> Problems:
        found: Problems = []
        for key, values in (("statuses", [s.label for s in self.statuses]), ("roles", [r.label for r in self.roles])):
            for index, label in enumerate(values):
                if label in values[:index]:
                    found.append(((key, index, "label"), f"“{label}”重复"))
        if not any(s.full for s in self.statuses):
            found.append((("statuses",), "没有 full: true 的身份（正式党员）：组织设置规则按正式党员人数判断"))
        secretaries = [index for index, r in enumerate(self.roles) if r.secretary]
        if len(secretaries) != 1:
            where = ("roles", secretaries[1]) if len(secretaries) > 1 else ("roles",)
            found.append((where, f"应恰有一个 secretary: true 的职务（支部书记），实际有{len(secretaries)}个"))
        for index in secretaries:
            if not self.roles[index].committee:
                found.append(
                    (
                        ("roles", index, "committee"),
                        f"书记职务“{self.roles[index].label}”也是支委会成员，应写 committee: true",
                    )
                )
        return found

    @property
    def status_labels(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.statuses)

    @property
    def full_statuses(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.statuses if s.full)

    @property
    def probationary_statuses(self) -> tuple[str, ...]:
        return tuple(s.label for s in self.statuses if not s.full)

    @property
    def role_labels(self) -> tuple[str, ...]:
        return tuple(r.label for r in self.roles)

    @property
    def committee_roles(self) -> tuple[str, ...]:
        return tuple(r.label for r in self.roles if r.committee)

    @property
    def secretary_role(self) -> str:
        return next(r.label for r in self.roles if r.secretary)

    def rule(self, rule_id: str) -> MemberRule:
        return getattr(self.rules, rule_id)


# ------------------------------------------------------------- targets.yaml
class Target(Frozen):
    year: Annotated[int, Field(ge=2000, le=2100)]
    year_choice: bool = False
    standardized_share: Share
    strongest_share: Share | None = None
    strongest_is_aim: bool = False
    strongest_basis: Literal["designated", "meets_standard"] = "designated"
    weak_cleared: bool = False
    # A note for the reader of the 总览 and its export, in plain words (the source's detail stays in ``source``).
    note: str | None = None
    source: Text


class Benefit(Frozen):
    id: Ident
    label: Text
    share_of_team_pay: Share | None = None
    uplift: NonNegative | None = None
    applies_to: tuple[Text, ...] = ()
    choice: bool = False
    source: Text
    # For the budget view (总览 待遇保障测算): which designation earns it, and of which amount it is a share.
    designation: Designation | None = None
    base: Ident | None = None
    one_off: bool = False  # paid once, in the year of the designation (else: every year it holds)


class Amount(Frozen):
    """A money figure the sources do not give (e.g. the team's annual pay), set by the street."""

    id: Ident
    label: Text
    value: NonNegative | None = None
    unit: Text = "元"
    choice: bool = False
    source: Text


class Honour(Frozen):
    """评先评优 (001 §四(一)): which Party honours a branch may be put forward for, by its designation."""

    id: Ident
    label: Text
    requires: Literal["standardized", "strongest"]  # the designation the branch must hold
    source: Text


class Honours(Frozen):
    levels: tuple[Honour, ...] = ()
    priority: Text | None = None  # said of a branch designated 最强 (优先推荐)
    none_label: Text = "不可参评"
    source: str = ""


class TargetsFile(Frozen):
    targets: tuple[Target, ...]
    benefits: tuple[Benefit, ...] = ()
    amounts: tuple[Amount, ...] = ()
    honours: Honours = Honours()

    def problems(self) -> Problems:
        found = _duplicate_problems(self.benefits, "benefits", "待遇")
        found += _duplicate_problems(self.honours.levels, ("honours", "levels"), "评先评优")
        found += _duplicate_problems(self.amounts, "amounts", "金额")
        amount_ids = {a.id for a in self.amounts}
        for index, benefit in enumerate(self.benefits):
            if benefit.base is not None and benefit.base not in amount_ids:
                known = "、".join(sorted(amount_ids)) or "无"
                found.append(
                    (("benefits", index, "base"), f"待遇所依据的金额“{benefit.base}”未在 amounts 中定义，可选：{known}")
                )
        seen: set[int] = set()
        for index, target in enumerate(self.targets):
            if target.year in seen:
                found.append((("targets", index, "year"), f"年度目标的年份 {target.year} 重复"))
            seen.add(target.year)
        return found


# ------------------------------------------------------------ workflow.yaml


class WorkflowRole(Frozen):
    id: Ident
    label: Text
    # branch: the branch itself (支部书记 with the branch's access code on the self-assessment page);
    # staff: the 街道 or the 区委 (the evaluator page, the command line).
    kind: Literal["branch", "staff"]
    source: str = ""


class WorkflowState(Frozen):
    id: Ident
    label: Text
    designation: bool = False
    # What the state stands for, read by the 总览 (targets, budget, honours) and its charts:
    holds: Designation | None = None  # the designation a branch in this state holds
    revokes: bool = False  # the designation is withdrawn (001 §四(四)): nothing earlier carries on
    fails: bool = False  # the evaluation or the acceptance check was not passed
    source: Text

    @model_validator(mode="after")
    def _markers(self):
        marked = [
            name
            for name, on in (("holds", self.holds is not None), ("revokes", self.revokes), ("fails", self.fails))
            if on
        ]
        if len(marked) > 1:
            raise ValueError(f"状态 {self.id} 的标记 {'、'.join(marked)} 不能同时使用")
        if self.designation and self.holds is None:
            raise ValueError(f"状态 {self.id} 是一项评定（designation: true），须用 holds 写明持有哪一项评定")
        return self

    @property
    def marker(self) -> str | None:
        """What the state stands for: its ``holds``, ``"revokes"``, ``"fails"``, or None."""
        if self.holds is not None:
            return self.holds
        return "revokes" if self.revokes else "fails" if self.fails else None


class DesignationTerm(Frozen):
    structure_rule: Ident
    source: Text


TransitionRequirement = Literal["self_assessment", "standardized", "strongest_eligible"]
# Requirements met by the recorded result, and how they read in Chinese.
RESULT_REQUIREMENTS = {"standardized": "考评结果达标", "strongest_eligible": "考评结果符合“最强党支部”评定条件"}


class WorkflowTransition(Frozen):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: Ident = Field(alias="from")
    to: Ident
    roles: tuple[Ident, ...] = Field(min_length=1)
    label: Text
    # What the move rests on: self_assessment = the branch has submitted its self-assessment;
    # standardized / strongest_eligible = the branch's recorded result (its evaluators' current
    # revisions, scored with the rubric version they were submitted with) is 达标 / meets the
    # 最强党支部 conditions (no veto fired or undecided).
    requires: tuple[TransitionRequirement, ...] = ()
    # Roles that may make the move although the recorded result does not support it: an exception,
    # with a written reason, marked 例外 wherever the designation shows. Empty: no exception.
    exception_roles: tuple[Ident, ...] = ()
    source: Text

    @property
    def result_requirements(self) -> tuple[str, ...]:
        """The requirements that read the branch's recorded result (not the self-assessment)."""
        return tuple(r for r in self.requires if r in RESULT_REQUIREMENTS)


Permission = Literal["score", "move", "rubric"]


class AccountRole(Frozen):
    """What a staff account of this role may do (``python -m assessment user add 姓名 --role 街道``)."""

    id: Ident
    label: Text
    # The workflow role (kind: staff) the account moves branches as; without it, it moves nothing.
    acts_as: Ident | None = None
    # street: only the branches of the account's own street (the account names its street); district: all.
    scope: Literal["street", "district"]
    # score: scores on the evaluator page (drafts, revisions); move: the transitions its acts_as role may make;
    # rubric: saves and switches rubric versions. Every account may look (within its scope).
    may: tuple[Permission, ...] = ()
    source: Text


class WorkflowFile(Frozen):
    """States of a branch's year (支部申请-街道党工委考评-区委组织部验收, 最强申报, 撤销) and who may move it.

    Code never names a state or a role: it reads the markers (a state's ``holds``, ``revokes``,
    ``fails``; a role's ``kind``), so a street may rename every id.
    """

    roles: tuple[WorkflowRole, ...] = Field(min_length=1)
    initial: Ident
    states: tuple[WorkflowState, ...] = Field(min_length=1)
    designation_term: DesignationTerm
    transitions: tuple[WorkflowTransition, ...] = Field(min_length=1)
    # Staff accounts' roles. A rubric written before accounts existed has none: the package's own
    # rubric then says who may do what (assessment.store.accounts reads it).
    accounts: tuple[AccountRole, ...] | None = None

    def _marker_problems(self) -> Problems:
        found: Problems = []
        branch = [index for index, r in enumerate(self.roles) if r.kind == "branch"]
        if len(branch) != 1:
            where = ("roles", branch[1]) if len(branch) > 1 else ("roles",)
            found.append(
                (
                    where,
                    (
                        "应恰有一个 kind: branch 的角色（支部用本支部的访问码在自评页操作时的身份），"
                        f"实际有{len(branch)}个"
                    ),
                )
            )
        if not any(r.kind == "staff" for r in self.roles):
            found.append((("roles",), "至少需要一个 kind: staff 的角色（街道党工委或区委组织部）"))
        held = {s.holds for s in self.states}
        for designation in ("standardized", "strongest"):
            if designation not in held:
                found.append(
                    (
                        ("states",),
                        (
                            f"没有 holds: {designation} 的状态（{DESIGNATION_LABELS[designation]}）："
                            "总览的年度目标、待遇和评先评优按它统计"
                        ),
                    )
                )
        if not any(s.revokes for s in self.states):
            found.append((("states",), "没有 revokes: true 的状态（撤销评定，001 §四(四)）"))
        for index, s in enumerate(self.states):
            if s.id != self.initial:
                continue
            if s.marker is not None:
                found.append((("states", index), f"初始状态 {s.id} 不能带标记（{s.marker}）：支部每年从它开始"))
        return found

    def _account_problems(self) -> Problems:
        if self.accounts is None:
            return []
        found = _duplicate_problems(self.accounts, "accounts", "账户角色")
        staff = {r.id for r in self.roles if r.kind == "staff"}
        labels: dict[str, int] = {}
        for index, account in enumerate(self.accounts):
            if account.label in labels:
                found.append((("accounts", index, "label"), f"账户角色名称“{account.label}”重复"))
            labels.setdefault(account.label, index)
            if account.acts_as is not None and account.acts_as not in staff:
                found.append(
                    (
                        ("accounts", index, "acts_as"),
                        f"acts_as 应为 kind: staff 的角色（{'、'.join(sorted(staff))}），实际为“{account.acts_as}”",
                    )
                )
            if "move" in account.may and account.acts_as is None:
                found.append(
                    (("accounts", index, "may"), "有 move 权限的账户角色须用 acts_as 写明在流程中以哪个角色操作")
                )
        for permission, what in (("score", "打分"), ("move", "推进流程"), ("rubric", "保存评分标准版本")):
            if not any(permission in account.may for account in self.accounts):
                found.append((("accounts",), f"没有可以{what}（may: {permission}）的账户角色"))
        return found

    def account_role(self, text: str) -> AccountRole | None:
        """The account role whose id or label is ``text``."""
        return next((a for a in self.accounts or () if text in (a.id, a.label)), None)

    def problems(self) -> Problems:
        found = _duplicate_problems(self.roles, "roles", "角色") + _duplicate_problems(self.states, "states", "状态")
        found += self._marker_problems()
        found += self._account_problems()
        states = {s.id for s in self.states}
        roles = {r.id for r in self.roles}
        known_states = "、".join(s.id for s in self.states)
        if self.initial not in states:
            found.append((("initial",), f"初始状态“{self.initial}”未在 states 中定义，可选：{known_states}"))
        seen: dict[tuple[str, str], int] = {}
        for index, t in enumerate(self.transitions):
            for key, value in (("from", t.from_), ("to", t.to)):
                if value not in states:
                    found.append(
                        (
                            ("transitions", index, key),
                            f"状态变更中的状态“{value}”未在 states 中定义，可选：{known_states}",
                        )
                    )
            for role in t.roles:
                if role not in roles:
                    found.append(
                        (
                            ("transitions", index, "roles"),
                            f"角色“{role}”未在 roles 中定义，可选：{'、'.join(r.id for r in self.roles)}",
                        )
                    )
            if t.from_ == t.to:
                found.append((("transitions", index, "to"), f"状态变更不能从“{t.from_}”变到它自己"))
            for role in t.exception_roles:
                if role not in t.roles:
                    found.append(
                        (
                            ("transitions", index, "exception_roles"),
                            f"例外办理的角色“{role}”须是这一步 roles 中的角色（{'、'.join(t.roles)}）",
                        )
                    )
            if t.exception_roles and not t.result_requirements:
                found.append(
                    (
                        ("transitions", index, "exception_roles"),
                        "只有以考评结果为依据的变更（requires 含 standardized 或 strongest_eligible）才能例外办理",
                    )
                )
            pair = (t.from_, t.to)
            if pair in seen:
                found.append(
                    (("transitions", index), f"从“{t.from_}”到“{t.to}”的状态变更重复（第{seen[pair] + 1}条已定义）")
                )
            seen.setdefault(pair, index)
        return found

    def holding(self, designation: str) -> frozenset[str]:
        """Ids of the states whose branch holds ``designation`` (standardized, strongest, city) — by
        its ``holds`` or a higher one (a 最强 branch is 达标 too)."""
        rank = DESIGNATIONS.index(designation)
        return frozenset(s.id for s in self.states if s.holds is not None and DESIGNATIONS.index(s.holds) >= rank)

    @property
    def revoking(self) -> frozenset[str]:
        """Ids of the states that withdraw a designation (``revokes: true``)."""
        return frozenset(s.id for s in self.states if s.revokes)

    @property
    def branch_role(self) -> WorkflowRole:
        """The role a branch acts as with its access code (``kind: branch``)."""
        return next(r for r in self.roles if r.kind == "branch")

    @property
    def staff_roles(self) -> tuple[WorkflowRole, ...]:
        """The roles of the 街道 and the 区委 (``kind: staff``), in the file's order."""
        return tuple(r for r in self.roles if r.kind == "staff")

    def state(self, state_id: str) -> WorkflowState:
        return next(s for s in self.states if s.id == state_id)

    def role(self, role_id: str) -> WorkflowRole:
        return next(r for r in self.roles if r.id == role_id)

    def transition(self, from_state: str, to_state: str) -> WorkflowTransition | None:
        return next((t for t in self.transitions if t.from_ == from_state and t.to == to_state), None)

    def moves_from(self, state_id: str) -> tuple[WorkflowTransition, ...]:
        return tuple(t for t in self.transitions if t.from_ == state_id)

    def branch_moves(self, state_id: str, *, applying: bool) -> tuple[WorkflowTransition, ...]:
        """The branch's own moves from ``state_id``: 申请考评 (``applying``: those that require its submitted
        self-assessment), or the others (重新自评, 开始新一轮建设 …)."""
        branch = self.branch_role.id
        return tuple(
            t for t in self.moves_from(state_id) if branch in t.roles and ("self_assessment" in t.requires) == applying
        )


# ------------------------------------------------------------------ rubric
FILES: dict[str, type[Frozen]] = {
    "meta.yaml": Meta,
    "channels.yaml": ChannelsFile,
    "checklist.yaml": ChecklistFile,
    "eligibility.yaml": EligibilityFile,
    "activities.yaml": ActivitiesFile,
    "structure.yaml": StructureFile,
    "members.yaml": MembersFile,
    "targets.yaml": TargetsFile,
    "workflow.yaml": WorkflowFile,
}


class Rubric(Frozen):
    """A whole, validated rubric version. Build it with :func:`assessment.rubric.load_rubric`."""

    meta: Meta
    channels: ChannelsFile
    checklist: ChecklistFile
    eligibility: EligibilityFile
    activities: ActivitiesFile
    structure: StructureFile
    members: MembersFile
    targets: TargetsFile
    workflow: WorkflowFile

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def items(self) -> tuple[ChecklistItem, ...]:
        return self.checklist.items

    def item(self, item_id: str) -> ChecklistItem:
        for item in self.checklist.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def channel(self, channel_id: str) -> Channel:
        return self.channels.channel(channel_id)

    @property
    def base_items(self) -> tuple[ChecklistItem, ...]:
        """The items whose weights make up the 组织评定 (all but the bonus items)."""
        return self.checklist.base_items

    @property
    def bonus_items(self) -> tuple[ChecklistItem, ...]:
        return self.checklist.bonus_items

    @property
    def veto_rules(self):
        return self.eligibility.veto_rules

    def composite_max(self) -> Fraction:
        """The highest composite score reachable: 100 on every channel, the most bonus on 组织评定."""
        tops = {c.id: ORG_SCALE for c in self.channels.channels}
        tops["org"] = self.checklist.org_max()
        return sum((c.weight * tops[c.id] for c in self.channels.channels), Fraction(0))

    def cross_file_problems(self, doubtful: frozenset[str] = frozenset()) -> list[tuple[str, tuple, str]]:
        """Checks that span files: (file, location path, Chinese message).

        ``doubtful`` names files that have problems of their own: a check that reads one of them is
        skipped, so a mistake in one file (channel weights summing to 1.1) is not reported again as
        its consequence in another (a top band that no longer reaches the highest score).
        """
        problems: list[tuple[str, tuple, str]] = []

        def runs(*files: str) -> bool:
            return not doubtful.intersection(files)

        scores = ("meta.yaml", "channels.yaml", "checklist.yaml", "eligibility.yaml")
        if runs(*scores):
            problems += self._score_problems()
        if runs("channels.yaml", "eligibility.yaml"):
            problems += self._veto_problems()
        if runs("targets.yaml", "workflow.yaml"):
            problems += self._benefit_problems()
        if runs("workflow.yaml", "structure.yaml"):
            problems += self._term_problems()
        return problems

    def _score_problems(self) -> list[tuple[str, tuple, str]]:
        problems: list[tuple[str, tuple, str]] = []
        lo, hi = self.meta.scale_min, self.meta.scale_max
        reachable = self.composite_max()
        for name, bands in (("grades", self.eligibility.grades.bands), ("stars", self.eligibility.stars.bands)):
            try:
                check_bands(bands, lo, hi, "等次" if name == "grades" else "星级", reachable=reachable)
            except ValueError as exc:
                problems.append(("eligibility.yaml", (name, "bands"), str(exc)))
        for index, cond in enumerate(self.eligibility.standardized.conditions):
            if isinstance(cond, ScoreAtLeast) and not lo <= cond.threshold <= max(hi, reachable):
                problems.append(
                    ("eligibility.yaml", ("standardized", "conditions", index, "threshold"), "阈值超出分数范围")
                )
        return problems

    def _veto_problems(self) -> list[tuple[str, tuple, str]]:
        problems: list[tuple[str, tuple, str]] = []
        grades = self.channels.annual_review_grades.levels
        public_levels = [level.id for level in self.channels.channel("public").method.levels]
        for index, rule in enumerate(self.eligibility.veto_rules):
            if isinstance(rule, FlagAbsentRule) and rule.only_if_counted not in (None, *public_levels):
                problems.append(
                    (
                        "eligibility.yaml",
                        ("veto_rules", index, "only_if_counted"),
                        f"“{rule.only_if_counted}”不是群众评判的档次，可选：{'、'.join(public_levels)}",
                    )
                )
            if isinstance(rule, MinLevelRule) and rule.at_least not in grades:
                problems.append(
                    (
                        "eligibility.yaml",
                        ("veto_rules", index, "at_least"),
                        f"等次“{rule.at_least}”不在年度述职评议等次（{'/'.join(grades)}）中",
                    )
                )
        return problems

    def _benefit_problems(self) -> list[tuple[str, tuple, str]]:
        problems: list[tuple[str, tuple, str]] = []
        for index, benefit in enumerate(self.targets.benefits):
            if benefit.designation is not None and not self.workflow.holding(benefit.designation):
                problems.append(
                    (
                        "targets.yaml",
                        ("benefits", index, "designation"),
                        (
                            f"待遇“{benefit.label}”按评定 {benefit.designation}（{DESIGNATION_LABELS[benefit.designation]}）计，"
                            f"但 workflow.yaml 中没有 holds: {benefit.designation} 的状态"
                        ),
                    )
                )
        return problems

    def _term_problems(self) -> list[tuple[str, tuple, str]]:
        problems: list[tuple[str, tuple, str]] = []
        term_rule = self.workflow.designation_term.structure_rule
        if not any(isinstance(r, TermRule) and r.id == term_rule for r in self.structure.rules):
            terms = "、".join(r.id for r in self.structure.rules if isinstance(r, TermRule)) or "无"
            problems.append(
                (
                    "workflow.yaml",
                    ("designation_term", "structure_rule"),
                    f"评定有效期所依据的换届规则“{term_rule}”不是 structure.yaml 中的换届（type: term）规则，可选：{terms}",
                )
            )
        return problems
