"""The kinds flag, evidence_deduction, multi_deduction and stepped, through the whole path: the rubric refuses
what cannot be scored (in Chinese, naming the item), scoring matches hand calculation, a flag vetoes and caps
with its own words, the evidence marks are the count, and the workbook, the payload, the merge, the gaps and
the 计算过程 all read the same inputs. The rubric is the default one with the lines of kinds_fixture.py."""

from __future__ import annotations

from fractions import Fraction as F

import pandas as pd
import pytest
from factories import YEAR, full_form, make_inputs
from kinds_fixture import NEW_ITEMS, S2_KINDS, S3_KINDS, kinds_rubric, kinds_texts
from samples import edit_cells

from assessment.inputs.frames import org_columns
from assessment.inputs.merge import reconcile
from assessment.inputs.payload import check_payload, inputs_for, payload_from_inputs
from assessment.inputs.workbook import WorkbookError, read_workbook
from assessment.outputs.input_workbook import write_input_workbook
from assessment.rubric import RubricError, load_rubric_texts
from assessment.scoring import score
from assessment.scoring.explain_kinds import KIND_EXPLAINERS, kind_earned
from assessment.scoring.gaps import gap_list

# s2 (evidence_deduction, 2 evidence, 每缺一项扣2分, 满分5, weight 0.05), s3 (multi_deduction: 未按期换届
# 每次扣3分, 选举程序记录不全 每次扣0.5分, 满分5, weight 0.05), f1 (flag), b9 (stepped bonus: 5篇1分, 10篇2分).
SEEN, MISSING = "已查看", "缺失"


@pytest.fixture(scope="module")
def rubric():
    return kinds_rubric()


def one(rubric, org: dict, **parts) -> tuple[pd.Series, object]:
    results = score(rubric, make_inputs(rubric, branch={"kind": "社区"}, org=org, **parts), year=YEAR)
    return results.branches.iloc[0], results


def refusals(texts: dict[str, str]) -> list[str]:
    with pytest.raises(RubricError) as caught:
        load_rubric_texts(texts)
    return [str(problem) for problem in caught.value.problems]


# ------------------------------------------------------------------ the rubric
def test_the_fixture_loads_with_each_kind_and_the_flag_outside_every_sum(rubric):
    kinds = {item.id: item.kind for item in rubric.items}
    assert (kinds["s2"], kinds["s3"], kinds["f1"], kinds["b9"]) == (
        "evidence_deduction",
        "multi_deduction",
        "flag",
        "stepped",
    )
    assert "f1" not in {i.id for i in rubric.base_items} and "f1" not in {i.id for i in rubric.bonus_items}
    assert rubric.item("f1").max == 0 and rubric.item("f1").weight == 0
    assert sum(i.weight for i in rubric.base_items) == 1
    assert rubric.item("b9").top == 2 and rubric.checklist.bonus_max() == 2
    assert [r.id for r in rubric.veto_rules][-1] == "serious_violation"
    columns = org_columns(rubric)
    assert columns["s2.1"] == "s2 支部委员会设置·支委选举结果批复"
    assert columns["s3.late"] == "s3 按期换届·未按期换届"
    assert "s2" not in columns and "s3" not in columns and columns["f1"] == "f1 严重违纪违法"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (S2_KINDS, S2_KINDS.replace("    per: 2\n", ""), ["s2", "evidence_deduction 需要字段：per"]),
        (S3_KINDS, S3_KINDS.replace("per: 0.5", "per: 0"), ["s3", "应大于0"]),
        (S3_KINDS, S3_KINDS.replace("id: record", "id: late"), ["s3", "扣分规则编号重复"]),
        (S3_KINDS, S3_KINDS + "    steps: [{at: 1, points: 1}]\n", ["s3", "steps 只用于计分方式 stepped"]),
        (NEW_ITEMS, NEW_ITEMS.replace("{at: 10, points: 2}", "{at: 4, points: 2}"), ["b9", "从小到大"]),
        (NEW_ITEMS, NEW_ITEMS.replace("{at: 10, points: 2}", "{at: 10, points: 3}"), ["b9", "超过满分 2"]),
        (NEW_ITEMS, NEW_ITEMS.replace("    flag_label: 发生严重违纪违法问题\n", ""), ["f1", "需要字段：flag_label"]),
        (
            NEW_ITEMS,
            NEW_ITEMS.replace("    kind: flag\n    points: 0\n", "    kind: flag\n    points: 3\n"),
            ["f1", "不得分"],
        ),
        (NEW_ITEMS, NEW_ITEMS.replace("    kind: stepped\n", "    kind: stepped\n    per: 1\n"), ["b9", "per"]),
    ],
)
def test_kind_fields_are_required_and_foreign_ones_refused_in_chinese(old, new, words):
    texts = kinds_texts()
    assert old in texts["checklist.yaml"]
    texts["checklist.yaml"] = texts["checklist.yaml"].replace(old, new)
    found = refusals(texts)
    assert any(all(word in text for word in words) for text in found), found


def test_evidence_deduction_needs_its_evidence_list():
    texts = kinds_texts()
    assert "    evidence: [支委选举结果批复, 支委分工文件]\n" in texts["checklist.yaml"]
    texts["checklist.yaml"] = texts["checklist.yaml"].replace("    evidence: [支委选举结果批复, 支委分工文件]\n", "", 1)
    found = refusals(texts)
    assert any("s2" in text and "evidence 不能为空" in text for text in found), found


def test_item_flag_rules_must_name_a_flag_item_and_follow_the_four_fixed_rules():
    texts = kinds_texts()
    texts["eligibility.yaml"] = texts["eligibility.yaml"].replace("    item: f1\n", "    item: s1\n")
    texts["eligibility.yaml"] = texts["eligibility.yaml"].replace(
        "{type: item_flag, item: f1}", "{type: item_flag, item: zz}"
    )
    found = refusals(texts)
    assert any("veto_rules" in t and "s1" in t and "不是 flag" in t for t in found), found
    assert any("grade_caps" in t and "“zz”未在 checklist.yaml 中定义" in t and "f1" in t for t in found), found
    texts = kinds_texts()
    eligibility = texts["eligibility.yaml"]
    rule = eligibility[eligibility.index("  - id: serious_violation") : eligibility.index("\n# 最强资格 = 达标") + 1]
    eligibility = eligibility.replace(rule, "")
    texts["eligibility.yaml"] = eligibility.replace("veto_rules:\n", "veto_rules:\n" + rule, 1)
    found = refusals(texts)
    assert any("serious_violation" in t and "应写在四条固定的否决规则之后" in t for t in found), found


# ------------------------------------------------------------------ scoring by hand
def test_points_match_hand_calculation(rubric):
    cases = [
        # s2 marks, s3 counts (late, record), b9 count → s2, s3, b9 points
        ((SEEN, SEEN), (0, 0), 10, (5, 5, 2)),
        ((MISSING, SEEN), (1, 1), 7, (3, F(3, 2), 1)),
        ((MISSING, MISSING), (0, 3), 9, (1, F(7, 2), 1)),
        ((MISSING, MISSING), (2, 4), 4, (1, 0, 0)),  # s3: 3×2+0.5×4 = 8 over 5: floor at 0; 4篇 no step
        ((SEEN, MISSING), (0, 10), 5, (3, 0, 1)),
        ((SEEN, SEEN), (1, 0), 30, (5, 2, 2)),  # 30篇: the highest step, not cumulative
    ]
    for marks, (late, record), count, expected in cases:
        org = {"s2.1": marks[0], "s2.2": marks[1], "s3.late": float(late), "s3.record": float(record), "b9": count}
        branch, results = one(rubric, org)
        got = tuple(F(results.items.loc["B1", key]).limit_denominator(100) for key in ("s2", "s3", "b9"))
        assert got == tuple(F(v) for v in expected), (marks, late, record, count)
        lost = (5 - F(expected[0])) * F(5, 100) / 5 * 100 + (5 - F(expected[1])) * F(5, 100) / 5 * 100
        assert branch["org"] == float(min(100 - lost + F(expected[2]), 100))
        assert branch["status"] == "已完成"


def test_a_blank_mark_or_count_leaves_the_item_unscored_and_names_it(rubric):
    branch, results = one(rubric, {"s2.2": None})
    assert pd.isna(results.items.loc["B1", "s2"]) and branch["status"] == "未完成"
    assert "s2 支部委员会设置" in branch["missing"]
    branch, results = one(rubric, {"s3.record": None})
    assert pd.isna(results.items.loc["B1", "s3"]) and "s3 按期换届" in branch["missing"]


def test_a_flag_vetoes_and_caps_the_grade_with_its_own_words(rubric):
    clear, _ = one(rubric, {"f1": False})
    assert clear["strongest"] and clear["grade"] == "优秀" and clear["grade_cap_reasons"] == ""
    assert "各项否决规则均通过" in clear["reasons"]
    raised, results = one(rubric, {"f1": True})
    assert not raised["strongest"] and raised["veto_ids"] == "serious_violation"
    assert "发生严重违纪违法问题" in raised["veto_text"] and "群众" not in raised["veto_text"]
    assert raised["org"] == clear["org"] and raised["composite"] == clear["composite"]  # a flag costs no points
    assert raised["grade"] == "一般"
    assert raised["grade_cap_reasons"] == (
        "发生严重违纪违法问题的，不得评为优秀（发生严重违纪违法问题）：等次最高为“一般”（按得分为“优秀”）"
    )
    row = results.vetoes[results.vetoes["rule_id"] == "serious_violation"].iloc[0]
    assert not bool(row["passed"])
    assert row["observed"] == "是" and row["source"].startswith("测试用评分细则")
    blank, results = one(rubric, {"f1": None})
    assert blank["status"] == "已完成"  # not recorded: no points missing, but the veto cannot tell
    assert (
        not blank["strongest"]
        and "无法判断" in blank["reasons"]
        and "尚未记录“发生严重违纪违法问题”" in blank["reasons"]
    )
    assert blank["grade"] == "优秀"


def test_a_rule_may_give_its_own_texts(rubric):
    texts = kinds_texts()
    texts["eligibility.yaml"] = texts["eligibility.yaml"].replace(
        "    item: f1\n", "    item: f1\n    fail_text: 本年度{item}记录为{observed}，一票否决。\n"
    )
    own = load_rubric_texts(texts)
    branch, _ = one(own, {"f1": True})
    assert "本年度f1 严重违纪违法记录为是，一票否决" in branch["veto_text"]


# ------------------------------------------------------------------ payload, merge, workbook
def kinds_form(rubric, **items) -> dict:
    payload = full_form(rubric)
    for item_id, entry in items.items():
        payload["org"]["items"][item_id].update(entry)
    return payload


def test_the_evidence_marks_are_the_count_and_a_typed_count_is_refused(rubric):
    payload = kinds_form(
        rubric,
        s2={"evidence": {"支委选举结果批复": "missing", "支委分工文件": "missing"}},
        s3={"counts": {"late": "1", "record": "2"}},
        b9={"value": "12"},
        f1={"value": "否"},
    )
    assert check_payload(payload, rubric) == []
    branches = make_inputs(rubric, branch={"kind": "社区"}).branches
    inputs = inputs_for(branches, make_inputs(rubric).activities, {"B1": payload}, rubric)
    items = score(rubric, inputs, year=YEAR).items.loc["B1"]
    assert (items["s2"], items["s3"], items["b9"]) == (1.0, 1.0, 2.0)
    assert payload_from_inputs(inputs, "B1", rubric)["org"]["items"]["s2"]["evidence"] == {
        "支委选举结果批复": "missing",
        "支委分工文件": "missing",
    }
    wrong = kinds_form(
        rubric,
        s2={"value": "12", "evidence": {"支委选举结果批复": "missing", "党员花名册": "missing"}},
        s3={"counts": {"late": "十二", "record": "0"}},
        f1={"value": "也许"},
    )
    problems = {(p.field, p.label, p.message) for p in check_payload(wrong, rubric)}
    assert ("org.items.s2.value", "s2 支部委员会设置", "本指标逐项勾选台账（已查看/缺失）计数，不单独填写") in problems
    assert any(f == "org.items.s2.evidence" and "“党员花名册”不在本指标的台账清单中" in m for f, _l, m in problems)
    assert any(f == "org.items.s3.counts.late" and lab == "s3 按期换届·未按期换届" for f, lab, _m in problems)
    assert any(f == "org.items.f1.value" and "应为“是”或“否”" in m for f, _l, m in problems)


def test_merging_keeps_a_missing_mark_and_a_raised_flag_and_says_so(rubric):
    first = kinds_form(
        rubric, s2={"evidence": {"支委选举结果批复": "seen", "支委分工文件": "seen"}}, f1={"value": False}
    )
    second = kinds_form(
        rubric, s2={"evidence": {"支委选举结果批复": "missing", "支委分工文件": "seen"}}, f1={"value": True}
    )
    merged, disagreements = reconcile({"甲": first, "乙": second}, rubric)
    assert merged["org"]["items"]["s2"]["evidence"] == {"支委选举结果批复": "missing", "支委分工文件": "seen"}
    assert merged["org"]["items"]["f1"]["value"] is True
    labels = {d.label for d in disagreements}
    assert {"s2 支部委员会设置·支委选举结果批复", "f1 严重违纪违法"} <= labels


def test_the_workbook_carries_each_mark_and_count_and_names_a_wrong_cell(rubric, tmp_path):
    inputs = make_inputs(rubric, branch={"kind": "社区"}, org={"s2.1": MISSING, "s3.late": 1.0, "f1": True, "b9": 6.0})
    path = write_input_workbook(inputs, rubric, tmp_path / "kinds.xlsx")
    back = read_workbook(path, rubric)
    row = back.org.iloc[0]
    assert (row["s2.1"], row["s2.2"], row["s3.late"], row["s3.record"], bool(row["f1"]), row["b9"]) == (
        MISSING,
        SEEN,
        1.0,
        0.0,
        True,
        6.0,
    )
    assert score(rubric, back, year=YEAR).items.loc["B1", "s2"] == 3.0
    edit_cells(
        path,
        [
            ("组织评定", 2, "s2 支部委员会设置·支委分工文件", "丢了"),
            ("组织评定", 2, "s3 按期换届·选举程序记录不全", -1),
            ("组织评定", 2, "f1 严重违纪违法", "有"),
        ],
    )
    with pytest.raises(WorkbookError) as caught:
        read_workbook(path, rubric)
    found = {(p.sheet, p.row, p.column): str(p) for p in caught.value.problems}
    assert "已查看、缺失" in found[("组织评定", 2, "s2 支部委员会设置·支委分工文件")]
    assert "不小于0的整数" in found[("组织评定", 2, "s3 按期换届·选举程序记录不全")]
    assert "“是”或“否”" in found[("组织评定", 2, "f1 严重违纪违法")]


# ------------------------------------------------------------------ gaps and 计算过程
def test_gaps_name_the_missing_evidence_the_deductions_and_a_raised_flag(rubric):
    inputs = make_inputs(rubric, branch={"kind": "社区"}, org={"s2.2": MISSING, "s3.late": 1.0, "f1": True, "b9": 6.0})
    results = score(rubric, inputs, year=YEAR)
    gaps = gap_list(rubric, results, "B1", org=inputs.org).set_index("id")
    assert gaps.loc["f1", "kind"] == "flag" and "发生严重违纪违法问题" in gaps.loc["f1", "finding"]
    assert gaps.index[0] == "f1"
    assert "缺失1项（支委分工文件）" in gaps.loc["s2", "finding"] and "需补齐：支委分工文件" in gaps.loc["s2", "advice"]
    assert "未按期换届1次 × 扣3分 = 扣3分" in gaps.loc["s3", "finding"]
    assert gaps.loc["b9", "kind"] == "bonus" and "达到6，在5以上，得1分" in gaps.loc["b9", "finding"]
    plain = gap_list(rubric, results, "B1")  # without the inputs: points only, as before
    assert "f1" not in set(plain["id"]) and "缺失1项" not in plain.set_index("id").loc["s2", "finding"]


def test_explanations_in_words_agree_with_scoring(rubric):
    item = rubric.item("s2")
    assert KIND_EXPLAINERS["evidence_deduction"](item, {"s2.1": MISSING, "s2.2": MISSING}) == (
        "台账2项：已查看0项，缺失2项（支委选举结果批复、支委分工文件）；缺失2项 × 扣2分 = 扣4分，得1分（满分5分）"
    )
    assert KIND_EXPLAINERS["evidence_deduction"](item, {"evidence": {"支委选举结果批复": "seen"}}).startswith(
        "台账2项中1项尚未填写"
    )
    item = rubric.item("s3")
    assert KIND_EXPLAINERS["multi_deduction"](item, {"counts": {"late": 2, "record": 1}}) == (
        "未按期换届2次 × 扣3分 = 扣6分；选举程序记录不全1次 × 扣0.5分 = 扣0.5分；合计扣6.5分，扣完为止，得0分（满分5分）"
    )
    item = rubric.item("b9")
    assert KIND_EXPLAINERS["stepped"](item, 4) == "达到4，不足5，得0分（5以上得1分、10以上得2分，不累计）"
    assert KIND_EXPLAINERS["stepped"](item, {"value": "10"}).startswith("达到10，在10以上，得2分")
    assert KIND_EXPLAINERS["flag"](rubric.item("f1"), "是").startswith("记录“发生严重违纪违法问题”：是")
    # The same rule as scoring, over a spread of inputs (one street of many branches, scored at once).
    combos = [
        (marks, late, record, count)
        for marks in ((SEEN, SEEN), (SEEN, MISSING), (MISSING, MISSING))
        for late in range(3)
        for record in (0, 1, 3, 9)
        for count in (0, 4, 5, 9, 10, 11)
    ]
    rows = [
        {"s2.1": m[0], "s2.2": m[1], "s3.late": float(late), "s3.record": float(record), "b9": float(count)}
        for m, late, record, count in combos
    ]
    parts = [make_inputs(rubric, branch={"branch_id": f"B{n}", "kind": "社区"}, org=row) for n, row in enumerate(rows)]
    street = type(parts[0])(
        **{
            name: pd.concat([getattr(p, name) for p in parts], ignore_index=True)
            for name in ("branches", "org", "member", "public", "social", "activities")
        }
    )
    items = score(rubric, street, year=YEAR).items
    for n, row in enumerate(rows):
        for key in ("s2", "s3", "b9"):
            assert kind_earned(rubric.item(key), pd.Series(row)) == F(items.loc[f"B{n}", key]), (row, key)


def test_the_default_rubric_has_none_of_these_kinds():
    from assessment.rubric import load_rubric

    default = load_rubric()
    assert not {i.kind for i in default.items} & {"flag", "evidence_deduction", "multi_deduction", "stepped"}
    assert len(default.veto_rules) == 4 and default.checklist.flag_items == ()


def test_a_stored_rubric_with_a_stray_field_on_an_older_kind_still_loads_but_new_fields_stay_with_their_kinds():
    texts = kinds_texts()
    s1 = "  - id: s1\n    label: 支部设置规范\n"
    assert s1 in texts["checklist.yaml"]
    # An unused target on a points item was accepted before these kinds existed: a stored version keeps loading.
    texts["checklist.yaml"] = texts["checklist.yaml"].replace(s1, s1 + "    target: 3\n")
    assert load_rubric_texts(texts).item("s1").target == 3
    texts["checklist.yaml"] = texts["checklist.yaml"].replace(s1, s1 + "    flag_label: 有问题\n")
    found = refusals(texts)
    assert any("s1" in t and "flag_label 只用于计分方式 flag" in t for t in found), found


def test_the_one_explanation_entry_point_reads_each_new_kind_from_a_row(rubric):
    """The 明细 sheet, the PDF and the evaluate page ask explain_item with the 组织评定 row (item_input): a
    kind with several inputs reads its marks and counts from the row, a flag left blank is not 缺项."""
    from assessment.scoring.explain import explain_item, item_input

    row = {"s2.1": MISSING, "s2.2": SEEN, "s3.late": 1.0, "s3.record": 0.0, "b9": 5.0, "f1": None}
    ids = {"s2.1": "s2", "s3.late": "s3", "b9": "b9", "f1": "f1"}
    texts = {key: explain_item(rubric.item(i), item_input(rubric.item(i), row)) for key, i in ids.items()}
    assert texts["s2.1"] == KIND_EXPLAINERS["evidence_deduction"](rubric.item("s2"), row)
    assert "缺失1项 × 扣2分 = 扣2分，得3分" in texts["s2.1"]
    assert "未按期换届1次 × 扣3分 = 扣3分" in texts["s3.late"]
    assert texts["b9"].startswith("达到5，在5以上，得1分")
    assert texts["f1"].startswith("未记录“发生严重违纪违法问题”")
    assert "暂无计算过程说明" not in "".join(texts.values())
