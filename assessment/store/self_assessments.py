"""A branch's own self-assessment: its draft and submitted forms, and the 活动记录 and 党员名册 it uploaded.

A part of the :class:`~assessment.store.Store`, ``store.self_assessments`` (:class:`SelfAssessments`).
Evaluators and reports read it by branch:

.. code-block:: python

    store.self_assessments.current("JD001", 2025)               # the submitted one, or None
    store.self_assessments.current("JD001", 2025, draft=True)   # the draft the branch is typing
    store.self_assessments.uploaded("JD001", 2025, "roster")    # its latest 党员名册, as a frame, or None

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

from ..inputs.payload import check_payload
from .checks import json_copy
from .database import Database, now
from .frames import activity_frame, roster_frame
from .model import ANY_VERSION, AnyVersion, DraftConflict, StoreError, new_draft_version
from .rubric_versions import RubricVersions
from .schema import branch_uploads, self_assessments

__all__ = ["UPLOAD_KINDS", "SelfAssessment", "SelfAssessments"]

UPLOAD_KINDS = ("activities", "roster")


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
    def uploaded_within(self, connection: Connection, branch_id: str, year: int, kind: str) -> pd.DataFrame | None:
        if kind not in UPLOAD_KINDS:
            raise ValueError(kind)
        rows = connection.execute(
            sa.select(branch_uploads.c.rows)
            .where(
                branch_uploads.c.branch_id == branch_id,
                branch_uploads.c.year == year,
                branch_uploads.c.kind == kind,
            )
            .order_by(branch_uploads.c.id.desc())
            .limit(1)
        ).scalar()
        return None if rows is None else upload_frame(kind, rows)

    def uploaded(self, branch_id: str, year: int, kind: str) -> pd.DataFrame | None:
        """The latest rows the branch uploaded of ``kind`` (activities or roster), or None."""
        return self._db.read(lambda connection: self.uploaded_within(connection, branch_id, year, kind))

    def add_upload_within(
        self, connection: Connection, branch_id: str, year: int, kind: str, rows: list[dict], *, actor: str, source: str
    ) -> None:
        """Store checked upload rows (JSON-able, :func:`~assessment.store.frames.rows_json`) in the caller's write."""
        if kind not in UPLOAD_KINDS:
            raise ValueError(kind)
        at = now()
        connection.execute(
            branch_uploads.insert().values(
                branch_id=branch_id, year=year, kind=kind, at=at, actor=actor, source=source, rows=rows
            )
        )
        Database.audit(
            connection,
            "branch_upload",
            actor,
            at,
            branch_id=branch_id,
            year=year,
            detail={"kind": kind, "source": source, "rows": len(rows)},
        )
