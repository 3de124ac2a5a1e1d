"""How much does a branch's outcome hang on the weights nobody can derive from the sources?

:func:`sensitivity` perturbs every adjustable weight (channel and checklist weights) by a random
factor in [1 − spread, 1 + spread], renormalises each group to sum to 1, and re-scores every branch
under every perturbation at once: matrices of branches × perturbations, in chunks of perturbations
(for memory and a progress callback), never a Python loop over perturbations. The arithmetic
follows :func:`assessment.scoring.channels.org_score`, :func:`~assessment.scoring.channels.composite`
and :func:`assessment.scoring.eligibility.five_strong` operation by operation, so at spread 0 every
perturbation reproduces :func:`~assessment.analysis.rescore` exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .. import glossary as g
from ..rubric import Rubric
from ..rubric.model import ScoreAtLeast
from ..scoring import channels as ch
from ..scoring import eligibility as el
from ..scoring.numbers import at_least, quantize, threshold_units
from .baseline import Baseline, rescore
from .compare import rank

__all__ = ["CELLS_PER_CHUNK", "perturbed_weights", "sensitivity"]

# Branches × perturbations per chunk: ~8 MB per float matrix.
CELLS_PER_CHUNK = 1_000_000


def perturbed_weights(weights: np.ndarray, adjustable: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Rows of ``weights`` × ``factors`` on the adjustable entries, rescaled so each row sums to 1
    (the fixed entries keep their value)."""
    out = np.broadcast_to(weights, factors.shape).copy()
    if not adjustable.any():
        return out
    fixed = weights[~adjustable].sum()
    moved = weights[adjustable] * factors[:, adjustable]
    total = moved.sum(axis=1, keepdims=True)
    out[:, adjustable] = moved * ((1.0 - fixed) / np.where(total > 0, total, 1.0))
    return out


def _fixed_standardized(baseline: Baseline, rubric: Rubric, units: dict[str, np.ndarray]) -> np.ndarray:
    """The 达标 conditions that no weight moves (key items, 组织生活, 组织设置, member/public/social
    score lines), each evaluated by :func:`assessment.scoring.eligibility.standardized` itself."""
    ok = np.ones(baseline.n, dtype=bool)
    spec = rubric.eligibility.standardized
    for cond in spec.conditions:
        if isinstance(cond, ScoreAtLeast) and cond.target in ("composite", "org"):
            continue
        alone = rubric.model_copy(
            update={
                "eligibility": rubric.eligibility.model_copy(
                    update={"standardized": spec.model_copy(update={"conditions": (cond,)})}
                )
            }
        )
        met, _ = el.standardized(
            alone,
            units,
            baseline.items,
            baseline.activity_failed,
            baseline.structure_blocked,
            baseline.structure_reasons,
            rubric.meta.decimals,
        )
        ok &= met
    return ok


def _ranks(units: np.ndarray) -> np.ndarray:
    """Competition ranks (see :func:`~assessment.analysis.compare.rank`) of every column at once,
    by counting: scores are whole units of 10**-decimals, so a histogram per column gives how many
    branches score higher."""
    n, p = units.shape
    valid = ~np.isnan(units)
    if not valid.any():
        return np.ones((n, p), dtype=np.int32)
    lo = np.nanmin(units)
    width = int(np.nanmax(units) - lo) + 1
    codes = np.where(valid, units - lo, width).astype(np.int64)
    flat = codes + np.arange(p, dtype=np.int64)[None, :] * (width + 1)
    counts = np.bincount(flat.ravel(), minlength=p * (width + 1)).reshape(p, width + 1)
    scored = counts[:, :width]
    higher = np.cumsum(scored[:, ::-1], axis=1)[:, ::-1] - scored  # branches strictly above each code
    higher = np.concatenate([higher, scored.sum(axis=1, keepdims=True)], axis=1)  # 未完成: after all scored
    return (higher[np.arange(p)[None, :], codes] + 1).astype(np.int32)


def sensitivity(
    baseline: Baseline,
    rubric: Rubric,
    *,
    spread: float,
    n: int,
    seed: int,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Per branch, under ``n`` random perturbations of the adjustable weights of ``rubric``:

    ``standardized_share`` / ``strongest_share`` / ``grade_kept_share`` — the share of perturbations
    in which it is 达标 / 具备最强资格 / keeps its current grade; ``rank_min``, ``rank_max``,
    ``rank_p05``, ``rank_p95`` — its rank interval; ``hangs`` — 达标 or 最强资格 differs between
    perturbations (the outcome hangs on the weights), ``hangs_on`` says which. Also the current
    outcome (``composite``, ``rank``, ``grade``, ``standardized``, ``strongest``).

    The same ``seed`` gives the same table. ``progress(done, n)`` is called after each chunk.
    """
    if not 0 <= spread < 1:
        raise ValueError("spread 应在 0（含）到 1（不含）之间")
    if n < 1:
        raise ValueError("n 应至少为 1")
    baseline.check(rubric)
    decimals = rubric.meta.decimals
    current = rescore(baseline, rubric)
    nb = baseline.n

    channels = rubric.channels.channels
    items = rubric.base_items  # bonus items carry no weight: their 加分 is the same under every perturbation
    channel_w = np.array([float(c.weight) for c in channels])
    item_w = np.array([float(i.weight) for i in items])
    rng = np.random.default_rng(seed)
    channel_f = rng.uniform(1 - spread, 1 + spread, size=(n, len(channels)))
    item_f = rng.uniform(1 - spread, 1 + spread, size=(n, len(items)))
    if spread == 0:  # exactly the rubric's weights, not a renormalised copy that may differ in the last bit
        channel_pw = np.broadcast_to(channel_w, (n, len(channels)))
        item_pw = np.broadcast_to(item_w, (n, len(items)))
    else:
        channel_pw = perturbed_weights(channel_w, np.array([c.weight_choice for c in channels]), channel_f)
        item_pw = perturbed_weights(item_w, np.ones(len(items), dtype=bool), item_f)

    points = {i.id: baseline.items[i.id].to_numpy(dtype="float64") for i in items}
    applicable = baseline.applicable
    not_applicable = {
        i.id: ~applicable[i.id].to_numpy(dtype=bool)
        for i in items
        if i.applies_to and applicable is not None and not applicable[i.id].all()
    }
    fixed_scores = baseline.channel_raw
    bonus = ch.org_bonus(rubric, baseline.items) if rubric.bonus_items else None
    total_cap = rubric.checklist.bonus.total_cap
    current_units = {
        "org": quantize(ch.org_score(rubric, baseline.items, bonus, baseline.applicable), decimals),
        **{k: quantize(v, decimals) for k, v in fixed_scores.items()},
    }
    current_units["composite"] = quantize(
        ch.composite(rubric, {"org": ch.org_score(rubric, baseline.items, bonus, baseline.applicable), **fixed_scores}),
        decimals,
    )
    fixed_ok = _fixed_standardized(baseline, rubric, current_units)
    moving_conditions = [
        c
        for c in rubric.eligibility.standardized.conditions
        if isinstance(c, ScoreAtLeast) and c.target in ("composite", "org")
    ]
    grade_bands = rubric.eligibility.grades.bands

    def grade_index(units: dict[str, np.ndarray]) -> np.ndarray:
        """The grade band after the 等次限制 rules, as scoring decides it (see eligibility.grades_with_caps)."""
        index = el.band_index(units["composite"], grade_bands, decimals)
        hits = el.grade_cap_hits(rubric, units, baseline.items, baseline.activity_failed, baseline.fired, decimals)
        return el.capped_band_index(rubric, index, hits)[0]

    current_grade = grade_index(current_units)
    five = rubric.checklist.five_strong
    five_threshold = threshold_units(five.threshold * 100, decimals)
    dims = [(d.id, [j for j, i in enumerate(items) if i.strength == d.id]) for d in five.dimensions]
    spec = rubric.eligibility.strongest
    clear = baseline.vetoes_clear

    standardized_count = np.zeros(nb, dtype=np.int64)
    strongest_count = np.zeros(nb, dtype=np.int64)
    grade_kept = np.zeros(nb, dtype=np.int64)
    ranks = np.empty((nb, n), dtype=np.int32)
    chunk = max(1, min(n, CELLS_PER_CHUNK // max(nb, 1)))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        wi = item_pw[start:stop]
        wc = channel_pw[start:stop]
        # org_score and five_strong, term by term in the rubric's order (see module docstring)
        org = np.zeros((nb, stop - start))
        by_dim: dict[str, np.ndarray] = {}
        left_out = np.zeros((nb, stop - start))  # weight of the items that do not apply (applies_to)
        dim_left_out: dict[str, np.ndarray] = {}
        for j, item in enumerate(items):
            term = wi[:, j][None, :] * points[item.id][:, None] / float(item.max)
            if item.id in not_applicable:
                off = not_applicable[item.id][:, None]
                term = np.where(off, 0.0, term)
                left_out = left_out + off * wi[:, j][None, :]
                dim_left_out[item.strength] = dim_left_out.get(item.strength, 0) + off * wi[:, j][None, :]
            org = org + term
            by_dim[item.strength] = by_dim.get(item.strength, 0) + term
        if not_applicable:
            everything = wi.sum(axis=1)[None, :]
            org = np.where(left_out > 0, org * (everything / (everything - left_out)), org)
        org = org * 100.0
        if bonus is not None:
            org = org + bonus[:, None]
            if total_cap is not None:
                org = np.minimum(org, float(total_cap))
        composite = np.zeros((nb, stop - start))
        for c, channel in enumerate(channels):
            score = org if channel.id == "org" else fixed_scores[channel.id][:, None]
            composite = composite + wc[:, c][None, :] * score
        units = quantize(composite, decimals)
        org_units = quantize(org, decimals)

        standardized = np.broadcast_to(fixed_ok[:, None], units.shape).copy()
        for cond in moving_conditions:
            target = units if cond.target == "composite" else org_units
            standardized &= at_least(target, threshold_units(cond.threshold, decimals), cond.inclusive)
        strong = np.ones(units.shape, dtype=bool)
        known = np.ones(units.shape, dtype=bool)
        for dim_id, members in dims:
            total_weight = 0
            for j in members:
                total_weight = total_weight + wi[:, j]
            total_weight = total_weight[None, :] - dim_left_out.get(dim_id, 0)
            with np.errstate(invalid="ignore", divide="ignore"):  # a dimension weighing 0: NaN, as in scoring
                share_units = quantize(
                    by_dim[dim_id] / np.where(total_weight > 0, total_weight, np.nan) * 100, decimals
                )
            known &= ~np.isnan(share_units)
            strong &= share_units >= five_threshold
        strong &= known
        strongest = np.broadcast_to(clear[:, None], units.shape).copy()
        if spec.requires_standardized:
            strongest &= standardized
        if spec.requires_five_strong:
            strongest &= strong

        standardized_count += standardized.sum(axis=1)
        strongest_count += strongest.sum(axis=1)
        moving = {**{k: v[:, None] for k, v in current_units.items()}, "composite": units, "org": org_units}
        grade_kept += (grade_index(moving) == current_grade[:, None]).sum(axis=1)
        ranks[:, start:stop] = _ranks(units)
        if progress is not None:
            progress(stop, n)

    low_k = max(0, int(np.ceil(0.05 * n)) - 1)  # inverted-CDF percentiles: ranks that occurred
    high_k = max(0, int(np.ceil(0.95 * n)) - 1)
    parted = np.partition(ranks, sorted({0, low_k, high_k, n - 1}), axis=1)
    standardized_share = standardized_count / n
    strongest_share = strongest_count / n
    flips_standardized = (standardized_count > 0) & (standardized_count < n)
    flips_strongest = (strongest_count > 0) & (strongest_count < n)
    hangs_on = np.where(
        flips_standardized & flips_strongest,
        "达标、最强资格",
        np.where(flips_standardized, g.STANDARDIZED, np.where(flips_strongest, g.STRONGEST, "")),
    ).astype(object)
    b = current.branches
    frame = pd.DataFrame(
        {
            "name": baseline.names,
            "composite": b["composite"].to_numpy(dtype="float64"),
            "rank": rank(b["composite"]),
            "grade": b["grade"].to_numpy(dtype=object),
            "standardized": b["standardized"].to_numpy(dtype=bool),
            "strongest": b["strongest"].to_numpy(dtype=bool),
            "standardized_share": standardized_share,
            "strongest_share": strongest_share,
            "grade_kept_share": grade_kept / n,
            "rank_min": parted[:, 0].astype(np.int64),
            "rank_max": parted[:, n - 1].astype(np.int64),
            "rank_p05": parted[:, low_k].astype(np.int64),
            "rank_p95": parted[:, high_k].astype(np.int64),
            "hangs": flips_standardized | flips_strongest,
            "hangs_on": hangs_on,
        },
        index=baseline.index,
    )
    frame.attrs.update(spread=spread, n=n, seed=seed)
    return frame
