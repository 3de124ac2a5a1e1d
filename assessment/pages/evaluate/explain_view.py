"""查看计算过程: behind each indicator of the 考评 page, how its points came about, as the evaluator types.

Each item card has a small 查看计算过程 toggle and, under it, the 计算过程 in words
(:func:`assessment.scoring.explain.explain_item`, the same text as the 明细 sheet and the branch report),
drawn from the page's parsed values each time they change. Only the lines whose text changed are sent to
the browser; the toggle only shows or hides the line (nothing about the evaluation depends on it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets

from ...inputs.payload import FieldProblem
from ...rubric import ChecklistItem, Rubric
from ...scoring.explain import explain_item, item_input
from ..components import full_width, macros

__all__ = ["HIDE", "SHOW", "ExplainLine", "ExplainView"]

SHOW = "查看计算过程"
HIDE = "收起计算过程"
WRONG = "输入有误，未计分（见输入框旁的提示）"
NOT_OPEN = "选择支部后显示"


@dataclass
class ExplainLine:
    """The toggle and the line of one item card."""

    toggle: widgets.ToggleButton
    line: widgets.HTML
    box: widgets.Box


def explain_line() -> ExplainLine:
    toggle = widgets.ToggleButton(
        value=False, description=SHOW, tooltip="这一项的得分是怎么算出来的", layout=widgets.Layout(width="auto")
    )
    toggle.add_class("siping-explain-toggle")
    line = widgets.HTML("", layout=full_width(display="none"))
    line.add_class("siping-explain")

    def flip(change) -> None:
        line.layout.display = None if change["new"] else "none"
        toggle.description = HIDE if change["new"] else SHOW

    toggle.observe(flip, names="value")
    box = widgets.VBox([toggle, line], layout=full_width())
    return ExplainLine(toggle, line, box)


class ExplainView:
    """Draws every item's 计算过程 from the parsed form; :attr:`texts` (item id → text) is what the page shows."""

    def __init__(self, rubric: Rubric, lines: Mapping[str, ExplainLine]):
        self.rubric = rubric
        self.lines = dict(lines)
        self.texts: dict[str, str] = {}

    def show(
        self,
        parsed: Mapping[str, Any] | None,
        problems: Sequence[FieldProblem],
        branch_id: str | None,
        kind: Any = None,
    ) -> None:
        org = (parsed or {}).get("org") or {}
        wrong = {problem.field for problem in problems}
        decimals = self.rubric.meta.decimals
        for item_id, line in self.lines.items():
            item: ChecklistItem = self.rubric.item(item_id)
            if branch_id is None:
                text = NOT_OPEN
            elif f"org.items.{item_id}.value" in wrong and item.applies(kind):
                text = WRONG
            else:
                text = explain_item(item, item_input(item, org), branch_kind=kind, decimals=decimals)
            if self.texts.get(item_id) == text:
                continue
            self.texts[item_id] = text
            line.line.value = macros("evaluate/form.html.j2").explain(text)
