"""The branch report (PDF) carries each item's 计算过程, as the 明细 sheet and the evaluate page say it."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from assessment.cli import main
from assessment.outputs.branch_pdf import branch_report_html
from assessment.scoring import score
from assessment.scoring.explain import explain_item
from assessment.scoring.gaps import gap_list
from assessment.store import Store

pytest_plugins = ["store_support"]

YEAR = 2025


def test_the_report_command_explains_every_item(database_url, sample_inputs, default_rubric, tmp_path, monkeypatch):
    # Given the sample street imported (B02 held 10 of the 12 学习培训 its count item asks for)
    with Store(database_url, rubric=default_rubric) as store:
        store.records.import_inputs(
            sample_inputs, year=YEAR, evaluator="张三", rubric_version=default_rubric.version, source="s"
        )
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", database_url)
    # When its report is written
    out = tmp_path / "报告"
    assert main(["report", "--year", str(YEAR), "--out", str(out), "--branch", "B02"]) == 0
    (pdf,) = out.iterdir()
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read_bytes())).pages))
    # Then the item table has a 计算过程 for each item, in the words of the rule
    assert "计算过程" in text
    row = sample_inputs.org.set_index("branch_id").loc["B02"]
    shortfall = next(item for item in default_rubric.items if item.kind == "count_shortfall")
    words = explain_item(shortfall, row[shortfall.id], branch_kind="村")
    assert words.startswith(f"实际{row[shortfall.id]:g}次，比要求") and re.sub(r"\s+", "", words) in text


def test_without_the_entered_values_the_report_has_no_explanation_column(sample_inputs, default_rubric):
    results = score(default_rubric, sample_inputs, year=YEAR)
    common = {"gaps": gap_list(default_rubric, results, "B01")}
    assert "<th>计算过程</th>" not in branch_report_html(default_rubric, results, "B01", **common)
    entered = sample_inputs.org.set_index("branch_id").loc["B01"].to_dict()
    document = branch_report_html(default_rubric, results, "B01", entered=entered, **common)
    assert "<th>计算过程</th>" in document and "考评人打分：得5分（满分5分）" in document
