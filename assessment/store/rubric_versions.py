"""Rubric versions in the database: saving a new one, listing them, reading one, and which one is current.

A part of the :class:`~assessment.store.Store`, ``store.rubrics`` (:class:`RubricVersions`); the other
parts ask it which rubric to check with:

.. code-block:: python

    saved = store.rubrics.save(texts, author="李四", note="提高组织评定权重")  # {file: YAML text}
    store.rubrics.versions()                 # every stored version, oldest first; one is .current
    store.rubrics.texts("2026.1")            # the YAML texts exactly as saved
    rubric = store.rubrics.current()         # what the pages score and check with
    store.rubrics.set_current("2026.1", by="管理员", reason="新版本暂缓执行")

Rules:

- A version is validated (:func:`~assessment.rubric.load_rubric_texts`: a :class:`RubricError` with file
  and line) before anything is stored, and stored once: saving a version string that exists is refused
  (:class:`StoreError`), never overwritten. Two processes saving the same string at once: the primary key
  lets exactly one in; the other gets the same refusal.
- Exactly one version is current once any is stored: a one-row table (``rubric_current``, primary key
  ``id = 1``, foreign key to the versions) points at it. Switching locks that row and updates it in one
  transaction, with an audit entry (``rubric_current``: from, to, reason).
- A database with no version yet stores the program's own rubric (``rubrics/`` or
  ``$ASSESSMENT_RUBRIC_DIR``) as its first, current version the first time it is asked for its rubric or
  stores a result; every stored result (revision, import, self-assessment) must then name a stored version.
- Results keep the version they were made under: switching the current version changes no stored row.

A store opened without an explicit rubric uses the current version as it was when first asked
(:attr:`RubricVersions.rubric`: one Voila page, one CLI run); :meth:`RubricVersions.current` reads the
pointer again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..localtime import local_time
from ..rubric import Rubric, default_rubric_dir, load_rubric_texts, read_rubric_texts
from ..rubric.model import FILES
from .checks import required_text
from .database import Database, insert_for, now
from .model import StoreError
from .schema import rubric_current, rubric_versions

__all__ = ["SEED_AUTHOR", "RubricVersion", "RubricVersions"]

SEED_AUTHOR = "系统"
SEED_NOTE = "程序自带的评分标准（{source}），数据库首次使用时保存"


def _local(moment: dt.datetime) -> str:
    return local_time(moment)


@dataclass(frozen=True)
class RubricVersion:
    """One stored rubric version (its texts: :meth:`RubricVersions.texts`)."""

    version: str
    author: str
    note: str
    based_on: str | None
    created_at: dt.datetime
    current: bool = False

    @property
    def current_label(self) -> str:
        return "当前版本" if self.current else ""


def _version(row, current: str | None) -> RubricVersion:
    return RubricVersion(row.version, row.author, row.note, row.based_on, row.created_at, row.version == current)


class RubricVersions:
    """The stored rubric versions of one database, and the rubric its store works with.

    ``rubric``: the rubric given when the store was opened (then that one, always), else None: the
    current version as first asked (:attr:`rubric`), following the versions this part later reads as
    current or makes current.
    """

    def __init__(self, db: Database, rubric: Rubric | None = None):
        self._db = db
        self._rubric = rubric
        self._rubric_given = rubric is not None
        self._parsed: dict[str, Rubric] = {}  # rubrics parsed from stored texts, by version (never changed)

    @property
    def rubric(self) -> Rubric:
        """The rubric the store checks submissions with and the pages score with."""
        if self._rubric is None:
            self._rubric = self.current()
        return self._rubric

    def rubric_for(self, rubric_version: str | Rubric) -> Rubric:
        """The rubric a caller's ``rubric_version`` names: a :class:`Rubric` itself, the store's rubric, or
        a version stored earlier (a form opened before the current version changed)."""
        if isinstance(rubric_version, Rubric):
            return rubric_version
        rubric = self.rubric
        if str(rubric_version) != rubric.version:
            try:
                return self.stored(str(rubric_version))
            except StoreError:
                raise StoreError(
                    f"评分标准版本“{rubric_version}”不在数据库中，与当前加载的评分标准（版本 {rubric.version}）"
                    "也不一致，无法检查提交的内容"
                ) from None
        return rubric

    # ------------------------------------------------------------------ helpers
    def _parse(self, version: str, texts: Mapping[str, str]) -> Rubric:
        if version not in self._parsed:
            self._parsed[version] = load_rubric_texts(dict(texts))
        return self._parsed[version]

    def _remember_current(self, rubric: Rubric) -> None:
        """A store opened without a rubric follows the current version it last read or set."""
        if not self._rubric_given:
            self._rubric = rubric

    def _seed_if_empty(self, connection: Connection, at: dt.datetime, *, unless: str | None = None) -> None:
        """With no current version yet, store the program's own rubric and make it current.

        ``unless``: a version the caller is about to store and make current itself (saving the built-in
        version's own number first stores the caller's texts, with their author and note, instead).
        Concurrent first uses insert with ON CONFLICT DO NOTHING: one row, one audit entry.
        """
        if connection.execute(sa.select(rubric_current.c.version).where(rubric_current.c.id == 1)).first():
            return
        directory = default_rubric_dir()
        texts, displays = read_rubric_texts(directory)
        rubric = load_rubric_texts(texts, displays=displays)
        if rubric.version == unless:
            return
        insert = insert_for(connection)
        inserted = connection.execute(
            insert(rubric_versions)
            .values(
                version=rubric.version,
                texts={name: texts[name] for name in FILES},
                author=SEED_AUTHOR,
                note=SEED_NOTE.format(source=displays.get("meta.yaml", str(directory)).rsplit("/", 1)[0] + "/"),
                based_on=None,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["version"])
            .returning(rubric_versions.c.version)
        ).first()
        pointed = connection.execute(
            insert(rubric_current)
            .values(id=1, version=rubric.version, since=at, set_by=SEED_AUTHOR)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(rubric_current.c.id)
        ).first()
        if inserted is not None:  # (rowcount is -1 on psycopg: RETURNING says whether this call inserted)
            Database.audit(
                connection,
                "rubric_save",
                SEED_AUTHOR,
                at,
                detail={"version": rubric.version, "based_on": None, "current": pointed is not None, "built_in": True},
            )

    def _point_to(self, connection: Connection, version: str, *, by: str, reason: str, at: dt.datetime) -> str | None:
        """Make ``version`` current (the pointer row is locked first). Returns the version it replaced."""
        row = connection.execute(
            sa.select(rubric_current.c.version).where(rubric_current.c.id == 1).with_for_update()
        ).first()
        previous = row.version if row is not None else None
        if previous == version:
            return previous
        if row is None:
            connection.execute(rubric_current.insert().values(id=1, version=version, since=at, set_by=by))
        else:
            connection.execute(
                rubric_current.update().where(rubric_current.c.id == 1).values(version=version, since=at, set_by=by)
            )
        Database.audit(connection, "rubric_current", by, at, detail={"from": previous, "to": version, "reason": reason})
        return previous

    def check_stored(self, connection: Connection, rubric: Rubric, at: dt.datetime) -> None:
        """Inside a write that stores a result: its rubric must be a stored version, with that version's content.

        A rubric edited without a new version number (meta.yaml's ``version``) would otherwise have its
        results stored under a version that says something else.
        """
        self._seed_if_empty(connection, at)
        if self._parsed.get(rubric.version) is rubric:
            return  # the very object this part parsed from the stored texts
        found = connection.execute(
            sa.select(rubric_versions.c.texts).where(rubric_versions.c.version == rubric.version)
        ).first()
        if found is None:
            raise StoreError(
                f"评分标准版本“{rubric.version}”没有保存在数据库中，按它评的结果不能保存："
                "请先保存该版本（assessment rubric save 目录 --author 姓名 --note 说明）"
            )
        if self._parse(rubric.version, found.texts) != rubric:
            raise StoreError(
                f"评分标准版本“{rubric.version}”已保存在数据库中，但所用评分标准的内容与之不同，结果不能保存："
                "修改过的评分标准须使用新的版本号（meta.yaml 的 version）并先保存"
                "（assessment rubric save 目录 --author 姓名 --note 说明）"
            )

    def _duplicate(self, version: str) -> StoreError:
        existing = self._db.read(
            lambda c: c.execute(sa.select(rubric_versions).where(rubric_versions.c.version == version)).first()
        )
        who = f"（{existing.author} 于 {_local(existing.created_at)} 保存）" if existing is not None else ""
        return StoreError(
            f"评分标准版本“{version}”已经保存过{who}，已保存的版本不能覆盖：请使用新的版本号（meta.yaml 的 version）"
        )

    # ------------------------------------------------------------------ reading
    def versions(self) -> list[RubricVersion]:
        """Every stored version, oldest first, the current one marked (empty before first use)."""
        columns = [c for c in rubric_versions.c if c.name != "texts"]

        def work(connection: Connection):
            current = connection.execute(
                sa.select(rubric_current.c.version).where(rubric_current.c.id == 1)
            ).scalar_one_or_none()
            rows = connection.execute(
                sa.select(*columns).order_by(rubric_versions.c.created_at, rubric_versions.c.version)
            ).all()
            return [_version(row, current) for row in rows]

        return self._db.read(work)

    def texts(self, version: str) -> dict[str, str]:
        """The YAML texts of a stored version, {file name: text}, exactly as saved."""
        row = self._db.read(
            lambda c: c.execute(
                sa.select(rubric_versions.c.texts).where(rubric_versions.c.version == str(version))
            ).first()
        )
        if row is None:
            raise StoreError(self._unknown_version(str(version)))
        return dict(row.texts)

    def _unknown_version(self, version: str) -> str:
        known = [v.version for v in self.versions()]
        listed = "、".join(known) if known else "（还没有保存任何版本）"
        return f"数据库中没有评分标准版本“{version}”，已保存的版本：{listed}"

    def stored(self, version: str) -> Rubric:
        """The stored version ``version`` as a validated :class:`Rubric` (StoreError if not stored)."""
        version = str(version)
        if version in self._parsed:
            return self._parsed[version]
        return self._parse(version, self.texts(version))

    def stored_within(self, connection: Connection, version: str) -> Rubric:
        """The stored version ``version``, read in the caller's transaction (StoreError if not stored)."""
        version = str(version)
        if version in self._parsed:
            return self._parsed[version]
        if self._rubric is not None and self._rubric.version == version and self._rubric_given:
            return self._rubric
        row = connection.execute(sa.select(rubric_versions.c.texts).where(rubric_versions.c.version == version)).first()
        if row is None:
            raise StoreError(f"数据库中没有评分标准版本“{version}”")
        return self._parse(version, row.texts)

    def current(self) -> Rubric:
        """The version marked current. A database without any stores the program's own rubric first."""

        def pointer(connection: Connection) -> str | None:
            return connection.execute(
                sa.select(rubric_current.c.version).where(rubric_current.c.id == 1)
            ).scalar_one_or_none()

        version = self._db.read(pointer)
        if version is None:
            self._db.write(lambda connection: self._seed_if_empty(connection, now()))
            version = self._db.read(pointer)
        rubric = self.stored(version)
        self._remember_current(rubric)
        return rubric

    def current_version(self) -> RubricVersion:
        """The current version's record (author, note …); stores the program's rubric first if needed."""
        version = self.current().version
        return next(v for v in self.versions() if v.version == version)

    # ------------------------------------------------------------------ writing
    def save(
        self,
        texts: Mapping[str, str],
        *,
        author: str,
        note: str,
        make_current: bool = True,
        expect_current: str | None = None,
    ) -> RubricVersion:
        """Store a new version (its number is meta.yaml's ``version``) and, by default, make it current.

        Raises :class:`~assessment.rubric.RubricError` (file, line, Chinese) for a rubric that does not
        validate, and :class:`StoreError` for an empty author or note or a version already stored.
        The first version a database stores is always made current. ``expect_current``: the version the
        new one was made from (a page's starting point); if another version became current meanwhile,
        nothing is stored (StoreError), so that nobody's switch is silently replaced.
        """
        author = required_text(author, "修改人")
        note = required_text(note, "修改说明")
        if not isinstance(texts, Mapping) or not all(isinstance(t, str) for t in texts.values()):
            raise StoreError("评分标准应为“文件名 → YAML 文本”")
        rubric = load_rubric_texts(dict(texts))
        version = rubric.version
        stored_texts = {name: texts[name] for name in FILES}
        based_on = rubric.meta.based_on or None

        def work(connection: Connection) -> RubricVersion:
            at = now()
            self._seed_if_empty(connection, at, unless=version)
            if expect_current is not None:
                now_current = connection.execute(
                    sa.select(rubric_current.c.version).where(rubric_current.c.id == 1).with_for_update()
                ).scalar_one_or_none()
                if now_current is not None and now_current != expect_current:
                    raise StoreError(
                        f"当前评分标准版本已由 {expect_current} 变为 {now_current}（有人刚保存或切换了版本），"
                        "新版本没有保存：请重新打开本页，在当前版本上调整后再保存"
                    )
            exists = connection.execute(
                sa.select(rubric_versions.c.version).where(rubric_versions.c.version == version)
            ).first()
            if exists is not None:
                raise self._duplicate(version)
            connection.execute(
                rubric_versions.insert().values(
                    version=version, texts=stored_texts, author=author, note=note, based_on=based_on, created_at=at
                )
            )
            first = connection.execute(sa.select(rubric_current.c.id)).first() is None
            current = make_current or first
            Database.audit(
                connection,
                "rubric_save",
                author,
                at,
                detail={"version": version, "based_on": based_on, "note": note, "current": current},
            )
            if current:
                self._point_to(connection, version, by=author, reason=note, at=at)
            return RubricVersion(version, author, note, based_on, at, current)

        try:
            saved = self._db.write(work)
        except sa.exc.IntegrityError:
            # Another process stored the same version string between our check and our insert.
            if any(v.version == version for v in self.versions()):
                raise self._duplicate(version) from None
            raise
        self._parsed[version] = rubric
        if saved.current:
            self._remember_current(rubric)
        return saved

    def set_current(self, version: str, *, by: str, reason: str) -> RubricVersion:
        """Make a stored version current (the pages use it from their next opening). Refused for a version
        not stored, or one this program cannot read. Making the current version current changes nothing."""
        version = required_text(version, "评分标准版本")
        by = required_text(by, "操作人")
        reason = required_text(reason, "原因")
        try:
            rubric = self.stored(version)
        except StoreError:
            self.current()  # a first use stores the program's own version: it may be the one asked for
            rubric = self.stored(version)

        def work(connection: Connection) -> None:
            at = now()
            self._seed_if_empty(connection, at)
            self._point_to(connection, version, by=by, reason=reason, at=at)

        self._db.write(work)
        self._remember_current(rubric)
        return next(v for v in self.versions() if v.version == version)
