"""The 考评 page in a real browser under a street's own rubric (the default one with an item of each newer
kind, tests/kinds_fixture.py, saved as a version of its own and made current): the evaluator restores a
full-marks draft, marks one 台账 缺失 and the composite follows (no count is typed beside the marks), then
records a flag 是 and the 最强 veto with the flag's own words appears in the panel."""

from __future__ import annotations

import re

import pytest
from pagekit import serve_with_database

from assessment.demo.street import generate_demo
from assessment.inputs.frames import Inputs
from assessment.rubric import load_rubric
from assessment.store import Store
from tests.factories import STAFF_PASSWORD, add_staff, full_form
from tests.kinds_fixture import kinds_texts

pytestmark = pytest.mark.browser

NOTEBOOK = "evaluate.ipynb"
TITLE = "党支部“四评”考评录入"
YEAR = 2025
EVALUATOR = "细则考评员"
# full_form: every item at full marks (no bonus: b9 left blank), 20 members (19 优秀), 40 满意 + 2 基本满意,
# one compliant department: 0.4×100 + 0.2×99 + 0.2×(4000+120)/42 + 0.2×100 = 99.42. One 台账 缺失 on s2
# (每缺一项扣2分, 满分5, weight 0.05) costs 0.4 × 0.05 × 2/5 × 100 = 0.8.
FULL_COMPOSITE = "99.42"
ONE_MISSING_COMPOSITE = "98.62"


@pytest.fixture(scope="module")
def kinds_server(voila_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("kinds-page")
    url = f"sqlite:///{root}/t.sqlite"
    texts = kinds_texts()
    texts["meta.yaml"] = re.sub(r"(?m)^version: .*$", 'version: "街道细则-1"', texts["meta.yaml"], count=1)
    demo = generate_demo(load_rubric(), year=YEAR)
    master = Inputs(
        branches=demo.branches,
        org=demo.org.iloc[0:0][["branch_id"]],
        member=demo.member.iloc[0:0],
        public=demo.public.iloc[0:0],
        social=demo.social.iloc[0:0],
        activities=demo.activities,
    )
    with Store(url) as store:
        store.rubrics.save(texts, author="分析员", note="街道评分细则：四种计分方式")
        rubric = store.rubrics.current()
        store.records.import_inputs(
            master, year=YEAR, evaluator="数据管理员", rubric_version=rubric.version, source="示例"
        )
        draft = full_form(rubric)
        draft["org"]["items"]["b9"]["value"] = None
        store.records.save_draft("JD001", YEAR, EVALUATOR, draft, rubric.version)
        add_staff(store, EVALUATOR, "区委")
    return serve_with_database(voila_server, root, NOTEBOOK, url, "voila-kinds.log")


def wait_composite(page, expected: str) -> None:
    page.wait_for_function(
        "expected => document.querySelector('.siping-panel .siping-composite')?.innerText.trim() === expected",
        arg=expected,
        timeout=30_000,
    )


def test_evidence_marks_and_a_flag_on_the_evaluate_page(page, kinds_server, open_page, page_problems, sign_in):
    sign_in(page, kinds_server, EVALUATOR, STAFF_PASSWORD)
    open_page(page, kinds_server.render_url(NOTEBOOK), TITLE, timeout=90)
    page.get_by_placeholder("输入支部编号或名称").wait_for(state="visible", timeout=30_000)
    page.get_by_label("支部", exact=True).fill("JD001")
    page.get_by_role("button", name="打开").click()
    page.get_by_text("发现未提交的草稿（保存于").wait_for(state="visible", timeout=30_000)
    page.get_by_role("button", name="恢复草稿").click()
    wait_composite(page, FULL_COMPOSITE)

    s2 = page.locator(".siping-item-s2")
    # The marks are the input: no count field beside them, and the rule is said above them.
    assert s2.locator("input").count() == 0
    assert "每缺失一项扣2分" in s2.inner_text()
    s2.locator(".siping-evidence", has_text="支委分工文件").get_by_role("button", name="缺失").click()
    wait_composite(page, ONE_MISSING_COMPOSITE)

    # One count per rule of the multi_deduction item, and a 是/否 for the flag.
    s3 = page.locator(".siping-item-s3")
    assert s3.get_by_label("未按期换届（次）").input_value() == "0"
    page.locator(".siping-item-f1").get_by_role("button", name="是").click()
    page.locator(".siping-panel", has_text="发生严重违纪违法问题").first.wait_for(state="visible", timeout=30_000)
    assert page_problems(page) == []
