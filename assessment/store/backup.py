"""Backing up the store's database, and restoring a backup.

- SQLite: a WAL database is not one file (recent writes sit in ``siping.sqlite-wal``), so copying the file
  can lose them or catch a write half done. :func:`create` uses SQLite's online backup (the same as the
  ``sqlite3`` tool's ``.backup``): a consistent copy while the servers keep running.
- PostgreSQL: ``pg_dump --format=custom`` (consistent while the servers run); :func:`restore` runs
  ``pg_restore --clean --single-transaction`` (all or nothing). The PostgreSQL client tools must be installed
  (Debian: postgresql-client) in a version not older than the server.

Restoring replaces everything in the database: stop every server first (README, 管理员). Before it
replaces anything, :func:`restore` backs up what is there now beside the backup it restores.

    python -m assessment.store.backup create --out /var/backups/siping/      # $ASSESSMENT_DATABASE_URL or --database
    python -m assessment.store.backup restore /var/backups/siping/siping-20260107-020000.dump --yes
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.engine import URL

from .engine import is_sqlite, resolve_url, shown
from .model import StoreError

__all__ = ["create", "restore"]

SQLITE_SUFFIX = ".sqlite"
DUMP_SUFFIX = ".dump"  # pg_dump's custom format
PG_DUMP_MAGIC = b"PGDMP"


def _stamp() -> str:
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def _target(given: str | Path, url: URL, label: str = "") -> Path:
    """``given`` itself, or a new dated file in it when it is a directory (or a text ending in a slash).
    A dated file never replaces one made earlier in the same second (e.g. the backup a restore makes of
    what it replaces, while restoring a file of that very name): it gets -2, -3, …"""
    suffix = SQLITE_SUFFIX if is_sqlite(url) else DUMP_SUFFIX
    out = Path(given)
    if out.is_dir() or str(given).endswith(("/", os.sep)):
        out.mkdir(parents=True, exist_ok=True)
        stem = f"siping-{_stamp()}{label}"
        target, number = out / f"{stem}{suffix}", 1
        while target.exists():
            number += 1
            target = out / f"{stem}-{number}{suffix}"
        return target
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def _sqlite_file(url: URL) -> Path:
    if url.database in (None, "", ":memory:"):
        raise StoreError(f"数据库 {shown(url)} 不是文件，无法备份")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump/pg_restore take it, and the environment that carries the password (never argv)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise StoreError(f"没有找到 {name}：请安装 PostgreSQL 客户端（Debian：apt-get install postgresql-client）")
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StoreError(f"{what}失败（{Path(command[0]).name} 退出码 {done.returncode}）：{done.stderr.strip()}")


def create(url: str | URL | None, out: str | Path, *, label: str = "") -> Path:
    """Back up the database at ``url`` (None: ``$ASSESSMENT_DATABASE_URL`` or the default) to ``out`` (a file,
    or a directory for a dated file); returns the file written. Nothing is left half-written: the backup is
    written beside and renamed into place when complete."""
    url = resolve_url(url)
    target = _target(out, url, label)
    partial = target.with_name(f".{target.name}.partial")
    try:
        if is_sqlite(url):
            source_path = _sqlite_file(url)
            if not source_path.exists():
                raise StoreError(f"数据库文件 {source_path} 不存在")
            partial.unlink(missing_ok=True)
            with (
                contextlib.closing(sqlite3.connect(source_path)) as source,
                contextlib.closing(sqlite3.connect(partial)) as copy,
            ):
                source.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # the backup is one self-contained file
            _check_sqlite(partial)
        else:
            address, env = _libpq(url)
            _run(
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}", address],
                env,
                f"备份数据库 {shown(url)} ",
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _check_sqlite(path: Path) -> None:
    """A backup of this store: an intact SQLite file with the schema version table."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            intact = connection.execute("PRAGMA integrity_check").fetchone()[0]
            versioned = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path} 不是 SQLite 数据库（{error}）") from None
    if intact != "ok":
        raise StoreError(f"{path} 已损坏（integrity_check：{intact}）")
    if not versioned:
        raise StoreError(f"{path} 不是本程序的数据库备份（没有结构版本表 alembic_version）")


def restore(url: str | URL | None, backup: Path) -> Path | None:
    """Replace everything in the database at ``url`` with ``backup`` (made by :func:`create` for the same kind
    of database). First backs up the database as it is now, beside ``backup``; returns that file (None when
    an SQLite database did not exist yet). Then opens the restored database, upgrading an older schema."""
    url = resolve_url(url)
    backup = Path(backup)
    if not backup.is_file():
        raise StoreError(f"备份文件 {backup} 不存在")
    if is_sqlite(url):
        _check_sqlite(backup)
    else:
        with backup.open("rb") as file:
            if file.read(len(PG_DUMP_MAGIC)) != PG_DUMP_MAGIC:
                raise StoreError(f"{backup} 不是 pg_dump 的备份文件（custom 格式，.dump）")
    safety = None
    if not is_sqlite(url) or _sqlite_file(url).exists():
        safety = create(url, backup.parent, label="-before-restore")
    if is_sqlite(url):
        # Page by page into the live file, in one transaction, under SQLite's own locks (WAL included).
        with (
            contextlib.closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source,
            contextlib.closing(sqlite3.connect(_sqlite_file(url))) as target,
        ):
            source.backup(target)
    else:
        address, env = _libpq(url)
        _run(
            [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
            + ["--exit-on-error", f"--dbname={address}", str(backup)],
            env,
            f"把 {backup} 恢复到数据库 {shown(url)} ",
        )
    from .store import Store

    Store(url).close()  # the schema is brought up to this version of the program (or refused as too new)
    return safety


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assessment.store.backup",
        description="备份四评的数据库（SQLite 用在线备份，PostgreSQL 用 pg_dump），或从备份恢复。",
    )
    parser.add_argument(
        "--database",
        metavar="地址",
        default=None,
        help="数据库地址（默认：环境变量 ASSESSMENT_DATABASE_URL 或内置数据库）",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="命令")
    made = commands.add_parser("create", help="备份（服务器可以照常运行）")
    made.add_argument("--out", metavar="目录或文件", required=True, help="备份文件，或目录（生成带日期的文件）")
    back = commands.add_parser("restore", help="用备份替换数据库的全部内容（先停止所有服务器）")
    back.add_argument("backup", metavar="备份文件", type=Path)
    back.add_argument("--yes", action="store_true", help="确认替换（没有此项时只说明将做什么）")
    args = parser.parse_args(argv)
    try:
        if args.command == "create":
            written = create(args.database, args.out)
            print(f"已备份数据库 {shown(resolve_url(args.database))} 到 {written}")
            return 0
        if not args.yes:
            print(
                f"将用 {args.backup} 替换数据库 {shown(resolve_url(args.database))} 的全部内容（替换前先备份现有内容）。"
                "请先停止所有服务器，然后加 --yes 重新运行。",
                file=sys.stderr,
            )
            return 2
        safety = restore(args.database, args.backup)
        if safety is not None:
            print(f"原有内容已备份到 {safety}")
        print(f"已用 {args.backup} 恢复数据库 {shown(resolve_url(args.database))}")
        return 0
    except StoreError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
