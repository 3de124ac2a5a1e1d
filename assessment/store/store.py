"""The store: branches, activity logs, drafts, submitted revisions and the audit log in one database.

One :class:`Store` per process (a Voila kernel, a CLI run) is enough; it keeps a small connection
pool. Every write is one transaction. Writers that may clash — two imports, two evaluators submitting
for one branch — are made to take turns: the transaction locks the branch row (PostgreSQL) or the
whole database (SQLite, ``BEGIN IMMEDIATE``) before it numbers a revision, and a clash that gets
through anyway (a unique-constraint conflict, a serialization failure, a deadlock, a busy SQLite
file) makes the whole transaction run again.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import time
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any, Self, TypeVar

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..inputs.frames import ACTIVITY_COLUMNS, BRANCH_COLUMNS, Inputs
from ..inputs.merge import Disagreement, reconcile
from ..inputs.payload import check_payload, inputs_for, payload_from_inputs
from ..rubric import Rubric
from . import migrate
from .engine import make_engine, resolve_url, shown
from .model import AuditEntry, Draft, ImportReport, Revision, StoreError
from .rubrics import RubricMixin
from .schema import (
    AUDIT_ACTIONS,
    SUBMITTED,
    SUPERSEDED,
    activities,
    activity_logs,
    audit_log,
    branches,
    drafts,
    evaluations,
    imports,
)
from .workflow import WorkflowMixin

T = TypeVar("T")

MAX_ATTEMPTS = 8
_INT_COLUMNS = ("full_members", "probationary_members", "committee_size", "party_groups")
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock
_RETRY_CONSTRAINTS = ("uq_evaluations_branch_id_year_revision_no", "ix_evaluations_one_submitted")
_SQLITE_RETRY = ("database is locked", "evaluations.branch_id, evaluations.year, evaluations.")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _plain(value: Any) -> Any:
    """A pandas/numpy cell as a plain Python value for the database (NA → None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value


def _json_copy(payload: Any, what: str) -> Any:
    """The payload as the database will give it back (tuples → lists …); refuse what JSON cannot hold."""
    try:
        return json.loads(json.dumps(payload, ensure_ascii=False, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise StoreError(f"{what}无法保存：内容中有不能保存为 JSON 的值（{error}）") from None


def _text(value: Any, label: str) -> str:
    text = str(value).strip() if value is not None else ""
    if not text:
        raise StoreError(f"{label}不能为空")
    return text


def _year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise StoreError(f"年度应为整数，如 2025，实际为“{value}”")
    return value


def _retryable(error: sa.exc.DBAPIError) -> bool:
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate in _RETRY_SQLSTATES:
        return True
    if sqlstate == "23505":  # unique violation: only the ones a concurrent writer can cause
        constraint = getattr(getattr(original, "diag", None), "constraint_name", None) or ""
        return constraint in _RETRY_CONSTRAINTS
    message = str(original)
    return any(part in message for part in _SQLITE_RETRY)


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


def _insert(connection: Connection):
    """The dialect's INSERT that knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


# Branch columns an import leaves as stored when the workbook has no value for them.
KEPT_WHEN_BLANK = ("kind", "street")


def branch_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """Branch rows as ``Inputs.branches`` (same columns and dtypes as the workbook reader gives)."""
    frame = pd.DataFrame(list(rows), columns=list(BRANCH_COLUMNS))
    frame = frame.astype(
        {"branch_id": "str", "name": "str", "kind": "str", "street": "str", **dict.fromkeys(_INT_COLUMNS, "Int64")}
    )
    frame["last_election"] = pd.to_datetime(frame["last_election"]).astype("datetime64[ns]")
    return frame.reset_index(drop=True)


def activity_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """Activity rows as ``Inputs.activities``."""
    frame = pd.DataFrame(list(rows), columns=list(ACTIVITY_COLUMNS))
    frame = frame.astype({"branch_id": "str", "type": "str", "expected": "Int64", "attended": "Int64"})
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["has_record"] = frame["has_record"].astype("boolean")
    return frame.reset_index(drop=True)


class Store(WorkflowMixin, RubricMixin):
    """The database of one street (or district): ``Store()`` opens ``$ASSESSMENT_DATABASE_URL`` or the
    default SQLite file, creating or upgrading its schema first.

    ``rubric`` is the rubric submissions are checked against (default: the database's current rubric
    version, :meth:`current_rubric`); a method's ``rubric_version`` may also be a
    :class:`~assessment.rubric.Rubric` to check against, or the number of any stored version.
    """

    def __init__(self, url: str | None = None, *, rubric: Rubric | None = None):
        try:
            self.url = resolve_url(url)
        except sa.exc.ArgumentError:
            raise StoreError(
                f"数据库地址无效：“{url}”（例：sqlite:///data/siping.sqlite 或 postgresql://用户@主机/库名）"
            ) from None
        self._rubric = rubric
        self._rubric_given = rubric is not None
        try:
            self._engine = make_engine(self.url)
        except (sa.exc.ArgumentError, ImportError) as error:
            raise StoreError(f"数据库地址无效：{shown(self.url)}（{error}）") from None
        try:
            self.schema_upgraded = self._upgrade_schema()
        except migrate.SchemaTooNew as error:
            self._engine.dispose()
            raise StoreError(
                f"数据库 {shown(self.url)} 的结构版本（{error.revision}）比本程序新，请先升级本程序再打开"
            ) from None
        except sa.exc.DBAPIError as error:
            self._engine.dispose()
            raise StoreError(f"无法打开数据库 {shown(self.url)}：{str(error.orig).strip()}") from None

    def _upgrade_schema(self):
        """Bring the schema to head, again from the start if another process opening the same new
        SQLite file at the same moment got in the way (the same policy as :meth:`_write`)."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return migrate.upgrade(self._engine)
            except sa.exc.DBAPIError as error:
                if attempt + 1 < MAX_ATTEMPTS and _retryable(error):
                    time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def from_env(cls, *, rubric: Rubric | None = None) -> Store:
        return cls(None, rubric=rubric)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({shown(self.url)!r})"

    @property
    def rubric(self) -> Rubric:
        if self._rubric is None:
            self._rubric = self.current_rubric()
        return self._rubric

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    # ------------------------------------------------------------------ transactions
    def _unavailable(self, error: sa.exc.DBAPIError) -> StoreError:
        return StoreError(f"数据库 {shown(self.url)} 暂时无法使用，请稍后再试：{str(error.orig).strip()}")

    def _read(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one read transaction: one snapshot of the data (PostgreSQL: repeatable read)."""
        try:
            with self._engine.connect() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execution_options(isolation_level="REPEATABLE READ")
                with connection.begin():
                    return work(connection)
        except sa.exc.OperationalError as error:
            raise self._unavailable(error) from error

    def _write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one write transaction, again from the start if a concurrent writer got in the way."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self._engine.connect() as connection:
                    connection.execution_options(store_write=True)
                    with connection.begin():
                        return work(connection)
            except sa.exc.DBAPIError as error:
                if attempt + 1 < MAX_ATTEMPTS and _retryable(error):
                    time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
                    continue
                if isinstance(error, sa.exc.OperationalError):
                    raise self._unavailable(error) from error
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _rubric_for(self, rubric_version: str | Rubric) -> Rubric:
        if isinstance(rubric_version, Rubric):
            return rubric_version
        rubric = self.rubric
        if str(rubric_version) != rubric.version:
            try:  # a version stored earlier (a form opened before the current version changed)
                return self.stored_rubric(str(rubric_version))
            except StoreError:
                raise StoreError(
                    f"评分标准版本“{rubric_version}”不在数据库中，与当前加载的评分标准（版本 {rubric.version}）"
                    "也不一致，无法检查提交的内容"
                ) from None
        return rubric

    @staticmethod
    def _audit(connection: Connection, action: str, actor: str, at: dt.datetime, **fields) -> None:
        assert action in AUDIT_ACTIONS, action
        connection.execute(audit_log.insert().values(action=action, actor=actor, at=at, **fields))

    @staticmethod
    def _lock_branch(connection: Connection, branch_id: str) -> None:
        """Make sure the branch exists; on PostgreSQL also hold its row until commit, so that the
        revision numbers of one branch are handed out one writer at a time."""
        found = connection.execute(
            sa.select(branches.c.branch_id).where(branches.c.branch_id == branch_id).with_for_update()
        ).first()
        if found is None:
            raise StoreError(f"支部编号“{branch_id}”不在数据库中：请先导入该支部的基本信息（工作表“支部”）")

    def _add_revision(
        self,
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
        self._audit(
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

    # ------------------------------------------------------------------ import
    def import_inputs(
        self, inputs: Inputs, *, year: int, evaluator: str, rubric_version: str | Rubric, source: str
    ) -> ImportReport:
        """Store a read workbook in one transaction: the branches (upserted), the activity log of each
        branch for ``year`` (a new import; older ones are kept), and one submitted revision per branch
        with evaluation data. A branch this evaluator had already submitted gets a correction with
        the reason “重新导入 <source>”. Refuses (StoreError, nothing stored) if any payload has problems.
        """
        year = _year(year)
        evaluator = _text(evaluator, "评估人")
        source = _text(source, "导入来源")
        rubric = self._rubric_for(rubric_version)
        version = rubric.version

        branch_rows = sorted(
            # .get: frames built in code may leave out the optional columns (所属街道 …).
            ({key: _plain(row.get(key)) for key in BRANCH_COLUMNS} for _, row in inputs.branches.iterrows()),
            key=lambda row: row["branch_id"],
        )
        for row in branch_rows:
            row["branch_id"] = _text(row["branch_id"], "支部编号")
            row["name"] = _text(row["name"], f"支部 {row['branch_id']} 的名称")
        known_here = {row["branch_id"] for row in branch_rows}

        activity_rows = [{key: _plain(row[key]) for key in ACTIVITY_COLUMNS} for _, row in inputs.activities.iterrows()]
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
            payload = _json_copy(payload_from_inputs(inputs, branch_id, rubric), f"支部 {branch_id} 的考评内容")
            found = check_payload(payload, rubric)
            problems.extend(f"支部 {branch_id}：{problem}" for problem in found)
            payloads[branch_id] = payload
        if problems:
            raise StoreError("导入的考评内容有误，未保存任何数据：\n" + "\n".join(f"  {p}" for p in problems))

        def work(connection: Connection) -> ImportReport:
            at = _now()
            self._check_rubric_stored(connection, rubric, at)
            existing = set(connection.execute(sa.select(branches.c.branch_id)).scalars())
            missing = sorted((set(log_branches) | set(payloads)) - known_here - existing)
            if missing:
                raise StoreError(f"以下支部不在工作表“支部”中，也不在数据库中：{'、'.join(missing)}")
            if branch_rows:
                insert = _insert(connection)(branches)
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
                self._add_revision(
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
            self._audit(
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

        return self._write(work)

    # ------------------------------------------------------------------ master data and logs
    def branches(self) -> pd.DataFrame:
        """All branches, as ``Inputs.branches``, ordered by branch id."""
        columns = [branches.c[name] for name in BRANCH_COLUMNS]
        rows = self._read(
            lambda c: [row._asdict() for row in c.execute(sa.select(*columns).order_by(branches.c.branch_id))]
        )
        return branch_frame(rows)

    def _activities(self, connection: Connection, year: int, branch_ids: list[str] | None) -> pd.DataFrame:
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
            query = query.where(activity_logs.c.branch_id.in_(branch_ids))
        return activity_frame(row._asdict() for row in connection.execute(query))

    def _branch_and_log_frames(self, year: int, branch_ids: list[str] | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        def work(connection: Connection):
            columns = [branches.c[name] for name in BRANCH_COLUMNS]
            query = sa.select(*columns).order_by(branches.c.branch_id)
            if branch_ids is not None:
                query = query.where(branches.c.branch_id.in_(branch_ids))
            rows = [row._asdict() for row in connection.execute(query)]
            return branch_frame(rows), self._activities(connection, year, branch_ids)

        return self._read(work)

    def branch_inputs(self, year: int, branch_ids: list[str] | None = None) -> Inputs:
        """Branches (all, or those named) with their current activity log of ``year``; the evaluation
        frames are empty, with the store rubric's columns."""
        frame, log = self._branch_and_log_frames(_year(year), None if branch_ids is None else list(branch_ids))
        return inputs_for(frame, log, {}, self.rubric)

    def years(self) -> list[int]:
        """Years with an activity log or a submitted evaluation, ascending."""

        def work(connection: Connection) -> list[int]:
            query = sa.union(sa.select(activity_logs.c.year), sa.select(evaluations.c.year))
            return sorted(connection.execute(query).scalars())

        return self._read(work)

    # ------------------------------------------------------------------ drafts
    def save_draft(
        self, branch_id: str, year: int, evaluator: str, payload: dict[str, Any], rubric_version: str | Rubric
    ) -> Draft:
        """Keep an evaluator's form as it is (wrong values included); overwrites their previous draft."""
        year = _year(year)
        evaluator = _text(evaluator, "评估人")
        version = (
            rubric_version.version if isinstance(rubric_version, Rubric) else _text(rubric_version, "评分标准版本")
        )
        payload = _json_copy(payload, "草稿")

        def work(connection: Connection) -> Draft:
            self._lock_branch(connection, branch_id)
            at = _now()
            insert = _insert(connection)(drafts).values(
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

        return self._write(work)

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

        return self._read(work)

    def discard_draft(self, branch_id: str, year: int, evaluator: str) -> None:
        """Delete the evaluator's draft (if any) and note it in the audit log."""

        def work(connection: Connection) -> None:
            deleted = connection.execute(
                drafts.delete().where(
                    drafts.c.branch_id == branch_id, drafts.c.year == year, drafts.c.evaluator == evaluator
                )
            ).rowcount
            if deleted:
                self._audit(connection, "draft_discard", evaluator, _now(), branch_id=branch_id, year=year)

        self._write(work)

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
        year = _year(year)
        evaluator = _text(evaluator, "评估人")
        rubric = self._rubric_for(rubric_version)
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
        payload = _json_copy(payload, "考评内容")
        problems = check_payload(payload, rubric)
        if problems:
            raise StoreError(
                f"考评内容有 {len(problems)} 处问题，未提交：\n" + "\n".join(f"  {problem}" for problem in problems)
            )

        def work(connection: Connection) -> Revision:
            self._check_rubric_stored(connection, rubric, _now())
            self._lock_branch(connection, branch_id)
            revision = self._add_revision(
                connection,
                branch_id=branch_id,
                year=year,
                evaluator=evaluator,
                payload=payload,
                rubric_version=rubric.version,
                reason=reason,
                actor=evaluator,
                at=_now(),
            )
            connection.execute(
                drafts.delete().where(
                    drafts.c.branch_id == branch_id, drafts.c.year == year, drafts.c.evaluator == evaluator
                )
            )
            return revision

        return self._write(work)

    def revisions(self, branch_id: str | None = None, year: int | None = None) -> list[Revision]:
        """Every revision (submitted and superseded), oldest first."""
        query = sa.select(evaluations).order_by(evaluations.c.id)
        if branch_id is not None:
            query = query.where(evaluations.c.branch_id == branch_id)
        if year is not None:
            query = query.where(evaluations.c.year == year)
        return self._read(lambda c: [_revision(row) for row in c.execute(query)])

    def current_submissions(self, branch_id: str, year: int) -> dict[str, Revision]:
        """Each evaluator's current (latest, not superseded) revision, in the order they first count."""
        query = (
            sa.select(evaluations)
            .where(evaluations.c.branch_id == branch_id, evaluations.c.year == year, evaluations.c.status == SUBMITTED)
            .order_by(evaluations.c.revision_no)
        )
        return self._read(lambda c: {row.evaluator: _revision(row) for row in c.execute(query)})

    def current_inputs(self, year: int, rubric: Rubric) -> tuple[Inputs, dict[str, list[Disagreement]]]:
        """What to score for ``year``: all branches, their current activity logs and, per branch, the
        reconciled current submissions of its evaluators. Also the disagreements found per branch
        (a key for every branch with a submission; an empty list where the evaluators agree)."""
        year = _year(year)

        def work(connection: Connection):
            columns = [branches.c[name] for name in BRANCH_COLUMNS]
            rows = [row._asdict() for row in connection.execute(sa.select(*columns).order_by(branches.c.branch_id))]
            log = self._activities(connection, year, None)
            submitted = connection.execute(
                sa.select(evaluations.c.branch_id, evaluations.c.evaluator, evaluations.c.payload)
                .where(evaluations.c.year == year, evaluations.c.status == SUBMITTED)
                .order_by(evaluations.c.branch_id, evaluations.c.revision_no)
            ).all()
            return branch_frame(rows), log, submitted

        frame, log, submitted = self._read(work)
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
        return inputs_for(frame, log, payloads, rubric), disagreements

    # ------------------------------------------------------------------ audit
    def audit(self, limit: int | None = None) -> list[AuditEntry]:
        """Audit entries, newest first (at most ``limit``)."""
        query = sa.select(audit_log).order_by(audit_log.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        return self._read(lambda c: [AuditEntry(**row._asdict()) for row in c.execute(query)])
