"""Pieces of the 考评 page that come from the workflow: the branch's status and moves, and its report.

- :class:`WorkflowPanel`: the branch's status for the year, its history (who, when, why), and the moves the
  rules allow next — each with who may make it — with a reason field and a button; a move the rules refuse
  shows the store's reason.
- :class:`ReportDownload`: the branch's printable evaluation report.

The branch's 自查分 beside each field of the evaluator's form is :mod:`assessment.pages.evaluate.self_scores`.
Their HTML comes from ``templates/evaluate/workflow.html.j2``.
"""

from __future__ import annotations

import dataclasses

import ipywidgets as widgets
import pandas as pd

from ...localtime import local_time
from ...rubric import Rubric
from ...store import Store, StoreError
from ..components import (
    app_logger,
    download_link_html,
    error_html,
    full_width,
    html_box,
    html_table,
    macros,
    notice_html,
    scroll_box,
)
from ..identity import Session

__all__ = ["ReportDownload", "WorkflowPanel"]


CANNOT_MOVE = "你的账户（{role}）不能变更考评流程的状态。"


def _workflow():
    return macros("evaluate/workflow.html.j2")


class WorkflowPanel(widgets.VBox):
    """Status, history and the next moves of one branch's year, for the signed-in person: they move as
    their account's workflow role (``acts_as``), if their account may move at all."""

    def __init__(self, store: Store, rubric: Rubric, session: Session):
        super().__init__(layout=full_width())
        self.add_class("siping-workflow")
        self.store = store
        self.rubric = rubric
        self.session = session
        self.branch_id: str | None = None
        self.year: int | None = None
        self.status = html_box()
        self.history = html_box()
        self.moves = html_box()
        self.target = widgets.Dropdown(
            description="变更为",
            layout=widgets.Layout(width="100%", max_width="22em", min_width="0"),
            style={"description_width": "initial"},
        )
        self.reason = widgets.Text(
            description="原因",
            placeholder="必填：为什么作此变更",
            layout=full_width(max_width="32em"),
            style={"description_width": "initial"},
        )
        # Shown only when the chosen move is not supported by the recorded result and the account's role may
        # make it as an exception; the store decides again (the box's value is only a request).
        self.exception = widgets.Checkbox(
            value=False,
            description="按例外办理（考评结果不支持此项变更，原因中写明理由）",
            indent=False,
            layout=widgets.Layout(width="auto", display="none"),
        )
        self.button = widgets.Button(description="变更状态", button_style="warning", layout=widgets.Layout(width="8em"))
        self.message = html_box()
        self.button.on_click(lambda _b: self.move())
        self.target.observe(lambda _change: self._show_exception(), names="value")
        self._moves: dict[str, object] = {}
        self.controls = widgets.Box(
            [self.target, self.reason, self.exception, self.button],
            layout=full_width(display="flex", flex_flow="row wrap", align_items="center"),
        )
        self.children = [self.status, self.moves, self.controls, self.message, self.history]

    def show(self, branch_id: str, year: int) -> None:
        self.branch_id, self.year = branch_id, year
        self.message.value = ""
        self.reason.value = ""
        self.render()

    def render(self) -> None:
        if self.branch_id is None:
            return
        workflow = self.rubric.workflow
        status = self.store.workflow.status(self.branch_id, self.year)
        period = ""
        if status.designation:
            until = status.valid_until.isoformat() if status.valid_until else "未定（未填写上次换届）"
            expired = "，任期已届满，应开展新一轮建设" if status.expired() else ""
            period = f"（有效期 {status.valid_from} 至 {until}{expired}）"
        result = status.result
        self.status.value = _workflow().status(
            status.label, period, status.exception, result.summary() if result is not None else ""
        )
        history = self.store.workflow.history(self.branch_id, self.year)
        if history:
            frame = pd.DataFrame(
                {
                    "时间": [local_time(e.at) for e in reversed(history)],
                    "变更": [
                        f"{workflow.state(e.from_status).label}→{workflow.state(e.to_status).label}"
                        for e in reversed(history)
                    ],
                    "操作方": [workflow.role(e.role).label for e in reversed(history)],
                    "操作人": [e.actor for e in reversed(history)],
                    "原因": [e.reason for e in reversed(history)],
                    "依据的考评结果": [e.basis_text() or "—" for e in reversed(history)],
                }
            )
            self.history.value = scroll_box(html_table(frame, nowrap_columns=["时间"]), max_height="200px")
        else:
            self.history.value = _workflow().no_history()
        self._render_moves()

    @property
    def role(self) -> str | None:
        """The workflow role the signed-in person moves as (None: their account does not move branches)."""
        who = self.session.who
        return who.role.acts_as if who is not None and who.may("move") else None

    def _render_moves(self) -> None:
        if self.branch_id is None:
            return
        role = self.role
        moves = self.store.workflow.allowed_moves(self.branch_id, self.year, role=role)
        if role is None:  # a view-only account: the moves are shown, none is theirs
            who = self.session.who
            why = CANNOT_MOVE.format(role=who.role.label if who is not None else "未登录")
            moves = [dataclasses.replace(m, allowed=False, why=why) for m in moves]
        self.moves.value = _workflow().moves(moves)
        allowed = [(f"{m.to_label}（{m.label}）", m.to) for m in moves if m.allowed] if role is not None else []
        self._moves = {m.to: m for m in moves}
        self.target.options = allowed
        self.target.value = allowed[0][1] if allowed else None
        self.controls.layout.display = "flex" if allowed else "none"
        self._show_exception()

    def _show_exception(self) -> None:
        chosen = self._moves.get(self.target.value)
        offered = chosen is not None and chosen.exception_allowed
        self.exception.layout.display = "flex" if offered else "none"
        if not offered:
            self.exception.value = False

    def move(self) -> bool:
        if self.branch_id is None or self.target.value is None:
            return False
        try:
            who = self.session.check()  # the session still holds: signed in, account active
        except StoreError as ended:
            self.message.value = _workflow().refused(str(ended))
            return False
        if self.role is None:
            self.message.value = _workflow().refused(CANNOT_MOVE.format(role=who.role.label))
            return False
        current = self.store.workflow.status(self.branch_id, self.year).status
        try:
            event = self.store.workflow.move(
                self.branch_id,
                self.year,
                self.target.value,
                role=self.role,
                actor=who.name,
                reason=self.reason.value,
                expected_from=current,
                exception=bool(self.exception.value),
            )
        except StoreError as refused:
            self.message.value = _workflow().refused(str(refused))
            return False
        label = self.rubric.workflow.state(event.to_status).label
        marked = "（例外）" if event.exception else ""
        self.message.value = notice_html(f"已变更为“{label}”{marked}。")
        self.exception.value = False
        self.reason.value = ""
        self.render()
        return True


class ReportDownload(widgets.VBox):
    """A button that makes the branch's printable evaluation report (PDF) from the store's current
    submissions (scored with the version stored with them), and the download link it leaves (a ``data:`` URL: no server route needed)."""

    FAILED = "报告生成失败，请稍后再试；如仍不行请联系管理员。"

    def __init__(self, store: Store, rubric: Rubric):
        super().__init__(layout=full_width())
        self.store = store
        self.rubric = rubric
        self.branch_id: str | None = None
        self.year: int | None = None
        self.button = widgets.Button(description="生成考评报告（PDF）", layout=widgets.Layout(width="14em"))
        self.button.on_click(lambda _b: self.make())
        self.link = html_box()
        hint = html_box(_workflow().report_hint())
        self.children = [hint, self.button, self.link]

    def show(self, branch_id: str, year: int) -> None:
        self.branch_id, self.year = branch_id, year
        self.link.value = ""

    def make(self) -> bool:
        from ...outputs.branch_pdf import branch_report_pdf, decided_branch_report

        if self.branch_id is None:
            return False
        try:
            # As decided: scored with the rubric version stored with the branch's submissions.
            document, stem = decided_branch_report(self.store, self.branch_id, self.year)
            pdf = branch_report_pdf(document)
        except Exception:  # noqa: BLE001 - a short message on the page, the details in the server log
            app_logger().exception("evaluate: report for %s failed", self.branch_id)
            self.link.value = error_html(self.FAILED)
            return False
        self.link.value = download_link_html(pdf, f"{stem}.pdf", "application/pdf", f"下载：{stem}.pdf")
        return True
