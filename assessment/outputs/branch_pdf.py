"""The printable per-branch report: HTML, and PDF with the Chinese font embedded.

One HTML document serves both: the pages offer it as a PDF download, the CLI writes one PDF per branch
(``assessment report --year Y --out DIR``). It holds the branch's identity, its result, the channel,
area and 五强 charts, each 最强 veto rule and its reason, the activity, structure and member findings,
the item scores (自查分 beside 考核分 where the branch self-assessed), the gap list and the evaluation
group's signature lines.

This module computes the report's texts (plain values: numbers already formatted, labels, findings);
``templates/branch_report.html.j2`` (with its CSS, ``branch_report.css.j2``) lays them out through an
autoescaping Jinja2 environment, so branch names, reasons and workflow notes are escaped there and
nowhere else.

The PDF is rendered by WeasyPrint (it lays out this same HTML and CSS, and embeds a subset of each font
it uses). The font is named by file in an ``@font-face`` rule — mplfonts' Noto Sans CJK SC (OFL), which
pip installs for every user — so the PDF never depends on which fonts the system has. WeasyPrint needs
Pango from the system (Debian: ``libpango-1.0-0 libpangoft2-1.0-0``; scripts/setup.sh installs them as
root); :func:`pdf_available` says whether it can run here.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from .. import display
from .. import glossary as g
from ..localtime import local_now, local_time
from ..rubric import Rubric
from ..scoring import Results
from ..scoring.explain import explain_item, item_input
from . import charts
from .fonts import mplfonts_noto_path

__all__ = ["branch_report_html", "branch_report_pdf", "decided_branch_report", "pdf_available"]

FONT_FAMILY = "SipingCJK"
EXPLAIN_HEADER = "计算过程"


class Mark(NamedTuple):
    """A yes/no/unknown outcome (None: unknown), shown in its colour by the template, then ``after``."""

    value: bool | None
    yes: str
    no: str
    unknown: str = g.UNKNOWN
    after: str = ""


class Strong(NamedTuple):
    """Text shown in bold."""

    text: str


class Chart(NamedTuple):
    src: str  # a data: URI of the PNG
    alt: str
    wide: bool = False


# Compiled once per process: the template is a package file (templates/branch_report.html.j2) with
# autoescape on — every value passed in is plain text and is escaped there.
TEMPLATES = Environment(
    loader=PackageLoader("assessment.outputs", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    auto_reload=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.tests["mark"] = lambda value: isinstance(value, Mark)
TEMPLATES.tests["strong"] = lambda value: isinstance(value, Strong)


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: Pango is missing from the system
        return False
    return True


def _text(value: Any) -> str:
    """A value as the report shows it: NA as —, booleans as 是/否, floats without trailing zeros."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return g.YES if value else g.NO
    if isinstance(value, float):
        return display.number(value, trim=True)
    return str(value)


def _flag(value: Any) -> bool | None:
    """A rule's outcome for :class:`Mark`: None where unknown (None or NA)."""
    return None if value is None or value is pd.NA else bool(value)


def _png(fig) -> str:
    return "data:image/png;base64," + base64.b64encode(charts.to_png(fig, dpi=150)).decode("ascii")


def _font_uri() -> str | None:
    """The ``file:`` URI of the embedded font (the template's ``@font-face`` rule), None without mplfonts."""
    path = mplfonts_noto_path()
    return None if path is None else path.as_uri()


def _meta(
    rubric: Rubric, results: Results, branch_id: str, branch: pd.Series | None, version_note: str = ""
) -> list[str]:
    meta = [f"支部编号 {branch_id}", f"{results.year}年度", f"评分标准版本 {version_note or rubric.version}"]
    if branch is not None:
        counts = [
            f"正式党员{_text(branch.get('full_members'))}人",
            f"预备党员{_text(branch.get('probationary_members'))}人",
            f"支委会{_text(branch.get('committee_size'))}人",
        ]
        last = branch.get("last_election")
        counts.append(
            "上次换届 " + ("未填写" if last is None or pd.isna(last) else pd.Timestamp(last).strftime("%Y-%m-%d"))
        )
        kind = branch.get("kind")
        if kind is not None and not pd.isna(kind) and str(kind):
            counts.append(f"类型 {kind}")
        meta.append("，".join(counts))
    meta.append("生成于 " + local_now().strftime("%Y-%m-%d %H:%M"))
    return meta


def _result(rubric: Rubric, b: pd.Series, status: Any) -> list[tuple[str, Any]]:
    """The rows of 考评结果: (label, text or Mark or Strong)."""
    rows: list[tuple[str, Any]] = [
        (c.label, _text(b[c.id]) + (f"（加分{_text(b['bonus'])}分）" if c.id == "org" and rubric.bonus_items else ""))
        for c in rubric.channels.channels
    ]
    if rubric.unused_text():  # meta.yaml uses: shown as not used, not as 0
        rows.append((g.NOT_USED, rubric.unused_text()))
    stars = b["stars"]
    standardized = _flag(b["standardized"])
    rows += [
        (g.COMPOSITE, Strong(_text(b["composite"]))),
        (g.GRADE, _text(b["grade"]) + (f"（{_text(b['grade_cap_reasons'])}）" if b.get("grade_cap_reasons") else "")),
        (
            g.STANDARDIZED,
            Mark(
                standardized, "达标", "未达标", after="" if standardized else f"（{_text(b['standardized_reasons'])}）"
            ),
        ),
        (g.STARS, "—" if pd.isna(stars) else "★" * int(stars) + f"（{int(stars)}星）"),
        (g.FIVE_STRONG, "全部达到" if b["five_strong"] else "未全部达到"),
        (g.STRONGEST, Mark(_flag(b["strongest"]), "具备", "不具备")),
        (g.REASONS, _text(b["reasons"])),
        (g.WEAK, (g.YES + f"（{_text(b['weak_reasons'])}）") if b["weak"] else g.NO),
        (g.STATUS, _text(b["status"]) + (f"（{g.MISSING}：{_text(b['missing'])}）" if b["missing"] else "")),
    ]
    if status is not None:
        period = ""
        if getattr(status, "designation", False):
            until = status.valid_until.isoformat() if status.valid_until else "未定（未填写上次换届）"
            period = f"，有效期 {status.valid_from} 至 {until}"
        exception = "（例外）" if getattr(status, "exception", False) else ""
        result = getattr(status, "result", None)
        basis = f"；{result.summary()}" if result is not None else ""
        rows.append(("考评状态", str(status.label) + exception + period + basis))
    return rows


def _items(
    rubric: Rubric,
    results: Results,
    branch_id: str,
    self_points: pd.Series | None,
    entered: Mapping[str, Any] | None = None,
    kind: Any = None,
):
    """The headers and rows of the item table (自查分, 考核分 and their difference where self-assessed;
    the 计算过程 of each item where what was ``entered`` is known — item id → value as entered)."""
    points = results.items.loc[branch_id]
    headers = ["指标", "满分", "得分"] if self_points is None else ["指标", "满分", "自查分", "考核分", "差"]
    if entered is not None:
        headers.append(EXPLAIN_HEADER)
    rows = []
    for item in rubric.items:
        earned = float(points.get(item.id, np.nan))
        mark = " ★" if item.key else (" （加分项）" if item.bonus else "")
        if not item.scored:
            mark = " （否决事项，不计分）"
        row = [f"{item.id} {item.label}{mark}", _text(float(item.max))]
        if not results.item_applies(branch_id, item.id):
            # applies_to: not this kind of branch
            row += [g.NOT_APPLICABLE] * (len(headers) - 2 - (entered is not None))
        elif self_points is not None:
            own = float(self_points.get(item.id, np.nan))
            gap = earned - own if not (np.isnan(own) or np.isnan(earned)) else np.nan  # as the evaluator's page
            row += [_text(own), _text(earned), _text(gap)]
        else:
            row.append(_text(earned))
        if entered is not None:
            row.append(explain_item(item, item_input(item, entered), branch_kind=kind, decimals=rubric.meta.decimals))
        rows.append(row)
    return headers, rows


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
    version_note: str = "",
    entered: Mapping[str, Any] | None = None,
) -> str:
    """The report of one branch as a standalone HTML document (charts inlined as PNG). ``rubric``: the
    version ``results`` were scored with for this branch; ``version_note``: that version as the report
    names it (e.g. “2025.1（评定时的版本；当前版本为 2025.2 …）”), default its number; ``entered``: what was
    entered per item (the 组织评定 input row), for each item's 计算过程 (left out without it).

    This computes the report's texts; ``templates/branch_report.html.j2`` lays them out and escapes them."""
    b = results.branches.loc[branch_id]
    decimals = rubric.meta.decimals
    vetoes = results.vetoes[results.vetoes["branch_id"] == branch_id].sort_values("order")
    acts = results.activities[results.activities["branch_id"] == branch_id]
    struct = results.structure[results.structure["branch_id"] == branch_id]
    members = None
    if member_rules is not None and len(member_rules):
        mine = member_rules[member_rules["branch_id"] == branch_id]
        members = [
            (_text(r.label), Mark(_flag(r.passed), "符合", "需关注"), _text(r.explanation)) for r in mine.itertuples()
        ]
    kind = branch.get("kind") if branch is not None else None
    item_headers, items = _items(rubric, results, branch_id, self_points, entered, kind)
    workflow = rubric.workflow
    return TEMPLATES.get_template("branch_report.html.j2").render(
        family=FONT_FAMILY,
        font_uri=_font_uri(),
        name=str(b["name"]),
        title=title,
        meta=_meta(rubric, results, branch_id, branch, version_note),
        kind_note=kind_note,
        result=_result(rubric, b, status),
        charts=[
            Chart(_png(charts.branch_channels(results, rubric, branch_id)), "四评得分"),
            Chart(_png(charts.area_shares(results, rubric, branch_id)), "创建内容得分率"),
            Chart(_png(charts.five_strong_radar(results, rubric, branch_id)), "五强", wide=True),
        ],
        vetoes=[
            (str(r.order), _text(r.label), Mark(_flag(r.passed), g.PASS, "否决"), _text(r.explanation), _text(r.source))
            for r in vetoes.itertuples()
        ],
        activities=[
            (
                _text(r.type),
                _text(r.requirement),
                str(int(r.count)),
                _text(r.missing_periods or ""),
                Mark(_flag(r.met), "达到", "未达到", g.NOT_APPLICABLE),
            )
            for r in acts.itertuples()
        ],
        structure=[
            (_text(r.label), Mark(_flag(r.passed), "符合", "不符合"), _text(r.explanation)) for r in struct.itertuples()
        ],
        members=members,
        item_headers=item_headers,
        items=items,
        item_numeric=range(1, len(item_headers) - (entered is not None)),
        self_assessed=self_points is not None,
        gaps=[
            (
                str(i),
                _text(r.label),
                display.number(r.points_lost, decimals, trim=True),
                g.YES if r.blocks_standard else "",
                _text(r.finding),
                _text(r.advice),
            )
            for i, r in enumerate(gaps.itertuples(), start=1)
        ],
        history=[
            (
                local_time(e.at),
                f"{workflow.state(e.from_status).label} → {workflow.state(e.to_status).label}",
                _text(workflow.role(e.role).label),
                _text(e.actor),
                _text(e.reason),
                _text(e.basis_text() or "—"),
            )
            for e in history
        ],
        signatures=signatures,
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


def store_branch_report(
    store,
    rubric: Rubric,
    results: Results,
    branch_id: str,
    year: int,
    *,
    version_note: str = "",
    entered: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """The evaluation report of one branch from the store: the (reconciled) evaluators' result in
    ``results`` (scored for this branch with ``rubric``), the branch's roster findings, its 自查分 and its
    workflow history. Returns the HTML document and a file name stem ``<id>_<name>_<year>年度考评报告``."""
    from ..analysis.self_assessment import payload_item_points
    from ..scoring.gaps import gap_list
    from ..scoring.members import check_members

    roster = store.self_assessments.uploaded(branch_id, year, "roster")
    own = store.self_assessments.current(branch_id, year)
    previous = store.self_assessments.uploaded(branch_id, year - 1, "roster")
    collected = rubric.uses_condition("members")  # the 党员名册 is not read when not collected (meta.yaml uses)
    members = check_members(rubric, roster, previous) if collected and roster is not None and len(roster) else None
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
        version_note=version_note,
        entered=entered,
    )
    name = str(branches.loc[branch_id, "name"])
    stem = "".join("_" if ch in '\\/:*?"<>|' or ord(ch) < 32 else ch for ch in f"{branch_id}_{name}_{year}年度考评报告")
    return document, stem


def decided_branch_report(store, branch_id: str, year: int, *, decided=None) -> tuple[str, str]:
    """The report of one branch as its result was decided: scored with the rubric version stored with its
    submissions (:func:`~assessment.analysis.decided.decided_year`), whatever version is current now.
    ``decided``: a :class:`~assessment.analysis.decided.DecidedYear` already read for the year (several
    branches' reports), or a what-if one (:func:`~assessment.analysis.decided.what_if_year`: the report
    then says 假设评分). Returns the HTML document and the file name stem, as :func:`store_branch_report`."""
    from ..analysis.decided import decided_year

    if decided is None:
        decided = decided_year(store, year, [branch_id])
    rubric = decided.rubric_of(branch_id)
    org = decided.org
    rows = org[org["branch_id"].astype(str) == str(branch_id)] if len(org) else org
    return store_branch_report(
        store,
        rubric,
        decided.results,
        branch_id,
        year,
        version_note=decided.version_note(branch_id, store.rubrics.current().version),
        entered=rows.iloc[0].to_dict() if len(rows) else {},
    )
