"""支部自评 page: a branch secretary enters with the branch's access code, scores the 达标 checklist,
uploads the activity log and member roster, sees the gaps (找不足、补短板) and applies for acceptance.

Safety: the page reaches the database only through a :class:`~assessment.store.BranchSession`, which a
valid code alone produces and which reads and writes that branch's year only. A wrong, unknown or
revoked code gets one plain refusal (:data:`~assessment.store.REFUSAL`); repeated failures in a kernel
slow down (:class:`CodeGate`). The code may come in the page's link (``?code=…``): Voila gives the
kernel the request's query string in ``$QUERY_STRING`` (with preheated kernels, through
``voila.utils.get_query_string``).

State lives in one :class:`SelfAssessState`; widgets write into it, views are drawn from it. Every change
of the form is saved as the branch's draft in the database (kernels are culled; nothing is kept only in
a kernel). ``notebooks/self_assess.ipynb`` is one cell: ``self_assess_app()``.
"""

from __future__ import annotations

import copy
import html
import os
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets

from ... import glossary as g
from ...analysis.self_assessment import SelfCheck, self_check
from ...inputs.payload import blank_payload, check_payload
from ...inputs.workbook import WorkbookError
from ...outputs import charts
from ...rubric import Rubric, format_fraction
from ...store import REFUSAL, AccessDenied, BranchSession, Store, StoreError
from ..components import (
    FULL_WIDTH,
    app_logger,
    download_link_html,
    error_html,
    escape,
    figure_image,
    guarded,
    html_list,
    html_table,
    page_style,
    scroll_box,
    section_title,
    set_figure,
)

__all__ = ["CodeGate", "SelfAssessApp", "SelfAssessState", "code_from_query", "self_assess_app"]

TITLE = "党支部自评"
SUBTITLE = "对照标准自评 · 找不足、补短板 · 申请考评（支部申请—街道党工委考评—区委组织部验收）"
LOAD_FAILED = "自评系统暂时无法使用，请稍后再试或联系街道党工委。"
ACTION_FAILED = "操作没有完成，请稍后再试；如仍不行请联系街道党工委。"
TOO_MANY = "尝试次数过多，请{seconds}秒后再试。"
UPLOAD_TITLES = {"activities": "活动记录", "roster": "党员名册"}
STYLE = (
    "<style>"
    ".siping-self{font-size:14px}"
    ".siping-self .siping-item{border:1px solid #e3e6ea;border-radius:6px;padding:6px 10px;margin:6px 0;"
    "background:#fff;box-sizing:border-box}"
    ".siping-self .siping-item-head{font-size:14px;line-height:1.5;white-space:normal;overflow-wrap:anywhere}"
    ".siping-self .siping-key{background:#c0392b;color:#fff;border-radius:3px;font-size:11px;padding:0 4px;"
    "margin-left:6px}"
    ".siping-self .siping-bonus{background:#2e7d32;color:#fff;border-radius:3px;font-size:11px;padding:0 4px;"
    "margin-left:6px}"
    ".siping-self .siping-hint{color:#5b6770;font-size:13px;line-height:1.5;white-space:normal;"
    "overflow-wrap:anywhere}"
    ".siping-self .siping-field-message{color:#b3261e;font-size:13px;white-space:normal;overflow-wrap:anywhere}"
    ".siping-self .siping-status{font-size:15px;margin:6px 0}"
    ".siping-self .siping-status b{color:#c0392b}"
    ".siping-self .siping-notice{background:#e6f4ea;color:#1e6b34;border-radius:4px;padding:6px 10px;"
    "margin:6px 0;white-space:pre-wrap}"
    ".siping-self .siping-cards{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0}"
    ".siping-self .siping-card{flex:1 1 90px;border:1px solid #e3e6ea;border-radius:4px;padding:4px 8px;"
    "background:#fff}"
    ".siping-self .siping-card .v{font-size:20px;font-weight:600;color:#c0392b}"
    ".siping-self .siping-card .k{font-size:12px;color:#5b6770}"
    ".siping-self .siping-tag{border-radius:3px;padding:0 4px;font-size:12px;white-space:nowrap}"
    ".siping-self .siping-tag.ok{background:#e6f4ea;color:#1e6b34}"
    ".siping-self .siping-tag.bad{background:#fdecea;color:#8a1f11}"
    ".siping-self .siping-tag.unknown{background:#eef0f2;color:#5b6770}"
    ".siping-self .widget-upload{max-width:100%}"
    ".siping-self input,.siping-self select{min-width:0}"
    "</style>"
)


def _layout(**extra) -> widgets.Layout:
    return widgets.Layout(**{**FULL_WIDTH, **extra})


def _html(value: str = "", css: str = "") -> widgets.HTML:
    box = widgets.HTML(value, layout=_layout())
    if css:
        box.add_class(css)
    return box


def code_from_query(query: str | None) -> str | None:
    """The ``code`` parameter of a query string (``code=…``), or None."""
    if not query:
        return None
    values = parse_qs(query.lstrip("?")).get("code")
    return values[0] if values else None


def _query_string() -> str:
    """The page request's query string as Voila hands it to the kernel."""
    if os.environ.get("VOILA_PREHEAT") == "True":  # a preheated kernel learns it only when a page claims it
        from voila.utils import get_query_string

        return get_query_string() or ""
    return os.environ.get("QUERY_STRING", "")


class CodeGate:
    """Slows down guessing in one kernel: after ``free`` failures, each further failure locks the gate
    for a delay that doubles (5 s, 10 s, 20 s …, at most ``max_delay``). A success resets it."""

    def __init__(
        self,
        free: int = 3,
        first_delay: float = 5.0,
        max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.free = free
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.clock = clock
        self.failures = 0
        self.locked_until = 0.0

    def wait_seconds(self) -> int:
        return max(0, int(np.ceil(self.locked_until - self.clock())))

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.free:
            delay = min(self.max_delay, self.first_delay * 2 ** (self.failures - self.free))
            self.locked_until = self.clock() + delay

    def succeeded(self) -> None:
        self.failures = 0
        self.locked_until = 0.0


class SelfAssessState(traitlets.HasTraits):
    """Everything the views read: the session, the payload being typed, messages, the last self-check."""

    session = traitlets.Any(None, allow_none=True)
    payload = traitlets.Dict()
    error = traitlets.Unicode("")
    notice = traitlets.Unicode("")
    check = traitlets.Any(None, allow_none=True)
    revision = traitlets.Int(0)  # bumped when the stored data (status, uploads) changed

    def update(self, **changes) -> None:
        with self.hold_trait_notifications():
            for name, value in changes.items():
                setattr(self, name, value)


def _item_input(item) -> widgets.Widget:
    layout = widgets.Layout(width="100%", max_width="16em", min_width="0", margin="2px 8px 2px 0")
    if item.kind == "level":
        options = [("请选择", "")] + [(f"{lv.label}（{format_fraction(lv.points)}分）", lv.label) for lv in item.levels]
        return widgets.Dropdown(options=options, value="", layout=layout)
    placeholder = {
        "points": f"自评得分 0–{format_fraction(item.max)}",
        "count_shortfall": f"实际次数（要求{format_fraction(item.target or 0)}次）",
        "deduction": "缺失件数（没有填0）",
        "rate_steps": f"比例%（要求{format_fraction(item.target or 0)}%以上）",
    }[item.kind]
    return widgets.Text(placeholder=placeholder, continuous_update=False, layout=layout)


def _text_of(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class SelfAssessApp(widgets.VBox):
    """The page as one widget. ``SelfAssessApp(store)``; ``enter(code)`` is what the 进入 button does."""

    def __init__(self, store: Store | None, *, error: str = "", gate: CodeGate | None = None):
        super().__init__(layout=_layout())
        self.add_class("siping-app")
        self.add_class("siping-self")
        self.store = store
        self.gate = gate or CodeGate()
        self.state = SelfAssessState(error=error)
        self.rubric: Rubric | None = store.rubric if store is not None else None
        self.inputs: dict[str, widgets.Widget] = {}
        self.messages: dict[str, widgets.HTML] = {}
        self._filling = False

        self.title = _html(
            f'<h2 style="margin:8px 0 2px;font-size:21px;line-height:1.35">{html.escape(TITLE)}</h2>'
            f'<div class="siping-hint">{html.escape(SUBTITLE)}</div>'
        )
        self.error_box = _html()
        self.notice_box = _html()
        # --- entering
        self.code_input = widgets.Password(
            placeholder="街道发给本支部的访问码", layout=widgets.Layout(width="100%", max_width="22em", min_width="0")
        )
        self.enter_button = widgets.Button(
            description="进入", button_style="danger", layout=widgets.Layout(width="6em")
        )
        self.enter_button.on_click(lambda _b: self.enter(self.code_input.value))
        self.login = widgets.VBox(
            [
                _html('<div class="siping-hint">请输入访问码（也可直接点开街道通过微信发来的链接）。</div>'),
                widgets.Box(
                    [self.code_input, self.enter_button],
                    layout=_layout(display="flex", flex_flow="row wrap", align_items="center"),
                ),
            ],
            layout=_layout(),
        )
        # --- the branch's page
        self.status_box = _html()
        self.history_box = _html()
        self.apply_button = widgets.Button(
            description="申请考评", button_style="danger", layout=widgets.Layout(width="10em")
        )
        self.apply_button.on_click(lambda _b: self.apply())
        self.apply_hint = _html()
        self.uploads: dict[str, widgets.FileUpload] = {}
        self.upload_boxes: dict[str, widgets.HTML] = {}
        self.form_box = widgets.VBox(layout=_layout())
        self.summary_box = _html()
        self.channel_chart = figure_image()
        self.area_chart = figure_image()
        self.radar = figure_image()
        self.findings_box = _html()
        self.gaps_box = _html()
        self.report_button = widgets.Button(description="生成自评报告（PDF）", layout=widgets.Layout(width="14em"))
        self.report_button.on_click(lambda _b: self.make_report())
        self.report_link = _html()
        self.main = widgets.VBox(layout=_layout())

        self.state.observe(self._render_error, names="error")
        self.state.observe(self._render_notice, names="notice")
        self.state.observe(self._render_check, names="check")
        self.state.observe(self._render_session, names=["session", "revision"])
        self.state.observe(self._on_payload, names="payload")
        self._render_error()
        self.children = [page_style(), _html(STYLE), self.title, self.error_box, self.notice_box, self.login, self.main]

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
        code = code_from_query(_query_string())
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
            session = self.store.access.open_session(code)
        except AccessDenied:
            self.gate.failed()
            self.state.update(error=REFUSAL, notice="")
            return False
        except Exception:  # noqa: BLE001
            app_logger().exception("self_assess: checking a code failed")
            self.state.update(error=LOAD_FAILED, notice="")
            return False
        self.gate.succeeded()
        self.code_input.value = ""
        try:
            stored = session.self_assessment(draft=True) or session.self_assessment()
        except AccessDenied:
            self.state.update(error=REFUSAL)
            return False
        payload = copy.deepcopy(stored.payload) if stored is not None else blank_payload(session.rubric)
        self.rubric = session.rubric
        self._build_page()
        self.state.update(session=session, error="", notice="")
        self._fill(payload)
        self.state.update(payload=payload)
        return True

    # ------------------------------------------------------------------ building the page
    def _build_page(self) -> None:
        rubric = self.rubric
        self.inputs.clear()
        self.messages.clear()
        cards: list[widgets.Widget] = []
        grade_input = widgets.Dropdown(
            options=[("未评议/不填", "")] + [(level, level) for level in rubric.channels.annual_review_grades.levels],
            value="",
            layout=widgets.Layout(width="100%", max_width="16em", min_width="0"),
        )
        self._register("org.annual_review_grade", grade_input)
        areas = {a.id: a for a in rubric.checklist.areas}
        current_area = None
        for item in rubric.items:
            if item.area != current_area:
                current_area = item.area
                cards.append(_html(section_title(areas[item.area].label)))
            cards.append(self._item_card(item))
        member_fields = []
        method = rubric.channel("member").method
        for key, label in [("participants", "参评人数"), *[(lv.id, lv.label) for lv in method.levels]]:
            field = widgets.Text(
                placeholder="人数", continuous_update=False, layout=widgets.Layout(width="7em", min_width="0")
            )
            self._register(f"member.{key}", field)
            member_fields.append(
                widgets.VBox(
                    [_html(f'<span class="siping-hint">{html.escape(label)}</span>'), field],
                    layout=widgets.Layout(width="8em"),
                )
            )
        optional = widgets.VBox(
            [
                _html(section_title("年度述职评议与民主评议（可不填）")),
                _html(
                    '<div class="siping-hint">知道本年度述职评议考核等次和党员民主评议结果的，可以填上，'
                    "用于预判“最强党支部”否决规则；群众评判、社会评价由街道考评，这里无法判断。</div>"
                ),
                widgets.Box(
                    [_html('<span class="siping-hint">年度述职评议考核等次</span>'), grade_input],
                    layout=_layout(display="flex", flex_flow="row wrap", align_items="center"),
                ),
                self.messages["org.annual_review_grade"],
                widgets.Box(member_fields, layout=_layout(display="flex", flex_flow="row wrap")),
                *[self.messages[f"member.{key}"] for key in ("participants", *[lv.id for lv in method.levels])],
            ],
            layout=_layout(),
        )
        self.form_box.children = [*cards, optional]

        upload_widgets = []
        for kind, title in UPLOAD_TITLES.items():
            upload = widgets.FileUpload(
                accept=".xlsx,.csv", multiple=False, description=f"上传{title}", layout=widgets.Layout(width="12em")
            )
            upload.observe(lambda change, kind=kind: self._on_upload(kind, change), names="value")
            self.uploads[kind] = upload
            self.upload_boxes[kind] = _html()
            upload_widgets += [upload, self.upload_boxes[kind]]
        sheet_help = (
            '<div class="siping-hint">Excel（.xlsx）或 CSV 文件，列与填报模板的“活动记录”“党员名册”工作表相同'
            "（第1行为表头）；只能包含本支部的数据。上传有误时不会保存任何内容，并指出是哪一行哪一列。</div>"
        )
        self.main.children = [
            self.status_box,
            _html(section_title("申请考评")),
            self.apply_hint,
            self.apply_button,
            self.history_box,
            _html(section_title("上传台账")),
            _html(sheet_help),
            *upload_widgets,
            _html(section_title("达标清单自评")),
            _html('<div class="siping-hint">逐项对照评分说明和所需台账自评打分；每次修改都会自动保存为草稿。</div>'),
            self.form_box,
            _html(section_title("自评结果")),
            self.summary_box,
            widgets.Box(
                [self.channel_chart, self.area_chart, self.radar],
                layout=_layout(display="flex", flex_flow="row wrap", justify_content="space-between"),
            ),
            self.findings_box,
            _html(section_title("找不足、补短板")),
            self.gaps_box,
            _html(section_title("下载")),
            self.report_button,
            self.report_link,
        ]
        self.login.layout.display = "none"

    def _register(self, path: str, widget: widgets.Widget) -> None:
        self.inputs[path] = widget
        message = _html("", "siping-field-message")
        self.messages[path] = message
        widget.observe(lambda change, path=path: self._changed(path, change["new"]), names="value")

    def _item_card(self, item) -> widgets.Widget:
        field = _item_input(item)
        path = f"org.items.{item.id}.value"
        self._register(path, field)
        key = f'<span class="siping-key">{g.KEY_ITEM}</span>' if item.key else ""
        if item.bonus:
            key += f'<span class="siping-bonus">{g.BONUS_ITEM}</span>'
        evidence = "、".join(item.evidence) if item.evidence else "无"
        head = (
            f'<div class="siping-item-head"><b>{escape(item.id)} {escape(item.label)}</b>{key}'
            f'<span class="siping-hint">（{_item_worth(item)}）</span></div>'
            f'<div class="siping-hint">{escape(item.description)}</div>'
            f'<div class="siping-hint">需准备的台账：{escape(evidence)}</div>'
        )
        box = widgets.VBox([_html(head), field, self.messages[path]], layout=_layout())
        box.add_class("siping-item")
        return box

    # ------------------------------------------------------------------ form ↔ state
    def _fill(self, payload: Mapping[str, Any]) -> None:
        self._filling = True
        try:
            for path, widget in self.inputs.items():
                value = _get(payload, path)
                text = _text_of(value)
                if isinstance(widget, widgets.Dropdown):
                    allowed = [v for _label, v in widget.options]
                    widget.value = text if text in allowed else ""
                else:
                    widget.value = text
        finally:
            self._filling = False

    def _changed(self, path: str, value: Any) -> None:
        if self._filling or self.state.session is None:
            return
        payload = copy.deepcopy(self.state.payload)
        _set(payload, path, value if value != "" else None)
        # Saved first: a page whose code was revoked stops here, before anything is drawn.
        if guarded(ACTION_FAILED, self._report)(self._save_draft)(payload):
            self.state.update(payload=payload)

    def _save_draft(self, payload: dict[str, Any]) -> bool:
        try:
            self.state.session.save_draft(payload)
        except AccessDenied:
            self._lock_out()
            return False
        return True

    def _lock_out(self) -> None:
        self.main.children = []
        self.login.layout.display = None
        self.state.update(session=None, check=None, error=REFUSAL, notice="")

    def _on_payload(self, change=None) -> None:
        guarded(ACTION_FAILED, self._report)(self._recheck)()

    def _recheck(self) -> None:
        session: BranchSession | None = self.state.session
        if session is None:
            return
        try:
            branch = session.branch()
            activities, source = session.activities()
            roster = session.roster()
        except AccessDenied:
            self._lock_out()
            return
        problems = check_payload(self.state.payload, self.rubric)
        shown = {p.field: p for p in problems}
        for path, message in self.messages.items():
            problem = shown.get(path)
            message.value = html.escape(problem.message) if problem else ""
        checked = self_check(
            self.rubric, branch, activities, roster, self.state.payload, year=session.year, activities_source=source
        )
        self.state.update(check=checked)

    # ------------------------------------------------------------------ actions
    def _on_upload(self, kind: str, change) -> None:
        files = change["new"]
        if not files:
            return
        guarded(ACTION_FAILED, self._report)(self.upload)(kind, bytes(files[0].content), files[0].name)

    def upload(self, kind: str, data: bytes, filename: str) -> bool:
        """Check and store an uploaded sheet; show the located problems or what was stored."""
        session: BranchSession = self.state.session
        title = UPLOAD_TITLES[kind]
        try:
            frame = session.upload(kind, data, filename)
        except WorkbookError as failure:
            shown = failure.problems[:20]
            more = f"<div>另有{len(failure.problems) - 20}处问题。</div>" if len(failure.problems) > 20 else ""
            self.upload_boxes[kind].value = (
                error_html(f"{title}未保存，请修改后重新上传：") + html_list(escape(str(p)) for p in shown) + more
            )
            return False
        except AccessDenied:
            self._lock_out()
            return False
        self.upload_boxes[
            kind
        ].value = f'<div class="siping-notice">已保存{escape(title)}：{escape(filename)}，共{len(frame)}行。</div>'
        self.state.update(revision=self.state.revision + 1)
        self._recheck()
        return True

    def apply(self) -> bool:
        """申请考评: submit the self-assessment and move to the next step."""
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
        label = self.rubric.workflow.state(event.to_status).label
        self.state.update(
            error="", notice=f"已提交自评并申请考评，当前状态：{label}。", revision=self.state.revision + 1
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
                title="党支部自评报告",
                kind_note="本报告由支部自评生成（自查分），群众评判、社会评价等由街道党工委考评，结果以考评验收为准。",
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
            self.report_link.value = error_html("报告生成失败，请稍后再试。")
            return False
        filename = f"{checked.branch_id}_{checked.name}_{checked.year}年度自评报告.pdf"
        self.report_link.value = download_link_html(pdf, filename, "application/pdf", f"下载：{filename}")
        return True

    # ------------------------------------------------------------------ views
    def _render_error(self, change=None) -> None:
        self.error_box.value = error_html(self.state.error)

    def _render_notice(self, change=None) -> None:
        notice = self.state.notice
        self.notice_box.value = f'<div class="siping-notice">{html.escape(notice)}</div>' if notice else ""

    def _render_session(self, change=None) -> None:
        session: BranchSession | None = self.state.session
        if session is None:
            return
        try:
            status = session.status()
            history = session.history()
        except AccessDenied:
            self._lock_out()
            return
        workflow = self.rubric.workflow
        period = ""
        if status.designation:
            until = status.valid_until.isoformat() if status.valid_until else "未定"
            period = f"（有效期至 {until}）"
        self.status_box.value = (
            f'<div class="siping-status">{escape(session.branch_id)} <b>{escape(session.name)}</b> · {session.year}年度'
            f" · 当前状态：<b>{escape(status.label)}</b>{html.escape(period)}</div>"
        )
        can_apply = any(
            "branch" in t.roles and "self_assessment" in t.requires for t in workflow.moves_from(status.status)
        )
        self.apply_button.disabled = not can_apply
        self.apply_hint.value = (
            '<div class="siping-hint">自评完成、台账上传后，点击“申请考评”：提交本自评，由街道党工委受理考评。</div>'
            if can_apply
            else f'<div class="siping-hint">当前状态为“{escape(status.label)}”，不需要再申请。</div>'
        )
        if history:
            frame = pd.DataFrame(
                {
                    "时间": [e.at.astimezone().strftime("%Y-%m-%d %H:%M") for e in history],
                    "变更": [
                        f"{workflow.state(e.from_status).label}→{workflow.state(e.to_status).label}" for e in history
                    ],
                    "操作": [workflow.role(e.role).label for e in history],
                    "原因": [e.reason for e in history],
                }
            )
            self.history_box.value = scroll_box(html_table(frame, nowrap_columns=["时间"]), max_height="220px")
        else:
            self.history_box.value = ""

    def _render_check(self, change=None) -> None:
        checked: SelfCheck | None = self.state.check
        if checked is None:
            self.summary_box.value = self.findings_box.value = self.gaps_box.value = ""
            return
        rubric = self.rubric
        b = checked.row
        org = b["org"]
        base_ids = [i.id for i in rubric.base_items]  # a blank 加分项 is not 未评
        scored = int(checked.results.items.loc[checked.branch_id, base_ids].notna().sum())
        key_short = int(
            (checked.gaps["kind"].eq("item") & checked.gaps["id"].isin([i.id for i in rubric.items if i.key])).sum()
        )
        cards = [
            (
                "组织评定（自评）",
                f"已评{scored}/{len(base_ids)}项" if pd.isna(org) else f"{org:.{rubric.meta.decimals}f}",
            ),
            ("关键项未满分", f"{key_short}项"),
            ("组织生活未达到", f"{int(b['activity_failures'])}项"),
            ("待补短板", f"{int((checked.gaps['kind'] != 'bonus').sum())}项"),
        ]
        card_html = "".join(
            f'<div class="siping-card"><div class="v">{escape(v)}</div><div class="k">{escape(k)}</div></div>'
            for k, v in cards
        )
        vetoes = checked.results.vetoes[checked.results.vetoes["branch_id"] == checked.branch_id].sort_values("order")
        veto_items = []
        for row in vetoes.itertuples():
            tag = (
                '<span class="siping-tag unknown">无法判断</span>'
                if row.passed is pd.NA
                else (
                    '<span class="siping-tag ok">通过</span>'
                    if row.passed
                    else '<span class="siping-tag bad">否决</span>'
                )
            )
            veto_items.append(f"{tag} <b>{escape(row.label)}</b>：{escape(row.explanation)}")
        standardized = "全部条件" if b["standardized"] else escape(b["standardized_reasons"])
        self.summary_box.value = (
            f'<div class="siping-cards">{card_html}</div>'
            f'<div class="siping-hint">综合得分需要街道考评的四项结果，自评时为“{g.INCOMPLETE}”；'
            f"达标条件中尚未满足的：{standardized}。</div>"
            + '<div style="margin-top:6px"><b>“最强党支部”否决规则（预判）</b></div>'
            + html_list(veto_items)
        )
        results = checked.results
        set_figure(self.channel_chart, charts.branch_channels(results, rubric, checked.branch_id))
        set_figure(self.area_chart, charts.area_shares(results, rubric, checked.branch_id))
        set_figure(self.radar, charts.five_strong_radar(results, rubric, checked.branch_id))
        self.findings_box.value = _findings_html(checked)
        self.gaps_box.value = _gaps_html(checked, rubric.meta.decimals)


def _item_worth(item) -> str:
    """满分与权重, or for a 加分项 how much it can add."""
    if item.bonus:
        return f"加分项，最多加{format_fraction(item.top)}分，不参与权重"
    return f"满分{format_fraction(item.max)}分，权重{format_fraction(item.weight * 100)}%"


def _findings_html(checked: SelfCheck) -> str:
    results = checked.results
    acts = results.activities[results.activities["branch_id"] == checked.branch_id]
    activity_frame = pd.DataFrame(
        {
            "类型": acts["type"].to_numpy(),
            "要求": acts["requirement"].to_numpy(),
            "实有": acts["count"].to_numpy(),
            "缺漏": acts["missing_periods"].to_numpy(),
            "结果": [
                "不适用" if m is pd.NA else ("达到" if m else "未达到") for m in acts["met"].astype(object).tolist()
            ],
        }
    )
    struct = results.structure[results.structure["branch_id"] == checked.branch_id]
    structure_items = [
        f"{'✔' if p is True else ('✘' if p is False else '？')} {escape(e)}"
        for p, e in zip(struct["passed"].astype(object).tolist(), struct["explanation"])
    ]
    parts = [
        f"<div><b>组织生活</b>（{escape(checked.activities_source or '暂无活动记录')}）</div>",
        scroll_box(html_table(activity_frame, nowrap_columns=["类型", "结果"])),
        "<div style='margin-top:6px'><b>组织设置</b></div>",
        f'<div class="siping-hint">{escape(checked.roster_note)}</div>' if checked.roster_note else "",
        html_list(structure_items),
    ]
    if checked.members is not None:
        member_items = [
            f"{'✔' if p is True else ('✘' if p is False else '？')} <b>{escape(label)}</b>：{escape(e)}"
            for p, label, e in zip(
                checked.members.rules["passed"].astype(object).tolist(),
                checked.members.rules["label"],
                checked.members.rules["explanation"],
            )
        ]
        parts += ["<div style='margin-top:6px'><b>党员管理（党员名册）</b></div>", html_list(member_items)]
    else:
        parts.append('<div class="siping-hint">尚未上传党员名册：上传后检查学习培训、书记培训和党费交纳。</div>')
    return "".join(parts)


def _gaps_html(checked: SelfCheck, decimals: int) -> str:
    gaps = checked.gaps
    if not len(gaps):
        return '<div class="siping-notice">各项均已达到，没有需要补的短板。</div>'
    items = []
    for number, row in enumerate(gaps.itertuples(), start=1):
        lost = "" if np.isnan(row.points_lost) else f"，失{row.points_lost:.{decimals}f}分"
        blocks = '<span class="siping-tag bad">影响达标</span> ' if row.blocks_standard else ""
        if row.kind == "bonus":
            blocks = '<span class="siping-tag ok">可争取加分</span> '
        items.append(
            f'<li class="siping-gap" style="margin:4px 0">{blocks}<b>{number}. {escape(row.label)}</b>{html.escape(lost)}'
            f'<div class="siping-hint">问题：{escape(row.finding)}</div>'
            f'<div class="siping-hint">怎么补：{escape(row.advice)}</div></li>'
        )
    return f'<ol style="list-style:none;margin:4px 0;padding:0">{"".join(items)}</ol>'


def _get(payload: Mapping[str, Any], path: str) -> Any:
    node: Any = payload
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _set(payload: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = payload
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def self_assess_app() -> SelfAssessApp:
    """The widget the notebook displays."""
    return SelfAssessApp.from_env()
