"""加分项, total caps (积分制) and 等次限制 as rubric data: a street's sheet without a code change.

Every rubric here is the default one with a few YAML lines changed, loaded the way a street's own
files would be; the default rubric itself has no bonus items and no grade caps (its results are the
ones every other test checks).
"""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest
from factories import YEAR, legacy_texts, staff_session, walk
from factories import make_inputs as _make_inputs

from assessment.analysis import Baseline, rescore
from assessment.analysis.sensitivity import sensitivity
from assessment.inputs.frames import Inputs
from assessment.inputs.payload import blank_payload, check_payload, inputs_for
from assessment.outputs.tables import result_tables
from assessment.rubric import RubricError, load_rubric, load_rubric_texts, read_rubric_texts
from assessment.rubric.settings import adjustable_settings, apply_to_rubric
from assessment.scoring import score
from assessment.scoring.gaps import gap_list


def make_inputs(rubric, *, branch=None, **parts):
    """The factory's branch as a 社区 branch: every checklist item applies to it (t5 is for 村/社区 only,
    and elsewhere the other items weigh more), so the point sums below are the rubric's weights as written."""
    return _make_inputs(rubric, branch={"kind": "社区", **(branch or {})}, **parts)


DEFAULT_BONUS = "bonus:\n  cap: null\n  total_cap: 100\n  groups: []\n"

# Three bonus items: b1/b2 are one honour at two levels (not cumulative), b3 a level item on its own.
BONUS_ITEMS = """
  - id: b1
    label: 获得市级表彰
    area: role
    kind: points
    points: 3
    bonus: true
    bonus_group: honours
    description: 获得市级以上表彰的加3分；与区级表彰不重复计分。
    methods: [查看文件]
    advice: 对照市级先进基层党组织标准争创。
    source: "测试用评分细则 加分项1"
  - id: b2
    label: 获得区级表彰
    area: role
    kind: points
    points: 2
    bonus: true
    bonus_group: honours
    description: 获得区级表彰的加2分。
    advice: 对照区级先进基层党组织标准争创。
    source: "测试用评分细则 加分项1"
  - id: b3
    label: 党建特色品牌
    area: role
    kind: level
    points: 2
    levels:
      - {label: 有, points: 2}
      - {label: 无, points: 0}
    bonus: true
    description: 形成党建特色品牌的加2分。
    evidence: [品牌创建方案]
    advice: 结合支部实际打造一个党建特色品牌。
    source: "测试用评分细则 加分项2"
"""

# The same items in the legacy form (max instead of points), for a checklist in the legacy form.
LEGACY_BONUS_ITEMS = re.sub(r"\n    points: (\d+)\n", r"\n    max: \1\n", BONUS_ITEMS)

GRADE_CAPS = """grade_caps:
  - id: review_not_top
    label: 年度述职评议考核等次达不到优秀的，不得评为优秀
    max_grade: 良好
    any_of:
      - {type: veto_fired, rule: annual_review, label: 年度述职评议考核等次达不到优秀}
      - {type: key_item_zero, label: 有关键项得0分}
    source: "测试用评分细则：有下列情形之一的，不得评为优秀"
  - id: low_org
    label: 组织评定不足96分的，最高评为一般
    max_grade: 一般
    any_of:
      - {type: score_below, target: org, threshold: 96, label: 组织评定不足96分}
    source: "测试用评分细则"
    choice: true
"""

BASE_OTHERS = F(2, 10) * 99 + F(2, 10) * F(4120, 42) + F(2, 10) * 100  # member, public, social of make_inputs


@pytest.fixture(scope="module")
def default_texts() -> dict[str, str]:
    return read_rubric_texts()[0]


def bonus_texts(
    texts: dict[str, str],
    *,
    cap: str = "null",
    total_cap: str = "100",
    items: str = BONUS_ITEMS,
    choice: bool = False,
    caps: str | None = None,
    top: str | None = None,
) -> dict[str, str]:
    """The default texts with bonus items and settings; ``top`` replaces the top grade/star band's max."""
    out = dict(texts)
    checklist = out["checklist.yaml"]
    assert DEFAULT_BONUS in checklist
    block = (
        f"bonus:\n  cap: {cap}\n  total_cap: {total_cap}\n"
        "  groups:\n    - {id: honours, label: 表彰奖励, source: 同一事项按最高级别加分}\n"
        + ("  choice: true\n  source: 测试用评分细则\n" if choice else "")
    )
    out["checklist.yaml"] = checklist.replace(DEFAULT_BONUS, block).rstrip("\n") + "\n" + items
    if caps is not None:
        assert "grade_caps: []\n" in out["eligibility.yaml"]
        out["eligibility.yaml"] = out["eligibility.yaml"].replace("grade_caps: []\n", caps)
    if top is not None:
        for band in (
            "{label: 优秀, min: 90, min_inclusive: true, max: 100,",
            "{label: 五星, stars: 5, min: 90, min_inclusive: true, max: 100,",
        ):
            assert band in out["eligibility.yaml"]
            out["eligibility.yaml"] = out["eligibility.yaml"].replace(band, band.replace("max: 100", f"max: {top}"))
    return out


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(needle)


def refusals(texts: dict[str, str]) -> list:
    with pytest.raises(RubricError) as caught:
        load_rubric_texts(texts)
    return caught.value.problems


def combine(*parts: Inputs) -> Inputs:
    """Several one-branch inputs as one street."""
    return Inputs(
        **{
            f.name: pd.concat([getattr(p, f.name) for p in parts], ignore_index=True)
            for f in dataclasses.fields(Inputs)
        }
    )


def one(rubric, **parts) -> pd.Series:
    results = score(rubric, make_inputs(rubric, **parts), year=YEAR)
    return results.branches.iloc[0]


def composite_of(org) -> float:
    return round(float(F(4, 10) * F(org) + BASE_OTHERS), 2)


# ------------------------------------------------------------------ the default rubric
def test_default_rubric_has_the_settings_with_their_defaults_and_no_bonus(default_texts):
    rubric = load_rubric_texts(default_texts)
    assert rubric.bonus_items == () and rubric.eligibility.grade_caps == ()
    assert rubric.checklist.bonus.cap is None and rubric.checklist.bonus.total_cap == 100
    assert rubric.composite_max() == 100
    # Writing the defaults out changes nothing: a version stored before these settings existed is equal.
    bare = dict(default_texts)
    bare["checklist.yaml"] = bare["checklist.yaml"].replace(DEFAULT_BONUS, "")
    bare["eligibility.yaml"] = bare["eligibility.yaml"].replace("grade_caps: []\n", "")
    assert load_rubric_texts(bare) == rubric


def test_default_results_carry_no_bonus_and_no_grade_cap():
    rubric = load_rubric()
    b = one(rubric)
    assert b["bonus"] == 0 and b["grade_cap_reasons"] == ""
    assert b["org"] == 100 and b["composite"] == composite_of(100) and b["grade"] == "优秀"
    table = result_tables(score(rubric, make_inputs(rubric), year=YEAR), rubric)["结果"]
    assert "组织评定加分" not in table.columns and "等次限制说明" not in table.columns


# ------------------------------------------------------------------ bonus added, capped, not cumulative
def test_bonus_is_added_to_the_org_score_and_a_blank_bonus_is_not_missing(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts))
    assert [i.id for i in rubric.bonus_items] == ["b1", "b2", "b3"]
    assert sum(i.weight for i in rubric.base_items) == 1 and all(i.weight == 0 for i in rubric.bonus_items)
    b = one(rubric, org={"s1": 0.0, "b1": 3.0, "b2": None, "b3": "无"})  # base 95
    assert b["status"] == "已完成" and b["missing"] == ""
    assert b["bonus"] == 3 and b["org"] == 98
    assert b["composite"] == composite_of(98)
    b = one(rubric, org={"s1": 0.0, "b1": None, "b2": None, "b3": None})
    assert b["status"] == "已完成" and b["bonus"] == 0 and b["org"] == 95


def test_items_of_one_bonus_group_are_not_cumulative(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts))
    base = {"s1": 0.0, "b3": "无"}
    assert one(rubric, org={**base, "b1": 3.0, "b2": 2.0})["bonus"] == 3  # not 5: only the best of 表彰奖励
    assert one(rubric, org={**base, "b1": 1.0, "b2": 2.0})["bonus"] == 2
    assert one(rubric, org={**base, "b1": 1.0, "b2": 2.0, "b3": "有"})["bonus"] == 4  # b3 is in no group


def test_bonus_cap_limits_the_total_bonus(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts, cap="4"))
    b = one(rubric, org={"s1": 0.0, "b1": 3.0, "b3": "有"})  # 3 + 2 = 5, capped at 4
    assert b["bonus"] == 4 and b["org"] == 99
    assert rubric.checklist.bonus_max() == 4


# ------------------------------------------------------------------ total cap and 积分制
def test_total_cap_100_keeps_the_org_score_at_100(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts))
    b = one(rubric, org={"b1": 3.0, "b3": "有"})
    assert b["bonus"] == 5 and b["org"] == 100 and b["composite"] == composite_of(100)
    assert rubric.composite_max() == 100


def test_points_system_goes_above_100_and_the_top_band_covers_it(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts, total_cap="null", top="110"))
    assert rubric.checklist.org_max() == 105 and rubric.composite_max() == 102
    b = one(rubric, org={"b1": 3.0, "b3": "有"})
    assert b["org"] == 105 and b["composite"] == composite_of(105) > 100
    assert b["grade"] == "优秀" and b["stars"] == 5 and b["standardized"]
    # The weights page's score thresholds reach as far as the scores can: 102 for the composite
    scores = [s for s in adjustable_settings(rubric) if s.group in ("standardized", "weak") and s.kind == "score"]
    tops = {s.label: s.maximum for s in scores}
    assert tops and set(tops.values()) == {102, 105}, tops  # composite 102; 组织评定 105 (weak rule)
    defaults = [
        s for s in adjustable_settings(load_rubric()) if s.group in ("standardized", "weak") and s.kind == "score"
    ]
    assert defaults and all(s.maximum == 100 for s in defaults)


def test_points_system_with_bands_ending_at_100_is_refused_where_the_bands_are(default_texts):
    texts = bonus_texts(default_texts, total_cap="null")
    problems = refusals(texts)
    eligibility = texts["eligibility.yaml"]
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"grades.bands（分档）", "stars.bands（分档）"}
    grades = by_field["grades.bands（分档）"]
    assert grades.file == "eligibility.yaml"
    assert grades.line == line_of(eligibility, "  bands:", 2)  # stars come first in the file
    assert "等次最高一档“优秀”应到 102（含）或更高" in grades.message and "total_cap" in grades.message
    assert "星级最高一档“五星”应到 102（含）或更高" in by_field["stars.bands（分档）"].message
    # A top band reaching exactly the reachable maximum is enough.
    load_rubric_texts(bonus_texts(default_texts, total_cap="null", top="102"))


# ------------------------------------------------------------------ 等次限制
def test_grade_cap_lowers_the_grade_with_a_reason_and_keeps_lower_grades(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts, items="", caps=GRADE_CAPS))
    low = {item: 0.0 for item in ("r1", "r2", "r3", "y1", "y2", "y3", "s2", "s3", "p1", "t1")}  # org 43
    inputs = combine(
        make_inputs(rubric, branch={"branch_id": "A"}),  # 优秀 by score, review 优秀: no cap
        make_inputs(rubric, branch={"branch_id": "B"}, org={"annual_review_grade": "良好"}),
        make_inputs(rubric, branch={"branch_id": "C"}, org={"annual_review_grade": "良好", **low}),
        make_inputs(rubric, branch={"branch_id": "D"}, org={"s1": 0.0, "s2": 0.0}),  # key item 0, org 90
    )
    results = score(rubric, inputs, year=YEAR)
    b = results.branches
    assert b.loc["A", "grade"] == "优秀" and b.loc["A", "grade_cap_reasons"] == ""
    assert b.loc["B", "composite"] == composite_of(100)  # the score is not touched
    assert b.loc["B", "grade"] == "良好"
    assert b.loc["B", "grade_cap_reasons"] == (
        "年度述职评议考核等次达不到优秀的，不得评为优秀（年度述职评议考核等次达不到优秀）：等次最高为“良好”（按得分为“优秀”）"
    )
    # C scores 一般 already (composite < 80): the caps fire but lower nothing, and say nothing.
    assert b.loc["C", "composite"] < 80 and b.loc["C", "grade"] == "一般" and b.loc["C", "grade_cap_reasons"] == ""
    # D: two caps hold; the lower one wins and both are named.
    assert b.loc["D", "grade"] == "一般"
    reasons = b.loc["D", "grade_cap_reasons"]
    assert "有关键项得0分" in reasons and "等次最高为“良好”" in reasons
    assert "组织评定不足96分" in reasons and "等次最高为“一般”" in reasons
    table = result_tables(results, rubric)["结果"]
    assert table["等次限制说明"].tolist() == b["grade_cap_reasons"].tolist()
    assert table["等次"].tolist() == ["优秀", "良好", "一般", "一般"]
    assert not b.loc[["A", "B"], "weak"].any()  # 软弱涣散 is its own rule, not the caps'


def test_grade_cap_survives_an_analyst_rescore_and_the_sensitivity_analysis(default_texts):
    texts = bonus_texts(default_texts, cap="4", choice=True, caps=GRADE_CAPS)
    rubric = load_rubric_texts(texts)
    inputs = combine(
        make_inputs(rubric, branch={"branch_id": "A"}, org={"b1": 3.0, "b2": None, "b3": "有", "s1": 0.0}),
        make_inputs(rubric, branch={"branch_id": "B"}, org={"annual_review_grade": "良好", "b1": None, "b3": "无"}),
        make_inputs(rubric, branch={"branch_id": "C"}, org={"s2": 0.0, "s3": 2.0, "b1": 1.0, "b2": None, "b3": "无"}),
    )
    baseline = Baseline.from_inputs(rubric, inputs, year=YEAR)
    settings = {s.id: s for s in adjustable_settings(rubric)}
    assert {"bonus.cap", "bonus.total_cap"} <= set(settings)
    assert not any(s.id.startswith("items.b") for s in settings.values())  # bonus items: not in the weight group
    changed = apply_to_rubric(rubric, settings["bonus.cap"].changes(F(2)) + settings["grades.edge.2"].changes(F(95)))
    again = rescore(baseline, changed)
    direct = score(changed, inputs, year=YEAR)
    pd.testing.assert_frame_equal(again.branches, direct.branches)
    assert direct.branches["bonus"].tolist() == [2, 2, 1]
    table = sensitivity(baseline, changed, spread=0.0, n=4, seed=1)
    assert (table["grade_kept_share"] == 1).all()
    assert table["grade"].tolist() == direct.branches["grade"].tolist()
    moved = sensitivity(baseline, changed, spread=0.3, n=40, seed=2)
    assert ((moved["grade_kept_share"] >= 0) & (moved["grade_kept_share"] <= 1)).all()


def test_raising_the_total_cap_is_refused_while_the_bands_end_at_100(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts, choice=True))
    total = next(s for s in adjustable_settings(rubric) if s.id == "bonus.total_cap")
    assert total.minimum == 100 and total.maximum == 105
    with pytest.raises(RubricError, match="等次最高一档“优秀”应到 102"):
        apply_to_rubric(rubric, total.changes(F(105)))


# ------------------------------------------------------------------ loader refusals
def test_bonus_item_with_a_weight_is_refused_at_its_weight_line():
    # the legacy form, where a weight could be written: a bonus item's must be 0
    default_texts = legacy_texts()
    items = LEGACY_BONUS_ITEMS.replace(
        "    bonus: true\n    bonus_group: honours\n",
        "    bonus: true\n    weight: 0.025\n    bonus_group: honours\n",
        1,
    )
    texts = bonus_texts(default_texts, items=items)
    problems = refusals(texts)
    assert len(problems) == 1
    p = problems[0]
    assert (p.file, p.line, p.field) == (
        "checklist.yaml",
        line_of(texts["checklist.yaml"], "weight: 0.025"),
        "items[b1].weight（权重）",
    )
    assert "加分项 b1 不参与权重" in p.message and "weight 应为0或不写" in p.message


def test_bonus_item_in_points_with_a_weight_is_refused_at_the_item(default_texts):
    items = BONUS_ITEMS.replace(
        "    bonus: true\n    bonus_group: honours\n", "    bonus: true\n    weight: 0\n    bonus_group: honours\n", 1
    )
    (p,) = refusals(bonus_texts(default_texts, items=items))
    assert p.field.startswith("items[b1]") and "写了 points（分值）就不能再写 weight" in p.message


def test_unknown_grade_cap_label_and_veto_rule_are_refused_with_their_lines(default_texts):
    caps = GRADE_CAPS.replace("max_grade: 良好", "max_grade: 一类").replace("rule: annual_review", "rule: annual")
    texts = bonus_texts(default_texts, items="", caps=caps)
    problems = {p.field: p for p in refusals(texts)}
    label = problems["grade_caps[review_not_top].max_grade（最高等次）"]
    assert label.file == "eligibility.yaml" and label.line == line_of(texts["eligibility.yaml"], "max_grade: 一类")
    assert label.message == "等次限制 review_not_top 的最高等次“一类”不是 grades 中的等次，可选：优秀、良好、一般、较差"
    rule = problems["grade_caps[review_not_top].any_of[0].rule（否决规则）"]
    assert rule.line == line_of(texts["eligibility.yaml"], "rule: annual,")
    assert "否决规则“annual”未在 veto_rules 中定义" in rule.message


def test_other_bonus_mistakes_are_refused(default_texts):
    items = BONUS_ITEMS.replace(
        "bonus_group: honours\n    description: 获得区级", "bonus_group: medals\n    description: 获得区级"
    ).replace("    bonus: true\n    description: 形成", "    bonus: true\n    key: true\n    description: 形成")
    texts = bonus_texts(default_texts, items=items, total_cap="90")
    texts["checklist.yaml"] = texts["checklist.yaml"].replace(
        "    area: role\n    frame000: null\n    strength: political\n",
        "    area: role\n    frame000: null\n    strength: null\n",
        1,
    )
    messages = {p.field: p.message for p in refusals(texts)}
    assert messages["items[b2].bonus_group（加分组）"].startswith(
        "加分项 b2 的加分组“medals”未在 bonus.groups 中定义，可选：honours"
    )
    assert messages["items[b3].key"] == "加分项 b3 不能是关键项（key）"
    assert "total_cap 应不低于 100" in messages["bonus.total_cap（总分上限）"]
    assert messages["items[r1].strength（五强维度）"].startswith("指标 r1 缺少 strength（五强维度）")


def test_a_base_item_cannot_join_a_bonus_group(default_texts):
    texts = bonus_texts(default_texts)
    texts["checklist.yaml"] = texts["checklist.yaml"].replace(
        "    key: true\n", "    key: true\n    bonus_group: honours\n", 1
    )
    (problem,) = refusals(texts)
    assert problem.field == "items[s1].bonus_group（加分组）" and "s1 不是加分项" in problem.message


# ------------------------------------------------------------------ downstream: gaps, five 强, forms, workbook
def test_a_missing_bonus_is_an_opportunity_not_a_loss(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts, cap="4"))
    results = score(rubric, make_inputs(rubric, org={"s1": 0.0, "b1": 3.0, "b2": None, "b3": "无"}), year=YEAR)
    gaps = gap_list(rubric, results, "B1")
    assert gaps["kind"].tolist() == ["item", "bonus"]
    assert gaps.iloc[0]["id"] == "s1" and gaps.iloc[0]["points_lost"] == 5
    bonus = gaps.iloc[1]
    assert bonus["id"] == "b3" and np.isnan(bonus["points_lost"]) and not bonus["blocks_standard"]
    assert "可再加1分" in bonus["finding"]  # 3 + 2 would be 5; the cap is 4
    # b2 adds nothing next to b1's 3 in the same group, b1 is at its max: neither is listed.
    full = score(rubric, make_inputs(rubric, org={"b1": 3.0, "b3": "无"}), year=YEAR)
    assert gap_list(rubric, full, "B1").empty  # org is 100 already: no bonus can add anything


def test_five_strong_shares_ignore_bonus_items(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts))
    with_bonus = score(rubric, make_inputs(rubric, org={"b1": 0.0, "b2": None, "b3": None}), year=YEAR)
    plain = score(load_rubric(), make_inputs(load_rubric()), year=YEAR)
    pd.testing.assert_frame_equal(with_bonus.dimensions, plain.dimensions)
    assert with_bonus.branches.iloc[0]["five_strong"]


def test_form_payload_and_workbook_carry_bonus_items(default_texts, tmp_path):
    from assessment.inputs.workbook import read_workbook, sheet_specs
    from assessment.outputs.input_workbook import write_input_workbook

    rubric = load_rubric_texts(bonus_texts(default_texts))
    column = next(c for c in sheet_specs(rubric)["org"].columns if c.key == "b3")
    assert column.kind == "choice" and column.comment.startswith("加分项")

    inputs = make_inputs(rubric, org={"s1": 0.0, "b1": 3.0, "b2": None, "b3": "有"})
    path = write_input_workbook(inputs, rubric, tmp_path / "bonus.xlsx")
    back = read_workbook(path, rubric)
    pd.testing.assert_frame_equal(
        score(rubric, back, year=YEAR).branches, score(rubric, inputs, year=YEAR).branches, check_dtype=False
    )

    payload = blank_payload(rubric)
    assert set(payload["org"]["items"]) >= {"b1", "b2", "b3"}
    payload["org"]["items"]["b3"]["value"] = "很好"
    problems = check_payload(payload, rubric)
    assert [p.field for p in problems] == ["org.items.b3.value"]
    payload["org"]["items"]["b3"]["value"] = "有"
    assert check_payload(payload, rubric) == []
    scored = score(rubric, inputs_for(inputs.branches, inputs.activities, {"B1": payload}, rubric), year=YEAR)
    b = scored.branches.iloc[0]
    assert b["bonus"] == 2 and "b3" not in b["missing"]


def test_result_tables_show_the_bonus_and_the_caps(default_texts):
    rubric = load_rubric_texts(bonus_texts(default_texts, cap="4", caps=GRADE_CAPS))
    results = score(rubric, make_inputs(rubric, org={"s1": 0.0, "b1": 3.0, "b3": "有"}), year=YEAR)
    tables = result_tables(results, rubric)
    assert tables["结果"]["组织评定加分"].tolist() == [4]
    settings = dict(zip(tables["评分标准"]["项目"], tables["评分标准"]["内容"]))
    assert settings["加分上限"] == "4分" and settings["组织评定总分上限"] == "100分"
    assert settings["等次限制：组织评定不足96分的，最高评为一般"] == "等次最高为“一般”"


def test_weights_page_offers_the_bonus_caps_and_keeps_bonus_items_out_of_the_weight_group(default_texts):
    from assessment.demo.street import generate_demo
    from assessment.pages.weights.app import WeightsApp

    texts = bonus_texts(default_texts, cap="4", choice=True)
    rubric = load_rubric_texts(texts)
    app = WeightsApp(texts, generate_demo(rubric), YEAR)
    assert app.ready and app.error.value == ""
    assert "items.b1" not in app.controls and {"bonus.cap", "bonus.total_cap"} <= set(app.controls)
    # the base items' 分值 add up to the total; the bonus items' points are outside it
    assert sum(v for k, v in app.state.values.items() if k.startswith("items.")) == 100
    # When the cap moves, then the draft is re-scored with it.
    app.controls["bonus.cap"].value = 1
    assert app.error.value == ""
    assert app.shown.rubric.checklist.bonus.cap == 1
    assert (app.shown.results.branches["bonus"] <= 1).all()


# ------------------------------------------------------------------ the evaluator's page
def test_the_evaluate_page_marks_bonus_items_and_shows_the_bonus_and_the_grade_cap(
    default_texts, tmp_path, sample_inputs
):
    from assessment.pages.evaluate.app import EvaluateApp
    from assessment.store import Store

    texts = bonus_texts(default_texts, cap="3", caps=GRADE_CAPS)
    version = load_rubric_texts(default_texts).version
    texts["meta.yaml"] = texts["meta.yaml"].replace(f'version: "{version}"', 'version: "2099.1"')
    with Store(f"sqlite:///{tmp_path / 'db.sqlite'}") as store:
        store.rubrics.save(texts, author="李四", note="街道评分细则：加分项与等次限制")
        rubric = store.rubrics.current()
        assert rubric.version == "2099.1" and rubric.bonus_items
        store.records.import_inputs(sample_inputs, year=YEAR, evaluator="张三", rubric_version=rubric, source="s.xlsx")
        # 张三 imported B01's evaluation: signed in as 张三, the form opens with it
        app = EvaluateApp(store, rubric, session=staff_session(store, "张三"))
        app.open_branch("B01", YEAR)
        # A bonus item says so and how much it can add, instead of 满分
        heads = [w.value for w in walk(app.form.box) if "b1 获得市级表彰" in str(getattr(w, "value", ""))]
        assert heads and "加分项" in heads[0] and "最多加3分" in heads[0] and "满分3分" not in heads[0]
        # Typing the bonus shows it in the results panel, capped at 3 (b1 3 + b3 2 → 3)
        app.inputs["org.items.b1.value"].value = "3"
        app.inputs["org.items.b3.value"].value = "有"
        panel = app.panel.eligibility.value
        assert "组织评定加分" in panel and "<td>3</td>" in panel.replace(".00", "")
        assert "等次限制" not in panel  # B01 is 优秀 with a review of 优秀: nothing lowers it
        # A review of 良好 fires the veto annual_review: the grade is capped, and the panel says why
        app.inputs["org.annual_review_grade"].value = "良好"
        panel = app.panel.eligibility.value
        assert "<th>等次限制</th>" in panel and "年度述职评议考核等次达不到优秀" in panel
        assert "等次最高为“良好”（按得分为“优秀”）" in panel and app.panel.grade == "良好"


def test_the_self_total_on_the_evaluate_page_adds_the_bonus_by_the_scoring_rule(default_texts):
    import datetime as dt

    from assessment.pages.evaluate.self_scores import self_side
    from assessment.scoring.channels import org_score
    from assessment.store import SelfAssessment

    rubric = load_rubric_texts(bonus_texts(default_texts, cap="4"))
    payload = blank_payload(rubric)
    payload["org"]["items"]["s1"]["value"] = "5"
    payload["org"]["items"]["b1"]["value"] = "3"
    payload["org"]["items"]["b2"]["value"] = "2"  # same group as b1: not added
    payload["org"]["items"]["b3"]["value"] = "有"  # 3 + 2 = 5, capped at 4
    stored = SelfAssessment("B1", YEAR, "submitted", payload, rubric.version, dt.datetime(2025, 3, 1), "支部")
    side = self_side(rubric, "B1", stored)
    s1 = next(i for i in rubric.items if i.id == "s1")
    assert side.bonus == 4
    assert side.total == F(s1.weight) * 100 + 4  # s1 at full marks, every other base item blank
    assert side.unfilled == len(rubric.base_items) - 1
    items = pd.DataFrame({i.id: [0.0] for i in rubric.items}).assign(s1=5.0, b1=3.0, b2=2.0, b3=2.0)
    assert float(side.total) == org_score(rubric, items)[0]
