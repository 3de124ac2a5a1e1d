"""Results stay pinned to the rubric version they were decided with (issue 11, item 2).

An analyst saves version 2026.3 — other channel weights and a stricter 达标 line (综合得分90分以上) — and
makes it current. The 总览 (its rows, its page, its Excel export) and the branch report of 2023 must
still show 2023 as it was decided under the built-in version: composite, 达标 and version. Only the
audited ``rescore`` command decides 2023 anew with 2026.3. On SQLite and PostgreSQL (store_support).
"""

from __future__ import annotations

import datetime as dt
import io
from fractions import Fraction

import pandas as pd
import pytest
from openpyxl import load_workbook

from assessment.analysis import overview as ov
from assessment.analysis.decided import decided_year
from assessment.cli import main
from assessment.demo.street import generate_demo_years
from assessment.demo.workflow import DEMO_ACTOR, seed_demo_workflow
from assessment.inputs.payload import payload_from_inputs
from assessment.outputs.branch_pdf import decided_branch_report
from assessment.outputs.overview_workbook import build_overview_workbook
from assessment.pages.overview.app import OverviewApp
from assessment.rubric import load_rubric, load_rubric_texts, read_rubric_texts
from assessment.rubric.settings import Change, prepare_version
from assessment.scoring import score
from assessment.store import Store
from assessment.store.accounts import Identity

pytest_plugins = ["store_support"]  # fixtures: database_url, store

OLD_YEAR, NEW_YEAR = 2023, 2025
BUILT_IN = load_rubric().version
NEW = "2026.3"
F = Fraction
STRICTER = [
    Change("channels.yaml", ("channels", 0, "weight"), F(1, 2)),
    Change("channels.yaml", ("channels", 1, "weight"), F(1, 10)),
    Change("eligibility.yaml", ("standardized", "conditions", 0, "threshold"), F(90)),
]


def staff() -> Identity:
    """A signed-in 区委 person, as the server would know them."""
    (role,) = (r for r in load_rubric().workflow.accounts if r.label == "区委")
    return Identity("李四", role, None)


@pytest.fixture(scope="module")
def demo():
    return generate_demo_years(load_rubric(), (OLD_YEAR, NEW_YEAR), n_branches=20)


@pytest.fixture(scope="module")
def new_texts():
    return prepare_version(read_rubric_texts()[0], STRICTER, author="李四", note="提高达标分数线").texts


@pytest.fixture
def switched(database_url, demo, new_texts, monkeypatch):
    """2023 (and a first 2025) imported under the built-in version, 2023 moved through the workflow to its
    end (on 1 March 2024, when every 2023 designation still had its term to run); then 2026.3 saved and
    made current, and 2025 imported again under it. Yields the store and the 总览 as it was before the
    switch."""
    with Store(database_url) as store:
        for year, source in ((OLD_YEAR, "2023.xlsx"), (NEW_YEAR, "2025.xlsx")):
            store.records.import_inputs(
                demo[year], year=year, evaluator=DEMO_ACTOR, rubric_version=store.rubric, source=source
            )
        with monkeypatch.context() as early:
            spring = lambda: dt.datetime(2024, 3, 1, 2, tzinfo=dt.UTC)
            early.setattr("assessment.store.workflow.now", spring)
            early.setattr("assessment.demo.workflow.now", spring)
            seed_demo_workflow(store, store.rubric, years=[OLD_YEAR])
        before = ov.load_street(store, store.rubrics.current())
        store.rubrics.save(new_texts, author="李四", note="提高达标分数线")
        assert store.rubrics.current().version == NEW
        store.records.import_inputs(
            demo[NEW_YEAR], year=NEW_YEAR, evaluator=DEMO_ACTOR, rubric_version=store.rubric, source="2025.xlsx"
        )
        yield store, before


def _flipped(demo, new_texts) -> list[str]:
    """Branches of 2023 that were 达标 under the built-in version and would not be under 2026.3."""
    old = score(load_rubric(), demo[OLD_YEAR], year=OLD_YEAR).branches
    new = score(load_rubric_texts(new_texts), demo[OLD_YEAR], year=OLD_YEAR).branches
    return sorted(old.index[old["standardized"].astype(bool) & ~new["standardized"].astype(bool)])


def _rows(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("支部编号")[["综合得分", "等次", "达标", "流程状态", "评分标准版本"]]


def test_the_overview_keeps_each_year_as_decided_after_a_new_version_is_made_current(switched, demo, new_texts):
    store, before = switched
    flipped = _flipped(demo, new_texts)
    assert flipped, "2026.3 must change some 2023 branch's 达标 for this test to mean anything"
    # When the 总览 is loaded with 2026.3 current
    after = ov.load_street(store, store.rubrics.current())
    assert after.rubric.version == NEW
    old_view, new_view = after.years[OLD_YEAR], after.years[NEW_YEAR]
    # Then 2023 is scored with the built-in version, every branch; 2025 with 2026.3
    assert old_view.version_list == [BUILT_IN] and set(old_view.versions) == {BUILT_IN}
    assert new_view.version_list == [NEW]
    rescored = score(load_rubric_texts(new_texts), demo[OLD_YEAR], year=OLD_YEAR).branches
    decided = score(load_rubric(), demo[OLD_YEAR], year=OLD_YEAR).branches
    b = old_view.branches
    assert b["composite"].equals(decided["composite"].reindex(b.index))
    assert not b["composite"].equals(rescored["composite"].reindex(b.index))
    assert (b["standardized"] == decided["standardized"].reindex(b.index)).all()
    # The rows the 总览 shows for 2023 are those it showed before the switch, 流程状态 and version included
    rows = _rows(ov.year_results_table(old_view, after.rubric))
    pd.testing.assert_frame_equal(rows, _rows(ov.year_results_table(before.years[OLD_YEAR], before.rubric)))
    assert set(rows["评分标准版本"]) == {BUILT_IN}
    # The JD005 case: designated 已达标 under the old version, 达标 still 是 beside it (not 否)
    designated = rows.loc[flipped]
    held = designated[designated["流程状态"].isin(["已达标", "已评定最强"])]
    assert len(held) and set(held["达标"]) == {"是"}
    # The targets over the years name each year's version, and 2023's 达标 count is the decided one
    targets = ov.target_table(ov.target_progress(after)).set_index("年度")
    assert targets.loc[OLD_YEAR, "评分标准版本"] == BUILT_IN and targets.loc[NEW_YEAR, "评分标准版本"] == NEW
    assert targets.loc[OLD_YEAR, "达标"].startswith(f"{int(decided['standardized'].sum())}/")


def test_the_overview_page_names_the_decided_version(switched, demo, new_texts):
    store, _ = switched
    flipped = _flipped(demo, new_texts)
    app = OverviewApp(ov.load_street(store, store.rubrics.current()), who=staff())
    app.year_picker.value = OLD_YEAR
    assert f"评分标准版本 {BUILT_IN}（评定时的版本；当前版本 {NEW}）" in app.title.value
    app.branch_picker.value = flipped[0]
    assert f"{BUILT_IN}（评定时的版本；当前版本为 {NEW}，结果不随当前版本改变）" in app.detail.value
    app.year_picker.value = NEW_YEAR
    assert f"评分标准版本 {NEW}" in app.title.value and "评定时的版本" not in app.title.value


def test_the_export_and_the_report_keep_the_decided_result(switched, demo, new_texts, database_url, tmp_path):
    store, before = switched
    flipped = _flipped(demo, new_texts)
    street = ov.load_street(store, store.rubrics.current())
    # The Excel export of 2023: its 各支部结果 sheet is what was decided, and 说明 names the version
    book = load_workbook(io.BytesIO(build_overview_workbook(street, OLD_YEAR, pngs={})), read_only=True)
    sheet = pd.DataFrame(list(book["各支部结果"].values))
    sheet = sheet.iloc[1:].set_axis(list(sheet.iloc[0]), axis=1)
    expected = _rows(ov.year_results_table(before.years[OLD_YEAR], before.rubric))
    got = _rows(sheet)
    assert list(got["达标"]) == list(expected["达标"]) and set(got["评分标准版本"]) == {BUILT_IN}
    assert [round(float(v), 2) if v is not None else None for v in got["综合得分"]] == [
        None if pd.isna(v) else round(float(v), 2) for v in expected["综合得分"]
    ]
    notes = dict(book["说明"].iter_rows(min_row=2, values_only=True))
    assert notes["评分标准版本"] == BUILT_IN and f"当前版本 {NEW}" in notes["版本说明"]
    # The same from the command line
    out = tmp_path / "总览2023.xlsx"
    assert main(["overview-export", "--year", str(OLD_YEAR), "--out", str(out), "--database", database_url]) == 0
    cli_sheet = pd.read_excel(out, sheet_name="各支部结果", dtype=object).set_index("支部编号")
    assert list(cli_sheet["达标"]) == list(expected["达标"]) and set(cli_sheet["评分标准版本"]) == {BUILT_IN}
    # The branch report of a flipped branch: its decided composite and 达标, under the version that decided it
    branch = flipped[0]
    decided = before.years[OLD_YEAR].branches.loc[branch]
    rescored = score(load_rubric_texts(new_texts), demo[OLD_YEAR], year=OLD_YEAR).branches.loc[branch]
    document, _stem = decided_branch_report(store, branch, OLD_YEAR)
    assert f"评分标准版本 {BUILT_IN}（评定时的版本；当前版本为 {NEW}" in document
    composite = f"{decided['composite']:.2f}".rstrip("0").rstrip(".")
    assert f"<b>{composite}</b>" in document
    assert "<b>" + f"{rescored['composite']:.2f}".rstrip("0").rstrip(".") + "</b>" not in document
    assert '<span class="ok">达标</span>' in document and '<span class="bad">未达标</span>' not in document


def test_a_year_with_versions_mixed_names_each_branchs_version(switched, demo):
    store, _ = switched
    # 王五 corrects one 2023 branch on a form opened under 2026.3 (the current version)
    current = store.rubrics.current()
    branch = "JD002"
    store.records.submit(
        branch, OLD_YEAR, DEMO_ACTOR, payload_from_inputs(demo[OLD_YEAR], branch, current), current, reason="复核"
    )
    year = decided_year(store, OLD_YEAR)
    assert year.version_of(branch) == NEW and year.version_of("JD001") == BUILT_IN
    assert year.versions_text() == f"{BUILT_IN}、{NEW}（各支部按评定时的版本）"
    view = ov.load_street(store, current).years[OLD_YEAR]
    assert view.versions_differ
    rows = ov.year_results_table(view, current).set_index("支部编号")["评分标准版本"]
    assert rows[branch] == NEW and (rows.drop(branch) == BUILT_IN).all()
    from assessment.pages.overview.views import results_html

    shown = str(results_html(view, current))
    assert shown.count(f"<td class=nw>{NEW}</td>") == 1 and shown.count(f"<td class=nw>{BUILT_IN}</td>") == 19


def test_rescore_is_explicit_and_audited(switched, demo, new_texts, database_url, capsys):
    store, _ = switched
    flipped = _flipped(demo, new_texts)
    revisions = len(store.records.revisions())
    base = ["rescore", "--year", str(OLD_YEAR), "--version", NEW, "--by", "王五", "--database", database_url]
    # Without a reason: refused, nothing stored
    assert main(base) == 2
    assert "--reason" in capsys.readouterr().err
    assert main([*base, "--reason", "  "]) == 2
    # A dry run shows what would change and stores nothing
    assert main([*base, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "试算，未保存" in out and f"{flipped[0]} " in out and "达标 是 → 否" in out
    assert len(store.records.revisions()) == revisions
    # With a reason: one new revision per 2023 submission, under 2026.3, audited with who and why
    assert main([*base, "--reason", "统一按2026.2口径"]) == 0
    out = capsys.readouterr().out
    assert f"已按评分标准版本 {NEW} 重新评定 {OLD_YEAR}年度 20 个支部" in out
    new_revisions = [r for r in store.records.revisions(year=OLD_YEAR) if r.status == "submitted"]
    assert len(new_revisions) == 20 and {r.rubric_version for r in new_revisions} == {NEW}
    assert {r.reason for r in new_revisions} == {f"按评分标准版本 {NEW} 重新评定：统一按2026.2口径"}
    superseded = [r for r in store.records.revisions(year=OLD_YEAR) if r.status == "superseded"]
    assert len(superseded) == 20 and {r.rubric_version for r in superseded} == {BUILT_IN}
    (entry,) = [e for e in store.records.audit() if e.action == "rescore"]
    assert (entry.actor, entry.year, entry.action_label) == ("王五", OLD_YEAR, "按指定版本重新评定")
    assert entry.detail["rubric_version"] == NEW and entry.detail["reason"] == "统一按2026.2口径"
    assert len(entry.detail["revisions"]) == 20
    corrections = [e for e in store.records.audit() if e.action == "correct" and e.year == OLD_YEAR]
    assert len(corrections) == 20 and {e.actor for e in corrections} == {"王五"}
    # Now 2023 is decided with 2026.3: the flipped branches are no longer 达标
    view = ov.load_street(store, store.rubrics.current()).years[OLD_YEAR]
    assert view.version_list == [NEW]
    assert not view.branches.loc[flipped, "standardized"].any()
    # Twice is refused: nothing left to re-score; an unknown version too
    assert main([*base, "--reason", "再来一次"]) == 2
    assert "没有需要重新评定的考评提交" in capsys.readouterr().err
    assert main([*base[:4], "2030.1", *base[5:], "--reason", "x"]) == 2
    assert "没有评分标准版本“2030.1”" in capsys.readouterr().err


def test_results_of_a_version_not_stored_are_shown_with_the_current_one_and_say_so(store, demo):
    # Results stored before rubric versions were kept in the database name a version it does not hold
    from assessment.store.schema import evaluations

    store.records.import_inputs(
        demo[OLD_YEAR], year=OLD_YEAR, evaluator=DEMO_ACTOR, rubric_version=store.rubric, source="2023.xlsx"
    )
    store.db.write(lambda c: c.execute(evaluations.update().values(rubric_version="2019.1")))
    # When the 总览 reads 2023
    view = ov.load_street(store, store.rubrics.current()).years[OLD_YEAR]
    # Then it scores with the current version, and each branch's detail says which version decided it
    assert view.version_list == [BUILT_IN] and set(view.substituted.values()) == {"2019.1"}
    assert "评定时的版本 2019.1 没有保存在数据库中" in view.version_note("JD001", BUILT_IN)
    expected = score(load_rubric(), demo[OLD_YEAR], year=OLD_YEAR).branches["composite"]
    assert view.branches["composite"].equals(expected.reindex(view.branches.index))
    book = load_workbook(io.BytesIO(build_overview_workbook(ov.load_street(store, store.rubric), OLD_YEAR, {})))
    notes = dict(book["说明"].iter_rows(min_row=2, values_only=True))
    assert "2019.1" in notes["版本说明"]
