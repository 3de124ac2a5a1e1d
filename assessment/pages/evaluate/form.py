"""The 四评 form of the 考评 page, built from the rubric (no indicator is named in code).

Every input widget is registered under its payload path (``org.items.s1.value``,
``member.participants``, ``social.0.department`` …) in :attr:`EvaluationForm.inputs`, with a
message box beside it in :attr:`EvaluationForm.messages`. Widgets never clamp or convert: a text
field keeps exactly what was typed, and :func:`assessment.inputs.payload.check_payload` judges it.
The form reports changes as ``(path, payload value)`` to one callback and is filled from a payload
by :meth:`EvaluationForm.fill`; it holds no state of its own beyond the widgets. Its texts come from
``templates/evaluate/form.html.j2``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets

from ...inputs.payload import FieldProblem
from ...inputs.workbook.layout import sheet_specs
from ...rubric import ChecklistItem, Rubric, format_fraction
from ..components import full_width, html_box, input_text, macros
from .explain_view import ExplainLine, explain_line

__all__ = ["EVIDENCE_OPTIONS", "EvaluationForm"]

UNSET = ""  # the "请选择" / "未填" option of a choice: None in the payload
UNCHECKED = "unchecked"  # the "未查" evidence state: None in the payload
YES_NO = {"是": True, "否": False}  # 是/否 fields are booleans in the payload (evaluation.py)
EVIDENCE_OPTIONS = [("已查看", "seen"), ("缺失", "missing"), ("未查", UNCHECKED)]
YES_NO_OPTIONS = [("是", "是"), ("否", "否"), ("未填", UNSET)]
CHOOSE = "请选择"

OnChange = Callable[[str, Any], None]


def _choice_value(value: Any) -> str:
    if value is None:
        return UNSET
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _close_tree(widget: widgets.Widget) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


def _form():
    return macros("evaluate/form.html.j2")


def _text(description: str, placeholder: str = "", *, numeric: bool = True) -> widgets.Text:
    """A text field; a numeric one opens a phone's number keyboard (class siping-number: the page template
    sets inputmode=decimal on its input)."""
    field = widgets.Text(
        description=description,
        placeholder=placeholder,
        continuous_update=True,
        layout=widgets.Layout(width="100%", max_width="24em", min_width="0", margin="2px 8px 2px 0"),
        style={"description_width": "initial"},
    )
    if numeric:
        field.add_class("siping-number")
    return field


def _message() -> widgets.HTML:
    box = widgets.HTML("", layout=widgets.Layout(min_width="0", max_width="100%", margin="0"))
    box.add_class("siping-field-message")
    return box


def _field_row(field: widgets.Widget, message: widgets.HTML, beside: widgets.HTML | None = None) -> widgets.Box:
    """The field, then (if given) what is shown beside it, then its message; wrapping under it when narrow."""
    return widgets.Box(
        [field, *([beside] if beside is not None else []), message],
        layout=full_width(display="flex", flex_flow="row wrap", align_items="center"),
    )


def _beside() -> widgets.HTML:
    box = widgets.HTML("", layout=widgets.Layout(min_width="0", max_width="100%", margin="0 8px 0 0"))
    box.add_class("siping-beside")
    return box


def _item_input(item: ChecklistItem) -> widgets.Widget:
    """The input for one indicator, by its kind. Text, never Bounded*: a wrong value stays visible."""
    top = format_fraction(item.max)
    if item.kind == "level":
        options = [(CHOOSE, UNSET)] + [
            (f"{lv.label}（{format_fraction(lv.points)}分）", lv.label) for lv in item.levels
        ]
        return widgets.Dropdown(
            description="档次",
            options=options,
            value=UNSET,
            layout=widgets.Layout(width="100%", max_width="24em", min_width="0", margin="2px 8px 2px 0"),
            style={"description_width": "initial"},
        )
    if item.kind == "points":
        return _text(f"得分（0–{top}）", f"0–{top}")
    if item.kind == "count_shortfall":
        return _text("实际次数", f"整数，要求{format_fraction(item.target)}次")
    if item.kind == "deduction":
        return _text("缺失件数", "整数，没有缺失填0")
    if item.kind == "rate_steps":
        return _text("比例（%）", f"0–100，要求{format_fraction(item.target)}%以上")
    if item.kind == "stepped":
        steps = "，".join(f"{step.at}以上得{format_fraction(step.points)}分" for step in item.steps)
        return _text("达到的数量", f"整数；{steps}")
    if item.kind == "flag":
        return widgets.ToggleButtons(
            description=item.flag_label,
            options=YES_NO_OPTIONS,
            value=UNSET,
            style={"button_width": "4.2em", "description_width": "initial"},
            layout=widgets.Layout(width="auto", min_width="0", margin="2px 8px 2px 0"),
        )
    raise AssertionError(item.kind)  # the rubric loader refuses other kinds


def _item_top(item: ChecklistItem) -> str:
    """满分, 最多加 or (a flag) that the item earns no points, for the item's head."""
    if item.kind == "flag":
        return "不计分，记录是/否，用于否决或限制等次"
    if item.bonus:
        return f"最多加{format_fraction(item.top)}分"
    return f"满分{format_fraction(item.max)}分"


class EvaluationForm:
    """The four tabs of the 四评 and their widgets. ``on_change(path, value)`` hears every edit."""

    def __init__(
        self,
        rubric: Rubric,
        on_change: OnChange,
        on_add_department: Callable[[], None],
        on_delete_department: Callable[[int], None],
    ):
        self.rubric = rubric
        self._on_change = on_change
        self._on_delete_department = on_delete_department
        self.inputs: dict[str, widgets.Widget] = {}
        self.messages: dict[str, widgets.HTML] = {}
        # An empty box beside each field a branch's self-assessment may also hold (the 组织评定 items, the
        # review grade, the tallies): the page shows the branch's own value there.
        self.beside: dict[str, widgets.HTML] = {}
        # Behind each 组织评定 item: 查看计算过程 and the line that says how its points came about.
        self.explain: dict[str, ExplainLine] = {}
        self._shown: dict[str, str] = {}
        self._filling = False
        specs = sheet_specs(rubric)
        self._specs = specs

        self.add_department_button = widgets.Button(
            description="添加部门意见", icon="", layout=widgets.Layout(width="auto")
        )
        self.add_department_button.add_class("siping-add")
        self.add_department_button.on_click(lambda _button: on_add_department())
        self.delete_buttons: list[widgets.Button] = []
        self.social_rows = widgets.VBox(layout=full_width())
        self.note = widgets.Textarea(
            placeholder="对本支部考评的总体说明（可不填）",
            description="总体备注",
            layout=full_width(height="4em"),
            style={"description_width": "initial"},
        )
        self._register("note", self.note)

        self.tab = widgets.Tab(layout=full_width())
        builders = {
            "org": self._org_page,
            "member": lambda: self._tally_page("member"),
            "public": lambda: self._tally_page("public"),
            "social": self._social_page,
        }
        # Only the channels the rubric uses (meta.yaml uses) have a tab and fields.
        channels = rubric.channels.channels
        pages = {c.id: builders[c.id]() for c in channels}
        self.tab.children = [pages[c.id] for c in channels]
        self.tab.titles = tuple(c.label for c in channels)
        self.box = widgets.VBox([self.tab, self.note], layout=full_width())
        self.box.add_class("siping-form")

    # ------------------------------------------------------------------ building
    def _register(self, path: str, widget: widgets.Widget, message: widgets.HTML | None = None) -> None:
        self.inputs[path] = widget
        if message is not None:
            self.messages[path] = message
        widget.observe(lambda change, path=path: self._changed(path, change["new"]), names="value")

    def _org_page(self) -> widgets.VBox:
        rubric = self.rubric
        grades = rubric.channels.annual_review_grades
        grade = widgets.Dropdown(
            description="年度述职评议等次",
            options=[(CHOOSE, UNSET)] + [(level, level) for level in grades.levels],
            value=UNSET,
            layout=widgets.Layout(width="100%", max_width="24em", min_width="0", margin="2px 8px 2px 0"),
            style={"description_width": "initial"},
        )
        grade_message = _message()
        grade_beside = _beside()
        if rubric.uses_condition("annual_review"):
            self._register("org.annual_review_grade", grade, grade_message)
            self.beside["org.annual_review_grade"] = grade_beside
        grade_box = widgets.VBox(
            [html_box(_form().grade_source(grades.source)), _field_row(grade, grade_message, grade_beside)],
            layout=full_width(),
        )
        grade_box.add_class("siping-item")
        # A rubric that does not collect the annual review grade (meta.yaml uses) has no field for it.
        children: list[widgets.Widget] = [grade_box] if rubric.uses_condition("annual_review") else []
        areas = {a.id: a for a in rubric.checklist.areas}
        for number, area in enumerate(rubric.checklist.areas, start=1):
            items = [item for item in rubric.items if item.area == area.id]
            if not items:
                continue
            children.append(html_box(_form().area_heading(number, areas[area.id].label, len(items), area.source)))
            children += [self._item_card(item) for item in items]
        page = widgets.VBox(children, layout=full_width())
        page.add_class("siping-org")
        return page

    def _item_card(self, item: ChecklistItem) -> widgets.VBox:
        methods = "、".join(item.methods) or "—"
        head = html_box(_form().item_head(item, _item_top(item), methods))
        path = f"org.items.{item.id}"
        beside = self.beside[f"{path}.value"] = _beside()
        message = _message()
        if item.kind == "evidence_deduction":
            # The evidence marks below are the input: no count to type that could disagree with them.
            self.messages[f"{path}.value"] = message
            rows = [widgets.Box([beside, message], layout=full_width(display="flex", flex_flow="row wrap"))]
        elif item.kind == "multi_deduction":
            self.messages[f"{path}.value"] = message
            rows = []
            for rule in item.rules:
                count = _text(f"{rule.label}（次）", f"整数，每次扣{format_fraction(rule.per)}分，没有填0")
                count_message = _message()
                self._register(f"{path}.counts.{rule.id}", count, count_message)
                rows.append(_field_row(count, count_message))
            rows.append(widgets.Box([beside, message], layout=full_width(display="flex", flex_flow="row wrap")))
        else:
            field = _item_input(item)
            self._register(f"{path}.value", field, message)
            rows = [_field_row(field, message, beside)]
        comment = widgets.Textarea(
            placeholder="评语、发现的问题（可不填）",
            layout=full_width(height="2.6em"),
        )
        self._register(f"{path}.comment", comment)
        explain = self.explain[item.id] = explain_line()
        children = [head, *rows, explain.box, comment]
        if item.evidence:
            evidence_message = _message()
            self.messages[f"{path}.evidence"] = evidence_message
            title = _form().evidence_title()
            if item.kind == "evidence_deduction":
                title = _form().evidence_count_title(format_fraction(item.per), len(item.evidence))
            rows = [html_box(title)]
            for name in item.evidence:
                toggle = widgets.ToggleButtons(
                    options=EVIDENCE_OPTIONS,
                    value=UNCHECKED,
                    style={"button_width": "4.2em"},
                    layout=widgets.Layout(width="auto", min_width="0", margin="0"),
                )
                toggle.add_class("siping-evidence-toggle")
                self._register(f"{path}.evidence.{name}", toggle)
                label = widgets.HTML(
                    _form().evidence_name(name),
                    layout=widgets.Layout(min_width="0", width="11em", max_width="100%", margin="0 6px 0 0"),
                )
                row = widgets.Box(
                    [label, toggle], layout=full_width(display="flex", flex_flow="row wrap", align_items="center")
                )
                row.add_class("siping-evidence")
                rows.append(row)
            rows.append(evidence_message)
            children += rows
        card = widgets.VBox(children, layout=full_width())
        card.add_class("siping-item")
        card.add_class(f"siping-item-{item.id}")
        return card

    def _tally_page(self, channel_id: str) -> widgets.VBox:
        spec = self._specs[channel_id]
        channel = self.rubric.channel(channel_id)
        children: list[widgets.Widget] = [html_box(_form().tally_intro(spec.purpose, spec.notes, channel.source))]
        for column in spec.columns:
            if column.key == "branch_id":
                continue
            path = f"{channel_id}.{column.key}"
            message = _message()
            if column.kind == "yes_no":
                field = widgets.ToggleButtons(
                    description=column.header,
                    options=YES_NO_OPTIONS,
                    value=UNSET,
                    style={"button_width": "4.2em", "description_width": "initial"},
                    layout=widgets.Layout(width="auto", min_width="0", margin="2px 8px 2px 0"),
                )
            else:
                field = _text(column.header, "人数（整数）")
            self._register(path, field, message)
            beside = self.beside[path] = _beside()
            row = _field_row(field, message, beside)
            if column.note:
                row = widgets.VBox(
                    [row, html_box(_form().desc(column.note))],
                    layout=full_width(),
                )
            children.append(row)
        page = widgets.VBox(children, layout=full_width())
        page.add_class(f"siping-{channel_id}")
        return page

    def _social_page(self) -> widgets.VBox:
        channel = self.rubric.channel("social")
        intro = html_box(_form().social_intro(self._specs["social"].purpose, channel.source))
        page = widgets.VBox([intro, self.social_rows, self.add_department_button], layout=full_width())
        page.add_class("siping-social")
        return page

    def _department_row(self, index: int) -> widgets.VBox:
        base = f"social.{index}"
        department = _text("部门", "部门名称", numeric=False)
        compliant = widgets.ToggleButtons(
            description="符合标准",
            options=YES_NO_OPTIONS,
            value=UNSET,
            style={"button_width": "4.2em", "description_width": "initial"},
            layout=widgets.Layout(width="auto", min_width="0", margin="2px 8px 2px 0"),
        )
        opinion = widgets.Textarea(placeholder="意见（可不填）", layout=full_width(height="2.6em"))
        messages = {key: _message() for key in ("department", "compliant", "opinion")}
        for key, widget in (("department", department), ("compliant", compliant), ("opinion", opinion)):
            self._register(f"{base}.{key}", widget, messages[key])
        delete = widgets.Button(description="删除", layout=widgets.Layout(width="auto"))
        delete.add_class("siping-delete")
        delete.on_click(lambda _button, index=index: self._on_delete_department(index))
        self.delete_buttons.append(delete)
        row = widgets.VBox(
            [
                html_box(_form().department_head(index + 1)),
                _field_row(department, messages["department"]),
                _field_row(compliant, messages["compliant"]),
                opinion,
                messages["opinion"],
                delete,
            ],
            layout=full_width(),
        )
        row.add_class("siping-item")
        row.add_class("siping-department")
        return row

    def _set_department_rows(self, count: int) -> None:
        """Make exactly ``count`` department rows (their values are filled by :meth:`fill`)."""
        current = len(self.social_rows.children)
        if count == current:
            return
        for index in range(count, current):
            for key in ("department", "compliant", "opinion"):
                path = f"social.{index}.{key}"
                self.inputs.pop(path).close()
                self.messages.pop(path).close()
                self._shown.pop(path, None)
        for row in self.social_rows.children[count:]:
            _close_tree(row)
        rows = list(self.social_rows.children[:count])
        del self.delete_buttons[count:]
        for index in range(current, count):
            rows.append(self._department_row(index))
        self.social_rows.children = rows

    # ------------------------------------------------------------------ state → widgets
    def _changed(self, path: str, value: Any) -> None:
        if self._filling:
            return
        self._on_change(path, self.payload_value(path, value))

    @staticmethod
    def payload_value(path: str, value: Any) -> Any:
        """What a widget's value means in the payload: the raw text, or None when blank/unset."""
        if value == UNCHECKED and ".evidence." in path:
            return None
        if path.endswith((".comment", ".opinion")) or path == "note":
            return value
        if value == UNSET or value is None:
            return None
        if path == "public.unsatisfied_verified" or path.endswith(".compliant"):
            return YES_NO[value]
        return value

    def fill(self, payload: Mapping[str, Any]) -> None:
        """Show ``payload`` in the widgets without reporting the changes back."""
        self._filling = True
        try:
            social = payload.get("social") or []
            self._set_department_rows(len(social))
            org = payload.get("org") or {}
            items = org.get("items") or {}
            for path, widget in self.inputs.items():
                parts = path.split(".", 4)
                if parts[0] == "org" and parts[1] == "items":
                    entry = items.get(parts[2]) or {}
                    if parts[3] == "evidence":
                        value = (entry.get("evidence") or {}).get(parts[4]) or UNCHECKED
                    elif parts[3] == "counts":
                        value = (entry.get("counts") or {}).get(parts[4])
                    else:
                        value = entry.get(parts[3])
                elif path == "org.annual_review_grade":
                    value = org.get("annual_review_grade")
                elif parts[0] == "social":
                    value = social[int(parts[1])].get(parts[2])
                elif path == "note":
                    value = payload.get("note") or ""
                else:
                    value = (payload.get(parts[0]) or {}).get(parts[1])
                self._set_widget(widget, value)
        finally:
            self._filling = False

    @staticmethod
    def _set_widget(widget: widgets.Widget, value: Any) -> None:
        if isinstance(widget, (widgets.Dropdown, widgets.ToggleButtons)):
            wanted = _choice_value(value)
            values = [v for _, v in widget.options]
            widget.value = wanted if wanted in values else UNSET
        else:
            widget.value = input_text(value)

    def show_problems(self, problems: Sequence[FieldProblem]) -> list[FieldProblem]:
        """Each problem beside its field; returns those that have no field on the form."""
        by_field: dict[str, list[str]] = {}
        unplaced = []
        for problem in problems:
            if problem.field in self.messages:
                by_field.setdefault(problem.field, []).append(problem.message)
            else:
                unplaced.append(problem)
        for path, box in self.messages.items():
            text = "；".join(by_field.get(path, []))
            if self._shown.get(path, "") == text:
                continue  # only changed messages go over the wire
            self._shown[path] = text
            box.value = _form().field_message(text)
            field = self.inputs.get(path)
            if field is not None:
                if text:
                    field.add_class("siping-bad")
                else:
                    field.remove_class("siping-bad")
        return unplaced
