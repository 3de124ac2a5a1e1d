"""The 总览's charts: Chinese with a CJK font and no missing glyph, and the figures they show."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from assessment.analysis import overview as ov
from assessment.demo.street import generate_demo_years
from assessment.outputs import charts
from assessment.rubric import load_rubric
from tests.test_charts import CJK, PNG_SIGNATURE, all_texts, draw, strings

STATUSES = {2023: {"JD001": "strongest"}, 2024: {"JD001": "strongest", "JD002": "strongest"}, 2025: {"JD003": "failed"}}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def street(rubric):
    return ov.street_from_inputs(rubric, generate_demo_years(rubric), STATUSES)


CHARTS = {
    "targets_over_years": lambda s, r: charts.targets_over_years(ov.progress_frame(ov.target_progress(s))),
    "workflow_funnel": lambda s, r: charts.workflow_funnel(ov.funnel(s.years[2025], r)),
    "star_distribution": lambda s, r: charts.star_distribution(ov.star_counts(s.years[2025].results, r)),
}
EXPECTED = {
    "targets_over_years": [
        "2023年",
        "2025年",
        "实际达标率",
        "已评定最强",
        "达到最强标准（最强资格）",
        "年度目标",
        "目标60%以上",
        "力争40%以上（按评定计）",
        "目标50%以上（按达到标准计）",
    ],
    "workflow_funnel": ["自评中", "已评定最强", "撤销", "支部数（共60个）"],
    "star_distribution": ["五星", "一星", "无星级\n（未完成）", "星级分布（共60个支部）"],
}


@pytest.mark.parametrize("name", CHARTS)
def test_chart_draws_chinese_with_a_cjk_font_and_no_missing_glyph(name, street, rubric):
    fig, png, caught = draw(lambda: CHARTS[name](street, rubric))
    assert isinstance(fig, Figure) and png.startswith(PNG_SIGNATURE)
    assert not [m for m in caught if "Glyph" in m or "missing from" in m], caught
    shown = strings(fig)
    for label in EXPECTED[name]:
        assert label in shown, f"{label!r} not drawn in {name}"
    chinese = [t for t in all_texts(fig) if CJK.search(t.get_text())]
    assert chinese
    for text in chinese:
        path = font_manager.findfont(text.get_fontproperties(), fallback_to_default=False)
        assert "CJK" in font_manager.FontProperties(fname=path).get_name(), path


def test_targets_chart_draws_each_years_shares_and_targets(street):
    progress = ov.progress_frame(ov.target_progress(street))
    fig = charts.targets_over_years(progress)
    top, bottom = fig.axes
    heights = [bar.get_height() for bar in top.patches if isinstance(bar, Rectangle)]
    assert heights == pytest.approx(progress["standardized"].tolist())
    designated, qualified = bottom.containers
    assert [bar.get_height() for bar in designated] == pytest.approx([1 / 60, 2 / 60, 0.0])
    assert [bar.get_height() for bar in qualified] == pytest.approx(progress["qualified"].tolist())
    # The 2024 最强 target does not exist: no note for it, and the target line joins 2023 and 2025
    (line,) = [line for line in bottom.get_lines() if line.get_label() == "年度目标"]
    assert list(line.get_xdata()) == [0, 2] and list(line.get_ydata()) == pytest.approx([0.4, 0.5])


def test_targets_chart_without_workflow_says_so(rubric):
    street = ov.street_from_inputs(rubric, {2025: generate_demo_years(rubric, (2025,))[2025]})
    fig, _png, caught = draw(lambda: charts.targets_over_years(ov.progress_frame(ov.target_progress(street))))
    assert "无流程\n记录" in strings(fig)
    assert not [m for m in caught if "Glyph" in m or "missing from" in m], caught


def test_funnel_chart_bars_are_the_counts_in_workflow_order(street, rubric):
    flow = ov.funnel(street.years[2024], rubric)
    fig = charts.workflow_funnel(flow)
    ax = fig.axes[0]
    widths = [int(bar.get_width()) for bar in ax.patches if isinstance(bar, Rectangle)]
    assert widths == flow["支部数"].tolist()
    assert [t.get_text() for t in ax.get_yticklabels()] == [s.label for s in rubric.workflow.states]
    colours = {t.get_text(): bar.get_facecolor() for t, bar in zip(ax.get_yticklabels(), ax.patches)}
    assert np.allclose(colours["已评定最强"][:3], [0xC0 / 255, 0x39 / 255, 0x2B / 255])


def test_star_chart_counts_every_branch(street, rubric):
    stars = ov.star_counts(street.years[2025].results, rubric)
    fig = charts.star_distribution(stars)
    heights = [int(bar.get_height()) for bar in fig.axes[0].patches if isinstance(bar, Rectangle)]
    assert heights == stars["支部数"].tolist() and sum(heights) == 60
