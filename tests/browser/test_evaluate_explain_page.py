"""查看计算过程 on the 考评 page in a real browser: behind an indicator, the words of how its points came
about, following what the evaluator types (the widget-level test is tests/test_evaluate_explain.py)."""

from __future__ import annotations

import pytest
from pagekit import serve_with_database
from playwright.sync_api import expect

from assessment.demo.street import generate_demo
from assessment.rubric import load_rubric
from assessment.store import Store
from tests.factories import STAFF_PASSWORD, add_staff

pytestmark = pytest.mark.browser

NOTEBOOK = "evaluate.ipynb"
TITLE = "党支部“四评”考评录入"
YEAR = 2025
EVALUATOR = "计算过程考评员"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


@pytest.fixture(scope="module")
def explain_server(voila_server, tmp_path_factory):
    """A Voila of its own, its kernels on a database holding the demo street and one evaluator."""
    root = tmp_path_factory.mktemp("evaluate-explain")
    url = f"sqlite:///{root}/t.sqlite"
    rubric = load_rubric()
    with Store(url, rubric=rubric) as store:
        store.records.import_inputs(
            generate_demo(rubric, year=YEAR),
            year=YEAR,
            evaluator="示例考评组",
            rubric_version=rubric.version,
            source="示例",
        )
        add_staff(store, EVALUATOR, "区委")
    return serve_with_database(voila_server, root, NOTEBOOK, url, "voila-evaluate-explain.log")


def test_the_calculation_behind_an_item_follows_what_is_typed(page, explain_server, open_page, page_problems, sign_in):
    rubric = load_rubric()
    item = next(i for i in rubric.items if i.kind == "deduction")
    title = f"{item.id} {item.label}"
    # Given the page, signed in, with a branch open
    sign_in(page, explain_server, EVALUATOR, STAFF_PASSWORD)
    open_page(page, explain_server.render_url(NOTEBOOK), TITLE, timeout=90)
    page.get_by_placeholder("输入支部编号或名称").wait_for(state="visible", timeout=30_000)
    page.get_by_label("支部", exact=True).fill("JD002")
    page.get_by_role("button", name="打开").click()
    page.get_by_text("正在考评").wait_for(state="visible", timeout=30_000)
    card = page.locator(".siping-item", has_text=title)
    line = card.locator(".siping-explain")
    # The calculation waits behind its toggle
    expect(line).to_be_hidden()
    card.get_by_role("button", name="查看计算过程").click()
    expect(line).to_have_text("计算过程：未填写：缺项，组织评定未完成", timeout=15_000)
    # When the evaluator types how many things are missing, Then the words follow
    card.get_by_label("缺失件数").fill("2")
    per, top = item.per, item.max
    expected = f"缺2项 × 扣{per}分 = 扣{2 * per}分，得{top - 2 * per}分（满分{top}分）"
    expect(line).to_have_text(f"计算过程：{expected}", timeout=15_000)
    # And it can be folded away again
    card.get_by_role("button", name="收起计算过程").click()
    expect(line).to_be_hidden()
    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
