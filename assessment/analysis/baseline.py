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
from dataclasses import dataclass, fields

from ..inputs.frames import Inputs
from ..rubric import Rubric
from ..scoring import Fixed, Results, score_adjustable, score_fixed

__all__ = ["Baseline", "BaselineMismatch", "fixed_part", "rescore"]


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
        # What the rubric collects and checks (meta.yaml uses) decides which of the above are evaluated.
        "uses": rubric.uses.model_dump(mode="json", exclude={"source"}),
    }
    return json.dumps(parts, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Baseline(Fixed):
    """The weight-independent part of scoring one street's inputs for one year, with its key.

    Build with :meth:`from_inputs`; ``results`` is the full scoring under the rubric it was built
    with. Arrays are aligned with ``index`` (the branches, in input order).
    """

    key: str
    results: Results

    @classmethod
    def from_inputs(cls, rubric: Rubric, inputs: Inputs, *, year: int) -> Baseline:
        fixed = score_fixed(rubric, inputs, year=year)
        parts = {f.name: getattr(fixed, f.name) for f in fields(Fixed)}
        return cls(**parts, key=fixed_part(rubric), results=score_adjustable(rubric, fixed))

    def check(self, rubric: Rubric) -> None:
        if fixed_part(rubric) != self.key:
            raise BaselineMismatch(
                "评分标准中不可调整的部分（指标计分、否决规则、组织生活或组织设置规则）已变化，需要重新评分"
            )


def rescore(baseline: Baseline, rubric: Rubric) -> Results:
    """:class:`Results` of ``rubric`` over the baseline's inputs, recomputing only what an analyst can move.

    Equal to ``score(rubric, inputs, year=baseline.year)`` for any rubric whose fixed part matches
    (raises :class:`BaselineMismatch` otherwise).
    """
    baseline.check(rubric)
    return score_adjustable(rubric, baseline)
