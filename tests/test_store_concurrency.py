"""Several processes on one database at once: schema creation, imports, submissions.

These are what a district sees with several Voila servers on one PostgreSQL database (or a few
kernels on one SQLite file): every write must land, revision numbers must stay distinct and
gapless, and each evaluator must keep exactly one current submission.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from assessment.inputs.workbook import read_workbook
from assessment.store import Store, StoreUnavailable
from assessment.store.migrate import head_revision

pytest_plugins = ["store_support"]  # fixtures: database_url

pytestmark = pytest.mark.slow
YEAR = 2025
# Processes start their work at one agreed moment, after the slow part (Python imports) is done.
START_DELAY = 4.0


def start(script: str, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *[str(a) for a in args]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(processes: list[subprocess.Popen], timeout: float = 180) -> list[str]:
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
        outputs.append(out)
    return outputs


OPEN_STORE = """
    import sys, time
    from assessment.store import Store, StoreError
    url, at = sys.argv[1], float(sys.argv[2])
    time.sleep(max(0.0, at - time.time()))
    with Store(url) as store:
        print("upgraded" if store.db.schema_upgraded else "at-head")
"""


def test_processes_creating_the_schema_at_once_take_turns(database_url):
    at = time.time() + START_DELAY
    outputs = finish([start(OPEN_STORE, database_url, at) for _ in range(4)])
    assert sorted(o.strip() for o in outputs) == ["at-head", "at-head", "at-head", "upgraded"]
    with Store(database_url) as store:
        assert store.db.schema_upgraded is None
        assert [e.action for e in store.records.audit()] == ["schema_upgrade"]
        with store.db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [
                head_revision()
            ]


@pytest.fixture(scope="module")
def demo_workbook(tmp_path_factory, default_rubric) -> Path:
    """The demo street (60 branches, ~3000 activities): imports big enough to overlap."""
    from assessment.demo.street import generate_demo
    from assessment.outputs.input_workbook import write_input_workbook

    path = tmp_path_factory.mktemp("demo") / "demo.xlsx"
    return write_input_workbook(generate_demo(default_rubric, seed=7), default_rubric, path)


IMPORT = """
    import sys, time
    from assessment.cli import main
    workbook, url, evaluator, at = sys.argv[1:5]
    import assessment.store, assessment.inputs.workbook, assessment.scoring  # the slow imports, before the start
    time.sleep(max(0.0, float(at) - time.time()))
    sys.exit(main(["import", workbook, "--database", url, "--evaluator", evaluator, "--year", "2025"]))
"""


def test_concurrent_imports_all_land_with_distinct_revision_numbers(database_url, demo_workbook, default_rubric):
    Store(database_url).close()  # schema first: this test is about the imports
    evaluators = ["甲", "乙", "甲"]
    at = time.time() + START_DELAY
    finish([start(IMPORT, demo_workbook, database_url, who, at) for who in evaluators])

    with Store(database_url, rubric=default_rubric) as store:
        branches = list(store.records.branches()["branch_id"])
        assert len(branches) == 60
        revisions = store.records.revisions(year=YEAR)
        by_branch: dict[str, list] = {}
        for revision in revisions:
            by_branch.setdefault(revision.branch_id, []).append(revision)
        assert set(by_branch) == set(branches)
        for branch_id, found in by_branch.items():
            assert sorted(r.revision_no for r in found) == [1, 2, 3], branch_id
            assert sorted(r.evaluator for r in found) == ["乙", "甲", "甲"]
            statuses = sorted((r.evaluator, r.status) for r in found)
            assert statuses == [("乙", "submitted"), ("甲", "submitted"), ("甲", "superseded")], branch_id
            (correction,) = [r for r in found if r.supersedes is not None]
            assert correction.reason == f"重新导入 {demo_workbook.name}"
            assert set(store.records.current_submissions(branch_id, YEAR)) == {"甲", "乙"}
        audit = [e.action for e in store.records.audit()]
        assert audit.count("import") == 3 and audit.count("submit") == 120 and audit.count("correct") == 60
        with store.db.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM activity_logs")).scalar_one() == 3 * 60
        # Whatever order they landed in, the current log is one whole import's, not a mixture.
        assert len(store.records.branch_inputs(YEAR).activities) == len(
            read_workbook(demo_workbook, default_rubric).activities
        )


SUBMIT = """
    import sys, time
    from assessment.inputs.payload import blank_payload
    from assessment.store import Store, StoreError
    url, evaluator, count, at = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    with Store(url) as store:
        payload = blank_payload(store.rubric)
        time.sleep(max(0.0, at - time.time()))
        for i in range(count):
            payload["note"] = f"{evaluator} {i}"
            store.records.submit("B01", 2025, evaluator, payload, store.rubric.version, reason=f"第{i}次更正" if i else None)
"""


def test_concurrent_submissions_for_one_branch(database_url, sample_inputs, default_rubric):
    # Given the sample branches, without any evaluation yet
    master_data = copy.deepcopy(sample_inputs)
    for name in ("org", "member", "public", "social"):
        setattr(master_data, name, getattr(sample_inputs, name).iloc[0:0])
    with Store(database_url, rubric=default_rubric) as store:
        store.records.import_inputs(master_data, year=YEAR, evaluator="导入", rubric_version=default_rubric, source="x")

    # When three evaluators each submit and correct 12 times, all at once
    evaluators, count = ["甲", "乙", "丙"], 12
    at = time.time() + START_DELAY
    finish([start(SUBMIT, database_url, who, count, at) for who in evaluators])

    # Then every revision landed, numbered 1…36, and each evaluator has one current submission: the last
    with Store(database_url, rubric=default_rubric) as store:
        revisions = store.records.revisions("B01", YEAR)
        assert sorted(r.revision_no for r in revisions) == list(range(1, 3 * count + 1))
        current = store.records.current_submissions("B01", YEAR)
        assert {who: r.payload["note"] for who, r in current.items()} == {w: f"{w} {count - 1}" for w in evaluators}
        for who in evaluators:
            chain = [r for r in revisions if r.evaluator == who]
            assert [r.supersedes for r in chain[1:]] == [r.id for r in chain[:-1]]


def test_a_write_that_meets_a_busy_database_runs_again(store, monkeypatch):
    monkeypatch.setattr("assessment.store.database.time.sleep", lambda seconds: None)
    attempts = []

    def work(connection):
        attempts.append(1)
        if len(attempts) < 3:
            raise sa.exc.OperationalError("INSERT …", {}, Exception("database is locked"))
        return "done"

    assert store.db.write(work) == "done" and len(attempts) == 3

    def never(connection):
        raise sa.exc.OperationalError("INSERT …", {}, Exception("database is locked"))

    with pytest.raises(StoreUnavailable, match="^数据库暂时无法连接，请稍后重试$") as away:
        store.db.write(never)
    assert "database is locked" in away.value.detail  # for the log and the command line, not for pages
