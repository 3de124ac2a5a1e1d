"""The printable per-branch report: its PDF really carries the Chinese text (font embedded), and the CLI
commands for access codes, the workflow and reports."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from assessment.cli import main
from assessment.outputs.branch_pdf import branch_report_html, branch_report_pdf
from assessment.rubric import load_rubric
from assessment.scoring import score
from assessment.scoring.gaps import gap_list
from assessment.store import Store, WorkflowEvent

pytest_plugins = ["store_support"]

YEAR = 2025


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def embedded_fonts(data: bytes) -> set[str]:
    found = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    found.add(str(font["/BaseFont"]))
    return found


def test_the_pdf_embeds_the_cjk_font_and_reads_back_the_branch_and_its_results(sample_inputs, default_rubric):
    results = score(default_rubric, sample_inputs, year=YEAR)
    document = branch_report_html(
        default_rubric,
        results,
        "B02",
        gaps=gap_list(default_rubric, results, "B02"),
        branch=sample_inputs.branches.set_index("branch_id", drop=False).loc["B02"],
    )
    assert "考评组成员签字" in document
    pdf = branch_report_pdf(document)
    fonts = embedded_fonts(pdf)
    assert fonts and all(re.match(r"/[A-Z]{6}\+SipingCJK", name) for name in fonts)  # subsets, embedded
    text = re.sub(r"\s+", "", pdf_text(pdf))
    b = results.branches.loc["B02"]
    assert "红旗村党支部" in text
    assert f"综合得分{b['composite']:.2f}".rstrip("0").rstrip(".") in text
    assert f"等次{b['grade']}" in text
    for rule in default_rubric.veto_rules:
        assert rule.label.replace(" ", "") in text
    assert "群众评价为“不满意”经查证属实，不得评定为“最强党支部”" in text  # B02's veto, with its reason
    assert "找不足、补短板" in text and "考评组成员签字" in text and "组织生活" in text


@pytest.fixture
def database(database_url, sample_inputs, default_rubric, monkeypatch):
    with Store(database_url, rubric=default_rubric) as store:
        store.records.import_inputs(
            sample_inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="s"
        )
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", database_url)
    return database_url


def test_access_commands_print_the_code_once_and_list_no_codes(database, capsys):
    assert main(["access", "issue", "B01", "--year", "2025", "--host", "10.0.0.5", "--port", "8866"]) == 0
    out = capsys.readouterr().out
    code = re.search(r"访问码：(\S+)", out).group(1)
    assert f"http://10.0.0.5:8866/voila/render/self_assess.ipynb?code={code}" in out
    with Store(database) as store:
        assert store.access.open_session(code).branch_id == "B01"
    assert main(["access", "list"]) == 0
    listed = capsys.readouterr().out
    assert "B01" in listed and "有效" in listed and code not in listed and code[9:] not in listed
    assert main(["access", "revoke", "B01", "--reason", "书记调整"]) == 0
    assert "已停用支部 B01 的 1 个访问码" in capsys.readouterr().out
    assert main(["access", "revoke", "B01"]) == 2
    assert "没有有效的访问码" in capsys.readouterr().err
    assert main(["access", "list", "--branch", "B01"]) == 0
    assert "已停用" in capsys.readouterr().out


def test_workflow_commands_move_list_and_refuse(database, capsys, default_rubric):
    move = ["workflow", "move", "B01", "--year", "2025", "--to", "已申请", "--by", "某人", "--reason", "代申请"]
    assert main(move) == 2
    assert "“申请考评”只能由支部操作，街道不能操作" in capsys.readouterr().err
    assert main([*move, "--role", "支部"]) == 2
    assert "之前须先提交本支部2025年度的自评结果" in capsys.readouterr().err
    assert main(["workflow", "move", "B01", "--year", "2025", "--to", "已达标", "--by", "某人", "--reason", "x"]) == 2
    assert "按规定下一步只能是：已申请（支部）" in capsys.readouterr().err
    with Store(database) as store:
        session = store.access.open_session(store.access.issue("B01", YEAR, by="管理员").code)
        session.submit({"org": {"items": {}}})
    assert (
        main(
            [
                "workflow",
                "move",
                "B01",
                "--year",
                "2025",
                "--to",
                "已申请",
                "--by",
                "王书记",
                "--reason",
                "申请",
                "--role",
                "支部",
            ]
        )
        == 0
    )
    assert (
        main(["workflow", "move", "B01", "--year", "2025", "--to", "街道考评中", "--by", "周考评", "--reason", "受理"])
        == 0
    )
    assert "已申请 → 街道考评中（街道 周考评，原因：受理）" in capsys.readouterr().out
    # 考评通过 rests on the recorded result: the sample's B01 is 未达标, so only an exception moves it
    forward = ["workflow", "move", "B01", "--year", "2025", "--to", "待区委验收", "--by", "周考评", "--reason", "复核"]
    assert main(forward) == 2
    assert "考评结果未达标" in capsys.readouterr().err
    assert main([*forward, "--exception"]) == 0
    out = capsys.readouterr().out
    assert "街道考评中 → 待区委验收（例外）（街道 周考评，原因：复核）" in out and "依据 " in out
    assert main(["workflow", "list", "--year", "2025", "--status", "待区委验收"]) == 0
    out = capsys.readouterr().out
    assert "B01\t东风社区党支部\t待区委验收（例外）" in out and "B02" not in out
    assert main(["workflow", "list", "--year", "2025", "--status", "乱写"]) == 2
    assert "未知的状态“乱写”" in capsys.readouterr().err


def test_the_report_command_writes_one_pdf_per_branch(database, tmp_path, capsys):
    out = tmp_path / "报告"
    assert main(["report", "--year", "2025", "--out", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == [
        "003_街道机关第三党支部_2025年度考评报告.pdf",
        "B01_东风社区党支部_2025年度考评报告.pdf",
        "B02_红旗村党支部_2025年度考评报告.pdf",
    ]
    assert "已生成 3 份报告" in capsys.readouterr().out
    text = pdf_text((out / files[1]).read_bytes())
    assert "东风社区党支部" in text
    assert main(["report", "--year", "2025", "--out", str(out), "--branch", "XX"]) == 2


def test_a_workflow_file_with_an_unknown_state_is_refused_with_file_and_line(tmp_path):
    rubric_dir = Path(__file__).resolve().parents[1] / "rubrics"
    for path in rubric_dir.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    workflow = tmp_path / "workflow.yaml"
    text = workflow.read_text(encoding="utf-8")
    workflow.write_text(
        text.replace("{from: street_review, to: failed", "{from: street_review, to: faild"), encoding="utf-8"
    )
    line = next(i for i, row in enumerate(workflow.read_text(encoding="utf-8").splitlines(), 1) if "to: faild" in row)
    with pytest.raises(Exception) as refused:
        load_rubric(tmp_path)
    assert (
        f"workflow.yaml 第{line}行 字段 transitions[street_review→faild].to：状态变更中的状态“faild”未在 states 中定义"
        in str(refused.value)
    )


def test_the_item_table_puts_the_self_score_beside_the_assessed_score_with_the_pages_sign(
    sample_inputs, default_rubric
):
    import pandas as pd

    results = score(default_rubric, sample_inputs, year=YEAR)
    item = default_rubric.items[0]
    earned = float(results.items.loc["B02", item.id])
    own = pd.Series({item.id: earned + 1})  # the branch gave itself one point more than it got
    document = branch_report_html(
        default_rubric,
        results,
        "B02",
        gaps=gap_list(default_rubric, results, "B02"),
        self_points=own,
    )
    assert "<th>自查分</th><th>考核分</th><th>差</th>" in document.replace("\n", "")
    row = re.search(rf"<tr><td>{item.id} [^<]*</td>(.*?)</tr>", document.replace("\n", "")).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert [float(c) for c in cells[1:4]] == [earned + 1, earned, -1.0]
    assert "“差”为考核分减自查分" in document


def test_user_text_with_markup_is_escaped_in_the_report(sample_inputs, default_rubric):

    import pandas as pd

    branches = sample_inputs.branches.copy()
    branches.loc[branches["branch_id"] == "B02", "name"] = "<b>红旗</b>村党支部"
    inputs = type(sample_inputs)(**{**sample_inputs.frames(), "branches": branches})
    results = score(default_rubric, inputs, year=YEAR)
    gaps = gap_list(default_rubric, results, "B02").iloc[:1]
    assert len(gaps) == 1
    gaps = gaps.assign(finding="<script>alert(1)</script>", advice='补 "材料" & 记录')
    event = WorkflowEvent(
        id=1,
        branch_id="B02",
        year=YEAR,
        at=pd.Timestamp("2025-03-01 09:00", tz="UTC").to_pydatetime(),
        from_status="self_assessing",
        to_status="applied",
        role="branch",
        actor="王<i>书记</i>",
        reason="<img src=x onerror=alert(1)>",
        valid_from=None,
        valid_until=None,
    )
    document = branch_report_html(
        default_rubric,
        results,
        "B02",
        gaps=gaps,
        title="考评报告<hr>",
        kind_note="说明 <u>x</u>",
        history=[event],
    )
    for raw in ("<b>红旗</b>", "<script>", "<i>书记</i>", "<img src=x", "<hr>", "<u>x</u>"):
        assert raw not in document
    assert "<h1>&lt;b&gt;红旗&lt;/b&gt;村党支部</h1>" in document
    assert "<title>&lt;b&gt;红旗&lt;/b&gt;村党支部 考评报告&lt;hr&gt;</title>" in document
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert "&amp; 记录" in document and "& 记录" not in document
    assert "王&lt;i&gt;书记&lt;/i&gt;" in document and "&lt;img src=x onerror=alert(1)&gt;" in document
    assert '<p class="note">说明 &lt;u&gt;x&lt;/u&gt;</p>' in document
    assert '<span class="bad">否决</span>' in document  # the report's own markup is kept
