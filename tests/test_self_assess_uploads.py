"""A branch's uploads are previewed, merged by date and type (or, chosen explicitly, replace the log), kept
as a history in the database; and once the branch has applied, its self-assessment is read-only in the
store itself until the street sends it back (退回自评).

Runs on SQLite and, where PostgreSQL is configured, on PostgreSQL (store_support).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from test_access_workflow import roster_row, self_payload, xlsx_bytes

from assessment.analysis.self_assessment import self_check
from assessment.inputs.frames import ACTIVITY_COLUMNS, ROSTER_COLUMNS
from assessment.store import SelfAssessmentLocked, Store
from assessment.store import schema as tables
from assessment.store.engine import make_engine, resolve_url
from assessment.store.migrate import alembic_config, head_revision
from assessment.store.uploads import plan_activities

pytest_plugins = ["store_support"]

YEAR = 2025
HEADER = list(ACTIVITY_COLUMNS.values())
# B01's log as the street imported it (tests/samples.py): 01-05 支委会, 02-10 支部党员大会, 03-15 谈心谈话


@pytest.fixture
def imported(store, sample_inputs, default_rubric):
    store.records.import_inputs(
        sample_inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="sample.xlsx"
    )
    return store


@pytest.fixture
def session(imported):
    return imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)


def activities_xlsx(rows) -> bytes:
    return xlsx_bytes("活动记录", HEADER, [["B01", *row] for row in rows])


FOUR_MISSING = [
    ["2025-04-08", "支委会", 5, 5, "是"],
    ["2025-05-08", "支委会", 5, 5, "是"],
    ["2025-06-08", "支部党员大会", 20, 17, "是"],
    ["2025-09-08", "支部党员大会", 20, 16, "是"],
]


def upload_count(store: Store) -> int:
    with store.db.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(tables.branch_uploads)).scalar_one()


def test_uploading_missing_meetings_adds_them_and_keeps_the_rest(session, imported, default_rubric):
    branch = session.branch()
    before_log, _ = session.activities()
    before = self_check(default_rubric, branch, before_log, None, self_payload(default_rubric), year=YEAR)
    # The preview says what would happen and stores nothing
    plan = session.preview_upload("activities", activities_xlsx(FOUR_MISSING), "补录.xlsx")
    assert plan.mode == "merge" and plan.before == 3
    assert plan.counts == {"added": 4, "replaced": 0, "unchanged": 0, "kept": 3, "removed": 0}
    assert upload_count(imported) == 0
    # Confirmed: the log is the street's three records and the four new ones
    done = session.upload("activities", activities_xlsx(FOUR_MISSING), "补录.xlsx")
    assert done.counts == plan.counts
    after_log, source = session.activities()
    assert len(after_log) == 7 and source == "街道导入的活动记录3条，本支部上传的4条"
    after = self_check(default_rubric, branch, after_log, None, self_payload(default_rubric), year=YEAR)
    met_before = before.results.activities.set_index("rule_id")["met"]
    met_after = after.results.activities.set_index("rule_id")["met"]
    # no rule that was met is lost, and the counts only grow
    assert not ((met_before == True) & (met_after != True)).any()
    counts = after.results.activities.set_index("rule_id")["count"]
    assert (counts >= before.results.activities.set_index("rule_id")["count"]).all()
    assert counts["general_meeting"] == 3


def test_a_record_of_the_same_date_and_type_replaces_the_old_one_and_the_same_is_unchanged(session, imported):
    rows = [
        ["2025-01-05", "支委会", 5, 5, "是"],  # as the street has it
        ["2025-02-10", "支部党员大会", 20, 19, "是"],  # attendance corrected (street: 18)
        ["2025-07-01", "党课", 30, 28, "是"],
    ]
    plan = session.upload("activities", activities_xlsx(rows), "更正.xlsx")
    assert plan.counts == {"added": 1, "replaced": 1, "unchanged": 1, "kept": 1, "removed": 0}
    assert [r["date"] for r in plan.replaced_existing] == ["2025-02-10"]
    log = imported.self_assessments.branch_log("B01", YEAR)
    by_key = {(r["date"], r["type"]): r for r in log.rows}
    assert len(log.rows) == 4
    assert by_key[("2025-02-10", "支部党员大会")]["attended"] == 19
    (upload,) = log.uploads
    assert by_key[("2025-02-10", "支部党员大会")]["origin"] == upload.id
    assert by_key[("2025-01-05", "支委会")]["origin"] is None  # unchanged: still the street's record
    assert by_key[("2025-03-15", "谈心谈话")]["origin"] is None
    assert [(d.row["date"], d.reason) for d in log.displaced] == [("2025-02-10", "replaced")]
    assert len(log.street) == 3  # the street's own log is untouched


def test_replacing_the_whole_log_is_an_explicit_choice_that_says_what_goes(session, imported):
    plan = session.preview_upload("activities", activities_xlsx(FOUR_MISSING), "全年.xlsx", replace_all=True)
    assert plan.mode == "replace"
    assert plan.counts == {"added": 4, "replaced": 0, "unchanged": 0, "kept": 0, "removed": 3}
    session.upload("activities", activities_xlsx(FOUR_MISSING), "全年.xlsx", replace_all=True)
    log = imported.self_assessments.branch_log("B01", YEAR)
    assert len(log.rows) == 4 and all(r["origin"] is not None for r in log.rows)
    assert sorted(d.row["date"] for d in log.displaced if d.reason == "removed") == [
        "2025-01-05",
        "2025-02-10",
        "2025-03-15",
    ]
    # a later merged upload builds on the replaced log
    session.upload("activities", activities_xlsx([["2025-10-08", "支委会", 5, 5, "是"]]), "十月.xlsx")
    assert len(imported.self_assessments.branch_log("B01", YEAR).rows) == 5


def test_the_upload_history_is_kept_with_who_when_file_and_counts(session, imported):
    session.upload("activities", activities_xlsx(FOUR_MISSING), "补录.xlsx")
    roster = xlsx_bytes("党员名册", list(ROSTER_COLUMNS.values()), [roster_row(), roster_row(name="李党员")])
    session.upload("roster", roster, "名册.xlsx")
    smaller = xlsx_bytes("党员名册", list(ROSTER_COLUMNS.values()), [roster_row(), roster_row(name="赵党员")])
    plan = session.preview_upload("roster", smaller, "名册2.xlsx")
    # a roster is always replaced as a whole; members matched by name describe the change
    assert plan.mode == "replace"
    assert [r["name"] for r in plan.added] == ["赵党员"] and [r["name"] for r in plan.removed] == ["李党员"]
    history = session.uploads()
    assert [(u.kind, u.source, u.mode) for u in history] == [
        ("activities", "补录.xlsx", "merge"),
        ("roster", "名册.xlsx", "replace"),
    ]
    assert history[0].counts == {"added": 4, "replaced": 0, "unchanged": 0, "kept": 3, "removed": 0}
    assert history[1].counts["added"] == 2
    assert all(u.actor == session.actor and u.actor.startswith("支部（访问码 ") for u in history)
    assert all(abs(u.at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5) for u in history)
    assert imported.self_assessments.uploads("B01", YEAR) == history  # what the street reads is the same
    assert imported.self_assessments.with_uploads(YEAR) == {"B01"}
    (audited,) = [
        e for e in imported.records.audit() if e.action == "branch_upload" and e.detail["kind"] == "activities"
    ]
    assert audited.detail["mode"] == "merge" and audited.detail["added"] == 4


def test_after_applying_the_self_assessment_is_read_only_until_the_street_sends_it_back(
    session, imported, default_rubric
):
    session.upload("activities", activities_xlsx(FOUR_MISSING[:1]), "一条.xlsx")
    assert session.locked() is None
    session.apply(self_payload(default_rubric))
    reason = session.locked()
    assert "已提交并申请考评" in reason and "“已申请”" in reason and "“自评中”" in reason
    uploads_before = upload_count(imported)
    # Whatever the page shows, the store refuses every change in the same transaction
    with pytest.raises(SelfAssessmentLocked, match="只能查看"):
        session.save_draft(self_payload(default_rubric, 0.5))
    with pytest.raises(SelfAssessmentLocked):
        session.submit(self_payload(default_rubric, 0.5))
    with pytest.raises(SelfAssessmentLocked):
        session.upload("activities", activities_xlsx(FOUR_MISSING), "补录.xlsx")
    with pytest.raises(SelfAssessmentLocked):
        session.preview_upload("activities", activities_xlsx(FOUR_MISSING), "补录.xlsx")
    assert imported.self_assessments.current("B01", YEAR, draft=True) is None
    assert upload_count(imported) == uploads_before
    submitted = imported.self_assessments.current("B01", YEAR)
    assert submitted.payload == self_payload(default_rubric)
    # The street sends it back (退回自评): editable again
    imported.workflow.move("B01", YEAR, "自评中", role="街道", actor="周考评", reason="材料不全，请补充")
    assert session.locked() is None
    session.save_draft(self_payload(default_rubric, 0.5))
    assert imported.self_assessments.current("B01", YEAR, draft=True) is not None


def test_the_pure_merge_keeps_unmentioned_records_and_groups_duplicates():
    existing = [
        {"branch_id": "B", "date": "2025-03-01", "type": "党课", "expected": 5, "attended": 5, "has_record": True},
        {"branch_id": "B", "date": "2025-03-01", "type": "党课", "expected": 5, "attended": 4, "has_record": True},
        {"branch_id": "B", "date": "2025-04-01", "type": "党课", "expected": 5, "attended": 5, "has_record": True},
    ]
    one = [{**existing[0], "attended": 3}]
    plan = plan_activities(existing, one, origin=7)
    # both records of that day and type are replaced by the one uploaded; the other day stays
    assert plan.counts == {"added": 0, "replaced": 1, "unchanged": 0, "kept": 1, "removed": 0}
    assert len(plan.replaced_existing) == 2 and len(plan.result) == 2
    assert [r["origin"] for r in plan.result if r["date"] == "2025-03-01"] == [7]


def test_0006_keeps_earlier_uploads_as_whole_replacements(database_url, default_rubric, sample_inputs):
    engine = make_engine(resolve_url(database_url))
    with engine.connect() as connection, connection.begin():
        from alembic import command

        command.upgrade(alembic_config(connection), "0005")
        at = dt.datetime.now(dt.UTC)
        connection.execute(
            sa.text(
                "INSERT INTO branches (branch_id, name, updated_at, updated_by) VALUES ('B01', '东风社区党支部', :at, 't')"
            ),
            {"at": at},
        )
        connection.execute(
            sa.text(
                "INSERT INTO branch_uploads (branch_id, year, kind, at, actor, source, rows) "
                "VALUES ('B01', 2025, 'activities', :at, '支部（访问码 OLD）', '旧.xlsx', :rows)"
            ),
            {
                "at": at,
                "rows": '[{"branch_id": "B01", "date": "2025-05-05", "type": "党课", "expected": 5, '
                '"attended": 5, "has_record": true}]',
            },
        )
    engine.dispose()
    with Store(database_url, rubric=default_rubric) as store:
        assert store.db.schema_upgraded == ("0005", head_revision())
        store.records.import_inputs(
            sample_inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="sample.xlsx"
        )
        (old,) = store.self_assessments.uploads("B01", YEAR)
        assert old.mode == "replace" and old.counts == dict.fromkeys(old.counts)
        # it replaced the whole log then, and still does: the street's three records are not in the branch's log
        log = store.self_assessments.branch_log("B01", YEAR)
        assert [r["date"] for r in log.rows] == ["2025-05-05"] and len(log.displaced) == 3
