"""Charts: each draws in Chinese with a CJK font, without a missing-glyph warning, and shows the data."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from assessment.demo.street import generate_demo
from assessment.outputs import charts
from assessment.outputs.tables import summary
from assessment.rubric import load_rubric
from assessment.scoring import score
from tests.factories import make_inputs

YEAR = 2025
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def results(rubric):
    return score(rubric, generate_demo(rubric), year=YEAR)


def all_texts(fig: Figure) -> list:
    """Every Text artist that shows words: figure texts, titles, labels, ticks, annotations, legends."""
    texts = list(fig.texts)
    for ax in fig.axes:
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        texts += ax.get_xticklabels() + ax.get_yticklabels() + list(ax.texts)
        legend = ax.get_legend()
        if legend is not None:
            texts += legend.get_texts()
    return [t for t in texts if t.get_text()]


def strings(fig: Figure) -> str:
    return "\n".join(t.get_text() for t in all_texts(fig))


def draw(make) -> tuple[Figure, bytes, list[str]]:
    """Build and render a chart, collecting every warning raised on the way."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = make()
        png = charts.to_png(fig)
    return fig, png, [str(w.message) for w in caught]


CHARTS = {
    "channel_scores": lambda res, rub: charts.channel_scores(res, rub),
    "composite_ranking": lambda res, rub: charts.composite_ranking(res, rub),
    "veto_counts": lambda res, rub: charts.veto_counts(res, rub),
    "five_strong_radar": lambda res, rub: charts.five_strong_radar(res, rub, res.branches.index[0]),
}


def expected_labels(name: str, rubric) -> list[str]:
    return {
        "channel_scores": [c.label for c in rubric.channels.channels] + ["得分"],
        "composite_ranking": ["综合得分", "具备最强资格", "达标", "未达标", "达标线80分"],
        "veto_counts": [r.label for r in rubric.veto_rules] + ["否决规则"],
        "five_strong_radar": [d.label for d in rubric.checklist.five_strong.dimensions] + ["达到线85%"],
    }[name]


@pytest.mark.parametrize("name", CHARTS)
def test_chart_draws_chinese_with_a_cjk_font_and_no_missing_glyph(name, rubric, results):
    # When the chart is drawn and rendered to PNG
    fig, png, caught = draw(lambda: CHARTS[name](results, rubric))

    # Then it is a Figure, a PNG, and no glyph was missing
    assert isinstance(fig, Figure)
    assert png.startswith(PNG_SIGNATURE)
    assert not [m for m in caught if "Glyph" in m or "missing from" in m], caught
    # And it says what it shows, in Chinese
    shown = strings(fig)
    for label in expected_labels(name, rubric):
        assert label in shown, f"{label!r} not drawn in {name}"
    # And every Chinese text resolves to a CJK font, not DejaVu
    chinese = [t for t in all_texts(fig) if CJK.search(t.get_text())]
    assert chinese
    for text in chinese:
        path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
        assert "dejavu" not in path.lower(), (text.get_text(), path)
        assert "CJK" in font_manager.FontProperties(fname=path).get_name(), path


def test_composite_ranking_colours_each_branch_by_its_outcome(rubric, results):
    fig = charts.composite_ranking(results, rubric)
    bars = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(bars) == len(results.branches)
    colours = [charts.COLOURS[k] for k in ("strongest", "standardized", "not_standardized")]
    counts = {c: sum(1 for bar in bars if _hex(bar.get_facecolor()) == c) for c in colours}
    b = results.branches
    assert counts[charts.COLOURS["strongest"]] == summary(results)["strongest"]
    assert counts[charts.COLOURS["standardized"]] == int((b["standardized"] & ~b["strongest"]).sum())
    # The longest bar is the top composite, drawn first (top of the chart)
    widths = [bar.get_width() for bar in sorted(bars, key=lambda bar: bar.get_y())]
    assert widths[0] == pytest.approx(np.nanmax(b["composite"].astype(float)))


def test_composite_ranking_draws_the_threshold_from_the_rubric_only_when_given(rubric, results):
    assert charts.standardized_threshold(rubric) == 80
    with_line = charts.composite_ranking(results, rubric)
    lines = [line for line in with_line.axes[0].get_lines() if line.get_label().startswith("达标线")]
    assert len(lines) == 1 and lines[0].get_xdata()[0] == 80
    without = charts.composite_ranking(results)
    assert "达标线" not in strings(without)


def test_veto_counts_match_the_vetoes_in_rule_order(rubric, results):
    fig = charts.veto_counts(results, rubric)
    ax = fig.axes[0]
    fired = [b for b in ax.containers[0]]
    expected = [
        int(((results.vetoes["rule_id"] == r.id) & (results.vetoes["passed"] == False)).fillna(False).sum())
        for r in rubric.veto_rules
    ]
    assert [int(bar.get_width()) for bar in fired] == expected
    labels = [t.get_text() for t in ax.texts if t.get_text()[:1].isdigit() and ". " in t.get_text()]
    assert labels == [f"{i}. {r.label}" for i, r in enumerate(rubric.veto_rules, start=1)]


def test_radar_of_a_branch_without_checklist_data_says_so(rubric):
    results = score(rubric, make_inputs(rubric, drop=("org",)), year=YEAR)
    fig, png, caught = draw(lambda: charts.five_strong_radar(results, rubric, "B1"))
    assert png.startswith(PNG_SIGNATURE)
    assert not [m for m in caught if "Glyph" in m or "missing from" in m], caught
    assert "无数据" in strings(fig)
    assert "五强未全部达到" in strings(fig)


def test_charts_leave_no_figure_in_pyplot():
    # pyplot keeps its figures alive in a long-running Voila kernel: ours must never be registered
    # there. (matplotlib itself may import pyplot to resolve the backend while iterating rcParams.)
    code = (
        "import sys\n"
        "from assessment.outputs import charts\n"
        "from assessment.rubric import load_rubric\n"
        "from assessment.scoring import score\n"
        "from tests.factories import make_inputs\n"
        "r = load_rubric(); res = score(r, make_inputs(r), year=2025)\n"
        "for f in (charts.channel_scores(res, r), charts.composite_ranking(res, r),\n"
        "          charts.veto_counts(res, r), charts.five_strong_radar(res, r, 'B1')):\n"
        "    charts.to_png(f)\n"
        "plt = sys.modules.get('matplotlib.pyplot')\n"
        "assert plt is None or plt.get_fignums() == [], plt.get_fignums()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])


def test_rank_moves_chart_names_the_moved_branches_in_chinese():
    import pandas as pd

    from assessment.outputs.charts import rank_moves_chart

    table = pd.DataFrame(
        {
            "name": ["东风社区党支部", "光明村党支部", "机关党支部"],
            "rank_move": [2, -2, 0],
            "rank_before": [3, 1, 2],
            "rank_after": [1, 3, 2],
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = rank_moves_chart(table)
        charts.to_png(fig)
    assert not [w for w in caught if "Glyph" in str(w.message)]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0].startswith("东风社区") and "（3→1）" in labels[0]
    assert "2个支部" in fig.axes[0].get_title()
