"""A street renames every state and role id of rubrics/workflow.yaml (same labels, same markers): the
总览's numbers and the workflow's moves stay exactly as they are with the default ids.

Two SQLite databases hold the same two demo years; the same moves, named by their Chinese labels, are
made in each (a branch's own 申请考评 with its access code, the 街道's and the 区委's moves, a
revocation of an earlier year's designation). Then every table of the 总览 is compared, and checked
against the counts the moves must give, so that code still naming a default id (which would count
nothing under the renamed rubric) fails here.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from ruamel.yaml import YAML

from assessment.analysis import overview as ov
from assessment.cli import main
from assessment.demo.street import generate_demo_years
from assessment.demo.workflow import DemoWorkflowError, seed_demo_workflow
from assessment.inputs.payload import payload_from_inputs
from assessment.rubric import DEFAULT_RUBRIC_DIR, load_rubric
from assessment.store import Store, StoreError
from tests.factories import record_result, staff_session

YEARS = (2024, 2025)
ACTOR = "测试"
STATES = {
    "self_assessing": "zipingzhong",
    "applied": "yishenqing",
    "street_review": "jiedao_kaoping",
    "district_check": "dai_yanshou",
    "standardized": "yidabiao",
    "failed": "weitongguo",
    "strongest_declared": "zuiqiang_shenbao",
    "strongest": "yipingding",
    "strongest_city": "shiwei_pingding",
    "revoked": "chexiao",
}
ROLES = {"branch": "zhibu", "street": "jiedao", "district": "quwei"}

# The moves, by label: (state, role). The first move of each path is the branch's own 申请考评.
APPLY = [("已申请", "支部")]
REVIEW = [*APPLY, ("街道考评中", "街道")]
FAILED = [*REVIEW, ("未通过", "街道")]
STANDARDIZED = [*REVIEW, ("待区委验收", "街道"), ("已达标", "区委")]
DECLARED = [*STANDARDIZED, ("最强申报", "街道")]
STRONGEST = [*DECLARED, ("已评定最强", "区委")]
CITY = [*STRONGEST, ("市委评定最强", "区委")]
PLAN = {
    2024: [STRONGEST, CITY, STANDARDIZED, FAILED, DECLARED, STRONGEST],
    2025: [
        APPLY,
        [*STANDARDIZED, ("撤销", "街道")],
        STRONGEST,
        [*FAILED, ("自评中", "支部")],
        [*REVIEW, ("待区委验收", "街道")],
        CITY,
    ],
}
# Afterwards the sixth branch's 2024 designation is revoked (in 2025): it no longer carries into 2025.


def renamed_workflow(text: str) -> str:
    """workflow.yaml with every state and role id renamed (labels, markers and sources untouched)."""
    yaml = YAML(typ="rt")
    yaml.width = 4096
    tree = yaml.load(text)
    for role in tree["roles"]:
        role["id"] = ROLES[role["id"]]
    for state in tree["states"]:
        state["id"] = STATES[state["id"]]
    tree["initial"] = STATES[tree["initial"]]
    for move in tree["transitions"]:
        move["from"] = STATES[move["from"]]
        move["to"] = STATES[move["to"]]
        move["roles"] = [ROLES[role] for role in move["roles"]]
        if "exception_roles" in move:
            move["exception_roles"] = [ROLES[role] for role in move["exception_roles"]]
    for account in tree.get("accounts", ()):
        if "acts_as" in account:
            account["acts_as"] = ROLES[account["acts_as"]]
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def renamed_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("renamed") / "rubrics"
    shutil.copytree(DEFAULT_RUBRIC_DIR, directory)
    path = directory / "workflow.yaml"
    path.write_text(renamed_workflow(path.read_text(encoding="utf-8")), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def rubrics(renamed_dir):
    default, renamed = load_rubric(), load_rubric(renamed_dir)
    # every id differs, every label and marker is the same
    assert not {s.id for s in default.workflow.states} & {s.id for s in renamed.workflow.states}
    assert not {r.id for r in default.workflow.roles} & {r.id for r in renamed.workflow.roles}
    for before, after in zip(default.workflow.states, renamed.workflow.states, strict=True):
        assert (before.label, before.marker, before.designation) == (after.label, after.marker, after.designation)
    return {"default": default, "renamed": renamed}


@pytest.fixture(scope="module")
def demo(rubrics):
    return generate_demo_years(rubrics["default"], YEARS)


def walk(store: Store, rubric, inputs, branch_id: str, year: int, path) -> list:
    """Make the moves of ``path`` (labels), the first as the branch itself; the refusals on the way."""
    refusals = []
    for position, (state, role) in enumerate(path):
        if position == 0:
            issued = store.access.issue(branch_id, year, by=ACTOR)
            try:
                session = store.access.open_session(issued.code)
                session.apply(payload_from_inputs(inputs, branch_id, rubric), reason="自评完成，申请考评")
            finally:
                store.access.revoke(branch_id, by=ACTOR, reason="申请完成", year=year)
            continue
        # a role that may not make this move is refused, with the same words under either rubric
        try:
            store.workflow.move(
                branch_id, year, state, role="支部" if role != "支部" else "区委", actor=ACTOR, reason="试"
            )
        except StoreError as refused:
            refusals.append(str(refused))
        store.workflow.move(branch_id, year, state, role=role, actor=ACTOR, reason=f"变更为{state}")
    return refusals


def build(url: str, rubric, demo, rubric_dir: Path | None, monkeypatch_context) -> dict:
    """The two years imported and moved as PLAN says; what the 总览 and the workflow then show."""
    with monkeypatch_context() as patch:
        if rubric_dir is not None:  # the database's first rubric version is the renamed one
            patch.setenv("ASSESSMENT_RUBRIC_DIR", str(rubric_dir))
        with Store(url, rubric=rubric) as store:
            for year in YEARS:
                store.records.import_inputs(
                    demo[year], year=year, evaluator=ACTOR, rubric_version=rubric.version, source="示例"
                )
            branches = sorted(demo[YEARS[0]].branches["branch_id"].astype(str))
            for year in YEARS:  # results that carry every move of the plan (达标, 最强-eligible, a running term)
                for branch_id in branches[:6]:
                    record_result(store, branch_id, year, evaluator=ACTOR, last_election="2026-01-01")
            refusals = []
            for year in YEARS:
                for branch_id, path in zip(branches, PLAN[year]):
                    refusals += walk(store, rubric, demo[year], branch_id, year, path)
            store.workflow.move(branches[5], 2024, "撤销", role="区委", actor=ACTOR, reason="出现不符合建设标准的情形")
            street = ov.load_street(store, rubric)
            workflow = rubric.workflow
            history = {
                (branch_id, year): [
                    (
                        workflow.state(e.from_status).label,
                        workflow.state(e.to_status).label,
                        workflow.role(e.role).label,
                        e.reason,
                    )
                    for e in store.workflow.history(branch_id, year)
                ]
                for year in YEARS
                for branch_id in branches[:6]
            }
            moves = {
                state.label: [
                    (workflow.state(t.to).label, [workflow.role(r).label for r in t.roles], t.label)
                    for t in workflow.moves_from(state.id)
                ]
                for state in workflow.states
            }
            try:
                store.workflow.move(branches[10], 2025, "已达标", role="区委", actor=ACTOR, reason="跳过考评")
            except StoreError as refused:
                refusals.append(str(refused))
    return {"street": street, "branches": branches, "history": history, "moves": moves, "refusals": refusals}


@pytest.fixture(scope="module")
def built(tmp_path_factory, rubrics, demo, renamed_dir):
    folder = tmp_path_factory.mktemp("dbs")
    return {
        "default": build(
            f"sqlite:///{folder / 'default.sqlite'}", rubrics["default"], demo, None, pytest.MonkeyPatch.context
        ),
        "renamed": build(
            f"sqlite:///{folder / 'renamed.sqlite'}", rubrics["renamed"], demo, renamed_dir, pytest.MonkeyPatch.context
        ),
    }


def test_the_workflow_moves_and_refusals_are_the_same(built):
    default, renamed = built["default"], built["renamed"]
    assert renamed["history"] == default["history"]
    assert renamed["moves"] == default["moves"]
    assert renamed["refusals"] == default["refusals"]
    # each move tried with a role that may not make it was refused, and so was skipping the evaluation
    assert len(renamed["refusals"]) == sum(len(path) - 1 for year in YEARS for path in PLAN[year]) + 1
    assert any("只能由" in text for text in renamed["refusals"])


def test_every_table_of_the_overview_is_the_same(built):
    default, renamed = built["default"]["street"], built["renamed"]["street"]
    assert ov.target_progress(renamed) == ov.target_progress(default)
    for year in YEARS:
        before, after = ov.overview_tables(default, year), ov.overview_tables(renamed, year)
        assert list(after) == list(before)
        for name, table in before.items():
            pd.testing.assert_frame_equal(after[name], table, obj=f"{year} {name}")
        flows = (ov.funnel(default.years[year], default.rubric), ov.funnel(renamed.years[year], renamed.rubric))
        pd.testing.assert_frame_equal(flows[1].drop(columns="status"), flows[0].drop(columns="status"))
        lines = [ov.budget_lines(s.years[year], s.rubric) for s in (default, renamed)]
        assert lines[1] == lines[0]


def test_the_renamed_overview_counts_what_the_moves_made(built, rubrics):
    street = built["renamed"]["street"]
    rubric = rubrics["renamed"]
    branches = built["renamed"]["branches"]
    counts = {
        year: dict(zip(flow["状态"], flow["支部数"]))
        for year in YEARS
        for flow in [ov.funnel(street.years[year], rubric)]
    }
    assert {k: v for k, v in counts[2024].items() if v and k != "自评中"} == {
        "已达标": 1,
        "未通过": 1,
        "最强申报": 1,
        "已评定最强": 1,
        "市委评定最强": 1,
        "撤销": 1,
    }
    assert {k: v for k, v in counts[2025].items() if v and k != "自评中"} == {
        "已申请": 1,
        "待区委验收": 1,
        "已评定最强": 1,
        "市委评定最强": 1,
        "撤销": 1,
    }
    # Designations of 2024 carried into 2025 (社区 branches elected in 2021: a five-year term): the first
    # branch's 最强 and the third's 达标; not the second's (revoked in 2025) nor the sixth's (revoked in 2024)
    progress = {row.year: row for row in ov.target_progress(street)}
    assert progress[2024].strongest_designated == 2
    carried = street.years[2025].carried
    assert carried.to_dict() == {branches[0]: STATES["strongest"], branches[2]: STATES["standardized"]}
    # 已评定最强 at the end of 2025: its own two (the 市委's included) and the first branch's of 2024
    assert progress[2025].strongest_designated == 3
    lines = {line.benefit.id: line for line in ov.budget_lines(street.years[2025], rubric)}
    assert lines["city_subsidy"].designated == 1  # one-off: the 市委 designation of 2025 only
    assert lines["strongest_funding_uplift"].designated == 3
    may = ov.honours(street.years[2025], rubric)
    assert may.str.contains("优先推荐").sum() == 3


def test_the_evaluator_page_and_the_command_line_act_for_the_staff_roles(tmp_path, rubrics, renamed_dir, demo):
    from assessment.pages.evaluate.workflow import WorkflowPanel

    rubric = rubrics["renamed"]
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSESSMENT_RUBRIC_DIR", str(renamed_dir))
        with Store(url, rubric=rubric) as store:
            store.records.import_inputs(
                demo[2025], year=2025, evaluator=ACTOR, rubric_version=rubric.version, source="示例"
            )
            # the signed-in person moves as their account's workflow role, whatever its id
            street = WorkflowPanel(store, rubric, staff_session(store, ACTOR, "街道", "东城街道"))
            district = WorkflowPanel(store, rubric, staff_session(store, "李区委", "区委"))
            assert (street.role, district.role) == ("jiedao", "quwei")
            branch = min(demo[2025].branches["branch_id"].astype(str))
            walk(store, rubric, demo[2025], branch, 2025, APPLY)
        # the command line picks the one staff role the move allows (受理申请: the 街道)
        code = main(
            [
                "workflow",
                "move",
                branch,
                "--year",
                "2025",
                "--to",
                "街道考评中",
                "--by",
                "周考评",
                "--reason",
                "材料齐全",
            ]
            + ["--database", url]
        )
        assert code == 0
        with Store(url, rubric=rubric) as store:
            (last,) = store.workflow.history(branch, 2025)[-1:]
            assert (last.to_status, last.role) == ("jiedao_kaoping", "jiedao")


def test_the_demo_refuses_a_rubric_without_its_moves_before_moving_anything(tmp_path, rubrics, renamed_dir, demo):
    rubric = rubrics["renamed"]
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSESSMENT_RUBRIC_DIR", str(renamed_dir))
        with Store(url, rubric=rubric) as store:
            store.records.import_inputs(
                demo[2025], year=2025, evaluator=ACTOR, rubric_version=rubric.version, source="示例"
            )
            with pytest.raises(DemoWorkflowError, match="演示考评流程按默认评分标准") as caught:
                seed_demo_workflow(store, rubric)
            assert "初始状态 self_assessing（当前为 zipingzhong）" in str(caught.value)
            assert all(status.event_id is None for _id, _name, status in store.workflow.statuses(2025))
