"""A rubric that declares what it uses (meta.yaml ``uses``): a street scoring only its own sheet (组织评定)
needs no other data, nothing leaks in from the built-in 组织生活 conditions, and a rubric whose rules read data
it does not collect is refused on load, every such rule named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from ruamel.yaml import YAML

from assessment import glossary as g
from assessment.inputs.frames import SHEET_NAMES, sheet_columns
from assessment.inputs.payload import blank_payload, inputs_for
from assessment.inputs.workbook import read_workbook
from assessment.outputs.input_workbook import write_input_workbook, write_template
from assessment.rubric import DEFAULT_RUBRIC_DIR, RubricError, load_rubric
from assessment.rubric.model import CHANNEL_IDS, CONDITION_IDS
from assessment.scoring import score
from tests.factories import YEAR, branch_row, full_marks

yaml = YAML(typ="safe")
yaml.allow_unicode = True


def _edit(directory: Path, name: str, change) -> None:
    path = directory / name
    data = yaml.load(path.read_text(encoding="utf-8"))
    change(data)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def _org_only(directory: Path, *, conditions: list[str] | None = None) -> Path:
    """The shipped rubric made into a street's own sheet: only 组织评定, no vetoes or 组织生活 conditions."""
    shutil.copytree(DEFAULT_RUBRIC_DIR, directory)
    conditions = [] if conditions is None else conditions
    _edit(directory, "meta.yaml", lambda d: d.update(uses={"channels": ["org"], "conditions": conditions}))

    def channels(d):
        d["channels"] = [{**c, "weight": 1} for c in d["channels"] if c["id"] == "org"]

    _edit(directory, "channels.yaml", channels)

    def eligibility(d):
        kept = {"score_at_least", "key_items_at_least"} | ({"structure_ok"} if "structure" in conditions else set())
        d["standardized"]["conditions"] = [c for c in d["standardized"]["conditions"] if c["type"] in kept]
        d["veto_rules"] = [r for r in d["veto_rules"] if r["type"] == "min_level" and "annual_review" in conditions]
        d["weak"]["any_of"] = [c for c in d["weak"]["any_of"] if c["type"] != "activity_failures_at_least"]

    _edit(directory, "eligibility.yaml", eligibility)
    return directory


@pytest.fixture(scope="module")
def org_only(tmp_path_factory):
    return load_rubric(_org_only(tmp_path_factory.mktemp("rubric") / "org_only"))


def _org_inputs(rubric, **org):
    """Branch B1 with full marks on every checklist item and nothing else: no annual review grade, no tallies,
    no department opinions, no activity log, no roster, no member counts on the 支部 sheet."""
    from assessment.inputs.frames import Inputs

    blank = {"full_members": pd.NA, "committee_size": pd.NA, "last_election": pd.NaT, "kind": None}
    branches = pd.DataFrame([branch_row("B1", **blank)])
    branches = branches.astype({"full_members": "Int64", "committee_size": "Int64", "probationary_members": "Int64"})
    values = {**full_marks(rubric), **org}
    return Inputs(branches=branches, org=pd.DataFrame([{"branch_id": "B1", "annual_review_grade": None, **values}]))


def test_default_rubric_uses_everything(default_rubric):
    assert default_rubric.meta.uses is None
    assert default_rubric.uses.channels == CHANNEL_IDS and default_rubric.uses.conditions == CONDITION_IDS
    assert all(default_rubric.uses_channel(c) for c in CHANNEL_IDS)
    assert default_rubric.unused_text() == ""
    assert list(sheet_columns(default_rubric)) == list(SHEET_NAMES)


def test_full_marks_on_the_own_sheet_alone_is_standardized_and_not_weak(org_only):
    results = score(org_only, _org_inputs(org_only), year=YEAR)
    row = results.branches.loc["B1"]
    assert row["status"] == g.COMPLETE, row["missing"]
    assert row["missing"] == ""
    assert row["composite"] == 100 and row["org"] == 100
    assert pd.isna(row["member"]) and pd.isna(row["public"]) and pd.isna(row["social"])
    assert bool(row["standardized"]), row["standardized_reasons"]
    assert not bool(row["weak"]), row["weak_reasons"]
    assert row["activity_failures"] == 0 and row["activity_failed_types"] == ""
    assert results.activities.empty and results.structure.empty and results.vetoes.empty
    assert bool(row["strongest"]) and "没有否决规则" in row["reasons"]


def test_the_same_branch_under_the_shipped_rubric_is_not(default_rubric):
    """The leak the rubric's declaration removes: with everything used, the same data is 未完成 and fails the
    组织生活 frequencies."""
    row = score(default_rubric, _org_inputs(default_rubric), year=YEAR).branches.loc["B1"]
    assert row["status"] == g.INCOMPLETE and "党员评议" in row["missing"]
    assert row["activity_failures"] > 0


def test_a_low_own_sheet_score_still_decides(org_only):
    item = next(i for i in org_only.base_items if i.kind == "points" and i.key)
    row = score(org_only, _org_inputs(org_only, **{item.id: 0.0}), year=YEAR).branches.loc["B1"]
    assert row["composite"] == pytest.approx(100 - float(item.weight) * 100)
    assert not bool(row["standardized"]) and "关键项" in row["standardized_reasons"]
    assert bool(row["weak"]) and "关键项" in row["weak_reasons"]


def test_structure_is_checked_when_declared(tmp_path):
    rubric = load_rubric(_org_only(tmp_path / "r", conditions=["structure"]))
    inputs = _org_inputs(rubric)
    inputs.branches.loc[0, "full_members"] = 2
    row = score(rubric, inputs, year=YEAR).branches.loc["B1"]
    assert not bool(row["standardized"]) and "组织设置" in row["standardized_reasons"]
    assert not score(rubric, inputs, year=YEAR).structure.empty


def test_template_and_workbook_ask_only_for_what_is_used(org_only, tmp_path):
    template = load_workbook(write_template(tmp_path / "template.xlsx", org_only))
    sheets = [name for name in template.sheetnames if name in SHEET_NAMES.values()]
    template.close()
    assert sheets == ["支部", "组织评定"]
    filled = write_input_workbook(_org_inputs(org_only), org_only, tmp_path / "filled.xlsx")
    inputs = read_workbook(filled, org_only)
    row = score(org_only, inputs, year=YEAR).branches.loc["B1"]
    assert row["status"] == g.COMPLETE and bool(row["standardized"]) and not bool(row["weak"])


def test_form_payload_has_no_fields_for_unused_channels(org_only):
    payload = blank_payload(org_only)
    assert payload["member"] == {} and payload["public"] == {}
    for item_id, value in full_marks(org_only).items():
        payload["org"]["items"][item_id]["value"] = value
    branches = _org_inputs(org_only).branches
    inputs = inputs_for(branches, pd.DataFrame(), {"B1": payload}, org_only)
    row = score(org_only, inputs, year=YEAR).branches.loc["B1"]
    assert row["status"] == g.COMPLETE and bool(row["standardized"])


def test_rules_over_data_not_collected_are_refused_all_at_once(tmp_path):
    directory = _org_only(tmp_path / "r")
    shipped = yaml.load((DEFAULT_RUBRIC_DIR / "eligibility.yaml").read_text(encoding="utf-8"))

    def dangling(d):
        d["veto_rules"] = [r for r in shipped["veto_rules"] if r["id"] == "member_excellent_share"]
        d["standardized"]["conditions"] += [c for c in shipped["standardized"]["conditions"]]
        d["weak"]["any_of"] += [
            {"type": "activity_failures_at_least", "count": 3, "label": "3项以上组织生活频次未达到"},
            {"type": "score_below", "target": "public", "threshold": 60, "label": "群众评判不足60分"},
        ]

    _edit(directory, "eligibility.yaml", dangling)
    with pytest.raises(RubricError) as caught:
        load_rubric(directory)
    report = str(caught.value)
    expected = [
        "veto_rules[member_excellent_share]：否决规则 member_excellent_share（党员评价优秀比例）读取党员评议（member）",
        "达标条件“组织生活各项频次全部达到”（activity_rules_met）读取组织生活记录",
        "达标条件“组织设置无阻断性问题”（structure_ok）读取组织设置",
        "软弱涣散条件“3项以上组织生活频次未达到”（activity_failures_at_least）读取组织生活记录",
        "软弱涣散条件“群众评判不足60分”（score_below）读取群众评判（public）",
    ]
    for text in expected:
        assert text in report, report
    assert all(p.file.endswith("eligibility.yaml") and p.line for p in caught.value.problems)
    assert "uses.channels：org" in report and "uses.conditions：无" in report


def test_channels_must_match_the_declaration(tmp_path):
    directory = _org_only(tmp_path / "r")
    _edit(directory, "meta.yaml", lambda d: d["uses"].update(channels=["org", "member"]))
    with pytest.raises(RubricError) as caught:
        load_rubric(directory)
    assert [p.file.rsplit("/", 1)[-1] for p in caught.value.problems] == ["meta.yaml"]
    assert "uses.channels 声明使用 member，但 channels.yaml 中没有这个通道" in str(caught.value)

    directory = _org_only(tmp_path / "s")
    shipped = yaml.load((DEFAULT_RUBRIC_DIR / "channels.yaml").read_text(encoding="utf-8"))
    _edit(directory, "channels.yaml", lambda d: d["channels"].append({**shipped["channels"][3], "weight": 0}))
    with pytest.raises(RubricError) as caught:
        load_rubric(directory)
    assert "字段 channels[social].id" in str(caught.value)
    assert "通道 social 未在 meta.yaml 的 uses.channels（org）中声明使用" in str(caught.value)


def test_used_channel_weights_sum_to_one(tmp_path):
    directory = _org_only(tmp_path / "r")
    _edit(directory, "channels.yaml", lambda d: d["channels"][0].update(weight=0.9))
    with pytest.raises(RubricError, match=r"所用的1个通道（org）的权重之和应为1，实际为 0.9"):
        load_rubric(directory)


def test_without_a_declaration_everything_is_required(tmp_path):
    directory = _org_only(tmp_path / "r")
    _edit(directory, "meta.yaml", lambda d: d.pop("uses"))
    with pytest.raises(RubricError) as caught:
        load_rubric(directory)
    report = str(caught.value)
    assert "缺少通道 member、public、social" in report
    assert "否决规则应恰为以下四条" in report
    assert "达标" not in report  # the conditions left are over data every rubric collects


def test_the_org_channel_cannot_be_left_out(tmp_path):
    directory = _org_only(tmp_path / "r")
    _edit(directory, "meta.yaml", lambda d: d["uses"].update(channels=["member"]))
    with pytest.raises(RubricError, match="uses.channels 应包含 org"):
        load_rubric(directory)


def test_a_per_member_activity_rule_needs_the_roster(tmp_path):
    directory = _org_only(tmp_path / "r", conditions=["activities"])
    shipped = yaml.load((DEFAULT_RUBRIC_DIR / "activities.yaml").read_text(encoding="utf-8"))
    per_member = [r["id"] for r in shipped["rules"] if r.get("scope") == "per_member"]
    assert per_member, "the shipped rubric checks 谈心谈话 per member"
    with pytest.raises(RubricError) as caught:
        load_rubric(directory)
    assert f"字段 rules[{per_member[0]}].scope" in str(caught.value)
    assert "读取党员名册" in str(caught.value)


def test_the_evaluate_page_asks_only_for_the_own_sheet(tmp_path, monkeypatch):
    """The evaluator's page under an org-only rubric: one tab, no review grade, no tallies; full marks on the
    sheet alone show 100, 达标, and are submitted."""
    from assessment.inputs.frames import Inputs
    from assessment.pages.evaluate.app import EvaluateApp
    from assessment.store import Store
    from tests.factories import staff_session

    directory = _org_only(tmp_path / "rubric")
    _edit(directory, "meta.yaml", lambda d: d.update(version="街道细则-1"))
    monkeypatch.setenv("ASSESSMENT_RUBRIC_DIR", str(directory))
    rubric = load_rubric(directory)
    url = f"sqlite:///{tmp_path}/t.sqlite"
    with Store(url, rubric=rubric) as store:
        branches = _org_inputs(rubric).branches
        master = Inputs(branches=branches, org=pd.DataFrame(columns=["branch_id"]))
        store.records.import_inputs(
            master, year=YEAR, evaluator="数据管理员", rubric_version=rubric.version, source="街道"
        )
        app = EvaluateApp(store, rubric, session=staff_session(store, "张三", "区委"))
        app.branch_picker.value = "B1"
        app.open_button.click()
        assert app.form.tab.titles == ("组织评定",)
        assert not any(path.startswith(("member.", "public.", "social.")) for path in app.inputs)
        assert "org.annual_review_grade" not in app.inputs
        for item_id, value in full_marks(rubric).items():
            app.inputs[f"org.items.{item_id}.value"].value = value if isinstance(value, str) else f"{value:g}"
        panel = app.panel
        assert panel.composite == "100" or panel.composite.startswith("100"), panel.composite
        assert panel.standardized == "是" and panel.missing == ""
        assert panel.vetoes_shown == {}
        assert (
            "本评分标准不使用" in panel.eligibility.value and "党员评议、群众评判、社会评价" in panel.eligibility.value
        )
        app.submit_button.click()
        revisions = store.records.revisions("B1", app.year_picker.value)
        assert len(revisions) == 1, app.submit_message.value
        (first,) = revisions
        assert first.status == "submitted"


def test_results_workbook_and_report_leave_out_what_is_not_used(org_only, tmp_path):
    """The 结果 sheet and the branch report name only the channels used: no 0 and no blank column for 党员评议."""
    from assessment.outputs.branch_pdf import branch_report_html
    from assessment.outputs.excel import write_tables
    from assessment.outputs.tables import result_tables
    from assessment.scoring.gaps import gap_list

    results = score(org_only, _org_inputs(org_only), year=YEAR)
    tables = result_tables(results, org_only)
    first = next(iter(tables.values()))
    assert "组织评定" in first.columns
    assert not {"党员评议", "群众评判", "社会评价"} & set(first.columns)
    book = load_workbook(write_tables(tables, tmp_path / "结果.xlsx"))
    headers = [cell.value for cell in next(book.worksheets[0].iter_rows(max_row=1))]
    book.close()
    assert "组织评定" in headers and "党员评议" not in headers
    unused = "党员评议、群众评判、社会评价；年度述职评议等次、组织生活频次、党员名册检查、组织设置"
    assert org_only.unused_text() == unused
    rubric_sheet = dict(zip(tables["评分标准"]["项目"], tables["评分标准"]["内容"]))
    assert rubric_sheet["本评分标准不使用"] == unused + "（未评分，不计为缺项）"
    document = branch_report_html(org_only, results, "B1", gaps=gap_list(org_only, results, "B1"))
    assert "组织评定" in document
    assert "本评分标准不使用" in document and unused in document


def test_the_self_page_form_and_uploads_ask_only_for_what_is_used(org_only):
    from assessment.inputs.workbook import WorkbookError
    from assessment.inputs.workbook.reader import read_sheet_upload
    from assessment.pages.self_assess.form import SelfAssessForm

    form = SelfAssessForm(org_only, on_change=lambda path, value: None)
    assert all(path.startswith("org.items.") for path in form.inputs), sorted(form.inputs)
    assert len(form.inputs) == len(org_only.items)
    csv = "支部编号,日期,类型,应到人数,实到人数,有记录\nB1,2025-01-05,支委会,5,5,是\n".encode()
    with pytest.raises(WorkbookError, match="本评分标准不使用活动记录，无需上传"):
        read_sheet_upload(csv, "活动记录.csv", "activities", org_only, branch_id="B1")


def test_the_shipped_self_page_form_keeps_the_review_grade_and_the_member_tallies(default_rubric):
    from assessment.pages.self_assess.form import SelfAssessForm

    form = SelfAssessForm(default_rubric, on_change=lambda path, value: None)
    assert "org.annual_review_grade" in form.inputs and "member.participants" in form.inputs


def test_the_weights_page_analysis_runs_on_an_org_only_rubric(org_only):
    from assessment.analysis.baseline import Baseline, rescore
    from assessment.analysis.sensitivity import sensitivity

    inputs = _org_inputs(org_only)
    baseline = Baseline.from_inputs(org_only, inputs, year=YEAR)
    assert rescore(baseline, org_only).branches.loc["B1", "composite"] == 100
    table = sensitivity(baseline, org_only, spread=0.2, n=5, seed=1)
    assert len(table)


def test_the_self_page_offers_no_upload_of_records_not_collected(tmp_path, monkeypatch):
    from assessment.inputs.frames import Inputs
    from assessment.pages.self_assess.app import SelfAssessApp
    from assessment.store import Store

    directory = _org_only(tmp_path / "rubric")
    _edit(directory, "meta.yaml", lambda d: d.update(version="街道细则-1"))
    monkeypatch.setenv("ASSESSMENT_RUBRIC_DIR", str(directory))
    rubric = load_rubric(directory)
    with Store(f"sqlite:///{tmp_path}/t.sqlite", rubric=rubric) as store:
        master = Inputs(branches=_org_inputs(rubric).branches, org=pd.DataFrame(columns=["branch_id"]))
        store.records.import_inputs(
            master, year=YEAR, evaluator="数据管理员", rubric_version=rubric.version, source="街道"
        )
        app = SelfAssessApp(store)
        assert app.enter(store.access.issue("B1", YEAR, by="管理员").code)
        shown = list(walk_children(app.main))
        assert not any(upload in shown for upload in app.uploads.values())
        assert all(path.startswith("org.items.") for path in app.inputs)
        for item_id, value in full_marks(rubric).items():
            app.inputs[f"org.items.{item_id}.value"].value = value if isinstance(value, str) else f"{value:g}"
        summary = app.summary_box.value
        assert "未完成" not in summary and "否决规则" not in summary and "组织生活" not in summary
        assert "达标条件中尚未满足的：无" in summary
        assert "组织生活" not in app.findings_box.value and "党员名册" not in app.findings_box.value


def walk_children(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk_children(child)


def test_the_upload_help_names_only_the_records_collected():
    from assessment.pages.self_assess.app import sheet_help

    both = sheet_help(("activities", "roster"))
    assert "“活动记录”“党员名册”" in both and "日期＋类型" in both and "整表替换" in both
    roster_only = sheet_help(("roster",))
    assert "活动记录" not in roster_only and "“党员名册”工作表" in roster_only
