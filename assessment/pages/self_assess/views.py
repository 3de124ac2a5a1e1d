"""What the 支部自评 page shows, drawn from the state only: the branch's status and history, what an upload did,
the self-check (cards, vetoes foreseen, activity log and structure findings) and the gaps (找不足、补短板).

Pure functions returning HTML from ``templates/self_assess/views.html.j2`` (autoescaped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ...analysis.self_assessment import SelfCheck
from ...localtime import local_time
from ...rubric import Rubric
from ..components import VETO_CSS, VETO_STATUS, Markup, format_cell, html_table, macros, scroll_box

__all__ = [
    "APPLY_HINT",
    "apply_hint_html",
    "findings_html",
    "gaps_html",
    "hint_html",
    "history_html",
    "status_html",
    "summary_html",
    "upload_refused_html",
]

APPLY_HINT = "自评完成、台账上传后，点击“申请考评”：提交本自评，由街道党工委受理考评。"
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


def org_progress(parsed: Mapping[str, Any], rubric: Rubric) -> tuple[int, int]:
    """How many checklist items have a valid score in the parsed payload, of how many (a blank 加分项 is
    not 未评). Cheap — no scoring, no store — so the counter follows every keystroke."""
    org = parsed.get("org") or {}
    base_ids = [i.id for i in rubric.base_items]
    return sum(org.get(item_id) is not None for item_id in base_ids), len(base_ids)


def summary_html(checked: SelfCheck, rubric: Rubric, progress: tuple[int, int] | None = None) -> Markup:
    """Four cards (组织评定, 关键项, 组织生活, 短板), what 达标 still needs, and the vetoes foreseen.

    ``progress`` (:func:`org_progress` of the form as it is now) gives the 已评 counter while ``checked``
    may still be the check of an earlier keystroke; while items are missing the card shows the counter."""
    b = checked.row
    base_ids = [i.id for i in rubric.base_items]  # a blank 加分项 is not 未评
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
        ("组织生活未达到", f"{int(b['activity_failures'])}项"),
        ("待补短板", f"{int((checked.gaps['kind'] != 'bonus').sum())}项"),
    ]
    vetoes = checked.results.vetoes[checked.results.vetoes["branch_id"] == checked.branch_id].sort_values("order")
    rows = []
    for row in vetoes.itertuples():
        passed = None if row.passed is pd.NA else bool(row.passed)
        rows.append((VETO_CSS[passed], VETO_STATUS[passed], row.label, row.explanation))
    standardized = "全部条件" if b["standardized"] else format_cell(b["standardized_reasons"])
    return _views().summary(cards, standardized, rows)


def findings_html(checked: SelfCheck) -> Markup:
    """The activity log against its requirements, the structure rules and (with a roster) the member rules."""
    results = checked.results
    acts = results.activities[results.activities["branch_id"] == checked.branch_id]
    activity_frame = pd.DataFrame(
        {
            "类型": acts["type"].to_numpy(),
            "要求": acts["requirement"].to_numpy(),
            "实有": acts["count"].to_numpy(),
            "缺漏": acts["missing_periods"].to_numpy(),
            "结果": [
                "不适用" if m is pd.NA else ("达到" if m else "未达到") for m in acts["met"].astype(object).tolist()
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
    return _views().findings(
        format_cell(checked.activities_source or "暂无活动记录"),
        html_table(activity_frame, nowrap_columns=["类型", "结果"]),
        checked.roster_note or "",
        structure,
        members,
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
