"""考评 page: an evaluator of the 街道党工委 fills the 四评 for one branch, sees the result at once,
and submits it as a revision.

One state object (:class:`EvaluateState`) holds what is open (branch, year, evaluator), the payload
being typed, the draft status and the last results. Widgets change it only through
:meth:`EvaluateState.update`; everything shown (the result panel, the messages beside the fields,
the history, the several-evaluators section) is re-drawn from it by observers. The form is filled
from the state only when a payload is loaded (opening a branch, restoring a draft), never while
the evaluator types.

Drafts are saved to the store on every change, so that closing the browser, a network drop or a
kernel restart loses nothing; reopening the branch offers the draft back. Saving goes through a
:class:`~assessment.pages.drafts.DraftSaver`: it writes only over the draft version this window saw
(another tab of the same evaluator is not overwritten unseen: saving stops and the page says so), and
after a database outage it tries again on its own until the draft is stored.

``notebooks/evaluate.ipynb`` is one cell: ``evaluate_app()``.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ...inputs.frames import Inputs
from ...inputs.merge import reconcile
from ...inputs.payload import blank_payload, check_payload, inputs_for, parse_payload
from ...rubric import Rubric
from ...scoring import Results, score
from ...store import UNAVAILABLE, DraftConflict, Store, StoreError, StoreUnavailable
from ..components import app_logger, error_html, full_width, guarded, html_box, page_style, section_title, title_html
from ..drafts import DraftSaver, Schedule, loop_schedule
from ..identity import NOT_SIGNED_IN, Session
from .branch_log import branch_log_html
from .explain_view import ExplainView
from .form import EvaluationForm
from .self_scores import SelfScoreView
from .state import EvaluateState, scoring_key
from .views import (
    Reconciled,
    ResultPanel,
    draft_offer_html,
    draft_status_html,
    history_html,
    local_time,
    reconciled_html,
    session_html,
    signed_in_html,
    submit_html,
)
from .workflow import ReportDownload, WorkflowPanel

__all__ = ["EvaluateApp", "EvaluateState", "evaluate_app"]

TITLE = "党支部“四评”考评录入"
DRAFT_CHECK_SECONDS = 60  # drafts ask again whether the session holds at most once a minute; decisions always
VIEW_ONLY = "你的账户（{role}）只能查看，不能打分：修改不会保存，也不能提交。"
LOAD_FAILED = "无法连接考评数据库，本页暂时不能使用。请联系管理员查看服务日志。"
OPEN_FAILED = "无法打开该支部，请稍后再试或联系管理员。"
CHANGE_FAILED = "处理刚才的修改时出错，修改已保留在页面上；请稍后再试或联系管理员。"
SUBMIT_FAILED = "提交时出错，未保存提交；请稍后再试或联系管理员。"
SUBMIT_UNAVAILABLE = f"{UNAVAILABLE}；未提交，已输入的内容仍在本页。"
OPEN_WHILE_UNSAVED = "本支部的草稿暂未保存（数据库暂时无法连接）：保存成功后才能打开其他支部，已输入的内容仍在本页。"
DRAFT_PENDING = (
    "有未处理的草稿：选择“恢复草稿”或“放弃草稿”；直接修改表单也会自动保存，并替换该草稿（离开本页前仍可恢复）。"
)
NO_BRANCHES = "数据库中还没有支部：请管理员先导入支部基本信息和活动记录（命令行：assessment import 工作簿.xlsx）。"
DRAFT_FAILED = "处理草稿时出错，请稍后再试。"


class EvaluateApp(widgets.VBox):
    """The 考评 page as one widget: ``EvaluateApp(store, rubric)``."""

    def __init__(
        self,
        store: Store | None,
        rubric: Rubric | None,
        *,
        session: Session | None = None,
        error: str = "",
        schedule: Schedule = loop_schedule,
    ):
        super().__init__(layout=full_width())
        self.add_class("siping-app")
        self.add_class("siping-evaluate")
        self.store = store
        self.rubric = rubric
        # Who evaluates is the signed-in person (the server's session), never a name typed on the page.
        self.session_of = session if session is not None or store is None else Session(store)
        who = self.session_of.who if self.session_of is not None else None
        if store is not None and who is None and not error:
            error = NOT_SIGNED_IN
        self.who = who
        self.state = EvaluateState(error=error, evaluator=who.name if who is not None else "")
        self.log = app_logger()
        self._master: Inputs | None = None  # the open branch's row and this year's activity log
        self._scored_key: Any = object()
        self._scored: list[tuple[dict[str, Any], Results]] = []  # see _score
        self._loading = False
        self._opened_payload: dict[str, Any] = {}  # the payload the open branch started from
        self.form: EvaluationForm | None = None  # built when the first branch opens: the page opens faster
        self.inputs: dict[str, widgets.Widget] = {}  # payload path → input widget, once the form exists
        self._branch_labels: dict[str, str] = {}
        self._draft_key: tuple[str, int] | None = None  # the branch and year the saver writes for
        self.saver = DraftSaver(self._write_draft, self._show_draft_status, schedule=schedule)

        self.title = html_box(title_html(TITLE))
        self.error = html_box()
        # --- top bar
        self.branch_picker = widgets.Combobox(
            description="支部",
            placeholder="输入支部编号或名称",
            ensure_option=False,
            continuous_update=True,
            layout=widgets.Layout(width="100%", max_width="26em", min_width="0", margin="2px 0"),
            style={"description_width": "initial"},
        )
        self.year_picker = widgets.Dropdown(
            description="年度",
            layout=widgets.Layout(width="10em", min_width="0", margin="2px 0"),
            style={"description_width": "initial"},
        )
        # The evaluator: the signed-in person, shown, not typed.
        self.evaluator = html_box(signed_in_html(who) if who is not None else "", css="siping-signed-in")
        self.open_button = widgets.Button(description="打开", button_style="danger", layout=widgets.Layout(width="6em"))
        self.open_message = html_box()
        self.topbar = widgets.Box(
            [self.branch_picker, self.year_picker, self.evaluator, self.open_button],
            layout=full_width(display="flex", flex_flow="row wrap", align_items="center"),
        )
        self.topbar.add_class("siping-topbar")
        # --- session
        self.session = html_box(css="siping-session")
        self.draft_status = html_box(css="siping-draft-status")
        self.offer_text = html_box()
        self.restore_button = widgets.Button(description="恢复草稿", button_style="warning")
        self.discard_button = widgets.Button(description="放弃草稿")
        self.draft_offer = widgets.VBox(
            [self.offer_text, widgets.HBox([self.restore_button, self.discard_button])],
            layout=full_width(display="none"),
        )
        self.draft_offer.add_class("siping-offer")
        # --- result panel with the submit controls under its scores, history, reconciliation
        self.reason = widgets.Textarea(
            description="更正原因",
            placeholder="再次提交即为更正，请写明更正的原因（必填）",
            layout=full_width(height="4em", display="none"),
            style={"description_width": "initial"},
        )
        self.submit_button = widgets.Button(
            description="提交", button_style="danger", layout=widgets.Layout(width="10em", align_self="flex-start")
        )
        self.submit_message = html_box()
        self.submit_box = widgets.VBox(
            [self.reason, self.submit_button, self.submit_message], layout=full_width(margin="4px 0 8px")
        )
        self.submit_box.add_class("siping-submit")
        self.panel = ResultPanel(actions=self.submit_box)
        self.history = html_box()
        self.reconciled = html_box()
        self.branch_log = html_box()  # the branch's uploaded activity records beside the street's log
        self.self_scores: SelfScoreView | None = None  # built with the form
        self.explain: ExplainView | None = None  # built with the form: 查看计算过程 of every item
        self.workflow_panel = WorkflowPanel(store, rubric, self.session_of) if store and who else None
        self.report_download = ReportDownload(store, rubric) if store else None
        self.form_column = widgets.VBox(layout=full_width(flex="1 1 520px", width="auto"))
        self.side = widgets.VBox([self.panel], layout=full_width(flex="1 1 340px", width="auto", max_width="560px"))
        self.side.add_class("siping-side")
        self.workspace = widgets.Box(
            [self.form_column, self.side],
            layout=full_width(display="none", flex_flow="row wrap", align_items="flex-start"),
        )
        self.workspace.layout.gap = "12px"
        self.records = widgets.VBox(
            [
                *([html_box(section_title("考评流程")), self.workflow_panel] if self.workflow_panel else []),
                *([html_box(section_title("考评报告")), self.report_download] if self.report_download else []),
                html_box(section_title("活动记录：支部上传与街道记录")),
                self.branch_log,
                html_box(section_title("修订记录")),
                self.history,
                html_box(section_title("多位考评人")),
                self.reconciled,
            ],
            layout=full_width(display="none"),
        )

        # --- wiring: widgets → state.update; state → views
        report = self._report
        self.open_button.on_click(guarded(OPEN_FAILED, report)(lambda _b: self.open_selected()))
        # The first keystroke in the picker builds the (hidden) form: the browser makes its views while the
        # evaluator is still choosing, and opening a branch then only fills it.
        self.branch_picker.observe(guarded(OPEN_FAILED, report)(self._on_picker), names="value")
        self.year_picker.observe(guarded(OPEN_FAILED, report)(self._on_year), names="value")
        self.restore_button.on_click(guarded(DRAFT_FAILED, report)(lambda _b: self.restore_draft()))
        self.discard_button.on_click(guarded(DRAFT_FAILED, report)(lambda _b: self.discard_draft()))
        self.submit_button.on_click(guarded(SUBMIT_FAILED, report)(lambda _b: self.submit()))
        state = self.state
        state.observe(guarded(CHANGE_FAILED, report)(self._on_payload), names="payload")
        state.observe(self._render_error, names="error")
        # problems and results are always set together (see _derive): one observer, one redraw
        state.observe(guarded(CHANGE_FAILED, report)(self._render_panel), names="results")
        state.observe(self._render_session, names=["branch_id", "branch_name", "year", "evaluator"])
        state.observe(
            self._render_draft, names=["draft_status", "draft_warning", "draft_offer", "draft_offer_replaced"]
        )
        state.observe(self._render_submit, names=["submitted", "evaluator", "notice", "submit_problems", "branch_id"])
        state.observe(guarded(CHANGE_FAILED, report)(self._render_records), names=["revisions", "reconciled"])
        state.observe(guarded(CHANGE_FAILED, report)(self._render_self), names=["self_assessment", "branch_id"])

        if store is not None and rubric is not None and who is not None and not error:
            self._fill_pickers()
        self._render_error()
        self._render_submit()
        self.children = [
            page_style("evaluate/style.css.j2"),
            self.title,
            self.error,
            self.topbar,
            self.open_message,
            self.session,
            self.draft_offer,
            self.draft_status,
            self.panel.brief,
        ]
        # The workspace and the records (with the form) join the page, hidden, when the evaluator starts
        # choosing a branch (or at the latest when one opens): fewer widget views for the browser to build
        # before the branch picker is usable.
        self._deferred = [self.workspace, self.records]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_env(cls) -> EvaluateApp:
        """The store at $ASSESSMENT_DATABASE_URL (default data/siping.sqlite) and its current rubric version."""
        try:
            store = Store.from_env()
            rubric = store.rubrics.current()
        except Exception:  # noqa: BLE001 - whatever it is, the page shows a short message, the log the traceback
            app_logger().exception("evaluate: opening the store or the rubric failed")
            return cls(None, None, error=LOAD_FAILED)
        return cls(store, rubric)

    def _fill_pickers(self) -> None:
        branches = self.store.records.branches()
        # only the branches within the account's reach (a 街道 account: its own street)
        within = branches["street"].map(self.who.sees).astype(bool)
        branches = branches.loc[within]
        self._branch_labels = {
            str(branch_id): f"{branch_id} {name}" for branch_id, name in zip(branches["branch_id"], branches["name"])
        }
        # 支部类型 decides which checklist items apply (checklist.yaml applies_to), for the 自查分 too
        self._branch_kinds = {
            str(branch_id): (None if pd.isna(kind) else str(kind))
            for branch_id, kind in zip(branches["branch_id"], branches["kind"])
        }
        self.branch_picker.options = tuple(self._branch_labels.values())
        if not self._branch_labels:
            self.open_message.value = error_html(NO_BRANCHES)
        years = self.store.records.years()
        if not years:
            years = [dt.date.today().year]
        self.year_picker.options = [(f"{year}年", year) for year in reversed(years)]
        self.year_picker.value = max(years)

    def _view_only(self) -> str:
        return VIEW_ONLY.format(role=self.who.role.label)

    def _report(self, message: str) -> None:
        self.state.update(error=message)

    # ------------------------------------------------------------------ the one way in
    def update(self, fields: Mapping[str, Any] | None = None, **changes) -> None:
        """Widgets call this (and only this) to change what the page holds."""
        self.state.update(fields=fields, **changes)

    @contextmanager
    def _loading_payload(self):
        """A payload put into the state by the page itself (not typed) is neither saved nor offered."""
        self._loading = True
        try:
            yield
        finally:
            self._loading = False

    # ------------------------------------------------------------------ opening a branch
    def resolve_branch(self, text: str) -> tuple[str | None, str]:
        """The branch meant by what was typed (an option, an id, or part of an id or name) and a message."""
        typed = (text or "").strip()
        if not typed:
            return None, "请先在“支部”框中输入支部编号或名称。"
        for branch_id, label in self._branch_labels.items():
            if typed in (label, branch_id):
                return branch_id, ""
        folded = typed.casefold()
        matches = [b for b, label in self._branch_labels.items() if folded in label.casefold()]
        if len(matches) == 1:
            return matches[0], ""
        if not matches:
            return None, f"找不到与“{typed}”相符的支部，请检查编号或名称。"
        shown = "、".join(self._branch_labels[b] for b in matches[:6]) + ("等" if len(matches) > 6 else "")
        return None, f"有{len(matches)}个支部与“{typed}”相符：{shown}。请输入更完整的编号或名称。"

    def open_selected(self) -> None:
        branch_id, message = self.resolve_branch(self.branch_picker.value)
        self.open_message.value = error_html(message)
        if branch_id is None:
            return
        self.branch_picker.value = self._branch_labels[branch_id]
        self.open_branch(branch_id, self.year_picker.value)

    def _on_year(self, change) -> None:
        if self.state.branch_id is not None and change["new"] is not None and change["new"] != self.state.year:
            self.open_branch(self.state.branch_id, change["new"])

    def open_branch(self, branch_id: str, year: int) -> None:
        """Load the branch's master data and this year's log, the evaluator's submission and draft."""
        rubric = self.rubric
        if self.saver.retrying and not self.saver.retry_now():
            # what was typed for the open branch is not stored yet: it stays on the page, not dropped
            self.open_message.value = error_html(OPEN_WHILE_UNSAVED)
            return
        self.who = self.session_of.check()
        master = self.store.records.branch_inputs(year, [branch_id])
        if not len(master.branches) or not self.who.sees(master.branches["street"].iloc[0]):
            # a branch outside the account's reach is answered like one that does not exist
            self.state.update(error=f"支部“{branch_id}”不在数据库中。")
            return
        self._master = master
        self._scored = []
        self.saver.stop()
        self._draft_key = None
        self._prepare()
        name = str(master.branches["name"].iloc[0])
        evaluator = self.state.evaluator
        own = self.store.self_assessments.current(branch_id, year)  # submitted only: a draft is the branch's own work
        with self._loading_payload():
            self.state.update(
                branch_id=branch_id,
                branch_name=name,
                year=year,
                self_assessment=own,
                error="",
                notice="",
                submit_problems=[],
                draft_offer=None,
                draft_status="",
            )
            submissions = self._load_records()
            mine = submissions.get(evaluator) if evaluator else None
            start = copy.deepcopy(mine.payload) if mine is not None else blank_payload(rubric)
            self._scored_key = object()  # another branch: score again even if the payload looks alike
            self._opened_payload = start
            self.form.fill(start)  # the fields first, then the result derived from them
            self.state.update(payload=start, submitted=mine)
        self._derive()
        self.branch_log.value = branch_log_html(self.store.self_assessments.branch_log(branch_id, year))
        self.workflow_panel.show(branch_id, year)
        self.report_download.show(branch_id, year)
        self.reason.value = ""
        self.workspace.layout.display = "flex"
        self.records.layout.display = None
        if mine is not None:
            self.state.update(
                notice=f"你已提交第 {mine.revision_no} 号修订（{local_time(mine.created_at)}）。"
                "表单中是已提交的内容；修改后可“提交更正”。"
            )
        self._check_draft()

    def _on_picker(self, change) -> None:
        if change["new"] and self._branch_labels:
            self._prepare()

    def _prepare(self) -> None:
        """The form, built once, and the workspace and records on the page (hidden until a branch opens)."""
        if self.form is None:
            self._build_form()
        if self._deferred:
            self.children = [*self.children, *self._deferred]
            self._deferred = []

    def _build_form(self) -> None:
        guard = guarded(CHANGE_FAILED, self._report)
        self.form = EvaluationForm(
            self.rubric,
            on_change=guard(lambda path, value: self.update(fields={path: value})),
            on_add_department=guard(self.add_department),
            on_delete_department=guard(self.delete_department),
        )
        self.inputs = self.form.inputs
        self.self_scores = SelfScoreView(self.rubric, self.form.beside)
        self.explain = ExplainView(self.rubric, self.form.explain)
        self.form_column.children = [self.self_scores.summary, self.form.box]

    def _load_records(self) -> dict[str, Any]:
        """History and every evaluator's current submission, scored and reconciled."""
        branch_id, year = self.state.branch_id, self.state.year
        submissions = self.store.records.current_submissions(branch_id, year)
        revisions = self.store.records.revisions(branch_id, year)
        self.state.update(revisions=revisions, reconciled=self._reconcile(submissions))
        return submissions

    def _reconcile(self, submissions: Mapping[str, Any]) -> Reconciled:
        payloads = {who: revision.payload for who, revision in submissions.items()}
        own = {who: self._score(payload) for who, payload in payloads.items()}
        merged, disagreements = (None, [])
        if len(payloads) >= 2:
            merged_payload, disagreements = reconcile(payloads, self.rubric)
            merged = self._score(merged_payload)
        return Reconciled(dict(submissions), own, merged, tuple(disagreements))

    def _score(self, payload: Mapping[str, Any]) -> Results:
        """The payload scored on the open branch's data. Opening a branch scores the evaluator's submission for
        the several-evaluators section and then the same payload for the panel: the second time is the first's
        results (payloads equal as a whole; the scores of the open branch only, forgotten when one opens)."""
        for scored, results in self._scored:
            if scored == payload:
                return results
        results = self._score_anew(payload)
        self._scored = [*self._scored[-3:], (copy.deepcopy(dict(payload)), results)]
        return results

    def _score_anew(self, payload: Mapping[str, Any]) -> Results:
        master = self._master
        branch_id = str(master.branches["branch_id"].iloc[0])
        inputs = inputs_for(master.branches, master.activities, {branch_id: dict(payload)}, self.rubric)
        return score(self.rubric, inputs, year=self.state.year)

    # ------------------------------------------------------------------ drafts
    def _check_draft(self) -> None:
        """Offer the evaluator's stored draft for the open branch, if there is one."""
        state = self.state
        if state.branch_id is None:
            return
        if not self.who.may("score"):
            state.update(draft_offer=None, draft_status=self._view_only(), draft_warning=True)
            return
        draft = self.store.records.load_draft(state.branch_id, state.year, state.evaluator)
        self._draft_key = (state.branch_id, state.year)
        self.saver.start(draft.version if draft is not None else None)
        if draft is None:
            state.update(draft_offer=None, draft_status="", draft_warning=False)
            return
        state.update(draft_offer=draft, draft_offer_replaced=False, draft_status=DRAFT_PENDING, draft_warning=True)

    def restore_draft(self) -> None:
        """The offered draft becomes the form. If typing had replaced it in the store meanwhile, the
        restored form is saved again (the page still held it): what the screen shows is the draft."""
        state = self.state
        draft = state.draft_offer
        if draft is None:
            return
        payload = copy.deepcopy(draft.payload)
        replaced = self.saver.version != draft.version
        with self._loading_payload():
            self.form.fill(payload)
            state.update(payload=payload, draft_offer=None, notice="")
        self._derive()
        if replaced and not self.saver.save(payload):
            return  # the saver says why (retrying, or another window)
        state.update(
            draft_status=f"已恢复草稿（保存于 {local_time(draft.updated_at)}），修改会自动保存。", draft_warning=False
        )

    def discard_draft(self) -> None:
        state = self.state
        draft = state.draft_offer
        if draft is None:
            return
        if self.saver.version != draft.version:
            # the stored draft is already what was typed since: only the offer goes
            state.update(draft_offer=None, draft_status="较早的草稿已放弃；表单内容已保存为草稿。", draft_warning=False)
            return
        try:
            self.store.records.discard_draft(state.branch_id, state.year, state.evaluator, expected=draft.version)
        except DraftConflict as conflict:
            self.saver.conflict = conflict
            state.update(draft_offer=None, draft_status=str(conflict), draft_warning=True)
            return
        self.saver.start(None)
        state.update(draft_offer=None, draft_status="草稿已放弃。", draft_warning=False)
        if state.payload != self._opened_payload:
            self._save_draft()  # what was typed while the offer was open (and not stored yet) becomes the draft

    def _write_draft(self, payload: dict[str, Any], expected: str | None):
        """The saver's write: the branch and year the form was opened for, whatever the state says now."""
        if self._draft_key is None:
            return None
        branch_id, year = self._draft_key
        self.who = self.session_of.check(max_age=DRAFT_CHECK_SECONDS)
        return self.store.records.save_draft(
            branch_id, year, self.state.evaluator, payload, self.rubric.version, expected=expected
        )

    def _show_draft_status(self, text: str, warning: bool) -> None:
        offer = self.state.draft_offer
        # typing while the offer is open keeps the form: once saved, it replaced the stored draft, which the
        # page still holds and can restore
        replaced = offer is not None and self.saver.version != offer.version
        self.state.update(draft_status=text, draft_warning=warning, draft_offer_replaced=replaced)

    def _save_draft(self) -> None:
        state = self.state
        if state.branch_id is None:
            return
        if not self.who.may("score"):
            state.update(draft_status=self._view_only(), draft_warning=True)
            return
        self.saver.save(copy.deepcopy(dict(state.payload)))

    # ------------------------------------------------------------------ state observers (derived work)
    def _on_payload(self, change) -> None:
        if not self._loading and self.state.notice:
            # "已提交第 N 号修订" described the form as submitted; once it changes, the draft status says
            # what is saved (and the button still offers 提交更正)
            self.state.update(notice="")
        self._derive()
        if not self._loading:
            self._save_draft()

    def _derive(self) -> None:
        """Check and score the payload, but only when what scoring reads has changed."""
        state = self.state
        if state.branch_id is None or self._master is None:
            return
        key = scoring_key(state.payload)
        if key == self._scored_key:
            return
        parsed, problems = parse_payload(state.payload, self.rubric)
        results = self._score(state.payload)
        self._scored_key = key
        state.update(parsed=parsed, problems=problems, results=results)

    # ------------------------------------------------------------------ social rows
    def add_department(self) -> None:
        social = list(self.state.payload.get("social") or [])
        social.append({"department": None, "compliant": None, "opinion": ""})
        self._set_social(social)

    def delete_department(self, index: int) -> None:
        social = list(self.state.payload.get("social") or [])
        if 0 <= index < len(social):
            del social[index]
            self._set_social(social)

    def _set_social(self, social: list[dict[str, Any]]) -> None:
        payload = copy.deepcopy(dict(self.state.payload))
        payload["social"] = social
        self.form.fill(payload)  # one row per entry, before the state's observers show problems in them
        self.update(payload=payload)

    # ------------------------------------------------------------------ submitting
    def submit(self) -> None:
        state = self.state
        if state.branch_id is None:
            state.update(submit_problems=["请先选择支部并点击“打开”。"], notice="")
            return
        try:
            self.who = self.session_of.check()
        except StoreUnavailable:
            state.update(submit_problems=[SUBMIT_UNAVAILABLE], notice="")
            return
        except StoreError as ended:
            state.update(submit_problems=[str(ended)], notice="")
            return
        if not self.who.may("score"):
            state.update(submit_problems=[self._view_only()], notice="")
            return
        problems = check_payload(state.payload, self.rubric)
        if problems:
            state.update(
                submit_problems=[f"有{len(problems)}处填写有误，未提交（什么也没有保存为提交）："]
                + [str(p) for p in problems],
                notice="",
            )
            return
        reason = self.reason.value.strip() or None
        if state.submitted is not None and reason is None:
            state.update(
                submit_problems=["你已提交过本支部本年度的考评，再次提交即为更正：请填写更正原因。"], notice=""
            )
            return
        if self.saver.conflict is not None:
            state.update(submit_problems=[str(self.saver.conflict)], notice="")
            return
        try:
            revision = self.store.records.submit(
                state.branch_id,
                state.year,
                state.evaluator,
                state.payload,
                self.rubric.version,
                reason=reason,
                expected_draft=self.saver.version,
            )
        except DraftConflict as conflict:  # another window saved a newer draft: it is not dropped unseen
            self.saver.conflict = conflict
            state.update(submit_problems=[str(conflict)], notice="", draft_status=str(conflict), draft_warning=True)
            return
        except StoreUnavailable as away:
            self.log.warning("evaluate: submitting %s %s failed: %s", state.branch_id, state.year, away.detail)
            state.update(submit_problems=[SUBMIT_UNAVAILABLE], notice="")
            return
        except StoreError as refused:
            state.update(submit_problems=[str(refused)], notice="")
            return
        self.saver.start(None)  # the draft is gone with the submission
        self.reason.value = ""
        self._load_records()
        state.update(
            submitted=revision,
            submit_problems=[],
            notice=f"已提交第 {revision.revision_no} 号修订（{local_time(revision.created_at)}）。",
            draft_offer=None,
            draft_status="已提交；草稿已清除。之后的修改会另存为草稿，需再次“提交更正”。",
            draft_warning=False,
        )

    # ------------------------------------------------------------------ views (read state only)
    def _render_error(self, change=None) -> None:
        self.error.value = error_html(self.state.error)

    def _render_panel(self, change=None) -> None:
        state = self.state
        if self.form is not None:
            self.form.show_problems(state.problems)
        self.panel.show(self.rubric, state.results, state.branch_id, state.problems)
        if self.self_scores is not None:
            self.self_scores.compare(state.results, state.parsed, state.branch_id)
        if self.explain is not None:
            kind = getattr(self, "_branch_kinds", {}).get(str(state.branch_id))
            self.explain.show(state.parsed, state.problems, state.branch_id, kind)

    def _render_self(self, change=None) -> None:
        """The branch's self-assessment beside the fields: loaded when another branch or year opens."""
        state = self.state
        if self.self_scores is None:
            return
        # Results of another year (the page is switching) are not compared: the new ones follow.
        current = state.results is not None and state.results.year == state.year
        self.self_scores.load(
            self.rubric,
            state.branch_id,
            state.self_assessment,
            state.results if current else None,
            state.parsed if current else None,
            kind=getattr(self, "_branch_kinds", {}).get(str(state.branch_id)),
        )

    def _render_session(self, change=None) -> None:
        state = self.state
        if state.branch_id is None:
            self.session.value = ""
            return
        self.session.value = session_html(
            state.branch_id, state.branch_name, state.year, state.evaluator, self.rubric.version
        )

    def _render_draft(self, change=None) -> None:
        state = self.state
        offer = state.draft_offer
        if offer is not None:
            self.offer_text.value = draft_offer_html(offer, self.rubric.version, replaced=state.draft_offer_replaced)
            self.draft_offer.layout.display = "flex"
        else:
            self.draft_offer.layout.display = "none"
        self.draft_status.value = draft_status_html(state.draft_status, state.draft_warning)

    def _render_submit(self, change=None) -> None:
        state = self.state
        correcting = state.submitted is not None
        self.submit_button.description = "提交更正" if correcting else "提交"
        self.reason.layout.display = None if correcting else "none"
        self.submit_message.value = submit_html(state.notice, state.submit_problems)

    def _render_records(self, change=None) -> None:
        state = self.state
        self.history.value = history_html(state.revisions)
        self.reconciled.value = reconciled_html(self.rubric, state.reconciled, state.branch_id)


def evaluate_app() -> EvaluateApp:
    """The widget the notebook displays."""
    return EvaluateApp.from_env()
