"""Pages load only what they show at first render: every page kernel pays for each module it imports (memory
and CPU seconds per page open, benchmarks/bench_page_kernels.py), so what a user asks for later — charts
before there is one to draw, the PDF report, workbook reading and writing, schema migrations — is imported
when asked for. Each page is built as its notebook builds it, in a fresh Python process (the modules of
this test process would hide what the page imports), against an already migrated database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from samples import build_sample_inputs

from assessment.rubric import load_rubric
from assessment.store import Store
from tests.factories import add_staff

YEAR = 2025
REPO = Path(__file__).resolve().parents[1]
# Imported only when a user asks for what needs them.
ON_REQUEST = {
    "matplotlib": "图表（首个图表绘制时）",
    "PIL": "图表（matplotlib 所用）",
    "openpyxl": "Excel 读写（上传或下载时）",
    "alembic": "数据库结构升级（服务器启动时已完成）",
    "assessment.outputs.branch_pdf": "PDF 报告（点击生成时）",
    "weasyprint": "PDF 报告（点击生成时）",
    "assessment.outputs.excel": "Excel 导出（点击下载时）",
}

PAGE = """
import json, os, sys
step = sys.argv[1]
if step.startswith("evaluate"):
    from assessment.pages.evaluate import evaluate_app
    app = evaluate_app()
    assert app.state.error == "", app.state.error
    assert app.branch_picker.options, "no branch to choose"
    if step == "evaluate-open":
        app.branch_picker.value = app.branch_picker.options[0]
        app.open_button.click()
        assert app.state.branch_id is not None and app.state.results is not None, app.state.error
else:
    from assessment.pages.self_assess import self_assess_app
    app = self_assess_app()
    assert app.state.error == "", app.state.error
    assert (app.state.session is not None) == (step == "self_assess-code"), "the code did not open the branch"
print(json.dumps(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A migrated SQLite database with the sample street, a signed-in evaluator and an access code."""
    directory = tmp_path_factory.mktemp("lean")
    url = f"sqlite:///{directory}/lean.sqlite"
    rubric = load_rubric()
    with Store(url, rubric=rubric) as store:
        inputs = build_sample_inputs(rubric)
        store.records.import_inputs(
            inputs, year=YEAR, evaluator="数据管理员", rubric_version=rubric.version, source="示例"
        )
        token = add_staff(store, "张三", "区委")
        branch = str(inputs.branches["branch_id"].iloc[0])
        code = store.access.issue(branch, YEAR, by="管理员").code
    return {"url": url, "token": token, "code": code}


def modules_after(step: str, database: dict[str, str]) -> set[str]:
    env = dict(os.environ, ASSESSMENT_DATABASE_URL=database["url"], PYTHONPATH=str(REPO))
    env.pop("QUERY_STRING", None)
    env.pop("VOILA_PREHEAT", None)
    if step.startswith("evaluate"):
        env["SIPING_SESSION"] = database["token"]
    if step == "self_assess-code":
        env["QUERY_STRING"] = f"code={database['code']}"
    done = subprocess.run(
        [sys.executable, "-c", PAGE, step], check=False, env=env, cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def loaded(modules: set[str], name: str) -> bool:
    return name in modules or any(module.startswith(name + ".") for module in modules)


def on_request_loaded(modules: set[str], allowed: tuple[str, ...] = ()) -> dict[str, str]:
    return {name: why for name, why in ON_REQUEST.items() if name not in allowed and loaded(modules, name)}


def test_the_evaluate_page_before_a_branch_opens_loads_no_chart_pdf_workbook_or_migration(database):
    assert on_request_loaded(modules_after("evaluate", database)) == {}


def test_opening_a_branch_draws_its_charts_and_still_no_pdf_or_workbook(database):
    # the check above can fail: the charts of an open branch do import matplotlib
    modules = modules_after("evaluate-open", database)
    assert loaded(modules, "matplotlib")
    assert on_request_loaded(modules, allowed=("matplotlib", "PIL")) == {}


def test_the_self_assess_sign_in_page_loads_no_chart_pdf_workbook_or_migration(database):
    assert on_request_loaded(modules_after("self_assess", database)) == {}


def test_the_branch_page_draws_its_charts_but_loads_no_pdf_workbook_or_migration(database):
    modules = modules_after("self_assess-code", database)
    assert loaded(modules, "matplotlib")  # the three charts of the first render
    assert on_request_loaded(modules, allowed=("matplotlib", "PIL")) == {}
