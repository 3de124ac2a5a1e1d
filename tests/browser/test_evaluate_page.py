"""The 考评 page in a real browser, on its own Voila whose kernels see a temporary database
(ASSESSMENT_DATABASE_URL) seeded with the demo street: an evaluator picks a branch by typing part
of its name, takes up the draft they left, sees the branch's own 自评 beside the fields and the gap,
changes a few fields, sees the result follow, submits, reloads the page and finds the submission in the
history beside the imported one. Also: the page, self-scores included, fits a 390 px phone.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pagekit import screenshot_whole_page, serve_with_database, sideways_scrollers
from playwright.sync_api import expect

from assessment.demo.street import generate_demo
from assessment.inputs.payload import blank_payload
from assessment.rubric import load_rubric
from assessment.store import Store
from tests.factories import STAFF_PASSWORD, add_staff, full_form

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
NOTEBOOK = "evaluate.ipynb"
TITLE = "党支部“四评”考评录入"
YEAR = 2025
EVALUATOR = "周考评"
PHONE_EVALUATOR = "手机考评员"
STREET_EVALUATOR = "东城考评员"  # a 街道 account of 东城街道 (JD001, JD003 …); JD002, JD004 … are 西城街道
IMPORTER = "示例考评组"
BRANCH_LABEL = "JD001 东风社区党支部"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
PHONE = {"width": 390, "height": 844}
# The draft left on an earlier visit (tests.factories.full_form): full marks, 20 members (19 优秀), 40 满意 + 2 基本满意, one compliant department.
FULL_COMPOSITE = "99.42"
S1_AT_4_COMPOSITE = "99.02"


@pytest.fixture(scope="module")
def evaluate_server(voila_server, tmp_path_factory):
    """A Voila of its own serving notebooks/evaluate.ipynb, its kernels pointed at a fresh database.

    The conftest's ``voila_server`` starts one server per served directory, with this process's
    environment: serving a copy of the notebook from a temporary directory, with the variable set
    while it starts, gives this test its database without touching the shared servers.
    """
    root = tmp_path_factory.mktemp("evaluate-page")
    url = f"sqlite:///{root}/t.sqlite"
    rubric = load_rubric()
    demo = generate_demo(rubric, year=YEAR)
    with Store(url, rubric=rubric) as store:
        # The demo street as scripts/serve.sh imports it: branches, activity logs and one submission
        # per branch by the importing evaluator (revision 1 of each branch).
        store.records.import_inputs(
            demo, year=YEAR, evaluator=IMPORTER, rubric_version=rubric.version, source="示例街道"
        )
        store.records.save_draft("JD001", YEAR, EVALUATOR, full_form(rubric), rubric.version)
        # The evaluators' accounts (区委: every branch), passwords chosen at their first sign-in
        add_staff(store, EVALUATOR, "区委")
        add_staff(store, PHONE_EVALUATOR, "区委")
        add_staff(store, STREET_EVALUATOR, "街道", "东城街道")
        # Two branches have applied for acceptance with their self-assessment (the one on 光明 is long).
        for branch_id, own in (
            ("JD001", {"s1": "4.5"}),
            ("JD002", {i.id: "1" for i in rubric.items if i.kind == "points"}),
        ):
            payload = blank_payload(rubric)
            for item_id, value in own.items():
                payload["org"]["items"][item_id]["value"] = value
            store.access.open_session(store.access.issue(branch_id, YEAR, by="管理员").code).apply(payload)
    server = serve_with_database(voila_server, root, NOTEBOOK, url, "voila-evaluate.log")
    return server


# ------------------------------------------------------------------ what a user does
def open_evaluate(page, server, open_page, page_problems, sign_in, name: str = EVALUATOR) -> float:
    sign_in(page, server, name, STAFF_PASSWORD)
    seconds = open_page(page, server.render_url(NOTEBOOK), TITLE, timeout=90)
    page.get_by_text(f"评估人：{name}（区委）").wait_for(state="visible", timeout=30_000)
    page.get_by_placeholder("输入支部编号或名称").wait_for(state="visible", timeout=30_000)
    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
    return seconds


def open_branch(page, typed: str) -> None:
    page.get_by_label("支部", exact=True).fill(typed)
    page.get_by_role("button", name="打开").click()
    page.get_by_text("正在考评").wait_for(state="visible", timeout=30_000)


def item_field(page, item_label: str, field_label: str):
    """The input of one indicator card, found by the indicator's title and the field's label."""
    return page.locator(".siping-item", has_text=item_label).get_by_label(field_label)


def composite(page) -> str:
    return page.locator(".siping-panel .siping-composite").inner_text().strip()


def wait_composite(page, expected: str, timeout_ms: float = 10_000) -> None:
    page.wait_for_function(
        "expected => document.querySelector('.siping-panel .siping-composite')?.innerText.trim() === expected",
        arg=expected,
        timeout=timeout_ms,
    )


# ------------------------------------------------------------------ tests
def test_evaluate_a_branch_submit_and_find_it_after_a_reload(page, evaluate_server, open_page, page_problems, sign_in):
    # Given the page, opened at laptop width
    open_evaluate(page, evaluate_server, open_page, page_problems, sign_in)

    # When the evaluator types part of the branch name and their own name, and opens it
    open_branch(page, "东风")
    expect(page.get_by_label("支部", exact=True)).to_have_value(BRANCH_LABEL)
    # Then the draft they left is offered back, and restoring it fills the form and the result
    page.get_by_text("发现未提交的草稿（保存于").wait_for(state="visible", timeout=10_000)
    page.get_by_role("button", name="恢复草稿").click()
    wait_composite(page, FULL_COMPOSITE)
    expect(item_field(page, "s1 支部设置规范", "得分（0–5）")).to_have_value("5")
    assert page.locator(".siping-panel .siping-grade").inner_text().strip() == "优秀"
    # And the branch's own score stands beside the field, with the gap 考核分 − 自查分
    expect(page.get_by_text("支部已于").first).to_be_visible(timeout=30_000)
    s1_self = page.locator(".siping-item", has_text="s1 支部设置规范").locator(".siping-beside")
    expect(s1_self).to_have_text("自评：4.5 分 考核分 5 分 · 差 +0.5 分", timeout=30_000)
    expect(page.locator(".siping-item", has_text="s2 支部委员会设置").locator(".siping-beside")).to_have_text(
        "自评：未填", timeout=30_000
    )

    # When one score is lowered, Then the composite and the chart follow at once
    chart = page.locator(".siping-panel img.siping-channel-chart")
    old_chart = chart.get_attribute("src")
    started = time.monotonic()
    item_field(page, "s1 支部设置规范", "得分（0–5）").fill("4")
    wait_composite(page, S1_AT_4_COMPOSITE)
    page.wait_for_function(
        "old => document.querySelector('.siping-panel img.siping-channel-chart').src !== old", arg=old_chart
    )
    seconds = time.monotonic() - started
    expect(page.get_by_text("草稿已自动保存").first).to_be_visible()
    expect(s1_self).to_have_text("自评：4.5 分 考核分 4 分 · 差 −0.5 分", timeout=30_000)

    # When a wrong value is typed, Then its message stands beside it and nothing is made up
    s2 = item_field(page, "s2 支部委员会设置", "得分（0–5）")
    s2.fill("十二")
    message = page.locator(".siping-item", has_text="s2 支部委员会设置").locator(".siping-field-message")
    message.get_by_text("填写了“十二”，应为0到5之间的数").wait_for(state="visible", timeout=10_000)
    wait_composite(page, "未完成")
    s2.fill("5")
    wait_composite(page, S1_AT_4_COMPOSITE)

    # And a comment and an evidence check go with the submission
    page.locator(".siping-item", has_text="s1 支部设置规范").get_by_placeholder("评语、发现的问题（可不填）").fill(
        "花名册与系统一致"
    )
    page.locator(".siping-evidence", has_text="党员花名册").get_by_role("button", name="已查看").click()
    page.wait_for_timeout(300)

    # When the evaluator submits
    page.get_by_role("button", name="提交", exact=True).click()
    page.get_by_text("已提交第 2 号修订").wait_for(state="visible", timeout=15_000)
    # Then the stored revision holds the comment and the evidence check with the scores
    with Store(evaluate_server.database_url) as store:
        submitted = store.records.current_submissions("JD001", YEAR)[EVALUATOR]
    s1 = submitted.payload["org"]["items"]["s1"]
    assert submitted.revision_no == 2
    assert (s1["value"], s1["comment"], s1["evidence"]) == ("4", "花名册与系统一致", {"党员花名册": "seen"})
    # And the several-evaluators section now merges the imported submission with this one
    merged = page.locator(".siping-evaluate").get_by_text("合并结果（2位考评人）")
    merged.wait_for(state="visible", timeout=10_000)
    assert page.locator(".siping-submissions").get_by_text(IMPORTER).is_visible()
    assert page.get_by_role("button", name="提交更正").is_visible()
    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
    assert sideways_scrollers(page) == []
    screenshot_whole_page(page, "evaluate-desktop.png", ".siping-evaluate")

    # When the page is reloaded (a new kernel) and the same branch opened again
    page.reload(wait_until="commit")
    page.get_by_placeholder("输入支部编号或名称").wait_for(state="visible", timeout=60_000)
    open_branch(page, "JD001")
    # Then the submission is in the history, and the form holds what was submitted
    history = page.locator(".siping-history")
    history.wait_for(state="visible", timeout=15_000)
    row = history.locator("tr[data-revision='2']")
    assert EVALUATOR in row.inner_text()
    assert "已提交" in row.inner_text()
    assert IMPORTER in history.locator("tr[data-revision='1']").inner_text()
    assert page.get_by_text("你已提交第 2 号修订").is_visible()
    expect(item_field(page, "s1 支部设置规范", "得分（0–5）")).to_have_value("4")
    expect(
        page.locator(".siping-item", has_text="s1 支部设置规范").get_by_placeholder("评语、发现的问题（可不填）")
    ).to_have_value("花名册与系统一致")
    wait_composite(page, S1_AT_4_COMPOSITE)
    assert page.get_by_role("button", name="提交更正").is_visible()
    assert not page.get_by_text("发现未提交的草稿").is_visible()
    screenshot_whole_page(page, "evaluate-reloaded.png", ".siping-evaluate")
    print(f"one changed input → composite and chart updated in {seconds * 1000:.0f} ms")


def test_evaluate_page_fits_a_phone(browser, evaluate_server, open_page, page_problems, sign_in):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_evaluate(page, evaluate_server, open_page, page_problems, sign_in, PHONE_EVALUATOR)
        open_branch(page, "光明")
        page.locator(".siping-panel .siping-composite").wait_for(state="visible", timeout=15_000)
        page.locator(".siping-panel img.siping-radar").wait_for(state="visible", timeout=15_000)
        # The branch self-assessed: its line sits under each field on a phone
        s1_self = page.locator(".siping-item", has_text="s1 支部设置规范").locator(".siping-beside")
        expect(s1_self).to_have_text("自评：1 分", timeout=30_000)
        expect(page.get_by_text("支部已于").first).to_be_visible(timeout=30_000)
        # A score field opens the phone's number keyboard; the department's name a text keyboard
        expect(item_field(page, "s1 支部设置规范", "得分（0–5）")).to_have_attribute("inputmode", "decimal")
        item_field(page, "s1 支部设置规范", "得分（0–5）").fill("9")
        page.get_by_text("填写了“9”，应为0到5之间的数", exact=True).wait_for(state="visible", timeout=10_000)
        item_field(page, "s2 支部委员会设置", "得分（0–5）").fill("4.5")
        expect(page.locator(".siping-item", has_text="s2 支部委员会设置").locator(".siping-beside")).to_have_text(
            "自评：1 分 考核分 4.5 分 · 差 +3.5 分", timeout=30_000
        )
        # A department's opinion is added on the 社会评价 tab, and the tab shows it as a second row
        page.get_by_role("tab", name="社会评价").click()
        departments = page.get_by_label("部门", exact=True)
        before = departments.count()
        page.get_by_role("button", name="添加部门意见").click()
        expect(departments).to_have_count(before + 1)
        departments.last.fill("街道综治办")
        expect(departments.last).to_have_value("街道综治办")
        expect(departments.last).not_to_have_attribute("inputmode", "decimal")
        page.get_by_role("tab", name="组织评定").click()
        screenshot_whole_page(page, "evaluate-phone.png", ".siping-evaluate")
        # Then nothing makes the page wider than the screen
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert sideways_scrollers(page) == []
        # and nothing sticks out, except inside the boxes that scroll on their own (wide tables)
        too_wide = page.evaluate(
            """width => [...document.querySelectorAll('.siping-evaluate *')]
                .filter(e => e.offsetParent !== null && !e.closest('.siping-scroll'))
                .filter(e => e.getBoundingClientRect().right > width + 1)
                .map(e => `${e.tagName}.${[...e.classList].join('.')} ${Math.round(e.getBoundingClientRect().right)}`)""",
            PHONE["width"],
        )
        assert too_wide == [], too_wide
        assert page.locator(STDERR).count() == 0
        assert page_problems(page) == []
    finally:
        context.close()


def test_a_street_account_reaches_only_its_own_street(page, evaluate_server, open_page, page_problems, sign_in):
    sign_in(page, evaluate_server, STREET_EVALUATOR, STAFF_PASSWORD)
    open_page(page, evaluate_server.render_url(NOTEBOOK), TITLE, timeout=90)
    page.get_by_text(f"评估人：{STREET_EVALUATOR}（街道，东城街道）").wait_for(state="visible", timeout=30_000)
    # A branch of 西城街道, typed by its id, is not found; one of its own street opens
    page.get_by_label("支部", exact=True).fill("JD002")
    page.get_by_role("button", name="打开").click()
    page.get_by_text("找不到与“JD002”相符的支部").wait_for(state="visible", timeout=30_000)
    open_branch(page, "JD003")
    assert "JD003" in page.locator(".siping-session").inner_text()
    # The moves it may make are the 街道's: 评定 is not among them
    assert page.get_by_role("combobox", name="身份").count() == 0
    assert page_problems(page) == []
