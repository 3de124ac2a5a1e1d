"""Before and after a rubric change: ranks, what changed for each branch, and the street's totals."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from .. import glossary as g
from ..rubric import Rubric, format_percent
from ..scoring import Results

__all__ = ["Totals", "compare", "rank", "street_totals"]


def rank(composite) -> np.ndarray:
    """Competition ranks by composite, highest first: ties share the best rank (1, 2, 2, 4);
    branches without a composite (未完成) all come last, after every complete branch."""
    values = np.asarray(composite, dtype="float64")
    known = ~np.isnan(values)
    descending = np.sort(-values[known])
    ranks = np.searchsorted(descending, -values, side="left") + 1
    ranks[~known] = int(known.sum()) + 1
    return ranks.astype(np.int64)


def _changed(before: pd.Series, after: pd.Series) -> np.ndarray:
    """Differs, with NA equal to NA and different from any value."""
    a_na = np.asarray(pd.isna(before))
    b_na = np.asarray(pd.isna(after))
    a = np.where(a_na, None, before.astype(object).to_numpy())
    b = np.where(b_na, None, after.astype(object).to_numpy())
    same = np.where(a_na | b_na, a_na & b_na, a == b)
    return ~same.astype(bool)


def compare(before: Results, after: Results) -> pd.DataFrame:
    """Per branch (indexed by ``branch_id``, in input order): composite, rank, grade, 达标, stars,
    最强资格 and 软弱涣散 before and after, the rank move (positive = moved up) and changed flags.

    ``changed`` is true when the grade, 达标, the stars or 最强资格 changed.
    """
    b, a = before.branches, after.branches.reindex(before.branches.index)
    rank_before, rank_after = rank(b["composite"]), rank(a["composite"])
    frame = pd.DataFrame(
        {
            "name": b["name"].to_numpy(dtype=object),
            "composite_before": b["composite"].to_numpy(dtype="float64"),
            "composite_after": a["composite"].to_numpy(dtype="float64"),
            "rank_before": rank_before,
            "rank_after": rank_after,
            "rank_move": rank_before - rank_after,
        },
        index=b.index,
    )
    flags = []
    for column in ("grade", "standardized", "stars", "strongest", "weak"):
        frame[f"{column}_before"] = b[column].to_numpy()
        frame[f"{column}_after"] = a[column].to_numpy()
        frame[f"{column}_changed"] = _changed(b[column], a[column])
        if column != "weak":
            flags.append(frame[f"{column}_changed"].to_numpy())
    frame["changed"] = np.any(flags, axis=0)
    return frame


@dataclass(frozen=True)
class Totals:
    """One street figure before and after, against the year's target (exact shares, base = all branches)."""

    key: str
    label: str
    before: int
    after: int
    total: int
    target: Fraction | None
    target_text: str
    cleared: bool = False  # target is 清零 (no branch), not a share

    @property
    def before_share(self) -> Fraction:
        return Fraction(self.before, self.total) if self.total else Fraction(0)

    @property
    def after_share(self) -> Fraction:
        return Fraction(self.after, self.total) if self.total else Fraction(0)

    def met(self, count: int) -> bool | None:
        if self.cleared:
            return count == 0
        if self.target is None or not self.total:
            return None
        return Fraction(count, self.total) >= self.target  # 以上: the target itself counts

    @property
    def met_before(self) -> bool | None:
        return self.met(self.before)

    @property
    def met_after(self) -> bool | None:
        return self.met(self.after)


def street_totals(before: Results, after: Results, rubric: Rubric) -> list[Totals]:
    """达标, 最强资格 and 软弱涣散 for the whole street, before and after, against ``rubric.targets``
    for the results' year. Shares are exact fractions of all branches (全街道)."""
    total = len(after.branches)
    target = next((t for t in rubric.targets.targets if t.year == after.year), None)
    rows = []
    std_target = target.standardized_share if target is not None else None
    rows.append(
        Totals(
            "standardized",
            "达标（标准化规范化）",
            int(before.branches["standardized"].sum()),
            int(after.branches["standardized"].sum()),
            total,
            std_target,
            f"{after.year}年目标 {format_percent(std_target)}以上" if std_target is not None else "本年度无目标",
        )
    )
    strong_target = target.strongest_share if target is not None else None
    if strong_target is not None:
        aim = "力争" if target.strongest_is_aim else ""
        basis = "达到“最强党支部”标准" if target.strongest_basis == "meets_standard" else "评定为“最强党支部”"
        text = f"{after.year}年目标{aim} {format_percent(strong_target)}以上{basis}"
        if target.strongest_basis == "designated":
            text += "（本页只能算出具备资格的支部，评定结果另计）"
    else:
        text = "本年度无目标"
    rows.append(
        Totals(
            "strongest",
            "具备“最强党支部”资格",
            int(before.branches["strongest"].sum()),
            int(after.branches["strongest"].sum()),
            total,
            strong_target,
            text,
        )
    )
    cleared = bool(target is not None and target.weak_cleared)
    rows.append(
        Totals(
            "weak",
            g.WEAK,
            int(before.branches["weak"].sum()),
            int(after.branches["weak"].sum()),
            total,
            None,
            f"{after.year}年目标：动态清零" if cleared else "本年度无目标",
            cleared=cleared,
        )
    )
    return rows
