"""What the 支部自评 page shows, drawn from the state only: the branch's status and history, whether it is
read-only (submitted), what an upload will do (the preview) and did, the upload history, the self-check
(cards, vetoes foreseen, activity log and structure findings), the gaps (找不足、补短板) and what 申请考评 submits.

Pure functions returning HTML from ``templates/self_assess/views.html.j2`` (autoescaped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ... import glossary as g
from ...analysis.self_assessment import SelfCheck
from ...localtime import local_time
from ...rubric import Rubric
from ..components import VETO_CSS, VETO_STATUS, Markup, format_cell, html_table, macros, scroll_box

__all__ = [
    "APPLY_HINT",
    "apply_confirm_html",
    "apply_hint_html",
    "findings_html",
    "gaps_html",
    "hint_html",
    "history_html",
    "locked_html",
    "records_text",
    "status_html",
    "summary_html",
    "upload_done_html",
    "upload_history_html",
    "upload_preview_html",
    "upload_refused_html",
]

APPLY_HINT = (
    "自评完成、台账上传后，点击“申请考评”：先列出将要提交的内容，确认后提交，由街道党工委受理考评。"
    "提交后自评只能查看，不能修改。"
)
MODE_LABELS = {"merge": "合并", "replace": "整体替换"}
KIND_TITLES = {"activities": "活动记录", "roster": "党员名册"}
TYPES_SHOWN = 5  # activity types named in a preview line
NAMES_SHOWN = 8  # members named in a roster preview line
GAPS_SHOWN = 5  # gaps named in the 申请考评 confirmation
PROBLEMS_SHOWN = 20  # of an upload's problems


def _views():
    return macros("self_assess/views.html.j2")


def _mark(passed: Any) -> str:
    return "✔" if passed is True else ("✘" if passed is False else "？")


def hint_html(text: str) -> Markup:
    return _views().hint(text)


def status_html(branch_id: str, name: str, year: int, status: Any) -> Markup:
    """The branch, the year and its workflow status (with how long a designation holds)."""
    period = ""
    if status.designation:
        until = status.valid_until.isoformat() if status.valid_until else "未定"
        period = f"（有效期至 {until}）"
    label = status.label + ("（例外）" if getattr(status, "exception", False) else "")
    return _views().status(branch_id, name, year, label, period)


def apply_hint_html(can_apply: bool, status_label: str) -> Markup:
    return hint_html(APPLY_HINT if can_apply else f"当前状态为“{format_cell(status_label)}”，不需要再申请。")


def history_html(history: Sequence[Any], workflow: Any) -> Markup | str:
    """The branch's workflow moves of the year (who moved it where, why)."""
    if not history:
        return ""
    frame = pd.DataFrame(
        {
            "时间": [local_time(e.at) for e in history],
            "变更": [f"{workflow.state(e.from_status).label}→{workflow.state(e.to_status).label}" for e in history],
            "操作": [workflow.role(e.role).label for e in history],
            "原因": [e.reason for e in history],
        }
    )
    return scroll_box(html_table(frame, nowrap_columns=["时间"]), max_height="220px")


def upload_refused_html(title: str, problems: Sequence[Any]) -> Markup:
    """An upload that was not stored: the located problems (the first 20)."""
    shown = [format_cell(str(p)) for p in problems[:PROBLEMS_SHOWN]]
    more = len(problems) - PROBLEMS_SHOWN if len(problems) > PROBLEMS_SHOWN else 0
    return _views().upload_refused(title, shown, more)


def org_progress(parsed: Mapping[str, Any], rubric: Rubric, kind: str | None = None) -> tuple[int, int]:
    """How many checklist items have a valid score in the parsed payload, of how many (a blank 加分项 is
    not 未评, nor an item that does not apply to a branch of ``kind``). Cheap — no scoring, no store — so
    the counter follows every keystroke."""
    org = parsed.get("org") or {}
    base_ids = [i.id for i in rubric.base_items if i.applies(kind)]
    return sum(org.get(item_id) is not None for item_id in base_ids), len(base_ids)


def summary_html(checked: SelfCheck, rubric: Rubric, progress: tuple[int, int] | None = None) -> Markup:
    """Four cards (组织评定, 关键项, 组织生活, 短板), what 达标 still needs, and the vetoes foreseen.

    ``progress`` (:func:`org_progress` of the form as it is now) gives the 已评 counter while ``checked``
    may still be the check of an earlier keystroke; while items are missing the card shows the counter."""
    b = checked.row
    base_ids = [  # a blank 加分项 is not 未评, nor an item that does not apply to the branch
        i.id for i in rubric.base_items if checked.results.item_applies(checked.branch_id, i.id)
    ]
    if progress is None:
        progress = (int(checked.results.items.loc[checked.branch_id, base_ids].notna().sum()), len(base_ids))
    scored, total = progress
    org = b["org"] if scored == total else float("nan")
    key_short = int(
        (checked.gaps["kind"].eq("item") & checked.gaps["id"].isin([i.id for i in rubric.items if i.key])).sum()
    )
    cards = [
        (
            "组织评定（自评）",
            f"已评{scored}/{total}项" if pd.isna(org) else format_cell(org, rubric.meta.decimals),
        ),
        ("关键项未满分", f"{key_short}项"),
        *([("组织生活未达到", f"{int(b['activity_failures'])}项")] if rubric.uses_condition("activities") else []),
        ("待补短板", f"{int((checked.gaps['kind'] != 'bonus').sum())}项"),
    ]
    vetoes = checked.results.vetoes[checked.results.vetoes["branch_id"] == checked.branch_id].sort_values("order")
    rows = []
    for row in vetoes.itertuples():
        passed = None if row.passed is pd.NA else bool(row.passed)
        rows.append((VETO_CSS[passed], VETO_STATUS[passed], row.label, row.explanation))
    standardized = "无" if b["standardized"] else format_cell(b["standardized_reasons"])
    # Under a rubric that uses only its own sheet (meta.yaml uses) the branch's own form is the whole score.
    street_channels = any(c.id != "org" for c in rubric.channels.channels)
    return _views().summary(cards, standardized, rows, street_channels, bool(rubric.veto_rules))


def findings_html(checked: SelfCheck, rubric: Rubric | None = None) -> Markup:
    """The activity log against its requirements, the structure rules and (with a roster) the member rules;
    only those ``rubric`` checks (meta.yaml uses; None: all)."""
    results = checked.results
    acts = results.activities[results.activities["branch_id"] == checked.branch_id]
    activity_frame = pd.DataFrame(
        {
            "类型": acts["type"].to_numpy(),
            "要求": acts["requirement"].to_numpy(),
            "实有": acts["count"].to_numpy(),
            "缺漏": acts["missing_periods"].to_numpy(),
            "结果": [
                (g.NOT_APPLICABLE if not a else g.UNKNOWN) if m is pd.NA else ("达到" if m else "未达到")
                for m, a in zip(acts["met"].astype(object).tolist(), acts["applicable"].tolist())
            ],
        }
    )
    struct = results.structure[results.structure["branch_id"] == checked.branch_id]
    structure = [(_mark(p), e) for p, e in zip(struct["passed"].astype(object).tolist(), struct["explanation"])]
    members = None
    if checked.members is not None:
        rules = checked.members.rules
        members = [
            (_mark(p), label, e)
            for p, label, e in zip(rules["passed"].astype(object).tolist(), rules["label"], rules["explanation"])
        ]

    def used(condition: str) -> bool:
        return rubric is None or rubric.uses_condition(condition)

    return _views().findings(
        format_cell(checked.activities_source or "暂无活动记录"),
        html_table(activity_frame, nowrap_columns=["类型", "结果"]) if used("activities") else None,
        checked.roster_note or "",
        structure if used("structure") else None,
        members,
        used("members"),
    )


def gaps_html(checked: SelfCheck, decimals: int) -> Markup:
    """The gaps, largest loss first: what is wrong, how to fix it, and whether it blocks 达标."""
    rows = [
        (
            number,
            row.kind,
            bool(row.blocks_standard),
            row.label,
            "" if np.isnan(row.points_lost) else f"，失{row.points_lost:.{decimals}f}分",
            row.finding,
            row.advice,
        )
        for number, row in enumerate(checked.gaps.itertuples(), start=1)
    ]
    return _views().gaps(rows)


def locked_html(reason: str) -> Markup:
    """The banner of a submitted, read-only self-assessment."""
    return _views().locked(reason)


# ------------------------------------------------------------------ uploads
def records_text(rows: Iterable[dict[str, Any]], limit: int = TYPES_SHOWN) -> str:
    """Activity records by type and month: “2025年3月、6月的支部党员大会；2025年1月的党课”."""
    months_by_type: dict[str, list[tuple[int, int]]] = {}
    for row in sorted(rows, key=lambda r: (str(r["date"]), str(r["type"]))):
        day = dt.date.fromisoformat(str(row["date"])[:10])
        months = months_by_type.setdefault(str(row["type"]), [])
        if (day.year, day.month) not in months:
            months.append((day.year, day.month))
    parts = []
    for kind, months in list(months_by_type.items())[:limit]:
        pieces, last_year = [], None
        for year, month in months:
            pieces.append(f"{month}月" if year == last_year else f"{year}年{month}月")
            last_year = year
        parts.append(f"{'、'.join(pieces)}的{kind}")
    return "；".join(parts) + ("等" if len(months_by_type) > limit else "")


def _names_text(rows: Sequence[dict[str, Any]]) -> str:
    names = [str(row["name"]) for row in rows]
    shown = "、".join(names[:NAMES_SHOWN])
    return shown + (f"等{len(names)}人" if len(names) > NAMES_SHOWN else "")


def _preview_lines(plan: Any) -> list[str]:
    counts = plan.counts
    if plan.kind == "roster":
        lines = [f"将用此名册（{len(plan.rows)}人）整表替换现有党员名册（{plan.before}人）。"]
        if counts["added"]:
            lines.append(f"新列入 {counts['added']} 人：{_names_text(plan.added)}。")
        if counts["replaced"]:
            lines.append(f"信息有变化 {counts['replaced']} 人：{_names_text(plan.replaced)}。")
        if counts["removed"]:
            lines.append(f"不再列入 {counts['removed']} 人：{_names_text(plan.removed)}。")
        if counts["unchanged"]:
            lines.append(f"{counts['unchanged']} 人信息不变。")
        return lines
    changes = []
    if counts["added"]:
        changes.append(f"新增 {counts['added']} 条记录（{records_text(plan.added)}）")
    if counts["replaced"]:
        changes.append(f"替换 {counts['replaced']} 条（{records_text(plan.replaced)}）")
    if plan.mode == "replace":
        head = f"将用文件中的 {len(plan.rows)} 条记录整体替换全部活动记录（现有 {plan.before} 条）"
        lines = [head + ("：" + "，".join(changes) if changes else "") + "。"]
        if counts["removed"]:
            lines.append(f"文件中没有的 {counts['removed']} 条原有记录将被删除（{records_text(plan.removed)}）。")
    else:
        lines = ["将" + "，".join(changes) + "。" if changes else "文件中的记录与现有记录相同，导入后没有变化。"]
        lines.append(f"文件中没有的 {counts['kept']} 条原有记录保留不变。")
    if counts["unchanged"]:
        lines.append(f"另有 {counts['unchanged']} 条与现有记录完全相同。")
    if plan.mode == "merge":
        lines.append("按“日期＋类型”对应：同一天同一类型的记录以文件为准。要删除文件中没有的记录，请勾选“整体替换”。")
    return lines


def upload_preview_html(title: str, filename: str, plan: Any) -> Markup:
    """What confirming the upload will do, before anything is stored."""
    return _views().upload_preview(title, filename, _preview_lines(plan))


def upload_done_html(title: str, plan: Any) -> Markup:
    counts = plan.counts
    if plan.kind == "roster":
        text = f"已导入{title}（{plan.source}）：共{len(plan.rows)}人。"
    elif plan.mode == "replace":
        text = (
            f"已导入{title}（{plan.source}，整体替换）：共{len(plan.rows)}条，"
            f"新增{counts['added']}条，替换{counts['replaced']}条，删除{counts['removed']}条。"
        )
    else:
        text = (
            f"已导入{title}（{plan.source}，合并）：新增{counts['added']}条，替换{counts['replaced']}条，"
            f"原有记录保留{counts['kept']}条。"
        )
    return _views().notice_line(text)


def _count(value: int | None) -> str:
    return "—" if value is None else str(value)


def upload_history_html(uploads: Sequence[Any]) -> Markup:
    """The branch's uploads of the year: when, what, which file, how, what it did, by whom."""
    if not uploads:
        return hint_html("本年度还没有上传过台账。")
    frame = pd.DataFrame(
        {
            "时间": [local_time(u.at) for u in uploads],
            "内容": [KIND_TITLES[u.kind] for u in uploads],
            "文件": [u.source for u in uploads],
            "方式": [MODE_LABELS.get(u.mode, u.mode) for u in uploads],
            "新增": [_count(u.counts["added"]) for u in uploads],
            "替换": [_count(u.counts["replaced"]) for u in uploads],
            "相同": [_count(u.counts["unchanged"]) for u in uploads],
            "保留": [_count(u.counts["kept"]) for u in uploads],
            "删除": [_count(u.counts["removed"]) for u in uploads],
            "操作人": [u.actor for u in uploads],
        }
    ).iloc[::-1]
    return scroll_box(html_table(frame, nowrap_columns=["时间", "内容", "方式"]), max_height="220px")


# ------------------------------------------------------------------ 申请考评
def apply_confirm_html(checked: SelfCheck | None, rubric: Rubric, problems: Sequence[Any]) -> Markup:
    """What 申请考评 will submit: the self-scores, the composite, what 达标 still needs, the gaps;
    or the problems that keep it from being submitted."""
    decimals = rubric.meta.decimals
    lines: list[str] = []
    gaps: list[str] = []
    if checked is not None:
        b = checked.row
        base_ids = [i.id for i in rubric.base_items]
        scored = int(checked.results.items.loc[checked.branch_id, base_ids].notna().sum())
        org = b["org"]
        lines.append(
            f"组织评定（自评）：{'未完成' if pd.isna(org) else f'{org:.{decimals}f}分'}，已评{scored}/{len(base_ids)}项"
        )
        composite = b["composite"]
        lines.append(
            "综合得分："
            + (
                "未完成（群众评判、社会评价等由街道党工委考评后才有）"
                if pd.isna(composite)
                else f"{composite:.{decimals}f}"
            )
        )
        lines.append("达标条件：" + ("已全部满足" if b["standardized"] else f"尚未满足——{b['standardized_reasons']}"))
        lines.append(
            f"组织生活（{checked.activities_source or '暂无活动记录'}）：{int(b['activity_failures'])}项未达到"
        )
        open_gaps = checked.gaps[checked.gaps["kind"] != "bonus"]
        blocking = int(open_gaps["blocks_standard"].astype(bool).sum())
        lines.append(f"待补短板：{len(open_gaps)}项，其中影响达标{blocking}项")
        gaps = [str(label) for label in open_gaps["label"].head(GAPS_SHOWN)]
        if len(open_gaps) > GAPS_SHOWN:
            gaps.append(f"……另有{len(open_gaps) - GAPS_SHOWN}项")
    shown = [format_cell(str(p)) for p in problems[:PROBLEMS_SHOWN]]
    return _views().apply_confirm(lines, gaps, shown, len(problems))
