"""A branch's own self-assessment: its draft and submitted forms, and the 活动记录 and 党员名册 it uploaded.

A part of the :class:`~assessment.store.Store`, ``store.self_assessments`` (:class:`SelfAssessments`).
Evaluators and reports read it by branch:

.. code-block:: python

    store.self_assessments.current("JD001", 2025)               # the submitted one, or None
    store.self_assessments.current("JD001", 2025, draft=True)   # the draft the branch is typing
    store.self_assessments.uploaded("JD001", 2025, "roster")    # its latest 党员名册, as a frame, or None
    store.self_assessments.branch_log("JD001", 2025)            # the street's log, the branch's uploads applied
    store.self_assessments.uploads("JD001", 2025)               # the upload history (who, when, file, counts)

How an upload is applied (merged by date and type, or replacing the whole log) is :mod:`.uploads`.

The branch itself writes only through its :class:`~assessment.store.BranchSession` (made from an access
code), which calls the ``…_within`` methods inside its own guarded transactions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..inputs.frames import ACTIVITY_COLUMNS
from ..inputs.payload import check_payload
from .checks import json_copy
from .database import Database, now
from .frames import activity_frame, roster_frame, rows_json
from .model import ANY_VERSION, AnyVersion, DraftConflict, StoreError, new_draft_version
from .records import current_activity_log
from .rubric_versions import RubricVersions
from .schema import branch_uploads, self_assessments
from .uploads import MERGE, REPLACE, Displaced, UploadPlan, fold_activities, plan_activities, plan_roster

__all__ = ["UPLOAD_KINDS", "BranchLog", "SelfAssessment", "SelfAssessments", "UploadRecord"]

UPLOAD_KINDS = ("activities", "roster")
COUNT_NAMES = ("added", "replaced", "unchanged", "kept", "removed")


@dataclass(frozen=True)
class SelfAssessment:
    branch_id: str
    year: int
    status: str  # draft / submitted
    payload: dict[str, Any] = field(repr=False, compare=False)
    rubric_version: str
    updated_at: dt.datetime
    actor: str
    version: str = ""  # a draft's: changes at every save (see Records.save_draft)


@dataclass(frozen=True)
class UploadRecord:
    """One upload of the branch's history: when, by whom (the access code), which file, how it was
    applied (merge / replace) and what it did (``counts``: added, replaced, unchanged, kept, removed;
    None for uploads stored before migration 0008)."""

    id: int
    kind: str
    at: dt.datetime
    actor: str
    source: str
    mode: str
    counts: dict[str, int | None]
    rows: list[dict] = field(repr=False, compare=False)


@dataclass(frozen=True)
class BranchLog:
    """A branch's activity log as its uploads made it: ``street`` (the street's stored log, a frame),
    ``rows`` (the branch's log; each row's ``origin`` is the id of the upload it came from, None for the
    street's), ``displaced`` (the street's records the uploads replaced or removed), ``uploads``."""

    street: pd.DataFrame
    rows: list[dict] = field(repr=False)
    displaced: list[Displaced]
    uploads: list[UploadRecord]

    @property
    def frame(self) -> pd.DataFrame:
        """The branch's log as ``Inputs.activities``."""
        return activity_frame(self.rows)

    @property
    def uploaded_count(self) -> int:
        """Records of the branch's log that came from its uploads."""
        return sum(1 for row in self.rows if row["origin"] is not None)


def upload_frame(kind: str, rows: list[dict]) -> pd.DataFrame:
    """Stored upload rows as the frame the workbook reader gives for ``kind``."""
    return activity_frame(rows) if kind == "activities" else roster_frame(rows)


class SelfAssessments:
    """The branches' self-assessments and uploads in one database, checked with the store's rubric."""

    def __init__(self, db: Database, rubrics: RubricVersions):
        self._db = db
        self._rubrics = rubrics

    # ------------------------------------------------------------------ self-assessments
    def current_within(
        self, connection: Connection, branch_id: str, year: int, *, draft: bool = False
    ) -> SelfAssessment | None:
        status = "draft" if draft else "submitted"
        row = connection.execute(
            sa.select(self_assessments).where(
                self_assessments.c.branch_id == branch_id,
                self_assessments.c.year == year,
                self_assessments.c.status == status,
            )
        ).first()
        if row is None:
            return None
        return SelfAssessment(
            row.branch_id,
            row.year,
            row.status,
            row.payload,
            row.rubric_version,
            row.updated_at,
            row.actor,
            version=row.version,
        )

    def current(self, branch_id: str, year: int, *, draft: bool = False) -> SelfAssessment | None:
        """The branch's current submitted self-assessment (or its draft), for evaluators and reports."""
        return self._db.read(lambda connection: self.current_within(connection, branch_id, year, draft=draft))

    def submitted_within(self, connection: Connection, branch_id: str, year: int) -> bool:
        """Whether the branch has submitted its self-assessment for ``year`` (a move may require it)."""
        return (
            connection.execute(
                sa.select(self_assessments.c.id).where(
                    self_assessments.c.branch_id == branch_id,
                    self_assessments.c.year == year,
                    self_assessments.c.status == "submitted",
                )
            ).first()
            is not None
        )

    def save_within(
        self,
        connection: Connection,
        branch_id: str,
        year: int,
        payload: dict,
        actor: str,
        *,
        submit: bool,
        expected: str | None | AnyVersion = ANY_VERSION,
    ) -> SelfAssessment:
        """Keep the branch's draft (anything typed), or submit it (checked like an evaluator's form:
        refused with the problems; the earlier submission becomes superseded), in the caller's write
        (which holds the branch). ``expected``: the draft version the caller last saw (None: none); a
        draft saved since by another window is not overwritten (:class:`DraftConflict`)."""
        if not isinstance(expected, AnyVersion):
            current = self.current_within(connection, branch_id, year, draft=True)
            if (current.version if current is not None else None) != expected:
                raise DraftConflict(current)
        payload = json_copy(payload, "自评内容")
        token = "" if submit else new_draft_version()
        rubric = self._rubrics.rubric
        at = now()
        c = self_assessments.c
        mine = (c.branch_id == branch_id, c.year == year)
        if submit:
            problems = check_payload(payload, rubric)
            if problems:
                raise StoreError(
                    f"自评内容有 {len(problems)} 处问题，未提交：\n" + "\n".join(f"  {problem}" for problem in problems)
                )
            self._rubrics.check_stored(connection, rubric, at)
            connection.execute(
                self_assessments.update().where(*mine, c.status == "submitted").values(status="superseded")
            )
            connection.execute(self_assessments.delete().where(*mine, c.status == "draft"))
            status = "submitted"
            connection.execute(
                self_assessments.insert().values(
                    branch_id=branch_id,
                    year=year,
                    status=status,
                    payload=payload,
                    rubric_version=rubric.version,
                    updated_at=at,
                    actor=actor,
                )
            )
            Database.audit(
                connection,
                "self_submit",
                actor,
                at,
                branch_id=branch_id,
                year=year,
                detail={"rubric_version": rubric.version},
            )
        else:
            status = "draft"
            updated = connection.execute(
                self_assessments.update()
                .where(*mine, c.status == "draft")
                .values(payload=payload, rubric_version=rubric.version, updated_at=at, actor=actor, version=token)
            ).rowcount
            if not updated:
                connection.execute(
                    self_assessments.insert().values(
                        branch_id=branch_id,
                        year=year,
                        status=status,
                        payload=payload,
                        rubric_version=rubric.version,
                        updated_at=at,
                        actor=actor,
                        version=token,
                    )
                )
        return SelfAssessment(branch_id, year, status, payload, rubric.version, at, actor, version=token)

    # ------------------------------------------------------------------ uploads
    def uploads_within(
        self, connection: Connection, branch_id: str, year: int, kind: str | None = None
    ) -> list[UploadRecord]:
        u = branch_uploads.c
        query = sa.select(branch_uploads).where(u.branch_id == branch_id, u.year == year).order_by(u.id)
        if kind is not None:
            if kind not in UPLOAD_KINDS:
                raise ValueError(kind)
            query = query.where(u.kind == kind)
        return [
            UploadRecord(
                row.id,
                row.kind,
                row.at,
                row.actor,
                row.source,
                row.mode,
                {name: getattr(row, name) for name in COUNT_NAMES},
                row.rows,
            )
            for row in connection.execute(query)
        ]

    def uploads(self, branch_id: str, year: int, kind: str | None = None) -> list[UploadRecord]:
        """The branch's upload history of ``year`` (of ``kind``, or both), oldest first."""
        return self._db.read(lambda connection: self.uploads_within(connection, branch_id, year, kind))

    def branch_log_within(self, connection: Connection, branch_id: str, year: int) -> BranchLog:
        street = current_activity_log(connection, year, [branch_id])
        street_rows = rows_json(street, ACTIVITY_COLUMNS)
        uploads = self.uploads_within(connection, branch_id, year, "activities")
        rows, displaced = fold_activities(street_rows, [(u.mode, u.rows, u.id) for u in uploads])
        return BranchLog(street, rows, displaced, uploads)

    def branch_log(self, branch_id: str, year: int) -> BranchLog:
        """The street's log of the branch, the branch's uploads applied to it, and what they displaced
        (the 考评 page shows them side by side)."""
        return self._db.read(lambda connection: self.branch_log_within(connection, branch_id, year))

    def with_uploads(self, year: int, kind: str = "activities") -> set[str]:
        """The branches that uploaded ``kind`` for ``year`` (the 总览 names them)."""
        u = branch_uploads.c
        query = sa.select(u.branch_id).where(u.year == year, u.kind == kind).distinct()
        return self._db.read(lambda connection: {str(b) for b in connection.execute(query).scalars()})

    def uploaded_within(self, connection: Connection, branch_id: str, year: int, kind: str) -> pd.DataFrame | None:
        if kind not in UPLOAD_KINDS:
            raise ValueError(kind)
        if kind == "activities":
            log = self.branch_log_within(connection, branch_id, year)
            return log.frame if log.uploads else None
        uploads = self.uploads_within(connection, branch_id, year, kind)
        return upload_frame(kind, uploads[-1].rows) if uploads else None

    def uploaded(self, branch_id: str, year: int, kind: str) -> pd.DataFrame | None:
        """The branch's 党员名册 as it last uploaded it, or its activity log with its uploads applied;
        None when it uploaded nothing of ``kind``."""
        return self._db.read(lambda connection: self.uploaded_within(connection, branch_id, year, kind))

    def plan_within(
        self, connection: Connection, branch_id: str, year: int, kind: str, rows: list[dict], *, source: str, mode: str
    ) -> UploadPlan:
        """What storing ``rows`` would do to the branch's log or roster now (nothing is written)."""
        if kind == "activities":
            log = self.branch_log_within(connection, branch_id, year).rows
            return plan_activities(log, rows, mode=mode, source=source)
        if kind != "roster":
            raise ValueError(kind)
        if mode != REPLACE:
            raise StoreError("党员名册只能整表替换（名册列出的是现有党员）")
        uploads = self.uploads_within(connection, branch_id, year, "roster")
        return plan_roster(uploads[-1].rows if uploads else [], rows, source=source)

    def add_upload_within(
        self,
        connection: Connection,
        branch_id: str,
        year: int,
        kind: str,
        rows: list[dict],
        *,
        actor: str,
        source: str,
        mode: str = MERGE,
    ) -> UploadPlan:
        """Store checked upload rows (JSON-able, :func:`~assessment.store.frames.rows_json`) in the caller's
        write, applied by ``mode`` (an activity log: merge or replace; a roster: replace), with what they did."""
        if kind not in UPLOAD_KINDS:
            raise ValueError(kind)
        if kind == "roster" and mode == MERGE:
            mode = REPLACE
        plan = self.plan_within(connection, branch_id, year, kind, rows, source=source, mode=mode)
        at = now()
        counts = plan.counts
        connection.execute(
            branch_uploads.insert().values(
                branch_id=branch_id,
                year=year,
                kind=kind,
                at=at,
                actor=actor,
                source=source,
                rows=rows,
                mode=mode,
                **counts,
            )
        )
        Database.audit(
            connection,
            "branch_upload",
            actor,
            at,
            branch_id=branch_id,
            year=year,
            detail={"kind": kind, "source": source, "rows": len(rows), "mode": mode, **counts},
        )
        return plan
