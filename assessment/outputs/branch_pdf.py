"""The printable per-branch report: HTML, and PDF with the Chinese font embedded.

One HTML document serves both: the pages offer it as a PDF download, the CLI writes one PDF per branch
(``assessment report --year Y --out DIR``). It holds the branch's identity, its result, the channel,
area and 五强 charts, each 最强 veto rule and its reason, the activity, structure and member findings,
the item scores (自查分 beside 考核分 where the branch self-assessed), the gap list and the evaluation
group's signature lines.

The PDF is rendered by WeasyPrint (it lays out this same HTML and CSS, and embeds a subset of each font
it uses). The font is named by file in an ``@font-face`` rule — mplfonts' Noto Sans CJK SC (OFL), which
pip installs for every user — so the PDF never depends on which fonts the system has. WeasyPrint needs
Pango from the system (Debian: ``libpango-1.0-0 libpangoft2-1.0-0``; scripts/setup.sh installs them as
root); :func:`pdf_available` says whether it can run here.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import glossary as g
from ..rubric import Rubric
from ..scoring import Results
from . import charts
from .fonts import mplfonts_noto_path

__all__ = ["branch_report_html", "branch_report_pdf", "pdf_available"]

FONT_FAMILY = "SipingCJK"
CSS = """
@page { size: A4; margin: 16mm 14mm 18mm;
  @bottom-center { content: "第 " counter(page) " 页，共 " counter(pages) " 页"; font-size: 8pt; color: #5b6770;
    font-family: %(family)s, "Noto Sans CJK SC", sans-serif; } }
html, body { font-family: %(family)s, "Noto Sans CJK SC", "Noto Sans SC", sans-serif; }
body { font-size: 10pt; line-height: 1.5;
  color: #1f2328; margin: 0; }
h1 { font-size: 17pt; margin: 0 0 2mm; color: #8a1f11; }
h2 { font-size: 12.5pt; margin: 6mm 0 2mm; border-left: 3pt solid #c0392b; padding-left: 2mm; page-break-after: avoid; }
.meta { color: #5b6770; font-size: 9pt; margin-bottom: 3mm; }
table { border-collapse: collapse; width: 100%%; margin: 1mm 0 2mm; page-break-inside: auto; }
th, td { border: 0.5pt solid #c9ced4; padding: 1.2mm 1.6mm; text-align: left; vertical-align: top; }
th { background: #fbf3f2; white-space: nowrap; }
tr { page-break-inside: avoid; }
td.num { text-align: right; white-space: nowrap; }
.ok { color: #1e6b34; } .bad { color: #8a1f11; font-weight: bold; } .unknown { color: #5b6770; }
.charts img { width: 49%%; vertical-align: top; } .charts img.wide { width: 60%%; }
.summary td:first-child { width: 28%%; color: #5b6770; white-space: nowrap; }
.sign { margin-top: 10mm; page-break-inside: avoid; }
.sign p { margin: 5mm 0; }
.line { display: inline-block; border-bottom: 0.6pt solid #1f2328; width: 45mm; margin: 0 3mm; }
.short { width: 18mm; }
.note { color: #5b6770; font-size: 8.5pt; }
"""


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: Pango is missing from the system
        return False
    return True


def _e(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return g.YES if value else g.NO
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return html.escape(str(value))


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _tri(value, yes: str, no: str, unknown: str = g.UNKNOWN) -> str:
    if value is None or value is pd.NA:
        return f'<span class="unknown">{unknown}</span>'
    return f'<span class="ok">{yes}</span>' if bool(value) else f'<span class="bad">{no}</span>'


def _png(fig) -> str:
    return "data:image/png;base64," + base64.b64encode(charts.to_png(fig, dpi=150)).decode("ascii")


def _font_face() -> str:
    path = mplfonts_noto_path()
    if path is None:
        return ""
    return f"@font-face {{ font-family: {FONT_FAMILY}; src: url('{path.as_uri()}'); }}\n"


def branch_report_html(
    rubric: Rubric,
    results: Results,
    branch_id: str,
    *,
    gaps: pd.DataFrame,
    title: str = "党支部标准化规范化考评报告",
    kind_note: str = "",
    branch: pd.Series | None = None,
    status: Any = None,
    history: Sequence[Any] = (),
    member_rules: pd.DataFrame | None = None,
    self_points: pd.Series | None = None,
    signatures: bool = True,
) -> str:
    """The report of one branch as a standalone HTML document (charts inlined as PNG)."""
    b = results.branches.loc[branch_id]
    decimals = rubric.meta.decimals
    name = str(b["name"])
    parts: list[str] = []
    meta = [f"支部编号 {html.escape(branch_id)}", f"{results.year}年度", f"评分标准版本 {html.escape(rubric.version)}"]
    if branch is not None:
        counts = [
            f"正式党员{_e(branch.get('full_members'))}人",
            f"预备党员{_e(branch.get('probationary_members'))}人",
            f"支委会{_e(branch.get('committee_size'))}人",
        ]
        last = branch.get("last_election")
        counts.append(
            "上次换届 " + ("未填写" if last is None or pd.isna(last) else pd.Timestamp(last).strftime("%Y-%m-%d"))
        )
        if branch.get("kind") is not None and not pd.isna(branch.get("kind")) and str(branch.get("kind")):
            counts.append(f"类型 {html.escape(str(branch.get('kind')))}")
        meta.append("，".join(counts))
    meta.append("生成于 " + dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"))
    parts.append(f"<h1>{html.escape(name)}</h1><div><b>{html.escape(title)}</b></div>")
    parts.append(f'<div class="meta">{"；".join(meta)}</div>')
    if kind_note:
        parts.append(f'<p class="note">{html.escape(kind_note)}</p>')

    # --- result
    stars = b["stars"]
    rows = [
        (
            html.escape(c.label),
            _e(b[c.id]) + (f"（加分{_e(b['bonus'])}分）" if c.id == "org" and rubric.bonus_items else ""),
        )
        for c in rubric.channels.channels
    ]
    rows += [
        (g.COMPOSITE, f"<b>{_e(b['composite'])}</b>"),
        (g.GRADE, _e(b["grade"]) + (f"（{_e(b['grade_cap_reasons'])}）" if b.get("grade_cap_reasons") else "")),
        (
            g.STANDARDIZED,
            _tri(b["standardized"], "达标", "未达标")
            + ("" if b["standardized"] else f"（{_e(b['standardized_reasons'])}）"),
        ),
        (g.STARS, "—" if pd.isna(stars) else "★" * int(stars) + f"（{int(stars)}星）"),
        (g.FIVE_STRONG, "全部达到" if b["five_strong"] else "未全部达到"),
        (g.STRONGEST, _tri(b["strongest"], "具备", "不具备")),
        (g.REASONS, _e(b["reasons"])),
        (g.WEAK, (g.YES + f"（{_e(b['weak_reasons'])}）") if b["weak"] else g.NO),
        (g.STATUS, _e(b["status"]) + (f"（{g.MISSING}：{_e(b['missing'])}）" if b["missing"] else "")),
    ]
    if status is not None:
        period = ""
        if getattr(status, "designation", False):
            until = status.valid_until.isoformat() if status.valid_until else "未定（未填写上次换届）"
            period = f"，有效期 {status.valid_from} 至 {until}"
        rows.append(("考评状态", html.escape(status.label) + period))
    parts.append("<h2>一、考评结果</h2>")
    parts.append(
        '<table class="summary"><tbody>'
        + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
        + "</tbody></table>"
    )

    # --- charts
    parts.append('<h2>二、图表</h2><div class="charts">')
    parts.append(f'<img src="{_png(charts.branch_channels(results, rubric, branch_id))}" alt="四评得分">')
    parts.append(f'<img src="{_png(charts.area_shares(results, rubric, branch_id))}" alt="创建内容得分率">')
    parts.append(f'<img class="wide" src="{_png(charts.five_strong_radar(results, rubric, branch_id))}" alt="五强">')
    parts.append("</div>")

    # --- vetoes
    vetoes = results.vetoes[results.vetoes["branch_id"] == branch_id].sort_values("order")
    parts.append("<h2>三、“最强党支部”否决规则</h2>")
    parts.append(
        _table(
            ["序号", "规则", "结果", "说明", "来源"],
            [
                (str(r.order), _e(r.label), _tri(r.passed, g.PASS, "否决"), _e(r.explanation), _e(r.source))
                for r in vetoes.itertuples()
            ],
        )
    )

    # --- findings
    acts = results.activities[results.activities["branch_id"] == branch_id]
    parts.append("<h2>四、组织生活（活动记录）</h2>")
    parts.append(
        _table(
            ["类型", "要求", "实际次数", "缺漏期间", "结果"],
            [
                (
                    _e(r.type),
                    _e(r.requirement),
                    str(int(r.count)),
                    _e(r.missing_periods or ""),
                    _tri(r.met, "达到", "未达到", g.NOT_APPLICABLE),
                )
                for r in acts.itertuples()
            ],
            numeric=(2,),
        )
    )
    struct = results.structure[results.structure["branch_id"] == branch_id]
    parts.append("<h2>五、组织设置</h2>")
    parts.append(
        _table(
            ["规则", "结果", "说明"],
            [(_e(r.label), _tri(r.passed, "符合", "不符合"), _e(r.explanation)) for r in struct.itertuples()],
        )
    )
    if member_rules is not None and len(member_rules):
        mine = member_rules[member_rules["branch_id"] == branch_id]
        parts.append("<h2>六、党员管理（党员名册）</h2>")
        parts.append(
            _table(
                ["规则", "结果", "说明"],
                [(_e(r.label), _tri(r.passed, "符合", "需关注"), _e(r.explanation)) for r in mine.itertuples()],
            )
        )

    # --- items
    points = results.items.loc[branch_id]
    headers = ["指标", "满分", "得分"]
    if self_points is not None:
        headers = ["指标", "满分", "自查分", "考核分", "差"]
    item_rows = []
    for item in rubric.items:
        earned = float(points.get(item.id, np.nan))
        mark = " ★" if item.key else (" （加分项）" if item.bonus else "")
        row = [f"{html.escape(item.id)} {html.escape(item.label)}" + mark, _e(float(item.max))]
        if self_points is not None:
            own = float(self_points.get(item.id, np.nan))
            gap = earned - own if not (np.isnan(own) or np.isnan(earned)) else np.nan  # as the evaluator's page
            row += [_e(own), _e(earned), _e(gap)]
        else:
            row.append(_e(earned))
        item_rows.append(row)
    parts.append("<h2>七、达标清单各指标得分</h2>")
    parts.append(_table(headers, item_rows, numeric=tuple(range(1, len(headers)))))
    parts.append(
        '<p class="note">★ 关键项。'
        + ("“差”为考核分减自查分（负数：自评高于考核）。" if self_points is not None else "")
        + "</p>"
    )

    # --- gaps
    parts.append("<h2>八、找不足、补短板</h2>")
    if len(gaps):
        parts.append(
            _table(
                ["序号", "项目", "失分", "影响达标", "发现的问题", "怎么补"],
                [
                    (
                        str(i),
                        _e(r.label),
                        _e(round(r.points_lost, decimals)) if not np.isnan(r.points_lost) else "—",
                        g.YES if r.blocks_standard else "",
                        _e(r.finding),
                        _e(r.advice),
                    )
                    for i, r in enumerate(gaps.itertuples(), start=1)
                ],
                numeric=(2,),
            )
        )
        parts.append(
            '<p class="note">失分＝权重×（满分−得分）÷满分×100，按组织评定计；规则未达到的不扣分，但可能影响达标。</p>'
        )
    else:
        parts.append("<p>各指标均为满分，组织生活、组织设置与党员管理规则均已达到。</p>")

    if history:
        parts.append("<h2>九、考评流程记录</h2>")
        parts.append(
            _table(
                ["时间", "变更", "角色", "操作人", "原因"],
                [
                    (
                        e.at.astimezone().strftime("%Y-%m-%d %H:%M"),
                        _e(
                            f"{rubric.workflow.state(e.from_status).label} → {rubric.workflow.state(e.to_status).label}"
                        ),
                        _e(rubric.workflow.role(e.role).label),
                        _e(e.actor),
                        _e(e.reason),
                    )
                    for e in history
                ],
            )
        )
    if signatures:
        parts.append(
            '<div class="sign"><h2>考评组意见</h2>'
            '<p>考评组成员签字：<span class="line"></span><span class="line"></span><span class="line"></span></p>'
            '<p>日期：<span class="line short"></span>年<span class="line short"></span>月<span class="line short"></span>日'
            "　　街道党工委（盖章）</p></div>"
        )
    style = CSS % {"family": FONT_FAMILY}
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(name)} {html.escape(title)}</title><style>{_font_face()}{style}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


def branch_report_pdf(document: str) -> bytes:
    """The HTML report as PDF bytes (fonts embedded as subsets)."""
    from weasyprint import HTML

    return HTML(string=document, base_url=None).write_pdf()


def branch_only(inputs, branch_id: str):
    """``inputs`` restricted to one branch (every frame), for scoring one branch of a street."""
    from ..inputs.frames import Inputs

    frames = {}
    for name, frame in inputs.frames().items():
        frames[name] = (
            frame[frame["branch_id"].astype(str) == branch_id].reset_index(drop=True) if len(frame) else frame
        )
    return Inputs(**frames)


def store_branch_report(store, rubric: Rubric, results: Results, branch_id: str, year: int) -> tuple[str, str]:
    """The evaluation report of one branch from the store: the (reconciled) evaluators' result in
    ``results``, the branch's roster findings, its 自查分 and its workflow history. Returns the HTML
    document and a file name stem ``<id>_<name>_<year>年度考评报告``."""
    from ..analysis.self_assessment import payload_item_points
    from ..scoring.gaps import gap_list
    from ..scoring.members import check_members

    roster = store.self_assessments.uploaded(branch_id, year, "roster")
    own = store.self_assessments.current(branch_id, year)
    members = check_members(rubric, roster) if roster is not None and len(roster) else None
    member_rules = members.rules if members is not None else None
    branches = store.records.branches().set_index("branch_id", drop=False)
    document = branch_report_html(
        rubric,
        results,
        branch_id,
        gaps=gap_list(rubric, results, branch_id, member_rules),
        branch=branches.loc[branch_id],
        status=store.workflow.status(branch_id, year),
        history=store.workflow.history(branch_id, year),
        member_rules=member_rules,
        self_points=payload_item_points(rubric, branch_id, own.payload) if own is not None else None,
    )
    name = str(branches.loc[branch_id, "name"])
    stem = "".join("_" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in f"{branch_id}_{name}_{year}年度考评报告")
    return document, stem
