"""计算过程: the words say how the points came about, and their final number is the scored number."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from assessment import display
from assessment.rubric.model import ChecklistItem
from assessment.scoring.channels import item_points
from assessment.scoring.explain import EXPLAINERS, explain_bonus, explain_item

COMMON = {"area": "setting", "strength": "team", "description": "说明", "advice": "建议", "source": "测试"}


def make(kind: str, max_=7, **fields) -> ChecklistItem:
    return ChecklistItem(id="x1", label="测试指标", kind=kind, max=max_, weight=Fraction(1, 10), **COMMON, **fields)


POINTS = make("points", 5)
LEVEL = make(
    "level", 3, levels=[{"label": "好", "points": 3}, {"label": "一般", "points": 2}, {"label": "差", "points": 0}]
)
SHORTFALL = make("count_shortfall", 4, target=4, per=Fraction(1, 2))
DEDUCTION = make("deduction", 7, per=1)
HALF_DEDUCTION = make("deduction", 2, per=Fraction(1, 2))
RATE = {p: make("rate_steps", 3, target=90, step=10, per=1, partial=p) for p in ("floor", "ceil", "prorate")}
BONUS = make("points", 2, bonus=True)

CASES = [
    (POINTS, 4.5),
    (POINTS, 0.0),
    (POINTS, 5.0),
    (POINTS, 1 / 3),
    (LEVEL, "一般"),
    (LEVEL, "差"),
    (LEVEL, "好"),
    (SHORTFALL, 2.0),  # 少2次 × 0.5 = 1
    (SHORTFALL, 4.0),  # met
    (SHORTFALL, 9.0),  # above the target
    (SHORTFALL, 0.0),  # 少4次 × 0.5 = 2
    (make("count_shortfall", 1, target=12, per=Fraction(1, 2)), 3.0),  # 扣4.5 of 1: floor at 0
    (DEDUCTION, 3.0),
    (DEDUCTION, 0.0),
    (DEDUCTION, 7.0),  # exactly to 0
    (DEDUCTION, 12.0),  # past 0: 扣完为止
    (HALF_DEDUCTION, 3.0),
    *[(RATE[p], rate) for p in RATE for rate in (95.0, 90.0, 85.0, 80.0, 75.5, 61.0, 0.0)],
    (BONUS, 1.5),
    (BONUS, 0.0),
]


def final_number(text: str) -> str:
    """The last 得X分 / 加X分 of an explanation."""
    found = re.findall(r"[得加](\d+(?:\.\d+)?)分", text)
    assert found, text
    return found[-1]


@pytest.mark.parametrize(("item", "value"), CASES)
def test_the_explanation_ends_with_the_scored_points(item, value):
    scored = item_points(item, pd.Series([value], dtype=object if isinstance(value, str) else "float64"))[0]
    text = explain_item(item, value)
    assert final_number(text) == display.number(scored, 2, trim=True), text


def test_every_kind_of_the_model_has_an_explainer():
    from assessment.scoring.explain_kinds import KIND_EXPLAINERS

    kinds = ChecklistItem.model_fields["kind"].annotation.__args__
    assert set(kinds) <= set(EXPLAINERS) | set(KIND_EXPLAINERS)


def test_the_words_name_the_rule_and_the_input():
    assert explain_item(DEDUCTION, 3) == "缺3项 × 扣1分 = 扣3分，得4分（满分7分）"
    assert explain_item(SHORTFALL, 2) == "实际2次，比要求4次少2次 × 扣0.5分 = 扣1分，得3分（满分4分）"
    assert explain_item(LEVEL, "一般").startswith("选“一般”档：得2分（满分3分）")
    assert explain_item(POINTS, 4).startswith("考评人打分")
    assert "扣完为止，得0分" in explain_item(DEDUCTION, 12)
    assert "不足一档的不扣，按1档计" in explain_item(RATE["floor"], 75.5)
    assert "不足一档的按一档扣，按2档计" in explain_item(RATE["ceil"], 75.5)
    assert "1.45档" in explain_item(RATE["prorate"], 75.5)
    assert "达到要求的90%以上，不扣分" in explain_item(RATE["ceil"], 90)
    assert explain_item(BONUS, 1.5).startswith("考评人打分：加1.5分（加分项")


def test_missing_input_and_not_applicable_are_said_as_such():
    assert explain_item(POINTS, None) == "未填写：缺项，组织评定未完成"
    assert explain_item(POINTS, float("nan")) == "未填写：缺项，组织评定未完成"
    assert explain_item(LEVEL, pd.NA) == "未填写：缺项，组织评定未完成"
    assert explain_item(BONUS, None) == "未填写：加分项空白按不加分计"
    limited = make("points", 2, applies_to=["村", "社区"], applies_to_source="测试")
    assert explain_item(limited, 1, branch_kind="机关").startswith(
        "不适用（支部类型：机关；本项只适用于村、社区党支部）"
    )
    # a branch of unknown kind is scored (the kit cannot tell)
    assert final_number(explain_item(limited, 1, branch_kind=None)) == "1"
    assert "不是本项的档次" in explain_item(LEVEL, "很好")


def test_the_rubric_decimals_round_the_shown_numbers():
    item = make("points", 5)
    assert final_number(explain_item(item, 2 / 3, decimals=1)) == "0.7"
    assert np.isclose(item_points(item, pd.Series([2 / 3]))[0], 2 / 3)


def test_bonus_groups_and_cap_are_explained():
    one = make("points", 3, bonus=True, bonus_group="honours").model_copy(update={"id": "b1", "label": "市级表彰"})
    two = make("points", 2, bonus=True, bonus_group="honours").model_copy(update={"id": "b2", "label": "区级表彰"})
    three = make("points", 2, bonus=True).model_copy(update={"id": "b3", "label": "创新案例"})
    points = {"b1": Fraction(3), "b2": Fraction(2), "b3": Fraction(2)}
    total, text = explain_bonus([one, two, three], points, {"honours": "表彰奖励"}, Fraction(4))
    assert total == 4
    assert "市级表彰3分（表彰奖励不累计，取最高一项）" in text
    assert "区级表彰" not in text
    assert text.endswith("合计5分，超过加分上限4分，按4分计：加4分")
    total, text = explain_bonus([three], {}, {}, None)
    assert (total, text) == (0, "无加分：加0分")
