"""Views of the 考评 page, each derived from the page state only: the result panel beside the form,
the revision history and the several-evaluators section.

Nothing here writes to the state or the store; every user-typed text goes through
:func:`~assessment.pages.components.escape` or :func:`~assessment.pages.components.html_table`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ... import glossary as g
from ...inputs.frames import member_columns, public_columns
from ...inputs.merge import Disagreement
from ...inputs.payload import FieldProblem
from ...outputs import charts
from ...outputs.fonts import ensure_cjk_font
from ...rubric import Rubric, format_fraction
from ...scoring import Results
from ..components import FULL_WIDTH, escape, figure_image, format_cell, html_list, html_table, scroll_box

__all__ = [
    "LOCAL_ZONE",
    "Reconciled",
    "ResultPanel",
    "branch_channel_bars",
    "history_html",
    "local_time",
    "reconciled_html",
]

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
VETO_STATUS = {True: g.PASS, False: "否决", None: g.UNKNOWN}
REVISION_STATUS = {"submitted": "已提交", "superseded": "已被更正"}
# Smaller than the overview page's charts: they are redrawn while the evaluator types.
CHART_DPI = 80


def local_time(moment: dt.datetime | None, *, seconds: bool = False) -> str:
    """A stored time as Beijing time. A naive time is taken as UTC (what the store writes)."""
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


# ------------------------------------------------------------------ chart
def branch_channel_bars(results: Results, rubric: Rubric, branch_id: str) -> Figure:
    """One branch: the four channel scores and the composite as bars, with the 达标 line."""
    ensure_cjk_font()
    # Fixed margins instead of a layout engine: this chart is redrawn while the evaluator types.
    fig = Figure(figsize=(4.8, 2.3), dpi=CHART_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.19, 0.12, 0.77, 0.84))
    row = results.branches.loc[branch_id]
    labels = [c.label for c in rubric.channels.channels] + [g.COMPOSITE]
    values = [_number(row[c.id]) for c in rubric.channels.channels] + [_number(row["composite"])]
    colours = [charts.COLOURS["channel"]] * (len(labels) - 1) + [charts.COLOURS["threshold"]]
    y = np.arange(len(labels))
    ax.barh(y, [0.0 if v is None else v for v in values], color=colours, height=0.62)
    scale_max = float(rubric.meta.scale_max)
    for row_no, value in enumerate(values):
        text = "无数据" if value is None else f"{value:.{rubric.meta.decimals}f}"
        ax.text((value or 0.0) + scale_max * 0.01, row_no, text, va="center", fontsize=9)
    threshold = charts.standardized_threshold(rubric)
    if threshold is not None:
        ax.axvline(threshold, color=charts.COLOURS["threshold"], linestyle="--", linewidth=1)
        ax.text(
            threshold + scale_max * 0.01,
            -0.75,
            f"达标线{threshold:g}",
            fontsize=8,
            ha="left",
            color=charts.COLOURS["threshold"],
        )
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_ylim(len(labels) - 0.5, -1.0)
    ax.set_xlim(float(rubric.meta.scale_min), scale_max * 1.18)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
    return fig


def _number(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


# ------------------------------------------------------------------ result panel
def _html(value: str = "", css: str = "") -> widgets.HTML:
    box = widgets.HTML(value, layout=widgets.Layout(**FULL_WIDTH))
    if css:
        box.add_class(css)
    return box


class ResultPanel(widgets.VBox):
    """Scores, eligibility, vetoes, gaps and two charts for the branch being evaluated.

    ``show(...)`` re-draws it from the page state. The shown texts are kept as attributes
    (``composite``, ``grade``, ``standardized``, ``stars``, ``strongest``, ``vetoes_shown``,
    ``missing``) so that tests read what a user reads.
    """

    def __init__(self, actions: widgets.Widget | None = None):
        """``actions`` (e.g. the submit controls) is placed right under the scores."""
        super().__init__(layout=widgets.Layout(**FULL_WIDTH))
        self.add_class("siping-panel")
        self.heading = _html('<h3 class="siping-panel-title">评分结果<span>（随填写即时更新）</span></h3>')
        self.scores = _html(css="siping-scores")
        self.eligibility = _html()
        self.problems = _html()
        self.missing_box = _html()
        self.veto_box = _html()
        self.findings = _html()
        self.channel_chart = figure_image()
        self.radar = figure_image()
        self.channel_chart.add_class("siping-channel-chart")
        self.radar.add_class("siping-radar")
        # One line for the top of the page: on a phone the panel sits below the long form.
        self.brief = _html(css="siping-brief")
        self.children = [
            self.heading,
            self.scores,
            *([actions] if actions is not None else []),
            self.problems,
            self.eligibility,
            self.veto_box,
            self.missing_box,
            self.findings,
            self.channel_chart,
            self.radar,
        ]
        self._chart_keys: dict[str, Any] = {}
        self.clear()

    def clear(self) -> None:
        self.composite = self.grade = self.standardized = self.stars = self.strongest = ""
        self.missing = ""
        self.vetoes_shown: dict[str, tuple[str, str]] = {}
        self.scores.value = '<p class="siping-hint">请在上方选择支部并点击“打开”。</p>'
        self.brief.value = ""
        for box in (self.eligibility, self.problems, self.missing_box, self.veto_box, self.findings):
            box.value = ""
        for image in (self.channel_chart, self.radar):
            image.value = b""
            image.layout.display = "none"
        self._chart_keys = {}

    def show(
        self, rubric: Rubric, results: Results | None, branch_id: str | None, problems: Sequence[FieldProblem]
    ) -> None:
        if results is None or branch_id is None or branch_id not in results.branches.index:
            self.clear()
            return
        b = results.branches.loc[branch_id]
        decimals = rubric.meta.decimals
        complete = b["status"] == g.COMPLETE
        self.composite = format_cell(b["composite"], decimals) if complete else g.INCOMPLETE
        self.grade = format_cell(b["grade"]) if complete else "—"
        self.standardized = g.yes_no(bool(b["standardized"]))
        self.stars = "—" if pd.isna(b["stars"]) else f"{int(b['stars'])}星"
        self.strongest = g.yes_no(bool(b["strongest"]))
        self.missing = str(b["missing"] or "")
        self._render_scores(rubric, b, decimals)
        self._render_problems(problems)
        wrong = f' · <span class="bad">{len(problems)}处填写有误</span>' if problems else ""
        self.brief.value = (
            f'<div class="siping-brief-line">{g.COMPOSITE} <b>{escape(self.composite)}</b>'
            f"{'' if not complete else f' · {g.GRADE} <b>{escape(self.grade)}</b>'}{wrong}"
            "（详见下方“评分结果”）</div>"
        )
        self._render_eligibility(rubric, b, complete)
        self._render_vetoes(results, branch_id)
        self.missing_box.value = (
            f'<div class="siping-block"><b>{g.MISSING}</b>：{escape(self.missing)}</div>' if self.missing else ""
        )
        self.findings.value = _findings_html(results, branch_id)
        self._render_charts(rubric, results, branch_id)

    # -- parts
    def _render_scores(self, rubric: Rubric, b: pd.Series, decimals: int) -> None:
        cards = "".join(
            f'<div class="siping-card" data-channel="{c.id}"><div class="v">{escape(format_cell(b[c.id], decimals))}</div>'
            f'<div class="k">{escape(c.label)}</div></div>'
            for c in rubric.channels.channels
        )
        self.scores.value = (
            f'<div class="siping-cards">{cards}</div>'
            '<div class="siping-total">'
            f'<span class="k">{g.COMPOSITE}</span> <span class="siping-composite">{escape(self.composite)}</span>'
            f'<span class="k">{g.GRADE}</span> <span class="siping-grade">{escape(self.grade)}</span></div>'
        )

    def _render_problems(self, problems: Sequence[FieldProblem]) -> None:
        if not problems:
            self.problems.value = ""
            return
        shown = [escape(str(p)) for p in problems[:5]]
        more = [f"另有{len(problems) - 5}处"] if len(problems) > 5 else []
        self.problems.value = (
            f'<div class="siping-bad-block"><b>有{len(problems)}处填写有误</b>（不计入评分，见表单中的红字）：'
            + html_list(shown + more)
            + "</div>"
        )

    def _render_eligibility(self, rubric: Rubric, b: pd.Series, complete: bool) -> None:
        standardized = self.standardized
        if not b["standardized"] and b["standardized_reasons"]:
            standardized += f"（未满足：{b['standardized_reasons']}）"
        rows = [
            (g.STANDARDIZED, standardized),
            (g.STARS, self.stars),
            (g.STRONGEST, self.strongest + (f"（{b['reasons']}）" if b["reasons"] else "")),
            (g.STATUS, b["status"]),
        ]
        if b["weak"]:
            rows.append((g.WEAK, f"是（{b['weak_reasons']}）"))
        if b.get("grade_cap_reasons"):
            rows.insert(0, (g.GRADE_CAP, str(b["grade_cap_reasons"])))
        if rubric.bonus_items and "bonus" in b.index:
            rows.insert(
                0, (f"{rubric.channels.channel('org').label}{g.BONUS}", format_cell(b["bonus"], rubric.meta.decimals))
            )
        body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
        self.eligibility.value = f'<table class="siping-kv">{body}</table>'

    def _render_vetoes(self, results: Results, branch_id: str) -> None:
        vetoes = results.vetoes[results.vetoes["branch_id"] == branch_id].sort_values("order")
        self.vetoes_shown = {}
        items = []
        for row in vetoes.itertuples():
            passed = None if pd.isna(row.passed) else bool(row.passed)
            status = VETO_STATUS[passed]
            self.vetoes_shown[row.rule_id] = (status, str(row.explanation))
            css = {True: "ok", False: "bad", None: "unknown"}[passed]
            items.append(
                f'<li data-rule="{escape(row.rule_id)}"><span class="siping-tag {css}">{status}</span> '
                f"<b>{escape(row.label)}</b>：{escape(row.explanation)}"
                f'<div class="src">来源：{escape(row.source)}</div></li>'
            )
        self.veto_box.value = (
            '<div class="siping-block"><b>“最强党支部”否决规则</b>'
            f'<ol class="siping-vetoes">{"".join(items)}</ol></div>'
        )

    def _render_charts(self, rubric: Rubric, results: Results, branch_id: str) -> None:
        """Redraw a chart only when what it shows has changed: PNG encoding is the costly part."""
        b = results.branches.loc[branch_id]
        bars_key = tuple(_number(b[c]) for c in ("org", "member", "public", "social", "composite"))
        if self._chart_keys.get("bars") != bars_key:
            self.channel_chart.value = charts.to_png(branch_channel_bars(results, rubric, branch_id), dpi=CHART_DPI)
            self.channel_chart.layout.display = None
            self._chart_keys["bars"] = bars_key
        dims = results.dimensions.reindex([branch_id])
        radar_key = (tuple(_number(v) for v in dims.iloc[0].to_numpy()), bool(b["five_strong"]), str(b["name"]))
        if self._chart_keys.get("radar") != radar_key:
            self.radar.value = charts.to_png(charts.five_strong_radar(results, rubric, branch_id), dpi=CHART_DPI)
            self.radar.layout.display = None
            self._chart_keys["radar"] = radar_key


def _findings_html(results: Results, branch_id: str) -> str:
    """Activity-log and structure findings, briefly: only what fails."""
    acts = results.activities[results.activities["branch_id"] == branch_id]
    failed = acts[(acts["met"] == False).fillna(False).to_numpy(dtype=bool)]
    lines = []
    for row in failed.itertuples():
        gap = f"；缺漏：{row.missing_periods}" if row.missing_periods else ""
        lines.append(f"{escape(row.type)}：要求{escape(row.requirement)}，实有{int(row.count)}次{escape(gap)}")
    struct = results.structure[results.structure["branch_id"] == branch_id]
    bad = struct[(struct["passed"] == False).fillna(False).to_numpy(dtype=bool)]
    lines += [f"{escape(row.label)}：{escape(row.explanation)}" for row in bad.itertuples()]
    if not lines:
        return '<div class="siping-block"><b>组织生活与组织设置</b>：活动记录和组织设置均符合要求。</div>'
    return (
        '<div class="siping-block"><b>组织生活与组织设置</b>（来自活动记录和支部基本情况）'
        + html_list(lines)
        + "</div>"
    )


# ------------------------------------------------------------------ history
def history_html(revisions: Sequence[Any]) -> str:
    """The branch's revisions for the year, newest first (every text escaped by html_table)."""
    if not revisions:
        return '<p class="siping-hint">本年度还没有提交记录。</p>'
    ordered = sorted(revisions, key=lambda r: (r.revision_no, r.id), reverse=True)
    frame = pd.DataFrame(
        {
            g.REVISION_NO: [f"第{r.revision_no}号" for r in ordered],
            "时间": [local_time(r.created_at) for r in ordered],
            g.EVALUATOR: [r.evaluator for r in ordered],
            g.RUBRIC_VERSION: [r.rubric_version for r in ordered],
            "状态": [REVISION_STATUS.get(r.status, r.status) for r in ordered],
            "更正原因": [r.reason or "" for r in ordered],
        }
    )
    return scroll_box(
        html_table(
            frame,
            row_attrs=[{"data-revision": str(r.revision_no)} for r in ordered],
            nowrap_columns=[g.REVISION_NO, "时间", g.STATUS],
        ),
        max_height="320px",
        css_class="siping-history",
    )


# ------------------------------------------------------------------ several evaluators
@dataclass(frozen=True)
class Reconciled:
    """Each evaluator's current submission scored, and the reconciled result."""

    submissions: Mapping[str, Any]  # evaluator → Revision
    results: Mapping[str, Results]  # evaluator → their own payload scored
    merged: Results | None  # None with fewer than two evaluators
    disagreements: tuple[Disagreement, ...]


def _value_text(value) -> str:
    if value is None:
        return "未填"
    if isinstance(value, bool):
        return "符合" if value else "不符合"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return format_cell(value)


def _disagreement_label(rubric: Rubric, disagreement: Disagreement) -> str:
    """reconcile labels tallies by their id (``excellent``): show the header users know (优秀)."""
    channel, _, key = disagreement.field.partition(".")
    columns = {"member": member_columns, "public": public_columns}.get(channel)
    if columns is not None:
        header = columns(rubric).get(key)
        if header:
            return f"{rubric.channel(channel).label}·{header}"
    return disagreement.label


def reconciled_html(rubric: Rubric, reconciled: Reconciled | None, branch_id: str | None) -> str:
    if reconciled is None or branch_id is None or not reconciled.submissions:
        return '<p class="siping-hint">还没有考评人提交本支部本年度的考评。</p>'
    decimals = rubric.meta.decimals
    rows = []
    for who, revision in reconciled.submissions.items():
        b = reconciled.results[who].branches.loc[branch_id]
        rows.append(
            {
                g.EVALUATOR: who,
                g.REVISION_NO: f"第{revision.revision_no}号",
                "提交时间": local_time(revision.created_at),
                g.COMPOSITE: b["composite"],
                g.GRADE: b["grade"] if b["status"] == g.COMPLETE else g.INCOMPLETE,
            }
        )
    table = scroll_box(
        html_table(pd.DataFrame(rows), decimals=decimals, nowrap_columns=[g.REVISION_NO, "提交时间"]),
        css_class="siping-submissions",
    )
    spec = rubric.channels.reconciliation
    method = "中位数" if spec.method == "median" else "平均数"
    rule = (
        f"合并方法：数值取{method}；同一指标各人给分之差超过量程的{format_fraction(spec.disagreement_share * 100)}%"
        "（不含本数）或有人未填时标为分歧；档次、等次不一致时取较低者；“不满意查证属实”任一人认定即成立；"
        f"部门意见以最不利者为准。来源：{spec.source}"
    )
    if reconciled.merged is None:
        return table + f'<p class="siping-hint">只有1位考评人提交，提交第二份后在此显示合并结果。{escape(rule)}</p>'
    merged = reconciled.merged.branches.loc[branch_id]
    complete = merged["status"] == g.COMPLETE
    summary = (
        f'<div class="siping-merged"><b>合并结果（{len(reconciled.submissions)}位考评人）</b>：'
        f'{g.COMPOSITE} <span class="siping-merged-composite">'
        f"{escape(format_cell(merged['composite'], decimals) if complete else g.INCOMPLETE)}</span>，"
        f"{g.GRADE} {escape(merged['grade'] if complete else '—')}，"
        f"{g.STANDARDIZED} {g.yes_no(bool(merged['standardized']))}，{g.STRONGEST} {g.yes_no(bool(merged['strongest']))}"
        "</div>"
        f'<p class="siping-hint">{escape(rule)}</p>'
    )
    if reconciled.disagreements:
        items = [
            f'<span data-field="{escape(d.field)}"><b>{escape(_disagreement_label(rubric, d))}</b>：'
            + "；".join(f"{escape(who)} {escape(_value_text(v))}" for who, v in d.values.items())
            + "</span>"
            for d in reconciled.disagreements
        ]
        flags = (
            f'<div class="siping-disagreements"><b>存在分歧的指标（{len(items)}项）</b>' + html_list(items) + "</div>"
        )
    else:
        flags = '<p class="siping-hint">各考评人的评分没有超过阈值的分歧。</p>'
    return table + summary + flags
