"""Access codes, the acceptance workflow, and the branches' own self-assessments and uploads.

Mixed into :class:`~assessment.store.Store` (:class:`WorkflowMixin`), so one store object serves the
evaluator page, the CLI and the self-assessment page:

.. code-block:: python

    issued = store.issue_access_code("JD001", 2025, by="管理员")        # issued.code: shown once
    session = store.open_branch_session(issued.code)                     # BranchSession or AccessDenied
    session.save_draft(payload); session.upload("roster", data, "名册.xlsx")
    session.apply(payload)                       # submit the self-assessment and move to 已申请
    store.move("JD001", 2025, "street_review", role="street", actor="周考评", reason="材料齐全")

A :class:`BranchSession` is the only way the self-assessment page reaches the database: it is made
only from a valid code, carries its branch and year, and every method reads or writes that branch's
rows only — no method takes a branch id. Every write checks again that the code is still active,
so revoking a code stops an open page at its next action.

The workflow's states, moves and who may make them are rubric data (rubrics/workflow.yaml); a move
the rules do not allow is refused with a :class:`StoreError` that says why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..inputs.frames import ACTIVITY_COLUMNS, BRANCH_COLUMNS, ROSTER_COLUMNS, ROSTER_DTYPES, empty_roster
from ..inputs.payload import check_payload
from ..rubric import Rubric
from ..rubric.model import TermRule
from . import access
from .model import StoreError
from .schema import (
    access_codes,
    audit_log,
    branch_uploads,
    branches,
    self_assessments,
    workflow_events,
    workflow_status,
)

if TYPE_CHECKING:
    from .store import Store

__all__ = [
    "REFUSAL",
    "AccessCodeInfo",
    "AccessDenied",
    "BranchSession",
    "IssuedCode",
    "SelfAssessment",
    "WorkflowEvent",
    "WorkflowMixin",
    "WorkflowStatus",
    "designation_until",
]

# The one answer to a wrong, unknown or revoked code: it says nothing about whether a branch exists.
REFUSAL = "访问码无效或已停用，无法进入。请核对街道发来的链接或访问码；如有疑问，请联系街道党工委。"
BRANCH_ACTOR = "支部（访问码 {key_id}）"
UPLOAD_KINDS = ("activities", "roster")


class AccessDenied(StoreError):
    """A code that does not open anything (wrong, unknown, revoked, malformed)."""

    def __init__(self, message: str = REFUSAL):
        super().__init__(message)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _text(value: Any, label: str) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise StoreError(f"{label}不能为空")
    return text


# ------------------------------------------------------------------ records
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


@dataclass(frozen=True)
class WorkflowEvent:
    id: int
    branch_id: str
    year: int
    from_status: str
    to_status: str
    role: str
    actor: str
    at: dt.datetime
    reason: str
    valid_from: dt.date | None
    valid_until: dt.date | None


@dataclass(frozen=True)
class WorkflowStatus:
    """A branch's year in the workflow. ``event_id`` None: nothing happened yet (the initial state)."""

    branch_id: str
    year: int
    status: str
    label: str
    since: dt.datetime | None
    event_id: int | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    designation: bool

    def expired(self, today: dt.date | None = None) -> bool:
        """A designation whose committee term has ended (001 §四(四): a new round is due)."""
        today = today or dt.date.today()
        return self.designation and self.valid_until is not None and self.valid_until < today


@dataclass(frozen=True)
class SelfAssessment:
    branch_id: str
    year: int
    status: str  # draft / submitted
    payload: dict[str, Any] = field(repr=False, compare=False)
    rubric_version: str
    updated_at: dt.datetime
    actor: str


@dataclass(frozen=True)
class Move:
    """One move the rules allow from a state, and whether ``role`` may make it (``why`` if not)."""

    to: str
    label: str
    to_label: str
    roles: tuple[str, ...]
    role_labels: tuple[str, ...]
    allowed: bool
    why: str


def designation_until(rubric: Rubric, last_election: dt.date | None, kind: str | None) -> dt.date | None:
    """End of the committee term a designation lasts for: last election + the term rule's years."""
    if last_election is None or pd.isna(last_election):
        return None
    rule_id = rubric.workflow.designation_term.structure_rule
    rule = next(r for r in rubric.structure.rules if isinstance(r, TermRule) and r.id == rule_id)
    years = rule.years_by_kind.get(kind or "", rule.default_years) if kind else rule.default_years
    last = pd.Timestamp(last_election).date()
    try:
        return last.replace(year=last.year + years)
    except ValueError:  # 29 February → 28 February
        return last.replace(year=last.year + years, day=28)


def _rows_json(frame: pd.DataFrame, columns) -> list[dict[str, Any]]:
    """Validated upload rows as JSON-able dicts (dates as ISO text, NA as null)."""
    out = []
    for record in frame[list(columns)].astype(object).to_dict("records"):
        row = {}
        for key, value in record.items():
            if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
                row[key] = None
            elif isinstance(value, pd.Timestamp | dt.date):
                row[key] = pd.Timestamp(value).date().isoformat()
            elif hasattr(value, "item"):
                row[key] = value.item()
            else:
                row[key] = value
        out.append(row)
    return out


def _activity_frame(rows: list[dict]) -> pd.DataFrame:
    from .store import activity_frame

    return activity_frame(rows)


def _roster_frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return empty_roster()
    frame = pd.DataFrame(rows, columns=list(ROSTER_COLUMNS))
    frame["joined"] = pd.to_datetime(frame["joined"])
    return frame.astype(ROSTER_DTYPES)


# ------------------------------------------------------------------ the mixin
class WorkflowMixin:
    """Store methods for access codes, the workflow, self-assessments and branch uploads."""

    # ---- helpers shared with Store (duck-typed: _read, _write, _lock_branch, rubric)
    def _workflow_rubric(self: Store) -> Rubric:
        return self.rubric

    @staticmethod
    def _audit_entry(connection: Connection, action: str, actor: str, at: dt.datetime, **fields) -> None:
        connection.execute(audit_log.insert().values(action=action, actor=actor, at=at, **fields))

    def _state_id(self: Store, text: str) -> str:
        """A state by id or Chinese label."""
        workflow = self._workflow_rubric().workflow
        for state in workflow.states:
            if text in (state.id, state.label):
                return state.id
        known = "、".join(s.label for s in workflow.states)
        raise StoreError(f"未知的状态“{text}”，可选：{known}")

    def _role_id(self: Store, text: str) -> str:
        workflow = self._workflow_rubric().workflow
        for role in workflow.roles:
            if text in (role.id, role.label):
                return role.id
        raise StoreError(f"未知的角色“{text}”，可选：{'、'.join(r.label for r in workflow.roles)}")

    # ------------------------------------------------------------------ access codes
    def issue_access_code(self: Store, branch_id: str, year: int, *, by: str) -> IssuedCode:
        """A new code for the branch's self-assessment of ``year``; earlier active codes of the same
        branch and year are revoked (re-issue). The code is returned once and never stored."""
        by = _text(by, "发放人")
        code, key_id, secret = access.new_code()
        hashed = access.hash_secret(secret)

        def work(connection: Connection) -> IssuedCode:
            self._lock_branch(connection, branch_id)
            at = _now()
            replaced = connection.execute(
                access_codes.update()
                .where(
                    access_codes.c.branch_id == branch_id,
                    access_codes.c.year == year,
                    access_codes.c.revoked_at.is_(None),
                )
                .values(revoked_at=at, revoked_by=by, revoke_reason="重新发放访问码")
            ).rowcount
            connection.execute(
                access_codes.insert().values(
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
            self._audit_entry(
                connection,
                "access_issue",
                by,
                at,
                branch_id=branch_id,
                year=year,
                detail={"key_id": key_id, "replaced": replaced},
            )
            return IssuedCode(code, key_id, branch_id, year, at, replaced)

        return self._write(work)

    def revoke_access_codes(self: Store, branch_id: str, *, by: str, reason: str, year: int | None = None) -> list[str]:
        """Revoke the branch's active codes (of ``year``, or all); returns the key ids revoked."""
        by = _text(by, "操作人")
        reason = _text(reason, "停用原因")

        def work(connection: Connection) -> list[str]:
            self._lock_branch(connection, branch_id)
            at = _now()
            condition = [access_codes.c.branch_id == branch_id, access_codes.c.revoked_at.is_(None)]
            if year is not None:
                condition.append(access_codes.c.year == year)
            keys = list(connection.execute(sa.select(access_codes.c.key_id).where(*condition)).scalars())
            if not keys:
                return []
            connection.execute(
                access_codes.update().where(*condition).values(revoked_at=at, revoked_by=by, revoke_reason=reason)
            )
            self._audit_entry(
                connection,
                "access_revoke",
                by,
                at,
                branch_id=branch_id,
                year=year,
                detail={"key_ids": keys, "reason": reason},
            )
            return keys

        return self._write(work)

    def access_codes(self: Store, branch_id: str | None = None) -> list[AccessCodeInfo]:
        """Every code issued (no secrets, no digests), by branch and issue time."""
        c = access_codes.c
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
        return self._read(lambda connection: [AccessCodeInfo(**row._asdict()) for row in connection.execute(query)])

    def open_branch_session(self: Store, code: str | None) -> BranchSession:
        """The session a code opens, or :class:`AccessDenied` with :data:`REFUSAL` — the same answer,
        after the same scrypt work, for a malformed, unknown, wrong or revoked code."""
        parsed = access.parse_code(code)
        key_id, secret = parsed if parsed is not None else ("", "0" * access.SECRET_LENGTH)
        row = None
        if parsed is not None:
            row = self._read(
                lambda connection: connection.execute(
                    sa.select(access_codes).where(access_codes.c.key_id == key_id)
                ).first()
            )
        stored = access.CodeHash(row.kdf, row.salt, row.digest) if row is not None else None
        valid = access.verify_secret(secret, stored)
        if not valid or row is None or row.revoked_at is not None:
            raise AccessDenied()

        def touch(connection: Connection) -> None:
            connection.execute(access_codes.update().where(access_codes.c.id == row.id).values(last_used_at=_now()))

        self._write(touch)
        return BranchSession(_SESSION_TOKEN, self, row.id, row.key_id, row.branch_id, row.year)

    def _code_active(self: Store, connection: Connection, code_id: int) -> bool:
        revoked = connection.execute(sa.select(access_codes.c.revoked_at).where(access_codes.c.id == code_id)).first()
        return revoked is not None and revoked.revoked_at is None

    # ------------------------------------------------------------------ workflow
    def _status_row(self: Store, connection: Connection, branch_id: str, year: int):
        return connection.execute(
            sa.select(workflow_status).where(workflow_status.c.branch_id == branch_id, workflow_status.c.year == year)
        ).first()

    def _status_of(self: Store, row, branch_id: str, year: int) -> WorkflowStatus:
        workflow = self._workflow_rubric().workflow
        state_id = row.status if row is not None else workflow.initial
        state = workflow.state(state_id)
        return WorkflowStatus(
            branch_id=branch_id,
            year=year,
            status=state_id,
            label=state.label,
            since=row.since if row is not None else None,
            event_id=row.event_id if row is not None else None,
            valid_from=row.valid_from if row is not None else None,
            valid_until=row.valid_until if row is not None else None,
            designation=state.designation,
        )

    def workflow_status(self: Store, branch_id: str, year: int) -> WorkflowStatus:
        def work(connection: Connection) -> WorkflowStatus:
            exists = connection.execute(
                sa.select(branches.c.branch_id).where(branches.c.branch_id == branch_id)
            ).first()
            if exists is None:
                raise StoreError(f"支部编号“{branch_id}”不在数据库中")
            return self._status_of(self._status_row(connection, branch_id, year), branch_id, year)

        return self._read(work)

    def workflow_history(self: Store, branch_id: str, year: int) -> list[WorkflowEvent]:
        """Every move of the branch's year, oldest first."""
        query = (
            sa.select(workflow_events)
            .where(workflow_events.c.branch_id == branch_id, workflow_events.c.year == year)
            .order_by(workflow_events.c.id)
        )
        return self._read(lambda connection: [WorkflowEvent(**row._asdict()) for row in connection.execute(query)])

    def workflow_list(self: Store, year: int, status: str | None = None) -> list[tuple[str, str, WorkflowStatus]]:
        """(branch id, name, status) of every branch for ``year``, optionally only those in ``status``."""
        wanted = self._state_id(status) if status is not None else None

        def work(connection: Connection):
            rows = connection.execute(
                sa.select(branches.c.branch_id, branches.c.name, workflow_status)
                .select_from(
                    branches.outerjoin(
                        workflow_status,
                        sa.and_(workflow_status.c.branch_id == branches.c.branch_id, workflow_status.c.year == year),
                    )
                )
                .order_by(branches.c.branch_id)
            ).all()
            out = []
            for row in rows:
                found = row if row.status is not None else None
                state = self._status_of(found, row.branch_id, year)
                if wanted is None or state.status == wanted:
                    out.append((row.branch_id, row.name, state))
            return out

        return self._read(work)

    def allowed_moves(self: Store, branch_id: str, year: int, role: str | None = None) -> list[Move]:
        """The moves the rules define from the branch's current state; ``allowed`` for ``role``."""
        workflow = self._workflow_rubric().workflow
        current = self.workflow_status(branch_id, year)
        role_id = self._role_id(role) if role is not None else None
        moves = []
        for t in workflow.moves_from(current.status):
            labels = tuple(workflow.role(r).label for r in t.roles)
            allowed = role_id is None or role_id in t.roles
            why = "" if allowed else f"只能由{'或'.join(labels)}操作"
            moves.append(Move(t.to, t.label, workflow.state(t.to).label, t.roles, labels, allowed, why))
        return moves

    def _has_submitted_self(self: Store, connection: Connection, branch_id: str, year: int) -> bool:
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

    def _move(
        self: Store,
        connection: Connection,
        branch_id: str,
        year: int,
        to: str,
        *,
        role: str,
        actor: str,
        reason: str,
        expected_from: str | None = None,
    ) -> WorkflowEvent:
        """One move inside an open write transaction (the branch row is locked by the caller)."""
        rubric = self._workflow_rubric()
        workflow = rubric.workflow
        row = self._status_row(connection, branch_id, year)
        current = self._status_of(row, branch_id, year)
        target = workflow.state(to)
        if expected_from is not None and current.status != expected_from:
            raise StoreError(
                f"支部 {branch_id} {year}年度的状态已变为“{current.label}”（不再是“{workflow.state(expected_from).label}”），"
                "请刷新后重试"
            )
        transition = workflow.transition(current.status, to)
        if transition is None:
            nexts = "、".join(
                f"{workflow.state(t.to).label}（{'/'.join(workflow.role(r).label for r in t.roles)}）"
                for t in workflow.moves_from(current.status)
            )
            raise StoreError(
                f"不允许把支部 {branch_id} {year}年度的状态从“{current.label}”改为“{target.label}”："
                + (f"按规定下一步只能是：{nexts}" if nexts else "这一状态没有下一步")
            )
        if role not in transition.roles:
            who = "或".join(workflow.role(r).label for r in transition.roles)
            raise StoreError(f"“{transition.label}”只能由{who}操作，{workflow.role(role).label}不能操作")
        if "self_assessment" in transition.requires and not self._has_submitted_self(connection, branch_id, year):
            raise StoreError(f"“{transition.label}”之前须先提交本支部{year}年度的自评结果")
        valid_from = valid_until = None
        at = _now()
        if target.designation:
            branch = connection.execute(
                sa.select(branches.c.last_election, branches.c.kind).where(branches.c.branch_id == branch_id)
            ).first()
            valid_from = at.astimezone().date()
            valid_until = designation_until(rubric, branch.last_election, branch.kind)
        values = dict(
            branch_id=branch_id,
            year=year,
            from_status=current.status,
            to_status=to,
            role=role,
            actor=actor,
            at=at,
            reason=reason,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        event_id = connection.execute(workflow_events.insert().values(**values)).inserted_primary_key[0]
        status_values = dict(status=to, since=at, event_id=event_id, valid_from=valid_from, valid_until=valid_until)
        if row is None:
            connection.execute(workflow_status.insert().values(branch_id=branch_id, year=year, **status_values))
        else:
            updated = connection.execute(
                workflow_status.update()
                .where(
                    workflow_status.c.branch_id == branch_id,
                    workflow_status.c.year == year,
                    workflow_status.c.event_id == row.event_id,
                )
                .values(**status_values)
            ).rowcount
            if updated != 1:  # pragma: no cover - the branch row lock makes moves take turns
                raise StoreError("状态刚被其他人修改，请刷新后重试")
        self._audit_entry(
            connection,
            "workflow_move",
            actor,
            at,
            branch_id=branch_id,
            year=year,
            detail={"from": current.status, "to": to, "role": role, "reason": reason, "event_id": event_id},
        )
        return WorkflowEvent(id=event_id, **values)

    def move(
        self: Store,
        branch_id: str,
        year: int,
        to: str,
        *,
        role: str,
        actor: str,
        reason: str,
        expected_from: str | None = None,
    ) -> WorkflowEvent:
        """Move the branch's year to state ``to`` (id or label) as ``role`` (支部/街道/区委 or id).

        Refused (StoreError, nothing stored) when the rules do not allow it: no such move from the
        current state, a role that may not make it, a missing self-assessment where one is required,
        an empty reason, or — with ``expected_from`` — a state that changed meanwhile.
        """
        to_id = self._state_id(to)
        role_id = self._role_id(role)
        actor = _text(actor, "操作人")
        reason = _text(reason, "变更原因")
        from_id = self._state_id(expected_from) if expected_from is not None else None

        def work(connection: Connection) -> WorkflowEvent:
            self._lock_branch(connection, branch_id)
            return self._move(
                connection, branch_id, year, to_id, role=role_id, actor=actor, reason=reason, expected_from=from_id
            )

        return self._write(work)

    # ------------------------------------------------------------------ self-assessments
    def self_assessment(self: Store, branch_id: str, year: int, *, draft: bool = False) -> SelfAssessment | None:
        """The branch's current submitted self-assessment (or its draft), for evaluators and reports."""
        status = "draft" if draft else "submitted"
        query = sa.select(self_assessments).where(
            self_assessments.c.branch_id == branch_id,
            self_assessments.c.year == year,
            self_assessments.c.status == status,
        )

        def work(connection: Connection) -> SelfAssessment | None:
            row = connection.execute(query).first()
            if row is None:
                return None
            return SelfAssessment(
                row.branch_id, row.year, row.status, row.payload, row.rubric_version, row.updated_at, row.actor
            )

        return self._read(work)

    def _save_self(
        self: Store, connection: Connection, branch_id: str, year: int, payload: dict, actor: str, *, submit: bool
    ) -> SelfAssessment:
        from .store import _json_copy

        payload = _json_copy(payload, "自评内容")
        rubric = self._workflow_rubric()
        at = _now()
        c = self_assessments.c
        mine = (c.branch_id == branch_id, c.year == year)
        if submit:
            problems = check_payload(payload, rubric)
            if problems:
                raise StoreError(
                    f"自评内容有 {len(problems)} 处问题，未提交：\n" + "\n".join(f"  {problem}" for problem in problems)
                )
            self._check_rubric_stored(connection, rubric, at)
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
            self._audit_entry(
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
                .values(payload=payload, rubric_version=rubric.version, updated_at=at, actor=actor)
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
                    )
                )
        return SelfAssessment(branch_id, year, status, payload, rubric.version, at, actor)

    # ------------------------------------------------------------------ uploads
    def branch_upload(self: Store, branch_id: str, year: int, kind: str) -> pd.DataFrame | None:
        """The latest rows the branch uploaded of ``kind`` (activities or roster), or None."""
        if kind not in UPLOAD_KINDS:
            raise ValueError(kind)

        def work(connection: Connection):
            return connection.execute(
                sa.select(branch_uploads.c.rows)
                .where(
                    branch_uploads.c.branch_id == branch_id,
                    branch_uploads.c.year == year,
                    branch_uploads.c.kind == kind,
                )
                .order_by(branch_uploads.c.id.desc())
                .limit(1)
            ).scalar()

        rows = self._read(work)
        if rows is None:
            return None
        return _activity_frame(rows) if kind == "activities" else _roster_frame(rows)


# ------------------------------------------------------------------ the branch's session
_SESSION_TOKEN = object()


class BranchSession:
    """What one valid access code may do: read and write its own branch's year, nothing else.

    Made only by :meth:`WorkflowMixin.open_branch_session`. No method takes a branch id.
    """

    def __init__(self, token: object, store: Store, code_id: int, key_id: str, branch_id: str, year: int):
        if token is not _SESSION_TOKEN:
            raise TypeError("BranchSession 只能由 Store.open_branch_session(访问码) 创建")
        self._store = store
        self._code_id = code_id
        self.key_id = key_id
        self.branch_id = branch_id
        self.year = year
        self.actor = BRANCH_ACTOR.format(key_id=key_id)

    def __repr__(self) -> str:
        return f"BranchSession({self.branch_id!r}, {self.year})"

    @property
    def rubric(self) -> Rubric:
        return self._store.rubric

    # ---- guarded transactions
    def _check(self) -> None:
        """Refuse (AccessDenied) once the code has been revoked."""
        self._read(lambda connection: None)

    def _read(self, work):
        def guarded(connection: Connection):
            if not self._store._code_active(connection, self._code_id):
                raise AccessDenied()
            return work(connection)

        return self._store._read(guarded)

    def _write(self, work):
        def guarded(connection: Connection):
            self._store._lock_branch(connection, self.branch_id)
            if not self._store._code_active(connection, self._code_id):
                raise AccessDenied()
            return work(connection)

        return self._store._write(guarded)

    # ---- reading
    def branch(self) -> pd.DataFrame:
        """The branch's row, as ``Inputs.branches`` (one row)."""
        from .store import branch_frame

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
        """The activity log to check: the branch's own latest upload, else the street's stored log;
        and where it came from (shown on the page)."""
        self._check()
        uploaded = self._store.branch_upload(self.branch_id, self.year, "activities")
        if uploaded is not None:
            return uploaded, "本支部上传的活动记录"
        log = self._read(lambda c: self._store._activities(c, self.year, [self.branch_id]))
        return log, "街道导入的活动记录" if len(log) else "暂无活动记录"

    def roster(self) -> pd.DataFrame | None:
        self._check()
        return self._store.branch_upload(self.branch_id, self.year, "roster")

    def self_assessment(self, *, draft: bool = False) -> SelfAssessment | None:
        self._check()
        return self._store.self_assessment(self.branch_id, self.year, draft=draft)

    def status(self) -> WorkflowStatus:
        self._check()
        return self._store.workflow_status(self.branch_id, self.year)

    def history(self) -> list[WorkflowEvent]:
        self._check()
        return self._store.workflow_history(self.branch_id, self.year)

    # ---- writing
    def save_draft(self, payload: dict[str, Any]) -> SelfAssessment:
        """Keep the form as typed (wrong values included): drafts live in the database, not the kernel."""
        return self._write(
            lambda c: self._store._save_self(c, self.branch_id, self.year, payload, self.actor, submit=False)
        )

    def submit(self, payload: dict[str, Any]) -> SelfAssessment:
        """Store the self-assessment (checked like an evaluator's form; refused with the problems)."""
        return self._write(
            lambda c: self._store._save_self(c, self.branch_id, self.year, payload, self.actor, submit=True)
        )

    def apply(self, payload: dict[str, Any], reason: str = "支部自评完成，申请考评") -> WorkflowEvent:
        """申请考评: submit the self-assessment and move to the next step, in one transaction."""
        reason = _text(reason, "申请说明")
        workflow = self.rubric.workflow

        def work(connection: Connection) -> WorkflowEvent:
            row = self._store._status_row(connection, self.branch_id, self.year)
            current = self._store._status_of(row, self.branch_id, self.year)
            moves = [
                t
                for t in workflow.moves_from(current.status)
                if workflow.branch_role.id in t.roles and "self_assessment" in t.requires
            ]
            if not moves:
                raise StoreError(f"本支部{self.year}年度的状态是“{current.label}”，现在不能申请考评")
            self._store._save_self(connection, self.branch_id, self.year, payload, self.actor, submit=True)
            return self._store._move(
                connection,
                self.branch_id,
                self.year,
                moves[0].to,
                role=workflow.branch_role.id,
                actor=self.actor,
                reason=reason,
            )

        return self._write(work)

    def upload(self, kind: str, data: bytes, filename: str) -> pd.DataFrame:
        """Check an uploaded 活动记录 or 党员名册 (.xlsx/.csv) and store it; on any problem raise
        :class:`~assessment.inputs.workbook.WorkbookError` (sheet, row, column of each) and store nothing."""
        from ..inputs.workbook.reader import read_sheet_upload

        if kind not in UPLOAD_KINDS:
            raise ValueError(kind)
        frame = read_sheet_upload(data, filename, kind, self.rubric, branch_id=self.branch_id)
        columns = ACTIVITY_COLUMNS if kind == "activities" else ROSTER_COLUMNS
        rows = _rows_json(frame, columns)
        source = filename.strip() or "上传的文件"

        def work(connection: Connection) -> None:
            at = _now()
            connection.execute(
                branch_uploads.insert().values(
                    branch_id=self.branch_id,
                    year=self.year,
                    kind=kind,
                    at=at,
                    actor=self.actor,
                    source=source,
                    rows=rows,
                )
            )
            self._store._audit_entry(
                connection,
                "branch_upload",
                self.actor,
                at,
                branch_id=self.branch_id,
                year=self.year,
                detail={"kind": kind, "source": source, "rows": len(rows)},
            )

        self._write(work)
        return _activity_frame(rows) if kind == "activities" else _roster_frame(rows)
