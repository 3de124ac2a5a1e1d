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

from ..glossary import CHANNEL_LABEL_FALLBACK
from .types import Exact, NonNegative, Positive, Share, format_fraction

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]

CHANNEL_IDS = ("org", "member", "public", "social")
# The data a rubric may collect besides its channels (meta.yaml ``uses.conditions``), and what each is in words.
CONDITION_LABELS = {
    "annual_review": "年度述职评议等次",
    "activities": "组织生活记录（activities.yaml 频次规则）",
    "members": "党员名册（members.yaml 规则）",
    "structure": "组织设置（structure.yaml 规则）",
}
CONDITION_IDS = tuple(CONDITION_LABELS)
# How results name what a rubric does not use (a channel left out of channels.yaml has no label of its own).
CHANNEL_NAMES = CHANNEL_LABEL_FALLBACK
CONDITION_NAMES = {
    "annual_review": "年度述职评议等次",
    "activities": "组织生活频次",
    "members": "党员名册检查",
    "structure": "组织设置",
}
ChannelId = Literal["org", "member", "public", "social"]
ConditionId = Literal["annual_review", "activities", "members", "structure"]
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
class Uses(Frozen):
    """What data the rubric collects and evaluates (meta.yaml ``uses``): the 四评 channels it scores and the
    conditions it checks. A channel or condition not listed needs no data and is not evaluated; nothing in
    the rubric may refer to it (checked on load). Left out, a key means all of them (the rubric as before)."""

    channels: tuple[ChannelId, ...] = CHANNEL_IDS
    conditions: tuple[ConditionId, ...] = CONDITION_IDS
    source: str = ""

    def problems(self) -> Problems:
        found: Problems = []
        if "org" not in self.channels:
            found.append((("uses", "channels"), "uses.channels 应包含 org（组织评定）：评分标准的指标清单就是组织评定"))
        for key, values in (("channels", self.channels), ("conditions", self.conditions)):
            for index, value in enumerate(values):
                if value in values[:index]:
                    found.append((("uses", key, index), f"uses.{key} 中“{value}”重复"))
        return found


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
    # The channels and conditions the rubric uses; None (left out): all of them.
    uses: Uses | None = None

    def problems(self) -> Problems:
        return self.uses.problems() if self.uses is not None else []

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
        if len(set(ids)) != len(ids) or "org" not in ids:
            found.append(
                (
                    ("channels",),
                    f"四评通道（{', '.join(CHANNEL_IDS)}）各至多一个且须有 org，实际为 {', '.join(ids) or '无'}",
                )
            )
            return found
        total = sum((c.weight for c in self.channels), Fraction(0))
        if total != 1:
            what = "四个通道" if len(ids) == len(CHANNEL_IDS) else f"所用的{len(ids)}个通道（{'、'.join(ids)}）"
            found.append((("channels",), f"{what}的权重之和应为1，实际为 {format_fraction(total)}"))
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
        if "member" in ids:
            index = ids.index("member")
            member = self.channels[index].method
            if member.base != "participants" or "excellent" not in {lv.id for lv in member.levels}:
                found.append(
                    (
                        ("channels", index, "method"),
                        "党员评议应以参评人数（participants）为分母，并包含“优秀”档（id: excellent）",
                    )
                )
        if "public" in ids:
            index = ids.index("public")
            if "unsatisfied" not in {lv.id for lv in self.channels[index].method.levels}:
                found.append((("channels", index, "method", "levels"), "群众评判应包含“不满意”档（id: unsatisfied）"))
        return found

    def has(self, channel_id: str) -> bool:
        return any(c.id == channel_id for c in self.channels)

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


class DeductionRule(Frozen):
    """One rule of a ``multi_deduction`` item: each counted case takes ``per`` points off."""

    id: Ident
    label: Text
    per: Positive


class Step(Frozen):
    """One step of a ``stepped`` item: a count of ``at`` or more (以上) earns ``points``."""

    at: Annotated[int, Field(ge=1)]
    points: Positive


# The marks of an evidence_deduction item's evidence, one per evidence (workbook cells and org frame).
EVIDENCE_MARKS = ("已查看", "缺失")
# The fields of the kinds flag, multi_deduction and stepped (no other kind may write them).
NEW_KIND_FIELDS = ("flag_label", "rules", "steps")


class ChecklistItem(Frozen):
    id: Ident
    label: Text
    area: Ident
    frame000: Ident | None = None
    # Required for a base item (ChecklistFile.problems checks it); a bonus item may leave it out.
    strength: Ident | None
    kind: Literal[
        "points",
        "level",
        "count_shortfall",
        "deduction",
        "rate_steps",
        "flag",
        "evidence_deduction",
        "multi_deduction",
        "stepped",
    ]
    # 分值 (the rubric's unit): the item's 满分; its share of the 组织评定 is points / total_points. The
    # legacy form writes ``max`` + ``weight`` instead (rubric versions stored before points). Either is
    # given, never both; ``max`` and ``weight`` are always set after validation (derived from ``points``:
    # ChecklistFile sets the weight from its total_points). 0 only for a ``flag`` item (it earns no
    # points); every other kind has a positive 满分.
    points: NonNegative | None = None
    max: NonNegative | None = None
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
    # flag: what the evaluator ticks (是/否), e.g. 发生严重违纪违法问题.
    flag_label: Text | None = None
    # multi_deduction: the deduction rules sharing the item's floor at 0.
    rules: tuple[DeductionRule, ...] | None = None
    # stepped: the steps, ascending; the highest reached is earned (不累计).
    steps: tuple[Step, ...] | None = None
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
        if isinstance(data, dict) and data.get("kind") == "flag":
            # A flag earns no points: no 满分, no weight, no 五强 dimension (written in points, ``points: 0``
            # says so itself: nothing of the legacy max/weight form is added to it).
            legacy = {} if "points" in data else {"max": 0, "weight": 0}
            data = {**legacy, "strength": None, **data}
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
            "flag": ("flag_label",),
            "evidence_deduction": ("per",),
            "multi_deduction": ("rules",),
            "stepped": ("steps",),
        }[self.kind]
        missing = [name for name in needs if getattr(self, name) is None]
        if missing:
            raise ValueError(f"计分方式 {self.kind} 需要字段：{'、'.join(missing)}")
        self._check_new_kinds()
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

    def _check_new_kinds(self) -> None:
        """Fields of the kinds flag, evidence_deduction, multi_deduction and stepped (Chinese errors)."""
        owners = {
            "flag_label": ("flag",),
            "rules": ("multi_deduction",),
            "steps": ("stepped",),
            "target": ("count_shortfall", "rate_steps"),
            "step": ("rate_steps",),
            "partial": ("rate_steps",),
            "levels": ("level",),
        }
        # Only the new kinds and the new fields are held to this: a rubric version stored before them (an
        # unused ``target`` on a points item, say) loads as it always did.
        newer = self.kind in ("flag", "evidence_deduction", "multi_deduction", "stepped")
        for name, kinds in owners.items():
            if getattr(self, name) is not None and self.kind not in kinds and (newer or name in NEW_KIND_FIELDS):
                raise ValueError(f"字段 {name} 只用于计分方式 {'、'.join(kinds)}，计分方式为 {self.kind} 的指标不能写")
        if self.per is not None and self.kind in ("flag", "multi_deduction", "stepped"):
            where = "（每种扣分情形的 per 写在 rules 中）" if self.kind == "multi_deduction" else ""
            raise ValueError(f"计分方式为 {self.kind} 的指标不能写 per（每项扣分）{where}")
        if self.kind == "flag":
            if self.max != 0 or self.weight != 0:
                raise ValueError("计分方式 flag（记录是/否）不得分：不能写 max（满分）或 weight（权重），或写0")
            if self.bonus or self.key:
                raise ValueError("计分方式 flag（记录是/否）不得分，不能是加分项（bonus）或关键项（key）")
            if self.strength is not None:
                raise ValueError("计分方式 flag（记录是/否）不计入五强，不能写 strength")
            return
        if self.max <= 0:
            raise ValueError(f"满分 max 应大于0，实际为 {format_fraction(self.max)}")
        if self.kind == "evidence_deduction" and not self.evidence:
            raise ValueError("计分方式 evidence_deduction 按台账清单（evidence）逐项查看计数，evidence 不能为空")
        if self.kind == "evidence_deduction" and len(set(self.evidence)) != len(self.evidence):
            raise ValueError("evidence 中台账名称重复（逐项勾选“已查看/缺失”时无法区分）")
        if self.kind == "multi_deduction":
            if not self.rules:
                raise ValueError("计分方式 multi_deduction 的 rules（扣分规则）不能为空")
            ids = [rule.id for rule in self.rules]
            if len(set(ids)) != len(ids):
                raise ValueError("rules 中扣分规则编号重复")
            labels = [rule.label for rule in self.rules]
            if len(set(labels)) != len(labels):
                raise ValueError("rules 中扣分规则名称重复")
        if self.kind == "stepped":
            if not self.steps:
                raise ValueError("计分方式 stepped 的 steps（奖励档次）不能为空")
            for low, high in itertools.pairwise(self.steps):
                if high.at <= low.at:
                    raise ValueError(f"steps 应按 at（达到数量）从小到大排列且不重复：{low.at} 之后是 {high.at}")
                if high.points <= low.points:
                    raise ValueError(
                        f"steps 中较高的一档应得分更多：达到{high.at}的得分 {format_fraction(high.points)} "
                        f"不高于达到{low.at}的 {format_fraction(low.points)}"
                    )
            for step in self.steps:
                if step.points > self.max:
                    raise ValueError(
                        f"steps 中达到{step.at}的得分 {format_fraction(step.points)} 超过满分 {format_fraction(self.max)}"
                    )

    @property
    def scored(self) -> bool:
        """Whether the item earns points (every kind but ``flag``, which records a fact)."""
        return self.kind != "flag"

    def sub_inputs(self) -> tuple[tuple[str, str], ...]:
        """The item's inputs when it has several: (key suffix, label) — one per evidence of an
        ``evidence_deduction`` item (suffix 1, 2 …), one per rule of a ``multi_deduction`` item (the rule id).
        Empty for the kinds with one input."""
        if self.kind == "evidence_deduction":
            return tuple((str(number), name) for number, name in enumerate(self.evidence, start=1))
        if self.kind == "multi_deduction":
            return tuple((rule.id, rule.label) for rule in self.rules)
        return ()

    @property
    def top(self) -> Fraction:
        """The most points the item can earn (a level item: its best level)."""
        if self.kind == "level":
            return max(lv.points for lv in self.levels)
        if self.kind == "stepped":
            return min(self.steps[-1].points, self.max)
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
            "flag": f"{self.flag_label}（是/否）",
            "evidence_deduction": "逐项填写台账“已查看”或“缺失”",
            "multi_deduction": "各项扣分情形的次数",
            "stepped": "达到的数量",
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
        """The items whose weights make up the 组织评定 (not bonus items, not ``flag`` items)."""
        return tuple(i for i in self.items if not i.bonus and i.scored)

    @property
    def flag_items(self) -> tuple[ChecklistItem, ...]:
        """Items that record a yes/no fact for vetoes and grade caps (kind ``flag``), earning no points."""
        return tuple(i for i in self.items if i.kind == "flag")

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
            if item.strength is None and not item.bonus and item.scored:
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
            if getattr(self, name) is not None:
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


class ItemFlagRule(VetoBase):
    """Fires when the evaluator recorded 是 on the ``flag`` item ``item`` (checklist.yaml), e.g. 发生严重违纪违法问题.

    Any number of these may follow the four fixed rules. Their texts may be left out: they are then
    made from the item's ``flag_label`` (:func:`item_flag_texts`), never borrowed from another rule.
    """

    type: Literal["item_flag"]
    item: Ident
    pass_text: Text | None = None
    fail_text: Text | None = None
    missing_text: Text | None = None

    placeholders: ClassVar[frozenset[str]] = frozenset({"observed", "threshold", "item"})


def item_flag_texts(rule: ItemFlagRule, item: ChecklistItem) -> tuple[str, str, str]:
    """pass, fail and missing text of an ``item_flag`` veto: the rule's own, else made from the item."""
    flag, name = (text.replace("{", "{{").replace("}", "}}") for text in (item.flag_label, f"{item.id} {item.label}"))
    return (
        rule.pass_text or f"未记录“{flag}”（{name}：否）。",
        rule.fail_text or f"考评人记录“{flag}”（{name}：是），不得评定为“最强党支部”。",
        rule.missing_text or f"{name}尚未记录“{flag}”是或否，无法判断。",
    )


VetoRule = Annotated[
    Union[MinLevelRule, MinShareRule, FlagAbsentRule, MaxCountRule, ItemFlagRule], Field(discriminator="type")
]


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


class ItemFlag(Frozen):
    """The evaluator recorded 是 on the ``flag`` item ``item`` (checklist.yaml). ``label`` left out: the
    item's ``flag_label`` names the condition in the reason text."""

    type: Literal["item_flag"]
    item: Ident
    label: Text | None = None


CapCondition = Annotated[
    Union[ScoreBelow, KeyItemZero, ActivityFailuresAtLeast, VetoFired, ItemFlag], Field(discriminator="type")
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
        # The rules of 001 §三(四) come first, in their fixed order (a rubric that uses only some data, meta.yaml
        # uses, leaves out the rules over the rest; whether all four are required is checked across files,
        # Rubric._uses_problems); any number of item_flag rules (a fact the evaluator records, checklist.yaml
        # kind flag) may follow them.
        ids = tuple(rule.id for rule in self.veto_rules if not isinstance(rule, ItemFlagRule))
        if ids != tuple(rule for rule in VETO_IDS if rule in ids) or len(set(ids)) != len(ids):
            found.insert(
                0,
                (
                    ("veto_rules",),
                    "否决规则只能是以下几条（各至多一条）并按此顺序："
                    + "、".join(VETO_IDS)
                    + f"；实际为：{'、'.join(ids) or '无'}"
                    + "（另可在其后加 type: item_flag 的规则）",
                ),
            )
        else:
            fixed = len(ids)
            for index, rule in enumerate(self.veto_rules[:fixed]):
                if isinstance(rule, ItemFlagRule):
                    found.append(
                        (
                            ("veto_rules", index, "type"),
                            f"type: item_flag 的否决规则 {rule.id} 应写在四条固定的否决规则之后",
                        )
                    )
        found += _duplicate_problems(self.veto_rules, "veto_rules", "否决规则")
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
    def uses(self) -> Uses:
        """What the rubric collects and evaluates (meta.yaml ``uses``; left out: everything)."""
        return self.meta.uses or Uses()

    def uses_channel(self, channel_id: str) -> bool:
        """Whether the rubric scores the channel (it is in channels.yaml; checked against ``uses`` on load)."""
        return self.channels.has(channel_id)

    def uses_condition(self, condition: str) -> bool:
        """Whether the rubric collects and checks ``condition`` (one of CONDITION_IDS)."""
        return condition in self.uses.conditions

    def unused_text(self) -> str:
        """What the rubric does not use, for results and reports (“党员评议、群众评判；组织生活频次”); '' if all."""
        channels = "、".join(CHANNEL_NAMES[c] for c in CHANNEL_IDS if not self.uses_channel(c))
        conditions = "、".join(CONDITION_NAMES[c] for c in CONDITION_IDS if not self.uses_condition(c))
        return "；".join(part for part in (channels, conditions) if part)

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
        if runs("checklist.yaml", "eligibility.yaml"):
            problems += self._item_flag_problems()
        if runs("meta.yaml", "channels.yaml", "eligibility.yaml", "activities.yaml"):
            problems += self._uses_problems()
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
        public = self.channels.has("public")
        public_levels = [level.id for level in self.channels.channel("public").method.levels] if public else []
        for index, rule in enumerate(self.eligibility.veto_rules):
            if isinstance(rule, FlagAbsentRule) and public and rule.only_if_counted not in (None, *public_levels):
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

    def _item_flag_problems(self) -> list[tuple[str, tuple, str]]:
        """Every ``item_flag`` veto and grade-cap condition names a checklist item of kind ``flag``."""
        problems: list[tuple[str, tuple, str]] = []
        flags = {item.id for item in self.checklist.flag_items}
        known = "、".join(sorted(flags)) or "无（请先在 checklist.yaml 中写 kind: flag 的指标）"
        items = {item.id: item for item in self.checklist.items}

        def check(item_id: str, where: tuple) -> None:
            if item_id in flags:
                return
            if item_id in items:
                message = f"指标 {item_id} 的计分方式是 {items[item_id].kind}，不是 flag（记录是/否），可选：{known}"
            else:
                message = f"指标“{item_id}”未在 checklist.yaml 中定义，可选的 flag 指标：{known}"
            problems.append(("eligibility.yaml", where, message))

        for index, rule in enumerate(self.eligibility.veto_rules):
            if isinstance(rule, ItemFlagRule):
                check(rule.item, ("veto_rules", index, "item"))
        for index, cap in enumerate(self.eligibility.grade_caps):
            for position, cond in enumerate(cap.any_of):
                if isinstance(cond, ItemFlag):
                    check(cond.item, ("grade_caps", index, "any_of", position, "item"))
        return problems

    def _uses_problems(self) -> list[tuple[str, tuple, str]]:
        """Nothing may refer to data the rubric does not collect (meta.yaml ``uses``), and channels.yaml lists
        exactly the channels it uses."""
        problems: list[tuple[str, tuple, str]] = []
        uses = self.uses
        declared = self.meta.uses is not None
        listed = [c.id for c in self.channels.channels]
        used_text = "、".join(uses.channels)
        for index, cid in enumerate(listed):
            if cid not in uses.channels:
                problems.append(
                    (
                        "channels.yaml",
                        ("channels", index, "id"),
                        (
                            f"通道 {cid} 未在 meta.yaml 的 uses.channels（{used_text}）中声明使用："
                            f"请删去这个通道，或在 uses.channels 中加上 {cid}"
                        ),
                    )
                )
        absent = [cid for cid in uses.channels if cid not in listed]
        if absent and declared:
            problems.append(
                (
                    "meta.yaml",
                    ("uses", "channels"),
                    (
                        f"uses.channels 声明使用 {'、'.join(absent)}，但 channels.yaml 中没有这个通道：请在 channels.yaml 中"
                        "写出它（标签、权重、来源、计分方式），或从 uses.channels 中删去"
                    ),
                ),
            )
        elif absent:
            problems.append(
                (
                    "channels.yaml",
                    ("channels",),
                    (
                        f"缺少通道 {'、'.join(absent)}：meta.yaml 没有写 uses 时使用全部四个通道（{'、'.join(CHANNEL_IDS)}）；"
                        "只用部分通道时请在 meta.yaml 中写 uses.channels"
                    ),
                )
            )
        fixed_rules = [rule.id for rule in self.eligibility.veto_rules if not isinstance(rule, ItemFlagRule)]
        if not declared and tuple(fixed_rules) != VETO_IDS:
            ids = "、".join(fixed_rules) or "无"
            problems.append(
                (
                    "eligibility.yaml",
                    ("veto_rules",),
                    (
                        f"否决规则应恰为以下四条并按此顺序：{'、'.join(VETO_IDS)}；实际为：{ids}"
                        "（meta.yaml 没有写 uses 时使用全部数据；只用部分数据时请在 meta.yaml 中写 uses）"
                    ),
                )
            )

        def channel_missing(cid: str) -> str | None:
            if cid == "composite" or cid in uses.channels:
                return None
            return (
                f"{CHANNEL_NAMES[cid]}（{cid}）的数据，但本评分标准不使用这个通道（meta.yaml uses.channels：{used_text}）"
                f"：请删去，或在 uses.channels 中加上 {cid}"
            )

        def condition_missing(name: str) -> str | None:
            if name in uses.conditions:
                return None
            used = "、".join(uses.conditions) or "无"
            return (
                f"{CONDITION_LABELS[name]}，但本评分标准不收集这项数据（meta.yaml uses.conditions：{used}）"
                f"：请删去，或在 uses.conditions 中加上 {name}"
            )

        def reads(cond) -> str | None:
            if isinstance(cond, (ScoreAtLeast, ScoreBelow)):
                return channel_missing(cond.target)
            if isinstance(cond, (ActivityRulesMet, ActivityFailuresAtLeast)):
                return condition_missing("activities")
            if isinstance(cond, StructureOk):
                return condition_missing("structure")
            return None

        eligibility = self.eligibility
        for index, cond in enumerate(eligibility.standardized.conditions):
            if missing := reads(cond):
                where = ("standardized", "conditions", index)
                problems.append(("eligibility.yaml", where, f"达标条件“{cond.label}”（{cond.type}）读取{missing}"))
        for index, cond in enumerate(eligibility.weak.any_of):
            if missing := reads(cond):
                where = ("weak", "any_of", index)
                problems.append(("eligibility.yaml", where, f"软弱涣散条件“{cond.label}”（{cond.type}）读取{missing}"))
        for index, cap in enumerate(eligibility.grade_caps):
            for position, cond in enumerate(cap.any_of):
                if missing := reads(cond):
                    where = ("grade_caps", index, "any_of", position)
                    problems.append(
                        (
                            "eligibility.yaml",
                            where,
                            f"等次限制 {cap.id} 的条件“{cond.label}”（{cond.type}）读取{missing}",
                        )
                    )
        veto_reads = {
            MinLevelRule: lambda: condition_missing("annual_review"),
            MinShareRule: lambda: channel_missing("member"),
            FlagAbsentRule: lambda: channel_missing("public"),
            MaxCountRule: lambda: channel_missing("social"),
        }
        for index, rule in enumerate(eligibility.veto_rules):
            reader = veto_reads.get(type(rule))
            if reader is not None and (missing := reader()):
                problems.append(
                    ("eligibility.yaml", ("veto_rules", index), f"否决规则 {rule.id}（{rule.label}）读取{missing}")
                )
        if "activities" in uses.conditions:
            for index, rule in enumerate(self.activities.rules):
                if rule.scope == "per_member" and (missing := condition_missing("members")):
                    problems.append(
                        (
                            "activities.yaml",
                            ("rules", index, "scope"),
                            f"组织生活规则 {rule.id}（{rule.type_label}，逐人检查）读取{missing}",
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
