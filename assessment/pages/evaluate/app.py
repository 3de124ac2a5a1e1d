"""考评 page: an evaluator of the 街道党工委 fills the 四评 for one branch, sees the result at once,
and submits it as a revision.

One state object (:class:`EvaluateState`) holds what is open (branch, year, evaluator), the payload
being typed, the draft status and the last results. Widgets change it only through
:meth:`EvaluateState.update`; everything shown (the result panel, the messages beside the fields,
the history, the several-evaluators section) is re-drawn from it by observers. The form is filled
from the state only when a payload is loaded (opening a branch, restoring a draft), never while
the evaluator types.

Drafts are saved to the store on every change, so that closing the browser, a network drop or a
kernel restart loses nothing; reopening the branch offers the draft back.

``notebooks/evaluate.ipynb`` is one cell: ``evaluate_app()``.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

import ipywidgets as widgets
import traitlets

from ... import glossary as g
from ...inputs.frames import Inputs
from ...inputs.merge import reconcile
from ...inputs.payload import blank_payload, check_payload, inputs_for, parse_payload
from ...rubric import Rubric
from ...scoring import Results, score
from ...store import Store, StoreError
from ..components import (
    FULL_WIDTH,
    app_logger,
    error_html,
    escape,
    guarded,
    html_list,
    page_style,
    section_title,
)
from .form import EvaluationForm
from .self_scores import STYLE as SELF_STYLE
from .self_scores import SelfScoreView
from .views import Reconciled, ResultPanel, history_html, local_time, reconciled_html
from .workflow import ReportDownload, WorkflowPanel

__all__ = ["EvaluateApp", "EvaluateState", "evaluate_app"]

TITLE = "党支部“四评”考评录入"
NO_EVALUATOR = "请先在上方填写评估人姓名：草稿和提交都记在评估人名下，填写前所做的修改不会保存。"
LOAD_FAILED = "无法连接考评数据库，本页暂时不能使用。请联系管理员查看服务日志。"
OPEN_FAILED = "无法打开该支部，请稍后再试或联系管理员。"
CHANGE_FAILED = "处理刚才的修改时出错，修改已保留在页面上；请稍后再试或联系管理员。"
SAVE_FAILED = "草稿保存失败：请不要关闭页面，稍后再改动任一项会重新保存；如仍失败请联系管理员。"
SUBMIT_FAILED = "提交时出错，未保存提交；请稍后再试或联系管理员。"
NO_BRANCHES = "数据库中还没有支部：请管理员先导入支部基本信息和活动记录（命令行：assessment import 工作簿.xlsx）。"
DRAFT_FAILED = "处理草稿时出错，请稍后再试。"
STYLE = (
    "<style>"
    ".siping-evaluate{font-size:14px}"
    ".siping-evaluate .siping-topbar{gap:4px 12px}"
    ".siping-evaluate .siping-session{font-size:15px;margin:6px 0}"
    ".siping-evaluate .siping-hint,.siping-evaluate .siping-desc{color:#5b6770;font-size:13px;line-height:1.5;"
    "margin:2px 0;white-space:normal;overflow-wrap:anywhere}"
    ".siping-evaluate .siping-src{color:#8a949e;font-size:12px}"
    ".siping-evaluate .siping-item{border:1px solid #e3e6ea;border-radius:6px;padding:6px 10px;margin:6px 0;"
    "background:#fff;box-sizing:border-box}"
    ".siping-evaluate .siping-item-head{font-size:14px;line-height:1.5;white-space:normal}"
    ".siping-evaluate .siping-key{background:#c0392b;color:#fff;border-radius:3px;font-size:11px;padding:0 4px;"
    "margin-left:6px}"
    ".siping-evaluate .siping-bonus{background:#2e7d32;color:#fff;border-radius:3px;font-size:11px;padding:0 4px;"
    "margin-left:6px}"
    ".siping-evaluate .siping-max{color:#5b6770;font-size:12px;margin-left:8px}"
    ".siping-evaluate .siping-area{margin:14px 0 4px;font-size:15px;border-left:4px solid #c0392b;padding-left:8px}"
    ".siping-evaluate .siping-area span{font-weight:normal;color:#5b6770;font-size:12px}"
    ".siping-evaluate .siping-field-message{color:#b3261e;font-size:13px;white-space:normal;overflow-wrap:anywhere}"
    ".siping-evaluate .siping-bad input,.siping-evaluate .siping-bad select{border-color:#b3261e;"
    "background:#fdecea}"
    ".siping-evaluate .siping-evidence-title{font-size:12px;color:#5b6770;margin-top:4px}"
    ".siping-evaluate .siping-evidence-name{font-size:13px}"
    ".siping-evaluate .widget-toggle-buttons .widget-toggle-button{font-size:12px;padding:0 4px}"
    ".siping-evaluate .siping-panel{border:1px solid #e3e6ea;border-radius:6px;padding:4px 10px;"
    "background:#fbfbfc;box-sizing:border-box}"
    ".siping-evaluate .siping-panel-title{margin:6px 0;font-size:16px}"
    ".siping-evaluate .siping-panel-title span{font-size:12px;font-weight:normal;color:#5b6770}"
    ".siping-evaluate .siping-cards{display:flex;flex-wrap:wrap;gap:6px}"
    ".siping-evaluate .siping-card{flex:1 1 70px;border:1px solid #e3e6ea;border-radius:4px;padding:4px 6px;"
    "background:#fff}"
    ".siping-evaluate .siping-card .v{font-size:18px;font-weight:600;color:#c0392b}"
    ".siping-evaluate .siping-card .k{font-size:12px;color:#5b6770}"
    ".siping-evaluate .siping-total{margin:8px 0;font-size:15px}"
    ".siping-evaluate .siping-total .k{color:#5b6770;font-size:13px;margin-left:8px}"
    ".siping-evaluate .siping-composite{font-size:24px;font-weight:700;color:#c0392b}"
    ".siping-evaluate .siping-grade{font-size:18px;font-weight:600}"
    ".siping-evaluate .siping-kv{border-collapse:collapse;font-size:13px;line-height:1.5;width:100%}"
    ".siping-evaluate .siping-kv th{text-align:left;white-space:nowrap;vertical-align:top;padding:2px 8px 2px 0;"
    "color:#5b6770;font-weight:normal}"
    ".siping-evaluate .siping-kv td{overflow-wrap:anywhere}"
    ".siping-evaluate .siping-block{font-size:13px;line-height:1.55;margin:8px 0;white-space:normal;"
    "overflow-wrap:anywhere}"
    ".siping-evaluate .siping-vetoes{margin:4px 0 0 1.4em;padding:0}"
    ".siping-evaluate .siping-vetoes li{margin:3px 0}"
    ".siping-evaluate .siping-vetoes .src{color:#8a949e;font-size:12px}"
    ".siping-evaluate .siping-tag{border-radius:3px;padding:0 4px;font-size:12px;white-space:nowrap}"
    ".siping-evaluate .siping-tag.ok{background:#e6f4ea;color:#1e6b34}"
    ".siping-evaluate .siping-tag.bad{background:#fdecea;color:#8a1f11}"
    ".siping-evaluate .siping-tag.unknown{background:#eef0f2;color:#5b6770}"
    ".siping-evaluate .siping-bad-block{background:#fdecea;color:#8a1f11;border-radius:4px;padding:4px 8px;"
    "font-size:13px;white-space:normal;overflow-wrap:anywhere}"
    ".siping-evaluate .siping-notice{background:#e6f4ea;color:#1e6b34;border-radius:4px;padding:6px 10px;"
    "margin:6px 0;white-space:pre-wrap}"
    ".siping-evaluate .siping-draft-status{font-size:13px;color:#5b6770}"
    ".siping-evaluate .siping-draft-status.warn{color:#8a1f11}"
    ".siping-evaluate .siping-offer{background:#fff8e1;border:1px solid #f0d58a;border-radius:6px;padding:6px 10px}"
    ".siping-evaluate .siping-merged{font-size:14px;margin:8px 0}"
    ".siping-evaluate .siping-merged-composite{font-weight:700;color:#c0392b}"
    ".siping-evaluate .siping-disagreements{font-size:13px;background:#fff8e1;border-radius:4px;padding:4px 8px;"
    "overflow-wrap:anywhere}"
    ".siping-evaluate .widget-tab>.p-TabBar .p-TabBar-tab,.siping-evaluate .widget-tab>.lm-TabBar .lm-TabBar-tab"
    "{min-width:0;flex:1 1 auto;font-size:14px}"
    ".siping-evaluate .widget-tab>.widget-tab-contents{padding:6px;overflow-x:hidden}"
    ".siping-evaluate textarea{min-width:0}"
    ".siping-evaluate .siping-panel img{max-width:100%}"
    ".siping-evaluate .siping-evidence-toggle .widget-toggle-button:nth-child(1).mod-active"
    "{background:#1e6b34;color:#fff}"
    ".siping-evaluate .siping-evidence-toggle .widget-toggle-button:nth-child(2).mod-active"
    "{background:#b3261e;color:#fff}"
    ".siping-evaluate .siping-brief-line{font-size:14px;margin:2px 0 6px}"
    ".siping-evaluate .siping-brief-line b{color:#c0392b}"
    ".siping-evaluate .siping-brief-line .bad{color:#b3261e}"
    ".siping-evaluate .siping-submit{border-top:1px solid #e3e6ea;border-bottom:1px solid #e3e6ea;padding:6px 0}"
    # The side column scrolls on its own on a laptop: its parts keep their height instead of shrinking.
    ".siping-evaluate .siping-side .lm-Widget{flex-shrink:0}"
    + SELF_STYLE
    + "@media (min-width:900px){.siping-evaluate .siping-side{position:sticky;top:0;max-height:100vh;"
    "overflow-y:auto}.siping-evaluate .siping-brief{display:none}}"
    "</style>"
)


def _layout(**extra) -> widgets.Layout:
    return widgets.Layout(**{**FULL_WIDTH, **extra})


def _html(value: str = "", css: str = "") -> widgets.HTML:
    box = widgets.HTML(value, layout=_layout())
    if css:
        box.add_class(css)
    return box


def with_field(payload: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``payload`` with the field at ``path`` (``org.items.s1.value``, ``social.0.opinion``…) set."""
    new = copy.deepcopy(dict(payload))
    parts = path.split(".", 4) if path.startswith("org.items.") else path.split(".")
    target: Any = new
    for part in parts[:-1]:
        if isinstance(target, list):
            target = target[int(part)]
        else:
            target = target.setdefault(part, {})
    target[parts[-1]] = value
    return new


def scoring_key(payload: Mapping[str, Any]) -> Any:
    """What in a payload scoring and checking read: comments, evidence, opinions and the note are left out."""
    org = payload.get("org") or {}
    return (
        org.get("annual_review_grade"),
        tuple(sorted((k, (v or {}).get("value")) for k, v in (org.get("items") or {}).items())),
        tuple(sorted((payload.get("member") or {}).items())),
        tuple(sorted((payload.get("public") or {}).items(), key=lambda kv: kv[0])),
        tuple((row.get("department"), row.get("compliant")) for row in payload.get("social") or []),
    )


class EvaluateState(traitlets.HasTraits):
    """Everything the page shows is derived from this; widgets change it only through :meth:`update`."""

    branch_id = traitlets.Unicode(None, allow_none=True)  # the branch that is open
    branch_name = traitlets.Unicode("")
    year = traitlets.Int(None, allow_none=True)
    evaluator = traitlets.Unicode("")
    payload = traitlets.Dict()
    parsed = traitlets.Dict()  # the payload's values as scoring reads them (None where blank or wrong)
    problems = traitlets.List()  # FieldProblem of the payload
    results = traitlets.Any(None)  # scoring Results of the payload (with the branch's activity log)
    self_assessment = traitlets.Any(None)  # the open branch's submitted self-assessment (never a draft)
    draft_status = traitlets.Unicode("")
    draft_warning = traitlets.Bool(False)
    draft_offer = traitlets.Any(None)  # a stored Draft waiting for 恢复 / 放弃
    submitted = traitlets.Any(None)  # this evaluator's current Revision, if any
    revisions = traitlets.List()
    reconciled = traitlets.Any(None)
    notice = traitlets.Unicode("")
    submit_problems = traitlets.List()
    error = traitlets.Unicode("")

    def update(self, fields: Mapping[str, Any] | None = None, **changes) -> None:
        """Set state traits by name and payload fields by path, then notify once per trait."""
        if fields:
            payload = self.payload
            for path, value in fields.items():
                payload = with_field(payload, path, value)
            changes["payload"] = payload
        with self.hold_trait_notifications():
            for name, value in changes.items():
                setattr(self, name, value)


class EvaluateApp(widgets.VBox):
    """The 考评 page as one widget: ``EvaluateApp(store, rubric)``."""

    def __init__(self, store: Store | None, rubric: Rubric | None, *, error: str = ""):
        super().__init__(layout=_layout())
        self.add_class("siping-app")
        self.add_class("siping-evaluate")
        self.store = store
        self.rubric = rubric
        self.state = EvaluateState(error=error)
        self.log = app_logger()
        self._master: Inputs | None = None  # the open branch's row and this year's activity log
        self._scored_key: Any = object()
        self._loading = False
        self._opened_payload: dict[str, Any] = {}  # the payload the open branch started from
        self.form: EvaluationForm | None = None  # built when the first branch opens: the page opens faster
        self.inputs: dict[str, widgets.Widget] = {}  # payload path → input widget, once the form exists
        self._branch_labels: dict[str, str] = {}

        self.title = _html(f'<h2 style="margin:8px 0 2px;font-size:22px;line-height:1.35">{html.escape(TITLE)}</h2>')
        self.error = _html()
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
        self.evaluator = widgets.Text(
            description=g.EVALUATOR,
            placeholder="姓名（必填）",
            continuous_update=False,
            layout=widgets.Layout(width="100%", max_width="16em", min_width="0", margin="2px 0"),
            style={"description_width": "initial"},
        )
        self.open_button = widgets.Button(description="打开", button_style="danger", layout=widgets.Layout(width="6em"))
        self.open_message = _html()
        self.topbar = widgets.Box(
            [self.branch_picker, self.year_picker, self.evaluator, self.open_button],
            layout=_layout(display="flex", flex_flow="row wrap", align_items="center"),
        )
        self.topbar.add_class("siping-topbar")
        # --- session
        self.session = _html(css="siping-session")
        self.draft_status = _html(css="siping-draft-status")
        self.offer_text = _html()
        self.restore_button = widgets.Button(description="恢复草稿", button_style="warning")
        self.discard_button = widgets.Button(description="放弃草稿")
        self.draft_offer = widgets.VBox(
            [self.offer_text, widgets.HBox([self.restore_button, self.discard_button])],
            layout=_layout(display="none"),
        )
        self.draft_offer.add_class("siping-offer")
        # --- result panel with the submit controls under its scores, history, reconciliation
        self.reason = widgets.Textarea(
            description="更正原因",
            placeholder="再次提交即为更正，请写明更正的原因（必填）",
            layout=_layout(height="4em", display="none"),
            style={"description_width": "initial"},
        )
        self.submit_button = widgets.Button(
            description="提交", button_style="danger", layout=widgets.Layout(width="10em", align_self="flex-start")
        )
        self.submit_message = _html()
        self.submit_box = widgets.VBox(
            [self.reason, self.submit_button, self.submit_message], layout=_layout(margin="4px 0 8px")
        )
        self.submit_box.add_class("siping-submit")
        self.panel = ResultPanel(actions=self.submit_box)
        self.history = _html()
        self.reconciled = _html()
        self.self_scores: SelfScoreView | None = None  # built with the form
        self.workflow_panel = WorkflowPanel(store, rubric, actor=lambda: self.state.evaluator) if store else None
        self.report_download = ReportDownload(store, rubric) if store else None
        self.form_column = widgets.VBox(layout=_layout(flex="1 1 520px", width="auto"))
        self.side = widgets.VBox([self.panel], layout=_layout(flex="1 1 340px", width="auto", max_width="560px"))
        self.side.add_class("siping-side")
        self.workspace = widgets.Box(
            [self.form_column, self.side],
            layout=_layout(display="none", flex_flow="row wrap", align_items="flex-start"),
        )
        self.workspace.layout.gap = "12px"
        self.records = widgets.VBox(
            [
                *([_html(section_title("考评流程")), self.workflow_panel] if self.workflow_panel else []),
                *([_html(section_title("考评报告")), self.report_download] if self.report_download else []),
                _html(section_title("修订记录")),
                self.history,
                _html(section_title("多位考评人")),
                self.reconciled,
            ],
            layout=_layout(display="none"),
        )

        # --- wiring: widgets → state.update; state → views
        report = self._report
        self.open_button.on_click(guarded(OPEN_FAILED, report)(lambda _b: self.open_selected()))
        self.year_picker.observe(guarded(OPEN_FAILED, report)(self._on_year), names="value")
        self.evaluator.observe(
            guarded(CHANGE_FAILED, report)(lambda change: self.update(evaluator=change["new"].strip())), names="value"
        )
        self.restore_button.on_click(guarded(DRAFT_FAILED, report)(lambda _b: self.restore_draft()))
        self.discard_button.on_click(guarded(DRAFT_FAILED, report)(lambda _b: self.discard_draft()))
        self.submit_button.on_click(guarded(SUBMIT_FAILED, report)(lambda _b: self.submit()))
        state = self.state
        state.observe(guarded(CHANGE_FAILED, report)(self._on_payload), names="payload")
        state.observe(guarded(CHANGE_FAILED, report)(self._on_evaluator), names="evaluator")
        state.observe(self._render_error, names="error")
        # problems and results are always set together (see _derive): one observer, one redraw
        state.observe(guarded(CHANGE_FAILED, report)(self._render_panel), names="results")
        state.observe(self._render_session, names=["branch_id", "branch_name", "year", "evaluator"])
        state.observe(self._render_draft, names=["draft_status", "draft_warning", "draft_offer"])
        state.observe(self._render_submit, names=["submitted", "evaluator", "notice", "submit_problems", "branch_id"])
        state.observe(guarded(CHANGE_FAILED, report)(self._render_records), names=["revisions", "reconciled"])
        state.observe(guarded(CHANGE_FAILED, report)(self._render_self), names=["self_assessment", "branch_id"])

        if store is not None and rubric is not None and not error:
            self._fill_pickers()
        self._render_error()
        self._render_submit()
        self.children = [
            page_style(),
            _html(STYLE, css="siping-style"),
            self.title,
            self.error,
            self.topbar,
            self.open_message,
            self.session,
            self.draft_offer,
            self.draft_status,
            self.panel.brief,
        ]
        # The workspace and the records join the page when the first branch opens: fewer widget views
        # for the browser to build before the branch picker is usable.
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
        self._branch_labels = {
            str(branch_id): f"{branch_id} {name}" for branch_id, name in zip(branches["branch_id"], branches["name"])
        }
        self.branch_picker.options = tuple(self._branch_labels.values())
        if not self._branch_labels:
            self.open_message.value = error_html(NO_BRANCHES)
        years = self.store.records.years()
        if not years:
            years = [dt.date.today().year]
        self.year_picker.options = [(f"{year}年", year) for year in reversed(years)]
        self.year_picker.value = max(years)

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
        master = self.store.records.branch_inputs(year, [branch_id])
        if not len(master.branches):
            self.state.update(error=f"支部“{branch_id}”不在数据库中。")
            return
        self._master = master
        if self.form is None:
            self._build_form()
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
        self.workflow_panel.show(branch_id, year)
        self.report_download.show(branch_id, year)
        self.reason.value = ""
        self.workspace.layout.display = "flex"
        self.records.layout.display = None
        if self._deferred:
            self.children = [*self.children, *self._deferred]
            self._deferred = []
        if mine is not None:
            self.state.update(
                notice=f"你已提交第 {mine.revision_no} 号修订（{local_time(mine.created_at)}）。"
                "表单中是已提交的内容；修改后可“提交更正”。"
            )
        self._check_draft()

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
        if not state.evaluator:
            state.update(draft_offer=None, draft_status=NO_EVALUATOR, draft_warning=True)
            return
        draft = self.store.records.load_draft(state.branch_id, state.year, state.evaluator)
        if draft is None:
            state.update(draft_offer=None, draft_status="", draft_warning=False)
            return
        state.update(
            draft_offer=draft,
            draft_status="有未处理的草稿：选择“恢复草稿”或“放弃草稿”后，修改才会自动保存。",
            draft_warning=True,
        )

    def restore_draft(self) -> None:
        draft = self.state.draft_offer
        if draft is None:
            return
        payload = copy.deepcopy(draft.payload)
        with self._loading_payload():
            self.form.fill(payload)
            self.state.update(payload=payload, draft_offer=None, notice="")
        self._derive()
        self.state.update(
            draft_status=f"已恢复草稿（保存于 {local_time(draft.updated_at)}），修改会自动保存。", draft_warning=False
        )

    def discard_draft(self) -> None:
        state = self.state
        if state.draft_offer is None:
            return
        self.store.records.discard_draft(state.branch_id, state.year, state.evaluator)
        state.update(draft_offer=None, draft_status="草稿已放弃。", draft_warning=False)
        if state.payload != self._opened_payload:
            self._save_draft()  # what was typed while the offer was open becomes the draft

    def _save_draft(self) -> None:
        state = self.state
        if state.branch_id is None:
            return
        if not state.evaluator:
            state.update(draft_status=NO_EVALUATOR, draft_warning=True)
            return
        if state.draft_offer is not None:
            return  # saving now would overwrite the draft the evaluator has not answered yet
        try:
            draft = self.store.records.save_draft(
                state.branch_id, state.year, state.evaluator, state.payload, self.rubric.version
            )
        except Exception:
            self.log.exception("evaluate: saving the draft of %s %s failed", state.branch_id, state.year)
            state.update(draft_status=SAVE_FAILED, draft_warning=True)
            return
        state.update(
            draft_status=f"草稿已自动保存（{local_time(draft.updated_at, seconds=True)}）", draft_warning=False
        )

    # ------------------------------------------------------------------ state observers (derived work)
    def _on_payload(self, change) -> None:
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

    def _on_evaluator(self, change) -> None:
        """Another evaluator name while a branch is open: their submission and draft apply."""
        state = self.state
        if state.branch_id is None:
            return
        submissions = self.store.records.current_submissions(state.branch_id, state.year)
        state.update(submitted=submissions.get(state.evaluator), notice="", submit_problems=[])
        self._check_draft()
        if state.draft_offer is None and state.evaluator and state.payload != blank_payload(self.rubric):
            self._save_draft()

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
        if not state.evaluator:
            state.update(submit_problems=["请先在上方填写评估人姓名。"], notice="")
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
        try:
            revision = self.store.records.submit(
                state.branch_id, state.year, state.evaluator, state.payload, self.rubric.version, reason=reason
            )
        except StoreError as refused:
            state.update(submit_problems=[str(refused)], notice="")
            return
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
        )

    def _render_session(self, change=None) -> None:
        state = self.state
        if state.branch_id is None:
            self.session.value = ""
            return
        who = escape(state.evaluator) if state.evaluator else '<span style="color:#8a1f11">（未填写）</span>'
        self.session.value = (
            f"正在考评：<b>{escape(state.branch_id)} {escape(state.branch_name)}</b> · {state.year}年度 · "
            f"评估人：<b>{who}</b> · 评分标准版本 {escape(self.rubric.version)}"
        )

    def _render_draft(self, change=None) -> None:
        state = self.state
        offer = state.draft_offer
        if offer is not None:
            version = ""
            if offer.rubric_version != self.rubric.version:
                version = (
                    f"（草稿按评分标准版本 {escape(offer.rubric_version)} 填写，当前为 {escape(self.rubric.version)}）"
                )
            self.offer_text.value = (
                f"<b>发现未提交的草稿（保存于 {local_time(offer.updated_at)}）</b>{version}。"
                "恢复草稿将用草稿内容替换表单；放弃草稿将删除它。"
            )
            self.draft_offer.layout.display = "flex"
        else:
            self.draft_offer.layout.display = "none"
        css = "siping-draft-status warn" if state.draft_warning else "siping-draft-status"
        self.draft_status.value = f'<div class="{css}">{escape(state.draft_status)}</div>' if state.draft_status else ""

    def _render_submit(self, change=None) -> None:
        state = self.state
        correcting = state.submitted is not None
        self.submit_button.description = "提交更正" if correcting else "提交"
        self.reason.layout.display = None if correcting else "none"
        parts = []
        if state.notice:
            parts.append(f'<div class="siping-notice" role="status">{escape(state.notice)}</div>')
        if state.submit_problems:
            head, *rest = state.submit_problems
            body = escape(head) + (html_list([escape(p) for p in rest]) if rest else "")
            parts.append(f'<div role="alert" class="siping-bad-block">{body}</div>')
        self.submit_message.value = "".join(parts)

    def _render_records(self, change=None) -> None:
        state = self.state
        self.history.value = history_html(state.revisions)
        self.reconciled.value = reconciled_html(self.rubric, state.reconciled, state.branch_id)


def evaluate_app() -> EvaluateApp:
    """The widget the notebook displays."""
    return EvaluateApp.from_env()
