"""Records: branches, imports, activity logs, evaluators' drafts, submitted revisions and the audit log.

A part of the :class:`~assessment.store.Store`, ``store.records`` (:class:`Records`):

.. code-block:: python

    from assessment.store import Store

    with Store() as store:                      # $ASSESSMENT_DATABASE_URL, else data/siping.sqlite
        store.records.import_inputs(inputs, year=2025, evaluator="张三", rubric_version=rubric.version, source="a.xlsx")
        store.records.save_draft("JD001", 2025, "李四", payload, rubric.version)
        store.records.submit("JD001", 2025, "李四", payload, rubric.version)
        inputs, disagreements = store.records.current_inputs(2025, rubric)
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
from ..rubric import Rubric
from .checks import checked_year, json_copy, required_text
from .database import Database, insert_for, now
from .frames import activity_frame, branch_frame, plain_value, roster_frame
from .model import AuditEntry, Draft, ImportReport, Revision, StoreError
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

    # ------------------------------------------------------------------ drafts
    def save_draft(
        self, branch_id: str, year: int, evaluator: str, payload: dict[str, Any], rubric_version: str | Rubric
    ) -> Draft:
        """Keep an evaluator's form as it is (wrong values included); overwrites their previous draft."""
        year = checked_year(year)
        evaluator = required_text(evaluator, "评估人")
        version = (
            rubric_version.version
            if isinstance(rubric_version, Rubric)
            else required_text(rubric_version, "评分标准版本")
        )
        payload = json_copy(payload, "草稿")

        def work(connection: Connection) -> Draft:
            Database.lock_branch(connection, branch_id)
            at = now()
            insert = insert_for(connection)(drafts).values(
                branch_id=branch_id,
                year=year,
                evaluator=evaluator,
                payload=payload,
                rubric_version=version,
                updated_at=at,
            )
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["branch_id", "year", "evaluator"],
                    set_={"payload": insert.excluded.payload, "rubric_version": version, "updated_at": at},
                )
            )
            return Draft(branch_id, year, evaluator, payload, version, at)

        return self._db.write(work)

    def load_draft(self, branch_id: str, year: int, evaluator: str) -> Draft | None:
        def work(connection: Connection) -> Draft | None:
            row = connection.execute(
                sa.select(drafts).where(
                    drafts.c.branch_id == branch_id, drafts.c.year == year, drafts.c.evaluator == evaluator
                )
            ).first()
            if row is None:
                return None
            return Draft(
                row.branch_id, row.year, row.evaluator, row.payload, row.rubric_version, row.updated_at, row.status
            )

        return self._db.read(work)

    def discard_draft(self, branch_id: str, year: int, evaluator: str) -> None:
        """Delete the evaluator's draft (if any) and note it in the audit log."""

        def work(connection: Connection) -> None:
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
    ) -> Revision:
        """Store a new revision. If this evaluator already submitted for this branch and year, it is a
        correction: ``reason`` is required and the earlier revision becomes superseded (nothing else in it
        changes). Refuses a payload with problems (StoreError lists them) and an unknown branch. The
        evaluator's draft for this branch and year is deleted."""
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

    # ------------------------------------------------------------------ audit
    def audit(self, limit: int | None = None) -> list[AuditEntry]:
        """Audit entries, newest first (at most ``limit``)."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return self._db.read(lambda c: [AuditEntry(**row._asdict()) for row in c.execute(query)])
