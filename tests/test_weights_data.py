"""The 权重分析 page on the database's submissions (not the demo workbook), by year and street, within the
signed-in account's reach; the demo only when nothing is submitted; the page follows the current version."""

from __future__ import annotations

import copy
import html

import pytest

from assessment.analysis import overview as ov
from assessment.demo.street import generate_demo
from assessment.inputs.payload import payload_from_inputs
from assessment.pages.identity import SESSION_ENV
from assessment.pages.weights.app import NO_OWN_SUBMISSIONS, OTHER_STREET, WeightsApp
from assessment.pages.weights.state import ALL_STREETS, DATABASE_SOURCE, DEMO_NOTICE
from assessment.rubric import load_rubric_texts, read_rubric_texts
from assessment.scoring import score
from assessment.store import Store
from tests.factories import add_staff

pytest_plugins = ["store_support"]  # fixtures: database_url

YEAR = 2025
EAST, WEST = "东城街道", "西城街道"


@pytest.fixture(scope="module")
def rubric():
    return load_rubric_texts(read_rubric_texts()[0])


@pytest.fixture(scope="module")
def demo(rubric):
    return generate_demo(rubric)


def lowered(payload: dict) -> dict:
    """JD001's form with a lower 组织评定 (a correction the demo workbook does not have)."""
    changed = copy.deepcopy(payload)
    for item in ("s1", "s2", "s3", "y1"):
        changed["org"]["items"][item]["value"] = 0.0
    return changed


@pytest.fixture
def filled(database_url, demo, rubric):
    """A database holding the demo street's 2025 as submitted, then a correction of JD001, and a 2024
    with only the 东城街道 branches submitted."""
    with Store(database_url) as store:
        store.records.import_inputs(demo, year=YEAR, evaluator="张三", rubric_version=rubric, source="demo.xlsx")
        payload = payload_from_inputs(demo, "JD001", rubric)
        store.records.submit("JD001", YEAR, "张三", lowered(payload), rubric, reason="更正：重新核对台账")
        east = demo.branches.loc[demo.branches["street"] == EAST, "branch_id"].tolist()
        for branch_id in east[:5]:
            store.records.submit(branch_id, 2024, "张三", payload_from_inputs(demo, branch_id, rubric), rubric)
        yield store


def open_page(monkeypatch, store: Store, url: str, name: str, role: str, street: str | None = None) -> WeightsApp:
    """The page as the server opens it: the database and the session of a signed-in account in the environment."""
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", url)
    monkeypatch.setenv(SESSION_ENV, add_staff(store, name, role, street))
    return WeightsApp.from_source()


def streets_shown(app: WeightsApp) -> set[str]:
    return set(app.inputs.branches["street"])


def test_the_page_scores_the_current_submissions_of_the_latest_year(monkeypatch, filled, database_url, demo, rubric):
    app = open_page(monkeypatch, filled, database_url, "王分析", "分析")
    assert app.ready and app.error.value == "" and app.warning.value == ""
    # The title names the year, the whole district, the version, the branches and the database as source
    title = html.unescape(app.title.value)
    assert f"{YEAR}年度" in title and ALL_STREETS in title and "当前评分标准版本 2026.2" in title
    assert f"{len(demo.branches)}个支部（{len(demo.branches)}个有提交的考评结果）" in title
    assert DATABASE_SOURCE in title and "演示" not in title
    # JD001 is scored from its corrected submission, as the 总览 scores it — not from the demo workbook
    shown = app.before.branches.loc["JD001", "composite"]
    overview = ov.load_street(filled, rubric).years[YEAR].branches.loc["JD001", "composite"]
    workbook = score(rubric, demo, year=YEAR).branches.loc["JD001", "composite"]
    assert shown == pytest.approx(overview) and shown < workbook - 1
    # The pickers offer the years submitted (latest first) and, for a district account, every street
    assert app.pickers in app.children
    assert list(app.year_picker.options) == [(f"{YEAR}年", YEAR), ("2024年", 2024)]
    assert [value for _label, value in app.street_picker.options] == [ALL_STREETS, EAST, WEST]


def test_a_district_account_picks_a_street_and_a_year(monkeypatch, filled, database_url, demo):
    app = open_page(monkeypatch, filled, database_url, "李区委", "区委")
    app.controls["channels.org"].value = 0.6  # a draft, kept across the choices
    # When 西城街道 is picked: only its branches, re-scored, with the draft still applied
    app.street_picker.value = WEST
    west = demo.branches.loc[demo.branches["street"] == WEST, "branch_id"]
    assert streets_shown(app) == {WEST} and app.baseline.n == len(west)
    assert set(app.shown.results.branches.index) == set(west)
    assert app.shown.rubric.channel("org").weight == pytest.approx(0.6)
    assert f"2025年度 · {WEST} · " in html.unescape(app.title.value)
    assert f'data-branch="{west.iloc[0]}"' in app.ranking.value and 'data-branch="JD001"' not in app.ranking.value
    # When 2024 is picked: that year has 东城街道 only, so the choice falls back to the whole
    app.year_picker.value = 2024
    assert [value for _label, value in app.street_picker.options] == [ALL_STREETS, EAST]
    assert app.state.street == ALL_STREETS and app.street_picker.value == ALL_STREETS
    assert f"2024年度 · {ALL_STREETS} · " in html.unescape(app.title.value)
    assert "（5个有提交的考评结果）" in app.title.value
    assert app.baseline.year == 2024


def test_a_street_account_sees_only_its_own_street(monkeypatch, filled, database_url, demo):
    app = open_page(monkeypatch, filled, database_url, "张街道", "街道", EAST)
    assert app.ready and app.error.value == ""
    east = set(demo.branches.loc[demo.branches["street"] == EAST, "branch_id"])
    # Only its street is read, offered and shown
    assert streets_shown(app) == {EAST} and set(app.inputs.branches["branch_id"]) == east
    assert [value for _label, value in app.street_picker.options] == [EAST]
    assert 'data-branch="JD002"' not in app.ranking.value  # JD002 is of 西城街道
    # Another street sent anyway (a crafted message) is refused on the server
    app.state.update(street=WEST)
    assert html.escape(OTHER_STREET.format(street=WEST)) in app.notice.value
    assert streets_shown(app) == {EAST} and app.state.street == EAST
    assert app.submissions.inputs(YEAR, WEST, app.rubric).branches.empty
    assert app.submissions.inputs(YEAR, ALL_STREETS, app.rubric).branches.empty


def test_a_street_account_without_submissions_of_its_street_gets_no_demo(monkeypatch, filled, database_url):
    app = open_page(monkeypatch, filled, database_url, "赵街道", "街道", "南城街道")
    assert not app.ready and NO_OWN_SUBMISSIONS.format(street="南城街道") in html.unescape(app.warning.value)
    assert "演示" not in app.warning.value and "个支部" not in app.title.value


def test_the_demo_is_shown_only_when_nothing_is_submitted(monkeypatch, database_url, demo, rubric):
    with Store(database_url) as store:
        # Branches and activity logs, but no evaluation submitted
        empty_forms = copy.copy(demo)
        for name in ("org", "member", "public", "social"):
            setattr(empty_forms, name, getattr(demo, name).iloc[0:0])
        store.records.import_inputs(empty_forms, year=YEAR, evaluator="张三", rubric_version=rubric, source="x")
        assert store.records.years() == [YEAR] and store.records.submitted_streets() == {}
        app = open_page(monkeypatch, store, database_url, "王分析", "分析")
        assert app.ready and app.submissions is None
        assert DEMO_NOTICE.split("（")[0] == "数据库中还没有提交的考评结果，以下为演示数据"
        assert "数据库中还没有提交的考评结果，以下为演示数据" in app.warning.value
        assert "演示数据" in app.title.value and DATABASE_SOURCE not in html.unescape(app.title.value)


def test_saving_keeps_the_year_and_street_and_shows_the_new_version(monkeypatch, filled, database_url):
    app = open_page(monkeypatch, filled, database_url, "王分析", "分析")
    app.street_picker.value = EAST
    app.controls["channels.org"].value = 0.5
    app.note.value = "提高组织评定的权重"
    app.save_button.click()
    assert "<b>组织评定 权重</b>" in app.diff.value
    app.confirm_button.click()
    assert filled.rubrics.current().version == "2026.3"
    title = html.unescape(app.title.value)
    assert "当前评分标准版本 2026.3" in title and f"{YEAR}年度 · {EAST}" in title
    assert streets_shown(app) == {EAST} and app.rubric.version == "2026.3"
    assert app.before.branches["composite"].equals(app.shown.results.branches["composite"])


def test_a_version_made_current_elsewhere_is_picked_up_on_the_next_choice(monkeypatch, filled, database_url, rubric):
    from assessment.rubric.settings import Change, prepare_version

    app = open_page(monkeypatch, filled, database_url, "王分析", "分析")
    texts = filled.rubrics.texts("2026.2")
    other = prepare_version(
        texts,
        [
            Change("channels.yaml", ("channels", 0, "weight"), "0.3"),
            Change("channels.yaml", ("channels", 1, "weight"), "0.3"),
        ],
        author="王五",
        note="另一种调整",
    )
    filled.rubrics.save(other.texts, author="王五", note="另一种调整")
    filled.rubrics.set_current("2026.2", by="王五", reason="先不用")
    filled.rubrics.set_current("2026.3", by="王五", reason="启用")
    # When the analyst picks another street, Then the page moves to 2026.3 and says so
    app.street_picker.value = WEST
    assert "当前评分标准版本 2026.3" in app.title.value and "评分标准的当前版本已变为 2026.3" in app.notice.value
    assert app.controls["channels.org"].value == pytest.approx(0.3) and streets_shown(app) == {WEST}


def test_the_store_names_the_years_and_streets_submitted(filled):
    assert filled.records.submitted_streets() == {2024: {EAST}, 2025: {EAST, WEST}}
