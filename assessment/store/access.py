"""Who may enter: access codes issued to branches, and the :class:`BranchSession` a valid code opens.

A part of the :class:`~assessment.store.Store`, ``store.access`` (:class:`Access`). The code format and its
scrypt hashing live in :mod:`~assessment.store.access_codes`.

.. code-block:: python

    issued = store.access.issue("JD001", 2025, by="管理员")             # issued.code: shown once
    store.access.codes("JD001")                                          # what was issued (no secrets)
    session = store.access.open_session(issued.code)                     # BranchSession or AccessDenied
    session.save_draft(payload)
    plan = session.preview_upload("activities", data, "活动.xlsx")   # what it would do; nothing is stored
    session.upload("activities", data, "活动.xlsx")                 # merged by date and type (replace_all=True: the whole log)
    session.apply(payload)                       # submit the self-assessment and move to 已申请
    session.locked()                             # why it is read-only now (None: editable)
    store.access.revoke("JD001", by="管理员", reason="书记调整")           # an open page stops at its next action

A :class:`BranchSession` is the only way the self-assessment page reaches the database: it is made
only from a valid code, carries its branch and year, and every method reads or writes that branch's
rows only — no method takes a branch id. Every read and write checks again, in its own transaction,
that the code is still active, so revoking a code stops an open page at its next action.

Once the branch has applied (申请考评), its self-assessment is read-only: drafts, submissions and uploads are
refused (:class:`SelfAssessmentLocked`) in the same transaction, whatever the page shows, until the workflow
returns to a state from which the branch may apply again (the street's 退回自评: rubrics/workflow.yaml).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..inputs.frames import ACTIVITY_COLUMNS, BRANCH_COLUMNS, ROSTER_COLUMNS
from ..localtime import local_time
from ..rubric import Rubric
from . import access_codes
from .checks import required_text
from .database import Database, now
from .frames import branch_frame, rows_json
from .model import ANY_VERSION, AnyVersion, StoreError
from .rubric_versions import RubricVersions
from .schema import access_codes as codes_table
from .schema import branches
from .self_assessments import UPLOAD_KINDS, SelfAssessment, SelfAssessments, UploadRecord
from .throttle import Throttle
from .uploads import MERGE, REPLACE, UploadPlan
from .workflow import Workflow, WorkflowEvent, WorkflowStatus

__all__ = [
    "REFUSAL",
    "Access",
    "AccessCodeInfo",
    "AccessDenied",
    "BranchSession",
    "IssuedCode",
    "SelfAssessmentLocked",
]

# The one answer to a wrong, unknown or revoked code: it says nothing about whether a branch exists.
REFUSAL = "访问码无效或已停用，无法进入。请核对街道发来的链接或访问码；如有疑问，请联系街道党工委。"
BRANCH_ACTOR = "支部（访问码 {key_id}）"
LOCKED = (
    "本支部{year}年度的自评已提交并申请考评，当前状态为“{label}”{when}：提交的内容由街道党工委考评，"
    "自评只能查看，不能修改或上传。状态回到{editable}（例如街道党工委退回自评）后可以再修改。"
)


class AccessDenied(StoreError):
    """A code that does not open anything (wrong, unknown, revoked, malformed); ``wait`` > 0: the client must
    wait that many seconds before its next try (too many failures from its address, on any page or server)."""

    def __init__(self, message: str = REFUSAL, wait: float = 0.0):
        super().__init__(message)
        self.wait = wait


class SelfAssessmentLocked(StoreError):
    """A write to a self-assessment that has been submitted with the application (read-only until the
    workflow returns it to the branch)."""


@dataclass(frozen=True)
class IssuedCode:
    """A newly issued code. ``code`` exists only here: the database keeps its digest."""

    code: str = field(repr=False)
    key_id: str
    branch_id: str
    year: int
    issued_at: dt.datetime
    replaced: int  # earlier active codes of the branch and year, revoked by this issue


@dataclass(frozen=True)
class AccessCodeInfo:
    key_id: str
    branch_id: str
    year: int
    issued_at: dt.datetime
    issued_by: str
    revoked_at: dt.datetime | None
    revoked_by: str | None
    revoke_reason: str | None
    last_used_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def status_label(self) -> str:
        return "有效" if self.active else "已停用"


class Access:
    """The access codes of one database, and the door a code opens (:meth:`open_session`)."""

    def __init__(self, db: Database, rubrics: RubricVersions, workflow: Workflow, self_assessments: SelfAssessments):
        self._db = db
        self._rubrics = rubrics
        self._workflow = workflow
        self._self_assessments = self_assessments
        # Secretaries mistype: ten free failures per address, then the wait doubles (1 s, 2 s … 5 min).
        self._throttle = Throttle(db, free=10)

    def issue(self, branch_id: str, year: int, *, by: str) -> IssuedCode:
        """A new code for the branch's self-assessment of ``year``; earlier active codes of the same
        branch and year are revoked (re-issue). The code is returned once and never stored."""
        by = required_text(by, "发放人")
        code, key_id, secret = access_codes.new_code()
        hashed = access_codes.hash_secret(secret)

        def work(connection: Connection) -> IssuedCode:
            Database.lock_branch(connection, branch_id)
            at = now()
            replaced = connection.execute(
                codes_table.update()
                .where(
                    codes_table.c.branch_id == branch_id,
                    codes_table.c.year == year,
                    codes_table.c.revoked_at.is_(None),
                )
                .values(revoked_at=at, revoked_by=by, revoke_reason="重新发放访问码")
            ).rowcount
            connection.execute(
                codes_table.insert().values(
                    key_id=key_id,
                    branch_id=branch_id,
                    year=year,
                    kdf=hashed.kdf,
                    salt=hashed.salt,
                    digest=hashed.digest,
                    issued_at=at,
                    issued_by=by,
                )
            )
            Database.audit(
                connection,
                "access_issue",
                by,
                at,
                branch_id=branch_id,
                year=year,
                detail={"key_id": key_id, "replaced": replaced},
            )
            return IssuedCode(code, key_id, branch_id, year, at, replaced)

        return self._db.write(work)

    def revoke(self, branch_id: str, *, by: str, reason: str, year: int | None = None) -> list[str]:
        """Revoke the branch's active codes (of ``year``, or all); returns the key ids revoked."""
        by = required_text(by, "操作人")
        reason = required_text(reason, "停用原因")

        def work(connection: Connection) -> list[str]:
            Database.lock_branch(connection, branch_id)
            at = now()
            condition = [codes_table.c.branch_id == branch_id, codes_table.c.revoked_at.is_(None)]
            if year is not None:
                condition.append(codes_table.c.year == year)
            keys = list(connection.execute(sa.select(codes_table.c.key_id).where(*condition)).scalars())
            if not keys:
                return []
            connection.execute(
                codes_table.update().where(*condition).values(revoked_at=at, revoked_by=by, revoke_reason=reason)
            )
            Database.audit(
                connection,
                "access_revoke",
                by,
                at,
                branch_id=branch_id,
                year=year,
                detail={"key_ids": keys, "reason": reason},
            )
            return keys

        return self._db.write(work)

    def codes(self, branch_id: str | None = None) -> list[AccessCodeInfo]:
        """Every code issued (no secrets, no digests), by branch and issue time."""
        c = codes_table.c
        query = sa.select(
            c.key_id,
            c.branch_id,
            c.year,
            c.issued_at,
            c.issued_by,
            c.revoked_at,
            c.revoked_by,
            c.revoke_reason,
            c.last_used_at,
        ).order_by(c.branch_id, c.issued_at, c.id)
        if branch_id is not None:
            query = query.where(c.branch_id == branch_id)
        return self._db.read(lambda connection: [AccessCodeInfo(**row._asdict()) for row in connection.execute(query)])

    def open_session(self, code: str | None, *, client: str | None = None) -> BranchSession:
        """The session a code opens, or :class:`AccessDenied` with :data:`REFUSAL` — the same answer,
        after the same scrypt work, for a malformed, unknown, wrong or revoked code.

        ``client`` (the visitor's address, as the server saw it): failures are counted per client in the
        database (:class:`~assessment.store.accounts.Throttle`), so a new page or another server does not
        reset the slowdown; while the client must wait, nothing is checked and ``AccessDenied.wait`` says how long.
        """
        key = f"code-client:{client}" if client else None
        if key is not None:
            at = now()
            wait = self._db.read(lambda connection: self._throttle.wait(connection, key, at))
            if wait > 0:
                self._db.write(lambda connection: self._throttle.failed(connection, key, at))
                raise AccessDenied(wait=wait)
        try:
            return self._open(code)
        except AccessDenied:
            if key is not None:
                at = now()
                self._db.write(lambda connection: self._throttle.failed(connection, key, at))
            raise

    def _open(self, code: str | None) -> BranchSession:
        parsed = access_codes.parse_code(code)
        key_id, secret = parsed if parsed is not None else ("", "0" * access_codes.SECRET_LENGTH)
        row = None
        if parsed is not None:
            row = self._db.read(
                lambda connection: connection.execute(
                    sa.select(codes_table).where(codes_table.c.key_id == key_id)
                ).first()
            )
        stored = access_codes.CodeHash(row.kdf, row.salt, row.digest) if row is not None else None
        valid = access_codes.verify_secret(secret, stored)
        if not valid or row is None or row.revoked_at is not None:
            raise AccessDenied()

        def touch(connection: Connection) -> None:
            connection.execute(codes_table.update().where(codes_table.c.id == row.id).values(last_used_at=now()))

        self._db.write(touch)
        return BranchSession(_SESSION_TOKEN, self, row.id, row.key_id, row.branch_id, row.year)


def _code_active(connection: Connection, code_id: int) -> bool:
    revoked = connection.execute(sa.select(codes_table.c.revoked_at).where(codes_table.c.id == code_id)).first()
    return revoked is not None and revoked.revoked_at is None


# ------------------------------------------------------------------ the branch's session
_SESSION_TOKEN = object()


class BranchSession:
    """What one valid access code may do: read and write its own branch's year, nothing else.

    Made only by :meth:`Access.open_session`. No method takes a branch id.
    """

    def __init__(self, token: object, access: Access, code_id: int, key_id: str, branch_id: str, year: int):
        if token is not _SESSION_TOKEN:
            raise TypeError("BranchSession 只能由 store.access.open_session(访问码) 创建")
        self._db = access._db
        self._rubrics = access._rubrics
        self._workflow = access._workflow
        self._self_assessments = access._self_assessments
        self._code_id = code_id
        self.key_id = key_id
        self.branch_id = branch_id
        self.year = year
        self.actor = BRANCH_ACTOR.format(key_id=key_id)

    def __repr__(self) -> str:
        return f"BranchSession({self.branch_id!r}, {self.year})"

    @property
    def rubric(self) -> Rubric:
        return self._rubrics.rubric

    # ---- guarded transactions
    def _check(self) -> None:
        """Refuse (AccessDenied) once the code has been revoked."""
        self._read(lambda connection: None)

    def _read(self, work):
        def guarded(connection: Connection):
            if not _code_active(connection, self._code_id):
                raise AccessDenied()
            return work(connection)

        return self._db.read(guarded)

    def _write(self, work):
        def guarded(connection: Connection):
            Database.lock_branch(connection, self.branch_id)
            if not _code_active(connection, self._code_id):
                raise AccessDenied()
            return work(connection)

        return self._db.write(guarded)

    # ---- reading
    def branch(self) -> pd.DataFrame:
        """The branch's row, as ``Inputs.branches`` (one row)."""
        columns = [branches.c[name] for name in BRANCH_COLUMNS]
        rows = self._read(
            lambda c: [
                r._asdict() for r in c.execute(sa.select(*columns).where(branches.c.branch_id == self.branch_id))
            ]
        )
        return branch_frame(rows)

    @property
    def name(self) -> str:
        return str(self.branch()["name"].iloc[0])

    def activities(self) -> tuple[pd.DataFrame, str]:
        """The activity log to check: the street's stored log with the branch's uploads applied
        (:mod:`~assessment.store.uploads`); and where it came from (shown on the page)."""

        def work(connection: Connection) -> tuple[pd.DataFrame, str]:
            log = self._self_assessments.branch_log_within(connection, self.branch_id, self.year)
            return log.frame, activities_source(log)

        return self._read(work)

    def uploads(self) -> list[UploadRecord]:
        """The branch's upload history of the year (who, when, file, how, counts), oldest first."""
        return self._read(
            lambda connection: self._self_assessments.uploads_within(connection, self.branch_id, self.year)
        )

    def roster(self, *, year: int | None = None) -> pd.DataFrame | None:
        """The branch's latest uploaded 党员名册 of the session's year, or of ``year`` (e.g. the year before,
        for dues unpaid across the turn of the year)."""
        chosen = self.year if year is None else year
        return self._read(
            lambda connection: self._self_assessments.uploaded_within(connection, self.branch_id, chosen, "roster")
        )

    def self_assessment(self, *, draft: bool = False) -> SelfAssessment | None:
        return self._read(
            lambda connection: self._self_assessments.current_within(connection, self.branch_id, self.year, draft=draft)
        )

    def status(self) -> WorkflowStatus:
        return self._read(lambda connection: self._workflow.status_within(connection, self.branch_id, self.year))

    def history(self) -> list[WorkflowEvent]:
        self._check()
        return self._workflow.history(self.branch_id, self.year)

    # ---- read-only once applied
    def _lock_reason(self, connection: Connection) -> str | None:
        workflow = self.rubric.workflow
        current = self._workflow.status_within(connection, self.branch_id, self.year)
        if self._may_apply(current.status):
            return None
        editable = [s.label for s in workflow.states if self._may_apply(s.id)]
        when = f"{local_time(current.since)}" if current.since is not None else ""
        return LOCKED.format(
            year=self.year,
            label=current.label,
            when=f"（{when}起）" if when else "",
            editable="、".join(f"“{label}”" for label in editable),
        )

    def _may_apply(self, state_id: str) -> bool:
        return bool(self.rubric.workflow.branch_moves(state_id, applying=True))

    def _require_editable(self, connection: Connection) -> None:
        reason = self._lock_reason(connection)
        if reason is not None:
            raise SelfAssessmentLocked(reason)

    def locked(self) -> str | None:
        """Why the self-assessment is read-only now (submitted with the application), or None."""
        return self._read(self._lock_reason)

    # ---- writing
    def save_draft(self, payload: dict[str, Any], *, expected: str | None | AnyVersion = ANY_VERSION) -> SelfAssessment:
        """Keep the form as typed (wrong values included): drafts live in the database, not the kernel.
        ``expected``: the draft version this window last saw (None: none); a draft another window saved
        since is not overwritten (:class:`~assessment.store.model.DraftConflict`). Refused
        (:class:`SelfAssessmentLocked`) once the branch has applied."""

        def work(c: Connection) -> SelfAssessment:
            self._require_editable(c)
            return self._self_assessments.save_within(
                c, self.branch_id, self.year, payload, self.actor, submit=False, expected=expected
            )

        return self._write(work)

    def submit(self, payload: dict[str, Any]) -> SelfAssessment:
        """Store the self-assessment (checked like an evaluator's form; refused with the problems)."""

        def work(c: Connection) -> SelfAssessment:
            self._require_editable(c)
            return self._self_assessments.save_within(c, self.branch_id, self.year, payload, self.actor, submit=True)

        return self._write(work)

    def apply(self, payload: dict[str, Any], reason: str = "支部自评完成，申请考评") -> WorkflowEvent:
        """申请考评: submit the self-assessment and move to the next step, in one transaction."""
        reason = required_text(reason, "申请说明")
        workflow = self.rubric.workflow

        def work(connection: Connection) -> WorkflowEvent:
            current = self._workflow.status_within(connection, self.branch_id, self.year)
            moves = workflow.branch_moves(current.status, applying=True)
            if not moves:
                raise StoreError(f"本支部{self.year}年度的状态是“{current.label}”，现在不能申请考评")
            self._self_assessments.save_within(connection, self.branch_id, self.year, payload, self.actor, submit=True)
            return self._workflow.move_within(
                connection,
                self.branch_id,
                self.year,
                moves[0].to,
                role=workflow.branch_role.id,
                actor=self.actor,
                reason=reason,
            )

        return self._write(work)

    def own_moves(self) -> list[tuple[str, str]]:
        """The branch's own moves from its current state other than 申请考评 — (target state, label), e.g.
        重新自评 after 未通过, 开始新一轮建设 after 撤销 (workflow.yaml: the branch role may make them)."""
        return [(t.to, t.label) for t in self.rubric.workflow.branch_moves(self.status().status, applying=False)]

    def move(self, to: str, reason: str) -> WorkflowEvent:
        """One of :meth:`own_moves`, made as the branch (the store checks it like any move)."""
        reason = required_text(reason, "变更原因")
        workflow = self.rubric.workflow

        def work(connection: Connection) -> WorkflowEvent:
            return self._workflow.move_within(
                connection, self.branch_id, self.year, to, role=workflow.branch_role.id, actor=self.actor, reason=reason
            )

        return self._write(work)

    def _read_upload(self, kind: str, data: bytes, filename: str) -> tuple[list[dict], str]:
        from ..inputs.workbook.reader import read_sheet_upload

        if kind not in UPLOAD_KINDS:
            raise ValueError(kind)
        frame = read_sheet_upload(data, filename, kind, self.rubric, branch_id=self.branch_id)
        columns = ACTIVITY_COLUMNS if kind == "activities" else ROSTER_COLUMNS
        return rows_json(frame, columns), filename.strip() or "上传的文件"

    @staticmethod
    def _mode(kind: str, replace_all: bool) -> str:
        return REPLACE if replace_all or kind == "roster" else MERGE

    def preview_upload(self, kind: str, data: bytes, filename: str, *, replace_all: bool = False) -> UploadPlan:
        """Check an uploaded 活动记录 or 党员名册 (.xlsx/.csv) and work out what storing it would do — an
        activity log is merged by date and type unless ``replace_all`` — storing nothing. Problems raise
        :class:`~assessment.inputs.workbook.WorkbookError` (sheet, row, column of each)."""
        rows, source = self._read_upload(kind, data, filename)
        mode = self._mode(kind, replace_all)

        def work(connection: Connection) -> UploadPlan:
            self._require_editable(connection)
            return self._self_assessments.plan_within(
                connection, self.branch_id, self.year, kind, rows, source=source, mode=mode
            )

        return self._read(work)

    def upload(self, kind: str, data: bytes, filename: str, *, replace_all: bool = False) -> UploadPlan:
        """Check an uploaded file as :meth:`preview_upload` does and store it (one line of the upload
        history); what it did is worked out again in the write, against the log as it is then."""
        rows, source = self._read_upload(kind, data, filename)
        mode = self._mode(kind, replace_all)

        def work(connection: Connection) -> UploadPlan:
            self._require_editable(connection)
            return self._self_assessments.add_upload_within(
                connection, self.branch_id, self.year, kind, rows, actor=self.actor, source=source, mode=mode
            )

        return self._write(work)


def activities_source(log) -> str:
    """Where a branch's log came from, in a few words (the self-check shows it)."""
    uploaded = log.uploaded_count
    street = len(log.rows) - uploaded
    if not log.rows:
        return "暂无活动记录"
    if not log.uploads:
        return "街道导入的活动记录"
    if not street:
        return f"本支部上传的活动记录{uploaded}条"
    return f"街道导入的活动记录{street}条，本支部上传的{uploaded}条"
