"""The branch's uploaded activity records beside the street's own log, on the 考评 page.

A branch may upload records on its 自评 page (merged into its log by date and type, or replacing it:
:mod:`assessment.store.uploads`). The evaluator's scoring keeps to the street's stored log; this section
shows, record by record, which come from the branch (支部上传: which file, when) and which from the street
(街道记录), and which of the street's records the branch's uploads replaced or dropped, so the evaluator
can check them against the minutes (会议记录). HTML from ``templates/evaluate/branch_log.html.j2``.
"""

from __future__ import annotations

import pandas as pd

from ... import glossary as g
from ...localtime import local_time
from ...store.self_assessments import BranchLog
from ..components import Markup, html_table, macros, scroll_box

__all__ = ["FROM_BRANCH", "FROM_STREET", "branch_log_html"]

FROM_BRANCH = "支部上传"
FROM_STREET = "街道记录"
DISPLACED = {"replaced": "已被支部上传的同日同类记录替换", "removed": "支部整体替换时未列入"}


def _number(value) -> str:
    return "" if value is None else str(value)


def _flag(value) -> str:
    return "" if value is None else g.yes_no(bool(value))


def branch_log_html(log: BranchLog) -> Markup:
    """The note (which log the verdicts use, what the branch uploaded) and, with uploads, one table."""
    views = macros("evaluate/branch_log.html.j2")
    street_count = len(log.street)
    if not log.uploads:
        return views.note(f"本支部本年度没有在自评页上传活动记录；组织生活按{FROM_STREET}（{street_count}条）判断。")
    by_id = {u.id: u for u in log.uploads}
    replaced = {(d.row["date"], d.row["type"]) for d in log.displaced if d.reason == "replaced"}
    rows = []
    for row in log.rows:
        upload = by_id.get(row["origin"])
        if upload is None:
            source, note = FROM_STREET, ""
        else:
            source = FROM_BRANCH
            note = f"{upload.source}，{local_time(upload.at)}上传"
            if (row["date"], row["type"]) in replaced:
                note += "；与街道记录不同"
        rows.append((row, source, note, ""))
    for d in log.displaced:
        upload = by_id.get(d.by)
        when = f"（{upload.source}，{local_time(upload.at)}）" if upload is not None else ""
        rows.append((d.row, FROM_STREET, DISPLACED[d.reason] + when, "siping-displaced"))
    rows.sort(key=lambda r: (str(r[0]["date"]), str(r[0]["type"]), r[1]))
    frame = pd.DataFrame(
        {
            "日期": [str(r[0]["date"]) for r in rows],
            "类型": [str(r[0]["type"]) for r in rows],
            "应到": [_number(r[0]["expected"]) for r in rows],
            "实到": [_number(r[0]["attended"]) for r in rows],
            "有记录": [_flag(r[0]["has_record"]) for r in rows],
            "来源": [r[1] for r in rows],
            "说明": [r[2] for r in rows],
        }
    )
    uploaded = log.uploaded_count
    differing = sum(1 for row in log.rows if row["origin"] is not None and (row["date"], row["type"]) in replaced)
    summary = (
        f"组织生活（结果面板、总览）按{FROM_STREET}（{street_count}条）判断，支部上传的记录不计入，请对照会议记录核对。"
        f"支部在自评页上传过{len(log.uploads)}次，现有上传的记录{uploaded}条"
        f"（其中{differing}条与街道记录同日同类但内容不同）"
        + (f"，替换或删除了{len(log.displaced)}条街道记录" if log.displaced else "")
        + "。"
    )
    table = html_table(
        frame,
        nowrap_columns=["日期", "类型", "来源"],
        row_attrs=[{"class": css} if css else {} for *_rest, css in rows],
    )
    return views.note(summary) + scroll_box(table, max_height="260px")
