"""Score once, re-score fast: what an analyst's weight or threshold change can and cannot alter.

Checklist points, the member/public/social channel scores, the 组织生活 and 组织设置 checks, the
vetoes and the missing-data notes depend only on the inputs and on rubric parts an analyst cannot
change here. :class:`Baseline` keeps them (it runs :func:`~assessment.scoring.score` once and keeps
the unrounded channel scores); :func:`rescore` computes only what the adjustable settings move —
org channel, composite, grade, stars, 达标, 五强, 软弱涣散, 最强资格 — with the same
functions of :mod:`assessment.scoring`, so its results equal ``score(rubric, inputs, year=…)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import glossary as g
from ..inputs import Inputs
from ..rubric import VETO_IDS, Rubric
from ..scoring import Results, score
from ..scoring import channels as ch
from ..scoring import eligibility as el
from ..scoring.numbers import quantize
from ..scoring.text import join_where

__all__ = ["Baseline", "BaselineMismatch", "fixed_part", "rescore"]

STRONGEST_TEXT = "符合“最强党支部”评定条件（达标、五强全部达到、四项否决规则均通过）"


class BaselineMismatch(ValueError):
    """The rubric differs from the baseline's in a part that is not adjustable: score again."""


def fixed_part(rubric: Rubric) -> str:
    """The parts of a rubric a :class:`Baseline` depends on, as text to compare.

    Everything that turns inputs into points, channel scores, rule checks and vetoes; not the
    weights, bands, thresholds or labels an analyst may change.
    """
    parts = {
        "items": [i.model_dump(mode="json", exclude={"weight"}) for i in rubric.items],
        "channels": [c.model_dump(mode="json", exclude={"weight", "weight_choice"}) for c in rubric.channels.channels],
        "annual_review_grades": rubric.channels.annual_review_grades.levels,
        "veto_rules": [r.model_dump(mode="json") for r in rubric.veto_rules],
        "activities": rubric.activities.model_dump(mode="json"),
        "structure": rubric.structure.model_dump(mode="json"),
        "decimals": rubric.meta.decimals,
    }
    return json.dumps(parts, ensure_ascii=False, sort_keys=True)


def _clauses(texts: np.ndarray, rows: np.ndarray) -> np.ndarray:
    # Same as assessment.scoring._clauses: explanations without their final 。.
    out = np.full(len(texts), "", dtype=object)
    out[rows] = [text.rstrip("。") for text in texts[rows]]
    return out


@dataclass(frozen=True)
class Baseline:
    """The weight-independent part of scoring one street's inputs for one year.

    Build with :meth:`from_inputs`; ``results`` is the full scoring under the rubric it was built
    with. Arrays are aligned with ``index`` (the branches, in input order).
    """

    year: int
    key: str
    results: Results
    index: pd.Index
    names: np.ndarray
    items: pd.DataFrame
    channel_raw: dict[str, np.ndarray]  # member, public, social: unrounded, as scoring sums them
    missing: np.ndarray
    activity_failed: np.ndarray
    activity_names: np.ndarray
    structure_blocked: np.ndarray
    structure_reasons: np.ndarray
    veto_ids: np.ndarray
    veto_text: np.ndarray
    any_fired: np.ndarray
    any_unknown: np.ndarray
    unknown_text: np.ndarray

    @property
    def n(self) -> int:
        return len(self.index)

    @property
    def vetoes_clear(self) -> np.ndarray:
        """No veto fired and none could not be judged."""
        return ~self.any_fired & ~self.any_unknown

    @classmethod
    def from_inputs(cls, rubric: Rubric, inputs: Inputs, *, year: int) -> Baseline:
        results = score(rubric, inputs, year=year)
        index = results.branches.index
        n = len(index)
        member_score, _ = ch.member_score(rubric, inputs.member, index)
        public_score, _ = ch.public_score(rubric, inputs.public, index)
        social = ch.social_score(ch.social_counts(inputs.social, index))
        b = results.branches

        # Structure: the blocking failures per rule, as scoring finds them.
        structure = results.structure
        blocking = structure["blocking"].to_numpy() & (structure["passed"] == False).fillna(False).to_numpy()
        rules = rubric.structure.rules
        blocked_matrix = blocking.reshape(len(rules), n).T
        structure_reasons = join_where([(blocked_matrix[:, j], rule.label) for j, rule in enumerate(rules)], "、", n)

        # Vetoes: the long frame holds each rule's n rows in the fixed rule order.
        vetoes = results.vetoes
        passed = pd.array(vetoes["passed"], dtype="boolean")
        explanation = vetoes["explanation"].to_numpy(dtype=object)
        fired, unknown, clauses = {}, {}, {}
        for order, rule in enumerate(rubric.veto_rules):
            rows = slice(order * n, (order + 1) * n)
            fired[rule.id] = np.asarray((passed[rows] == False).fillna(False), dtype=bool)
            unknown[rule.id] = np.asarray(passed[rows].isna(), dtype=bool)
            clauses[rule.id] = _clauses(explanation[rows], fired[rule.id] | unknown[rule.id])
        return cls(
            year=year,
            key=fixed_part(rubric),
            results=results,
            index=index,
            names=b["name"].to_numpy(dtype=object),
            items=results.items,
            channel_raw={"member": member_score, "public": public_score, "social": social},
            missing=b["missing"].to_numpy(dtype=object),
            activity_failed=b["activity_failures"].to_numpy(),
            activity_names=b["activity_failed_types"].to_numpy(dtype=object),
            structure_blocked=blocked_matrix.any(axis=1),
            structure_reasons=structure_reasons,
            veto_ids=b["veto_ids"].to_numpy(dtype=object),
            veto_text=b["veto_text"].to_numpy(dtype=object),
            any_fired=np.any([fired[rid] for rid in VETO_IDS], axis=0),
            any_unknown=np.any([unknown[rid] for rid in VETO_IDS], axis=0),
            unknown_text=join_where([(unknown[rid], clauses[rid]) for rid in VETO_IDS], "；", n),
        )

    def check(self, rubric: Rubric) -> None:
        if fixed_part(rubric) != self.key:
            raise BaselineMismatch(
                "评分标准中不可调整的部分（指标计分、否决规则、组织生活或组织设置规则）已变化，需要重新评分"
            )


def rescore(baseline: Baseline, rubric: Rubric) -> Results:
    """:class:`Results` of ``rubric`` over the baseline's inputs, recomputing only what an analyst can move.

    Equal to ``score(rubric, inputs, year=baseline.year)`` for any rubric whose fixed part matches
    (raises :class:`BaselineMismatch` otherwise). The composition of 最强资格 and its reasons
    mirrors the tail of :func:`assessment.scoring.score` (see the lead's refactor note).
    """
    baseline.check(rubric)
    n = baseline.n
    decimals = rubric.meta.decimals
    items = baseline.items
    raw = {"org": ch.org_score(rubric, items), **baseline.channel_raw}
    raw["composite"] = ch.composite(rubric, raw)
    units = {key: quantize(value, decimals) for key, value in raw.items()}
    scores = {key: value / 10**decimals for key, value in units.items()}
    complete = ~np.isnan(raw["composite"])

    is_standardized, standardized_reasons = el.standardized(
        rubric,
        units,
        items,
        baseline.activity_failed,
        baseline.structure_blocked,
        baseline.structure_reasons,
        decimals,
    )
    # A 五强 dimension whose items all weigh 0 divides 0 by 0: scoring gives NaN (not strong); the
    # warning would reach a page as a red stream.
    with np.errstate(invalid="ignore", divide="ignore"):
        dimensions, strong, weak_dimensions = el.five_strong(rubric, items, decimals)
    is_weak, weak_reasons = el.weak(rubric, units, items, baseline.activity_failed, decimals)

    spec = rubric.eligibility.strongest
    strongest = baseline.vetoes_clear.copy()
    if spec.requires_standardized:
        strongest &= is_standardized
    if spec.requires_five_strong:
        strongest &= strong
    reasons = join_where(
        [
            (~complete, "评分未完成（缺项见“缺项”列）"),
            (spec.requires_standardized & ~is_standardized & complete, "未达标：" + standardized_reasons),
            (spec.requires_five_strong & ~strong & (weak_dimensions != ""), "五强未全部达到：" + weak_dimensions),
            (baseline.any_fired, "否决：" + baseline.veto_text),
            (baseline.any_unknown, "无法判断：" + baseline.unknown_text),
        ],
        "；",
        n,
    )
    reasons = np.where(strongest, STRONGEST_TEXT, reasons)

    branches = pd.DataFrame(
        {
            "name": baseline.names,
            **{cid: scores[cid] for cid in ("org", "member", "public", "social")},
            "composite": scores["composite"],
            "grade": el.grades(rubric, units["composite"], decimals),
            "standardized": is_standardized,
            "stars": el.stars(rubric, units["composite"], is_standardized, decimals),
            "five_strong": strong,
            "strongest": strongest,
            "weak": is_weak,
            "status": np.where(complete, g.COMPLETE, g.INCOMPLETE),
            "missing": baseline.missing,
            "veto_ids": baseline.veto_ids,
            "veto_text": baseline.veto_text,
            "reasons": reasons,
            "standardized_reasons": standardized_reasons,
            "weak_reasons": weak_reasons,
            "activity_failures": baseline.activity_failed,
            "activity_failed_types": baseline.activity_names,
        },
        index=baseline.index,
    )
    base = baseline.results
    return Results(
        rubric_version=rubric.version,
        year=baseline.year,
        branches=branches,
        items=items,
        dimensions=dimensions,
        vetoes=base.vetoes,
        activities=base.activities,
        structure=base.structure,
    )
