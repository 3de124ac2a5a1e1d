"""权重分析 page: an analyst of the 组织部/党建办 tries weights and thresholds before choosing them.

The sources give no weights, so choosing them is a policy decision: this page shows what a choice
does before it is made. Every change re-scores all branches at once (:func:`assessment.analysis.rescore`
over a :class:`~assessment.analysis.Baseline` computed when the page opens) and shows, against the
current rubric version: the ranking before and after, rank moves, the branches whose grade, 达标,
stars or 最强资格 change, and the street against the year's targets. A sensitivity section shows
which branches' outcome hangs on the weights; a last section validates the draft as a new version,
shows its diff against the current version and, once confirmed, stores it in the database as the new
current version (``store.rubrics.save()``: a note required, nothing overwritten).

Who uses the page is the signed-in person (:class:`~assessment.pages.identity.Session`, from the server):
nobody signed in sees only :data:`~assessment.pages.identity.NOT_SIGNED_IN`; anyone signed in may look and
try settings; only an account that ``may("rubric")`` (分析) may save a version, and its name is the
version's author (there is no author field). The session is asked again right before a version is stored.

The page starts from the database's current rubric version (``store.rubrics.current()``) and, after
a version is saved (or another one became current meanwhile), moves to the new current version: the
title, the controls, the comparison and the diff then all speak of it.

Data: the database's current submitted results (:class:`~.state.Submissions`: each branch's current
submissions, reconciled, as the 总览 reads them) for the year and street picked; a 街道 account gets
only its own street. Only when the database holds no submission at all does the page show the demo
workbook, and says so (:data:`~.state.DEMO_NOTICE`).

One state object (:class:`~.state.WeightsState`) holds the draft values and the locks; the controls only
write into it through :meth:`~.state.WeightsState.update`, and everything shown is re-drawn from it by the
functions of :mod:`.views`.

``notebooks/weights.ipynb`` is one cell: ``weights_app()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction

import ipywidgets as widgets
import numpy as np

from ...analysis import Baseline, compare, rescore, sensitivity, street_totals
from ...analysis.baseline import fixed_part
from ...inputs.frames import Inputs
from ...paths import DEMO_YEAR
from ...rubric import Rubric, RubricError, format_fraction, load_rubric_texts
from ...rubric.settings import (
    DEFAULT_STEP,
    GROUP_LABELS,
    POINTS_GROUP_LABEL,
    WEIGHT_GROUPS,
    Change,
    NewVersion,
    Setting,
    adjustable_settings,
    apply_to_rubric,
    equalize,
    group_total,
    prepare_version,
    rebalance,
    setting_change,
    with_subtotals,
)
from ...scoring import Results
from ...store import Store, StoreError
from ...store.accounts import Identity
from ..components import (
    app_logger,
    error_html,
    figure_image,
    full_width,
    guarded,
    html_box,
    info_html,
    page_style,
    section_title,
    set_figure,
    title_html,
)
from ..identity import NOT_SIGNED_IN, Session
from .state import (
    ALL_STREETS,
    DATABASE_SOURCE,
    Street,
    Submissions,
    WeightsState,
    demo_street,
    submitted_ids,
)
from .views import (
    author_html,
    bonus_note,
    changes_html,
    control_head_html,
    diff_html,
    draft_changes_html,
    group_sum_html,
    intro_html,
    note_html,
    rank_moves_chart,
    ranking_html,
    rule_html,
    sensitivity_html,
    signed_in_html,
    sub_html,
    totals_html,
    unit_html,
    zero_dimensions_html,
)

__all__ = [
    "REBALANCE_RULE",
    "Street",
    "WeightsApp",
    "WeightsState",
    "demo_street",
    "weights_app",
]

TITLE = "评分标准权重与阈值分析"
REBALANCE_RULE = "调整一项权重时，其余未锁定的权重按比例缩放，合计始终为 1"
REBALANCE_DETAIL = (
    "（按 0.01 取整，取整余下的零头按“最大余数”分给各项）。勾选“锁定”的权重不随之变化；“均分”把锁定之外的权重平均分配。"
)
INTRO = (
    "来源文件没有给出任何权重：四评通道权重、指标权重（细则分值）、等次与星级分档、达标和软弱涣散的分数线都是选择，"
    "由组织部/党建办确定。在这里试着调整，立即看到每个支部的排名、等次、达标、星级和最强资格怎样变化，再决定是否保存为新版本。"
    "“最强党支部”的四项否决规则由来源文件（001 §三(四)）规定，不能调整。"
)
NO_STORE = "没有连接考评数据库，只能预览差异，不能保存新版本。请联系管理员。"
CONFIRM = "请核对上面的差异，确认无误后点击“确认保存”。"
SAVED = (
    "已保存为新版本 {version}，并设为当前版本：本页现在以它为准，考评页面下次打开时使用此版本。"
    "已保存的考评结果仍写明各自所用的版本。"
)
VERSION_MOVED = (
    "评分标准的当前版本已变为 {version}（在别处保存或切换），本页已按该版本重新载入；刚才的调整没有保留，请重新调整。"
)
NO_OWN_SUBMISSIONS = "数据库中还没有{street}提交的考评结果（你的账户只能查看本街道的支部）。"
NO_STREET_GIVEN = "你的账户（{role}）没有写明所属街道，不能查看任何支部。请联系管理员。"
OTHER_STREET = "不能选择“{street}”：只能查看下拉框中列出的街道。"
SCOPE_FAILED = "无法载入所选年度和街道的考评结果，页面仍显示上一次的选择。请联系管理员查看服务日志。"
DRAFT_CHANGED = "修改说明已改动，请重新点击“保存为新版本”核对差异。"
MAY_NOT_SAVE = (
    "你的账户（{role}）不能保存评分标准版本：可以在这里试着调整、查看影响，保存新版本须由有此权限的账户操作。"
)
PREVIEW_AUTHOR = "（预览）"  # a preview without a database and without anyone signed in: nothing can be saved
LOAD_FAILED = "无法载入评分标准或考评数据，本页暂时不能使用。请联系管理员查看服务日志。"
CHANGE_FAILED = "处理刚才的调整时出错，页面仍显示上一次的结果。请联系管理员查看服务日志。"
SENSITIVITY_FAILED = "敏感性分析运行出错，请调整参数后再试；如仍失败请联系管理员。"
SAVE_FAILED = "保存时出错，新版本没有保存。请联系管理员查看服务日志。"
NO_CHANGES = "还没有任何调整：新版本与当前版本相同，无需保存。"
STALE_SENSITIVITY = "设置已调整：下表是调整前的结果，请重新运行。"
POINTS_RULE = "调整一条细则的分值时，其余未锁定的细则按比例增减，合计始终为总分 {total} 分"
POINTS_DETAIL = (
    "（按 {step} 分取整，每条至少 {step} 分）；所属内容的小计随之变化。勾选“锁定”的分值不随之变化；"
    "“均分”把锁定之外的分值平均分配。"
)
ITEM_POINTS_NOTE = (
    "组织评定 = Σ 各条得分 ÷ 总分 {total} 分 × 100：细则的分值就是它的满分。改变分值即改变该条满分："
    "选档次的细则，各档分值按比例随之调整；扣分规则（每少一次、每缺一件扣几分）不变，"
    "考评人直接打分的细则，已录入的得分按新的满分计算。下面按所属内容分组显示，点开标题调整。"
    "各条分值为选择：来源文件没有给出分值。"
)
ITEM_WEIGHTS_NOTE = (
    "组织评定 = Σ 指标权重 × 得分/满分 × 100。所有指标的权重合为一组，合计为 1；"
    "下面按创建内容（001 §二）分组显示，点开标题调整。权重为选择：来源文件没有给出分值。"
)
RECONCILIATION_NOTE = (
    "以下两项决定多名考评人的表单如何合并：本页调整时的试算不随之变化；保存为新版本后，本页和总览按新的方法重新合并。"
)
SENSITIVITY_NOTE = (
    "把当前设置中每项可调整的权重（通道权重和指标权重；以分值计的细则，按其分值占总分的比例）乘以[1−幅度, 1+幅度] 内的随机数，再按组归一为 1，"
    "重复多次；看各支部的排名区间，以及哪些支部的达标或最强资格会随权重而变。同一随机种子得到同样的结果。"
)
SAVE_NOTE = (
    "检查调整后的评分标准，列出与当前版本的全部差异，并以新版本号保存（每条考评结果都写明所用的版本）。"
    "修改人是登录的账户。"
)
CONTROL_GROUPS = ("grades", "stars", "standardized", "five_strong", "weak", "bonus", "reconciliation")


def _number(value: Fraction | None) -> str:
    """1 → '1', 1/2 → '0.5' (a points step as the rule box says it)."""
    return format_fraction(Fraction(value if value is not None else Fraction(1, 100)))


def _to_fraction(value: float, places: int) -> Fraction:
    """A widget's float as the exact decimal it shows (0.35 → 7/20, not the binary 0.34999…)."""
    return Fraction(f"{value:.{places}f}")


@dataclass
class _Shown:
    """What the page currently shows, derived from the state (kept for tests and the save section)."""

    rubric: Rubric
    results: Results
    table: object
    totals: list


class WeightsApp(widgets.VBox):
    """The 权重分析 page as one widget: ``WeightsApp(texts, inputs, year, store=store)``.

    ``texts`` are the YAML texts of the version the page starts from (the store's current one);
    without a ``store`` the page can preview a new version but not save it. ``session``: the signed-in
    person (default with a store: ``Session(store)``, the server's); with a store and nobody signed in
    the page shows only :data:`NOT_SIGNED_IN`.
    """

    def __init__(
        self,
        texts: Mapping[str, str] | None,
        inputs: Inputs | None,
        year: int = DEMO_YEAR,
        *,
        source: str = "",
        error: str = "",
        warning: str = "",
        store: Store | None = None,
        session: Session | None = None,
        submissions: Submissions | None = None,
        street: str = ALL_STREETS,
    ):
        """``submissions``: the database's submissions (year and street pickers; ``inputs`` are those of
        ``year`` and ``street``); without, ``inputs`` are all the page shows (the demo, or data in memory)."""
        super().__init__(layout=full_width())
        self.add_class("siping-app")
        self.add_class("siping-weights")
        # Who saves is the signed-in person (the server's session), never a name typed on the page.
        self.session_of = session if session is not None or store is None else Session(store)
        self.who: Identity | None = self.session_of.who if self.session_of is not None else None
        if store is not None and self.who is None and not error:
            error, warning, source = NOT_SIGNED_IN, "", ""  # nobody signed in: nothing loaded or shown
        self.source = source
        self.store = store
        self.submissions = submissions if self.who is not None else None
        self.saved: list[str] = []
        self.state = WeightsState(error=error, year=year, street=street)
        self._syncing = False
        self.ready = False
        self.texts: dict[str, str] = dict(texts or {})
        self.controls: dict[str, widgets.Widget] = {}
        self.locks: dict[str, widgets.Checkbox] = {}
        self.equalize_buttons: dict[str, widgets.Button] = {}
        self.sums: dict[str, widgets.HTML] = {}
        self.shown: _Shown | None = None
        self.draft: NewVersion | None = None
        self.last_sensitivity = None

        self.title = html_box()
        self.signed_in = html_box(signed_in_html(self.who.label) if self.who is not None else "")
        self.error = html_box()
        self.warning = html_box(info_html(warning))
        self.notice = html_box()
        self.year_picker = widgets.Dropdown(
            description="年度", layout=widgets.Layout(width="100%", max_width="220px", margin="4px 12px 4px 0")
        )
        self.street_picker = widgets.Dropdown(
            description="街道", layout=widgets.Layout(width="100%", max_width="360px", margin="4px 0")
        )
        for picker in (self.year_picker, self.street_picker):
            picker.style.description_width = "3em"
        self.pickers = widgets.Box(
            [self.year_picker, self.street_picker],
            layout=full_width(display="flex", flex_flow="row wrap", align_items="center"),
        )
        self.pickers.add_class("siping-pickers")
        self.summary = html_box()
        self.edited = html_box(css="siping-edited")
        self.totals = html_box()
        self.chart = figure_image()
        self.ranking = html_box()
        self.reset_button = widgets.Button(
            description="恢复当前版本的设置",
            layout=widgets.Layout(width="auto", align_self="flex-start", margin="10px 0"),
        )
        self.state.observe(self._show_error, names="error")
        self.state.observe(self._show_notice, names="notice")
        self.state.observe(self._show_save_messages, names=["save_notice", "save_error"])

        if texts is not None and inputs is not None and not error:
            try:
                self._load(inputs)
            except Exception:  # noqa: BLE001 - a short message on the page, the traceback in the log
                app_logger().exception("weights: loading failed")
                self.state.update(error=LOAD_FAILED)
        self._render_title()
        self._show_error()
        self._arrange()

    @property
    def year(self) -> int:
        return self.state.year

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_source(cls, year: int = DEMO_YEAR) -> WeightsApp:
        """The database's current rubric version (``store.rubrics.current()``) and its current submissions
        within the signed-in account's reach, the latest year first; the demo workbook
        (:func:`~.state.demo_street`) only when the database holds no submission at all."""
        try:
            store = Store.from_env()
            session = Session(store)
            who = session.who
            if who is None:  # nobody signed in: nothing is read
                return cls(None, None, year, store=store, session=session)
            rubric = store.rubrics.current()
            texts = store.rubrics.texts(rubric.version)
            submissions = Submissions(store, who)
            if not submissions.any:
                street = demo_street(rubric, year)
                return cls(
                    texts, street.inputs, year, source=street.source, warning=street.warning, store=store,
                    session=session,
                )  # fmt: skip
            if who.role.scope != "district" and not who.street:
                message = NO_STREET_GIVEN.format(role=who.role.label)
                return cls(None, None, year, warning=message, store=store, session=session)
            years = submissions.years()
            if not years:
                message = NO_OWN_SUBMISSIONS.format(street=who.street)
                return cls(None, None, year, warning=message, store=store, session=session)
            year = years[-1]
            street = submissions.streets(year)[0][1]
            inputs = submissions.inputs(year, street, rubric)
        except Exception:  # noqa: BLE001
            app_logger().exception("weights: loading the rubric or the submissions failed")
            return cls(None, None, year, error=LOAD_FAILED)
        return cls(
            texts, inputs, year, source=DATABASE_SOURCE, store=store, session=session, submissions=submissions,
            street=street,
        )  # fmt: skip

    def _load(self, inputs: Inputs) -> None:
        self._build_sensitivity()
        self._build_save()
        self._use(self.texts, inputs)
        self._fill_pickers()
        self.state.observe(self._on_values, names="values")
        self.state.observe(self._on_locked, names="locked")
        self.state.observe(self._on_scope, names=["year", "street"])
        self.year_picker.observe(self._on_pick_year, names="value")
        self.street_picker.observe(self._on_pick_street, names="value")
        self.reset_button.on_click(self._on_reset)
        self.ready = True
        self.state.update(values={sid: s.value for sid, s in self.settings.items()})

    def _use(self, texts: Mapping[str, str], inputs: Inputs) -> None:
        """The rubric version the page compares against (``texts``) and the inputs it scores: the controls
        are built for it, the baseline scored with it."""
        self.texts = dict(texts)
        self.rubric = load_rubric_texts(self.texts)
        self.settings: dict[str, Setting] = {s.id: s for s in adjustable_settings(self.rubric)}
        self.groups: dict[str, list[str]] = {}
        for s in self.settings.values():
            self.groups.setdefault(s.group, []).append(s.id)
        self._use_inputs(inputs)
        self.controls, self.locks, self.equalize_buttons, self.sums = {}, {}, {}, {}
        self._build_controls()

    def _use_inputs(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self._scope_shown = (self.state.year, self.state.street, self.rubric.version)
        self.submitted = submitted_ids(inputs)
        self.baseline = Baseline.from_inputs(self.rubric, inputs, year=self.year)
        self._draft_baseline: Baseline | None = None
        self.before = self.baseline.results
        self.last_sensitivity = None
        if hasattr(self, "sensitivity_out"):
            self.sensitivity_out.value = ""
            self.sensitivity_note.value = ""

    # ----------------------------------------------------------------- year, street and version
    def _fill_pickers(self) -> None:
        """The year and street pickers from the submissions (database only), showing the state's choice."""
        if self.submissions is None:
            return
        with self._sync():
            self.year_picker.options = [(f"{y}年", y) for y in reversed(self.submissions.years())]
            self.year_picker.value = self.state.year
            self.street_picker.options = self.submissions.streets(self.state.year)
            self.street_picker.value = self.state.street

    def _on_pick_year(self, change) -> None:
        if self._syncing or change["new"] is None or self.submissions is None:
            return
        year = int(change["new"])
        if year not in self.submissions.years():
            self.state.update(notice=f"没有{year}年的考评结果。")
            return
        choices = [value for _label, value in self.submissions.streets(year)]
        street = self.state.street if self.state.street in choices else choices[0]
        self.state.update(year=year, street=street, notice="")

    def _on_pick_street(self, change) -> None:
        if self._syncing or change["new"] is None or self.submissions is None:
            return
        self.state.update(street=str(change["new"]), notice="")

    def _on_scope(self, change=None) -> None:
        guarded(SCOPE_FAILED, self._report)(self._show_scope)()

    def _show_scope(self) -> None:
        """Score the year and street the state names (refused outside the account's choices)."""
        if self.submissions is None:
            return
        choices = [value for _label, value in self.submissions.streets(self.state.year)]
        if self.state.street not in choices:  # a value the picker never offered (a crafted message)
            self.state.update(notice=OTHER_STREET.format(street=self.state.street))
            self.state.update(street=choices[0] if choices else ALL_STREETS)
            return
        key = (self.state.year, self.state.street, self.rubric.version)
        if key == self._scope_shown:  # the year and the street changed together: one load
            return
        if self._version_moved():
            return  # reloaded for the new version, with this year and street
        self._use_inputs(self.submissions.inputs(self.state.year, self.state.street, self.rubric))
        self._fill_pickers()
        self._render_title()
        self._refresh()

    def _version_moved(self) -> bool:
        """Whether the database's current version is no longer the page's; if so, the page reloads on it."""
        if self.store is None:
            return False
        current = self.store.rubrics.current()
        if current.version == self.rubric.version:
            return False
        self.reload_version()
        self.state.update(notice=VERSION_MOVED.format(version=current.version))
        return True

    def reload_version(self) -> None:
        """Start again from the database's current version: its texts, controls and values, the inputs
        reconciled with it (the submissions' merge method is part of the version), the title."""
        rubric = self.store.rubrics.current()
        texts = self.store.rubrics.texts(rubric.version)
        inputs = (
            self.submissions.inputs(self.state.year, self.state.street, rubric)
            if self.submissions is not None
            else self.inputs
        )
        self._set_draft(None)
        self._use(texts, inputs)
        self._fill_pickers()
        self._render_title()
        self._arrange()
        values = {sid: s.value for sid, s in self.settings.items()}
        unchanged = values == self.state.values
        self.state.update(values=values, locked=set(), error="")
        if unchanged:  # the saved draft is the new version: nothing fires, but everything is re-drawn
            self._refresh()

    def _weight_control(self, s: Setting) -> widgets.Widget:
        points = s.kind == "points"
        step = s.step if s.step is not None else Fraction(1, 100)
        slider = widgets.FloatSlider(
            value=float(s.value),
            min=0.0,
            max=float(s.maximum) if points else 1.0,
            step=float(step),
            readout_format=(".0f" if step >= 1 else ".1f" if step >= Fraction(1, 10) else ".2f") if points else ".2f",
            continuous_update=False,
            layout=widgets.Layout(width="auto", flex="1 1 10em", min_width="0", max_width="100%"),
        )
        lock = widgets.Checkbox(
            value=False, description="锁定", indent=False, layout=widgets.Layout(width="auto", flex="0 0 auto")
        )
        self.controls[s.id] = slider
        self.locks[s.id] = lock
        slider.observe(lambda change, sid=s.id: self._on_control(sid, change), names="value")
        lock.observe(lambda change, sid=s.id: self._on_lock(sid, change), names="value")
        head = html_box(control_head_html(s.label, s.note))
        row = widgets.VBox(
            [head, widgets.HBox([slider, lock], layout=full_width(align_items="center"))], layout=full_width()
        )
        row.add_class("siping-control")
        row.add_class(f"siping-setting-{s.id.replace('.', '-')}")
        return row

    def _number_control(self, s: Setting) -> widgets.Widget:
        field_layout = widgets.Layout(width="9em", max_width="100%", min_width="0")
        if s.kind == "option":
            control = widgets.Dropdown(options=list(s.options), value=str(s.value), layout=field_layout)
        elif s.kind == "count":
            control = widgets.BoundedIntText(
                value=int(s.value), min=int(s.minimum), max=int(s.maximum), layout=field_layout
            )
        else:
            scale = 100 if s.unit == "%" else 1
            control = widgets.BoundedFloatText(
                value=float(Fraction(s.value) * scale),
                min=float(Fraction(s.minimum) * scale),
                max=float(Fraction(s.maximum) * scale),
                step=float(Fraction(s.step) * scale),
                layout=field_layout,
            )
        self.controls[s.id] = control
        control.observe(lambda change, sid=s.id: self._on_control(sid, change), names="value")
        unit = widgets.HTML(unit_html(s.unit), layout=widgets.Layout(width="auto", margin="0 8px 0 2px"))
        head = html_box(control_head_html(s.label, s.note))
        row = widgets.VBox(
            [head, widgets.HBox([control, unit], layout=full_width(align_items="center"))], layout=full_width()
        )
        row.add_class("siping-control")
        row.add_class(f"siping-setting-{s.id.replace('.', '-')}")
        return row

    def _group_footer(self, group: str) -> widgets.Widget:
        button = widgets.Button(description="均分", layout=widgets.Layout(width="auto"))
        button.add_class(f"siping-equalize-{group}")
        button.on_click(lambda _b, group=group: self._on_equalize(group))
        self.equalize_buttons[group] = button
        self.sums[group] = widgets.HTML(layout=widgets.Layout(width="auto", flex="1 1 auto"))
        return widgets.HBox([self.sums[group], button], layout=full_width(align_items="center", flex_flow="row wrap"))

    def _build_controls(self) -> None:
        s = self.settings
        rule = html_box(rule_html(REBALANCE_RULE, REBALANCE_DETAIL))
        channel_rows = [self._weight_control(s[sid]) for sid in self.groups.get("channels", [])]
        children: list[widgets.Widget] = [html_box(section_title("四评通道权重")), rule, *channel_rows]
        if "channels" in self.groups:
            children.append(self._group_footer("channels"))

        # Item weights: one group summing to 1, shown by area in an accordion.
        sections: dict[str, list[widgets.Widget]] = {}
        for sid in self.groups.get("items", []):
            sections.setdefault(s[sid].section, []).append(self._weight_control(s[sid]))
        self.item_sections = list(sections)
        self.item_accordion = widgets.Accordion(
            children=[widgets.VBox(rows, layout=full_width()) for rows in sections.values()], layout=full_width()
        )
        self.item_accordion.titles = tuple(self.item_sections)
        if self._in_points("items"):
            total = format_fraction(self.rubric.checklist.total_points)
            step = self.settings[self.groups["items"][0]].step
            heading, note = POINTS_GROUP_LABEL, ITEM_POINTS_NOTE.format(total=total)
            item_rule = [html_box(rule_html(POINTS_RULE.format(total=total), POINTS_DETAIL.format(step=_number(step))))]
        else:
            heading, note, item_rule = GROUP_LABELS["items"], ITEM_WEIGHTS_NOTE, []
        children += [
            html_box(section_title(heading)),
            html_box(note_html(note + bonus_note(self.rubric))),
            *item_rule,
            self.item_accordion,
            self._group_footer("items"),
        ]

        children.append(html_box(section_title("分档与阈值")))
        for group in CONTROL_GROUPS:
            if group not in self.groups:
                continue
            children.append(html_box(sub_html(GROUP_LABELS[group])))
            if group == "reconciliation":
                children.append(html_box(note_html(RECONCILIATION_NOTE)))
            children += [self._number_control(s[sid]) for sid in self.groups[group]]
        children.append(self.reset_button)
        self.controls_box = widgets.VBox(children, layout=full_width(flex="1 1 340px", width="auto"))
        self.controls_box.add_class("siping-controls")

    def _build_sensitivity(self) -> None:
        self.spread = widgets.FloatSlider(
            value=0.2,
            min=0.0,
            max=0.5,
            step=0.05,
            description="变化幅度 ±",
            readout_format=".0%",
            continuous_update=False,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="100%", max_width="26em", min_width="0", margin="2px 0"),
        )
        self.n_runs = widgets.BoundedIntText(
            value=200,
            min=10,
            max=5000,
            description="模拟次数",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="12em", max_width="100%"),
        )
        self.seed = widgets.BoundedIntText(
            value=1,
            min=0,
            max=2**31 - 1,
            description="随机种子",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="12em", max_width="100%"),
        )
        self.run_button = widgets.Button(description="运行", button_style="danger", layout=widgets.Layout(width="auto"))
        self.run_button.add_class("siping-run")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, layout=full_width(max_width="26em"))
        self.sensitivity_note = html_box()
        self.sensitivity_out = html_box()
        self.run_button.on_click(self._on_run)

    def _build_save(self) -> None:
        # The author is the signed-in person, shown, not typed.
        self.author = html_box(author_html(self.who.label) if self.who is not None else "")
        self.save_refused = html_box(info_html(self._may_not_save()), css="siping-save-refused")
        self.note = widgets.Textarea(
            description="修改说明",
            placeholder="为什么这样调整（会随新版本保存）",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="100%", max_width="40em", min_width="0", height="5em", margin="2px 0"),
        )
        self.save_button = widgets.Button(
            description="保存为新版本", layout=widgets.Layout(width="auto", align_self="flex-start")
        )
        self.save_button.add_class("siping-save")
        self.confirm_button = widgets.Button(
            description="确认保存",
            button_style="danger",
            layout=widgets.Layout(width="auto", align_self="flex-start", display="none"),
        )
        self.confirm_button.add_class("siping-confirm")
        self.save_messages = html_box()
        self.diff = html_box()
        self.save_button.on_click(self._on_save)
        self.confirm_button.on_click(self._on_confirm)
        self.note.observe(self._on_note, names="value")

    def _arrange(self) -> None:
        children: list[widgets.Widget] = [
            page_style("weights/style.css.j2"),
            self.title,
            self.signed_in,
            self.warning,
            self.error,
            self.notice,
        ]
        if self.ready and self.submissions is not None:
            children.append(self.pickers)
        if self.ready:
            results = widgets.VBox(
                [
                    html_box(section_title("调整的影响")),
                    self.edited,
                    self.summary,
                    html_box(sub_html("全街道与年度目标")),
                    self.totals,
                    html_box(sub_html("排名变化")),
                    self.chart,
                    html_box(sub_html("各支部排名（调整后；结果变化的行以黄色标出）")),
                    self.ranking,
                    html_box(section_title("敏感性分析：结果是否取决于权重")),
                    html_box(note_html(SENSITIVITY_NOTE)),
                    self.spread,
                    widgets.HBox(
                        [self.n_runs, self.seed, self.run_button],
                        layout=full_width(flex_flow="row wrap", align_items="center"),
                    ),
                    self.progress,
                    self.sensitivity_note,
                    self.sensitivity_out,
                    html_box(section_title("保存为新版本")),
                    html_box(note_html(SAVE_NOTE)),
                    *self._save_section(),
                ],
                layout=full_width(flex="2 1 460px", width="auto"),
            )
            results.add_class("siping-results-column")
            columns = widgets.Box(
                [self.controls_box, results],
                layout=full_width(display="flex", flex_flow="row wrap", align_items="flex-start"),
            )
            columns.add_class("siping-columns")
            children += [html_box(intro_html(INTRO)), columns]
        self.children = children

    def _save_section(self) -> list[widgets.Widget]:
        """保存为新版本: the note, the buttons and the diff; for an account that may not save, only why not."""
        if self._may_not_save():
            return [self.save_refused, self.save_messages]
        return [self.author, self.note, self.save_button, self.save_messages, self.diff, self.confirm_button]

    def _may_not_save(self, who: Identity | None = None) -> str:
        """Why ``who`` (default: the person signed in) may not save a version; "" if they may.

        Without a database and without anyone signed in the page only previews (:data:`NO_STORE`)."""
        who = who if who is not None else self.who
        if who is None:
            return NOT_SIGNED_IN if self.store is not None else ""
        return "" if who.may("rubric") else MAY_NOT_SAVE.format(role=who.role.label)

    # ----------------------------------------------------------------- callbacks: only write state
    def _report(self, message: str) -> None:
        self.state.update(error=message)

    def _on_control(self, sid: str, change) -> None:
        if self._syncing:
            return
        guarded(CHANGE_FAILED, self._report)(self._apply_control)(sid, change["new"])

    def _apply_control(self, sid: str, raw) -> None:
        s = self.settings[sid]
        decimals = self.rubric.meta.decimals
        if s.kind == "weight":
            value = _to_fraction(raw, 4)
        elif s.kind == "points":
            value = _to_fraction(raw, 2)
        elif s.kind == "option":
            value = str(raw)
        elif s.kind == "count":
            value = int(raw)
        elif s.unit == "%":
            value = _to_fraction(raw, decimals) / 100
        else:
            value = _to_fraction(raw, decimals)
        self.set_value(sid, value)

    def set_value(self, sid: str, value) -> None:
        """What a control does: a weight moves its group (:func:`rebalance`), anything else just changes."""
        s = self.settings[sid]
        values = dict(self.state.values)
        if s.kind == "weight":
            group = {k: values[k] for k in self.groups[s.group]}
            values.update(rebalance(group, sid, value, self.state.locked & set(group), step=DEFAULT_STEP))
        elif s.kind == "points":  # a 细则's 分值: the others absorb the difference, never below one step
            group = {k: values[k] for k in self.groups[s.group]}
            total = group_total(self.rubric, s.group)
            values.update(
                rebalance(group, sid, value, self.state.locked & set(group), s.step, total=total, minimum=s.minimum)
            )
        else:
            values[sid] = value
        self.state.update(values=values, error="")

    def _on_lock(self, sid: str, change) -> None:
        if self._syncing:
            return
        locked = set(self.state.locked)
        (locked.add if change["new"] else locked.discard)(sid)
        self.state.update(locked=locked)

    def _on_equalize(self, group: str) -> None:
        def run():
            values = dict(self.state.values)
            weights = {k: values[k] for k in self.groups[group]}
            step = self.settings[self.groups[group][0]].step if self._in_points(group) else DEFAULT_STEP
            total = group_total(self.rubric, group)
            values.update(equalize(weights, self.state.locked & set(weights), step=step, total=total))
            self.state.update(values=values, error="")

        guarded(CHANGE_FAILED, self._report)(run)()

    def _on_reset(self, _button=None) -> None:
        self.state.update(values={sid: s.value for sid, s in self.settings.items()}, locked=set(), error="")

    def _on_run(self, _button=None) -> None:
        guarded(SENSITIVITY_FAILED, self._report)(self._run_sensitivity)()

    def _on_save(self, _button=None) -> None:
        guarded(SAVE_FAILED, lambda message: self.state.update(save_error=message, save_notice=""))(self._preview)()

    def _on_confirm(self, _button=None) -> None:
        guarded(SAVE_FAILED, lambda message: self.state.update(save_error=message, save_notice=""))(
            self._save_confirmed
        )()

    def _on_note(self, change=None) -> None:
        if self.draft is not None:
            self._set_draft(None)
            self.state.update(save_notice=DRAFT_CHANGED, save_error="")

    # ----------------------------------------------------------------- derived from state
    def _edited(self) -> list[tuple[str, object]]:
        """The settings whose draft value differs from the current version's, in the controls' order."""
        return [(sid, value) for sid, value in self.state.values.items() if value != self.settings[sid].value]

    def changes(self) -> list[Change]:
        """The draft as rubric changes (only the settings that differ from the current version), with the
        areas' subtotals that follow the items' 分值 (:func:`with_subtotals`)."""
        out: list[Change] = []
        for sid, value in self.state.values.items():
            s = self.settings[sid]
            if value != s.value:
                out += s.changes(value)
        return with_subtotals(self.rubric, out) if out else out

    def _in_points(self, group: str) -> bool:
        """Whether ``group``'s settings are a points rubric's 分值 (else weights summing to 1)."""
        ids = self.groups.get(group, [])
        return bool(ids) and self.settings[ids[0]].kind == "points"

    def _baseline_for(self, rubric: Rubric) -> Baseline:
        """The baseline to re-score ``rubric`` from: the page's own, unless the draft changes how points are
        earned (a 细则's 分值 is its 满分): then the inputs scored again under the draft (kept for the next move)."""
        if fixed_part(rubric) == self.baseline.key:
            return self.baseline
        key = fixed_part(rubric)
        if self._draft_baseline is None or self._draft_baseline.key != key:
            self._draft_baseline = Baseline.from_inputs(rubric, self.inputs, year=self.year)
        return self._draft_baseline

    def _on_values(self, change=None) -> None:
        guarded(CHANGE_FAILED, self._report)(self._refresh)()

    def _on_locked(self, change=None) -> None:
        with self._sync():
            for sid, lock in self.locks.items():
                lock.value = sid in self.state.locked
        self._sync_controls()

    def _refresh(self) -> None:
        try:
            candidate = apply_to_rubric(self.rubric, self.changes())
        except RubricError as failure:
            shown = "；".join(p.message for p in failure.problems[:3])
            self.state.update(error=f"这组设置不能使用：{shown}。页面仍显示上一次有效设置的结果。")
            self._sync_controls()
            return
        after = rescore(self._baseline_for(candidate), candidate)
        table = compare(self.before, after)
        totals = street_totals(self.before, after, candidate)
        self.shown = _Shown(candidate, after, table, totals)
        self._sync_controls(candidate)
        version = self.rubric.version
        # Text first: each value goes to the browser as it is set, and the chart takes the longest.
        self.edited.value = draft_changes_html(
            [setting_change(self.settings[sid], self.settings[sid].value, value) for sid, value in self._edited()],
            version,
        )
        self.summary.value = zero_dimensions_html(candidate) + changes_html(table, version)
        self.totals.value = totals_html(totals, version)
        self.ranking.value = ranking_html(table)
        set_figure(self.chart, rank_moves_chart(table))
        if self.last_sensitivity is not None:
            self.sensitivity_note.value = info_html(STALE_SENSITIVITY)
        self._set_draft(None)
        self.state.update(save_notice="", save_error="")

    def _set_draft(self, draft: NewVersion | None) -> None:
        """The version waiting for 确认保存 (None: none): its diff and the confirm button follow it."""
        self.draft = draft
        self.diff.value = (
            diff_html(draft.changes, draft.version, draft.based_on, draft.note) if draft is not None else ""
        )
        self.confirm_button.layout.display = "none" if draft is None else None

    @contextmanager
    def _sync(self):
        previous, self._syncing = self._syncing, True
        try:
            yield
        finally:
            self._syncing = previous

    def _sync_controls(self, candidate: Rubric | None = None) -> None:
        """Push the state into the controls (without their observers reacting) and the group sums."""
        values = self.state.values
        bounds = {s.id: s for s in adjustable_settings(candidate)} if candidate is not None else {}
        with self._sync():
            for sid, control in self.controls.items():
                s = self.settings[sid]
                value = values[sid]
                if sid in bounds and s.kind == "score":
                    control.min = float(bounds[sid].minimum)
                    control.max = float(bounds[sid].maximum)
                if s.kind == "option":
                    control.value = str(value)
                elif s.kind == "count":
                    control.value = int(value)
                elif s.unit == "%":
                    control.value = float(Fraction(value) * 100)
                else:
                    control.value = float(value)
                if sid in self.locks:
                    control.disabled = sid in self.state.locked
        for group in WEIGHT_GROUPS:
            if group not in self.sums:
                continue
            total = sum((Fraction(values[k]) for k in self.groups[group]), Fraction(0))
            locked = len(self.state.locked & set(self.groups[group]))
            unit = "分" if self._in_points(group) else ""
            self.sums[group].value = group_sum_html(total, len(self.groups[group]), locked, unit)
        if self.groups.get("items"):
            titles = []
            unit = "分" if self._in_points("items") else ""
            for section in self.item_sections:
                ids = [k for k in self.groups["items"] if self.settings[k].section == section]
                subtotal = sum((Fraction(values[k]) for k in ids), Fraction(0))
                titles.append(f"{section}（{len(ids)}项，小计 {format_fraction(subtotal)}{unit}）")
            self.item_accordion.titles = tuple(titles)

    def _run_sensitivity(self) -> None:
        rubric = self.shown.rubric if self.shown is not None else self.rubric
        n = int(self.n_runs.value)
        self.progress.max = n
        self.progress.value = 0
        self.run_button.disabled = True
        try:
            table = sensitivity(
                self._baseline_for(rubric),
                rubric,
                spread=float(self.spread.value),
                n=n,
                seed=int(self.seed.value),
                progress=lambda done, _total: setattr(self.progress, "value", done),
            )
        finally:
            self.run_button.disabled = False
        self.last_sensitivity = table
        self.sensitivity_note.value = ""
        self.sensitivity_out.value = sensitivity_html(table)

    def _preview(self) -> None:
        """保存为新版本: validate the draft as the next free version number and show its diff; 确认保存 stores it."""
        self._set_draft(None)
        refused = self._may_not_save()
        if refused:  # the section offers no button; a click sent anyway is refused here, on the server
            self.state.update(save_error=refused, save_notice="")
            return
        if self._version_moved():  # the draft was made against a version that is no longer current
            return
        changes = self.changes()
        if not changes:
            self.state.update(save_notice=NO_CHANGES, save_error="")
            return
        taken = {v.version for v in self.store.rubrics.versions()} if self.store is not None else set()
        author = self.who.name if self.who is not None else PREVIEW_AUTHOR
        try:
            draft = prepare_version(
                self.texts, changes, author=author, note=self.note.value, taken=taken | set(self.saved)
            )
        except RubricError as failure:
            shown = (p.message if p.line is None and not p.field else str(p) for p in failure.problems)
            self.state.update(save_error="\n".join(shown), save_notice="")
            return
        self._set_draft(draft)
        self.state.update(
            save_notice=CONFIRM if self.store is not None else "", save_error="" if self.store is not None else NO_STORE
        )
        if self.store is None:
            self.confirm_button.layout.display = "none"

    def _save_confirmed(self) -> None:
        draft = self.draft
        if draft is None:
            return
        if self.store is None:
            self.state.update(save_error=NO_STORE, save_notice="")
            return
        try:
            # Ask the database again, right before deciding: a session that ended saves nothing.
            who = self.session_of.check() if self.session_of is not None else None
        except StoreError as ended:
            self._set_draft(None)
            self.state.update(save_error=str(ended), save_notice="")
            return
        self.who = who
        refused = self._may_not_save(who)
        if refused or who is None or who.name != draft.author:
            self._set_draft(None)
            self.state.update(save_error=refused or NOT_SIGNED_IN, save_notice="")
            return
        try:
            self.store.rubrics.save(draft.texts, author=who.name, note=draft.note, expect_current=draft.based_on)
        except (StoreError, RubricError) as refused:
            self._version_moved()  # another version became current meanwhile: the page moves to it
            self.state.update(save_error=str(refused), save_notice="")
            return
        self.saved.append(draft.version)
        self._set_draft(None)
        self.note.value = ""  # the note went with the saved version
        # The new version is current: the page now compares against it, in every part.
        self.reload_version()
        self.state.update(save_notice=SAVED.format(version=draft.version), save_error="", notice="")

    # ----------------------------------------------------------------- views
    def _render_title(self) -> None:
        parts = [f"{self.year}年度"]
        if self.ready and self.submissions is not None:
            parts.append(self.submissions.label(self.year, self.state.street))
        if self.ready:
            parts.append(f"当前评分标准版本 {self.rubric.version}")
            count = f"{self.baseline.n}个支部"
            if self.submissions is not None:
                count += f"（{len(self.submitted)}个有提交的考评结果）"
            parts.append(count)
        if self.source:
            parts.append(self.source)
        self.title.value = title_html(TITLE, " · ".join(parts))

    def _show_error(self, change=None) -> None:
        self.error.value = error_html(self.state.error)

    def _show_notice(self, change=None) -> None:
        self.notice.value = info_html(self.state.notice)

    def _show_save_messages(self, change=None) -> None:
        self.save_messages.value = error_html(self.state.save_error) + info_html(self.state.save_notice)

    # ----------------------------------------------------------------- for tests and scripts
    def ranked_ids(self) -> list[str]:
        """Branch ids in the order the ranking table shows them."""
        table = self.shown.table
        order = np.lexsort(
            (table.index.to_numpy(dtype=str), table["rank_before"].to_numpy(), table["rank_after"].to_numpy())
        )
        return [str(b) for b in table.index[order]]


def weights_app() -> WeightsApp:
    """The widget the notebook displays."""
    return WeightsApp.from_source()
