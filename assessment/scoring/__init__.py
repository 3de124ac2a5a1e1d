"""Scoring: pure functions from validated :class:`~assessment.inputs.frames.Inputs` to :class:`Results`.

Nothing here reads files, databases or widgets; everything is computed over
whole columns. ``score(rubric, inputs, year=2025)`` is the one entry point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import glossary as g
from ..inputs.frames import Inputs
from ..rubric import Rubric
from . import channels as ch
from . import eligibility as el
from . import veto
from .activities import check_activities, failed_rules
from .eligibility import flag_key
from .numbers import quantize
from .structure import check_structure
from .text import join_where

__all__ = ["Fixed", "Results", "score", "score_adjustable", "score_fixed"]


@dataclass
class Results:
    """Everything one scoring run found. Frames are indexed or keyed by ``branch_id``.

    ``branches``   one row per branch: name, channel scores (org/member/public/social), composite,
                   grade, standardized, stars, five_strong, strongest, weak, status, missing, veto_ids,
                   veto_text, reasons, standardized_reasons, weak_reasons, activity_failures,
                   activity_failed_types, bonus (加分 included in org, after its caps; 0 without bonus
                   items), grade_cap_reasons (why the grade was lowered by a 等次限制 rule, '' if not)
    ``items``      points earned per checklist item, bonus items included (NaN = not scored)
    ``dimensions`` 五强 dimension shares in % (rounded)
    ``vetoes``     long: branch_id, order, rule_id, label, passed (NA = cannot tell), observed,
                   threshold, explanation, source — rules in the order of veto_rules (those of VETO_IDS over
                   data the rubric uses, meta.yaml ``uses``, then any item_flag rules)
    ``activities`` long: branch_id, rule_id, type, requirement, count, not_counted, below_quorum
                   (meetings below the voting quorum, counted or not), missing_periods, applicable, met
    ``structure``  long: branch_id, rule_id, label, passed, blocking, explanation, source
    """

    rubric_version: str
    year: int
    branches: pd.DataFrame
    items: pd.DataFrame
    dimensions: pd.DataFrame
    vetoes: pd.DataFrame
    activities: pd.DataFrame
    structure: pd.DataFrame
    # Per branch and checklist item: whether it applies (checklist.yaml applies_to); an item that does
    # not is NaN in ``items`` and shown as 不适用. None: every item applies to every branch.
    applicable: pd.DataFrame | None = None

    def item_applies(self, branch_id: str, item_id: str) -> bool:
        if self.applicable is None or branch_id not in self.applicable.index:
            return True
        return bool(self.applicable.at[branch_id, item_id])


def _join_labels(frame: pd.DataFrame, labels: dict[str, str]) -> np.ndarray:
    """Per row, the labels of the columns that are NA, joined with 、."""
    parts = [(frame[col].isna().to_numpy(), label) for col, label in labels.items()]
    return join_where(parts, "、", len(frame))


def _clauses(texts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Explanations without their final 。, for joining several into one sentence (only where needed)."""
    out = np.full(len(texts), "", dtype=object)
    out[rows] = [text.rstrip("。") for text in texts[rows]]
    return out


@dataclass(frozen=True)
class Fixed:
    """The part of scoring that no weight, band or threshold an analyst may move can change.

    Checklist points, the member/public/social channel scores (unrounded), what is missing, the
    组织生活 and 组织设置 checks and the vetoes. :func:`score_adjustable` finishes the job; the
    analyst's page keeps a ``Fixed`` and re-runs only that.
    """

    year: int
    index: pd.Index
    names: np.ndarray
    items: pd.DataFrame
    channel_raw: dict[str, np.ndarray]  # member, public, social
    missing: np.ndarray
    activities: pd.DataFrame
    activity_failed: np.ndarray
    activity_names: np.ndarray
    structure: pd.DataFrame
    structure_blocked: np.ndarray
    structure_reasons: np.ndarray
    vetoes: pd.DataFrame
    veto_ids: np.ndarray
    veto_text: np.ndarray
    # veto rule id → where it fired (for 等次限制 ``veto_fired``); and flag_key(item id) → where a
    # ``flag`` item was recorded 是 (for 等次限制 ``item_flag``)
    fired: dict[str, np.ndarray]
    any_fired: np.ndarray
    any_unknown: np.ndarray
    unknown_text: np.ndarray
    # Per branch and checklist item: whether the item applies (checklist.yaml applies_to).
    applicable: pd.DataFrame

    @property
    def n(self) -> int:
        return len(self.index)

    @property
    def vetoes_clear(self) -> np.ndarray:
        """No veto fired and none could not be judged."""
        return ~self.any_fired & ~self.any_unknown


def score(rubric: Rubric, inputs: Inputs, *, year: int) -> Results:
    """Score every branch of ``inputs`` for ``year`` under ``rubric``."""
    return score_adjustable(rubric, score_fixed(rubric, inputs, year=year))


def score_fixed(rubric: Rubric, inputs: Inputs, *, year: int) -> Fixed:
    branches = inputs.branches.set_index("branch_id", drop=False)
    index = pd.Index(branches["branch_id"].to_numpy(dtype=object), name="branch_id")
    branches.index = index
    n = len(index)

    # --- channels that weights do not touch
    kinds = branches["kind"].to_numpy(dtype=object) if "kind" in branches else np.full(n, None, dtype=object)
    applicable = ch.item_applicability(rubric, kinds, index)
    items = ch.org_items(rubric, inputs.org, index, applicable)
    # A channel the rubric does not use (meta.yaml uses) is not evaluated: NaN, never missing.
    unused = np.full(n, np.nan)
    uses = rubric.uses_channel
    if uses("member"):
        member_score, member = ch.member_score(rubric, inputs.member, index)
    else:
        member_score, member = unused, pd.DataFrame({"participants": pd.array([pd.NA] * n, dtype="Int64")}, index=index)
    if uses("public"):
        public_score, public = ch.public_score(rubric, inputs.public, index)
    else:
        public_score, public = unused, pd.DataFrame(index=index)
    social = ch.social_counts(inputs.social if uses("social") else inputs.social.iloc[0:0], index)
    social_score = ch.social_score(social) if uses("social") else unused
    channel_raw = {"member": member_score, "public": public_score, "social": social_score}

    # --- what is missing (未完成 lists it; the rest is still evaluated)
    org_rows = inputs.org.set_index("branch_id").reindex(index) if len(inputs.org) else pd.DataFrame(index=index)
    # A bonus item left blank adds nothing: it is not missing.
    # An item that does not apply to the branch (applies_to) is not missing either.
    item_missing = _join_labels(items.where(applicable, 0.0), {i.id: f"{i.id} {i.label}" for i in rubric.base_items})
    labels = {c.id: c.label for c in rubric.channels.channels}
    no_org_row = ~index.isin(inputs.org["branch_id"]) if len(inputs.org) else np.ones(n, dtype=bool)
    member_base = member["participants"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    parts = [
        (no_org_row, f"{labels['org']}（无数据）"),
        (~no_org_row & (item_missing != ""), labels["org"] + "：" + item_missing),
    ]
    if uses("member"):
        parts += [
            (np.isnan(member_base), f"{labels['member']}（无数据）"),
            (member_base == 0, f"{labels['member']}（参评人数为0）"),
        ]
    if uses("public"):
        parts.append((np.isnan(public_score), f"{labels['public']}（无有效评价）"))
    if uses("social"):
        parts.append((social["opinions"].to_numpy() == 0, f"{labels['social']}（无部门意见）"))
    if rubric.uses_condition("annual_review"):
        no_grade = org_rows["annual_review_grade"].isna().to_numpy() if "annual_review_grade" in org_rows else True
        parts.append((~no_org_row & no_grade, "年度述职评议等次"))
    missing = join_where(parts, "；", n)

    # --- rule checks
    activities = check_activities(rubric, inputs.activities, branches, year, inputs.roster)
    activity_failed, activity_names = failed_rules(activities, n)
    structure = check_structure(rubric, branches, year)
    blocking = structure["blocking"].to_numpy() & (structure["passed"] == False).fillna(False).to_numpy()
    checked = rubric.structure.rules if len(structure) else ()  # none when not collected (meta.yaml uses)
    blocked_matrix = blocking.reshape(len(checked), n).T
    structure_reasons = join_where([(blocked_matrix[:, j], rule.label) for j, rule in enumerate(checked)], "、", n)

    # --- vetoes, in the fixed order
    grades = rubric.channels.annual_review_grades.levels
    grade_col = org_rows["annual_review_grade"] if "annual_review_grade" in org_rows else pd.Series(pd.NA, index=index)
    public_flag = public["unsatisfied_verified"] if "unsatisfied_verified" in public else pd.Series(pd.NA, index=index)
    # Facts the evaluator records on ``flag`` items (checklist.yaml): item_flag vetoes and grade caps read them.
    flags = {item.id: ch.item_flag_values(item, inputs.org, index) for item in rubric.checklist.flag_items}
    outcomes = {}
    for rule in rubric.veto_rules:
        if rule.type == "min_level":
            outcomes[rule.id] = veto.min_level(rule, grades, grade_col)
        elif rule.type == "min_share":
            outcomes[rule.id] = veto.min_share(rule, member)
        elif rule.type == "flag_absent":
            counted = None
            if rule.only_if_counted is not None:
                counted = (
                    public[rule.only_if_counted] if rule.only_if_counted in public else pd.Series(pd.NA, index=index)
                )
            outcomes[rule.id] = veto.flag_absent(rule, public_flag, counted)
        elif rule.type == "max_count":
            outcomes[rule.id] = veto.max_count(rule, social)
        elif rule.type == "item_flag":
            item = rubric.item(rule.item)
            outcomes[rule.id] = veto.item_flag(rule, item, flags[item.id])
    frames = [
        pd.DataFrame(
            {
                "branch_id": index.to_numpy(),
                "order": order,
                "rule_id": rule.id,
                "label": rule.label,
                **outcomes[rule.id],
                "source": rule.source,
            }
        )
        for order, rule in enumerate(rubric.veto_rules, start=1)
    ]
    columns = ("branch_id", "order", "rule_id", "label", "passed", "observed", "threshold", "explanation", "source")
    # A rubric using only some data (meta.yaml uses) may have no veto rule at all: no rows, same columns.
    vetoes = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(columns))
    # The rubric's veto rules: those of VETO_IDS it uses, in that order, then any item_flag rules.
    rule_ids = [rule.id for rule in rubric.veto_rules]
    fired = {rid: np.asarray((out["passed"] == False).fillna(False), dtype=bool) for rid, out in outcomes.items()}
    unknown = {rid: np.asarray(pd.isna(out["passed"]), dtype=bool) for rid, out in outcomes.items()}
    veto_ids = join_where([(fired[rid], rid) for rid in rule_ids], ";", n)
    clauses = {rid: _clauses(outcomes[rid]["explanation"], fired[rid] | unknown[rid]) for rid in rule_ids}
    veto_text = join_where([(fired[rid], clauses[rid]) for rid in rule_ids], "；", n)
    nothing = np.zeros(n, dtype=bool)
    any_fired = np.any([nothing, *(fired[rid] for rid in rule_ids)], axis=0)
    any_unknown = np.any([nothing, *(unknown[rid] for rid in rule_ids)], axis=0)
    unknown_text = join_where([(unknown[rid], clauses[rid]) for rid in rule_ids], "；", n)
    # 等次限制 ``item_flag`` conditions read the flags from here, keyed apart from the rule ids.
    fired.update({flag_key(item_id): values.fillna(False).to_numpy(dtype=bool) for item_id, values in flags.items()})
    return Fixed(
        year=year,
        index=index,
        names=branches["name"].to_numpy(dtype=object),
        items=items,
        channel_raw=channel_raw,
        missing=missing,
        activities=activities,
        activity_failed=activity_failed,
        activity_names=activity_names,
        structure=structure,
        structure_blocked=blocked_matrix.any(axis=1),
        structure_reasons=structure_reasons,
        vetoes=vetoes,
        veto_ids=veto_ids,
        veto_text=veto_text,
        fired=fired,
        any_fired=any_fired,
        any_unknown=any_unknown,
        unknown_text=unknown_text,
        applicable=applicable,
    )


def score_adjustable(rubric: Rubric, fixed: Fixed) -> Results:
    """What weights, bands and thresholds decide: org channel, composite, grade, stars, 达标, 五强,
    软弱涣散 and 最强资格, from a :class:`Fixed` computed under a rubric with the same fixed part."""
    n = fixed.n
    decimals = rubric.meta.decimals
    items = fixed.items
    bonus = ch.org_bonus(rubric, items) if rubric.bonus_items else np.zeros(n)
    raw = {"org": ch.org_score(rubric, items, bonus, fixed.applicable), **fixed.channel_raw}
    raw["composite"] = ch.composite(rubric, raw)
    units = {key: quantize(value, decimals) for key, value in raw.items()}
    scores = {key: value / 10**decimals for key, value in units.items()}
    complete = ~np.isnan(raw["composite"])
    grade, grade_cap_reasons = el.grades_with_caps(
        rubric, units["composite"], units, items, fixed.activity_failed, fixed.fired, decimals
    )

    is_standardized, standardized_reasons = el.standardized(
        rubric,
        units,
        items,
        fixed.activity_failed,
        fixed.structure_blocked,
        fixed.structure_reasons,
        decimals,
        fixed.applicable,
    )
    dimensions, strong, weak_dimensions = el.five_strong(rubric, items, decimals, fixed.applicable)
    is_weak, weak_reasons = el.weak(rubric, units, items, fixed.activity_failed, decimals)

    spec = rubric.eligibility.strongest
    strongest = fixed.vetoes_clear.copy()
    if spec.requires_standardized:
        strongest &= is_standardized
    if spec.requires_five_strong:
        strongest &= strong
    reasons = join_where(
        [
            (~complete, "评分未完成（还有指标没有评分）"),
            (spec.requires_standardized & ~is_standardized & complete, "未达标：" + standardized_reasons),
            (spec.requires_five_strong & ~strong & (weak_dimensions != ""), "五强未全部达到：" + weak_dimensions),
            (fixed.any_fired, "否决：" + fixed.veto_text),
            (fixed.any_unknown, "无法判断：" + fixed.unknown_text),
        ],
        "；",
        n,
    )
    vetoes_passed = "四项否决规则均通过" if len(rubric.veto_rules) == 4 else "各项否决规则均通过"
    if not rubric.veto_rules:
        vetoes_passed = "本评分标准没有否决规则"
    reasons = np.where(strongest, f"符合“最强党支部”评定条件（达标、五强全部达到、{vetoes_passed}）", reasons)

    result = pd.DataFrame(
        {
            "name": fixed.names,
            **{cid: scores[cid] for cid in ("org", "member", "public", "social")},
            "composite": scores["composite"],
            "grade": grade,
            "standardized": is_standardized,
            "stars": el.stars(rubric, units["composite"], is_standardized, decimals),
            "five_strong": strong,
            "strongest": strongest,
            "weak": is_weak,
            "status": np.where(complete, g.COMPLETE, g.INCOMPLETE),
            "missing": fixed.missing,
            "veto_ids": fixed.veto_ids,
            "veto_text": fixed.veto_text,
            "reasons": reasons,
            "standardized_reasons": standardized_reasons,
            "weak_reasons": weak_reasons,
            "activity_failures": fixed.activity_failed,
            "activity_failed_types": fixed.activity_names,
            "bonus": quantize(bonus, decimals) / 10**decimals,
            "grade_cap_reasons": grade_cap_reasons,
        },
        index=fixed.index,
    )
    return Results(
        rubric_version=rubric.version,
        year=fixed.year,
        branches=result,
        items=items,
        dimensions=dimensions,
        vetoes=fixed.vetoes,
        activities=fixed.activities,
        structure=fixed.structure,
        applicable=fixed.applicable,
    )
