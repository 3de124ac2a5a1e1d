"""支部自评 page: a branch secretary enters with the branch's access code, scores the 达标 checklist,
uploads the activity log and member roster, sees the gaps (找不足、补短板) and applies for acceptance.

Safety: the page reaches the database only through a :class:`~assessment.store.BranchSession`, which a
valid code alone produces and which reads and writes that branch's year only. A wrong, unknown or
revoked code gets one plain refusal (:data:`~assessment.store.REFUSAL`); repeated failures in a kernel
slow down (:class:`~.access.CodeGate`); the code may come in the page's link (:mod:`.access`).

State lives in one :class:`~.state.SelfAssessState`; widgets write into it, views (:mod:`.views`) are drawn
from it; the checklist is :class:`~.form.SelfAssessForm`. Every change of the form — while typing, not only
when a field is left — is saved as the branch's draft in the database (kernels are culled; nothing is kept
only in a kernel), through a :class:`~assessment.pages.drafts.DraftSaver`: never over a draft another window
saved since, and again on its own after a database outage; the line at the bottom says which.
``notebooks/self_assess.ipynb`` is one cell: ``self_assess_app()``.
"""

from __future__ import annotations

import copy
import math
import os
from typing import Any

import ipywidgets as widgets

from ...analysis.self_assessment import SelfCheck, self_check
from ...inputs.frames import used_frames
from ...inputs.payload import blank_payload, check_payload, parse_payload
from ...inputs.workbook import WorkbookError
from ...outputs import charts
from ...rubric import Rubric
from ...store import REFUSAL, AccessDenied, BranchSession, SelfAssessmentLocked, Store, StoreError
from ..components import (
    app_logger,
    download_link_html,
    error_html,
    figure_image,
    full_width,
    guarded,
    html_box,
    notice_html,
    page_style,
    section_title,
    set_figure,
    title_html,
    with_field,
)
from ..drafts import DraftSaver, Schedule, draft_status_html, loop_schedule
from .access import CodeGate, code_from_query, query_string
from .form import SelfAssessForm
from .state import SelfAssessState
from .views import (
    apply_confirm_html,
    apply_hint_html,
    findings_html,
    gaps_html,
    hint_html,
    history_html,
    locked_html,
    org_progress,
    status_html,
    summary_html,
    upload_done_html,
    upload_history_html,
    upload_preview_html,
    upload_refused_html,
)

__all__ = ["CodeGate", "SelfAssessApp", "SelfAssessState", "code_from_query", "self_assess_app"]

TITLE = "党支部自评"
SUBTITLE = "对照标准自评 · 找不足、补短板 · 申请考评（支部申请—街道党工委考评—区委组织部验收）"
LOAD_FAILED = "自评系统暂时无法使用，请稍后再试或联系街道党工委。"
ACTION_FAILED = "操作没有完成，请稍后再试；如仍不行请联系街道党工委。"
REPORT_FAILED = "报告生成失败，请稍后再试。"
TOO_MANY = "尝试次数过多，请{seconds}秒后再试。"
UPLOAD_TITLES = {"activities": "活动记录", "roster": "党员名册"}
LOGIN_HINT = "请输入访问码（也可直接点开街道通过微信发来的链接）。"


def sheet_help(collected) -> str:
    """How to upload, naming only the records the rubric collects (meta.yaml ``uses``)."""
    sheets = [name for kind, name in (("activities", "活动记录"), ("roster", "党员名册")) if kind in collected]
    rules = {
        "activities": "活动记录按“日期＋类型”合并：文件中的记录新增或替换同一天同一类型的记录，文件中没有的原有记录保留",
        "roster": "党员名册整表替换",
    }
    merged = "；".join(rules[kind] for kind in ("activities", "roster") if kind in collected)
    return (
        f"Excel（.xlsx）或 CSV 文件，列与填报模板的{'“' + '”“'.join(sheets) + '”'}工作表相同"
        "（第1行为表头）；只能包含本支部的数据。选择文件后先列出导入将做的改动，点击“确认导入”才保存；"
        f"文件有误时不会保存任何内容，并指出是哪个工作表哪一行哪一列。{merged}。"
    )


REPLACE_ALL_LABEL = "整体替换：用文件替换全部活动记录（文件中没有的原有记录将被删除）"
UPLOAD_CANCELLED = "已取消，未导入任何内容。"
FORM_HINT = "逐项对照评分说明和所需台账自评打分；每次修改都会自动保存为草稿。"
REPORT_TITLE = "党支部自评报告"
REPORT_NOTE = "本报告由支部自评生成（自查分），群众评判、社会评价等由街道党工委考评，结果以考评验收为准。"


class SelfAssessApp(widgets.VBox):
    """The page as one widget. ``SelfAssessApp(store)``; ``enter(code)`` is what the 进入 button does."""

    def __init__(
        self,
        store: Store | None,
        *,
        error: str = "",
        gate: CodeGate | None = None,
        schedule: Schedule = loop_schedule,
    ):
        super().__init__(layout=full_width())
        self.add_class("siping-app")
        self.add_class("siping-self")
        self.store = store
        self.gate = gate or CodeGate()
        self.state = SelfAssessState(error=error)
        self.rubric: Rubric | None = store.rubric if store is not None else None
        self.form: SelfAssessForm | None = None  # built when a code opens the branch
        self.inputs: dict[str, widgets.Widget] = {}  # payload path → input widget, once the form exists
        self.messages: dict[str, widgets.HTML] = {}

        self.title = html_box(title_html(TITLE, SUBTITLE))
        self.error_box = html_box()
        self.notice_box = html_box()
        self.draft_box = html_box(css="siping-self-draft")
        self.saver = DraftSaver(self._write_draft, self._show_draft_status, schedule=schedule)
        # --- entering
        self.code_input = widgets.Password(
            placeholder="街道发给本支部的访问码", layout=widgets.Layout(width="100%", max_width="22em", min_width="0")
        )
        self.enter_button = widgets.Button(
            description="进入", button_style="danger", layout=widgets.Layout(width="6em")
        )
        self.login = widgets.VBox(
            [
                html_box(hint_html(LOGIN_HINT)),
                widgets.Box(
                    [self.code_input, self.enter_button],
                    layout=full_width(display="flex", flex_flow="row wrap", align_items="center"),
                ),
            ],
            layout=full_width(),
        )
        # --- the branch's page
        self.status_box = html_box()
        self.history_box = html_box()
        self.apply_button = widgets.Button(
            description="申请考评", button_style="danger", layout=widgets.Layout(width="10em")
        )
        self.apply_hint = html_box()
        # The branch's own way back after 未通过 or 撤销 (重新自评, 开始新一轮建设: workflow.yaml), when there is one
        self.restart_button = widgets.Button(
            button_style="warning", layout=widgets.Layout(width="auto", display="none")
        )
        self._restart_to: str | None = None
        # 申请考评 asks first: what will be submitted, then 确认 or 返回修改
        self.apply_confirm_box = html_box()
        self.confirm_apply_button = widgets.Button(
            description="确认申请考评", button_style="danger", layout=widgets.Layout(width="12em")
        )
        self.cancel_apply_button = widgets.Button(description="返回修改", layout=widgets.Layout(width="8em"))
        self.apply_confirm = widgets.VBox(
            [
                self.apply_confirm_box,
                widgets.Box(
                    [self.confirm_apply_button, self.cancel_apply_button],
                    layout=full_width(display="flex", flex_flow="row wrap"),
                ),
            ],
            layout=full_width(display="none"),
        )
        self.locked_box = html_box()  # the banner of a submitted, read-only self-assessment
        self.uploads: dict[str, widgets.FileUpload] = {}
        self.upload_boxes: dict[str, widgets.HTML] = {}
        self.confirm_upload_buttons: dict[str, widgets.Button] = {}
        self.cancel_upload_buttons: dict[str, widgets.Button] = {}
        self.upload_actions: dict[str, widgets.Box] = {}
        self.replace_all = widgets.Checkbox(
            value=False, description=REPLACE_ALL_LABEL, indent=False, layout=full_width()
        )
        self.upload_history_box = html_box()
        self._pending: dict[str, tuple[bytes, str]] = {}  # kind → the chosen file, until 确认导入 or 取消
        self.form_box = widgets.VBox(layout=full_width())
        self.summary_box = html_box()
        self._progress: tuple[int, int] | None = None  # the 已评 counter of the form as it is now
        self._kind: str | None = None  # the branch's 支部类型 (which items apply), once read
        self.channel_chart = figure_image()
        self.area_chart = figure_image()
        self.radar = figure_image()
        self.findings_box = html_box()
        self.gaps_box = html_box()
        self.report_button = widgets.Button(description="生成自评报告（PDF）", layout=widgets.Layout(width="14em"))
        self.report_link = html_box()
        self.main = widgets.VBox(layout=full_width())

        # --- wiring: widgets → actions and state.update; state → views
        self.enter_button.on_click(lambda _b: self.enter(self.code_input.value))
        self.apply_button.on_click(lambda _b: guarded(ACTION_FAILED, self._report)(self.ask_apply)())
        self.confirm_apply_button.on_click(lambda _b: self.apply())
        self.cancel_apply_button.on_click(lambda _b: self.cancel_apply())
        self.restart_button.on_click(lambda _b: guarded(ACTION_FAILED, self._report)(self.restart)())
        self.replace_all.observe(lambda _c: guarded(ACTION_FAILED, self._report)(self._repreview)(), names="value")
        self.report_button.on_click(lambda _b: self.make_report())
        self.state.observe(self._render_error, names="error")
        self.state.observe(self._render_notice, names="notice")
        self.state.observe(self._render_check, names="check")
        self.state.observe(self._render_session, names=["session", "revision"])
        self.state.observe(self._on_payload, names="payload")
        self._render_error()
        self.children = [
            page_style("self_assess/style.css.j2"),
            self.title,
            self.error_box,
            self.notice_box,
            self.login,
            self.main,
            self.draft_box,
        ]

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_env(cls) -> SelfAssessApp:
        """The store of $ASSESSMENT_DATABASE_URL; the code from the page link, if it carries one."""
        try:
            store = Store()
        except Exception:  # noqa: BLE001 - a short message on the page, the details in the server log
            app_logger().exception("self_assess: opening the store failed")
            return cls(None, error=LOAD_FAILED)
        app = cls(store)
        code = code_from_query(query_string())
        if code:
            app.enter(code)
        return app

    def _report(self, message: str) -> None:
        self.state.update(error=message, notice="")

    # ------------------------------------------------------------------ entering
    def enter(self, code: str) -> bool:
        """Open the branch the code belongs to; on any failure show only :data:`REFUSAL`."""
        if self.store is None:
            return False
        wait = self.gate.wait_seconds()
        if wait:
            self.state.update(error=TOO_MANY.format(seconds=wait), notice="")
            return False
        try:
            # the visitor's address, as the server saw it: failures are counted per address in the database too
            session = self.store.access.open_session(code, client=os.environ.get("SIPING_CLIENT") or None)
        except AccessDenied as refused:
            self.gate.failed()
            if refused.wait > 0:
                self.state.update(error=TOO_MANY.format(seconds=math.ceil(refused.wait)), notice="")
            else:
                self.state.update(error=REFUSAL, notice="")
            return False
        except Exception:  # noqa: BLE001
            app_logger().exception("self_assess: checking a code failed")
            self.state.update(error=LOAD_FAILED, notice="")
            return False
        self.gate.succeeded()
        self.code_input.value = ""
        try:
            draft = session.self_assessment(draft=True)
            stored = draft or session.self_assessment()
        except AccessDenied:
            self.state.update(error=REFUSAL)
            return False
        self.saver.start(draft.version if draft is not None else None)
        payload = copy.deepcopy(stored.payload) if stored is not None else blank_payload(session.rubric)
        self.rubric = session.rubric
        self._build_page()
        self.state.update(session=session, error="", notice="")
        self.form.fill(payload)
        self.state.update(payload=payload)
        return True

    # ------------------------------------------------------------------ building the page
    def _build_page(self) -> None:
        self.form = SelfAssessForm(self.rubric, on_change=self._changed)
        self.inputs = self.form.inputs
        self.messages = self.form.messages
        self.form_box = self.form.box
        upload_widgets = []
        collected = used_frames(self.rubric)
        guard = guarded(ACTION_FAILED, self._report)
        for kind, title in UPLOAD_TITLES.items():
            upload = widgets.FileUpload(
                accept=".xlsx,.csv", multiple=False, description=f"上传{title}", layout=widgets.Layout(width="12em")
            )
            upload.observe(lambda change, kind=kind: self._on_upload(kind, change), names="value")
            self.uploads[kind] = upload
            self.upload_boxes[kind] = html_box()
            confirm = widgets.Button(description="确认导入", button_style="danger", layout=widgets.Layout(width="8em"))
            cancel = widgets.Button(description="取消", layout=widgets.Layout(width="6em"))
            confirm.on_click(lambda _b, kind=kind: guard(self.confirm_upload)(kind))
            cancel.on_click(lambda _b, kind=kind: guard(self.cancel_upload)(kind))
            self.confirm_upload_buttons[kind] = confirm
            self.cancel_upload_buttons[kind] = cancel
            self.upload_actions[kind] = widgets.Box(
                [confirm, cancel], layout=full_width(display="none", flex_flow="row wrap")
            )
            extra = [self.replace_all] if kind == "activities" else []
            if kind in collected:  # a record the rubric does not collect (meta.yaml uses) is not asked for
                upload_widgets += [upload, *extra, self.upload_boxes[kind], self.upload_actions[kind]]
        uploading = (
            [
                html_box(section_title("上传台账")),
                html_box(hint_html(sheet_help(collected))),
                *upload_widgets,
                html_box(section_title("上传记录")),
                self.upload_history_box,
            ]
            if upload_widgets
            else []
        )
        self.main.children = [
            self.status_box,
            self.locked_box,
            *uploading,
            html_box(section_title("达标清单自评")),
            html_box(hint_html(FORM_HINT)),
            self.form_box,
            html_box(section_title("自评结果")),
            self.summary_box,
            widgets.Box(
                [self.channel_chart, self.area_chart, self.radar],
                layout=full_width(display="flex", flex_flow="row wrap", justify_content="space-between"),
            ),
            self.findings_box,
            html_box(section_title("找不足、补短板")),
            self.gaps_box,
            html_box(section_title("申请考评")),
            self.apply_hint,
            self.apply_button,
            self.restart_button,
            self.apply_confirm,
            self.history_box,
            html_box(section_title("下载")),
            self.report_button,
            self.report_link,
        ]
        self.login.layout.display = "none"

    # ------------------------------------------------------------------ form → state
    def _changed(self, path: str, value: Any) -> None:
        if self.state.session is None:
            return
        payload = with_field(self.state.payload, path, value)
        # Saved first: a page whose code was revoked stops here, before anything is drawn. A draft the
        # database could not take yet stays in the state (and on the screen) and is retried by the saver.
        guarded(ACTION_FAILED, self._report)(self.saver.save)(payload)
        if self.state.session is not None:
            self.state.update(payload=payload)

    def _write_draft(self, payload: dict[str, Any], expected: str | None):
        session: BranchSession | None = self.state.session
        if session is None:
            return None
        try:
            return session.save_draft(payload, expected=expected)
        except AccessDenied:
            self._lock_out()
            return None
        except SelfAssessmentLocked as locked:  # applied meanwhile (another device): nothing more is saved
            self._refused_while_locked(str(locked))
            return None

    def _show_draft_status(self, text: str, warning: bool) -> None:
        self.draft_box.value = draft_status_html(text, warning)
        if not warning and self.state.error == ACTION_FAILED:
            # The database answers again: the failed re-check of the outage is done again (and says so
            # again only if it still fails).
            self.state.update(error="")
            self._on_payload()

    def _refused_while_locked(self, reason: str) -> None:
        """The store refused a change of a submitted self-assessment: show why and what was submitted."""
        self.form.fill(self.state.payload)
        self.state.update(error=reason, notice="", revision=self.state.revision + 1)

    def _lock_out(self) -> None:
        self.saver.stop()
        self.draft_box.value = ""
        self.main.children = []
        self.login.layout.display = None
        self.state.update(session=None, check=None, error=REFUSAL, notice="")

    def _on_payload(self, change=None) -> None:
        guarded(ACTION_FAILED, self._report)(self._recheck)()

    def _recheck(self) -> None:
        session: BranchSession | None = self.state.session
        if session is None:
            return
        # First what is cheap (parsing the form): the fields' problems and the 已评 counter follow every
        # keystroke at once; the store, scoring and charts come after.
        parsed, problems = parse_payload(self.state.payload, self.rubric)
        self.form.show_problems(problems)
        self._progress = org_progress(parsed, self.rubric, self._kind)
        if self.state.check is not None:
            self.summary_box.value = summary_html(self.state.check, self.rubric, self._progress)
        try:
            branch = session.branch()
            activities, source = session.activities()
            roster = session.roster()
            previous_roster = session.roster(year=session.year - 1)
        except AccessDenied:
            self._lock_out()
            return
        kind = branch["kind"].iloc[0] if len(branch) else None
        if not isinstance(kind, str):
            kind = None
        if kind != self._kind:  # the counter counts the items that apply to this kind of branch
            self._kind = kind
            self._progress = org_progress(parse_payload(self.state.payload, self.rubric)[0], self.rubric, kind)
        checked = self_check(
            self.rubric,
            branch,
            activities,
            roster,
            self.state.payload,
            year=session.year,
            activities_source=source,
            previous_roster=previous_roster,
        )
        self.state.update(check=checked)

    # ------------------------------------------------------------------ actions
    def _on_upload(self, kind: str, change) -> None:
        files = change["new"]
        if not files:
            return
        data, name = bytes(files[0].content), files[0].name
        self.uploads[kind].value = ()  # choosing the same file again (after 取消) is a new choice
        guarded(ACTION_FAILED, self._report)(self.upload)(kind, data, name)

    def _replace_all(self, kind: str) -> bool:
        return kind == "activities" and bool(self.replace_all.value)

    def _hide_upload_actions(self, kind: str) -> None:
        self.upload_actions[kind].layout.display = "none"

    def upload(self, kind: str, data: bytes, filename: str) -> bool:
        """Check a chosen file and show what importing it would do (the preview) with 确认导入 and 取消;
        nothing is stored yet. A file with problems shows them (sheet, row, column)."""
        session: BranchSession = self.state.session
        title = UPLOAD_TITLES[kind]
        self._pending.pop(kind, None)
        self._hide_upload_actions(kind)
        plan = self._planned(
            kind, lambda: session.preview_upload(kind, data, filename, replace_all=self._replace_all(kind))
        )
        if plan is None:
            return False
        self._pending[kind] = (data, filename)
        self.upload_boxes[kind].value = upload_preview_html(title, filename, plan)
        self.upload_actions[kind].layout.display = "flex"
        return True

    def _planned(self, kind: str, call):
        """The upload plan ``call`` returns (a preview, or what was stored), or None after showing why not: the
        file's problems (sheet, row, column), a code that no longer opens the branch, a locked self-assessment."""
        try:
            return call()
        except WorkbookError as failure:
            self.upload_boxes[kind].value = upload_refused_html(UPLOAD_TITLES[kind], failure.problems)
        except AccessDenied:
            self._lock_out()
        except SelfAssessmentLocked as locked:
            self.upload_boxes[kind].value = error_html(str(locked))
            self.state.update(revision=self.state.revision + 1)
        return None

    def _repreview(self) -> None:
        """整体替换 was ticked or unticked: the pending activity log's preview follows."""
        pending = self._pending.get("activities")
        if pending is not None and self.state.session is not None:
            self.upload("activities", *pending)

    def confirm_upload(self, kind: str) -> bool:
        """确认导入: store the previewed file (what it does is worked out again as it is stored)."""
        pending = self._pending.pop(kind, None)
        self._hide_upload_actions(kind)
        if pending is None or self.state.session is None:
            return False
        session: BranchSession = self.state.session
        title = UPLOAD_TITLES[kind]
        data, filename = pending
        plan = self._planned(kind, lambda: session.upload(kind, data, filename, replace_all=self._replace_all(kind)))
        if plan is None:
            return False
        self.upload_boxes[kind].value = upload_done_html(title, plan)
        if kind == "activities":
            self.replace_all.value = False  # a whole replacement is chosen for one file at a time
        self.state.update(revision=self.state.revision + 1)
        self._recheck()
        return True

    def cancel_upload(self, kind: str) -> None:
        self._pending.pop(kind, None)
        self._hide_upload_actions(kind)
        self.upload_boxes[kind].value = hint_html(UPLOAD_CANCELLED)

    def ask_apply(self) -> None:
        """申请考评, first step: show what will be submitted (and any problem that keeps it from being)."""
        if self.state.session is None:
            return
        problems = check_payload(self.state.payload, self.rubric)
        self.apply_confirm_box.value = apply_confirm_html(self.state.check, self.rubric, problems)
        self.confirm_apply_button.disabled = bool(problems)
        self.apply_confirm.layout.display = None

    def cancel_apply(self) -> None:
        self.apply_confirm.layout.display = "none"
        self.apply_confirm_box.value = ""

    def apply(self) -> bool:
        """申请考评, confirmed: submit the self-assessment and move to the next step (read-only from now on)."""
        session: BranchSession = self.state.session
        if session is None:
            return False
        try:
            event = session.apply(self.state.payload)
        except AccessDenied:
            self._lock_out()
            return False
        except StoreError as refused:
            self.state.update(error=str(refused), notice="")
            return False
        except Exception:  # noqa: BLE001
            app_logger().exception("self_assess: apply failed")
            self.state.update(error=ACTION_FAILED, notice="")
            return False
        self.saver.start(None)  # the submission took the draft's place
        label = self.rubric.workflow.state(event.to_status).label
        self.cancel_apply()
        self.state.update(
            error="", notice=f"已提交自评并申请考评，当前状态：{label}。", revision=self.state.revision + 1
        )
        return True

    def restart(self) -> bool:
        """The branch's own move back to self-assessment (重新自评 / 开始新一轮建设): editable again."""
        session: BranchSession | None = self.state.session
        if session is None or self._restart_to is None:
            return False
        label = self.restart_button.description
        try:
            event = session.move(self._restart_to, f"支部{label}")
        except AccessDenied:
            self._lock_out()
            return False
        except StoreError as refused:
            self.state.update(error=str(refused), notice="")
            return False
        state = self.rubric.workflow.state(event.to_status).label
        self.state.update(
            error="", notice=f"已{label}，当前状态：{state}，可以修改自评。", revision=self.state.revision + 1
        )
        return True

    def make_report(self) -> bool:
        """The self-assessment report as a PDF download link."""
        from ...outputs.branch_pdf import branch_report_html, branch_report_pdf

        checked: SelfCheck | None = self.state.check
        if checked is None:
            return False
        try:
            document = branch_report_html(
                self.rubric,
                checked.results,
                checked.branch_id,
                gaps=checked.gaps,
                title=REPORT_TITLE,
                kind_note=REPORT_NOTE,
                branch=checked.branches.iloc[0],
                status=self.state.session.status(),
                member_rules=checked.members.rules if checked.members is not None else None,
                signatures=False,
            )
            pdf = branch_report_pdf(document)
        except AccessDenied:
            self._lock_out()
            return False
        except Exception:  # noqa: BLE001
            app_logger().exception("self_assess: report failed")
            self.report_link.value = error_html(REPORT_FAILED)
            return False
        filename = f"{checked.branch_id}_{checked.name}_{checked.year}年度自评报告.pdf"
        self.report_link.value = download_link_html(pdf, filename, "application/pdf", f"下载：{filename}")
        return True

    # ------------------------------------------------------------------ views (read state only)
    def _render_error(self, change=None) -> None:
        self.error_box.value = error_html(self.state.error)

    def _render_notice(self, change=None) -> None:
        self.notice_box.value = notice_html(self.state.notice)

    def _render_session(self, change=None) -> None:
        session: BranchSession | None = self.state.session
        if session is None:
            return
        try:
            status = session.status()
            history = session.history()
            locked = session.locked()
            uploads = session.uploads()
            own = session.own_moves()
        except AccessDenied:
            self._lock_out()
            return
        workflow = self.rubric.workflow
        self.status_box.value = status_html(session.branch_id, session.name, session.year, status)
        can_apply = bool(workflow.branch_moves(status.status, applying=True))
        self.apply_button.disabled = not can_apply
        self.apply_hint.value = apply_hint_html(can_apply, status.label)
        self._restart_to, label = own[0] if own else (None, "")
        self.restart_button.description = label
        self.restart_button.layout.display = None if own else "none"
        self.history_box.value = history_html(history, workflow)
        self.upload_history_box.value = upload_history_html(uploads)
        self._show_locked(locked)

    def _show_locked(self, reason: str | None) -> None:
        """A submitted self-assessment: the banner says why, every input is disabled (the store refuses
        changes as well); editable again when the workflow returns it."""
        self.state.locked = reason or ""
        self.locked_box.value = locked_html(reason) if reason else ""
        editable = reason is None
        for widget in [*self.inputs.values(), *self.uploads.values(), self.replace_all]:
            widget.disabled = not editable
        if not editable:
            for kind in list(self._pending):
                self._pending.pop(kind)
                self._hide_upload_actions(kind)
            self.cancel_apply()

    def _render_check(self, change=None) -> None:
        checked: SelfCheck | None = self.state.check
        if checked is None:
            self.summary_box.value = self.findings_box.value = self.gaps_box.value = ""
            return
        rubric = self.rubric
        self.summary_box.value = summary_html(checked, rubric, self._progress)
        results = checked.results
        set_figure(self.channel_chart, charts.branch_channels(results, rubric, checked.branch_id))
        set_figure(self.area_chart, charts.area_shares(results, rubric, checked.branch_id))
        set_figure(self.radar, charts.five_strong_radar(results, rubric, checked.branch_id))
        self.findings_box.value = findings_html(checked, self.rubric)
        self.gaps_box.value = gaps_html(checked, rubric.meta.decimals)


def self_assess_app() -> SelfAssessApp:
    """The widget the notebook displays."""
    return SelfAssessApp.from_env()
