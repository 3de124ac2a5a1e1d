"""What-if analysis of rubric settings for analysts (组织部/党建办).

- :class:`Baseline` / :func:`rescore` — score a street once; re-score it under another setting of
  the adjustable weights and thresholds in a few milliseconds per thousand branches, with results
  equal to :func:`assessment.scoring.score`;
- :func:`compare` / :func:`rank` / :func:`street_totals` — what a change does: ranks and moves,
  changed grades, 达标, stars and 最强资格, the street against the year's targets;
- :func:`sensitivity` — how much each branch's outcome hangs on the weights.
"""

from .baseline import Baseline, BaselineMismatch, fixed_part, rescore
from .compare import Totals, compare, rank, street_totals
from .sensitivity import perturbed_weights, sensitivity

__all__ = [
    "Baseline",
    "BaselineMismatch",
    "Totals",
    "compare",
    "fixed_part",
    "perturbed_weights",
    "rank",
    "rescore",
    "sensitivity",
    "street_totals",
]
