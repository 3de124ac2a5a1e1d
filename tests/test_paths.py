"""Where the package finds its files and writes its data (assessment/paths.py).

That an installed wheel finds them too is tests/test_installed_wheel.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assessment import paths
from assessment.rubric import RubricError, load_rubric
from assessment.store.engine import resolve_url

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_overrides(monkeypatch):
    for name in ("ASSESSMENT_DATA_DIR", "ASSESSMENT_RUBRIC_DIR", "ASSESSMENT_DEMO_WORKBOOK", "ASSESSMENT_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_in_a_checkout_the_data_directory_is_its_data_folder(no_overrides):
    assert paths.checkout_root() == REPO
    assert paths.data_dir() == REPO / "data"
    assert paths.database_path() == REPO / "data" / "siping.sqlite"


def test_assessment_data_dir_overrides_and_the_default_database_goes_there(no_overrides, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSESSMENT_DATA_DIR", str(tmp_path / "数据"))
    assert paths.data_dir() == tmp_path / "数据"
    url = resolve_url()
    assert url.get_backend_name() == "sqlite"
    assert Path(url.database) == tmp_path / "数据" / "siping.sqlite"
    assert (tmp_path / "数据").is_dir()  # made for the database file


def test_a_database_url_still_wins_over_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSESSMENT_DATA_DIR", str(tmp_path / "unused"))
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    assert Path(resolve_url().database) == tmp_path / "other.sqlite"
    assert not (tmp_path / "unused").exists()


def test_installed_without_override_the_data_goes_to_the_per_user_directory(no_overrides, monkeypatch, tmp_path):
    # Given the package is not in a source tree (as in site-packages), on Linux with XDG_DATA_HOME
    monkeypatch.setattr(paths, "checkout_root", lambda: None)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert paths.data_dir() == tmp_path / "share" / "siping"


def test_the_shipped_files_are_the_checkouts_own(no_overrides):
    assert paths.rubric_dir().resolve() == REPO / "rubrics"
    assert paths.notebooks_dir().resolve() == REPO / "notebooks"
    assert paths.shipped_demo_workbook().resolve() == REPO / "data" / "demo" / "demo_street.xlsx"
    assert paths.shipped_demo_workbook(2023).resolve() == REPO / "data" / "demo" / "demo_street_2023.xlsx"
    assert (paths.jupyter_data_dir() / "voila" / "templates" / "siping" / "index.html.j2").is_file()
    assert (paths.voila_config_dir() / "voila.json").is_file()
    # messages name rubric files as people see them in the repository
    assert paths.display_path(paths.rubric_dir() / "checklist.yaml") == "rubrics/checklist.yaml"


def test_assessment_rubric_dir_still_overrides(no_overrides, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSESSMENT_RUBRIC_DIR", str(tmp_path))
    assert paths.rubric_dir() == tmp_path
    with pytest.raises(RubricError, match="缺少评分标准文件"):
        load_rubric()
