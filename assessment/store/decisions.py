"""The recorded result a decision rests on: a branch's year as its evaluators submitted it.

A workflow move that names a result (``requires: [standardized]`` or ``[strongest_eligible]`` in
rubrics/workflow.yaml) reads it inside the move's own transaction, after the
branch row is locked, so the result it records is exactly the one the move was checked against
(:class:`RecordedResults`):

- the current (latest, not superseded) submitted revision of each evaluator, merged as channels.yaml's
  ``reconciliation`` says when there are several;
- scored with the rubric version those revisions were submitted with (never with a newer current
  version), with the branch's register entry, its current activity log and its uploaded 党员名册 (as the
  总览 scores it);
- summarised as a :class:`Basis`: revisions, rubric version, composite, 达标, 最强资格, fired vetoes.

The basis is stored with the move (``workflow_events.basis``) and shown in the history, the branch
report and the 总览.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import display
from ..inputs.frames import BRANCH_COLUMNS
from ..inputs.merge import reconcile
from ..inputs.payload import inputs_for
from ..rubric import Rubric
from .frames import branch_frame
from .records import current_activity_log, current_rosters
from .schema import SUBMITTED, activity_logs, branch_uploads, branches, evaluations

__all__ = ["Basis", "RecordedResults"]


@dataclass(frozen=True)
class Basis:
    """A branch's recorded result for a year, as a move found it.

    ``revisions``: (evaluator, revision number) of each current revision, in revision order;
    ``mixed_versions``: the evaluators submitted under different rubric versions (then no result is
    scored and nothing that requires one may rest on it).
    """

    revisions: tuple[tuple[str, int], ...]
    rubric_version: str
    composite: float | None
    grade: str
    standardized: bool
    strongest_eligible: bool
    vetoes: tuple[str, ...]  # labels of the veto rules that fired
    undecided: tuple[str, ...]  # labels of the veto rules that could not be judged
    reasons: str  # why not 达标 / not eligible (the scoring's own words), '' when both hold
    mixed_versions: tuple[str, ...] = ()

    def meets(self, requirement: str) -> bool:
        if self.mixed_versions:
            return False
        if requirement == "standardized":
            return self.standardized
        if requirement == "strongest_eligible":
            return self.strongest_eligible
        raise ValueError(requirement)

    def shortfall(self, requirement: str) -> str:
        """Why the result does not meet ``requirement``, in Chinese ('' when it does)."""
        if self.meets(requirement):
            return ""
        if self.mixed_versions:
            return (
                f"各考评人提交时所用的评分标准版本不同（{'、'.join(self.mixed_versions)}），不能合成一个结果；"
                "请按同一版本重新提交"
            )
        what = "未达标" if requirement == "standardized" or not self.standardized else "不符合“最强党支部”评定条件"
        reasons = self.reasons.removeprefix(f"{what}：")
        return f"考评结果{what}" + (f"（{reasons}）" if reasons else "") + f"；{self.summary()}"

    def shortfalls(self, requirements) -> str:
        """Why the result does not meet ``requirements`` (each reason once), '' when it meets them all."""
        return "；".join(dict.fromkeys(self.shortfall(need) for need in requirements if not self.meets(need)))

    def revisions_text(self) -> str:
        return "、".join(f"{evaluator}第{number}号修订" for evaluator, number in self.revisions)

    def summary(self) -> str:
        """One line for the history, the report and the 总览."""
        if self.mixed_versions:
            return f"依据 {self.revisions_text()}；评分标准版本不一致（{'、'.join(self.mixed_versions)}）"
        composite = display.number(self.composite)
        parts = [
            f"依据 {self.revisions_text()}",
            f"评分标准 {self.rubric_version}",
            f"综合得分 {composite}",
            "达标" if self.standardized else "未达标",
            "符合最强条件" if self.strongest_eligible else "不符合最强条件",
        ]
        if self.vetoes:
            parts.append("否决：" + "、".join(self.vetoes))
        if self.undecided:
            parts.append("无法判断：" + "、".join(self.undecided))
        return "；".join(parts)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("revisions", "vetoes", "undecided", "mixed_versions"):
            data[key] = [list(v) if isinstance(v, tuple) else v for v in data[key]]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Basis | None:
        if not data:
            return None
        return cls(
            revisions=tuple((str(e), int(n)) for e, n in data.get("revisions", [])),
            rubric_version=str(data.get("rubric_version", "")),
            composite=data.get("composite"),
            grade=str(data.get("grade", "")),
            standardized=bool(data.get("standardized")),
            strongest_eligible=bool(data.get("strongest_eligible")),
            vetoes=tuple(data.get("vetoes", ())),
            undecided=tuple(data.get("undecided", ())),
            reasons=str(data.get("reasons", "")),
            mixed_versions=tuple(data.get("mixed_versions", ())),
        )


class RecordedResults:
    """Recorded results, scored once per unchanged input.

    :meth:`within` reads, in the caller's transaction, what a branch's result is made of — the ids and
    rubric versions of its current revisions, its current activity log, its uploaded roster and its
    register entry — and
    scores it unless exactly those inputs were scored before (scoring is a pure function of them).
    :meth:`prepare` scores a whole year at once (one scoring run), so that a batch of moves (the demo,
    a street's whole list) does not score branch by branch. ``rubric_of(connection, version)`` gives a
    stored rubric version.
    """

    LIMIT = 20_000  # remembered results (a district's branches for a few years)

    def __init__(self, rubric_of: Callable[[Connection, str], Rubric]):
        self._rubric_of = rubric_of
        self._known: dict[tuple, Basis] = {}

    def within(self, connection: Connection, branch_id: str, year: int) -> Basis | None:
        return self._results(connection, year, [branch_id]).get(branch_id)

    def prepare(self, connection: Connection, year: int) -> None:
        self._results(connection, year, None)

    def _results(self, connection: Connection, year: int, branch_ids: list[str] | None) -> dict[str, Basis]:
        from ..scoring import score  # the scoring stack is loaded only when a move needs a result

        query = (
            sa.select(
                evaluations.c.id,
                evaluations.c.branch_id,
                evaluations.c.evaluator,
                evaluations.c.revision_no,
                evaluations.c.rubric_version,
            )
            .where(evaluations.c.year == year, evaluations.c.status == SUBMITTED)
            .order_by(evaluations.c.branch_id, evaluations.c.revision_no)
        )
        logs = sa.select(activity_logs.c.branch_id, sa.func.max(activity_logs.c.id).label("log_id")).where(
            activity_logs.c.year == year
        )
        rosters = sa.select(branch_uploads.c.branch_id, sa.func.max(branch_uploads.c.id).label("upload_id")).where(
            branch_uploads.c.year == year, branch_uploads.c.kind == "roster"
        )
        register = sa.select(*(branches.c[name] for name in BRANCH_COLUMNS))
        if branch_ids is not None:
            rosters = rosters.where(branch_uploads.c.branch_id.in_(branch_ids))
            query = query.where(evaluations.c.branch_id.in_(branch_ids))
            logs = logs.where(activity_logs.c.branch_id.in_(branch_ids))
            register = register.where(branches.c.branch_id.in_(branch_ids))
        current: dict[str, dict[str, Any]] = {}
        for row in connection.execute(query):
            current.setdefault(row.branch_id, {})[row.evaluator] = row  # the latest per evaluator
        log_ids = {row.branch_id: row.log_id for row in connection.execute(logs.group_by(activity_logs.c.branch_id))}
        roster_ids = {
            row.branch_id: row.upload_id for row in connection.execute(rosters.group_by(branch_uploads.c.branch_id))
        }
        rows = {row.branch_id: row._asdict() for row in connection.execute(register)}

        found: dict[str, Basis] = {}
        pending: dict[str, list[str]] = {}  # rubric version → branches to score
        keys: dict[str, tuple] = {}
        for branch_id, by_evaluator in current.items():
            if branch_id not in rows:
                continue
            ordered = sorted(by_evaluator.values(), key=lambda row: row.revision_no)
            revisions = tuple((row.evaluator, int(row.revision_no)) for row in ordered)
            versions = sorted({row.rubric_version for row in ordered})
            if len(versions) > 1:
                found[branch_id] = Basis(revisions, "", None, "", False, False, (), (), "", tuple(versions))
                continue
            key = (
                year,
                tuple((row.id, row.rubric_version) for row in ordered),
                log_ids.get(branch_id),
                roster_ids.get(branch_id),
                tuple(rows[branch_id].items()),
            )
            keys[branch_id] = key
            if key in self._known:
                found[branch_id] = self._known[key]
            else:
                pending.setdefault(versions[0], []).append(branch_id)
        for version, wanted in pending.items():
            rubric = self._rubric_of(connection, version)
            payloads = self._payloads(connection, {b: current[b] for b in wanted}, rubric)
            log = current_activity_log(connection, year, wanted)
            frame = branch_frame(rows[b] for b in sorted(wanted))
            inputs = inputs_for(frame, log, payloads, rubric)
            inputs.roster = current_rosters(connection, year, wanted)  # 谈心谈话 member by member, as the 总览
            results = score(rubric, inputs, year=year)
            for branch_id in wanted:
                basis = _basis(results, branch_id, current[branch_id], rubric)
                found[branch_id] = basis
                if len(self._known) >= self.LIMIT:
                    self._known.clear()
                self._known[keys[branch_id]] = basis
        return found

    @staticmethod
    def _payloads(connection: Connection, current: dict[str, dict[str, Any]], rubric: Rubric) -> dict[str, dict]:
        ids = [row.id for by_evaluator in current.values() for row in by_evaluator.values()]
        stored = dict(
            connection.execute(
                sa.select(evaluations.c.id, evaluations.c.payload).where(evaluations.c.id.in_(ids))
            ).all()
        )
        payloads: dict[str, dict] = {}
        for branch_id, by_evaluator in current.items():
            mine = {evaluator: stored[row.id] for evaluator, row in by_evaluator.items()}
            payloads[branch_id] = next(iter(mine.values())) if len(mine) == 1 else reconcile(mine, rubric)[0]
        return payloads


def _basis(results, branch_id: str, by_evaluator: dict[str, Any], rubric: Rubric) -> Basis:
    ordered = sorted(by_evaluator.values(), key=lambda row: row.revision_no)
    row = results.branches.loc[branch_id]
    vetoes = results.vetoes[results.vetoes["branch_id"] == branch_id]
    passed = vetoes["passed"]
    fired = tuple(vetoes.loc[(passed == False).fillna(False).astype(bool), "label"].astype(str))
    undecided = tuple(vetoes.loc[passed.isna().astype(bool), "label"].astype(str))
    composite = None if pd.isna(row["composite"]) else round(float(row["composite"]), rubric.meta.decimals)
    standardized, eligible = bool(row["standardized"]), bool(row["strongest"])
    return Basis(
        revisions=tuple((r.evaluator, int(r.revision_no)) for r in ordered),
        rubric_version=rubric.version,
        composite=composite,
        grade="" if pd.isna(row["grade"]) else str(row["grade"]),
        standardized=standardized,
        strongest_eligible=eligible,
        vetoes=fired,
        undecided=undecided,
        reasons="" if standardized and eligible else str(row["reasons"] or ""),
    )
