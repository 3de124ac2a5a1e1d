"""The demo street over several years (generate_demo_years): deterministic, the same branches,
the latest year exactly the shipped demo, the earlier years weaker."""

from __future__ import annotations

import pandas as pd
import pytest

from assessment.cli import main
from assessment.demo.street import generate_demo, generate_demo_years
from assessment.inputs.frames import SHEET_NAMES
from assessment.inputs.workbook import read_workbook
from assessment.rubric import load_rubric
from assessment.scoring import score


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def years(rubric):
    return generate_demo_years(rubric)


def assert_same(a, b):
    for name in SHEET_NAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)


def test_the_latest_year_is_the_demo_street_and_every_year_has_the_same_branches(rubric, years):
    assert list(years) == [2023, 2024, 2025]
    assert_same(years[2025], generate_demo(rubric))
    for year in (2023, 2024):
        pd.testing.assert_frame_equal(years[year].branches, years[2025].branches)


def test_it_is_deterministic_and_a_year_does_not_depend_on_which_other_years_are_asked_for(rubric, years):
    again = generate_demo_years(rubric, (2024, 2023, 2025))
    for year in years:
        assert_same(again[year], years[year])
    assert_same(generate_demo_years(rubric, (2024, 2025))[2024], years[2024])
    other = generate_demo_years(rubric, seed=7)
    assert not other[2023].org.equals(years[2023].org)


def test_each_years_evaluations_and_log_are_its_own(years):
    for year, inputs in years.items():
        dates = inputs.activities["date"].dt.year
        assert (dates == year).mean() > 0.98  # a few entries of last December, as in the demo
    assert not years[2023].org.equals(years[2024].org)
    # The final year's incomplete evaluations are complete in the finished years
    assert len(years[2023].public) == len(years[2023].branches) and len(years[2025].public) < 60


def test_outcomes_improve_toward_the_targets(rubric, years):
    results = {year: score(rubric, inputs, year=year).branches for year, inputs in years.items()}
    standardized = [int(r["standardized"].sum()) for r in results.values()]
    strongest = [int(r["strongest"].sum()) for r in results.values()]
    weak = [int(r["weak"].sum()) for r in results.values()]
    # (a 支部党员大会 below half attendance counts, so the planted low-attendance meetings cost no branch its 达标)
    assert standardized == [27, 34, 38]
    assert strongest == [3, 5, 7]
    assert weak[0] > weak[1] > weak[2] == 7


def test_cli_demo_year_writes_that_year(capsys, tmp_path, rubric, years):
    out = tmp_path / "2023.xlsx"
    assert main(["demo", "--year", "2023", "--out", str(out)]) == 0
    assert "2023年度" in capsys.readouterr().out
    written = read_workbook(out, rubric)
    for name in SHEET_NAMES:
        pd.testing.assert_frame_equal(
            getattr(written, name).reset_index(drop=True),
            getattr(years[2023], name).reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )


def test_cli_demo_year_defaults_to_a_file_per_year_in_the_data_directory(capsys, tmp_path, monkeypatch):
    # Given a data directory that does not exist yet, and another working directory
    monkeypatch.setenv("ASSESSMENT_DATA_DIR", str(tmp_path / "data"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # When the demo of 2024 is written without --out
    assert main(["demo", "--year", "2024"]) == 0
    # Then it lands in the data directory's demo/, under that year's name
    assert (tmp_path / "data" / "demo" / "demo_street_2024.xlsx").is_file()
    assert not (tmp_path / "data" / "demo" / "demo_street.xlsx").exists()
    assert str(tmp_path / "data" / "demo" / "demo_street_2024.xlsx") in capsys.readouterr().out
    assert list(elsewhere.iterdir()) == []


def test_the_demo_roster_carries_talks_and_dues_across_the_years(rubric, years):
    from assessment.analysis.self_assessment import branch_with_roster
    from assessment.scoring.members import check_members

    # The same members every year, as many as the branch sheet says, with its committee
    for inputs in years.values():
        assert inputs.roster[["branch_id", "name"]].equals(years[2025].roster[["branch_id", "name"]])
        assert inputs.roster["talks"].notna().all()
    branch = years[2025].branches.iloc[[0]].reset_index(drop=True)
    counted, _ = branch_with_roster(branch, years[2025].roster, rubric)
    assert counted[["full_members", "probationary_members", "committee_size"]].equals(
        branch[["full_members", "probationary_members", "committee_size"]]
    )
    # 谈心谈话 is checked member by member: the members without a talk are named
    results = score(rubric, years[2025], year=2025)
    talks = results.activities[results.activities["rule_id"] == "heart_talk"]
    failed = talks[(talks["met"] == False).fillna(False).to_numpy(dtype=bool)]
    assert len(failed) > 0 and failed["missing_periods"].str.startswith("全年未谈话：").all()
    # A member unpaid from September to February: seen only with last year's roster
    alone = check_members(rubric, years[2025].roster)
    across = check_members(rubric, years[2025].roster, years[2024].roster)
    new = across.members["lapse"] & ~alone.members["lapse"]
    assert new.sum() == 1
    assert across.members.loc[new, "lapse_months"].tolist() == ["上年9月至本年2月"]
