"""The 支部自评 page in a real browser, on its own Voila whose kernels see a temporary database seeded with
the demo street and two access codes: a secretary opens the link the street sent (``?code=…``), sees only
their branch, scores an item, uploads a roster with a mistake and sees where it is, uploads a missing
meeting (previewed, then 确认导入: merged, the street's records kept), applies for acceptance (a second
step shows what is submitted) and then finds the page read-only; a wrong code and another branch's code
get nothing of this branch. The page fits 390 px.
"""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from factories import master_data
from openpyxl import Workbook
from pagekit import serve_with_database, sideways_scrollers
from playwright.sync_api import expect

from assessment.demo.street import generate_demo
from assessment.inputs.frames import ACTIVITY_COLUMNS, ROSTER_COLUMNS
from assessment.rubric import load_rubric
from assessment.store import REFUSAL, Store

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
NOTEBOOK = "self_assess.ipynb"
YEAR = 2025
PHONE = {"width": 390, "height": 844}
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


@pytest.fixture(scope="module")
def self_server(voila_server, tmp_path_factory):
    root = tmp_path_factory.mktemp("self-assess-page")
    url = f"sqlite:///{root}/t.sqlite"
    rubric = load_rubric()
    demo = generate_demo(rubric, year=YEAR)
    master = master_data(demo)
    with Store(url, rubric=rubric) as store:
        store.records.import_inputs(
            master, year=YEAR, evaluator="数据管理员", rubric_version=rubric.version, source="示例街道"
        )
        codes = {branch: store.access.issue(branch, YEAR, by="管理员").code for branch in ("JD001", "JD002")}
        names = dict(zip(demo.branches["branch_id"], demo.branches["name"]))
    server = serve_with_database(voila_server, root, NOTEBOOK, url, "voila-self-assess.log")
    server.codes = codes
    server.names = names
    return server


def roster_file(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "党员名册"
    sheet.append(list(ROSTER_COLUMNS.values()))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def activities_file(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "活动记录"
    sheet.append(list(ACTIVITY_COLUMNS.values()))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def choose_file(page, button_text: str, name: str, data: bytes) -> None:
    # ipywidgets' FileUpload opens a file chooser from its button (the <input> is not in the page).
    with page.expect_file_chooser() as chooser:
        page.locator(".widget-upload", has_text=button_text).click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"
    assert sideways_scrollers(page) == []


def test_a_secretary_opens_the_link_scores_uploads_and_applies(self_server, page, open_page, page_problems):
    name = self_server.names["JD001"]
    url = self_server.render_url(NOTEBOOK) + f"?code={self_server.codes['JD001']}"
    open_page(page, url, "当前状态：", timeout=90)
    expect(page.get_by_text(name).first).to_be_visible()
    body = page.inner_text("body")
    assert self_server.names["JD002"] not in body and self_server.codes["JD001"] not in body
    expect(page.get_by_text("需准备的台账：党支部成立批复文件、党员花名册")).to_be_visible()

    # Score s1: the card's input, then the gap list follows.
    card = page.locator(".siping-item", has_text="s1 支部设置规范")
    card.locator("input").fill("4")
    card.locator("input").press("Enter")
    expect(page.locator(".siping-gap", has_text="支部设置规范")).to_contain_text("失1.00分", timeout=30_000)

    # A roster with a wrong 身份: the problem names sheet, row and column; nothing is stored.
    paid = ["是"] * 12
    bad = roster_file([["JD001", "李党员", "党员", "党员", "2020-01-01", 12, None, *paid, "是"]])
    choose_file(page, "上传党员名册", "名册.xlsx", bad)
    expect(page.get_by_text("党员名册有误，未导入任何内容")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("名册.xlsx 工作表“党员名册”第2行“身份”列")).to_be_visible()

    # A missing meeting: the page first says what the upload will do; only 确认导入 stores it.
    choose_file(page, "上传活动记录", "补录.xlsx", activities_file([["JD001", "2025-12-31", "党课", 30, 28, "是"]]))
    preview = page.locator(".siping-preview", has_text="补录.xlsx")
    expect(preview).to_contain_text("将新增 1 条记录（2025年12月的党课）", timeout=30_000)
    expect(preview).to_contain_text("文件中没有的 75 条原有记录保留不变")
    preview.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "self-assess-upload-preview.png"))
    with Store(self_server.database_url) as store:
        assert store.self_assessments.uploads("JD001", YEAR) == []
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_text("已导入活动记录（补录.xlsx，合并）：新增1条，替换0条，原有记录保留75条。")).to_be_visible(
        timeout=30_000
    )
    expect(page.locator(".siping-table", has_text="补录.xlsx")).to_contain_text("合并")

    page.screenshot(path=str(ARTIFACTS / "self-assess-desktop.png"), full_page=True)
    page.locator(".siping-gap").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "self-assess-desktop-gaps.png"))
    # 申请考评 asks first, showing what will be submitted; nothing moves until it is confirmed.
    page.get_by_role("button", name="申请考评", exact=True).click()
    confirmation = page.locator(".siping-preview", has_text="确认申请考评")
    expect(confirmation).to_contain_text("组织评定（自评）", timeout=30_000)
    expect(confirmation).to_contain_text("待补短板")
    with Store(self_server.database_url) as store:
        assert store.workflow.status("JD001", YEAR).label == "自评中"
    confirmation.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "self-assess-confirm.png"))
    page.get_by_role("button", name="确认申请考评").click()
    expect(page.get_by_text("已提交自评并申请考评，当前状态：已申请。")).to_be_visible(timeout=30_000)
    # Read-only now: the page says so and why; the fields and uploads are disabled.
    expect(page.locator(".siping-locked")).to_contain_text("已提交，只能查看")
    expect(page.locator(".siping-locked")).to_contain_text("退回自评")
    expect(card.locator("input")).to_be_disabled()
    expect(page.locator(".widget-upload", has_text="上传活动记录")).to_be_disabled()
    page.locator(".siping-locked").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "self-assess-read-only.png"))

    # The report downloads from a data: URL link (no server route: standalone Voila serves no kernel files).
    page.get_by_role("button", name="生成自评报告（PDF）").click()
    link = page.locator("a.siping-download")
    expect(link).to_be_visible(timeout=60_000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"JD001_{name}_2025年度自评报告.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    assert page.locator(STDERR).count() == 0
    assert page_problems(page) == []
    with Store(self_server.database_url) as store:
        assert store.workflow.status("JD001", YEAR).label == "已申请"
        assert store.self_assessments.current("JD001", YEAR).payload["org"]["items"]["s1"]["value"] == "4"
        assert store.self_assessments.uploaded("JD001", YEAR, "roster") is None
        (upload,) = store.self_assessments.uploads("JD001", YEAR)
        assert (upload.source, upload.mode, upload.counts["added"], upload.counts["kept"]) == (
            "补录.xlsx",
            "merge",
            1,
            75,
        )
        assert len(store.self_assessments.uploaded("JD001", YEAR, "activities")) == 76
        assert store.self_assessments.current("JD001", YEAR, draft=True) is None
        assert store.self_assessments.current("JD002", YEAR) is None


def test_a_wrong_code_gets_the_plain_refusal_and_nothing_else(self_server, page, open_page):
    open_page(page, self_server.render_url(NOTEBOOK) + "?code=JD001-0000-0000-0000-0000-0000", REFUSAL, timeout=90)
    body = page.inner_text("body")
    assert not any(name in body for name in self_server.names.values())
    assert "JD00" not in body.replace("JD001-0000", "")  # no branch id besides the echoed nothing
    expect(page.get_by_placeholder("街道发给本支部的访问码")).to_be_visible()


def test_branch_b_sees_only_itself_on_a_phone(self_server, browser, open_page):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        url = self_server.render_url(NOTEBOOK) + f"?code={self_server.codes['JD002']}"
        open_page(phone, url, "当前状态：", timeout=90)
        body = phone.inner_text("body")
        assert self_server.names["JD002"] in body and self_server.names["JD001"] not in body
        expect(phone.locator(".siping-gap").first).to_be_visible(timeout=30_000)
        no_sideways_scroll(phone)
        phone.screenshot(path=str(ARTIFACTS / "self-assess-phone.png"), full_page=True)
        for name, locator in (
            ("results", phone.get_by_text("“最强党支部”否决规则（预判）")),
            ("gaps", phone.locator(".siping-gap").first),
        ):
            locator.scroll_into_view_if_needed()
            no_sideways_scroll(phone)
            phone.screenshot(path=str(ARTIFACTS / f"self-assess-phone-{name}.png"))
    finally:
        context.close()


def test_the_server_log_never_shows_an_access_code(self_server):
    # A request that fails (here: a page that does not exist) is written to Voila's log with its URL
    code = self_server.codes["JD001"]
    missing = self_server.render_url("missing.ipynb") + f"?code={code}&year={YEAR}"
    with pytest.raises(urllib.error.HTTPError) as failed:
        urllib.request.urlopen(missing, timeout=30)
    assert failed.value.code == 404
    failed.value.close()  # the error answer holds its connection until closed
    deadline = time.monotonic() + 10
    while "404 GET" not in self_server.log_path.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.2)
    log = self_server.log_path.read_text(encoding="utf-8")
    lines = [line for line in log.splitlines() if "404 GET" in line]
    assert lines and all(f"code=[已隐藏]&year={YEAR}" in line for line in lines), lines
    # and no code given out in this module appears anywhere in it
    assert not any(c in log for c in self_server.codes.values())
