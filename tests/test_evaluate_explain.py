"""查看计算过程 on the 考评 page: behind each indicator, how its points came about, redrawn as the evaluator types.

Driven through the app's widgets (no browser); the words are those of the 明细 sheet
(assessment.scoring.explain), so this checks that the page shows them for what is typed, and only then.
"""

from __future__ import annotations

import pytest
from factories import master_data, staff_session

from assessment.pages.evaluate.app import EvaluateApp
from assessment.pages.evaluate.explain_view import HIDE, SHOW

pytest_plugins = ["store_support"]

YEAR = 2025


@pytest.fixture
def app(store, sample_inputs, default_rubric) -> EvaluateApp:
    master = master_data(sample_inputs)
    store.records.import_inputs(
        master, year=YEAR, evaluator="数据管理员", rubric_version=default_rubric.version, source="样例"
    )
    opened = EvaluateApp(store, default_rubric, session=staff_session(store, "周考评"))
    opened.open_branch("B01", YEAR)
    return opened


def test_each_item_explains_its_points_as_the_evaluator_types(app, default_rubric):
    deduction = next(item for item in default_rubric.items if item.kind == "deduction")
    shortfall = next(item for item in default_rubric.items if item.kind == "count_shortfall")
    line = app.form.explain[deduction.id]
    # Before anything is typed, the item says it is not filled; the line is hidden behind the toggle
    assert app.explain.texts[deduction.id] == "未填写：缺项，组织评定未完成"
    assert line.toggle.description == SHOW and line.line.layout.display == "none"
    # When the evaluator types 2 missing things
    app.inputs[f"org.items.{deduction.id}.value"].value = "2"
    per, top = float(deduction.per), float(deduction.max)
    assert (
        app.explain.texts[deduction.id]
        == f"缺2项 × 扣{per:g}分 = 扣{2 * per:g}分，得{top - 2 * per:g}分（满分{top:g}分）"
    )
    assert app.explain.texts[deduction.id] in line.line.value
    # and a count one short of the target
    app.inputs[f"org.items.{shortfall.id}.value"].value = str(shortfall.target - 1)
    assert app.explain.texts[shortfall.id].startswith(f"实际{shortfall.target - 1}次，比要求{shortfall.target}次少1次")
    # A wrong value is said to be wrong, not explained
    app.inputs[f"org.items.{deduction.id}.value"].value = "两件"
    assert app.explain.texts[deduction.id].startswith("输入有误")
    # The toggle shows and hides the line
    line.toggle.value = True
    assert line.line.layout.display is None and line.toggle.description == HIDE
    line.toggle.value = False
    assert line.line.layout.display == "none"
