"""Charts for the pages: one function per chart, each returning a matplotlib ``Figure``.

Figures are built on :class:`matplotlib.figure.Figure`, never through pyplot: pyplot keeps every
figure alive in a module-level registry, which leaks in a long-running Voila kernel. A bare Figure
does not render through ``display()`` in Voila, so pages show :func:`to_png` bytes in an
``ipywidgets.Image``. Every text is Simplified Chinese; the CJK font is set up once, lazily, so that
importing this module costs nothing and no "Glyph … missing" warning ever reaches a page. matplotlib itself
is imported when the first chart is drawn, not with this module: a page that has not drawn a chart yet
(the 考评 page before a branch opens, the 自评 page before a code is entered) does not carry it.
"""

from __future__ import annotations

import io
import math
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import display
from .. import glossary as g
from ..rubric import Rubric
from ..scoring import Results

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "area_shares",
    "branch_channels",
    "channel_scores",
    "composite_ranking",
    "five_strong_radar",
    "standardized_threshold",
    "star_distribution",
    "targets_over_years",
    "to_png",
    "veto_counts",
    "workflow_funnel",
]

# ~6 in at 100 dpi: sharp on a desktop column, scaled down to a 390 px phone by the Image widget.
WIDTH_IN = 6.0
DPI = 100

COLOURS = {
    "strongest": "#c0392b",  # 最强资格: the Party red
    "standardized": "#e39b3b",  # 达标
    "not_standardized": "#9aa5b1",  # 未达标
    "channel": "#c0392b",
    "point": "#5b6770",
    "threshold": "#1f4e79",
    "unknown": "#c9ced4",
}
STRONGEST_LEGEND = "具备最强资格"
STANDARDIZED_LEGEND = "达标"
NOT_STANDARDIZED_LEGEND = "未达标"


@cache
def _font() -> str:
    from .fonts import ensure_cjk_font

    return ensure_cjk_font()


def _figure(height_in: float, width_in: float = WIDTH_IN, *, constrained: bool = True) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _font()
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained" if constrained else None)
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes, for ``ipywidgets.Image(value=..., format="png")``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    return buffer.getvalue()


def standardized_threshold(rubric: Rubric | None) -> float | None:
    """The composite score the 达标 condition asks for, if the rubric has one (``score_at_least``)."""
    if rubric is None:
        return None
    for condition in rubric.eligibility.standardized.conditions:
        if condition.type == "score_at_least" and condition.target == "composite":
            return float(condition.threshold)
    return None


def channel_scores(results: Results, rubric: Rubric) -> Figure:
    """Per channel of the 四评: the spread of branch scores (box), every branch (dots), the mean."""
    fig = _figure(3.8)
    ax = fig.add_subplot()
    labels, columns = [], []
    for channel in rubric.channels.channels:
        values = results.branches[channel.id].astype("float64").to_numpy()
        labels.append(channel.label)
        columns.append(values[~np.isnan(values)])
    positions = np.arange(1, len(columns) + 1)
    drawn = [(p, c) for p, c in zip(positions, columns) if len(c)]
    if drawn:
        ax.boxplot(
            [c for _, c in drawn],
            positions=[p for p, _ in drawn],
            widths=0.55,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "#f6dcd8", "edgecolor": COLOURS["channel"]},
            medianprops={"color": COLOURS["channel"], "linewidth": 2},
            whiskerprops={"color": COLOURS["channel"]},
            capprops={"color": COLOURS["channel"]},
        )
    rng = np.random.default_rng(0)  # fixed jitter: the same data always draws the same picture
    for position, values in drawn:
        jitter = rng.uniform(-0.18, 0.18, len(values))
        ax.scatter(position + jitter, values, s=10, color=COLOURS["point"], alpha=0.6, zorder=3, linewidths=0)
        ax.scatter([position], [values.mean()], marker="D", s=28, color=COLOURS["threshold"], zorder=4)
    tick_labels = [
        f"{label}\n平均{display.number(c.mean(), rubric.meta.decimals)}（{len(c)}个）" if len(c) else f"{label}\n无数据"
        for label, c in zip(labels, columns)
    ]
    ax.set_xticks(positions, tick_labels, fontsize=9)
    scale_max = float(rubric.meta.scale_max)
    # A little room below the scale: a branch scoring exactly 0 stays visible.
    ax.set_ylim(float(rubric.meta.scale_min) - scale_max * 0.03, scale_max * 1.04)
    ax.set_ylabel("得分")
    ax.set_title("四评各项得分分布（每点一个支部）")
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def composite_ranking(results: Results, rubric: Rubric | None = None) -> Figure:
    """Branches ranked by 综合得分, coloured by 最强资格 / 达标 / 未达标, with the 达标 line."""
    from matplotlib.patches import Patch

    b = results.branches
    composite = b["composite"].astype("float64").to_numpy()
    order = np.lexsort((b.index.to_numpy(dtype=str), -np.nan_to_num(composite, nan=-np.inf)))
    b = b.iloc[order]
    composite = composite[order]
    n = len(b)
    fig = _figure(max(2.5, 0.8 + 0.19 * n))
    ax = fig.add_subplot()
    strongest = b["strongest"].to_numpy(dtype=bool)
    standardized = b["standardized"].to_numpy(dtype=bool)
    colours = np.where(
        strongest,
        COLOURS["strongest"],
        np.where(standardized, COLOURS["standardized"], COLOURS["not_standardized"]),
    )
    y = np.arange(n)
    ax.barh(y, np.nan_to_num(composite, nan=0.0), color=colours, height=0.72)
    for row in np.flatnonzero(np.isnan(composite)):
        ax.text(1, row, g.INCOMPLETE, va="center", fontsize=7, color=COLOURS["point"])
    names = [_shorten(str(name), 12) for name in b["name"]]
    ax.set_yticks(y, names, fontsize=7 if n > 25 else 9)
    ax.invert_yaxis()
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlim(0, 100)
    handles = [
        Patch(color=COLOURS["strongest"], label=STRONGEST_LEGEND),
        Patch(color=COLOURS["standardized"], label=STANDARDIZED_LEGEND),
        Patch(color=COLOURS["not_standardized"], label=NOT_STANDARDIZED_LEGEND),
    ]
    threshold = standardized_threshold(rubric)
    if threshold is not None:
        line = ax.axvline(threshold, color=COLOURS["threshold"], linestyle="--", linewidth=1.2)
        line.set_label(f"达标线{threshold:g}分")
        handles.append(line)
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncols=len(handles),
        fontsize=8,
        frameon=False,
    )
    ax.set_xlabel(g.COMPOSITE)
    ax.set_title(f"{g.COMPOSITE}排名（{n}个支部）", pad=22)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def veto_counts(results: Results, rubric: Rubric) -> Figure:
    """How many branches each 最强 veto rule fired for (and could not be judged for), in rule order."""
    v = results.vetoes
    passed = pd.array(v["passed"], dtype="boolean")
    fired = pd.Series((passed == False).fillna(False).to_numpy(dtype=bool))
    unknown = pd.Series(np.asarray(passed.isna(), dtype=bool))
    rule_ids = v["rule_id"].to_numpy()
    fired_counts = fired.groupby(rule_ids).sum()
    unknown_counts = unknown.groupby(rule_ids).sum()
    rules = list(rubric.veto_rules)
    counts = np.array([int(fired_counts.get(r.id, 0)) for r in rules])
    unknowns = np.array([int(unknown_counts.get(r.id, 0)) for r in rules])
    total = len(results.branches)

    fig = _figure(3.2)
    ax = fig.add_subplot()
    y = np.arange(len(rules))
    ax.barh(y, counts, color=COLOURS["strongest"], height=0.42, label="否决")
    if unknowns.any():
        ax.barh(y, unknowns, left=counts, color=COLOURS["unknown"], height=0.42, label=g.UNKNOWN)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    for row, (count, unknown_count) in enumerate(zip(counts, unknowns)):
        text = f"{count}个" + (f"（另{unknown_count}个{g.UNKNOWN}）" if unknown_count else "")
        ax.text(count + unknown_count + total * 0.01, row, text, va="center", fontsize=8)
    for row, rule in enumerate(rules):
        ax.text(0, row - 0.42, f"{row + 1}. {rule.label}", va="bottom", fontsize=9)
    ax.set_yticks([])
    ax.set_ylim(len(rules) - 0.6, -0.95)
    ax.set_xlim(0, max(total, 1) * 1.25)
    ax.set_xlabel(f"支部数（共{total}个）")
    ax.set_title("“最强党支部”否决规则触发情况")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right", "left"]].set_visible(False)
    return fig


def five_strong_radar(results: Results, rubric: Rubric, branch_id: str) -> Figure:
    """One branch's 五强 dimension shares (%) on a radar, with the rubric's threshold ring."""
    five = rubric.checklist.five_strong
    dims = list(five.dimensions)
    shares = results.dimensions.reindex([branch_id])
    values = np.array([float(shares.iloc[0].get(d.id, np.nan)) for d in dims], dtype="float64")
    threshold = float(five.threshold) * 100
    name = str(results.branches.loc[branch_id, "name"]) if branch_id in results.branches.index else branch_id

    # Narrower than the others: a radar is round, and on a phone its labels then stay legible.
    fig = _figure(4.6, width_in=4.8)
    ax = fig.add_subplot(projection="polar")
    angles = np.linspace(0, 2 * math.pi, len(dims), endpoint=False)
    closed = np.append(angles, angles[0])
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ring = np.full(len(closed), threshold)
    ax.plot(
        closed,
        ring,
        color=COLOURS["threshold"],
        linestyle="--",
        linewidth=1.2,
        label=f"达到线{display.percent(five.threshold, display.RULE_DECIMALS)}",
    )
    known = np.nan_to_num(values, nan=0.0)
    ax.plot(closed, np.append(known, known[0]), color=COLOURS["strongest"], linewidth=2, label="本支部得分率")
    ax.fill(closed, np.append(known, known[0]), color=COLOURS["strongest"], alpha=0.18)
    tick_labels = [f"{d.label}\n{'无数据' if np.isnan(v) else display.percent_points(v)}" for d, v in zip(dims, values)]
    ax.set_xticks(angles, tick_labels, fontsize=9)
    ax.tick_params(axis="x", pad=12)
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 100], ["20", "40", "60", "100"], fontsize=7, color=COLOURS["point"])
    ax.set_rlabel_position(36)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=2, fontsize=8, frameon=False)
    # The verdict comes from scoring (exact arithmetic), not from comparing the rounded shares drawn here.
    all_strong = bool(results.branches["five_strong"].get(branch_id, False))
    verdict = "五强全部达到" if all_strong else "五强未全部达到"
    ax.set_title(f"{_shorten(name, 16)}：五强维度得分率（{verdict}）", fontsize=11, pad=18)
    return fig


def _value(value) -> float | None:
    if value is None or value is pd.NA:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def branch_channels(results: Results, rubric: Rubric, branch_id: str, *, live: bool = False) -> Figure:
    """One branch: the four channel scores and the composite as bars, with the 达标 line ("无数据" where missing).

    ``live``: the smaller figure the 考评 page redraws while the evaluator types, with fixed margins instead of
    a layout engine (laying out is the slow part of drawing it).
    """
    if live:
        fig = _figure(2.3, width_in=4.8, constrained=False)
        ax = fig.add_axes((0.19, 0.12, 0.77, 0.84))
    else:
        fig = _figure(2.6, width_in=5.2)
        ax = fig.add_subplot()
    row = results.branches.loc[branch_id]
    labels = [c.label for c in rubric.channels.channels] + [g.COMPOSITE]
    values = [_value(row[c.id]) for c in rubric.channels.channels] + [_value(row["composite"])]
    colours = [COLOURS["channel"]] * (len(labels) - 1) + [COLOURS["threshold"]]
    y = np.arange(len(labels))
    ax.barh(y, [0.0 if v is None else v for v in values], color=colours, height=0.62)
    scale_max = float(rubric.meta.scale_max)
    for row_no, value in enumerate(values):
        text = "无数据" if value is None else display.number(value, rubric.meta.decimals)
        ax.text((value or 0.0) + scale_max * 0.01, row_no, text, va="center", fontsize=9)
    threshold = standardized_threshold(rubric)
    if threshold is not None:
        ax.axvline(threshold, color=COLOURS["threshold"], linestyle="--", linewidth=1)
        ax.text(threshold + scale_max * 0.01, -0.75, f"达标线{threshold:g}", fontsize=8, color=COLOURS["threshold"])
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_ylim(len(labels) - 0.5, -1.0)
    ax.set_xlim(float(rubric.meta.scale_min), scale_max * 1.18)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
    return fig


def area_shares(results: Results, rubric: Rubric, branch_id: str) -> Figure:
    """One branch's 组织评定 by 创建内容 area (001 §二; a street's sheet: its top level, with every item
    below it): share of the area's weighted points, in %."""
    areas = [a for a in rubric.checklist.areas if a.parent is None]
    points = results.items.loc[branch_id]
    shares = []
    for area in areas:
        items = [  # 加分项 are not part of a share, nor items that do not apply to the branch (applies_to)
            i for i in rubric.checklist.items_under(area.id) if not i.bonus and results.item_applies(branch_id, i.id)
        ]
        weight = sum(float(i.weight) for i in items)
        earned = [float(points.get(i.id, np.nan)) for i in items]
        if not items or any(math.isnan(e) for e in earned):
            shares.append(None)
            continue
        shares.append(sum(float(i.weight) * e / float(i.max) for i, e in zip(items, earned)) / weight * 100)
    fig = _figure(2.4, width_in=5.2)
    ax = fig.add_subplot()
    y = np.arange(len(areas))
    ax.barh(y, [0.0 if s is None else s for s in shares], color=COLOURS["standardized"], height=0.6)
    for row_no, share in enumerate(shares):
        ax.text(
            (share or 0.0) + 1,
            row_no,
            "未评完" if share is None else display.percent_points(share),
            va="center",
            fontsize=9,
        )
    ax.set_yticks(y, [a.label for a in areas], fontsize=9)
    ax.set_ylim(len(areas) - 0.5, -0.5)
    ax.set_xlim(0, 118)
    ax.set_xlabel("得分率（%）", fontsize=9)
    ax.set_title("组织评定：各项创建内容得分率", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
    return fig


# ------------------------------------------------------------------ 总览: the street over the years
# A workflow state's colour by what it stands for (its marker in rubrics/workflow.yaml), never by its id;
# states without a marker (still in progress) take the threshold blue.
WORKFLOW_COLOURS = {
    "standardized": COLOURS["standardized"],
    "strongest": COLOURS["strongest"],
    "city": COLOURS["strongest"],
    "fails": COLOURS["not_standardized"],
    "revokes": COLOURS["not_standardized"],
}


def _percent_axis(ax) -> None:
    ax.set_ylim(0, 1.12)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0], ["0", "20%", "40%", "60%", "80%", "100%"], fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


def _share_label(ax, x: float, value: float, width: float) -> None:
    if not math.isnan(value):
        ax.text(x, value + 0.015, display.percent(value), ha="center", va="bottom", fontsize=7.5)


def _target_marks(ax, x: np.ndarray, targets: np.ndarray, notes: list[str], label: str, width: float) -> None:
    """Each year's target as a short bar over its group with its note, joined by a thin dashed line."""
    shown = ~np.isnan(targets)
    for position, target, note in zip(x, targets, notes):
        if math.isnan(target):
            continue
        ax.hlines(target, position - width, position + width, colors=COLOURS["threshold"], linewidth=2)
        ax.text(position, target + 0.025, note, ha="center", va="bottom", fontsize=7.5, color=COLOURS["threshold"])
    if shown.any():
        ax.plot(x[shown], targets[shown], color=COLOURS["threshold"], linestyle="--", linewidth=1, label=label)


def targets_over_years(progress: pd.DataFrame) -> Figure:
    """Each year's share of 达标 and of 最强 against the targets of 001 §一.

    ``progress`` has one row per year with shares 0–1: ``standardized``, ``standardized_target``,
    ``qualified`` (最强资格), ``designated`` (已评定最强), ``strongest_target``, ``strongest_is_aim`` and
    ``strongest_basis`` (designated / meets_standard); NaN where there is no figure.
    """
    fig = _figure(5.6)
    top, bottom = fig.subplots(2, 1)
    years = progress["year"].astype(int).to_numpy()
    x = np.arange(len(years), dtype=float)
    labels = [f"{year}年" for year in years]

    standardized = progress["standardized"].astype("float64").to_numpy()
    top.bar(x, np.nan_to_num(standardized), width=0.5, color=COLOURS["standardized"], label="实际达标率")
    for position, value in zip(x, standardized):
        _share_label(top, position, value, 0.5)
    std_targets = progress["standardized_target"].astype("float64").to_numpy()
    notes = [
        f"目标{display.percent(target, display.RULE_DECIMALS)}以上" if not math.isnan(target) else ""
        for target in std_targets
    ]
    _target_marks(top, x, std_targets, notes, "年度目标", 0.32)
    top.set_xticks(x, labels, fontsize=9)
    _percent_axis(top)
    top.set_title("标准化规范化（达标）党支部比例与年度目标", fontsize=10)
    top.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)

    designated = progress["designated"].astype("float64").to_numpy()
    qualified = progress["qualified"].astype("float64").to_numpy()
    width = 0.34
    bottom.bar(x - width / 2, np.nan_to_num(designated), width=width, color=COLOURS["strongest"], label="已评定最强")
    bottom.bar(x + width / 2, np.nan_to_num(qualified), width=width, color="#e8a09a", label="达到最强标准（最强资格）")
    for position, value in zip(x, designated):
        if math.isnan(value):
            bottom.text(position - width / 2, 0.015, "无流程\n记录", ha="center", va="bottom", fontsize=6.5)
        _share_label(bottom, position - width / 2, value, width)
    for position, value in zip(x, qualified):
        _share_label(bottom, position + width / 2, value, width)
    targets = progress["strongest_target"].astype("float64").to_numpy()
    notes = [
        ""
        if math.isnan(target)
        else ("力争" if aim else "目标")
        + f"{display.percent(target, display.RULE_DECIMALS)}以上"
        + ("（按达到标准计）" if basis == "meets_standard" else "（按评定计）")
        for target, aim, basis in zip(targets, progress["strongest_is_aim"], progress["strongest_basis"])
    ]
    _target_marks(bottom, x, targets, notes, "年度目标", 0.4)
    bottom.set_xticks(x, labels, fontsize=9)
    _percent_axis(bottom)
    bottom.set_title("“最强党支部”比例与年度目标", fontsize=10)
    bottom.legend(loc="upper left", fontsize=8, frameon=False, ncols=3)
    return fig


def workflow_funnel(funnel: pd.DataFrame) -> Figure:
    """How many branches are at each status of the workflow (``marker``, ``状态``, ``支部数`` in order:
    :func:`assessment.analysis.overview.funnel`)."""
    labels = [str(label) for label in funnel["状态"]]
    counts = funnel["支部数"].astype(int).to_numpy()
    colours = [WORKFLOW_COLOURS.get(str(marker), COLOURS["threshold"]) for marker in funnel["marker"]]
    total = int(counts.sum())
    fig = _figure(max(2.4, 0.7 + 0.3 * len(labels)))
    ax = fig.add_subplot()
    y = np.arange(len(labels))
    ax.barh(y, counts, color=colours, height=0.62)
    for row, count in enumerate(counts):
        ax.text(count + max(total, 1) * 0.01, row, f"{count}个", va="center", fontsize=8.5)
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, max(int(counts.max()) if len(counts) else 1, 1) * 1.18)
    ax.set_xlabel(f"支部数（共{total}个）", fontsize=9)
    ax.set_title("考评验收流程：各状态的支部数", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=8)
    return fig


def star_distribution(stars: pd.DataFrame) -> Figure:
    """Branches per star level (``星级``, ``支部数``; the last row: without stars)."""
    from matplotlib.ticker import MaxNLocator

    labels = [str(label) for label in stars[g.STARS]]
    counts = stars["支部数"].astype(int).to_numpy()
    fig = _figure(2.8)
    ax = fig.add_subplot()
    x = np.arange(len(labels))
    colours = [COLOURS["strongest"]] * (len(labels) - 1) + [COLOURS["unknown"]]
    ax.bar(x, counts, color=colours, width=0.6)
    for position, count in zip(x, counts):
        ax.text(position, count + 0.2, f"{count}个", ha="center", va="bottom", fontsize=8.5)
    short = [label.replace("（", "\n（") for label in labels]
    ax.set_xticks(x, short, fontsize=9)
    ax.set_ylim(0, max(int(counts.max()) if len(counts) else 1, 1) * 1.2)
    ax.set_ylabel("支部数", fontsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 2.5 个支部 on the axis
    ax.set_title(f"星级分布（共{int(counts.sum())}个支部）", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="y", labelsize=8)
    return fig


def rank_moves_chart(table: pd.DataFrame, limit: int = 20) -> Figure:
    """Rank moves after the change: one bar per branch that moved (the largest moves when many)."""
    from matplotlib.ticker import MaxNLocator

    moved = table[table["rank_move"] != 0]
    if len(moved) > limit:
        order = np.argsort(-np.abs(moved["rank_move"].to_numpy()), kind="stable")[:limit]
        moved = moved.iloc[order]
    moved = moved.iloc[np.argsort(-moved["rank_move"].to_numpy(), kind="stable")]
    n = len(moved)
    height = max(0.8, 1.0 + 0.24 * n)
    # Fixed margins, not constrained layout: redrawn on every slider move, it draws a third faster.
    fig = _figure(height, constrained=False)
    ax = fig.add_subplot()
    if not n:
        ax.text(0.5, 0.5, "排名没有变化", ha="center", va="center", fontsize=12, transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    fig.subplots_adjust(left=0.4, right=0.97, top=1 - 0.45 / height, bottom=0.55 / height)
    moves = moved["rank_move"].to_numpy()
    y = np.arange(n)
    ax.barh(y, moves, color=np.where(moves > 0, "#2e7d32", "#c0392b"), height=0.66)
    names = [
        f"{_shorten(str(name), 10)}（{b}→{a}）"
        for name, b, a in zip(moved["name"], moved["rank_before"], moved["rank_after"])
    ]
    ax.set_yticks(y, names, fontsize=8 if n > 15 else 9)
    ax.invert_yaxis()
    ax.axvline(0, color="#5b6770", linewidth=0.8)
    span = max(1, int(np.abs(moves).max()))
    ax.set_xlim(-span * 1.15, span * 1.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("名次变化（向右为上升）")
    total = int((table["rank_move"] != 0).sum())
    shown = f"，显示变化最大的{n}个" if total > n else ""
    ax.set_title(f"排名变化（{total}个支部{shown}）")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig
