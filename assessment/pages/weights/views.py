"""What the 权重分析 page shows, as pure functions of the analysis frames and the draft: HTML from
``templates/weights/views.html.j2`` (autoescaped) and one chart.

Nothing here touches widgets or state; :mod:`assessment.pages.weights.app` calls these with what it
computed and puts the HTML into ``ipywidgets.HTML`` values.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from ... import display
from ... import glossary as g
from ...analysis import Totals
from ...outputs.charts import rank_moves_chart
from ...rubric import Rubric, format_fraction, format_percent
from ...rubric.settings import ChangeLine
from ..components import Markup, format_cell, html_table, info_html, macros, scroll_box

__all__ = [
    "CHANGED_ROW",
    "TABLE_LIMIT",
    "author_html",
    "bonus_note",
    "changes_html",
    "control_head_html",
    "diff_html",
    "draft_changes_html",
    "group_sum_html",
    "intro_html",
    "note_html",
    "rank_moves_chart",
    "ranking_html",
    "rule_html",
    "sensitivity_html",
    "signed_in_html",
    "sub_html",
    "totals_html",
    "unit_html",
    "zero_dimensions_html",
]

CHANGED_ROW = {"class": "siping-changed", "style": "background:#fff4d6"}
TABLE_LIMIT = 300  # rows of a table sent to the browser (a big street: the top, then changed rows)
TOP_ROWS = 100  # of those, the top of the new ranking
LIST_LIMIT = 100  # branches named in a list


def _views():
    return macros("weights/views.html.j2")


def signed_in_html(label: str) -> Markup:
    """已登录：the signed-in person, with the account's role (and street), beside the title."""
    return _views().signed_in(label)


def author_html(label: str) -> Markup:
    """修改人：the signed-in person, who a saved version names as its author."""
    return _views().author(label)


def note_html(text: str) -> Markup:
    """A grey explanation under a heading or beside the controls."""
    return _views().note(text)


def intro_html(text: str) -> Markup:
    """What the page is for, over the two columns."""
    return _views().intro(text)


def rule_html(rule: str, detail: str) -> Markup:
    """The rule the weight controls follow, in a box over them."""
    return _views().rule(rule, detail)


def sub_html(text: str) -> Markup:
    """A small heading inside a section."""
    return _views().sub(text)


def control_head_html(label: str, note: str) -> Markup:
    """A setting's label and where its value comes from, over its control."""
    return _views().control_head(label, note)


def unit_html(unit: str) -> Markup:
    """A number control's unit (%, 分 …) beside it; nothing without one."""
    return _views().unit(unit)


def group_sum_html(total: Fraction, count: int, locked: int, unit: str = "") -> Markup:
    """合计 of a weight group (which must stay 1; a points rubric's 分值: total_points, unit 分), with how
    many are locked."""
    return _views().group_sum(format_fraction(total) + unit, count, locked)


def bonus_note(rubric: Rubric) -> str:
    """How the rubric's bonus items (加分项) enter the 组织评定, for the weights note; '' without any."""
    if not rubric.bonus_items:
        return ""
    spec = rubric.checklist.bonus
    cap = "不封顶" if spec.cap is None else f"合计最多加{format_fraction(spec.cap)}分"
    total = "可超过100分（积分制）" if spec.total_cap is None else f"最高{format_fraction(spec.total_cap)}分"
    names = "、".join(format_cell(f"{i.id} {i.label}") for i in rubric.bonus_items)
    return f"另有加分项（{names}）不参与权重，得分直接加到组织评定上：{cap}，组织评定{total}。"


def zero_dimensions_html(rubric: Rubric) -> Markup:
    """A notice when every item of a 五强 dimension weighs 0: no branch can then be 强 there."""
    empty = [
        d.label
        for d in rubric.checklist.five_strong.dimensions
        if sum((i.weight for i in rubric.base_items if i.strength == d.id), Fraction(0)) == 0
    ]
    if not empty:
        return Markup()
    return info_html(
        f"五强维度“{'、'.join(empty)}”的指标权重合计为 0：任何支部在该维度都无法达到，因而都不具备最强资格。"
    )


def _share(count: int, total: int) -> str:
    return display.count_share(count, total)


def _met(value: bool | None) -> str:
    return "—" if value is None else ("达到" if value else "未达到")


def _short_target(t: Totals) -> str:
    if t.cleared:
        return "清零"
    if t.target is None:
        return "—"
    return f"{format_percent(t.target)}以上"


def totals_html(totals: list[Totals], base_version: str) -> str:
    """The street against the year's targets: current version, after the change, the target (exact
    shares of all branches; the full wording of each target under the table)."""
    rows = []
    for t in totals:
        rows.append(
            {
                "项目": t.label,
                f"当前版本（{base_version}）": _share(t.before, t.total),
                "调整后": _share(t.after, t.total),
                "变化": f"{t.after - t.before:+d}" if t.after != t.before else "—",
                "目标": _short_target(t),
                "调整后是否达到目标": _met(t.met_after),
            }
        )
    frame = pd.DataFrame(rows)
    attrs = [CHANGED_ROW if t.after != t.before else {} for t in totals]
    notes = "；".join(f"{t.label}：{t.target_text}" for t in totals if t.target is not None or t.cleared)
    table = scroll_box(
        html_table(frame, row_attrs=attrs, nowrap_columns=list(frame.columns)), css_class="siping-totals"
    )
    if not notes:
        return table
    return table + _views().table_note(f"目标按全街道支部总数计算（{format_cell(notes)}）。")


def _arrow(before, after, changed: bool, fmt=str) -> str:
    if not changed:
        return fmt(after)
    return f"{fmt(before)} → {fmt(after)}"


def _stars(value) -> str:
    return "—" if pd.isna(value) else f"{int(value)}星"


def _yes(value) -> str:
    return g.yes_no(bool(value))


def _grade(value) -> str:
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value) else str(value)


def _score(value: float) -> str:
    return display.number(value)


def _move(move: int) -> str:
    if move > 0:
        return f"↑{move}"
    if move < 0:
        return f"↓{-move}"
    return "—"


def _display_frame(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "排名": table["rank_after"].to_numpy(),
            "原排名": table["rank_before"].to_numpy(),
            "变化": [_move(int(m)) for m in table["rank_move"]],
            g.BRANCH_ID: table.index.to_numpy(),
            g.BRANCH_NAME: table["name"].to_numpy(),
            g.COMPOSITE: [
                _arrow(b, a, _score(b) != _score(a), _score)
                for b, a in zip(table["composite_before"], table["composite_after"])
            ],
            g.GRADE: [
                _arrow(b, a, c, _grade)
                for b, a, c in zip(table["grade_before"], table["grade_after"], table["grade_changed"])
            ],
            g.STANDARDIZED: [
                _arrow(b, a, c, _yes)
                for b, a, c in zip(
                    table["standardized_before"], table["standardized_after"], table["standardized_changed"]
                )
            ],
            g.STARS: [
                _arrow(b, a, c, _stars)
                for b, a, c in zip(table["stars_before"], table["stars_after"], table["stars_changed"])
            ],
            g.STRONGEST: [
                _arrow(b, a, c, _yes)
                for b, a, c in zip(table["strongest_before"], table["strongest_after"], table["strongest_changed"])
            ],
        },
    )


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    order = np.lexsort(
        (table.index.to_numpy(dtype=str), table["rank_before"].to_numpy(), table["rank_after"].to_numpy())
    )
    return table.iloc[order]


def ranking_html(table: pd.DataFrame) -> str:
    """Every branch by its new rank; rows whose grade, 达标, stars or 最强资格 changed are highlighted."""
    ordered = _ordered(table)
    note = Markup()
    if len(ordered) > TABLE_LIMIT:
        top = np.zeros(len(ordered), dtype=bool)
        top[:TOP_ROWS] = True
        changed = np.flatnonzero(~top & ordered["changed"].to_numpy())[: TABLE_LIMIT - TOP_ROWS]
        keep_rows = np.union1d(np.flatnonzero(top), changed)
        ordered = ordered.iloc[keep_rows]
        note = _views().table_note(
            f"共{len(table)}个支部：表中列出调整后前{TOP_ROWS}名，"
            f"以及等次、达标、星级或最强资格变化的支部（共{len(ordered)}行）。"
        )
    attrs = [
        {**(CHANGED_ROW if changed else {}), "data-branch": str(branch)}
        for branch, changed in zip(ordered.index, ordered["changed"])
    ]
    return note + scroll_box(
        html_table(
            _display_frame(ordered),
            row_attrs=attrs,
            nowrap_columns=["排名", "原排名", "变化", g.BRANCH_ID, g.COMPOSITE, g.GRADE, g.STARS],
        ),
        max_height="520px",
        css_class="siping-ranking",
    )


def changes_html(table: pd.DataFrame, base_version: str) -> str:
    """One sentence on what changed, then the branches whose outcome changed, named."""
    changed = _ordered(table[table["changed"]])
    moved = int((table["rank_move"] != 0).sum())
    if not len(changed) and not moved:
        return _views().unchanged(base_version)
    parts = []
    for column, label in (
        ("grade_changed", g.GRADE),
        ("standardized_changed", g.STANDARDIZED),
        ("stars_changed", g.STARS),
        ("strongest_changed", g.STRONGEST),
    ):
        count = int(table[column].sum())
        if count:
            parts.append(f"{label}变化{count}个")
    head = _views().changes_head(base_version, moved, len(changed), "，".join(parts))
    if not len(changed):
        return head
    items = []
    for branch, row in changed.head(LIST_LIMIT).iterrows():
        what = []
        if row["grade_changed"]:
            what.append(f"等次 {_grade(row['grade_before'])}→{_grade(row['grade_after'])}")
        if row["standardized_changed"]:
            what.append("变为达标" if row["standardized_after"] else "不再达标")
        if row["stars_changed"]:
            what.append(f"星级 {_stars(row['stars_before'])}→{_stars(row['stars_after'])}")
        if row["strongest_changed"]:
            what.append("获得最强资格" if row["strongest_after"] else "失去最强资格")
        items.append((branch, row["name"], format_cell("，".join(what))))
    more = f"另有{len(changed) - LIST_LIMIT}个支部未列出（见下方排名表）。" if len(changed) > LIST_LIMIT else ""
    return head + _views().branch_list(items, "siping-changed-list", more)


def sensitivity_html(table: pd.DataFrame) -> str:
    """Which branches' outcome hangs on the weights, then every branch's stability."""
    spread = table.attrs.get("spread", 0)
    n = table.attrs.get("n", 0)
    seed = table.attrs.get("seed", "")
    hangs = table[table["hangs"]].sort_values(["rank", "name"])
    head = _views().sensitivity_head(f"{spread * 100:g}", n, seed, len(hangs))
    if len(hangs):
        items = [
            (
                branch,
                row["name"],
                (
                    f"{format_cell(row['hangs_on'])}"
                    f"（达标 {display.percent(row['standardized_share'])}，"
                    f"最强资格 {display.percent(row['strongest_share'])} 的模拟中成立）"
                ),
            )
            for branch, row in hangs.head(LIST_LIMIT).iterrows()
        ]
        more = f"另有{len(hangs) - LIST_LIMIT}个支部未列出（见下表）。" if len(hangs) > LIST_LIMIT else ""
        head += _views().branch_list(items, "siping-hangs", more)
    ordered = table.sort_values(["hangs", "rank"], ascending=[False, True])
    if len(ordered) > TABLE_LIMIT:
        ordered = ordered.head(TABLE_LIMIT)
        head += _views().table_note(f"表中列出{TABLE_LIMIT}个支部（结果取决于权重的在前）。")
    frame = pd.DataFrame(
        {
            g.BRANCH_ID: ordered.index.to_numpy(),
            g.BRANCH_NAME: ordered["name"].to_numpy(),
            "当前排名": ordered["rank"].to_numpy(),
            "排名区间": [f"{a}–{b}" for a, b in zip(ordered["rank_min"], ordered["rank_max"])],
            "90%模拟的排名": [f"{a}–{b}" for a, b in zip(ordered["rank_p05"], ordered["rank_p95"])],
            "达标比例": [display.percent(v) for v in ordered["standardized_share"]],
            "最强资格比例": [display.percent(v) for v in ordered["strongest_share"]],
            "保持等次比例": [display.percent(v) for v in ordered["grade_kept_share"]],
            "取决于权重": [v or "—" for v in ordered["hangs_on"]],
        }
    )
    attrs = [CHANGED_ROW if h else {} for h in ordered["hangs"]]
    return head + scroll_box(
        html_table(frame, row_attrs=attrs, nowrap_columns=[g.BRANCH_ID, "当前排名", "排名区间", "90%模拟的排名"]),
        max_height="420px",
        css_class="siping-sensitivity",
    )


def _change_items(lines: list[ChangeLine]) -> list[tuple[str, str, str]]:
    return [(line.label, line.old, line.new) for line in lines]


def draft_changes_html(lines: list[ChangeLine], base_version: str) -> Markup:
    """The settings the draft moves, against the current version, in the rubric's Chinese labels
    (``组织评定 权重 40% → 35%``); nothing while the draft is the current version."""
    if not lines:
        return Markup()
    return _views().edited(base_version, _change_items(lines))


def diff_html(lines: list[ChangeLine], new_version: str, based_on: str, note: str) -> Markup:
    """What the new version changes against the one it is based on, one line per setting, and its note."""
    return _views().diff(new_version, based_on, note, _change_items(lines))
