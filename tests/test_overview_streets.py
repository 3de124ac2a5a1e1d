"""所属街道 on the 总览: the district (全区) and each street, at package level and on the page."""

from __future__ import annotations

import dataclasses
import html
import re
from types import SimpleNamespace

import pandas as pd
import pytest
from traitlets import TraitError

from assessment.analysis import overview as ov
from assessment.demo.street import generate_demo_years
from assessment.pages.overview import app as overview_page
from assessment.pages.overview.app import OverviewApp
from assessment.rubric import load_rubric
from assessment.store.accounts import Identity

STATUSES = {2025: {"JD001": "strongest", "JD002": "strongest", "JD004": "district_check"}}


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def staff(name: str, role: str, street: str | None = None) -> Identity:
    """A signed-in person, as the server would know them (the roles of the package's workflow.yaml)."""
    (account_role,) = (r for r in load_rubric().workflow.accounts if r.label == role)
    return Identity(name, account_role, street)


@pytest.fixture(scope="module")
def demo_years(rubric):
    return generate_demo_years(rubric, (2024, 2025))


@pytest.fixture(scope="module")
def district(rubric, demo_years):
    return ov.street_from_inputs(rubric, demo_years, STATUSES)


def ten_branches(year: int = 2025) -> ov.YearView:
    """B01…B10: B01–B05 in 东城街道, B06–B10 in 西城街道; the first nine 达标, B01 and B06 最强资格."""
    ids = [f"B{i:02d}" for i in range(1, 11)]
    branches = pd.DataFrame(
        {
            "name": ids,
            "standardized": [i < 9 for i in range(10)],
            "strongest": [i in (0, 5) for i in range(10)],
            "weak": [i == 9 for i in range(10)],
        },
        index=pd.Index(ids, name="branch_id"),
    )
    streets = pd.Series(["东城街道"] * 5 + ["西城街道"] * 5, index=ids, dtype=object)
    return ov.YearView(
        year, SimpleNamespace(branches=branches, year=year), pd.Series("机关", index=ids), None, streets=streets
    )


# ------------------------------------------------------------------ package level
def test_each_street_is_measured_against_the_years_target_with_its_own_branches(rubric):
    # Given 10 branches in two streets, 9 达标 (exactly the 2025 target of 90% for the district)
    district = ov.Street(rubric, {2025: ten_branches()})
    assert ov.street_names(district) == ["东城街道", "西城街道"]
    east, west = (ov.target_progress(ov.for_street(district, name))[0] for name in ("东城街道", "西城街道"))
    # Then 东城 has 5/5 达标 (met), 西城 4/5 (80%, not met); each has 1 of 5 meeting 最强 (20% < 50%)
    assert (east.total, east.standardized, east.standardized_met) == (5, 5, True)
    assert (west.total, west.standardized, west.standardized_met, west.weak) == (5, 4, False, 1)
    assert east.strongest_qualified == west.strongest_qualified == 1 and east.strongest_met is False
    table = ov.street_table(district, 2025)
    assert table["街道"].tolist() == ["东城街道", "西城街道", "全区合计"]
    assert table["达标"].tolist() == ["5/5（100%）", "4/5（80%）", "9/10（90%）"]
    assert table["达标目标是否达到"].tolist() == ["已达到", "未达到", "已达到"]
    assert table["具备最强资格（达到标准）"].tolist() == ["1/5（20%）", "1/5（20%）", "2/10（20%）"]


def test_a_branch_without_a_street_is_listed_apart_and_without_any_there_is_one_street(rubric):
    view = ten_branches()
    some = dataclasses.replace(view, streets=view.streets.where(view.streets.index != "B10", None))
    assert ov.street_names(ov.Street(rubric, {2025: some})) == ["东城街道", "西城街道", ov.NO_STREET]
    assert ov.for_street(ov.Street(rubric, {2025: some}), ov.NO_STREET).years[2025].total == 1
    none = dataclasses.replace(view, streets=pd.Series(None, index=view.streets.index, dtype=object))
    assert ov.street_names(ov.Street(rubric, {2025: none})) == []
    assert ov.street_table(ov.Street(rubric, {2025: none}), 2025).empty


def test_every_figure_of_a_street_comes_from_its_branches_only(rubric, district, demo_years):
    east = ov.for_street(district, "东城街道")
    ids = set(demo_years[2025].branches.query("street == '东城街道'")["branch_id"])
    assert east.label == "东城街道" and east.year_list == [2024, 2025] and len(ids) == 30
    view = east.years[2025]
    results = view.results
    assert set(results.branches.index) == ids
    for frame in (results.vetoes, results.activities, results.structure):
        assert set(frame["branch_id"]) <= ids and len(frame)
    assert set(results.items.index) == set(results.dimensions.index) == ids
    # The counts of the two streets add up to the district's, view by view
    west = ov.for_street(district, "西城街道").years[2025]
    whole = district.years[2025]
    assert ov.star_counts(results, rubric)["支部数"].sum() == 30
    assert (
        ov.star_counts(results, rubric)["支部数"] + ov.star_counts(west.results, rubric)["支部数"]
    ).tolist() == ov.star_counts(whole.results, rubric)["支部数"].tolist()
    assert (ov.funnel(view, rubric)["支部数"] + ov.funnel(west, rubric)["支部数"]).tolist() == ov.funnel(whole, rubric)[
        "支部数"
    ].tolist()
    assert len(ov.weak_list(view, rubric)) + len(ov.weak_list(west, rubric)) == len(ov.weak_list(whole, rubric))
    assert set(ov.veto_list(results, rubric)["支部编号"]) <= ids
    for mine, theirs, all_ in zip(
        ov.budget_lines(view, rubric), ov.budget_lines(west, rubric), ov.budget_lines(whole, rubric)
    ):
        if all_.qualified is None:  # a 市委 designation: not foreseeable from the results anywhere
            assert mine.qualified is None and theirs.qualified is None
        else:
            assert mine.qualified + theirs.qualified == all_.qualified
        assert mine.designated + theirs.designated == all_.designated
    averages = ov.channel_averages(results, rubric)
    expected = whole.results.branches.loc[sorted(ids), "composite"].astype("float64").mean()
    assert averages.set_index("项目").at["综合得分", "平均分"] == pytest.approx(expected)
    # And the export holds the per-street table for the district only
    assert "各街道" in ov.overview_tables(district, 2025) and "各街道" not in ov.overview_tables(east, 2025)


# ------------------------------------------------------------------ the page
def shown_counts(app) -> dict[str, str]:
    return dict(re.findall(r'data-key="(\w+)".*?>([\d—]+)</div>', app.summary.value))


@pytest.mark.parametrize("who", [staff("李四", "区委"), staff("王分析", "分析")], ids=["区委", "分析"])
def test_choosing_a_street_filters_every_view_and_the_district_shows_the_street_table(
    rubric, demo_years, district, who
):
    # A district account (区委, 分析) sees every street and the district
    app = OverviewApp.from_inputs(rubric, demo_years, statuses=STATUSES, who=who)
    assert [value for _, value in app.street_picker.options] == [overview_page.DISTRICT, "东城街道", "西城街道"]
    assert app.street_picker.value == overview_page.DISTRICT and app.state.year == 2025
    assert "各街道对比" in app.by_street.value and "全区合计" in app.by_street.value
    assert shown_counts(app)["branches"] == "60" and len(app.branch_picker.options) == 60

    # When the visitor picks 东城街道
    app.street_picker.value = "东城街道"
    east = ov.for_street(district, "东城街道").years[2025]
    # Then the counts are those of the demo's 30 branches in 东城街道 (written out: worked out once from the
    # scored demo with a plain filter on 所属街道), and 1 designated: JD001 (东城), not JD002 (西城)
    assert app.error.value == ""
    assert shown_counts(app) == {
        "branches": "30",
        "standardized": "21",
        "strongest": "3",
        "incomplete": "0",
        "weak": "3",
        "vetoed": "27",
        "designated": "1",
    }
    assert app.by_street.value == ""
    assert "东城街道" in app.title.value and "比例按东城街道党支部总数计算" in html.unescape(app.targets.value)
    assert {value for _, value in app.branch_picker.options} == set(east.branches.index)
    table = html.unescape(app.table.value)
    assert all(f'data-branch="{b}"' in table for b in east.branches.index) and 'data-branch="JD002"' not in table
    assert funnel_total(app) == 30
    app.export_button.click()
    assert 'download="东城街道考评总览_2025年度.xlsx"' in app.download.value

    # When they change the year, the street stays; back to the district, everything is back
    app.year_picker.value = 2024
    assert shown_counts(app)["branches"] == "30" and app.state.street == "东城街道"
    app.street_picker.value = overview_page.DISTRICT
    assert shown_counts(app)["branches"] == "60" and app.state.year == 2024 and "全区合计" in app.by_street.value


def funnel_total(app) -> int:
    return sum(int(n) for n in re.findall(r"[\u4e00-\u9fff]+ (\d+)个", app.funnel.value.split("：", 1)[1]))


def test_without_streets_one_street_is_listed_and_the_district_view_is_explained(rubric, demo_years):
    plain = {
        year: dataclasses.replace(i, branches=i.branches.drop(columns=["street"])) for year, i in demo_years.items()
    }
    app = OverviewApp.from_inputs(rubric, plain, who=staff("李四", "区委"))
    assert len(app.street_picker.options) == 1
    label, value = app.street_picker.options[0]
    assert value == ov.STREET_LABEL and "60个支部" in label
    assert any(overview_page.DISTRICT_NOTE in getattr(child, "value", "") for child in app.children)
    assert app.by_street.value == "" and "全街道党支部总数" in html.unescape(app.targets.value)


# ------------------------------------------------------------------ a street account
EAST_2025 = {
    "branches": "30",
    "standardized": "21",
    "strongest": "3",
    "incomplete": "0",
    "weak": "3",
    "vetoed": "27",
    "designated": "1",
}


def test_a_street_account_sees_only_its_own_street(rubric, demo_years):
    app = OverviewApp.from_inputs(rubric, demo_years, statuses=STATUSES, who=staff("张三", "街道", "东城街道"))
    east = {year: set(i.branches.query("street == '东城街道'")["branch_id"]) for year, i in demo_years.items()}
    # Then the picker offers its street only (no 全区, no other street), and every view is of its 30 branches
    assert app.error.value == ""
    assert "已登录：<b>张三（街道，东城街道）</b>" in app.signed_in.value
    assert [value for _, value in app.street_picker.options] == ["东城街道"]
    assert app.street_picker.value == "东城街道" and app.state.street == "东城街道"
    assert shown_counts(app) == EAST_2025
    assert "东城街道" in app.title.value and overview_page.DISTRICT not in app.title.value
    assert app.by_street.value == "" and "西城街道" not in app.by_street.value
    assert "比例按东城街道党支部总数计算" in html.unescape(app.targets.value)
    assert {value for _, value in app.branch_picker.options} == east[2025]
    # And the page holds no other branch at all, in any year
    for year, view in app.district.years.items():
        assert set(view.branches.index) == east[year]
    table = html.unescape(app.table.value)
    assert 'data-branch="JD002"' not in table and funnel_total(app) == 30
    # And the export is of its street
    app.export_button.click()
    assert 'download="东城街道考评总览_2025年度.xlsx"' in app.download.value
    app.year_picker.value = 2024
    assert shown_counts(app)["branches"] == "30"


@pytest.mark.parametrize("other", ["西城街道", overview_page.DISTRICT, ov.NO_STREET, "<b>x</b>"])
def test_a_street_account_cannot_get_another_street_whatever_is_set(rubric, demo_years, other):
    app = OverviewApp.from_inputs(rubric, demo_years, statuses=STATUSES, who=staff("张三", "街道", "东城街道"))
    # The picker does not take a street it does not offer
    with pytest.raises(TraitError):
        app.street_picker.value = other
    # A choice that reaches the server anyway (the picker's handler, or the state) is refused there
    app._on_pick_street({"new": other})
    assert "你的账户只能查看东城街道的数据" in app.error.value
    app.state.update(street=other)
    assert app.state.street == "东城街道" and "你的账户只能查看东城街道的数据" in app.error.value
    assert shown_counts(app) == EAST_2025 and app.street.label == "东城街道"
    assert {value for _, value in app.branch_picker.options} <= set(
        demo_years[2025].branches.query("street == '东城街道'")["branch_id"]
    )
    app.export_button.click()
    assert 'download="东城街道考评总览_2025年度.xlsx"' in app.download.value


def test_a_street_account_without_branches_of_its_street_sees_nothing(rubric, demo_years):
    app = OverviewApp.from_inputs(rubric, demo_years, statuses=STATUSES, who=staff("赵六", "街道", "南城街道"))
    assert app.street is None and app.district is None
    assert "数据库中还没有南城街道的考评数据" in app.notice.value and app.table not in app.children
    assert app.street_picker.options == () and app.summary.value == ""
    # Nor when the branches name no street at all
    plain = {
        year: dataclasses.replace(i, branches=i.branches.drop(columns=["street"])) for year, i in demo_years.items()
    }
    app = OverviewApp.from_inputs(rubric, plain, who=staff("张三", "街道", "东城街道"))
    assert app.street is None and app.table not in app.children
