"""Access codes, branch sessions, self-assessments, uploads and the acceptance workflow, at the package level.

Every test runs on SQLite and, where PostgreSQL is configured (always in CI), on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
import sqlalchemy as sa
from factories import record_result
from openpyxl import Workbook

from assessment.inputs.frames import ACTIVITY_COLUMNS, ROSTER_COLUMNS
from assessment.inputs.payload import blank_payload
from assessment.inputs.workbook import WorkbookError
from assessment.localtime import local_date
from assessment.store import REFUSAL, AccessDenied, BranchSession, StoreError
from assessment.store import schema as tables
from assessment.store.access_codes import parse_code

pytest_plugins = ["store_support"]

YEAR = 2025


@pytest.fixture
def imported(store, sample_inputs, default_rubric):
    store.records.import_inputs(
        sample_inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="sample.xlsx"
    )
    return store


def self_payload(rubric, value_share: float = 1.0) -> dict:
    payload = blank_payload(rubric)
    for item in rubric.items:
        if item.kind == "level":
            value = item.levels[0].label
        elif item.kind == "count_shortfall":
            value = int(item.target)
        elif item.kind == "deduction":
            value = 0
        elif item.kind == "rate_steps":
            value = 100
        else:
            value = float(item.max) * value_share
        payload["org"]["items"][item.id]["value"] = value
    return payload


def xlsx_bytes(sheet: str, header: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def roster_row(branch="B01", name="王书记", status="正式党员", role="书记", sessions=24, upper="是", dues=None):
    dues = dues or ["是"] * 12
    return [branch, name, status, role, "2001-07-01", sessions, upper, *dues, "是"]


# ------------------------------------------------------------------ access codes
def test_a_code_opens_its_branch_only_and_is_stored_only_as_a_salted_digest(imported):
    issued = imported.access.issue("B01", YEAR, by="管理员")
    assert parse_code(issued.code) == (issued.key_id, issued.code.replace("-", "")[8:])
    session = imported.access.open_session(issued.code)
    assert isinstance(session, BranchSession)
    assert (session.branch_id, session.year) == ("B01", YEAR)
    assert session.name == "东风社区党支部"
    with imported.db.engine.connect() as connection:
        row = connection.execute(sa.select(tables.access_codes)).one()
    secret = issued.code.replace("-", "")[8:]
    assert secret not in row.digest and secret not in row.salt and issued.code not in str(row)
    assert row.kdf.startswith("scrypt:") and len(bytes.fromhex(row.salt)) == 16
    # Typed from a phone: lower case, spaces, no dashes, O for 0 — still the same code.
    typed = issued.code.lower().replace("-", " ").replace("0", "o")
    assert imported.access.open_session(typed).branch_id == "B01"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda code: code[:-1] + ("X" if code[-1] != "X" else "Y"),  # one character of the secret wrong
        lambda code: "ZZZZZZZZ" + code[8:],  # unknown key id
        lambda code: "not a code",
        lambda code: "",
        lambda code: None,
        lambda code: code + "-0000",
    ],
)
def test_a_wrong_code_gets_the_one_plain_refusal(imported, mangle):
    issued = imported.access.issue("B01", YEAR, by="管理员")
    with pytest.raises(AccessDenied) as refused:
        imported.access.open_session(mangle(issued.code))
    assert str(refused.value) == REFUSAL
    assert "B01" not in str(refused.value) and "东风" not in str(refused.value)


def test_a_revoked_code_is_refused_and_an_open_session_stops_at_its_next_action(imported, default_rubric):
    issued = imported.access.issue("B01", YEAR, by="管理员")
    session = imported.access.open_session(issued.code)
    assert imported.access.revoke("B01", by="管理员", reason="书记调整") == [issued.key_id]
    with pytest.raises(AccessDenied) as refused:
        imported.access.open_session(issued.code)
    assert str(refused.value) == REFUSAL
    for action in (
        lambda: session.save_draft(self_payload(default_rubric)),
        lambda: session.submit(self_payload(default_rubric)),
        lambda: session.self_assessment(),
        lambda: session.status(),
        lambda: session.activities(),
    ):
        with pytest.raises(AccessDenied):
            action()
    assert imported.self_assessments.current("B01", YEAR, draft=True) is None


def test_reissuing_revokes_the_earlier_code_and_the_list_shows_no_secrets(imported):
    first = imported.access.issue("B01", YEAR, by="管理员")
    second = imported.access.issue("B01", YEAR, by="管理员")
    assert second.replaced == 1
    with pytest.raises(AccessDenied):
        imported.access.open_session(first.code)
    assert imported.access.open_session(second.code).branch_id == "B01"
    listed = imported.access.codes("B01")
    assert [(c.key_id, c.active) for c in listed] == [(first.key_id, False), (second.key_id, True)]
    assert listed[0].revoke_reason == "重新发放访问码"
    assert not any(hasattr(c, "code") or hasattr(c, "digest") for c in listed)


def test_a_session_cannot_be_made_without_a_code(imported):
    with pytest.raises(TypeError):
        BranchSession(object(), imported, 1, "X", "B01", YEAR)


def test_branch_a_cannot_read_or_write_branch_b(imported, default_rubric):
    a = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
    b = imported.access.open_session(imported.access.issue("B02", YEAR, by="管理员").code)
    b.save_draft(self_payload(default_rubric, 0.5))
    a.submit(self_payload(default_rubric))
    # A sees only its own rows; nothing it does reaches B, and no method takes another branch.
    assert a.self_assessment(draft=True) is None
    assert b.self_assessment() is None
    assert b.self_assessment(draft=True).payload["org"]["items"]["s1"]["value"] == 2.5
    activities, _source = a.activities()
    assert set(activities["branch_id"]) <= {"B01"}
    assert set(a.branch()["branch_id"]) == {"B01"}
    # Uploading rows of B with A's code is refused, naming the row; nothing is stored.
    data = xlsx_bytes("党员名册", list(ROSTER_COLUMNS.values()), [roster_row(), roster_row("B02", "赵委员")])
    with pytest.raises(WorkbookError) as refused:
        a.upload("roster", data, "名册.xlsx")
    (problem,) = refused.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("党员名册", 3, "支部编号")
    assert "只能上传本支部的数据" in str(problem)
    assert imported.self_assessments.uploaded("B01", YEAR, "roster") is None
    assert imported.self_assessments.uploaded("B02", YEAR, "roster") is None


def test_the_self_assessment_is_kept_apart_from_evaluator_submissions(imported, default_rubric):
    before = [(r.id, r.status) for r in imported.records.revisions("B01", YEAR)]
    session = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
    session.save_draft({"org": {"items": {"s1": {"value": "五"}}}})  # a draft may hold anything
    stored = session.submit(self_payload(default_rubric))
    assert stored.status == "submitted"
    assert [(r.id, r.status) for r in imported.records.revisions("B01", YEAR)] == before
    assert imported.self_assessments.current("B01", YEAR).payload == stored.payload
    assert imported.self_assessments.current("B01", YEAR, draft=True) is None
    wrong = self_payload(default_rubric)
    wrong["org"]["items"]["s1"]["value"] = 9
    with pytest.raises(StoreError, match="自评内容有 1 处问题"):
        session.submit(wrong)


# ------------------------------------------------------------------ uploads
def test_a_good_roster_and_activity_log_upload_is_stored_and_used(imported):
    session = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
    roster = session.upload(
        "roster",
        xlsx_bytes(
            "党员名册",
            list(ROSTER_COLUMNS.values()),
            [roster_row(), roster_row(name="李党员", role="党员", sessions=12)],
        ),
        "名册.xlsx",
    )
    assert list(roster.frame["name"]) == ["王书记", "李党员"] and roster.mode == "replace"
    assert imported.self_assessments.uploaded("B01", YEAR, "roster")["sessions"].tolist() == [24, 12]
    csv_text = ",".join(ACTIVITY_COLUMNS.values()) + "\nB01,2025-01-08,支委会,5,5,是\nB01,2025/2/8,支委会,5,4,是\n"
    log = session.upload("activities", csv_text.encode("gb18030"), "活动.csv")
    assert log.frame["date"].dt.month.tolist() == [1, 2]
    # merged into the street's log of B01 (three records, none of them on these days): both added, all kept
    assert log.counts == {"added": 2, "replaced": 0, "unchanged": 0, "kept": 3, "removed": 0}
    activities, source = session.activities()
    assert source == "街道导入的活动记录3条，本支部上传的2条" and len(activities) == 5


def test_a_bad_upload_names_sheet_row_and_column_and_stores_nothing(imported):
    session = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
    bad = roster_row(sessions="十二")
    bad[7] = "交了"  # 1月党费
    data = xlsx_bytes("党员名册", list(ROSTER_COLUMNS.values()), [roster_row(), bad, roster_row(upper=None)])
    with pytest.raises(WorkbookError) as refused:
        session.upload("roster", data, "名册.xlsx")
    located = {(p.sheet, p.row, p.column) for p in refused.value.problems}
    assert located == {("党员名册", 3, "集中学习次数"), ("党员名册", 3, "1月党费"), ("党员名册", 4, "参加上级培训")}
    assert "名册.xlsx 工作表“党员名册”第3行“集中学习次数”列：填写了“十二”" in str(refused.value)
    csv_bad = ",".join(ACTIVITY_COLUMNS.values()) + "\nB01,2025-13-01,支委会,5,5,是\n"
    with pytest.raises(WorkbookError, match="活动.csv 工作表“活动记录”第2行“日期”列"):
        session.upload("activities", csv_bad.encode(), "活动.csv")
    with pytest.raises(WorkbookError, match="只支持 .xlsx 或 .csv"):
        session.upload("activities", b"x", "活动.xls")
    with pytest.raises(WorkbookError, match="缺少此列"):
        session.upload("activities", "支部编号,日期\nB01,2025-01-01\n".encode(), "活动.csv")
    with pytest.raises(WorkbookError, match="没有任何数据行"):
        session.upload("activities", (",".join(ACTIVITY_COLUMNS.values()) + "\n").encode(), "活动.csv")
    with imported.db.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(tables.branch_uploads)).scalar_one() == 0


# ------------------------------------------------------------------ workflow
def test_the_whole_workflow_with_who_when_why_and_a_designation_period(imported, default_rubric):
    session = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
    assert session.status().label == "自评中" and session.status().event_id is None
    event = session.apply(self_payload(default_rubric))
    assert (event.from_status, event.to_status, event.role) == ("self_assessing", "applied", "branch")
    assert imported.self_assessments.current("B01", YEAR) is not None
    record_result(imported, "B01", YEAR)  # the street's evaluator submits a result that is 达标 and 最强-eligible
    steps = [
        ("街道考评中", "街道", "周考评", "材料齐全，受理"),
        ("待区委验收", "街道", "周考评", "四评综合得分92分"),
        ("已达标", "区委", "区委组织部", "验收通过"),
        ("最强申报", "街道", "街道党工委", "逐级申报"),
        ("已评定最强", "区委", "区委组织部", "好中选优"),
        ("撤销", "街道", "街道党工委", "群众反映问题查证属实，不再符合建设标准"),
        ("自评中", "支部", "王书记", "开始新一轮建设"),
    ]
    for to, role, actor, reason in steps:
        imported.workflow.move("B01", YEAR, to, role=role, actor=actor, reason=reason)
    history = imported.workflow.history("B01", YEAR)
    assert [e.to_status for e in history] == [
        "applied",
        "street_review",
        "district_check",
        "standardized",
        "strongest_declared",
        "strongest",
        "revoked",
        "self_assessing",
    ]
    assert all(e.actor and e.reason and e.at.tzinfo is not None for e in history)
    # B01: 社区, last election 2023-06-30 → the designation lasts the 5-year term, to 2028-06-30.
    designated = history[5]
    assert designated.valid_from == local_date(designated.at)  # the day in Beijing
    assert designated.valid_until == dt.date(2028, 6, 30)
    assert history[6].reason == "群众反映问题查证属实，不再符合建设标准"
    assert [a.action for a in imported.records.audit()].count("workflow_move") == 8


def test_a_designation_without_a_last_election_has_no_end_date_and_an_expired_term_is_refused(imported):
    for branch_id in ("B02", "003"):
        record_result(imported, branch_id, YEAR)
        for to, role in (("已申请", "支部"), ("街道考评中", "街道"), ("待区委验收", "街道"), ("已达标", "区委")):
            if to == "已申请":
                with imported.db.engine.begin() as connection:  # a submitted self-assessment is required first
                    connection.execute(
                        tables.self_assessments.insert().values(
                            branch_id=branch_id,
                            year=YEAR,
                            status="submitted",
                            payload={},
                            rubric_version="x",
                            updated_at=dt.datetime.now(dt.UTC),
                            actor="t",
                        )
                    )
            if branch_id == "B02" and to == "已达标":
                # B02: 村, elected 2021-12-01 → its 5-year term ended 2026-12-01: a designation made today
                # would already be over, so it is refused with the reason.
                with pytest.raises(StoreError, match="本届任期已于 2026-12-01 届满（上次换届 2021-12-01）"):
                    imported.workflow.move(branch_id, YEAR, to, role=role, actor="某人", reason="测试")
                continue
            imported.workflow.move(branch_id, YEAR, to, role=role, actor="某人", reason="测试")
    assert imported.workflow.status("B02", YEAR).status == "district_check"
    # After the election is recorded, the designation runs 5 years from it.
    record_result(imported, "B02", YEAR, last_election="2026-11-20")
    imported.workflow.move("B02", YEAR, "已达标", role="区委", actor="某人", reason="换届后验收")
    assert imported.workflow.status("B02", YEAR).valid_until == dt.date(2031, 11, 20)
    # 003: no last election → no end date.
    assert imported.workflow.status("003", YEAR).valid_until is None


@pytest.mark.parametrize(
    ("setup", "to", "role", "reason", "message"),
    [
        (
            [],
            "已达标",
            "区委",
            "直接达标",
            "不允许把支部 B01 2025年度的状态从“自评中”改为“已达标”：按规定下一步只能是：已申请（支部）",
        ),
        ([], "已申请", "街道", "代为申请", "“申请考评”只能由支部操作，街道不能操作"),
        ([], "已申请", "支部", "申请", "“申请考评”之前须先提交本支部2025年度的自评结果"),
        ([], "街道考评中", "街道", "  ", "变更原因不能为空"),
        ([], "不存在", "街道", "x", "未知的状态“不存在”"),
        ([], "街道考评中", "居委会", "x", "未知的角色“居委会”"),
        (["applied"], "待区委验收", "街道", "跳过", "按规定下一步只能是：街道考评中（街道）、自评中（街道）"),
        (
            ["applied", "street_review", "district_check"],
            "已达标",
            "街道",
            "街道验收",
            "“验收通过”只能由区委操作，街道不能操作",
        ),
        (
            ["applied", "street_review", "district_check", "standardized"],
            "撤销",
            "支部",
            "自己撤销",
            "只能由街道或区委操作",
        ),
        (["applied", "street_review", "failed"], "已达标", "区委", "x", "从“未通过”改为“已达标”"),
    ],
)
def test_every_refused_move_says_why_and_changes_nothing(imported, default_rubric, setup, to, role, reason, message):
    roles = {
        "applied": "branch",
        "street_review": "street",
        "district_check": "street",
        "standardized": "district",
        "failed": "street",
    }
    record_result(imported, "B01", YEAR)
    for state in setup:
        if state == "applied":
            session = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
            session.apply(self_payload(default_rubric))
        else:
            imported.workflow.move("B01", YEAR, state, role=roles[state], actor="某人", reason="准备")
    before = imported.workflow.history("B01", YEAR)
    with pytest.raises(StoreError) as refused:
        imported.workflow.move("B01", YEAR, to, role=role, actor="某人", reason=reason)
    assert message in str(refused.value)
    assert imported.workflow.history("B01", YEAR) == before


def test_every_transition_of_the_rubric_is_allowed_for_its_roles_and_refused_for_the_others(imported, default_rubric):
    workflow = default_rubric.workflow
    record_result(imported, "B01", YEAR)  # 达标 and 最强-eligible: every move that rests on a result may go
    for transition in workflow.transitions:
        with imported.db.engine.begin() as connection:
            connection.execute(tables.workflow_status.delete())
            if transition.from_ != workflow.initial:
                connection.execute(
                    tables.workflow_status.insert().values(
                        branch_id="B01", year=YEAR, status=transition.from_, since=dt.datetime.now(dt.UTC), event_id=0
                    )
                )
            connection.execute(tables.self_assessments.delete())
            connection.execute(
                tables.self_assessments.insert().values(
                    branch_id="B01",
                    year=YEAR,
                    status="submitted",
                    payload={},
                    rubric_version="x",
                    updated_at=dt.datetime.now(dt.UTC),
                    actor="t",
                )
            )
        for role in workflow.roles:
            if role.id in transition.roles:
                continue
            with pytest.raises(StoreError, match="只能由"):
                imported.workflow.move("B01", YEAR, transition.to, role=role.id, actor="某人", reason="试")
        event = imported.workflow.move("B01", YEAR, transition.to, role=transition.roles[0], actor="某人", reason="试")
        assert (event.from_status, event.to_status) == (transition.from_, transition.to)


def test_apply_twice_is_refused_and_moves_that_raced_are_refused(imported, default_rubric):
    session = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
    session.apply(self_payload(default_rubric))
    with pytest.raises(StoreError, match="现在不能申请考评"):
        session.apply(self_payload(default_rubric))
    with pytest.raises(StoreError, match="请刷新后重试"):
        imported.workflow.move("B01", YEAR, "街道考评中", role="街道", actor="某人", reason="x", expected_from="自评中")


def test_the_list_filters_by_status_and_shows_every_branch(imported, default_rubric):
    session = imported.access.open_session(imported.access.issue("B02", YEAR, by="管理员").code)
    session.apply(self_payload(default_rubric))
    listed = imported.workflow.statuses(YEAR)
    assert [(b, s.label) for b, _name, s in listed] == [("003", "自评中"), ("B01", "自评中"), ("B02", "已申请")]
    assert [b for b, _n, _s in imported.workflow.statuses(YEAR, status="已申请")] == ["B02"]
    moves = imported.workflow.allowed_moves("B02", YEAR, role="街道")
    assert [(m.to_label, m.allowed) for m in moves] == [("街道考评中", True), ("自评中", True)]
    assert all(
        not m.allowed and m.why == "只能由街道操作" for m in imported.workflow.allowed_moves("B02", YEAR, role="支部")
    )


def test_roster_frames_round_trip_through_the_store(imported):
    session = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
    data = xlsx_bytes("党员名册", list(ROSTER_COLUMNS.values()), [roster_row(dues=["否"] * 6 + ["是"] * 5 + [None])])
    shown = session.upload("roster", data, "名册.xlsx").frame
    stored = imported.self_assessments.uploaded("B01", YEAR, "roster")
    pd.testing.assert_frame_equal(shown, stored)
    assert stored.loc[0, "dues_1"] == False and pd.isna(stored.loc[0, "dues_12"])


def test_the_evaluators_results_check_talks_against_the_branchs_uploaded_roster(imported, default_rubric):
    from assessment.scoring import score

    # Given B01 uploaded a roster where 李党员 had no 谈心谈话 this year
    session = imported.access.open_session(imported.access.issue("B01", YEAR, by="管理员").code)
    session.upload(
        "roster",
        xlsx_bytes(
            "党员名册",
            list(ROSTER_COLUMNS.values()),
            [roster_row() + [2], roster_row(name="李党员", role="党员", sessions=12) + [0]],
        ),
        "名册.xlsx",
    )
    # When the street's results are scored from the store
    inputs, _ = imported.records.current_inputs(YEAR, default_rubric)
    assert inputs.roster["talks"].tolist() == [2, 0]
    talks = score(default_rubric, inputs, year=YEAR).activities.set_index(["branch_id", "rule_id"])
    # Then B01's 谈心谈话 is checked member by member; B02 (no roster) only against its log
    assert talks.loc[("B01", "heart_talk"), "met"] == False
    assert talks.loc[("B01", "heart_talk"), "missing_periods"] == "全年未谈话：李党员"
    assert talks.loc[("B02", "heart_talk"), "missing_periods"] == "全年没有谈心谈话记录"
    assert imported.records.branch_inputs(YEAR, ["B01"]).roster["name"].tolist() == ["王书记", "李党员"]
    decided = imported.records.decided_inputs(YEAR)[0].inputs  # the 总览's reading sees the roster too
    assert decided.roster["name"].tolist() == ["王书记", "李党员"]
    # And a move that rests on B01's result reads the same roster: a perfect form is 未达标 for the talk
    record_result(imported, "B01", YEAR)
    _to_street_review(imported, default_rubric)
    with pytest.raises(StoreError, match="考评结果未达标"):
        imported.workflow.move("B01", YEAR, "待区委验收", role="街道", actor="周考评", reason="考评通过")


# ------------------------------------------------------------------ moves rest on the recorded result
def _to_street_review(store, rubric, branch_id="B01"):
    session = store.access.open_session(store.access.issue(branch_id, YEAR, by="管理员").code)
    session.apply(self_payload(rubric))
    store.workflow.move(branch_id, YEAR, "街道考评中", role="街道", actor="周考评", reason="受理")


def test_a_move_that_rests_on_a_result_is_refused_without_one_and_when_the_result_does_not_support_it(
    imported, default_rubric
):
    # The imported sample's B01 is 未达标 (its activity log is thin); nothing by 李四 yet.
    _to_street_review(imported, default_rubric)
    with imported.db.engine.begin() as connection:
        connection.execute(  # as if nobody had submitted for B01
            tables.evaluations.update().where(tables.evaluations.c.branch_id == "B01").values(status="superseded")
        )
    with pytest.raises(StoreError, match="还没有已提交的考评结果"):
        imported.workflow.move("B01", YEAR, "待区委验收", role="街道", actor="周考评", reason="考评通过")
    record_result(imported, "B01", YEAR, passing=False)
    with pytest.raises(StoreError) as refused:
        imported.workflow.move("B01", YEAR, "待区委验收", role="街道", actor="周考评", reason="考评通过")
    text = str(refused.value)
    assert "不能“考评通过，报区委验收”：考评结果未达标" in text
    assert "依据 张三第" in text and "评分标准 " in text and "否决：" in text
    assert "须由街道写明理由、按“例外”提交" in text
    assert imported.workflow.status("B01", YEAR).status == "street_review"
    # Asking for an exception where the result supports the move is refused too.
    record_result(imported, "B01", YEAR)
    with pytest.raises(StoreError, match="无需按例外办理"):
        imported.workflow.move(
            "B01", YEAR, "待区委验收", role="街道", actor="周考评", reason="考评通过", exception=True
        )
    event = imported.workflow.move("B01", YEAR, "待区委验收", role="街道", actor="周考评", reason="考评通过")
    assert not event.exception and event.result is not None and event.result.standardized
    revision = imported.records.current_submissions("B01", YEAR)["张三"]
    assert event.result.revisions == (("张三", revision.revision_no),)
    assert event.result.rubric_version == default_rubric.version


def test_an_exception_is_made_only_by_the_role_the_rubric_allows_and_is_marked_everywhere(imported, default_rubric):
    _to_street_review(imported, default_rubric)
    record_result(imported, "B01", YEAR, passing=False)
    event = imported.workflow.move(
        "B01", YEAR, "待区委验收", role="街道", actor="周考评", reason="否决依据的部门意见已撤回", exception=True
    )
    assert event.exception and not event.result.standardized
    history = imported.workflow.history("B01", YEAR)
    assert history[-1].exception and history[-1].basis_text().startswith("例外：依据 张三第")
    # 验收通过 against the result: only the 区委 may, as an exception; the designation shows it.
    with pytest.raises(StoreError, match="须由区委写明理由"):
        imported.workflow.move("B01", YEAR, "已达标", role="区委", actor="区委组织部", reason="验收")
    imported.workflow.move("B01", YEAR, "已达标", role="区委", actor="区委组织部", reason="复核后认定", exception=True)
    status = imported.workflow.status("B01", YEAR)
    assert status.status == "standardized" and status.exception and not status.result.standardized
    listed = {branch_id: s for branch_id, _name, s in imported.workflow.statuses(YEAR)}
    assert listed["B01"].exception and listed["B02"].exception is False
    # 最强: 不得评定 when a veto fired — no exception exists for it in the rubric.
    with pytest.raises(StoreError) as refused:
        imported.workflow.move("B01", YEAR, "最强申报", role="街道", actor="周考评", reason="申报", exception=True)
    assert "不能“申报“最强党支部””：考评结果" in str(refused.value)
    assert "例外办理" not in str(refused.value)
    # The branch's report names the result each move rested on and marks the exception.
    from assessment.outputs.branch_pdf import branch_only, store_branch_report
    from assessment.scoring import score

    inputs, _ = imported.records.current_inputs(YEAR, default_rubric)
    results = score(default_rubric, branch_only(inputs, "B01"), year=YEAR)
    document, _stem = store_branch_report(imported, default_rubric, results, "B01", YEAR)
    assert "已达标（例外）" in document and "例外：依据 张三第" in document
    audit = [e for e in imported.records.audit(limit=5) if e.action == "workflow_move"]
    assert audit[0].detail["exception"] is True and audit[0].detail["basis"].startswith("依据 张三第")


def test_a_result_scored_with_mixed_rubric_versions_supports_no_decision(imported, default_rubric):
    _to_street_review(imported, default_rubric)
    record_result(imported, "B01", YEAR)
    record_result(imported, "B01", YEAR, evaluator="李四")
    with imported.db.engine.begin() as connection:  # as if 李四 had submitted under an older version
        connection.execute(
            tables.evaluations.update()
            .where(tables.evaluations.c.evaluator == "李四", tables.evaluations.c.status == "submitted")
            .values(rubric_version="2025.1")
        )
    with pytest.raises(StoreError, match="评分标准版本不同（2025.1、"):
        imported.workflow.move(
            "B01", YEAR, "待区委验收", role="街道", actor="周考评", reason="考评通过", exception=True
        )
