"""The acceptance workflow: a branch's state for a year, the moves the rules allow, the moves made, and how
long a designation (最强党支部 …) lasts.

A part of the :class:`~assessment.store.Store`, ``store.workflow`` (:class:`Workflow`):

.. code-block:: python

    store.workflow.status("JD001", 2025)                       # WorkflowStatus: state, since, valid until
    store.workflow.allowed_moves("JD001", 2025, role="街道")    # what the rules allow from here, and for whom
    store.workflow.move("JD001", 2025, "street_review", role="street", actor="周考评", reason="材料齐全")
    store.workflow.history("JD001", 2025)                      # every move, oldest first
    store.workflow.statuses(2025, "已申请")                     # (branch id, name, status) of every branch

The workflow's states, moves and who may make them are rubric data (rubrics/workflow.yaml); a move
the rules do not allow is refused with a :class:`StoreError` that says why. Moves of one branch take
turns: each locks the branch row first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..localtime import local_date
from ..rubric import Rubric
from ..rubric.model import TermRule
from .checks import required_text
from .database import Database, now
from .decisions import Basis, RecordedResults
from .model import StoreError
from .rubric_versions import RubricVersions
from .schema import branches, workflow_events, workflow_status
from .self_assessments import SelfAssessments

__all__ = ["Move", "Workflow", "WorkflowEvent", "WorkflowStatus", "designation_until"]


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
    basis: dict | None = None  # the recorded result the move rested on (Basis.to_json), None if none
    exception: bool = False  # made against that result (例外), by a role workflow.yaml allows

    @property
    def result(self) -> Basis | None:
        return Basis.from_json(self.basis)

    def basis_text(self) -> str:
        """The result the move rested on and whether it was an exception, for the history ('' if none)."""
        return basis_text(self.result, self.exception)


def basis_text(result: Basis | None, exception: bool) -> str:
    """A move's (or a status's) result in one line, “例外：…” when the move went against it ('' if neither)."""
    text = result.summary() if result is not None else ""
    return ("例外：" + text if text else "例外") if exception else text


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
    exception: bool = False  # the move into this state went against the recorded result (例外)
    basis: dict | None = None  # the recorded result that move rested on (Basis.to_json)

    @property
    def result(self) -> Basis | None:
        return Basis.from_json(self.basis)

    def basis_text(self) -> str:
        """The result the status rests on, “例外：…” when the move into it went against it ('' if neither)."""
        return basis_text(self.result, self.exception)

    def expired(self, today: dt.date | None = None) -> bool:
        """A designation whose committee term has ended (001 §四(四): a new round is due)."""
        today = today or dt.date.today()
        return self.designation and self.valid_until is not None and self.valid_until < today


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
    # For a move that rests on the recorded result: whether that result supports it now ('' when the
    # move needs no result), and whether ``role`` could still make it as an exception (例外).
    result_note: str = ""
    supported: bool = True
    exception_allowed: bool = False


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


class Workflow:
    """The workflow of one database, by the rules of the store's rubric (``rubrics.rubric``); a move that
    requires a submitted self-assessment asks ``self_assessments``."""

    def __init__(self, db: Database, rubrics: RubricVersions, self_assessments: SelfAssessments):
        self._db = db
        self._rubrics = rubrics
        self._self_assessments = self_assessments
        self._results = RecordedResults(rubrics.stored_within)

    def _rubric(self) -> Rubric:
        return self._rubrics.rubric

    def state_id(self, text: str) -> str:
        """A state by id or Chinese label (StoreError naming the states if unknown)."""
        workflow = self._rubric().workflow
        for state in workflow.states:
            if text in (state.id, state.label):
                return state.id
        known = "、".join(s.label for s in workflow.states)
        raise StoreError(f"未知的状态“{text}”，可选：{known}")

    def role_id(self, text: str) -> str:
        """A role by id or Chinese label (StoreError naming the roles if unknown)."""
        workflow = self._rubric().workflow
        for role in workflow.roles:
            if text in (role.id, role.label):
                return role.id
        raise StoreError(f"未知的角色“{text}”，可选：{'、'.join(r.label for r in workflow.roles)}")

    # ------------------------------------------------------------------ reading
    def _status_row(self, connection: Connection, branch_id: str, year: int):
        return connection.execute(
            sa.select(workflow_status, workflow_events.c.exception, workflow_events.c.basis)
            .select_from(workflow_status.outerjoin(workflow_events, workflow_events.c.id == workflow_status.c.event_id))
            .where(workflow_status.c.branch_id == branch_id, workflow_status.c.year == year)
        ).first()

    def _status_of(self, row, branch_id: str, year: int) -> WorkflowStatus:
        workflow = self._rubric().workflow
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
            exception=bool(row.exception) if row is not None and row.exception is not None else False,
            basis=row.basis if row is not None else None,
        )

    def status_within(self, connection: Connection, branch_id: str, year: int) -> WorkflowStatus:
        """The branch's state for ``year``, read in the caller's transaction."""
        return self._status_of(self._status_row(connection, branch_id, year), branch_id, year)

    def status(self, branch_id: str, year: int) -> WorkflowStatus:
        def work(connection: Connection) -> WorkflowStatus:
            exists = connection.execute(
                sa.select(branches.c.branch_id).where(branches.c.branch_id == branch_id)
            ).first()
            if exists is None:
                raise StoreError(f"支部编号“{branch_id}”不在数据库中")
            return self.status_within(connection, branch_id, year)

        return self._db.read(work)

    def history(self, branch_id: str, year: int) -> list[WorkflowEvent]:
        """Every move of the branch's year, oldest first."""
        query = (
            sa.select(workflow_events)
            .where(workflow_events.c.branch_id == branch_id, workflow_events.c.year == year)
            .order_by(workflow_events.c.id)
        )
        return self._db.read(lambda connection: [WorkflowEvent(**row._asdict()) for row in connection.execute(query)])

    def statuses(self, year: int, status: str | None = None) -> list[tuple[str, str, WorkflowStatus]]:
        """(branch id, name, status) of every branch for ``year``, optionally only those in ``status``."""
        wanted = self.state_id(status) if status is not None else None

        def work(connection: Connection):
            rows = connection.execute(
                sa.select(
                    branches.c.branch_id,
                    branches.c.name,
                    workflow_status,
                    workflow_events.c.exception,
                    workflow_events.c.basis,
                )
                .select_from(
                    branches.outerjoin(
                        workflow_status,
                        sa.and_(workflow_status.c.branch_id == branches.c.branch_id, workflow_status.c.year == year),
                    ).outerjoin(workflow_events, workflow_events.c.id == workflow_status.c.event_id)
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

        return self._db.read(work)

    def allowed_moves(self, branch_id: str, year: int, role: str | None = None) -> list[Move]:
        """The moves the rules define from the branch's current state; ``allowed`` for ``role``."""
        workflow = self._rubric().workflow
        current = self.status(branch_id, year)
        role_id = self.role_id(role) if role is not None else None
        transitions = workflow.moves_from(current.status)
        basis = None
        if any(t.result_requirements for t in transitions):
            basis = self._db.read(lambda connection: self._results.within(connection, branch_id, year))
        moves = []
        for t in transitions:
            labels = tuple(workflow.role(r).label for r in t.roles)
            allowed = role_id is None or role_id in t.roles
            why = "" if allowed else f"只能由{'或'.join(labels)}操作"
            note, supported, exception = "", True, False
            if t.result_requirements:
                short = "还没有已提交的考评结果" if basis is None else basis.shortfalls(t.result_requirements)
                supported = not short
                note = basis.summary() if supported else short
                exception = (
                    not supported
                    and basis is not None
                    and not basis.mixed_versions
                    and (role_id is None or role_id in t.exception_roles)
                    and bool(t.exception_roles)
                )
            moves.append(
                Move(
                    t.to,
                    t.label,
                    workflow.state(t.to).label,
                    t.roles,
                    labels,
                    allowed,
                    why,
                    result_note=note,
                    supported=supported,
                    exception_allowed=exception,
                )
            )
        return moves

    def prepare_results(self, year: int) -> None:
        """Score every branch's recorded result for ``year`` in one run, ahead of a batch of moves (each
        move still reads its own result's inputs in its transaction and scores again if they changed)."""
        self._db.read(lambda connection: self._results.prepare(connection, year))

    # ------------------------------------------------------------------ moving
    def _check_result(
        self, transition, basis: Basis | None, role: str, exception: bool, branch_id: str, year: int
    ) -> bool:
        """Whether the move is an exception (例外); StoreError when the recorded result does not support a
        move that requires it and no exception may be or was asked for."""
        workflow = self._rubric().workflow
        needs = transition.result_requirements
        if not needs:
            if exception:
                raise StoreError(f"“{transition.label}”不以考评结果为依据，无需也不能按例外办理")
            return False
        if basis is None:
            raise StoreError(
                f"“{transition.label}”须以考评结果为依据，但支部 {branch_id} {year}年度还没有已提交的考评结果：请先在考评页提交"
            )
        why = basis.shortfalls(needs)
        if not why:
            if exception:
                raise StoreError(f"考评结果支持“{transition.label}”，无需按例外办理")
            return False
        if basis.mixed_versions or not transition.exception_roles:
            raise StoreError(f"不能“{transition.label}”：{why}")
        allowed = "或".join(workflow.role(r).label for r in transition.exception_roles)
        if not exception:
            raise StoreError(
                f"不能“{transition.label}”：{why}。如确需例外办理，须由{allowed}写明理由、按“例外”提交（将标明“例外”）"
            )
        if role not in transition.exception_roles:
            raise StoreError(f"“{transition.label}”的例外办理只能由{allowed}操作，{workflow.role(role).label}不能操作")
        return True

    def move_within(
        self,
        connection: Connection,
        branch_id: str,
        year: int,
        to: str,
        *,
        role: str,
        actor: str,
        reason: str,
        expected_from: str | None = None,
        exception: bool = False,
    ) -> WorkflowEvent:
        """One move (ids, checked) inside the caller's write transaction, which has locked the branch row."""
        rubric = self._rubric()
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
        if "self_assessment" in transition.requires and not self._self_assessments.submitted_within(
            connection, branch_id, year
        ):
            raise StoreError(f"“{transition.label}”之前须先提交本支部{year}年度的自评结果")
        basis = self._results.within(connection, branch_id, year)
        exception = self._check_result(transition, basis, role, exception, branch_id, year)
        valid_from = valid_until = None
        at = now()
        if target.designation:
            branch = connection.execute(
                sa.select(branches.c.last_election, branches.c.kind).where(branches.c.branch_id == branch_id)
            ).first()
            valid_from = local_date(at)
            valid_until = designation_until(rubric, branch.last_election, branch.kind)
            if valid_until is not None and valid_until < valid_from:
                last = pd.Timestamp(branch.last_election).date().isoformat()
                raise StoreError(
                    f"不能“{transition.label}”：支部 {branch_id} 的本届任期已于 {valid_until.isoformat()} 届满"
                    f"（上次换届 {last}），评定的有效期在评定当天就已结束。"
                    "请先完成换届并更新支部的上次换届日期（001 §四(四)：任期届满应当开展新一轮建设）"
                )
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
            basis=basis.to_json() if basis is not None else None,
            exception=exception,
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
        Database.audit(
            connection,
            "workflow_move",
            actor,
            at,
            branch_id=branch_id,
            year=year,
            detail={
                "from": current.status,
                "to": to,
                "role": role,
                "reason": reason,
                "event_id": event_id,
                "exception": exception,
                "basis": basis.summary() if basis is not None else None,
            },
        )
        return WorkflowEvent(id=event_id, **values)

    def move(
        self,
        branch_id: str,
        year: int,
        to: str,
        *,
        role: str,
        actor: str,
        reason: str,
        expected_from: str | None = None,
        exception: bool = False,
    ) -> WorkflowEvent:
        """Move the branch's year to state ``to`` (id or label) as ``role`` (支部/街道/区委 or id).

        Refused (StoreError, nothing stored) when the rules do not allow it: no such move from the
        current state, a role that may not make it, a missing self-assessment where one is required,
        a recorded result that does not support a move that requires one (unless ``exception`` is asked
        for by a role in the transition's ``exception_roles``: the move is then marked 例外), a
        designation whose term is already over, an empty reason, or — with ``expected_from`` — a state
        that changed meanwhile. The move records the result it rested on (:class:`Basis`).
        """
        to_id = self.state_id(to)
        role_id = self.role_id(role)
        actor = required_text(actor, "操作人")
        reason = required_text(reason, "变更原因")
        from_id = self.state_id(expected_from) if expected_from is not None else None

        def work(connection: Connection) -> WorkflowEvent:
            Database.lock_branch(connection, branch_id)
            return self.move_within(
                connection,
                branch_id,
                year,
                to_id,
                role=role_id,
                actor=actor,
                reason=reason,
                expected_from=from_id,
                exception=exception,
            )

        return self._db.write(work)
