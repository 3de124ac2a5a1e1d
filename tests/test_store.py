"""The store: schema and its version, drafts, submissions and corrections, imports, reconciliation, audit.

Every test runs on a fresh SQLite file and, when PostgreSQL is configured, on a fresh PostgreSQL database.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from assessment.inputs.frames import Inputs
from assessment.inputs.payload import blank_payload, payload_from_inputs
from assessment.store import STATUS_LABELS, Store, StoreError, StoreUnavailable, resolve_url
from assessment.store import schema as tables
from assessment.store.engine import make_engine
from assessment.store.migrate import alembic_config, head_revision
from tests.samples import build_sample_inputs

pytest_plugins = ["store_support"]  # fixtures: database_url, store

YEAR = 2025


@pytest.fixture
def imported(store, sample_inputs, default_rubric):
    """The sample street imported once, by 张三."""
    store.records.import_inputs(
        sample_inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="sample.xlsx"
    )
    return store


def payload_of(sample_inputs, default_rubric, branch_id="B01", **member):
    payload = payload_from_inputs(sample_inputs, branch_id, default_rubric)
    payload["member"].update(member)
    return payload


def rows(store: Store, table: sa.Table) -> list:
    with store.db.engine.connect() as connection:
        return connection.execute(sa.select(table)).all()


# ------------------------------------------------------------------ schema
def test_a_fresh_database_gets_the_schema_at_head(store):
    with store.db.engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        names = set(sa.inspect(connection).get_table_names())
    assert version == head_revision()
    assert {"branches", "imports", "activity_logs", "activities", "evaluations", "drafts", "audit_log"} <= names
    assert store.db.schema_upgraded == (None, head_revision())
    (entry,) = store.records.audit()
    assert entry.action == "schema_upgrade" and entry.detail == {"from": None, "to": head_revision()}


def test_opening_an_upgraded_database_again_changes_nothing(store, database_url, default_rubric):
    with Store(database_url, rubric=default_rubric) as again:
        assert again.db.schema_upgraded is None
        assert [entry.action for entry in again.records.audit()] == ["schema_upgrade"]


def test_the_migrations_build_exactly_the_schema_the_code_queries(store):
    with store.db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), tables.metadata)
    assert differences == []


def test_sqlite_runs_with_foreign_keys_and_wal(tmp_path, default_rubric):
    with (
        Store(f"sqlite:///{tmp_path / 'a.sqlite'}", rubric=default_rubric) as opened,
        opened.db.engine.connect() as connection,
    ):
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"


def test_urls_from_the_environment_and_plain_postgresql(monkeypatch, tmp_path, default_rubric):
    assert resolve_url("postgresql://u:secret@db.example/siping").drivername == "postgresql+psycopg"
    assert resolve_url("postgres:///siping").drivername == "postgresql+psycopg"
    monkeypatch.delenv("ASSESSMENT_DATABASE_URL", raising=False)
    default = resolve_url()
    assert default.drivername == "sqlite" and default.database.endswith("data/siping.sqlite")
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.sqlite'}")
    with Store.from_env(rubric=default_rubric) as opened:
        assert opened.url.database == str(tmp_path / "from-env.sqlite")
    assert (tmp_path / "from-env.sqlite").exists()


def test_a_bad_url_is_a_chinese_store_error(tmp_path):
    with pytest.raises(StoreError, match="数据库地址无效"):
        Store("这不是地址")
    with pytest.raises(StoreUnavailable, match="^数据库暂时无法连接，请稍后重试$") as away:
        Store(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.sqlite'}")
    assert "无法打开数据库" in away.value.detail and "no-such-dir" in away.value.detail  # the log, the CLI


def test_a_database_from_a_newer_program_is_refused(store, database_url, default_rubric):
    with store.db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="比本程序新"):
        Store(database_url, rubric=default_rubric)


# ------------------------------------------------------------------ drafts
def test_a_draft_is_overwritten_and_may_hold_wrong_values(imported, default_rubric):
    payload = blank_payload(default_rubric)
    payload["member"]["participants"] = "十二"
    first = imported.records.save_draft("B01", YEAR, "李四", payload, default_rubric.version)
    payload["member"]["participants"] = 12
    second = imported.records.save_draft("B01", YEAR, "李四", payload, default_rubric.version)
    loaded = imported.records.load_draft("B01", YEAR, "李四")
    assert loaded == second and loaded.payload["member"]["participants"] == 12
    assert loaded.status == "draft" and loaded.status_label == "草稿"
    assert second.updated_at >= first.updated_at and second.updated_at.tzinfo == dt.UTC
    assert len(rows(imported, tables.drafts)) == 1
    assert imported.records.load_draft("B01", YEAR, "王五") is None


def test_payloads_come_back_exactly_as_stored(imported, sample_inputs, default_rubric):
    payload = payload_of(sample_inputs, default_rubric)
    payload["org"]["items"]["s1"]["evidence"] = {"组织设置文件": "seen", "党员花名册": "missing", "会议记录": None}
    payload["member"] = dict(reversed(list(payload["member"].items())))
    payload["note"] = "核实：“优秀”票 19 张\n（含 1 张补投）"
    imported.records.save_draft("B01", YEAR, "李四", payload, default_rubric.version)
    draft = imported.records.load_draft("B01", YEAR, "李四")
    imported.records.submit("B01", YEAR, "李四", payload, default_rubric.version)
    for stored in (draft.payload, imported.records.revisions("B01", YEAR)[-1].payload):
        assert stored == payload
        assert json.dumps(stored, ensure_ascii=False) == json.dumps(payload, ensure_ascii=False)  # key order too


def test_discarding_a_draft_deletes_it_and_leaves_an_audit_entry(imported, default_rubric):
    imported.records.save_draft("B02", YEAR, "李四", blank_payload(default_rubric), default_rubric.version)
    imported.records.discard_draft("B02", YEAR, "李四")
    imported.records.discard_draft("B02", YEAR, "李四")  # nothing left: no second entry
    assert imported.records.load_draft("B02", YEAR, "李四") is None
    discarded = [e for e in imported.records.audit() if e.action == "draft_discard"]
    assert [(e.actor, e.branch_id, e.year) for e in discarded] == [("李四", "B02", YEAR)]


def test_a_draft_needs_a_known_branch(store, default_rubric):
    with pytest.raises(StoreError, match="支部编号“X99”不在数据库中"):
        store.records.save_draft("X99", YEAR, "李四", blank_payload(default_rubric), default_rubric.version)


# ------------------------------------------------------------------ submissions
def test_submit_then_correct(imported, sample_inputs, default_rubric):
    # Given 李四 has a draft and submits it
    payload = payload_of(sample_inputs, default_rubric, excellent=18)
    imported.records.save_draft("B01", YEAR, "李四", payload, default_rubric.version)
    first = imported.records.submit("B01", YEAR, "李四", payload, default_rubric.version)
    assert imported.records.load_draft("B01", YEAR, "李四") is None
    assert (first.status, first.evaluator, first.reason, first.supersedes) == ("submitted", "李四", None, None)
    assert first.created_at.tzinfo == dt.UTC and first.rubric_version == default_rubric.version

    # When 李四 submits again without a reason, Then it is refused
    changed = copy.deepcopy(payload)
    changed["member"]["excellent"] = 17
    with pytest.raises(StoreError, match="请填写更正原因"):
        imported.records.submit("B01", YEAR, "李四", changed, default_rubric.version)
    with pytest.raises(StoreError, match="请填写更正原因"):
        imported.records.submit("B01", YEAR, "李四", changed, default_rubric.version, reason="  ")

    # When with a reason, Then a new revision supersedes the first, whose payload stays as it was
    second = imported.records.submit("B01", YEAR, "李四", changed, default_rubric.version, reason="优秀票数录错")
    assert second.supersedes == first.id and second.reason == "优秀票数录错"
    assert second.revision_no == first.revision_no + 1
    by_id = {r.id: r for r in imported.records.revisions("B01", YEAR)}
    assert by_id[first.id].status == "superseded" and by_id[first.id].status_label == "已被更正"
    assert by_id[first.id].payload == payload and by_id[first.id].payload["member"]["excellent"] == 18
    assert by_id[second.id].payload["member"]["excellent"] == 17
    assert imported.records.current_submissions("B01", YEAR)["李四"].id == second.id
    actions = [(e.action, e.revision_id) for e in imported.records.audit(limit=2)]
    assert actions == [("correct", second.id), ("submit", first.id)]
    assert imported.records.audit(limit=1)[0].detail["reason"] == "优秀票数录错"


def test_a_payload_with_problems_is_never_stored(imported, sample_inputs, default_rubric):
    payload = payload_of(sample_inputs, default_rubric, participants="十二")
    imported.records.save_draft("B01", YEAR, "李四", payload, default_rubric.version)
    before = len(imported.records.revisions())
    with pytest.raises(StoreError, match="参评人数") as refused:
        imported.records.submit("B01", YEAR, "李四", payload, default_rubric.version)
    assert "未提交" in str(refused.value)
    assert len(imported.records.revisions()) == before
    assert imported.records.load_draft("B01", YEAR, "李四") is not None  # the draft survives a refusal
    too_many = payload_of(sample_inputs, default_rubric, participants=5, excellent=9)
    with pytest.raises(StoreError, match="超过参评人数"):
        imported.records.submit("B01", YEAR, "李四", too_many, default_rubric.version)


def test_submit_refuses_an_unknown_branch_and_an_unknown_rubric_version(imported, sample_inputs, default_rubric):
    payload = payload_of(sample_inputs, default_rubric)
    with pytest.raises(StoreError, match="不在数据库中"):
        imported.records.submit("X99", YEAR, "李四", payload, default_rubric.version)
    with pytest.raises(StoreError, match="评分标准版本“1900.1”"):
        imported.records.submit("B01", YEAR, "李四", payload, "1900.1")
    with pytest.raises(StoreError, match="评估人不能为空"):
        imported.records.submit("B01", YEAR, " ", payload, default_rubric.version)


def test_revision_numbers_count_per_branch_and_year_across_evaluators(imported, sample_inputs, default_rubric):
    version = default_rubric.version
    payload = payload_of(sample_inputs, default_rubric)
    # The import already gave every branch revision 1 (by 张三).
    a = imported.records.submit("B01", YEAR, "李四", payload, version)
    b = imported.records.submit("B01", YEAR, "王五", payload, version)
    c = imported.records.submit("B01", YEAR, "李四", payload, version, reason="补充意见")
    other_branch = imported.records.submit(
        "B02", YEAR, "李四", payload_of(sample_inputs, default_rubric, "B02"), version
    )
    other_year = imported.records.submit("B01", YEAR + 1, "李四", payload, version)
    assert [a.revision_no, b.revision_no, c.revision_no] == [2, 3, 4]
    assert (other_branch.revision_no, other_year.revision_no) == (2, 1)
    assert [r.revision_no for r in imported.records.revisions("B01", YEAR)] == [1, 2, 3, 4]
    assert {who: r.revision_no for who, r in imported.records.current_submissions("B01", YEAR).items()} == {
        "张三": 1,
        "王五": 3,
        "李四": 4,
    }
    assert imported.records.years() == [YEAR, YEAR + 1]


def test_the_database_itself_refuses_a_duplicate_revision_number(imported):
    first = imported.records.revisions("B01", YEAR)[0]
    with pytest.raises(sa.exc.IntegrityError), imported.db.engine.begin() as connection:
        connection.execute(
            tables.evaluations.insert().values(
                branch_id="B01",
                year=YEAR,
                evaluator="某人",
                revision_no=first.revision_no,
                rubric_version="x",
                status="superseded",
                payload={},
                created_at=dt.datetime.now(dt.UTC),
                created_by="某人",
            )
        )


# ------------------------------------------------------------------ imports
def test_import_stores_branches_logs_and_one_revision_per_branch(store, sample_inputs, default_rubric):
    report = store.records.import_inputs(
        sample_inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric, source="sample.xlsx"
    )
    assert (report.branches, report.new_branches, report.activity_logs, report.activity_rows) == (3, 3, 3, 5)
    assert report.corrections == 0 and [r.branch_id for r in report.revisions] == ["003", "B01", "B02"]
    assert "3 个支部（新增 3 个）" in str(report)

    expected = sample_inputs.branches.sort_values("branch_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(store.records.branches(), expected)
    inputs = store.records.branch_inputs(YEAR)
    assert isinstance(inputs, Inputs)
    expected_log = sample_inputs.activities.sort_values("branch_id", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(inputs.activities, expected_log)
    assert len(inputs.org) == len(inputs.member) == len(inputs.public) == len(inputs.social) == 0
    assert {"branch_id", "participants", "excellent"} <= set(inputs.member.columns)
    only_b02 = store.records.branch_inputs(YEAR, ["B02"])
    assert list(only_b02.branches["branch_id"]) == ["B02"] and set(only_b02.activities["branch_id"]) == {"B02"}

    for revision in report.revisions:
        assert revision.payload == payload_from_inputs(sample_inputs, revision.branch_id, default_rubric)
        assert (revision.status, revision.evaluator, revision.revision_no) == ("submitted", "张三", 1)
    actions = [e.action for e in store.records.audit()]
    assert actions.count("import") == 1 and actions.count("submit") == 3
    (entry,) = [e for e in store.records.audit() if e.action == "import"]
    assert entry.detail["source"] == "sample.xlsx" and entry.detail["revisions"] == 3 and entry.actor == "张三"
    assert store.records.years() == [YEAR]


def test_reimport_keeps_every_revision_and_every_log(imported, sample_inputs, default_rubric):
    # Given a corrected workbook: B01 lost an activity, B02's member review changed
    changed = copy.deepcopy(sample_inputs)
    changed.activities = sample_inputs.activities.iloc[1:].reset_index(drop=True)
    changed.member.loc[changed.member["branch_id"] == "B02", ["excellent", "qualified"]] = [31, 4]
    changed.branches.loc[changed.branches["branch_id"] == "B02", "full_members"] = 36

    report = imported.records.import_inputs(
        changed, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="sample-v2.xlsx"
    )

    assert report.corrections == 3 and report.new_branches == 0
    revisions = imported.records.revisions(year=YEAR)
    assert [r.status for r in revisions] == ["superseded"] * 3 + ["submitted"] * 3
    assert {r.reason for r in revisions if r.supersedes} == {"重新导入 sample-v2.xlsx"}
    current = imported.records.current_submissions("B02", YEAR)["张三"]
    assert current.payload["member"]["excellent"] == 31 and current.revision_no == 2
    assert imported.records.revisions("B02", YEAR)[0].payload["member"]["excellent"] == 30
    # The current log is the latest import's; the first import's rows are still there.
    log = imported.records.branch_inputs(YEAR).activities
    assert len(log) == 4 and (log["branch_id"] == "B01").sum() == 2
    assert len(rows(imported, tables.activities)) == 5 + 4
    assert len(rows(imported, tables.activity_logs)) == 6
    assert imported.records.branches().set_index("branch_id").loc["B02", "full_members"] == 36


def test_an_import_without_activity_rows_keeps_the_stored_logs(imported, sample_inputs, default_rubric):
    only_scores = copy.deepcopy(sample_inputs)
    only_scores.activities = sample_inputs.activities.iloc[0:0]
    report = imported.records.import_inputs(
        only_scores, year=YEAR, evaluator="李四", rubric_version=default_rubric.version, source="scores.xlsx"
    )
    assert report.activity_logs == 0 and "保留原有记录" in str(report)
    assert len(imported.records.branch_inputs(YEAR).activities) == 5


def test_an_import_with_a_wrong_payload_stores_nothing(store, sample_inputs, default_rubric):
    wrong = copy.deepcopy(sample_inputs)
    wrong.member.loc[wrong.member["branch_id"] == "B01", "excellent"] = 99
    with pytest.raises(StoreError, match="支部 B01：优秀：99人超过参评人数20人"):
        store.records.import_inputs(
            wrong, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="x"
        )
    assert store.records.branches().empty and store.records.revisions() == []
    assert [e.action for e in store.records.audit()] == ["schema_upgrade"]


# ------------------------------------------------------------------ several evaluators
def test_current_inputs_reconciles_two_evaluators(imported, sample_inputs, default_rubric):
    # Given 李四 counted B01's member review differently from 张三 (19 优秀 of 20)
    other = payload_of(sample_inputs, default_rubric, excellent=11, qualified=9)
    imported.records.submit("B01", YEAR, "李四", other, default_rubric.version)

    inputs, disagreements = imported.records.current_inputs(YEAR, default_rubric)

    member = inputs.member.set_index("branch_id")
    assert member.loc["B01", "excellent"] == 11  # of two whole tallies, the lower one (李四: 11 of 20)
    assert member.loc["B01", "qualified"] == 9
    assert member.loc["B02", "excellent"] == 30  # one evaluator: as submitted
    fields = {d.field for d in disagreements["B01"]}
    assert {"member.excellent", "member.qualified"} <= fields
    assert disagreements["B02"] == [] and disagreements["003"] == []
    assert len(inputs.branches) == 3 and len(inputs.activities) == 5
    assert STATUS_LABELS == {"draft": "草稿", "submitted": "已提交", "superseded": "已被更正"}


def test_the_street_of_a_branch_is_stored_and_updated_and_0004_adds_it_empty(database_url, default_rubric):
    # Given a database at 0003 (before 所属街道) holding one branch
    engine = make_engine(resolve_url(database_url))
    with engine.connect() as connection, connection.begin():
        from alembic import command

        command.upgrade(alembic_config(connection), "0003")
        connection.execute(
            sa.text(
                "INSERT INTO branches (branch_id, name, updated_at, updated_by) VALUES ('OLD', '老党支部', :at, 't')"
            ),
            {"at": dt.datetime.now(dt.UTC)},
        )
    engine.dispose()
    inputs = build_sample_inputs(default_rubric)  # streets 东城街道, 西城街道 and one blank
    with Store(database_url, rubric=default_rubric) as store:
        # When the program opens it (0004) and a workbook with streets is imported
        assert store.db.schema_upgraded == ("0003", head_revision())
        store.records.import_inputs(inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric, source="a.xlsx")
        # Then the old branch has no street, the imported ones theirs (blank stays blank)
        streets = dict(zip(store.records.branches()["branch_id"], store.records.branches()["street"]))
        assert streets["B01"] == "东城街道" and streets["B02"] == "西城街道"
        assert pd.isna(streets["003"]) and pd.isna(streets["OLD"])
        assert store.records.branch_inputs(YEAR, ["B02"]).branches["street"].tolist() == ["西城街道"]
        # And a later workbook moves a branch
        inputs.branches.loc[inputs.branches["branch_id"] == "B02", "street"] = "东城街道"
        store.records.import_inputs(inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric, source="b.xlsx")
        assert store.records.branches().set_index("branch_id").at["B02", "street"] == "东城街道"
        current, _ = store.records.current_inputs(YEAR, default_rubric)
        assert current.branches.set_index("branch_id").at["B02", "street"] == "东城街道"
        # A workbook without the column, or with blanks in it, keeps the stored streets and kinds
        before = store.records.branches().set_index("branch_id")[["street", "kind"]]
        assert before["street"].notna().sum() == 2 and before["kind"].notna().any()
        without = inputs.branches.drop(columns=["street"])
        without["kind"] = None
        without.loc[without["branch_id"] == "B01", "name"] = "改名后的党支部"
        store.records.import_inputs(
            dataclasses.replace(inputs, branches=without),
            year=YEAR,
            evaluator="张三",
            rubric_version=default_rubric,
            source="c.xlsx",
        )
        after = store.records.branches().set_index("branch_id")
        pd.testing.assert_frame_equal(after[["street", "kind"]], before)
        assert after.at["B01", "name"] == "改名后的党支部"  # the other columns are updated as before


def test_head_revision_read_from_the_files_is_alembics_head():
    from alembic.script import ScriptDirectory

    from assessment.store.migrate import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
