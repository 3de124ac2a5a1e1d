"""Views of the 考评 page, each drawn from the page state only: the session line, the draft offer and status,
the submit messages, the result panel beside the form, the revision history and the several-evaluators section.

Nothing here writes to the state or the store. The HTML comes from ``templates/evaluate/views.html.j2``
(autoescaped): these functions choose what to show, the templates how.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ... import glossary as g
from ...inputs.frames import member_columns, public_columns
from ...inputs.merge import Disagreement
from ...inputs.payload import FieldProblem
from ...localtime import LOCAL_ZONE, local_time
from ...outputs import charts
from ...rubric import Rubric, format_fraction
from ...scoring import Results
from ...store.accounts import Identity
from ..components import (
    VETO_CSS,
    VETO_STATUS,
    Markup,
    figure_image,
    format_cell,
    full_width,
    html_box,
    html_table,
    macros,
    scroll_box,
)

__all__ = [
    "LOCAL_ZONE",
    "Reconciled",
    "ResultPanel",
    "draft_offer_html",
    "draft_status_html",
    "history_html",
    "local_time",
    "reconciled_html",
    "session_html",
    "submit_html",
]

REVISION_STATUS = {"submitted": "已提交", "superseded": "已被更正"}
# Smaller than the overview page's charts: they are redrawn while the evaluator types.
CHART_DPI = 80
PROBLEMS_SHOWN = 5


def _views():
    return macros("evaluate/views.html.j2")


# ------------------------------------------------------------------ the session, the draft, submitting
def signed_in_html(who: Identity) -> Markup:
    """评估人: the signed-in person (with the account's role and street), who every record names."""
    return _views().signed_in(who.label)


def session_html(branch_id: str, branch_name: str, year: int, evaluator: str, version: str) -> Markup:
    """正在考评：the open branch, the year, the evaluator (or that none is given) and the rubric version."""
    return _views().session(branch_id, branch_name, year, evaluator, version)


def draft_offer_html(draft: Any, current_version: str, *, replaced: bool = False) -> Markup:
    """The stored draft waiting for 恢复 / 放弃: when it was saved, and under which rubric version;
    ``replaced``: what was typed since has been saved over it (the page still holds it)."""
    return _views().draft_offer(local_time(draft.updated_at), draft.rubric_version, current_version, replaced)


def draft_status_html(text: str, warning: bool) -> Markup:
    return _views().draft_status(text, warning)


def submit_html(notice: str, problems: Sequence[str]) -> Markup:
    """What submitting did: a notice, or the reasons it was refused (the first line, then a list)."""
    return _views().submit_messages(notice, list(problems))


# ------------------------------------------------------------------ result panel
def _number(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


class ResultPanel(widgets.VBox):
    """Scores, eligibility, vetoes, gaps and two charts for the branch being evaluated.

    ``show(...)`` re-draws it from the page state. The shown texts are kept as attributes
    (``composite``, ``grade``, ``standardized``, ``stars``, ``strongest``, ``vetoes_shown``,
    ``missing``) so that tests read what a user reads.
    """

    def __init__(self, actions: widgets.Widget | None = None):
        """``actions`` (e.g. the submit controls) is placed right under the scores."""
        super().__init__(layout=full_width())
        self.add_class("siping-panel")
        self.heading = html_box(_views().panel_heading())
        self.scores = html_box(css="siping-scores")
        self.eligibility = html_box()
        self.problems = html_box()
        self.missing_box = html_box()
        self.veto_box = html_box()
        self.findings = html_box()
        self.channel_chart = figure_image()
        self.radar = figure_image()
        self.channel_chart.add_class("siping-channel-chart")
        self.radar.add_class("siping-radar")
        # One line for the top of the page: on a phone the panel sits below the long form.
        self.brief = html_box(css="siping-brief")
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
        self.scores.value = _views().panel_placeholder()
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
        views = _views()
        b = results.branches.loc[branch_id]
        decimals = rubric.meta.decimals
        complete = b["status"] == g.COMPLETE
        self.composite = format_cell(b["composite"], decimals) if complete else g.INCOMPLETE
        self.grade = format_cell(b["grade"]) if complete else "—"
        self.standardized = g.yes_no(bool(b["standardized"]))
        self.stars = "—" if pd.isna(b["stars"]) else f"{int(b['stars'])}星"
        self.strongest = g.yes_no(bool(b["strongest"]))
        self.missing = str(b["missing"] or "")
        cards = [(c.id, format_cell(b[c.id], decimals), c.label) for c in rubric.channels.channels]
        self.scores.value = views.scores(cards, format_cell(self.composite), format_cell(self.grade))
        self.problems.value = self._problems_html(problems)
        self.brief.value = views.brief(
            format_cell(self.composite), format_cell(self.grade) if complete else None, len(problems)
        )
        self.eligibility.value = views.key_values(self._eligibility_rows(rubric, b))
        self.veto_box.value = self._vetoes_html(results, branch_id)
        self.missing_box.value = views.missing(self.missing)
        self.findings.value = views.findings(_findings(results, branch_id))
        self._render_charts(rubric, results, branch_id)

    # -- parts
    @staticmethod
    def _problems_html(problems: Sequence[FieldProblem]) -> Markup | str:
        if not problems:
            return ""
        shown = [str(p) for p in problems[:PROBLEMS_SHOWN]]
        if len(problems) > PROBLEMS_SHOWN:
            shown.append(f"另有{len(problems) - PROBLEMS_SHOWN}处")
        return _views().problems(shown, len(problems))

    def _eligibility_rows(self, rubric: Rubric, b: pd.Series) -> list[tuple[str, str]]:
        standardized = self.standardized
        if not b["standardized"] and b["standardized_reasons"]:
            standardized += f"（未满足：{b['standardized_reasons']}）"
        rows = [
            (g.STANDARDIZED, standardized),
            (g.STARS, self.stars),
            (g.STRONGEST, self.strongest + (f"（{b['reasons']}）" if b["reasons"] else "")),
            (g.STATUS, b["status"]),
        ]
        if rubric.unused_text():  # meta.yaml uses: not evaluated, so neither 0 nor 缺项
            rows.append((g.NOT_USED, rubric.unused_text()))
        if b["weak"]:
            rows.append((g.WEAK, f"是（{b['weak_reasons']}）"))
        if b.get("grade_cap_reasons"):
            rows.insert(0, (g.GRADE_CAP, str(b["grade_cap_reasons"])))
        if rubric.bonus_items and "bonus" in b.index:
            rows.insert(
                0, (f"{rubric.channels.channel('org').label}{g.BONUS}", format_cell(b["bonus"], rubric.meta.decimals))
            )
        return [(format_cell(k), format_cell(v)) for k, v in rows]

    def _vetoes_html(self, results: Results, branch_id: str) -> Markup:
        vetoes = results.vetoes[results.vetoes["branch_id"] == branch_id].sort_values("order")
        self.vetoes_shown = {}
        rows = []
        for row in vetoes.itertuples():
            passed = None if pd.isna(row.passed) else bool(row.passed)
            status = VETO_STATUS[passed]
            self.vetoes_shown[row.rule_id] = (status, str(row.explanation))
            rows.append((row.rule_id, VETO_CSS[passed], status, row.label, row.explanation, row.source))
        return _views().vetoes(rows)

    def _render_charts(self, rubric: Rubric, results: Results, branch_id: str) -> None:
        """Redraw a chart only when what it shows has changed: PNG encoding is the costly part."""
        b = results.branches.loc[branch_id]
        bars_key = tuple(_number(b[c]) for c in ("org", "member", "public", "social", "composite"))
        if self._chart_keys.get("bars") != bars_key:
            figure = charts.branch_channels(results, rubric, branch_id, live=True)
            self.channel_chart.value = charts.to_png(figure, dpi=CHART_DPI)
            self.channel_chart.layout.display = None
            self._chart_keys["bars"] = bars_key
        dims = results.dimensions.reindex([branch_id])
        radar_key = (tuple(_number(v) for v in dims.iloc[0].to_numpy()), bool(b["five_strong"]), str(b["name"]))
        if self._chart_keys.get("radar") != radar_key:
            self.radar.value = charts.to_png(charts.five_strong_radar(results, rubric, branch_id), dpi=CHART_DPI)
            self.radar.layout.display = None
            self._chart_keys["radar"] = radar_key


def _findings(results: Results, branch_id: str) -> list[str]:
    """Activity-log and structure findings, briefly: only what fails (plain text lines)."""
    acts = results.activities[results.activities["branch_id"] == branch_id]
    failed = acts[(acts["met"] == False).fillna(False).to_numpy(dtype=bool)]
    lines = []
    for row in failed.itertuples():
        gap = f"；缺漏：{row.missing_periods}" if row.missing_periods else ""
        lines.append(f"{format_cell(row.type)}：要求{format_cell(row.requirement)}，实有{int(row.count)}次{gap}")
    struct = results.structure[results.structure["branch_id"] == branch_id]
    bad = struct[(struct["passed"] == False).fillna(False).to_numpy(dtype=bool)]
    lines += [f"{format_cell(row.label)}：{format_cell(row.explanation)}" for row in bad.itertuples()]
    return lines


# ------------------------------------------------------------------ history
def history_html(revisions: Sequence[Any]) -> Markup:
    """The branch's revisions for the year, newest first (every text escaped by the table)."""
    if not revisions:
        return _views().hint("本年度还没有提交记录。")
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


def reconciled_html(rubric: Rubric, reconciled: Reconciled | None, branch_id: str | None) -> Markup:
    views = _views()
    if reconciled is None or branch_id is None or not reconciled.submissions:
        return views.hint("还没有考评人提交本支部本年度的考评。")
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
    tallies = (
        "取居中的一位考评人的整份票数（两位居中时取较低者）"
        if spec.tallies == "median_record"
        else "取得分最低的一位考评人的整份票数"
    )
    rule = (
        f"合并方法：组织评定、社会评价的数值取{method}；党员评议、群众评判的票数{tallies}，不把不同人的数字拼在一起；"
        f"同一指标各人给分之差超过量程的{format_fraction(spec.disagreement_share * 100)}%"
        "（不含本数）或有人未填时标为分歧；档次、等次不一致时取较低者；“不满意查证属实”任一人认定即成立；"
        f"部门意见以最不利者为准。来源：{spec.source}"
    )
    if reconciled.merged is None:
        return table + views.hint(f"只有1位考评人提交，提交第二份后在此显示合并结果。{rule}")
    merged = reconciled.merged.branches.loc[branch_id]
    complete = merged["status"] == g.COMPLETE
    summary = views.merged(
        len(reconciled.submissions),
        format_cell(format_cell(merged["composite"], decimals) if complete else g.INCOMPLETE),
        format_cell(merged["grade"] if complete else "—"),
        g.yes_no(bool(merged["standardized"])),
        g.yes_no(bool(merged["strongest"])),
        rule,
    )
    disagreements = [
        (d.field, _disagreement_label(rubric, d), [(who, _value_text(v)) for who, v in d.values.items()])
        for d in reconciled.disagreements
    ]
    return table + summary + views.disagreements(disagreements)
