"""总览 page: the street's results at a glance, the vetoes, and one branch in detail.

One state object (:class:`DashboardState`) holds what the visitor chose; the branch picker only
writes into it, and the detail view is re-drawn from it. The results themselves are computed once
when the page opens and never change while it is open.

``notebooks/dashboard.ipynb`` is one cell: ``dashboard_app()``.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd
import traitlets

from .. import charts
from .. import glossary as g
from ..demo import generate_demo
from ..inputs import Inputs
from ..report import results_table, summary
from ..rubric import Rubric, format_percent, load_rubric
from ..scoring import Results, score
from ..workbook import WorkbookError, read_workbook
from .common import (
    FULL_WIDTH,
    app_logger,
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

__all__ = ["DEMO_WORKBOOK", "DashboardApp", "DashboardState", "dashboard_app"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_WORKBOOK = REPO_ROOT / "data" / "demo" / "demo_street.xlsx"
DEMO_YEAR = 2025

TITLE = "街道党支部标准化规范化考评总览"
SUMMARY_LABELS = {
    "branches": "支部数",
    "standardized": g.STANDARDIZED,
    "strongest": g.STRONGEST,
    "incomplete": g.INCOMPLETE,
    "weak": g.WEAK,
    "vetoed": "被否决",
}
VETO_COUNT = "否决项"
LOAD_FAILED = "无法载入考评数据，总览暂时不能显示。请联系管理员查看服务日志。"
SCORE_FAILED = "评分时出错，总览暂时不能显示。请联系管理员查看服务日志。"
DETAIL_FAILED = "无法显示该支部的详情，请选择其他支部或稍后再试。"


def demo_workbook_path() -> Path:
    """$ASSESSMENT_DEMO_WORKBOOK, else data/demo/demo_street.xlsx in the repository."""
    return Path(os.environ.get("ASSESSMENT_DEMO_WORKBOOK", DEMO_WORKBOOK))


class DashboardState(traitlets.HasTraits):
    """What the visitor chose, and what went wrong: the only thing the views read besides the results."""

    branch_id = traitlets.Unicode(None, allow_none=True)
    error = traitlets.Unicode("")

    def update(self, **changes) -> None:
        with self.hold_trait_notifications():
            for name, value in changes.items():
                setattr(self, name, value)


@dataclass(frozen=True)
class _Scored:
    rubric: Rubric
    results: Results
    source: str


def _box(children, **layout) -> widgets.VBox:
    return widgets.VBox(children, layout=widgets.Layout(**{**FULL_WIDTH, **layout}))


def _html(value: str = "") -> widgets.HTML:
    return widgets.HTML(value, layout=widgets.Layout(**FULL_WIDTH))


class DashboardApp(widgets.VBox):
    """The 总览 page as one widget. ``DashboardApp(rubric, inputs, year)`` scores and shows ``inputs``."""

    def __init__(
        self,
        rubric: Rubric | None,
        inputs: Inputs | None,
        year: int = DEMO_YEAR,
        *,
        source: str = "",
        error: str = "",
    ):
        super().__init__(layout=widgets.Layout(**FULL_WIDTH))
        self.add_class("siping-app")
        self.add_class("siping-dashboard")
        self.year = year
        self.state = DashboardState(error=error)
        self.data: _Scored | None = None

        self.title = _html()
        self.error = _html()
        self.summary = _html()
        self.table = _html()
        self.charts: dict[str, widgets.Image] = {}
        self.chart_box = widgets.Box(
            layout=widgets.Layout(**FULL_WIDTH, display="flex", flex_flow="row wrap", justify_content="space-between")
        )
        self.vetoed = _html()
        self.branch_picker = widgets.Dropdown(
            description="选择支部", layout=widgets.Layout(width="100%", max_width="480px", margin="8px 0")
        )
        self.branch_picker.style.description_width = "5em"
        self.detail = _html()
        self.radar = figure_image()

        self.state.observe(self._show_error, names="error")
        self.state.observe(self._on_branch, names="branch_id")
        self.branch_picker.observe(self._on_pick, names="value")

        if rubric is not None and inputs is not None and not error:
            self._load(rubric, inputs, source)
        self._render_title(rubric)
        self._show_error()
        self._arrange()

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_demo(cls, path: str | os.PathLike | None = None, year: int = DEMO_YEAR) -> DashboardApp:
        """The demo street: data/demo/demo_street.xlsx if it exists, else generated in memory."""
        log = app_logger()
        workbook = Path(path) if path is not None else demo_workbook_path()
        try:
            rubric = load_rubric()
            if workbook.exists():
                try:
                    inputs = read_workbook(workbook, rubric)
                except WorkbookError as failure:
                    log.error("demo workbook %s unreadable:\n%s", workbook, failure)
                    return cls(rubric, None, year, error=_workbook_message(workbook, failure))
                source = f"数据：{workbook.name}"
            else:
                log.info("no %s: generating the demo street in memory", workbook)
                inputs = generate_demo(rubric, year=year)
                source = "数据：系统生成的示例街道"
        except Exception:  # whatever it is, the page shows a short message and the log the traceback
            log.exception("dashboard: loading %s failed", workbook)
            return cls(None, None, year, error=LOAD_FAILED)
        return cls(rubric, inputs, year, source=source)

    def _load(self, rubric: Rubric, inputs: Inputs, source: str) -> None:
        try:
            results = score(rubric, inputs, year=self.year)
            self.data = _Scored(rubric, results, source)
            self._render_summary()
            self._render_table()
            self._render_charts()
            self._render_vetoed()
            self._fill_picker()
        except Exception:  # noqa: BLE001 - a short message on the page beats a red traceback
            app_logger().exception("dashboard: scoring or drawing failed")
            self.data = None
            self.state.update(error=SCORE_FAILED)

    def _arrange(self) -> None:
        children = [page_style(), self.title, self.error]
        if self.data is not None:
            children += [
                self.summary,
                _html(section_title("各支部考评结果")),
                self.table,
                _html(section_title("图表")),
                self.chart_box,
                self.vetoed,
                _html(section_title("支部详情")),
                self.branch_picker,
                self.detail,
                self.radar,
            ]
        self.children = children

    # ----------------------------------------------------------------- callbacks: only write state
    def _on_pick(self, change) -> None:
        self.state.update(branch_id=change["new"], error="")

    def _report(self, message: str) -> None:
        self.state.update(error=message)

    def _on_branch(self, change) -> None:
        guarded(DETAIL_FAILED, self._report)(self._render_detail)()

    def _show_error(self, change=None) -> None:
        self.error.value = error_html(self.state.error)

    # ----------------------------------------------------------------- views: read state and results
    def _render_title(self, rubric: Rubric | None) -> None:
        parts = [f"{self.year}年度"]
        if rubric is not None:
            parts.append(f"评分标准版本 {rubric.version}")
        if self.data is not None and self.data.source:
            parts.append(self.data.source)
        self.title.value = (
            f'<h2 style="margin:8px 0 2px;font-size:22px;line-height:1.35">{html.escape(TITLE)}</h2>'
            f'<div style="color:#5b6770;font-size:14px">{html.escape(" · ".join(parts))}</div>'
        )

    def _render_summary(self) -> None:
        data = self.data
        counts = summary(data.results)
        cards = "".join(
            f'<div class="siping-stat" data-key="{key}" style="flex:1 1 90px;min-width:90px;'
            'border:1px solid #e3e6ea;border-radius:6px;padding:8px 10px;background:#fff">'
            f'<div style="font-size:24px;font-weight:600;color:#c0392b">{counts[key]}</div>'
            f'<div style="font-size:13px;color:#5b6770">{html.escape(label)}</div></div>'
            for key, label in SUMMARY_LABELS.items()
        )
        self.summary.value = (
            f'<div style="display:flex;flex-wrap:wrap;gap:8px;margin:10px 0">{cards}</div>'
            + _targets_html(data.rubric, data.results, counts)
        )

    def _render_table(self) -> None:
        data = self.data
        full = results_table(data.results, data.rubric)
        channels = [c.label for c in data.rubric.channels.channels]
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
        veto_ids = data.results.branches["veto_ids"].astype(str).to_numpy()
        fired = np.where(veto_ids == "", 0, np.char.count(veto_ids.astype("U"), ";") + 1)
        table[g.STARS] = [_stars_text(value) for value in data.results.branches["stars"]]
        table[VETO_COUNT] = np.where(fired == 0, "", np.char.add(fired.astype(str), "项"))
        ids = full[g.BRANCH_ID].astype(str)
        self.table.value = scroll_box(
            html_table(
                table,
                decimals=data.rubric.meta.decimals,
                row_attrs=[{"data-branch": branch} for branch in ids],
                nowrap_columns=[g.BRANCH_ID, g.BRANCH_NAME, g.GRADE, g.STATUS, VETO_COUNT],
            ),
            max_height="460px",
            css_class="siping-results",
        )

    def _render_charts(self) -> None:
        data = self.data
        figures = {
            "channels": charts.channel_scores(data.results, data.rubric),
            "vetoes": charts.veto_counts(data.results, data.rubric),
            "ranking": charts.composite_ranking(data.results, data.rubric),
        }
        self.charts = {name: figure_image(fig) for name, fig in figures.items()}
        self.chart_box.children = list(self.charts.values())

    def _render_vetoed(self) -> None:
        data = self.data
        v = data.results.vetoes
        passed = pd.array(v["passed"], dtype="boolean")
        fired = np.asarray((passed == False).fillna(False), dtype=bool)
        unknown = np.asarray(passed.isna(), dtype=bool)
        names = data.results.branches["name"]
        groups = []
        for number, rule in enumerate(data.rubric.veto_rules, start=1):
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
        total = int((data.results.branches["veto_ids"] != "").sum())
        self.vetoed.value = (
            section_title("被否决的支部")
            + f'<p style="margin:2px 0 6px;color:#5b6770">共{total}个支部被至少一条“最强党支部”否决规则否决；'
            "按规则分组，点击标题展开。</p>" + "".join(groups)
        )

    def _fill_picker(self) -> None:
        branches = self.data.results.branches
        options = [(f"{branch_id} {name}", str(branch_id)) for branch_id, name in branches["name"].items()]
        self.branch_picker.options = options
        # Choosing the first branch fires _on_pick → state → detail, like a visitor's choice.
        self.branch_picker.value = options[0][1] if options else None

    def _render_detail(self) -> None:
        branch_id = self.state.branch_id
        data = self.data
        if data is None or branch_id is None or branch_id not in data.results.branches.index:
            self.detail.value = ""
            return
        # The radar first: the detail's heading is what a visitor (and a browser test) waits for.
        set_figure(self.radar, charts.five_strong_radar(data.results, data.rubric, branch_id))
        self.detail.value = _detail_html(data.rubric, data.results, branch_id)


def _workbook_message(path: Path, failure: Exception) -> str:
    problems = getattr(failure, "problems", None) or [failure]
    shown = "\n".join(f"· {p}" for p in problems[:3])
    more = f"\n（另有{len(problems) - 3}处问题）" if len(problems) > 3 else ""
    return f"示例工作簿 {path.name} 无法读取：\n{shown}{more}"


def _targets_html(rubric: Rubric, results: Results, counts: dict[str, int]) -> str:
    total = counts["branches"]
    if not total:
        return ""
    target = next((t for t in rubric.targets.targets if t.year == results.year), None)
    lines = []
    standardized = f"达标率 {counts['standardized'] / total:.1%}（{counts['standardized']}/{total}）"
    if target is not None:
        standardized += f"，{target.year}年目标 {format_percent(target.standardized_share)}以上"
    lines.append(standardized)
    strongest = f"具备最强资格 {counts['strongest'] / total:.1%}（{counts['strongest']}/{total}）"
    if target is not None and target.strongest_share is not None:
        aim = "力争" if target.strongest_is_aim else ""
        basis = "达到“最强党支部”标准" if target.strongest_basis == "meets_standard" else "评定为“最强党支部”"
        strongest += f"，目标{aim} {format_percent(target.strongest_share)}以上{basis}"
    lines.append(strongest)
    if target is not None and target.weak_cleared:
        lines.append(f"软弱涣散 {counts['weak']}个，目标清零")
    return (
        '<div style="font-size:13px;color:#333;line-height:1.6">'
        + "<br>".join(html.escape(line) for line in lines)
        + "</div>"
    )


def _kv_table(rows: list[tuple[str, object]], decimals: int) -> str:
    frame = pd.DataFrame(rows, columns=["项目", "内容"])
    return scroll_box(html_table(frame, decimals=decimals, nowrap_columns=["项目"]))


def _detail_html(rubric: Rubric, results: Results, branch_id: str) -> str:
    b = results.branches.loc[branch_id]
    decimals = rubric.meta.decimals
    stars = b["stars"]
    star_text = "—" if pd.isna(stars) else f"{'★' * int(stars)}（{_stars_text(stars)}）"
    rows: list[tuple[str, object]] = [(c.label, b[c.id]) for c in rubric.channels.channels]
    rows += [
        (g.COMPOSITE, b["composite"]),
        (g.GRADE, b["grade"]),
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


def dashboard_app() -> DashboardApp:
    """The widget the notebook displays."""
    return DashboardApp.from_demo()
