"""总览 page: for the street (or, when the branches have a 所属街道, the district or one of its streets)
and a chosen year, the shares of 达标 and 最强 against the yearly targets
of 001 §一 (over all the years the database holds), the workflow funnel, stars, channel averages,
the 软弱涣散 and vetoed branches, the budget impact of the designations (001 §四), every branch's
results, an Excel export, and one branch in detail.

Data: the database (``Store.from_env()``): for every year it holds, the current reconciled
submissions of each branch, scored with the current rubric, and the branches' workflow statuses.
Everything is computed when the page opens; the street, year and branch pickers only write into
the one state object (:class:`OverviewState`), and the views are re-drawn from it. Choosing a street
filters every view to its branches; the district (全区) shows all of them plus a table per street.

``notebooks/overview.ipynb`` is one cell: ``overview_app()``.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets

from ... import glossary as g
from ...analysis import overview as ov
from ...inputs.frames import Inputs
from ...outputs import charts
from ...outputs.overview_workbook import XLSX_MIME, build_overview_workbook, overview_filename
from ...outputs.tables import results_table, summary
from ...rubric import Rubric, format_percent
from ...scoring import Results
from ...store import Store
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

__all__ = ["DEMO_WORKBOOK", "OverviewApp", "OverviewState", "overview_app"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_WORKBOOK = REPO_ROOT / "data" / "demo" / "demo_street.xlsx"
DEMO_YEAR = 2025

TITLE = "街道党支部标准化规范化考评总览"
SOURCE_DATABASE = "数据：考评数据库（各支部当前的考评提交，多人考评已合并）"
SUMMARY_LABELS = {
    "branches": "支部数",
    "standardized": g.STANDARDIZED,
    "strongest": g.STRONGEST,
    "designated": "已评定最强",
    "incomplete": g.INCOMPLETE,
    "weak": g.WEAK,
    "vetoed": "被否决",
}
VETO_COUNT = "否决项"
WORKFLOW_STATUS = "流程状态"
LOAD_FAILED = "无法载入考评数据，总览暂时不能显示。请联系管理员查看服务日志。"
SCORE_FAILED = "评分时出错，总览暂时不能显示。请联系管理员查看服务日志。"
YEAR_FAILED = "无法显示该年度的总览，请选择其他年度或稍后再试。"
DETAIL_FAILED = "无法显示该支部的详情，请选择其他支部或稍后再试。"
EXPORT_FAILED = "生成Excel文件时出错，请稍后再试。"
NO_DATA = "数据库中还没有考评数据。请先用命令 python -m assessment import 导入填好的工作簿（或运行 scripts/serve.sh 导入演示数据）。"
DISTRICT_NOTE = "目前只有本街道的数据；支部还没有“所属街道”信息，汇总到区的总览需先在工作表“支部”中填写“所属街道”。"
DISTRICT = "全区（所有街道）"
STREETS_NOTE = "各街道的比例以本街道党支部总数为分母，与全区使用相同的年度目标（001 §一）。"


def demo_workbook_path() -> Path:
    """$ASSESSMENT_DEMO_WORKBOOK, else data/demo/demo_street.xlsx in the repository (used by the 权重 page)."""
    return Path(os.environ.get("ASSESSMENT_DEMO_WORKBOOK", DEMO_WORKBOOK))


class OverviewState(traitlets.HasTraits):
    """What the visitor chose, and what went wrong: the only thing the views read besides the data."""

    street = traitlets.Unicode(None, allow_none=True)  # a street's name, DISTRICT, or the one street's label
    year = traitlets.Int(None, allow_none=True)
    branch_id = traitlets.Unicode(None, allow_none=True)
    error = traitlets.Unicode("")

    def update(self, **changes) -> None:
        with self.hold_trait_notifications():
            for name, value in changes.items():
                setattr(self, name, value)


def _html(value: str = "", css_class: str = "") -> widgets.HTML:
    widget = widgets.HTML(value, layout=widgets.Layout(**FULL_WIDTH))
    if css_class:
        widget.add_class(css_class)
    return widget


def _note(text: str) -> str:
    return f'<p style="margin:2px 0 8px;color:#5b6770;font-size:13px;line-height:1.55">{html.escape(text)}</p>'


def _chart_row(images: list[widgets.Image]) -> widgets.Box:
    return widgets.Box(
        images,
        layout=widgets.Layout(**FULL_WIDTH, display="flex", flex_flow="row wrap", justify_content="space-between"),
    )


class OverviewApp(widgets.VBox):
    """The 总览 page as one widget, showing ``street`` (see :mod:`assessment.analysis.overview`)."""

    def __init__(self, street: ov.Street | None, *, year: int | None = None, error: str = "", notice: str = ""):
        super().__init__(layout=widgets.Layout(**FULL_WIDTH))
        self.add_class("siping-app")
        self.add_class("siping-overview")
        self.street = street if street is not None and street.years else None
        self.district = self.street  # everything loaded; self.street is the part shown
        self.streets: list[str] = []  # the 所属街道 found (ov.street_names); [] for one street
        self.state = OverviewState(error=error)
        self._pngs: dict[tuple[int, str], bytes] = {}

        self.title = _html()
        self.error = _html()
        self.notice = _html(_note(notice) if notice else "")
        self.street_picker = widgets.Dropdown(
            description="街道", layout=widgets.Layout(width="100%", max_width="360px", margin="4px 12px 4px 0")
        )
        self.year_picker = widgets.Dropdown(
            description="年度", layout=widgets.Layout(width="100%", max_width="220px", margin="4px 0")
        )
        for picker in (self.street_picker, self.year_picker):
            picker.style.description_width = "3em"
        self.controls = widgets.Box(
            [self.street_picker, self.year_picker],
            layout=widgets.Layout(**FULL_WIDTH, display="flex", flex_flow="row wrap", align_items="center"),
        )
        self.street_note = _html()
        self.summary = _html()
        self.by_street = _html(css_class="siping-streets")
        self.target_chart = figure_image()
        self.targets = _html(css_class="siping-targets")
        self.funnel = _html(css_class="siping-funnel")
        self.stars_and_channels = _html(css_class="siping-channels")
        self.weak = _html(css_class="siping-weak")
        self.vetoed = _html()
        self.budget = _html(css_class="siping-budget")
        self.table = _html()
        self.charts: dict[str, widgets.Image] = {
            name: figure_image() for name in ("funnel", "stars", "channels", "vetoes", "ranking")
        }
        self.export_button = widgets.Button(
            description="生成Excel文件", icon="", layout=widgets.Layout(width="auto", margin="4px 8px 4px 0")
        )
        self.export_button.add_class("siping-export")
        self.download = _html()
        self.branch_picker = widgets.Dropdown(
            description="选择支部", layout=widgets.Layout(width="100%", max_width="480px", margin="8px 0")
        )
        self.branch_picker.style.description_width = "5em"
        self.detail = _html()
        self.radar = figure_image()

        self.state.observe(self._show_error, names="error")
        self.state.observe(self._on_street, names="street")
        self.state.observe(self._on_year, names="year")
        self.state.observe(self._on_branch, names="branch_id")
        self.street_picker.observe(self._on_pick_street, names="value")
        self.year_picker.observe(self._on_pick_year, names="value")
        self.branch_picker.observe(self._on_pick, names="value")
        self.export_button.on_click(guarded(EXPORT_FAILED, self._report)(self._export))

        if self.street is not None and not error:
            self._load()
        self._render_title()
        self._show_error()
        self._arrange()

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_env(cls) -> OverviewApp:
        """The database at $ASSESSMENT_DATABASE_URL (default data/siping.sqlite), every year it holds."""
        log = app_logger()
        try:
            with Store.from_env() as store:
                rubric = store.rubrics.current()  # the version marked current in the database
                street = ov.load_street(store, rubric, source=SOURCE_DATABASE)
        except Exception:  # whatever it is, the page shows a short message, the log the traceback
            log.exception("overview: loading the database failed")
            return cls(None, error=LOAD_FAILED)
        if not street.years:
            return cls(None, notice=NO_DATA)
        return cls(street)

    @classmethod
    def from_inputs(
        cls,
        rubric: Rubric,
        inputs: Inputs | dict[int, Inputs],
        year: int = DEMO_YEAR,
        *,
        statuses: dict[int, dict[str, str]] | None = None,
        source: str = "",
    ) -> OverviewApp:
        """Inputs in memory (one year, or ``{year: inputs}``), with workflow statuses if given."""
        by_year = inputs if isinstance(inputs, dict) else {year: inputs}
        try:
            street = ov.street_from_inputs(rubric, by_year, statuses, source=source)
        except Exception:  # noqa: BLE001
            app_logger().exception("overview: scoring failed")
            return cls(None, error=SCORE_FAILED)
        return cls(street)

    def _load(self) -> None:
        district = self.district
        try:
            self.streets = ov.street_names(district)
            if self.streets:
                options = [(f"{DISTRICT}（{_branch_count(district)}个支部）", DISTRICT)]
                options += [(f"{n}（{_branch_count(ov.for_street(district, n))}个支部）", n) for n in self.streets]
                self.street_note.value = ""
            else:
                options = [(f"{district.label}（{_branch_count(district)}个支部）", district.label)]
                self.street_note.value = _note(DISTRICT_NOTE)
            self.street_picker.options = options
            # Choosing the first fires _on_pick_street → state → _show_street → every view, like a visitor.
            self.street_picker.value = options[0][1]
            if self.state.street != options[0][1]:
                self.state.update(street=options[0][1])
        except Exception:  # noqa: BLE001 - a short message on the page beats a red traceback
            app_logger().exception("overview: scoring or drawing failed")
            self.street = None
            self.state.update(error=SCORE_FAILED)

    def _show_street(self) -> None:
        """The chosen street's (or the district's) targets over the years, then its year."""
        chosen = self.state.street
        district = self.district
        self.street = district if chosen in (DISTRICT, district.label) else ov.for_street(district, chosen)
        self._pngs.clear()
        street = self.street
        progress = ov.target_progress(street)
        self._render_targets(progress)
        set_figure(self.target_chart, charts.targets_over_years(ov.progress_frame(progress)))
        years = street.year_list
        options = [(f"{year}年", year) for year in reversed(years)]
        if list(self.year_picker.options) != options:
            self.year_picker.options = options
        # Keep the year shown if the street has it, else the latest; picking it fires _on_pick_year →
        # state → every view. The same year as before fires nothing: draw it here.
        year = self.state.year if self.state.year in street.years else years[-1]
        drawn = self.state.year != year
        self.year_picker.value = year
        if self.state.year != year:
            self.state.update(year=year)
        if not drawn:
            self._render_year()

    def _arrange(self) -> None:
        children = [page_style(), self.title, self.error, self.notice]
        if self.street is not None:
            children += [
                self.controls,
                self.street_note,
                self.summary,
                _html(section_title("年度目标（001 §一）")),
                self.target_chart,
                self.targets,
                self.by_street,
                _html(section_title("考评验收流程")),
                self.funnel,
                self.charts["funnel"],
                _html(section_title("星级与四评")),
                _chart_row([self.charts["stars"], self.charts["channels"]]),
                self.stars_and_channels,
                self.weak,
                self.vetoed,
                self.charts["vetoes"],
                self.budget,
                _html(section_title("各支部考评结果")),
                self.table,
                self.charts["ranking"],
                _html(section_title("导出")),
                widgets.Box(
                    [self.export_button, self.download],
                    layout=widgets.Layout(**FULL_WIDTH, display="flex", flex_flow="row wrap", align_items="center"),
                ),
                _html(section_title("支部详情")),
                self.branch_picker,
                self.detail,
                self.radar,
            ]
        self.children = children

    # ----------------------------------------------------------------- callbacks: only write state
    def _on_pick_street(self, change) -> None:
        if change["new"] is not None:
            self.state.update(street=change["new"], error="")

    def _on_street(self, change) -> None:
        if self.district is not None and self.state.street is not None:
            guarded(YEAR_FAILED, self._report)(self._show_street)()

    def _on_pick_year(self, change) -> None:
        if change["new"] is not None:
            self.state.update(year=int(change["new"]), error="")

    def _on_pick(self, change) -> None:
        self.state.update(branch_id=change["new"], error="")

    def _report(self, message: str) -> None:
        self.state.update(error=message)

    def _on_year(self, change) -> None:
        guarded(YEAR_FAILED, self._report)(self._render_year)()

    def _on_branch(self, change) -> None:
        guarded(DETAIL_FAILED, self._report)(self._render_detail)()

    def _show_error(self, change=None) -> None:
        self.error.value = error_html(self.state.error)

    # ----------------------------------------------------------------- views: read state and data
    @property
    def view(self) -> ov.YearView | None:
        if self.street is None or self.state.year not in self.street.years:
            return None
        return self.street.years[self.state.year]

    @property
    def rubric(self) -> Rubric | None:
        return self.street.rubric if self.street is not None else None

    def _render_title(self) -> None:
        parts = []
        if self.state.year is not None:
            parts.append(f"{self.state.year}年度")
        if self.street is not None and self.streets:
            parts.insert(0, DISTRICT if self.street is self.district else self.street.label)
        if self.street is not None:
            parts.append(f"评分标准版本 {self.street.rubric.version}")
            if self.street.source:
                parts.append(self.street.source)
        self.title.value = (
            f'<h2 style="margin:8px 0 2px;font-size:22px;line-height:1.35">{html.escape(TITLE)}</h2>'
            f'<div class="siping-subtitle" style="color:#5b6770;font-size:14px">{html.escape(" · ".join(parts))}</div>'
        )

    def _render_year(self) -> None:
        view = self.view
        if view is None:
            return
        self._render_title()
        self.download.value = ""
        self._render_summary()
        self._render_by_street()
        self._render_funnel()
        self._render_stars_and_channels()
        self._render_weak()
        self._render_vetoed()
        self._render_budget()
        self._render_table()
        self._render_charts()
        self._fill_picker()

    def _png(self, name: str, draw) -> bytes:
        key = (self.state.year, name)
        if key not in self._pngs:
            self._pngs[key] = charts.to_png(draw())
        return self._pngs[key]

    def _render_charts(self) -> None:
        view, rubric = self.view, self.rubric
        results = view.results
        flow = ov.funnel(view, rubric)
        drawers = {
            "funnel": (lambda: charts.workflow_funnel(flow)) if flow is not None else None,
            "stars": lambda: charts.star_distribution(ov.star_counts(results, rubric)),
            "channels": lambda: charts.channel_scores(results, rubric),
            "vetoes": lambda: charts.veto_counts(results, rubric),
            "ranking": lambda: charts.composite_ranking(results, rubric),
        }
        for name, draw in drawers.items():
            image = self.charts[name]
            image.value = self._png(name, draw) if draw is not None else b""
            image.layout.display = None if draw is not None else "none"

    def _render_summary(self) -> None:
        view = self.view
        counts = summary(view.results)
        designated = view.designated(ov.DESIGNATED_STRONGEST)
        counts["designated"] = int(designated.sum()) if designated is not None else "—"
        cards = "".join(
            f'<div class="siping-stat" data-key="{key}" style="flex:1 1 90px;min-width:90px;'
            'border:1px solid #e3e6ea;border-radius:6px;padding:8px 10px;background:#fff">'
            f'<div style="font-size:24px;font-weight:600;color:#c0392b">{escape(counts[key])}</div>'
            f'<div style="font-size:13px;color:#5b6770">{html.escape(label)}</div></div>'
            for key, label in SUMMARY_LABELS.items()
        )
        progress = {row.year: row for row in ov.target_progress(self.street)}
        self.summary.value = (
            f'<div style="display:flex;flex-wrap:wrap;gap:8px;margin:10px 0">{cards}</div>'
            + _targets_html(progress[view.year])
        )

    def _render_by_street(self) -> None:
        """The district only: each street's 达标 and 最强 against the year's target."""
        view = self.view
        if self.street is not self.district or not self.streets:
            self.by_street.value = ""
            return
        table = ov.street_table(self.district, view.year)
        self.by_street.value = (
            section_title(f"各街道对比（{view.year}年度）")
            + scroll_box(html_table(table, nowrap_columns=list(table.columns)))
            + _note(STREETS_NOTE)
        )

    def _render_targets(self, progress: list[ov.TargetYear]) -> None:
        table = ov.target_table(progress)
        scope = self._scope()
        notes = [
            f"比例的分母为{scope}党支部总数；“以上”含本数，按分数精确比较（如 9/10 恰好达到90%）。",
            (
                "“最强”有两种口径：已评定最强 = 考评验收流程中本年度评定为“已评定最强”，或以往年度的评定在本年末仍在有效期内"
                "（支委会任期内）且未撤销；达到最强标准（最强资格）= 按评分标准"
                "达标、五强全部达到且没有否决项。2025年的目标按达到标准计（001 §一：“一半以上党支部达到‘最强党支部’标准”）。"
            ),
        ]
        if any(row.strongest_is_aim for row in progress):
            notes.append("2023年“最强党支部”比例40%是“力争”目标（001 §一：“力争达到40%以上”），不是硬性指标。")
        notes.append("原文把最后一年写作“2023年”，按“三年打基础、五年争优先”理解为2025年（评分标准中的选择）。")
        wrapping = "最强目标"
        self.targets.value = (
            _column_min_widths("siping-targets", {list(table.columns).index(wrapping) + 1: "13em"})
            + scroll_box(html_table(table, nowrap_columns=[c for c in table.columns if c != wrapping]))
            + "".join(_note(text) for text in notes)
        )

    def _render_funnel(self) -> None:
        view, rubric = self.view, self.rubric
        flow = ov.funnel(view, rubric)
        if flow is None:
            self.funnel.value = _note("没有考评验收流程的记录（数据不是来自数据库）。")
            return
        moved = int(
            (
                view.statuses.reindex(view.branches.index).fillna(rubric.workflow.initial) != rubric.workflow.initial
            ).sum()
        )
        counts = "；".join(f"{label} {count}个" for label, count in zip(flow[g.STATUS], flow["支部数"]))
        self.funnel.value = _note(
            f"{view.year}年度各支部在“支部申请—街道党工委考评—区委组织部验收—最强申报”流程中的状态"
            f"（{moved}个支部已开始流程）：{counts}。"
        )

    def _render_stars_and_channels(self) -> None:
        view, rubric = self.view, self.rubric
        averages = ov.channel_averages(view.results, rubric)
        self.stars_and_channels.value = _subtitle("四评平均分") + scroll_box(
            html_table(averages, decimals=rubric.meta.decimals, nowrap_columns=["项目"])
        )

    def _render_weak(self) -> None:
        view, rubric = self.view, self.rubric
        weak = ov.weak_list(view, rubric)
        progress = {row.year: row for row in ov.target_progress(self.street)}[view.year]
        goal = "（本年度目标：动态清零）" if progress.weak_cleared else ""
        rules = "、".join(condition.label for condition in rubric.eligibility.weak.any_of)
        head = section_title("软弱涣散支部") + _note(
            f"共{len(weak)}个{goal}。判定条件（任一即是，评分标准中的选择）：{rules}。"
        )
        if not len(weak):
            self.weak.value = head
            return
        self.weak.value = (
            head
            + _column_min_widths("siping-weak", {4: "16em"})
            + scroll_box(
                html_table(
                    weak,
                    decimals=rubric.meta.decimals,
                    nowrap_columns=[g.BRANCH_ID, g.BRANCH_NAME, g.COMPOSITE, WORKFLOW_STATUS],
                ),
                max_height="360px",
            )
        )

    def _render_vetoed(self) -> None:
        view, rubric = self.view, self.rubric
        v = view.results.vetoes
        passed = pd.array(v["passed"], dtype="boolean")
        fired = np.asarray((passed == False).fillna(False), dtype=bool)
        unknown = np.asarray(passed.isna(), dtype=bool)
        names = view.branches["name"]
        groups = []
        for number, rule in enumerate(rubric.veto_rules, start=1):
            of_rule = (v["rule_id"] == rule.id).to_numpy()
            hits = v.loc[of_rule & fired]
            unclear = v.loc[of_rule & unknown]
            items = [
                f"<b>{escape(row.branch_id)} {escape(names.get(row.branch_id, ''))}</b>：{escape(row.explanation)}"
                for row in hits.itertuples()
            ]
            items += [
                f"<b>{escape(row.branch_id)} {escape(names.get(row.branch_id, ''))}</b>"
                f"（{g.UNKNOWN}）：{escape(row.explanation)}"
                for row in unclear.itertuples()
            ]
            count = f"{len(hits)}个支部" + (f"，另{len(unclear)}个{g.UNKNOWN}" if len(unclear) else "")
            body = html_list(items) if items else '<p style="margin:4px 0 8px">没有支部被此规则否决。</p>'
            opened = " open" if 0 < len(items) <= 10 else ""
            groups.append(
                f'<details class="siping-veto" data-rule="{escape(rule.id)}"{opened} style="margin:6px 0">'
                f'<summary style="cursor:pointer;font-weight:600">{number}. {escape(rule.label)}（{count}）</summary>'
                f'<div style="color:#5b6770;font-size:12px;margin:2px 0 0 1em">来源：{escape(rule.source)}</div>'
                f'<div style="font-size:13px;line-height:1.55;overflow-wrap:anywhere">{body}</div></details>'
            )
        total = int((view.branches["veto_ids"] != "").sum())
        self.vetoed.value = (
            section_title("被否决的支部")
            + f'<p style="margin:2px 0 6px;color:#5b6770">共{total}个支部被至少一条“最强党支部”否决规则否决；'
            "按规则分组，点击标题展开。</p>" + "".join(groups)
        )

    def _render_budget(self) -> None:
        view, rubric = self.view, self.rubric
        lines = ov.budget_lines(view, rubric)
        table = ov.budget_table(lines, text=True)
        amounts = "；".join(
            f"{a.label}：{ov.money_text(a.value)}{'' if a.value is None else a.unit}"
            + ("（选择，示例数值）" if a.choice else "")
            for a in rubric.targets.amounts
        )
        notes = [
            (
                "按 001 §四 的待遇规定，测算本年度已评定的支部享受的待遇（“已评定”按考评验收流程中的状态），"
                "以及按考评结果符合条件的支部如全部评定时的金额。经费上浮按本年末仍有效的评定（含以往年度）计；"
                "一次性专项绩效奖励只计本年度新评定的支部。"
            ),
            f"测算用的金额（rubrics/targets.yaml，来源未给出，须按实际填写）：{amounts}。",
            (
                "“待定”：来源只说“适当”，比例未定，或金额未填写。已评定最强的支部按最强的规定享受，不再叠加达标的待遇（选择）。"
                "市委评定的“最强党支部”另由市委组织部一次性奖补（金额未定），无法由考评结果预计。"
            ),
        ]
        self.budget.value = (
            section_title("待遇保障测算（001 §四）")
            + _column_min_widths("siping-budget", {1: "11em", 2: "8em", 4: "15em", 10: "18em"})
            + scroll_box(html_table(table, nowrap_columns=["比例", "已评定支部数"]))
            + "".join(_note(text) for text in notes)
        )

    def _render_table(self) -> None:
        view, rubric = self.view, self.rubric
        full = results_table(view.results, rubric)
        channels = [c.label for c in rubric.channels.channels]
        columns = [
            g.BRANCH_ID,
            g.BRANCH_NAME,
            *channels,
            g.COMPOSITE,
            g.GRADE,
            g.STANDARDIZED,
            g.STARS,
            g.STRONGEST,
            g.WEAK,
            g.STATUS,
        ]
        table = full[columns].copy()
        veto_ids = view.branches["veto_ids"].astype(str).to_numpy()
        fired = np.where(veto_ids == "", 0, np.char.count(veto_ids.astype("U"), ";") + 1)
        table[g.STARS] = [_stars_text(value) for value in view.branches["stars"]]
        table[VETO_COUNT] = np.where(fired == 0, "", np.char.add(fired.astype(str), "项"))
        table[WORKFLOW_STATUS] = ov.status_labels(view, rubric).to_numpy()
        ids = full[g.BRANCH_ID].astype(str)
        self.table.value = scroll_box(
            html_table(
                table,
                decimals=rubric.meta.decimals,
                row_attrs=[{"data-branch": branch} for branch in ids],
                nowrap_columns=[g.BRANCH_ID, g.BRANCH_NAME, g.GRADE, g.STATUS, VETO_COUNT, WORKFLOW_STATUS],
            ),
            max_height="460px",
            css_class="siping-results",
        )

    def _scope(self) -> str:
        """What the shares are of: 全街道, 全区, or the street chosen."""
        if not self.streets:
            return "全街道"
        return "全区" if self.street is self.district else self.street.label

    def _export(self, _button=None) -> None:
        """Build the workbook for the chosen year and offer it as a download link."""
        view = self.view
        if view is None:
            return
        self.download.value = _note("正在生成……")
        pngs = {name: png for (year, name), png in self._pngs.items() if year == view.year}
        pngs["targets"] = bytes(self.target_chart.value)
        data = build_overview_workbook(self.street, view.year, pngs)
        filename = overview_filename(self.street, view.year)
        self.download.value = download_link_html(data, filename, XLSX_MIME, f"下载 {filename}")
        self.state.update(error="")

    def _fill_picker(self) -> None:
        branches = self.view.branches
        options = [(f"{branch_id} {name}", str(branch_id)) for branch_id, name in branches["name"].items()]
        keep = self.state.branch_id if self.state.branch_id in branches.index else None
        self.branch_picker.options = options
        # Choosing a branch fires _on_pick → state → detail, like a visitor's choice; keep the one shown.
        chosen = keep if keep is not None else (options[0][1] if options else None)
        self.branch_picker.value = chosen
        if chosen is not None and self.state.branch_id == chosen:
            self._on_branch(None)  # same branch, another year: the detail must follow the year

    def _render_detail(self) -> None:
        branch_id = self.state.branch_id
        view = self.view
        if view is None or branch_id is None or branch_id not in view.branches.index:
            self.detail.value = ""
            return
        rubric = self.rubric
        # The radar first: the detail's heading is what a visitor (and a browser test) waits for.
        set_figure(self.radar, charts.five_strong_radar(view.results, rubric, branch_id))
        status = ov.status_labels(view, rubric).get(branch_id, "")
        may = ov.honours(view, rubric)
        honours = may.get(branch_id, "") if may is not None else ""
        self.detail.value = _detail_html(rubric, view.results, branch_id, status, honours)


def _branch_count(street: ov.Street) -> int:
    return street.years[street.year_list[-1]].total


def _column_min_widths(css_class: str, widths: dict[int, str]) -> str:
    """Keep a wide table readable on a phone: its text columns keep a minimum width, so the table
    scrolls sideways in its own box instead of squeezing every word onto its own line."""
    rules = "".join(
        f".{css_class} table.siping-table td:nth-child({column}){{min-width:{width}}}"
        for column, width in widths.items()
    )
    return f"<style>{rules}</style>"


def _targets_html(row: ov.TargetYear) -> str:
    """The chosen year against its target, in one line per figure."""
    total = row.total
    if not total:
        return ""
    lines = []
    standardized = f"达标率 {row.standardized / total:.1%}（{row.standardized}/{total}）"
    if row.standardized_target is not None:
        standardized += (
            f"，{row.year}年目标 {format_percent(row.standardized_target)}以上（{ov.met_text(row.standardized_met)}）"
        )
    lines.append(standardized)
    designated = (
        f"已评定最强 {row.strongest_designated / total:.1%}（{row.strongest_designated}/{total}）"
        if row.strongest_designated is not None
        else f"已评定最强：{ov.NO_WORKFLOW}"
    )
    qualified = f"达到最强标准（最强资格）{row.strongest_qualified / total:.1%}（{row.strongest_qualified}/{total}）"
    strongest = f"{designated}；{qualified}"
    if row.strongest_target is not None:
        strongest += f"；目标 {ov.strongest_target_text(row)}（{ov.met_text(row.strongest_met)}）"
    lines.append(strongest)
    if row.weak_cleared:
        lines.append(f"软弱涣散 {row.weak}个，目标动态清零（{ov.met_text(row.weak_met)}）")
    return (
        '<div class="siping-year-targets" style="font-size:13px;color:#333;line-height:1.6">'
        + "<br>".join(html.escape(line) for line in lines)
        + "</div>"
    )


def _kv_table(rows: list[tuple[str, object]], decimals: int) -> str:
    frame = pd.DataFrame(rows, columns=["项目", "内容"])
    return scroll_box(html_table(frame, decimals=decimals, nowrap_columns=["项目"]))


def _detail_html(rubric: Rubric, results: Results, branch_id: str, workflow_status: str = "", honours: str = "") -> str:
    b = results.branches.loc[branch_id]
    decimals = rubric.meta.decimals
    stars = b["stars"]
    star_text = "—" if pd.isna(stars) else f"{'★' * int(stars)}（{_stars_text(stars)}）"
    rows: list[tuple[str, object]] = [(c.label, b[c.id]) for c in rubric.channels.channels]
    rows += [
        (g.COMPOSITE, b["composite"]),
        (g.GRADE, f"{b['grade']}（{b['grade_cap_reasons']}）" if b.get("grade_cap_reasons") else b["grade"]),
        (
            g.STANDARDIZED,
            g.yes_no(bool(b["standardized"]))
            + ("" if b["standardized"] else f"（未满足：{b['standardized_reasons']}）"),
        ),
        (g.STARS, star_text),
        (g.FIVE_STRONG, "全部达到" if b["five_strong"] else "未全部达到"),
        (g.STRONGEST, g.yes_no(bool(b["strongest"]))),
        (g.REASONS, b["reasons"]),
        (g.WEAK, g.yes_no(bool(b["weak"])) + (f"（{b['weak_reasons']}）" if b["weak"] else "")),
        (g.STATUS, b["status"]),
    ]
    if workflow_status:
        rows.append((WORKFLOW_STATUS, workflow_status))
    if honours:
        rows.append((ov.HONOURS, honours))
    if b["missing"]:
        rows.append((g.MISSING, b["missing"]))

    vetoes = results.vetoes[results.vetoes["branch_id"] == branch_id].sort_values("order")
    veto_frame = pd.DataFrame(
        {
            "规则": vetoes["label"].to_numpy(),
            "结果": _tri_state(vetoes["passed"], g.PASS, "否决"),
            "说明": vetoes["explanation"].to_numpy(),
            "来源": vetoes["source"].to_numpy(),
        }
    )
    acts = results.activities[results.activities["branch_id"] == branch_id]
    activity_frame = pd.DataFrame(
        {
            "类型": acts["type"].to_numpy(),
            "要求": acts["requirement"].to_numpy(),
            "实际次数": acts["count"].to_numpy(),
            "缺漏期间": acts["missing_periods"].to_numpy(),
            "结果": _tri_state(acts["met"], "达到", "未达到", na_text=g.NOT_APPLICABLE),
        }
    )
    struct = results.structure[results.structure["branch_id"] == branch_id]
    structure_frame = pd.DataFrame(
        {
            "规则": struct["label"].to_numpy(),
            "结果": _tri_state(struct["passed"], "符合", "不符合"),
            "说明": struct["explanation"].to_numpy(),
            "来源": struct["source"].to_numpy(),
        }
    )
    failed_activities = int((acts["met"] == False).fillna(False).sum())
    failed_structure = int((struct["passed"] == False).fillna(False).sum())
    return (
        f'<div class="siping-detail" data-branch="{escape(branch_id)}">'
        f'<h4 style="margin:10px 0 6px;font-size:16px">{escape(branch_id)} {escape(b["name"])}</h4>'
        + _kv_table(rows, decimals)
        + _subtitle("“最强党支部”否决规则")
        + scroll_box(html_table(veto_frame, nowrap_columns=["结果"]))
        + _subtitle(f"组织生活（{failed_activities}项未达到）" if failed_activities else "组织生活（全部达到）")
        + scroll_box(html_table(activity_frame, nowrap_columns=["类型", "结果"]))
        + _subtitle(f"组织设置（{failed_structure}项不符合）" if failed_structure else "组织设置（全部符合）")
        + scroll_box(html_table(structure_frame, nowrap_columns=["结果"]))
        + _subtitle("五强维度")
        + "</div>"
    )


def _stars_text(stars) -> str:
    return "" if pd.isna(stars) else f"{int(stars)}星"


def _subtitle(text: str) -> str:
    return f'<h5 style="margin:12px 0 4px;font-size:14px">{html.escape(text)}</h5>'


def _tri_state(values, true_text: str, false_text: str, na_text: str = g.UNKNOWN) -> np.ndarray:
    arr = pd.array(values, dtype="boolean")
    out = np.where(arr.fillna(False).to_numpy(dtype=bool), true_text, false_text).astype(object)
    out[np.asarray(arr.isna())] = na_text
    return out


def overview_app() -> OverviewApp:
    """The widget the notebook displays: the database's street, every year it holds."""
    return OverviewApp.from_env()
