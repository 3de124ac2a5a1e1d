"""What the screen shows is what is saved (issue 12), in a real browser against one Voila whose kernels see a
temporary database seeded with the demo street:

* two tabs of the same evaluator on one branch: the later tab's save is refused, with the message on its page,
  and the first tab's draft stays;
* the 支部自评 page saves while typing: the stored draft holds what was typed while the field still has the
  focus, and the page opened again shows it;
* a click overtakes nothing: with every draft write held up on purpose (a test-only delay in the kernel), the
  last keystrokes typed while the kernel is busy reach the submitted revision, which equals the screen.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from assessment.demo.street import generate_demo
from assessment.pages.drafts import TEST_DELAY_ENV
from assessment.rubric import load_rubric
from assessment.store import Store
from tests.factories import STAFF_PASSWORD, add_staff, full_form

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
YEAR = 2025
EVALUATOR = "窗口考评员"
TITLE = "党支部“四评”考评录入"
DRAFT_DELAY = "1.0"  # seconds each draft write waits in the kernel (test-only): the kernel is busy on purpose
SUBMIT_BRANCH = "JD005"  # has a complete draft to restore and submit
TWO_TABS_BRANCH = "JD003"
SELF_BRANCH = "JD002"


@pytest.fixture(scope="module")
def drafts_server(voila_server, tmp_path_factory):
    """One Voila serving copies of evaluate.ipynb and self_assess.ipynb, its kernels on a fresh database and
    with every draft write held up by ``DRAFT_DELAY`` seconds."""
    root = tmp_path_factory.mktemp("drafts-pages")
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
        store.records.save_draft(SUBMIT_BRANCH, YEAR, EVALUATOR, full_form(rubric), rubric.version)
        code = store.access.issue(SELF_BRANCH, YEAR, by="管理员").code
    pages = root / "pages"
    pages.mkdir()
    for notebook in ("evaluate.ipynb", "self_assess.ipynb"):
        shutil.copy(REPO / "notebooks" / notebook, pages / notebook)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSESSMENT_DATABASE_URL", url)
        patch.setenv(TEST_DELAY_ENV, DRAFT_DELAY)
        server = voila_server(pages, "voila-drafts.log")
    server.database_url = url
    server.code = code
    return server


def open_evaluate(page, server, open_page) -> None:
    open_page(page, server.render_url("evaluate.ipynb"), TITLE, timeout=90)
    page.get_by_placeholder("输入支部编号或名称").wait_for(state="visible", timeout=30_000)


def open_branch(page, typed: str) -> None:
    page.get_by_label("支部", exact=True).fill(typed)
    page.get_by_role("button", name="打开").click()
    page.get_by_text("正在考评").wait_for(state="visible", timeout=30_000)
    # The heading shows before the click's handler has finished (it still reads the stored draft's version):
    # wait until the page is no longer busy with the click, so that what follows starts from an opened branch.
    page.wait_for_function("() => !document.body.classList.contains('siping-busy')", timeout=60_000)


def s1_field(page):
    return page.locator(".siping-item", has_text="s1 支部设置规范").get_by_label("得分（0–5）")


def stored_draft(server, branch_id: str):
    with Store(server.database_url) as store:
        return store.records.load_draft(branch_id, YEAR, EVALUATOR)


def test_a_second_tab_of_the_same_evaluator_is_refused_not_overwriting(browser, drafts_server, open_page, sign_in):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        # Given the same evaluator with the same branch open in two tabs
        tab_a = context.new_page()
        sign_in(tab_a, drafts_server, EVALUATOR, STAFF_PASSWORD)
        open_evaluate(tab_a, drafts_server, open_page)
        open_branch(tab_a, TWO_TABS_BRANCH)
        tab_b = context.new_page()
        open_evaluate(tab_b, drafts_server, open_page)
        open_branch(tab_b, TWO_TABS_BRANCH)
        # When tab A types, Then it is saved
        s1_field(tab_a).fill("4")
        expect(tab_a.get_by_text("草稿已自动保存")).to_be_visible(timeout=30_000)
        # When tab B types over it, Then tab B says it was changed in another window, and saves nothing
        s1_field(tab_b).fill("1")
        refusal = tab_b.get_by_text("此支部的草稿已在另一个窗口中修改")
        expect(refusal).to_be_visible(timeout=30_000)
        expect(refusal).to_contain_text("请刷新后再改，以免互相覆盖")
        assert not tab_b.get_by_text("草稿已自动保存").is_visible()
        assert stored_draft(drafts_server, TWO_TABS_BRANCH).payload["org"]["items"]["s1"]["value"] == "4"
        # And tab A goes on saving
        s1_field(tab_a).fill("3")
        deadline = time.monotonic() + 30
        while stored_draft(drafts_server, TWO_TABS_BRANCH).payload["org"]["items"]["s1"]["value"] != "3":
            assert time.monotonic() < deadline, "tab A's change was not saved"
            time.sleep(0.3)
    finally:
        context.close()


def test_the_self_assessment_page_saves_while_typing(browser, drafts_server, open_page):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    url = drafts_server.render_url("self_assess.ipynb") + f"?code={drafts_server.code}"
    try:
        page = context.new_page()
        open_page(page, url, "当前状态：", timeout=90)
        field = page.locator(".siping-item", has_text="s1 支部设置规范").locator("input")
        # When the secretary types a score and does not leave the field (no Enter, no other field)
        field.click()
        field.press_sequentially("4.5", delay=80)
        # Then the stored draft holds it while the field still has the focus, and the page says it is saved
        deadline = time.monotonic() + 30
        while True:
            with Store(drafts_server.database_url) as store:
                draft = store.self_assessments.current(SELF_BRANCH, YEAR, draft=True)
            if draft is not None and draft.payload["org"]["items"]["s1"]["value"] == "4.5":
                break
            assert time.monotonic() < deadline, "what was typed was not saved while typing"
            time.sleep(0.3)
        assert field.evaluate("element => element === document.activeElement")
        expect(page.locator(".siping-draft-status")).to_contain_text("草稿已自动保存", timeout=30_000)
        # When the tab is closed as it is (a locked phone, a closed tab) and the link opened again
        page.close()
        again = context.new_page()
        open_page(again, url, "当前状态：", timeout=90)
        # Then the score is there
        expect(again.locator(".siping-item", has_text="s1 支部设置规范").locator("input")).to_have_value(
            "4.5", timeout=30_000
        )
    finally:
        context.close()


def test_a_submit_click_does_not_overtake_what_was_typed_while_the_kernel_was_busy(
    browser, drafts_server, open_page, sign_in
):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, drafts_server, EVALUATOR, STAFF_PASSWORD)
        open_evaluate(page, drafts_server, open_page)
        open_branch(page, SUBMIT_BRANCH)
        page.get_by_role("button", name="恢复草稿").click()
        expect(s1_field(page)).to_have_value("5", timeout=30_000)
        # (until the kernel has handled a click the page takes no input: the template's ordering guard)
        page.wait_for_function("() => !document.body.classList.contains('siping-busy')", timeout=30_000)
        comment = page.locator(".siping-item", has_text="s1 支部设置规范").get_by_placeholder(
            "评语、发现的问题（可不填）"
        )
        # When a comment is typed: the first keystroke keeps the kernel busy (its draft write waits a second),
        comment.press_sequentially("a")
        page.wait_for_timeout(150)
        # the rest is typed while it is busy (ipywidgets holds it back), and 提交 is clicked at once
        comment.press_sequentially("bc最后")
        page.get_by_role("button", name="提交", exact=True).click()
        expect(page.get_by_text("已提交第 2 号修订")).to_be_visible(timeout=60_000)
        # Then the submitted revision is what the screen showed at the click
        shown = comment.input_value()
        assert shown == "abc最后"
        with Store(drafts_server.database_url) as store:
            submitted = store.records.current_submissions(SUBMIT_BRANCH, YEAR)[EVALUATOR]
            left = store.records.load_draft(SUBMIT_BRANCH, YEAR, EVALUATOR)
        assert submitted.payload["org"]["items"]["s1"]["comment"] == shown
        assert submitted.payload["org"]["items"]["s1"]["value"] == "5"
        # And nothing typed before the click became a draft after the submission
        assert left is None
    finally:
        context.close()
