"""The 总览's numbers (assessment.analysis.overview): shares against the targets of 001 §一 as exact
fractions, the workflow funnel, the budget impact of the designations with the rubric's settings,
and the 软弱涣散 and veto lists."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from assessment.analysis import overview as ov
from assessment.demo.street import generate_demo_years
from assessment.rubric import DEFAULT_RUBRIC_DIR, RubricError, load_rubric
from assessment.scoring import score


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def demo_years(rubric):
    return generate_demo_years(rubric)


def fake_view(year: int, n: int, *, standardized=0, strongest=0, weak=0, statuses=None, kinds=None) -> ov.YearView:
    """A year of ``n`` branches B01…: the first ``standardized`` are 达标, the first ``strongest`` also
    最强资格, the last ``weak`` 软弱涣散. Only the columns the overview reads."""
    ids = [f"B{i:02d}" for i in range(1, n + 1)]
    branches = pd.DataFrame(
        {
            "name": [f"{i}党支部" for i in ids],
            "standardized": [i < standardized for i in range(n)],
            "strongest": [i < strongest for i in range(n)],
            "weak": [i >= n - weak for i in range(n)],
        },
        index=pd.Index(ids, name="branch_id"),
    )
    results = SimpleNamespace(branches=branches, year=year)
    kind_series = pd.Series(kinds if kinds is not None else ["机关"] * n, index=ids, dtype=object)
    status_series = pd.Series(statuses, dtype=object) if statuses is not None else None
    return ov.YearView(year, results, kind_series, status_series)


def street_of(rubric, *views: ov.YearView) -> ov.Street:
    return ov.Street(rubric, {v.year: v for v in views})


def designated(n: int, state: str = "strongest") -> dict[str, str]:
    return {f"B{i:02d}": state for i in range(1, n + 1)}


# ------------------------------------------------------------------ targets
def test_shares_are_exact_fractions_of_all_branches_and_targets_include_the_figure_itself(rubric):
    # Given 2025 with exactly 90% 达标 (9 of 10) and exactly half meeting the 最强 standard, none designated
    street = street_of(rubric, fake_view(2025, 10, standardized=9, strongest=5, statuses={}))
    (row,) = ov.target_progress(street)
    # Then the shares are exact and 以上 counts the target itself
    assert row.standardized_share == Fraction(9, 10) and row.standardized_target == Fraction(9, 10)
    assert row.standardized_met is True
    # And the 2025 最强 target counts branches meeting the standard (5/10 ≥ 1/2), not the designated (0)
    assert row.strongest_basis == "meets_standard"
    assert row.qualified_share == Fraction(1, 2) and row.designated_share == Fraction(0)
    assert row.strongest_counted == 5 and row.strongest_met is True


def test_one_branch_short_of_a_target_is_not_met(rubric):
    # 899 of 1000 is below 90%; 4 of 9 is below half
    street = street_of(rubric, fake_view(2025, 1000, standardized=899, strongest=500, statuses={}))
    assert ov.target_progress(street)[0].standardized_met is False
    street = street_of(rubric, fake_view(2025, 9, standardized=9, strongest=4, statuses={}))
    row = ov.target_progress(street)[0]
    assert row.qualified_share == Fraction(4, 9) and row.strongest_met is False


def test_2023_strongest_figure_is_an_aim_counted_on_designations_and_weak_branches_must_be_cleared(rubric):
    # Given 2023: 6 of 10 达标, 4 designated 最强 (although only 1 meets the standard by the scoring), 1 weak
    view = fake_view(2023, 10, standardized=6, strongest=1, weak=1, statuses=designated(4))
    (row,) = ov.target_progress(street_of(rubric, view))
    assert row.strongest_is_aim and row.strongest_basis == "designated"
    assert row.standardized_met is True  # 6/10 = 60%以上
    assert row.strongest_designated == 4 and row.strongest_met is True  # 4/10 = 40%以上
    assert row.weak_cleared and row.weak_met is False
    assert "力争40%以上（评定为“最强党支部”）" == ov.strongest_target_text(row)
    # Without workflow statuses the designated count is unknown, not zero
    (unknown,) = ov.target_progress(street_of(rubric, fake_view(2023, 10, strongest=1, statuses=None)))
    assert unknown.strongest_designated is None and unknown.strongest_met is None


def test_target_table_reads_in_chinese_over_the_years(rubric):
    street = street_of(
        rubric,
        fake_view(2023, 10, standardized=6, statuses=designated(4)),
        fake_view(2024, 10, standardized=7, statuses={}),
        fake_view(2025, 10, standardized=9, strongest=5, statuses=designated(2)),
    )
    table = ov.target_table(ov.target_progress(street))
    assert table["年度"].tolist() == [2023, 2024, 2025]
    assert table["达标"].tolist() == ["6/10（60%）", "7/10（70%）", "9/10（90%）"]
    assert table["达标目标是否达到"].tolist() == ["已达到", "未达到", "已达到"]
    assert table["最强目标"].tolist() == [
        "力争40%以上（评定为“最强党支部”）",
        "本年度无目标",
        "50%以上（达到“最强党支部”标准）",
    ]
    assert table["已评定最强"].tolist() == ["4/10（40%）", "0/10（0%）", "2/10（20%）"]
    assert table["软弱涣散目标"].tolist() == ["动态清零", "—", "—"]


# ------------------------------------------------------------------ funnel
def test_funnel_counts_every_state_in_workflow_order_and_branches_without_a_record_are_self_assessing(rubric):
    statuses = {"B01": "strongest", "B02": "strongest", "B03": "standardized", "B04": "applied", "B05": "failed"}
    view = fake_view(2025, 8, statuses=statuses)
    flow = ov.funnel(view, rubric)
    assert flow["status"].tolist() == [s.id for s in rubric.workflow.states]
    counts = dict(zip(flow["status"], flow["支部数"]))
    assert counts == {
        "self_assessing": 3,
        "applied": 1,
        "street_review": 0,
        "district_check": 0,
        "standardized": 1,
        "failed": 1,
        "strongest_declared": 0,
        "strongest": 2,
        "strongest_city": 0,
        "revoked": 0,
    }
    assert flow["支部数"].sum() == 8
    assert dict(zip(flow["status"], flow["状态"]))["strongest"] == "已评定最强"
    assert ov.funnel(fake_view(2025, 8, statuses=None), rubric) is None


def test_the_designations_come_from_the_states_markers(rubric):
    workflow = rubric.workflow
    # 市委评定 counts as 最强, and 最强 as 达标; 最强申报 still holds the 达标 designation
    assert workflow.holding("city") == {"strongest_city"}
    assert workflow.holding("strongest") == {"strongest", "strongest_city"}
    assert workflow.holding("standardized") == {"standardized", "strongest_declared", "strongest", "strongest_city"}
    assert workflow.revoking == {"revoked"}
    assert workflow.branch_role.id == "branch" and [r.id for r in workflow.staff_roles] == ["street", "district"]


# ------------------------------------------------------------------ budget
def budget_view(statuses=None):
    kinds = ["村", "社区", "企业", "村", "机关", "社区"]
    # B01–B03 最强资格 (and 达标), B04–B05 达标 only, B06 neither
    return fake_view(2025, 6, standardized=5, strongest=3, kinds=kinds, statuses=statuses)


def test_budget_arithmetic_with_the_default_settings(rubric):
    # Given 最强 designated: two village/community branches and a company; 达标 designated: B04 (村), B05 (机关)
    statuses = {
        "B01": "strongest",
        "B02": "strongest",
        "B03": "strongest",
        "B04": "standardized",
        "B05": "strongest_declared",
    }
    lines = {line.benefit.id: line for line in ov.budget_lines(budget_view(statuses), rubric)}

    # Then the 10% one-off bonus applies to the villages and communities only: 250,000 × 1/10 × 2
    bonus = lines["strongest_bonus"]
    assert bonus.base_amount == 250000 and bonus.rate == Fraction(1, 10)
    assert bonus.per_branch == 25000 and bonus.designated == 2 and bonus.total == 50000
    assert bonus.qualified == 2 and bonus.qualified_total == 50000
    # And the 30% funding uplift to every designated 最强 branch: 20,000 × 3/10 × 3
    uplift = lines["strongest_funding_uplift"]
    assert uplift.per_branch == 6000 and uplift.designated == 3 and uplift.total == 18000
    # And no branch has a 市委 designation yet
    assert lines["city_subsidy"].designated == 0
    # And the 达标 uplift has no rate in 001 (适当上浮): counted, but 待定
    standardized = lines["standardized_uplift"]
    assert standardized.designated == 2 and standardized.qualified == 2
    assert standardized.rate is None and standardized.per_branch is None and standardized.total is None
    table = ov.budget_table(list(lines.values()))
    row = table.set_index("待遇").loc["标准化规范化党支部经费适当上浮"]
    assert row["比例"] == "待定" and row["合计（元）"] == "待定" and row["已评定支部数"] == 2
    assert table.set_index("待遇").loc["区委评定“最强党支部”经费上浮", "合计（元）"] == 18000.0


def test_budget_follows_the_settings(rubric):
    # Given an analyst sets the 达标 uplift to 15% and the general standard to 12,345.67 元
    amounts = tuple(
        a.model_copy(update={"value": Fraction(1234567, 100)}) if a.id == "general_funding" else a
        for a in rubric.targets.amounts
    )
    benefits = tuple(
        b.model_copy(update={"uplift": Fraction(3, 20)}) if b.id == "standardized_uplift" else b
        for b in rubric.targets.benefits
    )
    changed = rubric.model_copy(
        update={"targets": rubric.targets.model_copy(update={"amounts": amounts, "benefits": benefits})}
    )
    statuses = {"B01": "strongest", "B04": "standardized", "B05": "standardized"}
    lines = {line.benefit.id: line for line in ov.budget_lines(budget_view(statuses), changed)}
    # Then: exact 12,345.67 × 15% = 1,851.8505 per branch, × 2
    assert lines["standardized_uplift"].per_branch == Fraction(1234567, 100) * Fraction(3, 20)
    assert lines["standardized_uplift"].total == Fraction(1234567, 100) * Fraction(3, 20) * 2
    assert lines["strongest_funding_uplift"].total == Fraction(1234567, 100) * Fraction(3, 10)
    text = ov.budget_table(list(lines.values()), text=True).set_index("待遇")
    assert text.loc["标准化规范化党支部经费适当上浮", "每个支部（元）"] == "1,851.85"
    assert text.loc["标准化规范化党支部经费适当上浮", "合计（元）"] == "3,703.70"
    assert text.loc["区级以上“最强党支部”一次性专项绩效奖励", "合计（元）"] == "25,000"


def test_budget_without_statuses_counts_no_designation_but_still_what_the_scores_allow(rubric):
    lines = {line.benefit.id: line for line in ov.budget_lines(budget_view(None), rubric)}
    assert lines["strongest_funding_uplift"].designated is None and lines["strongest_funding_uplift"].total is None
    assert (
        lines["strongest_funding_uplift"].qualified == 3 and lines["strongest_funding_uplift"].qualified_total == 18000
    )
    assert ov.budget_table(list(lines.values()))["已评定支部数"].tolist() == [ov.NO_WORKFLOW] * 5
    # A 市委 designation cannot be foreseen from the results: its line says so instead of a count
    city = lines["city_subsidy"]
    assert city.qualified is None and city.qualified_total is None and city.total is None
    assert ov.budget_table([city])["按考评结果符合条件的支部数"].tolist() == ["—"]


def test_money_text():
    assert ov.money_text(Fraction(250000)) == "250,000"
    assert ov.money_text(Fraction(185185, 100)) == "1,851.85"
    assert ov.money_text(None) == "待定"


def test_settings_are_marked_choices_with_sources(rubric):
    amounts = {a.id: a for a in rubric.targets.amounts}
    assert set(amounts) == {"team_pay", "general_funding"}
    assert all(a.choice and a.source.strip() and a.unit == "元" for a in amounts.values())
    benefits = {b.id: b for b in rubric.targets.benefits}
    assert benefits["strongest_bonus"].designation == "strongest" and benefits["strongest_bonus"].base == "team_pay"
    assert benefits["standardized_uplift"].uplift is None and benefits["standardized_uplift"].choice


def test_a_benefit_based_on_an_unknown_amount_is_refused(tmp_path):
    copy = tmp_path / "rubrics"
    shutil.copytree(DEFAULT_RUBRIC_DIR, copy)
    path = Path(copy) / "targets.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("base: general_funding,", "base: general_fund,", 1), encoding="utf-8")
    with pytest.raises(RubricError) as refused:
        load_rubric(copy)
    assert "general_fund" in str(refused.value) and "amounts" in str(refused.value)


# ------------------------------------------------------------------ weak and vetoed branches (real scoring)
def test_weak_list_names_every_weak_branch_with_its_reasons(rubric, demo_years):
    results = score(rubric, demo_years[2023], year=2023)
    view = ov.YearView(2023, results, pd.Series(dtype=object), pd.Series({"JD001": "applied"}, dtype=object))
    weak = ov.weak_list(view, rubric)
    expected = results.branches[results.branches["weak"]]
    assert len(weak) == len(expected) > 0
    assert set(weak["支部编号"]) == set(expected.index)
    for row in weak.itertuples(index=False):
        assert row[3] == expected.loc[row[0], "weak_reasons"] and row[3]
    # Lowest composite first
    composites = weak["综合得分"].tolist()
    assert composites == sorted(composites)


def test_veto_list_is_grouped_by_rule_in_the_rubrics_order(rubric, demo_years):
    results = score(rubric, demo_years[2025], year=2025)
    vetoes = ov.veto_list(results, rubric)
    passed = pd.array(results.vetoes["passed"], dtype="boolean")
    assert len(vetoes) == int((passed == False).fillna(False).sum() + passed.isna().sum())
    assert vetoes["序号"].is_monotonic_increasing
    order = [rule.label for rule in rubric.veto_rules]
    assert list(dict.fromkeys(vetoes["规则"])) == [label for label in order if label in set(vetoes["规则"])]
    assert set(vetoes["结果"]) <= {"否决", "无法判断"}


def test_star_counts_and_channel_averages(rubric, demo_years):
    results = score(rubric, demo_years[2025], year=2025)
    stars = ov.star_counts(results, rubric)
    assert stars["星级"].tolist() == ["五星", "四星", "三星", "二星", "一星", "无星级（未完成）"]
    assert stars["支部数"].sum() == len(results.branches)
    assert stars.iloc[-1]["支部数"] == int(results.branches["stars"].isna().sum())
    averages = ov.channel_averages(results, rubric).set_index("项目")
    composite = results.branches["composite"].astype("float64")
    assert averages.loc["综合得分", "平均分"] == pytest.approx(composite.mean())
    assert averages.loc["综合得分", "有得分的支部数"] == composite.notna().sum()


def test_demo_street_shares_rise_over_the_years(rubric, demo_years):
    street = ov.street_from_inputs(rubric, demo_years)
    progress = ov.target_progress(street)
    assert [row.year for row in progress] == [2023, 2024, 2025]
    standardized = [row.standardized_share for row in progress]
    qualified = [row.qualified_share for row in progress]
    weak = [row.weak for row in progress]
    assert standardized == sorted(standardized) and standardized[0] < standardized[-1]
    assert qualified == sorted(qualified) and qualified[0] < qualified[-1]
    assert weak == sorted(weak, reverse=True) and weak[0] > weak[-1]
    assert standardized[-1] == Fraction(38, 60)


def test_overview_tables_are_the_pages_tables(rubric, demo_years):
    street = ov.street_from_inputs(rubric, demo_years, {2025: {"JD001": "strongest"}})
    tables = ov.overview_tables(street, 2025)
    assert list(tables) == [
        "年度目标",
        "各街道",  # the demo's two streets
        "考评流程",
        "星级分布",
        "四评平均分",
        "软弱涣散",
        "否决情况",
        "待遇保障测算",
        "测算设置",
        "各支部结果",
    ]
    results = tables["各支部结果"]
    assert len(results) == 60 and results.set_index("支部编号").loc["JD001", "流程状态"] == "已评定最强"
    assert results.set_index("支部编号").loc["JD002", "流程状态"] == "自评中"


def test_a_city_designation_is_still_a_strongest_designation_and_earns_the_city_line(rubric):
    statuses = {"B01": "strongest_city", "B02": "strongest", "B04": "standardized"}
    lines = {line.benefit.id: line for line in ov.budget_lines(budget_view(statuses), rubric)}
    assert lines["city_subsidy"].designated == 1
    assert lines["strongest_funding_uplift"].designated == 2  # 区委 and 市委 designations alike
    assert lines["strongest_bonus"].designated == 2  # both are 村/社区
    assert lines["standardized_uplift"].designated == 1
    assert ov.target_progress(ov.Street(rubric, {2025: budget_view(statuses)}))[0].strongest_designated == 2
