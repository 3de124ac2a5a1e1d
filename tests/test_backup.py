"""Backups of the database and restoring them (assessment.store.backup; README, 管理员): SQLite by its online
backup (a WAL database is not one file), PostgreSQL by pg_dump/pg_restore."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assessment.store import Store, StoreError
from assessment.store.backup import create, main, restore

pytest_plugins = ["store_support"]

YEAR = 2025


def names(url: str) -> set[str]:
    with Store(url) as store:
        return {account.name for account in store.accounts.list()}


def test_a_backup_restores_the_database_as_it_was(database_url, sample_inputs, default_rubric, tmp_path):
    # Given a database with branches, a submission, a draft and an account
    with Store(database_url, rubric=default_rubric) as store:
        store.records.import_inputs(
            sample_inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="s"
        )
        store.accounts.add("张三", "区委", by="测试")
        branch = store.records.branches().iloc[0]["branch_id"]
        before = store.records.current_submissions(branch, YEAR)["张三"].payload
        # When it is backed up while the store is still open (a running server)
        backup = create(database_url, f"{tmp_path}/backups/")
    assert backup.parent == tmp_path / "backups" and backup.stat().st_size > 0
    assert not list(backup.parent.glob(".*partial"))

    # And more is written afterwards
    with Store(database_url, rubric=default_rubric) as store:
        store.accounts.add("李四", "街道", street="东城街道", by="测试")
        store.records.save_draft(branch, YEAR, "张三", before, default_rubric.version)
    assert names(database_url) == {"张三", "李四"}

    # When the backup is restored
    safety = restore(database_url, backup)
    # Then the database is as it was at the backup: the later account and draft are gone, the rest is there
    assert names(database_url) == {"张三"}
    with Store(database_url, rubric=default_rubric) as store:
        assert store.records.current_submissions(branch, YEAR)["张三"].payload == before
        assert store.records.load_draft(branch, YEAR, "张三") is None
    # And what was there before the restore was kept in a backup of its own, which restores too
    assert safety is not None and "before-restore" in safety.name and safety.parent == backup.parent
    restore(database_url, safety)
    assert names(database_url) == {"张三", "李四"}


def test_an_sqlite_backup_holds_what_is_still_in_the_write_ahead_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    with Store(url) as store:
        # Given the database in WAL mode with a write that lives in the -wal file (the store holds it open)
        with sqlite3.connect(tmp_path / "live.sqlite") as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        store.accounts.add("王五", "分析", by="测试")
        backup = create(url, tmp_path / "copy.sqlite")
    # Then the backup is one self-contained file that has it
    assert backup == tmp_path / "copy.sqlite"
    assert not (tmp_path / "copy.sqlite-wal").exists()
    assert names(f"sqlite:///{backup}") == {"王五"}


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(database_url, tmp_path):
    with Store(database_url) as store:
        store.accounts.add("张三", "区委", by="测试")
    wrong = tmp_path / "notes.txt"
    wrong.write_text("不是备份", encoding="utf-8")
    with pytest.raises(StoreError, match="不是"):
        restore(database_url, wrong)
    with pytest.raises(StoreError, match="不存在"):
        restore(database_url, tmp_path / "missing.dump")
    assert names(database_url) == {"张三"}


def test_the_command_line_backs_up_and_restores_only_when_told(database_url, tmp_path, capsys):
    with Store(database_url) as store:
        store.accounts.add("张三", "区委", by="测试")
    assert main(["--database", database_url, "create", "--out", f"{tmp_path}/b/"]) == 0
    out = capsys.readouterr().out
    written = Path(out.strip().split(" 到 ")[-1])
    assert out.startswith("已备份数据库") and written.is_file() and written.parent == tmp_path / "b"  # a new directory
    with Store(database_url) as store:
        store.accounts.add("李四", "区委", by="测试")
    # Without --yes it says what it would do, and does nothing
    assert main(["--database", database_url, "restore", str(written)]) == 2
    assert "加 --yes" in capsys.readouterr().err
    assert names(database_url) == {"张三", "李四"}
    assert main(["--database", database_url, "restore", str(written), "--yes"]) == 0
    assert "已用" in capsys.readouterr().out
    assert names(database_url) == {"张三"}
    assert main(["--database", database_url, "restore", str(tmp_path / "none.dump"), "--yes"]) == 2
    assert "错误：备份文件" in capsys.readouterr().err
