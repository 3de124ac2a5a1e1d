"""Drafts are never silently lost or overwritten (issue 12), without a browser:

* compare-and-set in the store: a draft is written (discarded, submitted over) only if it is still the
  version the writer saw — on SQLite and PostgreSQL;
* two windows of one evaluator (or of one branch on the 自评 page): the later save is refused with a clear
  message, the page stops saving, and what the other window saved stays;
* a database outage, made real by taking the SQLite file away from a real store: the page says the draft is
  not saved yet, keeps the newest form, tries again on its own timer and says when it is saved; no message
  shows the database's address or the driver's words (they go to the log).
"""

from __future__ import annotations

import logging
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

from assessment.inputs.payload import blank_payload
from assessment.localtime import local_time
from assessment.pages import drafts
from assessment.pages.evaluate.app import SUBMIT_UNAVAILABLE, EvaluateApp
from assessment.pages.self_assess.app import SelfAssessApp
from assessment.store import UNAVAILABLE, DraftConflict, Store, StoreUnavailable
from tests.factories import full_marks, staff_session

pytest_plugins = ["store_support"]

YEAR = 2025
BRANCH = "B01"


@pytest.fixture
def imported(store, sample_inputs, default_rubric):
    store.records.import_inputs(
        sample_inputs, year=YEAR, evaluator="导入员", rubric_version=default_rubric.version, source="sample.xlsx"
    )
    return store


@pytest.fixture
def sqlite_store(tmp_path, sample_inputs, default_rubric):
    """A store on an SQLite file of its own (the outage tests take that file away)."""
    path = tmp_path / "outage.sqlite"
    with Store(f"sqlite:///{path}", rubric=default_rubric) as opened:
        opened.records.import_inputs(
            sample_inputs, year=YEAR, evaluator="导入员", rubric_version=default_rubric.version, source="sample.xlsx"
        )
        opened.file = path
        yield opened


@contextmanager
def database_away(store):
    """The database file gone (a directory in its place) until the block ends: every new connection fails
    with the driver's own "unable to open database file", as when a disk or a share drops out."""
    path: Path = store.file
    store.db.engine.dispose()  # pooled connections would still reach the old file
    aside = path.with_name(path.name + ".aside")
    aside.mkdir()
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            shutil.move(part, aside / part.name)
    path.mkdir()
    try:
        yield
    finally:
        store.db.engine.dispose()
        path.rmdir()
        for part in aside.iterdir():
            shutil.move(part, path.with_name(part.name))
        aside.rmdir()


class Timers:
    """The saver's ``schedule``: remembers the timers, fires them when the test says (the kernel's loop
    would after the delay)."""

    def __init__(self):
        self.waiting: list[Timer] = []

    def __call__(self, delay, callback):
        timer = Timer(delay, callback)
        self.waiting.append(timer)
        return timer

    @property
    def delays(self) -> list[float]:
        return [t.delay for t in self.waiting if not t.cancelled]

    def fire(self) -> None:
        due, self.waiting = [t for t in self.waiting if not t.cancelled], []
        for timer in due:
            timer.callback()


class Timer:
    def __init__(self, delay, callback):
        self.delay, self.callback, self.cancelled = delay, callback, False

    def cancel(self) -> None:
        self.cancelled = True


@pytest.fixture
def log_records():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    loggers = [logging.getLogger("assessment.pages"), logging.getLogger("assessment.store")]
    for logger in loggers:
        logger.addHandler(handler)
    yield records
    for logger in loggers:
        logger.removeHandler(handler)


def payload_with(rubric, **values):
    payload = blank_payload(rubric)
    for item_id, value in values.items():
        payload["org"]["items"][item_id]["value"] = value
    return payload


def evaluate_page(store, rubric, timers=None, name="张三") -> EvaluateApp:
    return EvaluateApp(store, rubric, session=staff_session(store, name), schedule=timers or Timers())


def open_branch(app) -> None:
    app.branch_picker.value = BRANCH
    app.open_button.click()


def s_value(store, item="s1", evaluator="张三"):
    draft = store.records.load_draft(BRANCH, YEAR, evaluator)
    return None if draft is None else draft.payload["org"]["items"][item]["value"]


# ------------------------------------------------------------------ the store: compare-and-set
def test_a_draft_is_written_only_over_the_version_the_writer_saw(imported, default_rubric):
    records, version = imported.records, default_rubric.version
    # Given two windows that both saw no draft
    first = records.save_draft(BRANCH, YEAR, "张三", payload_with(default_rubric, s1="4"), version, expected=None)
    # When the second saves on the strength of that look, Then it is refused and the first stays
    with pytest.raises(DraftConflict) as refused:
        records.save_draft(BRANCH, YEAR, "张三", payload_with(default_rubric, s1="1"), version, expected=None)
    assert refused.value.current == first
    assert str(refused.value) == (
        f"此支部的草稿已在另一个窗口中修改（{local_time(first.updated_at, seconds=True)}）：请刷新后再改，以免互相覆盖"
    )
    assert records.load_draft(BRANCH, YEAR, "张三").payload["org"]["items"]["s1"]["value"] == "4"
    # The window that saw the first version saves over it, and gets a new version
    second = records.save_draft(
        BRANCH, YEAR, "张三", payload_with(default_rubric, s1="3"), version, expected=first.version
    )
    assert second.version not in ("", first.version)
    assert records.load_draft(BRANCH, YEAR, "张三") == second
    # Another evaluator's draft is another row: no conflict with 张三's
    records.save_draft(BRANCH, YEAR, "李四", payload_with(default_rubric, s1="2"), version, expected=None)


def test_a_draft_begun_again_after_a_discard_is_not_taken_for_the_old_one(imported, default_rubric):
    records, version = imported.records, default_rubric.version
    old = records.save_draft(BRANCH, YEAR, "张三", payload_with(default_rubric, s1="4"), version, expected=None)
    # When another window discards it and begins again
    records.discard_draft(BRANCH, YEAR, "张三", expected=old.version)
    again = records.save_draft(BRANCH, YEAR, "张三", payload_with(default_rubric, s1="1"), version, expected=None)
    # Then the window that still holds the old version is refused (the version is not a counter from 1)
    with pytest.raises(DraftConflict):
        records.save_draft(BRANCH, YEAR, "张三", payload_with(default_rubric, s1="5"), version, expected=old.version)
    with pytest.raises(DraftConflict):
        records.discard_draft(BRANCH, YEAR, "张三", expected=old.version)
    assert records.load_draft(BRANCH, YEAR, "张三") == again


def test_a_submission_does_not_drop_a_newer_draft_of_another_window(imported, default_rubric, sample_inputs):
    from assessment.inputs.payload import payload_from_inputs

    records, version = imported.records, default_rubric.version
    complete = payload_from_inputs(sample_inputs, BRANCH, default_rubric)
    seen = records.save_draft(BRANCH, YEAR, "张三", complete, version, expected=None)
    newer = records.save_draft(
        BRANCH, YEAR, "张三", payload_with(default_rubric, s1="1"), version, expected=seen.version
    )
    before = len(records.revisions(BRANCH, YEAR))
    with pytest.raises(DraftConflict):
        records.submit(BRANCH, YEAR, "张三", complete, version, expected_draft=seen.version)
    assert len(records.revisions(BRANCH, YEAR)) == before
    assert records.load_draft(BRANCH, YEAR, "张三") == newer
    # With the version it saw, the submission goes through and the draft goes with it
    records.submit(BRANCH, YEAR, "张三", complete, version, expected_draft=newer.version)
    assert records.load_draft(BRANCH, YEAR, "张三") is None
    message = str(DraftConflict(None))
    assert message == "此支部的草稿已在另一个窗口中提交或放弃：请刷新后再改，以免互相覆盖"


def test_a_branch_draft_is_written_only_over_the_version_its_window_saw(imported, default_rubric):
    code = imported.access.issue(BRANCH, YEAR, by="管理员").code
    phone, laptop = imported.access.open_session(code), imported.access.open_session(code)
    saved = phone.save_draft(payload_with(default_rubric, s1="4"), expected=None)
    with pytest.raises(DraftConflict):
        laptop.save_draft(payload_with(default_rubric, s1="1"), expected=None)
    assert phone.self_assessment(draft=True).payload["org"]["items"]["s1"]["value"] == "4"
    assert laptop.save_draft(payload_with(default_rubric, s1="2"), expected=saved.version).version != saved.version


# ------------------------------------------------------------------ two windows of one evaluator
def test_the_second_window_of_one_evaluator_is_refused_and_says_so(imported, default_rubric):
    # Given the same evaluator with the branch open in two tabs (no draft yet)
    tab_a, tab_b = evaluate_page(imported, default_rubric), evaluate_page(imported, default_rubric)
    open_branch(tab_a)
    open_branch(tab_b)
    # When tab A types, Then it is saved
    tab_a.inputs["org.items.s1.value"].value = "4"
    assert "草稿已自动保存" in tab_a.draft_status.value
    saved = imported.records.load_draft(BRANCH, YEAR, "张三")
    # When tab B types over it, Then tab B is refused with the time of A's save, and A's draft stays
    tab_b.inputs["org.items.s1.value"].value = "1"
    expected = f"此支部的草稿已在另一个窗口中修改（{local_time(saved.updated_at, seconds=True)}）"
    assert expected in tab_b.draft_status.value and "请刷新后再改" in tab_b.draft_status.value
    assert "warn" in tab_b.draft_status.value and "草稿已自动保存" not in tab_b.draft_status.value
    assert s_value(imported) == "4"
    # And tab B has stopped saving: later changes are refused too, and it cannot submit over A's draft
    tab_b.inputs["org.items.s2.value"].value = "2"
    assert s_value(imported, "s2") is None and "请刷新后再改" in tab_b.draft_status.value
    tab_b.submit_button.click()
    assert "请刷新后再改" in tab_b.submit_message.value
    assert imported.records.current_submissions(BRANCH, YEAR).get("张三") is None
    # And tab A carries on
    tab_a.inputs["org.items.s2.value"].value = "3"
    assert s_value(imported, "s2") == "3"
    # A tab opened afterwards is offered A's draft
    tab_c = evaluate_page(imported, default_rubric)
    open_branch(tab_c)
    assert tab_c.state.draft_offer.version == imported.records.load_draft(BRANCH, YEAR, "张三").version


def test_the_second_window_of_a_branch_is_refused_on_the_self_assessment_page(imported, default_rubric):
    code = imported.access.issue(BRANCH, YEAR, by="管理员").code
    phone, laptop = SelfAssessApp(imported, schedule=Timers()), SelfAssessApp(imported, schedule=Timers())
    assert phone.enter(code) and laptop.enter(code)
    phone.inputs["org.items.s1.value"].value = "4"
    assert "草稿已自动保存" in phone.draft_box.value
    laptop.inputs["org.items.s1.value"].value = "1"
    assert "此支部的草稿已在另一个窗口中修改" in laptop.draft_box.value
    assert imported.self_assessments.current(BRANCH, YEAR, draft=True).payload["org"]["items"]["s1"]["value"] == "4"


def test_the_self_assessment_page_saves_while_typing(imported, default_rubric):
    code = imported.access.issue(BRANCH, YEAR, by="管理员").code
    app = SelfAssessApp(imported, schedule=Timers())
    assert app.enter(code)
    # Every text field sends what is typed as it is typed (not only when it is left), like the 考评 page
    texts = [w for w in app.inputs.values() if hasattr(w, "continuous_update")]
    assert texts and all(w.continuous_update for w in texts)
    app.inputs["org.items.s1.value"].value = "4"
    app.inputs["org.items.s1.value"].value = "4.5"
    stored = imported.self_assessments.current(BRANCH, YEAR, draft=True)
    assert stored.payload["org"]["items"]["s1"]["value"] == "4.5"
    assert f"草稿已自动保存（{local_time(stored.updated_at, seconds=True)}）" in app.draft_box.value
    # After 申请考评 (the draft becomes the submission) the form is read-only: a change that reaches the
    # kernel anyway is refused by the store, and the form shows what was submitted
    app.inputs["org.items.s1.value"].value = "5"
    for item_id, value in full_marks(default_rubric).items():
        app.inputs[f"org.items.{item_id}.value"].value = value if isinstance(value, str) else f"{value:g}"
    assert app.apply(), app.state.error
    assert imported.self_assessments.current(BRANCH, YEAR, draft=True) is None
    app.inputs["org.items.s1.value"].value = "4"
    assert imported.self_assessments.current(BRANCH, YEAR, draft=True) is None
    assert app.inputs["org.items.s1.value"].value == "5" and "只能查看" in app.state.error + app.error_box.value


# ------------------------------------------------------------------ a database outage
def test_after_an_outage_the_draft_is_saved_again_on_its_own(sqlite_store, default_rubric, log_records):
    store, timers = sqlite_store, Timers()
    app = evaluate_page(store, default_rubric, timers)
    open_branch(app)
    app.inputs["org.items.s1.value"].value = "4"
    assert s_value(store) == "4"
    with database_away(store):
        # When the database is away, Then the page says the draft is not saved and that it retries
        app.inputs["org.items.s1.value"].value = "3"
        assert drafts.RETRYING in app.draft_status.value and "草稿已自动保存" not in app.draft_status.value
        assert timers.delays == [drafts.RETRY_DELAYS[0]]
        # And what is typed meanwhile waits for that retry (the database is not asked at every keystroke)
        app.inputs["org.items.s2.value"].value = "2"
        assert timers.delays == [drafts.RETRY_DELAYS[0]]
        # A retry that fails again waits longer
        timers.fire()
        assert drafts.RETRYING in app.draft_status.value
        assert timers.delays == [drafts.RETRY_DELAYS[1]]
        # And no message names the database or what the driver said; the log does
        shown = app.draft_status.value + app.error.value
        assert str(store.file) not in shown and "unable to open" not in shown
    assert any("unable to open database file" in record.getMessage() for record in log_records)
    assert s_value(store) == "4"  # nothing claimed: the stored draft is still the old one
    # When the database is back, Then the timer alone saves the newest form and the page says so
    timers.fire()
    saved = store.records.load_draft(BRANCH, YEAR, "张三")
    assert (saved.payload["org"]["items"]["s1"]["value"], saved.payload["org"]["items"]["s2"]["value"]) == ("3", "2")
    assert f"数据库已恢复连接，草稿已保存（{local_time(saved.updated_at, seconds=True)}）" in app.draft_status.value
    assert timers.delays == []
    # And saving goes on as before
    app.inputs["org.items.s3.value"].value = "1"
    assert s_value(store, "s3") == "1" and "草稿已自动保存" in app.draft_status.value


def test_another_branch_does_not_open_over_a_draft_not_saved_yet(sqlite_store, default_rubric):
    store, timers = sqlite_store, Timers()
    app = evaluate_page(store, default_rubric, timers)
    open_branch(app)
    with database_away(store):
        app.inputs["org.items.s1.value"].value = "3"
        app.branch_picker.value = "B02"
        app.open_button.click()
        assert app.state.branch_id == BRANCH and app.inputs["org.items.s1.value"].value == "3"
        assert "草稿暂未保存" in app.open_message.value
    timers.fire()
    assert s_value(store) == "3"
    app.open_button.click()
    assert app.state.branch_id == "B02"


def test_a_submission_during_an_outage_says_so_without_the_address(sqlite_store, default_rubric, sample_inputs):
    from assessment.inputs.payload import payload_from_inputs

    store = sqlite_store
    app = evaluate_page(store, default_rubric)
    open_branch(app)
    complete = payload_from_inputs(sample_inputs, BRANCH, default_rubric)
    app.form.fill(complete)
    app.update(payload=complete)
    with database_away(store):
        app.submit_button.click()
        shown = app.submit_message.value + app.error.value
    assert SUBMIT_UNAVAILABLE in shown
    assert str(store.file) not in shown and "sqlite" not in shown and "unable" not in shown
    assert "张三" not in store.records.current_submissions(BRANCH, YEAR)
    # When the database is back, the same click submits what the page still holds
    app.submit_button.click()
    assert store.records.current_submissions(BRANCH, YEAR)["张三"].payload == complete


def test_the_stores_outage_error_keeps_the_address_out_of_its_message(sqlite_store):
    with database_away(sqlite_store), pytest.raises(StoreUnavailable) as away:
        sqlite_store.records.branches()
    assert str(away.value) == UNAVAILABLE
    assert str(sqlite_store.file) in away.value.detail and "unable to open database file" in away.value.detail


def test_the_self_assessment_page_retries_after_an_outage(sqlite_store, default_rubric):
    store, timers = sqlite_store, Timers()
    code = store.access.issue(BRANCH, YEAR, by="管理员").code
    app = SelfAssessApp(store, schedule=timers)
    assert app.enter(code)
    with database_away(store):
        app.inputs["org.items.s1.value"].value = "3"
        assert drafts.RETRYING in app.draft_box.value
        assert app.inputs["org.items.s1.value"].value == "3" and app.state.payload["org"]["items"]["s1"]["value"] == "3"
        assert str(store.file) not in app.error_box.value + app.draft_box.value
        assert app.state.error  # the self-check could not read the database either
    timers.fire()
    assert store.self_assessments.current(BRANCH, YEAR, draft=True).payload["org"]["items"]["s1"]["value"] == "3"
    assert "数据库已恢复连接，草稿已保存" in app.draft_box.value
    # the page's failed re-check of the outage is cleared once the database answers again
    assert app.state.error == ""
