"""Records: branches, imports, activity logs, evaluators' drafts, submitted revisions and the audit log.

A part of the :class:`~assessment.store.Store`, ``store.records`` (:class:`Records`):

.. code-block:: python

    from assessment.store import Store

    with Store() as store:                      # $ASSESSMENT_DATABASE_URL, else data/siping.sqlite
        store.records.import_inputs(inputs, year=2025, evaluator="张三", rubric_version=rubric.version, source="a.xlsx")
        store.records.save_draft("JD001", 2025, "李四", payload, rubric.version)
        store.records.submit("JD001", 2025, "李四", payload, rubric.version)
        inputs, disagreements = store.records.current_inputs(2025, rubric)
        parts = store.records.decided_inputs(2023)   # per rubric version the results were decided with
        store.records.rescore(2023, "2026.2", by="李四", reason="统一口径")  # audited new revisions
        store.records.audit(limit=20)           # newest first

Nothing submitted is ever overwritten: a correction is a new revision that marks the earlier one
superseded, with a reason; every write leaves an audit entry. The revision numbers of one branch are
handed out one writer at a time (:meth:`~assessment.store.database.Database.lock_branch`), without gaps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..inputs.frames import ACTIVITY_COLUMNS, BRANCH_COLUMNS, Inputs
from ..inputs.merge import Disagreement, reconcile
from ..inputs.payload import check_payload, inputs_for, payload_from_inputs
from ..rubric import Rubric, RubricError
from .checks import checked_year, json_copy, required_text
from .database import Database, insert_for, now
from .frames import activity_frame, branch_frame, plain_value, roster_frame
from .model import (
    ANY_VERSION,
    AnyVersion,
    AuditEntry,
    DecidedInputs,
    Draft,
    DraftConflict,
    ImportReport,
    RescoreReport,
    Revision,
    StoreError,
    new_draft_version,
)
from .rubric_versions import RubricVersions
from .schema import (
    SUBMITTED,
    SUPERSEDED,
    activities,
    activity_logs,
    audit_log,
    branch_uploads,
    branches,
    drafts,
    evaluations,
    imports,
)

__all__ = ["KEPT_WHEN_BLANK", "Records", "current_activity_log"]

# Branch columns an import leaves as stored when the workbook has no value for them.
KEPT_WHEN_BLANK = ("kind", "street")


def _revision(row) -> Revision:
    return Revision(
        id=row.id,
        branch_id=row.branch_id,
        year=row.year,
        revision_no=row.revision_no,
        evaluator=row.evaluator,
        created_at=row.created_at,
        rubric_version=row.rubric_version,
        status=row.status,
        reason=row.reason,
        supersedes=row.supersedes,
        payload=row.payload,
    )


def current_activity_log(connection: Connection, year: int, branch_ids: Iterable[str] | None) -> pd.DataFrame:
    """Each branch's (all, or those named) latest activity log of ``year``, as ``Inputs.activities``."""
    latest = (
        sa.select(sa.func.max(activity_logs.c.id))
        .where(activity_logs.c.year == year)
        .group_by(activity_logs.c.branch_id)
        .scalar_subquery()
    )
    query = (
        sa.select(
            activity_logs.c.branch_id,
            *(activities.c[name] for name in ACTIVITY_COLUMNS if name != "branch_id"),
        )
        .join(activity_logs, activities.c.log_id == activity_logs.c.id)
        .where(activity_logs.c.id.in_(latest))
        .order_by(activity_logs.c.branch_id, activities.c.id)
    )
    if branch_ids is not None:
        query = query.where(activity_logs.c.branch_id.in_(list(branch_ids)))
    return activity_frame(row._asdict() for row in connection.execute(query))


def current_rosters(connection: Connection, year: int, branch_ids: Iterable[str] | None) -> pd.DataFrame:
    """Each branch's (all, or those named) latest uploaded 党员名册 of ``year``, as ``Inputs.roster`` (the
    per-member rules, such as 谈心谈话 for every member, read it); empty where none was uploaded."""
    latest = (
        sa.select(sa.func.max(branch_uploads.c.id))
        .where(branch_uploads.c.year == year, branch_uploads.c.kind == "roster")
        .group_by(branch_uploads.c.branch_id)
        .scalar_subquery()
    )
    query = sa.select(branch_uploads.c.rows).where(branch_uploads.c.id.in_(latest)).order_by(branch_uploads.c.branch_id)
    if branch_ids is not None:
        query = query.where(branch_uploads.c.branch_id.in_(list(branch_ids)))
    return roster_frame([row for (rows,) in connection.execute(query) for row in rows])


def _add_revision(
    connection: Connection,
    *,
    branch_id: str,
    year: int,
    evaluator: str,
    payload: dict[str, Any],
    rubric_version: str,
    reason: str | None,
    actor: str,
    at: dt.datetime,
    import_id: int | None = None,
) -> Revision:
    """Number and insert one submitted revision, superseding the evaluator's current one (which needs
    ``reason``). An import's reason (“重新导入 …”) is kept only where it corrects something."""
    e = evaluations.c
    current = connection.execute(
        sa.select(e.id, e.revision_no).where(
            e.branch_id == branch_id, e.year == year, e.evaluator == evaluator, e.status == SUBMITTED
        )
    ).first()
    if current is not None:
        if not reason:
            raise StoreError(
                f"{evaluator} 已提交过支部 {branch_id} {year}年度的考评（第{current.revision_no}次修订），"
                "再次提交即为更正，请填写更正原因"
            )
        connection.execute(evaluations.update().where(e.id == current.id).values(status=SUPERSEDED))
    elif import_id is not None:
        reason = None
    number = connection.execute(
        sa.select(sa.func.coalesce(sa.func.max(e.revision_no), 0)).where(e.branch_id == branch_id, e.year == year)
    ).scalar_one()
    values = {
        "branch_id": branch_id,
        "year": year,
        "evaluator": evaluator,
        "revision_no": number + 1,
        "rubric_version": rubric_version,
        "status": SUBMITTED,
        "payload": payload,
        "reason": reason,
        "created_at": at,
        "created_by": actor,
        "supersedes": None if current is None else current.id,
        "import_id": import_id,
    }
    revision_id = connection.execute(evaluations.insert().values(**values)).inserted_primary_key[0]
    detail = {"revision_no": number + 1, "evaluator": evaluator, "rubric_version": rubric_version}
    if current is not None:
        detail.update(supersedes=current.id, supersedes_revision_no=current.revision_no, reason=reason)
    if import_id is not None:
        detail["import_id"] = import_id
    Database.audit(
        connection,
        "correct" if current is not None else "submit",
        actor,
        at,
        branch_id=branch_id,
        year=year,
        revision_id=revision_id,
        detail=detail,
    )
    return _revision(SimpleNamespace(id=revision_id, **values))


def _draft_within(connection: Connection, branch_id: str, year: int, evaluator: str) -> Draft | None:
    row = connection.execute(
        sa.select(drafts).where(drafts.c.branch_id == branch_id, drafts.c.year == year, drafts.c.evaluator == evaluator)
    ).first()
    if row is None:
        return None
    return Draft(
        row.branch_id,
        row.year,
        row.evaluator,
        row.payload,
        row.rubric_version,
        row.updated_at,
        row.status,
        version=row.version,
    )


def _check_draft_version(
    connection: Connection, branch_id: str, year: int, evaluator: str, expected: str | None | AnyVersion
) -> None:
    """Refuse (DraftConflict) unless the stored draft is the one the caller saw (compare, then the
    caller's write, in one transaction that holds the branch)."""
    if isinstance(expected, AnyVersion):
        return
    current = _draft_within(connection, branch_id, year, evaluator)
    if (current.version if current is not None else None) != expected:
        raise DraftConflict(current)


class Records:
    """The records of one database; ``rubrics`` says which rubric a submission is checked against
    (a method's ``rubric_version`` may be a :class:`~assessment.rubric.Rubric`, or any stored version)."""

    def __init__(self, db: Database, rubrics: RubricVersions):
        self._db = db
        self._rubrics = rubrics

    # ------------------------------------------------------------------ import
    def import_inputs(
        self, inputs: Inputs, *, year: int, evaluator: str, rubric_version: str | Rubric, source: str
    ) -> ImportReport:
        """Store a read workbook in one transaction: the branches (upserted), the activity log of each
        branch for ``year`` (a new import; older ones are kept), and one submitted revision per branch
        with evaluation data. A branch this evaluator had already submitted gets a correction with
        the reason “重新导入 <source>”. Refuses (StoreError, nothing stored) if any payload has problems.
        """
        year = checked_year(year)
        evaluator = required_text(evaluator, "评估人")
        source = required_text(source, "导入来源")
        rubric = self._rubrics.rubric_for(rubric_version)
        version = rubric.version

        branch_rows = sorted(
            # .get: frames built in code may leave out the optional columns (所属街道 …).
            ({key: plain_value(row.get(key)) for key in BRANCH_COLUMNS} for _, row in inputs.branches.iterrows()),
            key=lambda row: row["branch_id"],
        )
        for row in branch_rows:
            row["branch_id"] = required_text(row["branch_id"], "支部编号")
            row["name"] = required_text(row["name"], f"支部 {row['branch_id']} 的名称")
        known_here = {row["branch_id"] for row in branch_rows}

        activity_rows = [
            {key: plain_value(row[key]) for key in ACTIVITY_COLUMNS} for _, row in inputs.activities.iterrows()
        ]
        outside_year = sum(1 for row in activity_rows if row["date"] is None or row["date"].year != year)
        # The workbook's log is the whole picture for its branches: each gets a new log (possibly
        # empty). A workbook without any activity row leaves the stored logs as they are.
        log_branches = sorted(known_here | {row["branch_id"] for row in activity_rows}) if activity_rows else []

        with_data: set[str] = set()
        for frame in (inputs.org, inputs.member, inputs.public, inputs.social):
            with_data.update(str(b) for b in frame["branch_id"].dropna())
        payloads: dict[str, dict] = {}
        problems: list[str] = []
        for branch_id in sorted(with_data):
            payload = json_copy(payload_from_inputs(inputs, branch_id, rubric), f"支部 {branch_id} 的考评内容")
            found = check_payload(payload, rubric)
            problems.extend(f"支部 {branch_id}：{problem}" for problem in found)
            payloads[branch_id] = payload
        if problems:
            raise StoreError("导入的考评内容有误，未保存任何数据：\n" + "\n".join(f"  {p}" for p in problems))

        def work(connection: Connection) -> ImportReport:
            at = now()
            self._rubrics.check_stored(connection, rubric, at)
            existing = set(connection.execute(sa.select(branches.c.branch_id)).scalars())
            missing = sorted((set(log_branches) | set(payloads)) - known_here - existing)
            if missing:
                raise StoreError(f"以下支部不在工作表“支部”中，也不在数据库中：{'、'.join(missing)}")
            if branch_rows:
                insert = insert_for(connection)(branches)
                updated = {key: insert.excluded[key] for key in (*BRANCH_COLUMNS, "updated_at", "updated_by")}
                del updated["branch_id"]
                # 所属街道 and 支部类型 left out of the workbook, or blank, keep what is stored: they are often
                # filled once and dropped from later workbooks. (A blank 党小组数 means 0, as the template says.)
                for key in KEPT_WHEN_BLANK:
                    updated[key] = sa.func.coalesce(insert.excluded[key], branches.c[key])
                connection.execute(
                    insert.on_conflict_do_update(index_elements=["branch_id"], set_=updated),
                    [{**row, "updated_at": at, "updated_by": evaluator} for row in branch_rows],
                )
            import_id = connection.execute(
                imports.insert().values(at=at, actor=evaluator, source=source, year=year, rubric_version=version)
            ).inserted_primary_key[0]
            log_ids = {}
            for branch_id in log_branches:
                log_ids[branch_id] = connection.execute(
                    activity_logs.insert().values(import_id=import_id, branch_id=branch_id, year=year)
                ).inserted_primary_key[0]
            if activity_rows:
                connection.execute(
                    activities.insert(),
                    [
                        {"log_id": log_ids[row["branch_id"]], **{k: v for k, v in row.items() if k != "branch_id"}}
                        for row in activity_rows
                    ],
                )
            revisions = tuple(
                _add_revision(
                    connection,
                    branch_id=branch_id,
                    year=year,
                    evaluator=evaluator,
                    payload=payload,
                    rubric_version=version,
                    reason=f"重新导入 {source}",
                    actor=evaluator,
                    at=at,
                    import_id=import_id,
                )
                for branch_id, payload in payloads.items()
            )
            report = ImportReport(
                import_id=import_id,
                year=year,
                evaluator=evaluator,
                source=source,
                rubric_version=version,
                branches=len(branch_rows),
                new_branches=len(known_here - existing),
                activity_logs=len(log_branches),
                activity_rows=len(activity_rows),
                activity_rows_outside_year=outside_year,
                revisions=revisions,
            )
            Database.audit(
                connection,
                "import",
                evaluator,
                at,
                year=year,
                detail={
                    "import_id": import_id,
                    "source": source,
                    "rubric_version": version,
                    "branches": report.branches,
                    "new_branches": report.new_branches,
                    "activity_logs": report.activity_logs,
                    "activity_rows": report.activity_rows,
                    "revisions": len(revisions),
                    "corrections": report.corrections,
                },
            )
            return report

        return self._db.write(work)

    # ------------------------------------------------------------------ master data and logs
    def branches(self) -> pd.DataFrame:
        """All branches, as ``Inputs.branches``, ordered by branch id."""
        columns = [branches.c[name] for name in BRANCH_COLUMNS]
        rows = self._db.read(
            lambda c: [row._asdict() for row in c.execute(sa.select(*columns).order_by(branches.c.branch_id))]
        )
        return branch_frame(rows)

    def _branch_and_log_frames(
        self, year: int, branch_ids: list[str] | None
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        def work(connection: Connection):
            columns = [branches.c[name] for name in BRANCH_COLUMNS]
            query = sa.select(*columns).order_by(branches.c.branch_id)
            if branch_ids is not None:
                query = query.where(branches.c.branch_id.in_(branch_ids))
            rows = [row._asdict() for row in connection.execute(query)]
            return (
                branch_frame(rows),
                current_activity_log(connection, year, branch_ids),
                current_rosters(connection, year, branch_ids),
            )

        return self._db.read(work)

    def branch_inputs(self, year: int, branch_ids: list[str] | None = None) -> Inputs:
        """Branches (all, or those named) with their current activity log of ``year`` and the rosters they
        uploaded; the evaluation frames are empty, with the store rubric's columns."""
        frame, log, rosters = self._branch_and_log_frames(
            checked_year(year), None if branch_ids is None else list(branch_ids)
        )
        inputs = inputs_for(frame, log, {}, self._rubrics.rubric)
        inputs.roster = rosters
        return inputs

    def years(self) -> list[int]:
        """Years with an activity log or a submitted evaluation, ascending."""

        def work(connection: Connection) -> list[int]:
            query = sa.union(sa.select(activity_logs.c.year), sa.select(evaluations.c.year))
            return sorted(connection.execute(query).scalars())

        return self._db.read(work)

    def submitted_streets(self) -> dict[int, set[str | None]]:
        """For each year with a submitted (current) evaluation: the 所属街道 of the branches submitted
        (None for a branch without one). Empty when nothing has been submitted yet."""

        def work(connection: Connection) -> dict[int, set[str | None]]:
            query = (
                sa.select(evaluations.c.year, branches.c.street)
                .select_from(evaluations.join(branches, evaluations.c.branch_id == branches.c.branch_id))
                .where(evaluations.c.status == SUBMITTED)
                .distinct()
            )
            found: dict[int, set[str | None]] = {}
            for year, street in connection.execute(query):
                text = street.strip() if isinstance(street, str) else None
                found.setdefault(int(year), set()).add(text or None)
            return dict(sorted(found.items()))

        return self._db.read(work)

    # ------------------------------------------------------------------ drafts
    def save_draft(
        self,
        branch_id: str,
        year: int,
        evaluator: str,
        payload: dict[str, Any],
        rubric_version: str | Rubric,
        *,
        expected: str | None | AnyVersion = ANY_VERSION,
    ) -> Draft:
        """Keep an evaluator's form as it is (wrong values included), over their previous draft.

        ``expected``: the version of the draft the caller last saw (None: it saw none). If what is stored
        is not that (another window of the same evaluator saved, discarded or submitted since), nothing is
        written and :class:`DraftConflict` says when it changed: no window overwrites another unseen.
        The default writes over whatever is stored."""
        year = checked_year(year)
        evaluator = required_text(evaluator, "评估人")
        version = (
            rubric_version.version
            if isinstance(rubric_version, Rubric)
            else required_text(rubric_version, "评分标准版本")
        )
        payload = json_copy(payload, "草稿")

        def work(connection: Connection) -> Draft:
            Database.lock_branch(connection, branch_id)  # (SQLite: the write lock) before the version is read
            _check_draft_version(connection, branch_id, year, evaluator, expected)
            at = now()
            token = new_draft_version()
            insert = insert_for(connection)(drafts).values(
                branch_id=branch_id,
                year=year,
                evaluator=evaluator,
                payload=payload,
                rubric_version=version,
                updated_at=at,
                version=token,
            )
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["branch_id", "year", "evaluator"],
                    set_={
                        "payload": insert.excluded.payload,
                        "rubric_version": version,
                        "updated_at": at,
                        "version": token,
                    },
                )
            )
            return Draft(branch_id, year, evaluator, payload, version, at, version=token)

        return self._db.write(work)

    def load_draft(self, branch_id: str, year: int, evaluator: str) -> Draft | None:
        return self._db.read(lambda connection: _draft_within(connection, branch_id, year, evaluator))

    def discard_draft(
        self, branch_id: str, year: int, evaluator: str, *, expected: str | None | AnyVersion = ANY_VERSION
    ) -> None:
        """Delete the evaluator's draft (if any) and note it in the audit log; with ``expected``, only the
        version the caller saw (else :class:`DraftConflict`, nothing deleted)."""

        def work(connection: Connection) -> None:
            if not isinstance(expected, AnyVersion):
                Database.lock_branch(connection, branch_id)
                _check_draft_version(connection, branch_id, year, evaluator, expected)
            deleted = connection.execute(
                drafts.delete().where(
                    drafts.c.branch_id == branch_id, drafts.c.year == year, drafts.c.evaluator == evaluator
                )
            ).rowcount
            if deleted:
                Database.audit(connection, "draft_discard", evaluator, now(), branch_id=branch_id, year=year)

        self._db.write(work)

    # ------------------------------------------------------------------ submissions
    def submit(
        self,
        branch_id: str,
        year: int,
        evaluator: str,
        payload: dict[str, Any],
        rubric_version: str | Rubric,
        *,
        reason: str | None = None,
        expected_draft: str | None | AnyVersion = ANY_VERSION,
    ) -> Revision:
        """Store a new revision. If this evaluator already submitted for this branch and year, it is a
        correction: ``reason`` is required and the earlier revision becomes superseded (nothing else in it
        changes). Refuses a payload with problems (StoreError lists them) and an unknown branch. The
        evaluator's draft for this branch and year is deleted; with ``expected_draft`` (the version the
        caller last saw, None: none) only if it is still that one (else :class:`DraftConflict`: another
        window saved a newer draft, which a submission must not silently drop)."""
        year = checked_year(year)
        evaluator = required_text(evaluator, "评估人")
        rubric = self._rubrics.rubric_for(rubric_version)
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
        payload = json_copy(payload, "考评内容")
        problems = check_payload(payload, rubric)
        if problems:
            raise StoreError(
                f"考评内容有 {len(problems)} 处问题，未提交：\n" + "\n".join(f"  {problem}" for problem in problems)
            )

        def work(connection: Connection) -> Revision:
            self._rubrics.check_stored(connection, rubric, now())
            Database.lock_branch(connection, branch_id)
            _check_draft_version(connection, branch_id, year, evaluator, expected_draft)
            revision = _add_revision(
                connection,
                branch_id=branch_id,
                year=year,
                evaluator=evaluator,
                payload=payload,
                rubric_version=rubric.version,
                reason=reason,
                actor=evaluator,
                at=now(),
            )
            connection.execute(
                drafts.delete().where(
                    drafts.c.branch_id == branch_id, drafts.c.year == year, drafts.c.evaluator == evaluator
                )
            )
            return revision

        return self._db.write(work)

    def revisions(self, branch_id: str | None = None, year: int | None = None) -> list[Revision]:
        """Every revision (submitted and superseded), oldest first."""
        query = sa.select(evaluations).order_by(evaluations.c.id)
        if branch_id is not None:
            query = query.where(evaluations.c.branch_id == branch_id)
        if year is not None:
            query = query.where(evaluations.c.year == year)
        return self._db.read(lambda c: [_revision(row) for row in c.execute(query)])

    def current_submissions(self, branch_id: str, year: int) -> dict[str, Revision]:
        """Each evaluator's current (latest, not superseded) revision, in the order they first count."""
        query = (
            sa.select(evaluations)
            .where(evaluations.c.branch_id == branch_id, evaluations.c.year == year, evaluations.c.status == SUBMITTED)
            .order_by(evaluations.c.revision_no)
        )
        return self._db.read(lambda c: {row.evaluator: _revision(row) for row in c.execute(query)})

    def current_inputs(self, year: int, rubric: Rubric) -> tuple[Inputs, dict[str, list[Disagreement]]]:
        """What to score for ``year``: all branches, their current activity logs and, per branch, the
        reconciled current submissions of its evaluators. Also the disagreements found per branch
        (a key for every branch with a submission; an empty list where the evaluators agree)."""
        year = checked_year(year)

        def work(connection: Connection):
            columns = [branches.c[name] for name in BRANCH_COLUMNS]
            rows = [row._asdict() for row in connection.execute(sa.select(*columns).order_by(branches.c.branch_id))]
            log = current_activity_log(connection, year, None)
            rosters = current_rosters(connection, year, None)
            submitted = connection.execute(
                sa.select(evaluations.c.branch_id, evaluations.c.evaluator, evaluations.c.payload)
                .where(evaluations.c.year == year, evaluations.c.status == SUBMITTED)
                .order_by(evaluations.c.branch_id, evaluations.c.revision_no)
            ).all()
            return branch_frame(rows), log, rosters, submitted

        frame, log, rosters, submitted = self._db.read(work)
        grouped: dict[str, dict[str, dict]] = {}
        for row in submitted:
            grouped.setdefault(row.branch_id, {})[row.evaluator] = row.payload
        payloads: dict[str, dict] = {}
        disagreements: dict[str, list[Disagreement]] = {}
        for branch_id, by_evaluator in grouped.items():
            if len(by_evaluator) == 1:  # what reconcile returns for one evaluator, without parsing it
                payloads[branch_id], disagreements[branch_id] = next(iter(by_evaluator.values())), []
            else:
                payloads[branch_id], disagreements[branch_id] = reconcile(by_evaluator, rubric)
        inputs = inputs_for(frame, log, payloads, rubric)
        inputs.roster = rosters  # the branches' uploaded 党员名册: 谈心谈话 is checked member by member
        return inputs, disagreements

    def decided_inputs(self, year: int, branch_ids: Iterable[str] | None = None) -> list[DecidedInputs]:
        """What to score for ``year`` as it was decided: the branches (all, or those named) grouped by the
        rubric version their current submissions name, each group's inputs reconciled and read with that
        version (:meth:`RubricVersions.stored <.rubric_versions.RubricVersions.stored>`, parsed once per
        version). The year's main group comes first.

        A branch is decided with the version of its latest current submission (evaluators who submitted under other versions are reconciled under it, and
        :attr:`DecidedInputs.mixed` names their versions). A branch without a submission has nothing
        decided: it goes with the version most of the year's branches were decided with (on a tie, the
        one of the year's latest submission), or the store's rubric when the year has no submission.
        Scoring old submissions with another version is a what-if, or a stored re-scoring
        (:meth:`rescore`) — never a switch of the current version.
        """
        year = checked_year(year)
        wanted = None if branch_ids is None else list(branch_ids)

        def work(connection: Connection):
            columns = [branches.c[name] for name in BRANCH_COLUMNS]
            query = sa.select(*columns).order_by(branches.c.branch_id)
            submitted_query = (
                sa.select(
                    evaluations.c.id,
                    evaluations.c.branch_id,
                    evaluations.c.evaluator,
                    evaluations.c.payload,
                    evaluations.c.rubric_version,
                )
                .where(evaluations.c.year == year, evaluations.c.status == SUBMITTED)
                .order_by(evaluations.c.branch_id, evaluations.c.revision_no)
            )
            if wanted is not None:
                query = query.where(branches.c.branch_id.in_(wanted))
                submitted_query = submitted_query.where(evaluations.c.branch_id.in_(wanted))
            rows = [row._asdict() for row in connection.execute(query)]
            return (
                branch_frame(rows),
                current_activity_log(connection, year, wanted),
                current_rosters(connection, year, wanted),
                connection.execute(submitted_query).all(),
            )

        frame, log, rosters, submitted = self._db.read(work)
        grouped: dict[str, dict[str, Any]] = {}  # branch → evaluator → row (latest revision last)
        for row in submitted:
            grouped.setdefault(row.branch_id, {})[row.evaluator] = row
        decided = {
            branch: max(by_evaluator.values(), key=lambda row: row.id).rubric_version
            for branch, by_evaluator in grouped.items()
        }
        fallback = self._rubrics.rubric
        if decided:
            counts: dict[str, int] = {}
            for version in decided.values():
                counts[version] = counts.get(version, 0) + 1
            latest = max(submitted, key=lambda row: row.id).rubric_version
            main = max(counts, key=lambda version: (counts[version], version == latest))
        else:
            main = fallback.version
        rubrics: dict[str, Rubric] = {}
        substituted: dict[str, str] = {}  # branch → its decided version, where that one cannot be read
        version_of: dict[str, str] = {}
        for branch in (str(b) for b in frame["branch_id"]):
            version = decided.get(branch, main)
            if version not in rubrics:
                rubrics[version] = self._usable(version) or fallback
            if rubrics[version].version != version:
                substituted[branch] = version
            version_of[branch] = rubrics[version].version
        used_main = (rubrics.get(main) or self._usable(main) or fallback).version
        by_version = {rubric.version: rubric for rubric in rubrics.values()}
        by_version.setdefault(used_main, self._usable(used_main) or fallback)
        parts = []
        for version in [used_main, *sorted(set(version_of.values()) - {used_main})]:
            rubric = by_version[version]
            ids = [branch for branch, v in version_of.items() if v == version]
            payloads: dict[str, dict] = {}
            disagreements: dict[str, list[Disagreement]] = {}
            mixed: dict[str, tuple[str, ...]] = {}
            for branch_id in ids:
                by_evaluator = grouped.get(branch_id)
                if not by_evaluator:
                    continue
                versions = tuple(sorted({row.rubric_version for row in by_evaluator.values()}))
                if len(versions) > 1:
                    mixed[branch_id] = versions
                if len(by_evaluator) == 1:
                    payloads[branch_id], disagreements[branch_id] = next(iter(by_evaluator.values())).payload, []
                else:
                    payloads[branch_id], disagreements[branch_id] = reconcile(
                        {who: row.payload for who, row in by_evaluator.items()}, rubric
                    )
            keep = frame["branch_id"].astype(str).isin(ids).to_numpy()
            part_log = log[log["branch_id"].astype(str).isin(ids).to_numpy()].reset_index(drop=True)
            inputs = inputs_for(frame[keep].reset_index(drop=True), part_log, payloads, rubric)
            # the branches' uploaded 党员名册: 谈心谈话 is checked member by member
            inputs.roster = rosters[rosters["branch_id"].astype(str).isin(ids).to_numpy()].reset_index(drop=True)
            parts.append(
                DecidedInputs(
                    rubric,
                    inputs,
                    disagreements,
                    tuple(ids),
                    mixed,
                    {b: substituted[b] for b in ids if b in substituted},
                    version == used_main,
                )
            )
        return parts

    def _usable(self, version: str) -> Rubric | None:
        """The stored version ``version``, or None where it cannot be had: not stored (results from
        before versions were stored) or no longer readable by this program."""
        try:
            return self._rubrics.stored(version)
        except (StoreError, RubricError):
            return None

    def rescore(
        self,
        year: int,
        rubric_version: str,
        *,
        by: str,
        reason: str,
        branch_ids: Iterable[str] | None = None,
    ) -> RescoreReport:
        """Store the year's current submissions (all branches', or those named) again, unchanged, under the
        stored version ``rubric_version``: for each evaluator's current revision made under another version,
        a new revision (a correction by ``by``, with the reason “按评分标准版本 X 重新评定：<reason>”) that
        supersedes it. One audit entry ``rescore`` names who, why, the version and the revisions.

        The explicit way to decide an old year anew with a newer version (switching the current version
        never does it). Refused (StoreError, nothing stored) without a reason, for a version not stored,
        when nothing would change, or when a submission does not pass the version's checks (each listed).
        """
        year = checked_year(year)
        by = required_text(by, "操作人")
        reason = required_text(reason, "重新评定的原因")
        version = required_text(rubric_version, "评分标准版本")
        rubric = self._rubrics.stored(version)
        wanted = None if branch_ids is None else sorted({str(b) for b in branch_ids})
        if wanted is not None:
            known = set(self._db.read(lambda c: list(c.execute(sa.select(branches.c.branch_id)).scalars())))
            unknown = [b for b in wanted if b not in known]
            if unknown:
                raise StoreError(f"数据库中没有支部：{'、'.join(unknown)}")
        note = f"按评分标准版本 {version} 重新评定：{reason}"

        def current(connection: Connection) -> list:
            query = (
                sa.select(evaluations)
                .where(evaluations.c.year == year, evaluations.c.status == SUBMITTED)
                .order_by(evaluations.c.branch_id, evaluations.c.revision_no)
            )
            if wanted is not None:
                query = query.where(evaluations.c.branch_id.in_(wanted))
            return [_revision(row) for row in connection.execute(query)]

        def check(revisions: list[Revision]) -> list[Revision]:
            changing = [r for r in revisions if r.rubric_version != version]
            if not changing:
                which = f"支部 {'、'.join(wanted)} " if wanted is not None else ""
                raise StoreError(
                    f"{which}{year}年度没有需要重新评定的考评提交（当前的提交都已按版本 {version} 评定，或还没有提交）"
                    if revisions
                    else f"{which}{year}年度还没有考评提交，无需重新评定"
                )
            problems = [
                f"支部 {r.branch_id}（{r.evaluator}，第{r.revision_no}次修订）：{problem}"
                for r in changing
                for problem in check_payload(r.payload, rubric)
            ]
            if problems:
                raise StoreError(
                    f"有 {len(problems)} 处考评内容不符合评分标准版本 {version}，未重新评定：\n"
                    + "\n".join(f"  {p}" for p in problems)
                )
            return changing

        check(self._db.read(current))  # refuse early, before taking any lock

        def work(connection: Connection) -> RescoreReport:
            at = now()
            self._rubrics.check_stored(connection, rubric, at)
            changing = check(current(connection))
            for branch_id in sorted({r.branch_id for r in changing}):
                Database.lock_branch(connection, branch_id)
            changing = check(current(connection))  # as it stands under the locks
            added = tuple(
                _add_revision(
                    connection,
                    branch_id=r.branch_id,
                    year=year,
                    evaluator=r.evaluator,
                    payload=r.payload,
                    rubric_version=version,
                    reason=note,
                    actor=by,
                    at=at,
                )
                for r in changing
            )
            replaced = {r.id: r.rubric_version for r in changing}
            Database.audit(
                connection,
                "rescore",
                by,
                at,
                year=year,
                detail={
                    "rubric_version": version,
                    "reason": reason,
                    "branches": sorted({r.branch_id for r in changing}),
                    "revisions": [
                        {"id": new.id, "supersedes": new.supersedes, "from": replaced[new.supersedes]} for new in added
                    ],
                },
            )
            return RescoreReport(year, version, by, reason, added, tuple(replaced.values()))

        return self._db.write(work)

    # ------------------------------------------------------------------ audit
    def audit(self, limit: int | None = None) -> list[AuditEntry]:
        """Audit entries, newest first (at most ``limit``)."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return self._db.read(lambda c: [AuditEntry(**row._asdict()) for row in c.execute(query)])
