"""Workflow statuses for the demo street (assessment.demo.workflow): moved with the store's own
workflow API, deterministic, never twice, and what the 总览 then shows."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from assessment.analysis import overview as ov
from assessment.cli import main
from assessment.demo.street import generate_demo_years
from assessment.demo.workflow import DEMO_ACTOR, designated_on_the_way, planned_status, seed_demo_workflow, term_over
from assessment.localtime import local_date
from assessment.rubric import load_rubric
from assessment.scoring import score
from assessment.store import Store
from assessment.store.database import now

TODAY = local_date(now())


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def demo_years(rubric):
    return generate_demo_years(rubric)


def import_demo(url, rubric, demo_years, years=(2023, 2024, 2025)) -> None:
    with Store(url, rubric=rubric) as store:
        for year in years:
            store.records.import_inputs(
                demo_years[year], year=year, evaluator=DEMO_ACTOR, rubric_version=rubric.version, source="示例"
            )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, rubric, demo_years):
    url = f"sqlite:///{tmp_path_factory.mktemp('seed') / 'db.sqlite'}"
    import_demo(url, rubric, demo_years)
    with Store(url, rubric=rubric) as store:
        report = seed_demo_workflow(store, rubric)
    return url, report


def test_every_branch_ends_where_the_plan_puts_it(seeded, rubric, demo_years):
    url, report = seeded
    assert sorted(report.seeded) == [2023, 2024, 2025] and report.skipped == ()
    labels = {s.id: s.label for s in rubric.workflow.states}
    with Store(url, rubric=rubric) as store:
        for year, inputs in demo_years.items():
            results = score(rubric, inputs, year=year)
            statuses = {branch_id: status.status for branch_id, _name, status in store.workflow.statuses(year)}
            expected = {
                branch_id: planned_status(results.branches.loc[branch_id], position, latest=year == 2025)
                for position, branch_id in enumerate(sorted(results.branches.index))
            }
            # A branch whose term is already over today cannot be designated: it waits at 待区委验收.
            for branch_id, target in expected.items():
                if designated_on_the_way(target) and term_over(rubric, inputs.branches, branch_id, TODAY):
                    expected[branch_id] = "district_check"
            revoked = [b for b, s in statuses.items() if s == "revoked"]
            if year == 2025:
                assert len(revoked) == 1 and expected[revoked[0]] == "standardized"
                expected[revoked[0]] = "revoked"
            else:
                assert revoked == []
            assert statuses == expected
            assert report.seeded[year] == Counter(labels[s] for s in expected.values())


def test_finished_years_designate_every_qualified_branch_and_the_latest_is_in_progress(seeded, rubric, demo_years):
    url, _ = seeded
    with Store(url, rubric=rubric) as store:
        street = ov.load_street(store, rubric)
    progress = {row.year: row for row in ov.target_progress(street)}
    # Every qualified branch of a finished year is designated, except where its term is already over today.
    for year in (2023, 2024):
        results = score(rubric, demo_years[year], year=year).branches
        qualified = results.index[results["strongest"].astype(bool)]
        open_term = [b for b in qualified if not term_over(rubric, demo_years[year].branches, b, TODAY)]
        assert progress[year].strongest_qualified == len(qualified)
        assert progress[year].strongest_designated >= len(open_term) > 0
    assert 0 < progress[2025].strongest_designated < progress[2025].strongest_qualified
    flow = ov.funnel(street.years[2025], rubric).set_index("status")["支部数"]
    # (最强申报 passes through 已达标: the demo's 最强 candidates of 2025 have terms that are over by now.)
    for state in ("applied", "street_review", "district_check", "standardized", "failed"):
        assert flow[state] > 0, state
    assert flow["revoked"] == 1
    assert flow.sum() == 60
    # 已评定最强 of 2025: the designations of 2025 and those of earlier years still valid at its end
    view = street.years[2025]
    own = set(view.statuses[view.statuses == "strongest"].index)
    carried = set(view.carried[view.carried == "strongest"].index)
    assert flow["strongest"] == len(own) and carried - own
    assert progress[2025].strongest_designated == len(own | carried)


def test_an_earlier_designation_counts_until_revoked_or_expired(tmp_path, rubric, demo_years):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    import_demo(url, rubric, demo_years)
    with Store(url, rubric=rubric) as store:
        seed_demo_workflow(store, rubric)
        street = ov.load_street(store, rubric)
        view = street.years[2025]
        carried = sorted(
            set(view.carried[view.carried == "strongest"].index)
            - set(view.statuses[view.statuses == "strongest"].index)
        )
        branch = carried[0]
        earlier = max(y for y in (2023, 2024) if store.workflow.status(branch, y).status == "strongest")
        status = store.workflow.status(branch, earlier)
        assert status.valid_until is None or status.valid_until >= dt.date(2025, 12, 31)
        before = ov.target_progress(street)[-1].strongest_designated
        # The funding uplift of 最强 counts it in 2025; the one-off bonus (paid in the designation's year) does not
        lines = {line.benefit.id: line for line in ov.budget_lines(view, rubric)}
        own = int((view.statuses == "strongest").sum())
        kinds = view.kinds.reindex(view.branches.index)
        village = set(kinds[kinds.isin(["村", "社区"])].index)
        assert lines["strongest_funding_uplift"].designated == before
        assert lines["strongest_bonus"].designated == len(
            set(view.statuses[view.statuses == "strongest"].index) & village
        )
        assert lines["strongest_bonus"].designated <= own
        # When the earlier designation is revoked, 2025 no longer counts it
        store.workflow.move(
            branch, earlier, "revoked", role="district", actor="区委组织部", reason="出现不符合建设标准的情形"
        )
        after = ov.target_progress(ov.load_street(store, rubric))[-1].strongest_designated
    assert after == before - 1


def test_moves_are_recorded_as_demo_data_and_no_access_code_stays_open(seeded, rubric):
    url, _ = seeded
    with Store(url, rubric=rubric) as store:
        (designated, *_) = [b for b, _n, s in store.workflow.statuses(2023) if s.status == "strongest"]
        history = store.workflow.history(designated, 2023)
        assert [event.to_status for event in history] == [
            "applied",
            "street_review",
            "district_check",
            "standardized",
            "strongest_declared",
            "strongest",
        ]
        assert all(event.reason.startswith("演示数据") for event in history)
        assert {event.actor for event in history if event.role != "branch"} == {DEMO_ACTOR}
        codes = store.access.codes()
        assert codes and not [code for code in codes if code.active]


def test_seeding_again_changes_nothing(seeded, rubric):
    url, _ = seeded
    with Store(url, rubric=rubric) as store:
        before = {y: [(b, s.status, s.event_id) for b, _n, s in store.workflow.statuses(y)] for y in (2023, 2025)}
        report = seed_demo_workflow(store, rubric)
        after = {y: [(b, s.status, s.event_id) for b, _n, s in store.workflow.statuses(y)] for y in (2023, 2025)}
    assert report.seeded == {} and report.skipped == (2023, 2024, 2025)
    assert after == before


def test_cli_demo_seed_workflow(capsys, tmp_path, rubric, demo_years):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["demo", "--seed-workflow", "--database", url]) == 2
    assert "还没有数据" in capsys.readouterr().err
    import_demo(url, rubric, demo_years, years=(2024,))
    assert main(["demo", "--seed-workflow", "--database", url]) == 0
    out = capsys.readouterr().out
    assert "演示考评流程：2024年度：" in out and "已评定最强" in out
    assert main(["demo", "--seed-workflow", "--database", url]) == 0
    assert "已有流程记录、未改动的年度：2024" in capsys.readouterr().out


def test_honours_follow_the_designation_held(seeded, rubric, demo_years):
    url, _ = seeded
    with Store(url, rubric=rubric) as store:
        street = ov.load_street(store, rubric)
    view = street.years[2025]
    table = ov.year_results_table(view, rubric).set_index("支部编号")
    status = view.statuses.reindex(view.branches.index)
    carried = view.carried.reindex(view.branches.index)
    top = "街道党工委及上级党组织的党内表彰、自治区党委以上党内表彰（优先推荐）"
    for branch_id, text in table[ov.HONOURS].items():
        if status[branch_id] == "strongest" or carried[branch_id] == "strongest":
            assert text == top, branch_id
        elif status[branch_id] in {"standardized", "strongest_declared"} or carried[branch_id] == "standardized":
            assert text == "街道党工委及上级党组织的党内表彰", branch_id
        else:
            assert text == "不可参评党内表彰（未达到标准化规范化）", branch_id
    counts = table[ov.HONOURS].value_counts()
    assert counts[top] == ov.target_progress(street)[-1].strongest_designated
    assert len(counts) == 3
    # Without workflow statuses (a workbook), 达标 by the results stands in; nobody counts as designated 最强
    plain = ov.street_from_inputs(rubric, {2025: demo_years[2025]}).years[2025]
    texts = ov.honours(plain, rubric)
    standardized = plain.branches["standardized"]
    assert (texts[standardized] == "街道党工委及上级党组织的党内表彰").all()
    assert (texts[~standardized] == "不可参评党内表彰（未达到标准化规范化）").all()


def test_a_duplicate_honour_id_is_refused_with_its_line():
    from assessment.rubric import RubricError, load_rubric_texts, read_rubric_texts

    texts, _ = read_rubric_texts()
    texts["targets.yaml"] = texts["targets.yaml"].replace("{id: region_and_above,", "{id: street_and_above,")
    with pytest.raises(RubricError, match=r"targets.yaml 第\d+行.*评先评优编号“street_and_above”重复"):
        load_rubric_texts(texts)
