"""What the 总览 page shows, as pure functions of the loaded street (:mod:`assessment.analysis.overview`) and
the visitor's choice: HTML from ``templates/overview/views.html.j2`` (autoescaped) around the tables of
:mod:`~assessment.pages.components`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from ... import display
from ... import glossary as g
from ...analysis import overview as ov
from ...outputs.tables import results_table, summary
from ...rubric import Rubric, format_percent
from ...scoring import Results
from ..components import WIDE_TABLE_HINT, Markup, html_table, macros, scroll_box, section_title

__all__ = [
    "SUMMARY_LABELS",
    "VETO_COUNT",
    "WORKFLOW_STATUS",
    "budget_html",
    "by_street_html",
    "channels_html",
    "detail_html",
    "funnel_html",
    "note_html",
    "results_html",
    "signed_in_html",
    "summary_html",
    "targets_html",
    "vetoed_html",
    "weak_html",
]

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
STREETS_NOTE = "各街道的比例以本街道党支部总数为分母，与全区使用相同的年度目标（001 §一）。"
OPEN_GROUP_LIMIT = 10  # a veto rule's group opens by itself when it names at most this many branches


def _views():
    return macros("overview/views.html.j2")


def note_html(text: str) -> Markup:
    """A grey note under a section."""
    return _views().note(text)


def signed_in_html(label: str) -> Markup:
    """已登录：the signed-in person, with the account's role (and street), beside the title."""
    return _views().signed_in(label)


def _stars_text(stars) -> str:
    return "" if pd.isna(stars) else f"{int(stars)}星"


def _tri_state(values, true_text: str, false_text: str, na_text: str = g.UNKNOWN) -> np.ndarray:
    arr = pd.array(values, dtype="boolean")
    out = np.where(arr.fillna(False).to_numpy(dtype=bool), true_text, false_text).astype(object)
    out[np.asarray(arr.isna())] = na_text
    return out


def summary_html(view: ov.YearView, row: ov.TargetYear, rubric: Rubric) -> Markup:
    """The year's counts as cards, then the year against its targets, one line per figure."""
    counts = summary(view.results)
    designated = view.designated(rubric.workflow.holding("strongest"))
    counts["designated"] = int(designated.sum()) if designated is not None else "—"
    cards = [(key, counts[key], label) for key, label in SUMMARY_LABELS.items()]
    return _views().summary(cards, _target_lines(row))


def _target_lines(row: ov.TargetYear) -> list[str]:
    total = row.total
    if not total:
        return []
    standardized = f"达标率 {display.percent(Fraction(row.standardized, total))}（{row.standardized}/{total}）"
    if row.standardized_target is not None:
        standardized += (
            f"，{row.year}年目标 {format_percent(row.standardized_target)}以上（{ov.met_text(row.standardized_met)}）"
        )
    designated = (
        f"已评定最强 {display.percent(Fraction(row.strongest_designated, total))}（{row.strongest_designated}/{total}）"
        if row.strongest_designated is not None
        else f"已评定最强：{ov.NO_WORKFLOW}"
    )
    qualified = f"达到最强标准（最强资格）{display.percent(Fraction(row.strongest_qualified, total))}（{row.strongest_qualified}/{total}）"
    strongest = f"{designated}；{qualified}"
    if row.strongest_target is not None:
        strongest += f"；目标 {ov.strongest_target_text(row)}（{ov.met_text(row.strongest_met)}）"
    lines = [standardized, strongest]
    if row.weak_cleared:
        lines.append(f"软弱涣散 {row.weak}个，目标动态清零（{ov.met_text(row.weak_met)}）")
    return lines


def by_street_html(district: ov.Street, year: int) -> Markup:
    """The district only: each street's 达标 and 最强 against the year's target."""
    table = ov.street_table(district, year)
    return (
        section_title(f"各街道对比（{year}年度）")
        + scroll_box(html_table(table, nowrap_columns=list(table.columns)))
        + note_html(STREETS_NOTE)
    )


def targets_html(progress: list[ov.TargetYear], scope: str, rubric: Rubric) -> Markup:
    """The street's targets over the years (001 §一), with what the shares are of and how 最强 is counted;
    the notes about particular years come from targets.yaml."""
    table = ov.target_table(progress)
    example = ov.share_example(rubric)
    years = [row.year for row in progress]
    notes = [
        f"比例按{scope}党支部总数计算；“以上”含本数" + (f"（{example}）。" if example else "。"),
        (
            "“最强”有两种口径：已评定最强 = 考评验收流程中本年度评定为“已评定最强”，或以往年度的评定在本年末仍在有效期内"
            "（支委会任期内）且未撤销；达到最强标准（最强资格）= 按评分标准"
            "达标、五强全部达到且没有否决项。"
        ),
        *ov.strongest_target_notes(rubric, years),
        *ov.target_notes(rubric, years),
    ]
    wrapping = "最强目标"
    views = _views()
    return (
        views.column_min_widths("siping-targets", {list(table.columns).index(wrapping) + 1: "13em"})
        + scroll_box(
            html_table(table, nowrap_columns=[c for c in table.columns if c != wrapping]),
            css_class="siping-targets",
            hint=WIDE_TABLE_HINT,
        )
        + views.notes(notes)
    )


def funnel_html(view: ov.YearView, rubric: Rubric) -> Markup:
    """How many branches stand at each step of the workflow."""
    flow = ov.funnel(view, rubric)
    if flow is None:
        return note_html("没有考评验收流程的记录（数据不是来自数据库）。")
    moved = int(
        (view.statuses.reindex(view.branches.index).fillna(rubric.workflow.initial) != rubric.workflow.initial).sum()
    )
    counts = "；".join(f"{label} {count}个" for label, count in zip(flow[g.STATUS], flow["支部数"]))
    return note_html(
        f"{view.year}年度各支部在“支部申请—街道党工委考评—区委组织部验收—最强申报”流程中的状态"
        f"（{moved}个支部已开始流程）：{counts}。"
    )


def channels_html(view: ov.YearView, rubric: Rubric) -> Markup:
    """The four channels' and the composite's averages."""
    rubric = ov.result_rubric(view, rubric)
    averages = ov.channel_averages(view.results, rubric)
    return _views().subtitle("四评平均分") + scroll_box(
        html_table(averages, decimals=rubric.meta.decimals, nowrap_columns=["项目"])
    )


def weak_html(view: ov.YearView, rubric: Rubric, row: ov.TargetYear) -> Markup:
    """The 软弱涣散 branches and why, with the year's aim."""
    weak = ov.weak_list(view, rubric)
    goal = "（本年度目标：动态清零）" if row.weak_cleared else ""
    decided = ov.result_rubric(view, rubric)  # the conditions the year's results were decided with
    rules = "、".join(condition.label for condition in decided.eligibility.weak.any_of)
    head = section_title("软弱涣散支部") + note_html(
        f"共{len(weak)}个{goal}。判定条件（任一即是，评分标准中的选择）：{rules}。"
    )
    if not len(weak):
        return head
    return (
        head
        + _views().column_min_widths("siping-weak", {4: "16em"})
        + scroll_box(
            html_table(
                weak,
                decimals=rubric.meta.decimals,
                nowrap_columns=[g.BRANCH_ID, g.BRANCH_NAME, g.COMPOSITE, WORKFLOW_STATUS],
            ),
            max_height="360px",
        )
    )


def vetoed_html(view: ov.YearView, rubric: Rubric) -> Markup:
    """The branches each veto rule struck (or could not judge), grouped by rule."""
    rubric = ov.result_rubric(view, rubric)
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
        items = [(row.branch_id, names.get(row.branch_id, ""), False, row.explanation) for row in hits.itertuples()]
        items += [(row.branch_id, names.get(row.branch_id, ""), True, row.explanation) for row in unclear.itertuples()]
        count = f"{len(hits)}个支部" + (f"，另{len(unclear)}个{g.UNKNOWN}" if len(unclear) else "")
        groups.append((number, rule, count, 0 < len(items) <= OPEN_GROUP_LIMIT, items))
    total = int((view.branches["veto_ids"] != "").sum())
    return _views().vetoed(total, groups)


def budget_html(view: ov.YearView, rubric: Rubric) -> Markup:
    """The treatment the designations bring (001 §四), measured for the year, with the amounts used."""
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
        f"测算用的金额（文件没有规定，是评分标准中的示例数值，须按本街道实际填写）：{amounts}。",
        (
            "“待定”：来源只说“适当”，比例未定，或金额未填写。已评定最强的支部按最强的规定享受，不再叠加达标的待遇（选择）。"
            "市委评定的“最强党支部”另由市委组织部一次性奖补（金额未定），无法由考评结果预计。"
        ),
    ]
    views = _views()
    return (
        section_title("待遇保障测算（001 §四）")
        + views.column_min_widths("siping-budget", {1: "11em", 2: "8em", 4: "15em", 10: "18em"})
        + scroll_box(
            html_table(table, nowrap_columns=["比例", "已评定支部数"]), css_class="siping-budget", hint=WIDE_TABLE_HINT
        )
        + views.notes(notes)
    )


def results_html(view: ov.YearView, rubric: Rubric) -> Markup:
    """Every branch's results, with its stars, its vetoes counted and its workflow status; the rubric
    version of each branch's result where the year's versions differ."""
    full = results_table(view.results, ov.result_rubric(view, rubric))
    # A channel one of the versions does not use (meta.yaml uses) has no column.
    channels = [c.label for c in rubric.channels.channels if c.label in full.columns]
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
    if view.versions_differ or view.what_if:
        table[g.RUBRIC_VERSION] = full[g.RUBRIC_VERSION].to_numpy()
    ids = full[g.BRANCH_ID].astype(str)
    return scroll_box(
        html_table(
            table,
            decimals=rubric.meta.decimals,
            row_attrs=[{"data-branch": branch} for branch in ids],
            nowrap_columns=[
                g.BRANCH_ID,
                g.BRANCH_NAME,
                g.GRADE,
                g.STATUS,
                VETO_COUNT,
                WORKFLOW_STATUS,
                g.RUBRIC_VERSION,
            ],
        ),
        max_height="460px",
        css_class="siping-results",
    )


def _kv_table(rows: list[tuple[str, object]], decimals: int) -> Markup:
    frame = pd.DataFrame(rows, columns=["项目", "内容"])
    return scroll_box(html_table(frame, decimals=decimals, nowrap_columns=["项目"]))


def detail_html(
    rubric: Rubric,
    results: Results,
    branch_id: str,
    workflow_status: str = "",
    honours: str = "",
    version_note: str = "",
    *,
    activity_basis: str = "",
) -> Markup:
    """One branch: its results, vetoes, activity log and structure, each as a table. ``rubric``: the
    version the branch's result was scored with; ``version_note`` says which one it is, and why."""
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
    if version_note:
        rows.append((g.RUBRIC_VERSION, version_note))

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
    views = _views()
    parts = [
        _kv_table(rows, decimals),
        views.subtitle("“最强党支部”否决规则"),
        scroll_box(html_table(veto_frame, nowrap_columns=["结果"])),
        views.subtitle(f"组织生活（{failed_activities}项未达到）" if failed_activities else "组织生活（全部达到）"),
        note_html(activity_basis) if activity_basis else Markup(""),
        scroll_box(html_table(activity_frame, nowrap_columns=["类型", "结果"])),
        views.subtitle(f"组织设置（{failed_structure}项不符合）" if failed_structure else "组织设置（全部符合）"),
        scroll_box(html_table(structure_frame, nowrap_columns=["结果"])),
        views.subtitle("五强维度"),
    ]
    return views.detail(branch_id, b["name"], parts)
