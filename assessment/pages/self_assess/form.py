"""The checklist of the 支部自评 page, built from the rubric: one card per 达标 item (its score, what it is
worth, the evidence to prepare) and, optionally, the annual review grade and the 民主评议 tallies.

Every input is registered under its payload path (``org.items.s1.value``, ``member.excellent`` …) in
:attr:`SelfAssessForm.inputs`, with a message box under it in :attr:`SelfAssessForm.messages`. Edits are
reported as ``(path, value)`` to one callback; :meth:`SelfAssessForm.fill` shows a payload without
reporting it back. Texts come from ``templates/self_assess/form.html.j2``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as widgets

from ...inputs.payload import FieldProblem
from ...rubric import ChecklistItem, Rubric, format_fraction
from ..components import field_value, full_width, html_box, input_text, macros, section_title

__all__ = ["SelfAssessForm"]

OPTIONAL_HINT = (
    "知道本年度述职评议考核等次和党员民主评议结果的，可以填上，"
    "用于预判“最强党支部”否决规则；群众评判、社会评价由街道考评，这里无法判断。"
)


def _form():
    return macros("self_assess/form.html.j2")


def _item_input(item: ChecklistItem) -> widgets.Widget:
    field_layout = widgets.Layout(width="100%", max_width="16em", min_width="0", margin="2px 8px 2px 0")
    if item.kind == "level":
        options = [("请选择", "")] + [(f"{lv.label}（{format_fraction(lv.points)}分）", lv.label) for lv in item.levels]
        return widgets.Dropdown(options=options, value="", layout=field_layout)
    if item.kind == "flag":
        options = [("未填", ""), ("是", "是"), ("否", "否")]
        return widgets.Dropdown(options=options, value="", layout=field_layout)
    placeholder = {
        "stepped": "达到的数量（"
        + "，".join(f"{s.at}以上得{format_fraction(s.points)}分" for s in item.steps or ())
        + "）",
        "points": f"自评得分 0–{format_fraction(item.max)}",
        "count_shortfall": f"实际次数（要求{format_fraction(item.target or 0)}次）",
        "deduction": "缺失件数（没有填0）",
        "rate_steps": f"比例%（要求{format_fraction(item.target or 0)}%以上）",
    }[item.kind]
    # continuous_update: saved while typing, like the 考评 page (ipywidgets sends the newest value whenever the
    # kernel has answered the previous one), not only when the field is left
    field = widgets.Text(placeholder=placeholder, continuous_update=True, layout=field_layout)
    field.add_class("siping-number")  # a phone's number keyboard (the page template sets inputmode)
    return field


def _count_input(placeholder: str) -> widgets.Text:
    field = widgets.Text(
        placeholder=placeholder,
        continuous_update=True,
        layout=widgets.Layout(width="100%", max_width="16em", min_width="0", margin="2px 8px 2px 0"),
    )
    field.add_class("siping-number")
    return field


EVIDENCE_CHOICES = [("未查", ""), ("已查看", "seen"), ("缺失", "missing")]


def _item_worth(item: ChecklistItem) -> str:
    """满分与权重, or for a 加分项 how much it can add."""
    if item.kind == "flag":
        return "不计分：如实填写是或否，用于预判否决或等次限制"
    if item.bonus:
        return f"加分项，最多加{format_fraction(item.top)}分，不参与权重"
    return f"满分{format_fraction(item.max)}分，权重{format_fraction(item.weight * 100)}%"


class SelfAssessForm:
    """The checklist cards and the optional section. ``on_change(path, value)`` hears every edit ("" → None)."""

    def __init__(self, rubric: Rubric, on_change: Callable[[str, Any], None]):
        self.rubric = rubric
        self._on_change = on_change
        self._filling = False
        self.inputs: dict[str, widgets.Widget] = {}
        self.messages: dict[str, widgets.HTML] = {}
        grade_input = widgets.Dropdown(
            options=[("未评议/不填", "")] + [(level, level) for level in rubric.channels.annual_review_grades.levels],
            value="",
            layout=widgets.Layout(width="100%", max_width="16em", min_width="0"),
        )
        # The review grade and the 民主评议 only when the rubric collects them (meta.yaml uses).
        grading = rubric.uses_condition("annual_review")
        if grading:
            self._register("org.annual_review_grade", grade_input)
        areas = {a.id: a for a in rubric.checklist.areas}
        cards: list[widgets.Widget] = []
        current_area = None
        for item in rubric.items:
            if item.area != current_area:
                current_area = item.area
                cards.append(html_box(section_title(areas[item.area].label)))
            cards.append(self._item_card(item))
        member_fields = []
        levels = rubric.channel("member").method.levels if rubric.uses_channel("member") else ()
        member_keys = ["participants", *[lv.id for lv in levels]] if levels else []
        for key, label in zip(member_keys, ["参评人数", *[lv.label for lv in levels]]):
            field = widgets.Text(
                placeholder="人数", continuous_update=True, layout=widgets.Layout(width="7em", min_width="0")
            )
            field.add_class("siping-number")
            self._register(f"member.{key}", field)
            member_fields.append(
                widgets.VBox([html_box(_form().label(label)), field], layout=widgets.Layout(width="8em"))
            )
        grade_row: list[widgets.Widget] = []
        if grading:
            grade_row = [
                widgets.Box(
                    [html_box(_form().label("年度述职评议考核等次")), grade_input],
                    layout=full_width(display="flex", flex_flow="row wrap", align_items="center"),
                ),
                self.messages["org.annual_review_grade"],
            ]
        member_row: list[widgets.Widget] = []
        if member_keys:
            member_row = [
                widgets.Box(member_fields, layout=full_width(display="flex", flex_flow="row wrap")),
                *[self.messages[f"member.{key}"] for key in member_keys],
            ]
        title = "、".join(what for what, used in (("年度述职评议", grading), ("民主评议", bool(member_keys))) if used)
        optional = widgets.VBox(
            [html_box(section_title(f"{title.replace('、', '与')}（可不填）")), html_box(_form().hint(OPTIONAL_HINT))]
            + grade_row
            + member_row,
            layout=full_width(),
        )
        self.box = widgets.VBox([*cards, optional] if title else cards, layout=full_width())

    def _register(self, path: str, widget: widgets.Widget) -> None:
        self.inputs[path] = widget
        self.messages[path] = html_box(css="siping-field-message")
        widget.observe(lambda change, path=path: self._changed(path, change["new"]), names="value")

    def _item_card(self, item: ChecklistItem) -> widgets.Widget:
        evidence = "、".join(item.evidence) if item.evidence else "无"
        head = html_box(_form().item_head(item, _item_worth(item), evidence))
        base = f"org.items.{item.id}"
        rows: list[widgets.Widget] = []
        if item.kind == "evidence_deduction":
            # One mark per evidence: the 缺失 ones are counted (每缺一项扣 per 分), nothing typed beside them.
            rows.append(html_box(_form().hint(f"逐项对照台账：每缺失一项扣{format_fraction(item.per)}分，扣完为止")))
            for name in item.evidence:
                path = f"{base}.evidence.{name}"
                field = widgets.Dropdown(
                    options=EVIDENCE_CHOICES, value="", layout=widgets.Layout(width="8em", min_width="0")
                )
                self._register(path, field)
                rows.append(
                    widgets.Box(
                        [html_box(_form().label(name)), field],
                        layout=full_width(display="flex", flex_flow="row wrap", align_items="center"),
                    )
                )
            rows.append(self.messages.setdefault(f"{base}.evidence", html_box(css="siping-field-message")))
            rows.append(self.messages.setdefault(f"{base}.value", html_box(css="siping-field-message")))
        elif item.kind == "multi_deduction":
            for rule in item.rules:
                path = f"{base}.counts.{rule.id}"
                field = _count_input(f"{rule.label}次数（每次扣{format_fraction(rule.per)}分，没有填0）")
                self._register(path, field)
                rows += [field, self.messages[path]]
            rows.append(self.messages.setdefault(f"{base}.value", html_box(css="siping-field-message")))
        else:
            path = f"{base}.value"
            self._register(path, _item_input(item))
            rows += [self.inputs[path], self.messages[path]]
        box = widgets.VBox([head, *rows], layout=full_width())
        box.add_class("siping-item")
        return box

    def _changed(self, path: str, value: Any) -> None:
        if not self._filling:
            self._on_change(path, value if value != "" else None)

    def fill(self, payload: Mapping[str, Any]) -> None:
        """Show ``payload`` in the widgets without reporting the changes back."""
        self._filling = True
        try:
            for path, widget in self.inputs.items():
                text = input_text(field_value(payload, path))
                if isinstance(widget, widgets.Dropdown):
                    allowed = [v for _label, v in widget.options]
                    widget.value = text if text in allowed else ""
                else:
                    widget.value = text
        finally:
            self._filling = False

    def show_problems(self, problems: Iterable[FieldProblem]) -> None:
        """Each problem's message under its field; the other fields' messages are cleared."""
        shown = {p.field: p for p in problems}
        for path, message in self.messages.items():
            problem = shown.get(path)
            message.value = _form().message(problem.message if problem else "")
