"""Results as they were decided: each branch scored with the rubric version stored with its submissions.

Saving a new rubric version and making it current changes what the pages score *new* evaluations with;
it does not change a result already decided. A year's results are therefore read back with the version
each branch's current submissions name (:meth:`Records.decided_inputs
<assessment.store.records.Records.decided_inputs>`), so that 2023 shows the composite, 达标 and
version it was decided with. Scoring old submissions with another version is a what-if (the 权重 page,
``--rubric`` on the command line, both labelled) or a stored, audited re-scoring (``assessment rescore``).

.. code-block:: python

    year = decided_year(store, 2023)            # every branch of 2023, as decided
    year.results.branches.loc["JD005", "composite"]
    year.version_of("JD005")                    # "2025.1"
    year.rubric_of("JD005")                     # that version's Rubric (parsed once per version)
    year.versions_text()                        # "2025.1" or "2025.1、2025.2（各支部按评定时的版本）"
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..inputs.frames import Inputs
from ..rubric import Rubric
from ..scoring import Results, score

if TYPE_CHECKING:
    from ..store import Store

__all__ = ["VERSION_COLUMN", "DecidedYear", "combine_results", "decided_year", "version_note", "what_if_year"]

# The per-branch column a combined result carries: the rubric version the branch was scored with.
VERSION_COLUMN = "rubric_version"
PER_BRANCH = "各支部按评定时的版本"
WHAT_IF = "假设评分"


@dataclass(frozen=True)
class DecidedYear:
    """One year's results, each branch scored with the version its result was decided with.

    ``results.branches`` has a ``rubric_version`` column; ``results.rubric_version`` is the year's main
    version (the one most branches were decided with). ``what_if``: everything was instead scored with
    ``main`` on purpose (not a decided result; nothing stored).
    """

    year: int
    results: Results
    branches: pd.DataFrame  # the branches as Inputs.branches, results order
    rubrics: dict[str, Rubric]  # version → rubric, the main one first
    disagreements: dict[str, list] = field(default_factory=dict)
    mixed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # branch → its evaluators' versions
    substituted: dict[str, str] = field(default_factory=dict)  # branch → decided version not available
    what_if: bool = False
    # The 组织评定 input rows the results were scored from (Inputs.org of every part): what was entered,
    # for the 计算过程 of the 明细 sheet.
    org: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def main(self) -> Rubric:
        return next(iter(self.rubrics.values()))

    @property
    def versions(self) -> pd.Series:
        """branch_id → the version each branch was scored with (results order)."""
        return self.results.branches[VERSION_COLUMN]

    def version_of(self, branch_id: str) -> str:
        return str(self.versions.get(branch_id, self.main.version))

    def rubric_of(self, branch_id: str) -> Rubric:
        return self.rubrics.get(self.version_of(branch_id), self.main)

    @property
    def version_list(self) -> list[str]:
        """The versions used this year, the main one first."""
        used = set(self.versions)
        return [v for v in self.rubrics if v in used] or [self.main.version]

    @property
    def differs(self) -> bool:
        return len(self.version_list) > 1

    def version_note(self, branch_id: str, current: str) -> str:
        """The version ``branch_id``'s result was scored with, as a report names it (``current``: the
        version current now)."""
        return version_note(
            self.version_of(branch_id), current, what_if=self.what_if, decided=self.substituted.get(branch_id)
        )

    def versions_text(self) -> str:
        """The year's version(s) as a reader sees them."""
        if self.what_if:
            return f"{self.main.version}（{WHAT_IF}）"
        listed = self.version_list
        return listed[0] if len(listed) == 1 else "、".join(listed) + f"（{PER_BRANCH}）"


def version_note(version: str, current: str, *, what_if: bool = False, decided: str | None = None) -> str:
    """A result's rubric ``version`` as a reader is told it: the version it was decided with (and the
    current one, where that is another), a what-if's, or the one shown for a ``decided`` version that
    is not in the database."""
    if what_if:
        return f"{version}（{WHAT_IF}，不是评定结果）"
    if decided is not None:
        return f"{version}（评定时的版本 {decided} 没有保存在数据库中，按此版本显示）"
    if version == current:
        return version
    return f"{version}（评定时的版本；当前版本为 {current}，结果不随当前版本改变）"


def _positions(ids, order: pd.Index) -> np.ndarray:
    return pd.Categorical(ids, categories=order).codes


def combine_results(parts: list[Results], order: pd.Index, main_version: str) -> Results:
    """Results scored in parts (one per rubric version) as one, branches in ``order``; each branch
    row names its part's version (``rubric_version``). Item columns are the union of the parts'."""
    if len(parts) == 1:
        only = parts[0]
        branches = only.branches.reindex(order).assign(**{VERSION_COLUMN: only.rubric_version})
        return dataclasses.replace(only, branches=branches, items=only.items.reindex(order))
    changes = {}
    branches = pd.concat(
        [part.branches.assign(**{VERSION_COLUMN: part.rubric_version}) for part in parts], sort=False
    ).reindex(order)
    changes["branches"] = branches
    for name in ("items", "dimensions"):
        changes[name] = pd.concat([getattr(part, name) for part in parts], sort=False).reindex(order)
    for name in ("vetoes", "activities", "structure"):
        frame = pd.concat([getattr(part, name) for part in parts], ignore_index=True, sort=False)
        ranks = np.argsort(_positions(frame["branch_id"], order), kind="stable")
        changes[name] = frame.iloc[ranks].reset_index(drop=True)
    return Results(rubric_version=main_version, year=parts[0].year, **changes)


def _branches(parts_inputs: list[Inputs]) -> pd.DataFrame:
    frame = pd.concat([inputs.branches for inputs in parts_inputs], ignore_index=True, sort=False)
    return frame.sort_values("branch_id", kind="stable").reset_index(drop=True)


def decided_year(store: Store, year: int, branch_ids: list[str] | None = None) -> DecidedYear:
    """``year`` as decided: the branches (all, or those named) grouped by the version stored with their
    current submissions, each group scored with its version, put together in branch order."""
    parts = store.records.decided_inputs(year, branch_ids)
    branches = _branches([part.inputs for part in parts])
    order = pd.Index(branches["branch_id"].astype(str).to_numpy(dtype=object), name="branch_id")
    scored = [score(part.rubric, part.inputs, year=year) for part in parts]
    disagreements: dict[str, list] = {}
    mixed: dict[str, tuple[str, ...]] = {}
    substituted: dict[str, str] = {}
    for part in parts:
        disagreements.update(part.disagreements)
        mixed.update(part.mixed)
        substituted.update(part.substituted)
    return DecidedYear(
        year,
        combine_results(scored, order, parts[0].version),
        branches,
        {part.version: part.rubric for part in parts},
        disagreements,
        mixed,
        substituted,
        org=pd.concat([part.inputs.org for part in parts], ignore_index=True, sort=False),
    )


def what_if_year(store: Store, year: int, rubric: Rubric, branch_ids: list[str] | None = None) -> DecidedYear:
    """What-if: every current submission of ``year`` scored with ``rubric``, whatever version decided
    it — labelled :data:`WHAT_IF` wherever it is shown, never stored."""
    inputs, disagreements = store.records.current_inputs(year, rubric)
    if branch_ids is not None:
        wanted = {str(b) for b in branch_ids}
        inputs = Inputs(
            **{
                name: frame[frame["branch_id"].astype(str).isin(wanted).to_numpy()].reset_index(drop=True)
                if len(frame)
                else frame
                for name, frame in inputs.frames().items()
            }
        )
    results = score(rubric, inputs, year=year)
    order = results.branches.index
    return DecidedYear(
        year,
        combine_results([results], order, rubric.version),
        inputs.branches.reset_index(drop=True),
        {rubric.version: rubric},
        disagreements,
        what_if=True,
        org=inputs.org,
    )
