"""The 权重分析 app driven in Python, without a browser: move controls, then read what it shows."""

from __future__ import annotations

import copy
import html
import logging
import re
from fractions import Fraction

import ipywidgets as widgets
import pytest

from assessment.demo.street import generate_demo
from assessment.pages.identity import NOT_SIGNED_IN, SESSION_ENV, SIGNED_OUT, Session
from assessment.pages.weights import app as weights_module
from assessment.pages.weights.app import MAY_NOT_SAVE, NO_STORE, REBALANCE_RULE, WeightsApp
from assessment.pages.weights.views import CHANGED_ROW
from assessment.rubric import load_rubric_texts, read_rubric_texts
from assessment.rubric.settings import Change, prepare_version
from assessment.scoring import score
from assessment.store import Store
from tests.factories import add_staff, legacy_texts, staff_session

pytest_plugins = ["store_support"]  # fixtures: database_url

F = Fraction
YEAR = 2025
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def texts():
    return read_rubric_texts()[0]


@pytest.fixture(scope="module")
def rubric(texts):
    return load_rubric_texts(texts)


@pytest.fixture(scope="module")
def demo(rubric):
    return generate_demo(rubric)


@pytest.fixture
def app(texts, demo):
    return WeightsApp(texts, demo, YEAR)


@pytest.fixture
def log_records():
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("assessment.pages")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


def channel_weights(app) -> dict[str, Fraction]:
    return {k: v for k, v in app.state.values.items() if k.startswith("channels.")}


def highlighted_rows(app) -> list[str]:
    return re.findall(r'<tr class="siping-changed"[^>]*data-branch="([^"]+)"', app.ranking.value)


def test_page_opens_with_the_current_rubric_and_no_changes(app, rubric):
    assert app.ready and app.error.value == ""
    assert "评分标准权重与阈值分析" in app.title.value
    assert f"当前评分标准版本 {rubric.version}" in app.title.value
    assert "所有支部的排名和结果都没有变化" in app.summary.value
    assert highlighted_rows(app) == []
    assert REBALANCE_RULE in html.unescape(app.controls_box.children[1].value)
    assert bytes(app.chart.value).startswith(PNG_SIGNATURE)
    # every branch is in the ranking table
    for branch in app.before.branches.index:
        assert f'data-branch="{branch}"' in app.ranking.value


def test_moving_a_weight_rebalances_the_others_and_rescores(app, rubric, demo):
    ranking_before = app.ranking.value
    chart_before = bytes(app.chart.value)

    # When the analyst moves 组织评定 to 0.6
    app.controls["channels.org"].value = 0.6

    # Then the other weights shrink in proportion and the group still sums to exactly 1
    weights = channel_weights(app)
    assert weights["channels.org"] == F(6, 10)
    assert sum(weights.values()) == 1
    assert weights["channels.member"] == weights["channels.public"] + F(1, 100) == F(14, 100)
    assert app.controls["channels.member"].value == pytest.approx(0.14)
    assert "合计 <b>1</b>" in app.sums["channels"].value

    # And the ranking follows Σ channel weight × channel score with the new weights, worked out here from
    # the channel scores (which these weights do not change), not by the page's re-scoring
    channels = score(rubric, demo, year=YEAR).branches
    composite = sum(float(weights[f"channels.{c}"]) * channels[c] for c in ("org", "member", "public", "social"))
    assert app.ranking.value != ranking_before
    assert bytes(app.chart.value) != chart_before
    assert app.ranked_ids()[:5] == list(composite.sort_values(ascending=False).index[:5])
    # and on the demo street these branches change grade, 达标, stars or 最强资格 (highlighted), 44 move
    # (before t5 became 村/社区 only, 46 moved and JD052 was highlighted: t5 no longer applies to the
    # 机关/企业/学校 branches, which moved their 组织评定 and so the ranking)
    assert sorted(highlighted_rows(app)) == [
        *("JD002", "JD003", "JD005", "JD007", "JD008", "JD010", "JD011", "JD014", "JD017", "JD018", "JD019"),
        *("JD022", "JD030", "JD035", "JD039", "JD040", "JD044", "JD045", "JD050", "JD053", "JD054"),
        *("JD057", "JD058", "JD059"),
    ]
    assert CHANGED_ROW["style"] in app.ranking.value
    assert "44个支部排名变化" in app.summary.value


def test_a_locked_weight_stays_and_equalize_shares_the_rest(app):
    app.locks["channels.social"].value = True
    assert app.state.locked == {"channels.social"}
    assert app.controls["channels.social"].disabled

    app.controls["channels.org"].value = 0.5
    weights = channel_weights(app)
    assert weights["channels.social"] == F(2, 10)
    assert weights["channels.org"] == F(1, 2)
    assert sum(weights.values()) == 1

    app.equalize_buttons["channels"].click()
    weights = channel_weights(app)
    assert weights == {
        "channels.org": F(27, 100),
        "channels.member": F(27, 100),
        "channels.public": F(26, 100),
        "channels.social": F(2, 10),
    }
    assert "锁定1项" in app.sums["channels"].value


def item_values(app) -> dict[str, Fraction]:
    return {k: v for k, v in app.state.values.items() if k.startswith("items.")}


def test_moving_an_item_points_keeps_the_total_and_moves_its_area_subtotal(app, demo):
    # The shipped rubric is in points: each 细则's 分值 is its control, the group adds up to 100 points
    shown_text = html.unescape("".join(str(getattr(w, "value", "")) for w in app.controls_box.children))
    assert "组织评定细则分值" in shown_text and "合计始终为总分 100 分" in shown_text
    assert app.controls["items.y1"].max == 100 and app.controls["items.y1"].value == 10
    # When the analyst gives 三会一课 (y1) 30 points
    app.controls["items.y1"].value = 30
    items = item_values(app)
    # Then the others give up 20 points in proportion, on whole points, none below 1, total still 100
    assert items["items.y1"] == 30
    assert sum(items.values()) == 100
    assert all(v >= 1 and v.denominator == 1 for v in items.values())
    assert "合计 <b>100分</b>" in app.sums["items"].value
    # and each area's subtotal follows its items: in the accordion and in the rubric that is scored
    shown = app.shown.rubric.checklist
    for node in shown.area_tree():
        own = [k for k in items if app.settings[k].section == node.area.label]
        assert node.points == sum(items[k] for k in own)
    system = sum(items[f"items.{i}"] for i in ("y1", "y2", "y3", "y4", "y5", "y6", "y7"))
    assert system > 35 and shown.area_points("system") == system
    assert f"落实基本制度（7项，小计 {system}分）" in app.item_accordion.titles
    # the branches are scored again under the new 满分 (the inputs did not change)
    assert app.error.value == ""
    expected = score(app.shown.rubric, demo, year=YEAR).branches["composite"]
    assert app.shown.results.branches["composite"].equals(expected)
    # and the draft saves as a version that loads, every level adding up
    draft = prepare_version(app.texts, app.changes(), author="王分析", note="三会一课加重")
    new = load_rubric_texts(draft.texts)
    assert new.checklist.area_points("system") == system
    assert any(line.text == "指标 y1 三会一课 分值 10分 → 30分" for line in draft.changes)
    assert any(line.text == f"创建内容 · system 落实基本制度 · 分值 35 → {system}" for line in draft.changes)


def test_a_level_items_levels_follow_its_points(app):
    app.locks["items.y1"].value = True
    app.controls["items.t2"].value = 6  # 书记年度培训: 已参加 3 / 未参加 0
    t2 = next(i for i in app.shown.rubric.items if i.id == "t2")
    assert t2.points == 6 and [(lv.label, lv.points) for lv in t2.levels] == [("已参加", 6), ("未参加", 0)]
    assert item_values(app)["items.y1"] == 10


def test_equalize_shares_the_points_left_by_the_locked_items(app):
    app.locks["items.y1"].value = True
    app.equalize_buttons["items"].click()
    items = item_values(app)
    assert items["items.y1"] == 10 and sum(items.values()) == 100
    others = [v for k, v in items.items() if k != "items.y1"]
    assert max(others) - min(others) == 1 and all(v.denominator == 1 for v in others)


def test_a_legacy_version_keeps_its_weight_controls(demo):
    app = WeightsApp(legacy_texts(), demo, YEAR)
    app.controls["items.y1"].value = 0.3
    items = item_values(app)
    assert items["items.y1"] == F(3, 10)
    assert sum(items.values()) == 1
    assert all(v >= 0 for v in items.values())
    titles = app.item_accordion.titles
    assert any("落实基本制度" in t and "小计" in t for t in titles)
    assert "合计 <b>1</b>" in app.sums["items"].value


def test_lowering_the_standardized_line_changes_the_totals(app):
    before = app.shown.totals[0].after
    app.controls["standardized.0.threshold"].value = 70
    totals = {t.key: t for t in app.shown.totals}
    assert totals["standardized"].after > before
    assert "当前版本（2026.2）" in app.totals.value
    assert "2025年目标 90%以上" in app.totals.value and "<td class=nw>90%以上</td>" in app.totals.value
    # the condition's label follows its number, so reasons stay true
    assert app.shown.rubric.eligibility.standardized.conditions[0].label == "综合得分70分以上"
    assert "变为达标" in app.summary.value


def test_share_settings_are_shown_in_percent(app):
    control = app.controls["five_strong.threshold"]
    assert control.value == pytest.approx(85)
    control.value = 80
    assert app.state.values["five_strong.threshold"] == F(4, 5)


def test_band_edges_keep_their_neighbours_apart(app):
    edge = app.controls["grades.edge.2"]  # 良好 / 优秀
    edge.value = 85
    assert app.state.values["grades.edge.2"] == 85
    lower = app.controls["grades.edge.1"]  # 一般 / 良好: may now go up to just below 85
    assert lower.max == pytest.approx(84.99)
    assert app.error.value == ""


def test_an_unusable_draft_shows_a_message_and_keeps_the_last_results(app):
    shown = app.shown
    values = dict(app.state.values)
    values["grades.edge.1"] = F(95)  # past the edge above it
    app.state.update(values=values)
    assert "这组设置不能使用" in app.error.value
    assert app.shown is shown


def test_reset_restores_the_current_version(app):
    app.controls["channels.org"].value = 0.7
    app.locks["channels.member"].value = True
    app.reset_button.click()
    assert app.changes() == []
    assert app.state.locked == set()
    assert app.controls["channels.org"].value == pytest.approx(0.4)
    assert "所有支部的排名和结果都没有变化" in app.summary.value


def test_sensitivity_runs_with_a_progress_bar_and_names_the_branches(app):
    app.spread.value = 0.5
    app.n_runs.value = 120
    app.seed.value = 3
    app.run_button.click()
    assert app.progress.value == app.progress.max == 120
    out = app.sensitivity_out.value
    assert "共模拟120次（随机种子3）" in out
    table = app.last_sensitivity
    hanging = table[table["hangs"]]
    assert len(hanging) > 0
    assert f"{len(hanging)}个支部的结果取决于权重" in out
    for branch in hanging.index:
        assert f"<b>{branch} " in out
    # a later change marks the result as stale
    app.controls["channels.org"].value = 0.5
    assert "请重新运行" in app.sensitivity_note.value


def test_without_a_database_the_page_previews_the_new_version_but_cannot_save_it(app):
    app.controls["channels.org"].value = 0.5
    app.save_button.click()
    assert "请填写修改说明" in app.save_messages.value
    app.note.value = "提高组织评定的权重"
    app.save_button.click()
    assert html.escape(NO_STORE) in app.save_messages.value
    assert "新版本 <b>2026.3</b>（基于 2026.2）" in app.diff.value
    # the change list speaks the rubric's words, not the YAML's paths
    assert "<b>组织评定 权重</b>" in app.diff.value and "40% → 50%" in app.diff.value
    assert "channels[" not in app.diff.value and "weight" not in app.diff.value
    assert app.draft is not None and load_rubric_texts(app.draft.texts).version == "2026.3"
    assert app.confirm_button.layout.display == "none"


@pytest.fixture
def db(database_url):
    with Store(database_url) as store:
        store.rubrics.current()  # a database in use: the built-in version stored and current
        yield store


def shown_widgets(box) -> list:
    """Every widget on the page (the box and all its descendants)."""
    found = [box]
    for child in getattr(box, "children", ()):
        found += shown_widgets(child)
    return found


def weights_page(db, demo, name: str = "王分析", role: str = "分析", street: str | None = None) -> WeightsApp:
    """The page as the server opens it for a signed-in staff account."""
    session = staff_session(db, name, role, street)
    return WeightsApp(db.rubrics.texts(db.rubrics.current().version), demo, YEAR, store=db, session=session)


@pytest.fixture
def stored_app(db, demo):
    return weights_page(db, demo)


def test_save_shows_the_diff_first_then_stores_the_new_current_version(stored_app, db):
    app = stored_app
    # Given a changed weight and a note, on the page of 王分析 (an 分析 account): the author is who signed in
    assert "修改人：<b>王分析（分析）</b>" in app.author.value and app.author in shown_widgets(app)
    app.controls["channels.org"].value = 0.5
    app.note.value = "提高组织评定的权重"
    # When 保存为新版本 is clicked, Then the diff against the current version is shown and nothing is stored yet
    app.save_button.click()
    assert "新版本 <b>2026.3</b>（基于 2026.2）" in app.diff.value
    assert "<b>组织评定 权重</b>" in app.diff.value and "40% → 50%" in app.diff.value
    assert "修改说明：提高组织评定的权重" in app.diff.value
    assert "确认保存" in app.save_messages.value and app.confirm_button.layout.display is None
    assert [v.version for v in db.rubrics.versions()] == ["2026.2"]
    # When 确认保存 is clicked, Then the version is stored, current, and its number shown
    app.confirm_button.click()
    assert "已保存为新版本 2026.3，并设为当前版本" in app.save_messages.value
    assert app.confirm_button.layout.display == "none"
    saved = db.rubrics.versions()[-1]
    assert (saved.version, saved.author, saved.note, saved.based_on, saved.current) == (
        "2026.3",
        "王分析",
        "提高组织评定的权重",
        "2026.2",
        True,
    )
    current = db.rubrics.current()
    assert current.channel("org").weight == F(1, 2) and sum(c.weight for c in current.channels.channels) == 1
    meta = load_rubric_texts(db.rubrics.texts("2026.3")).meta
    assert (meta.version, meta.author, meta.note, meta.based_on) == ("2026.3", "王分析", "提高组织评定的权重", "2026.2")
    # And the version it started from is kept as it was
    assert db.rubrics.texts("2026.2") == read_rubric_texts()[0]
    # And the page now stands on 2026.3: the title, the comparison and the controls
    assert "当前评分标准版本 2026.3" in app.title.value and "2026.2" not in app.title.value
    assert app.rubric.version == "2026.3" and app.changes() == []
    assert "与当前版本（2026.3）相比，所有支部的排名和结果都没有变化" in app.summary.value
    assert "当前版本（2026.3）" in app.totals.value and app.edited.value == ""
    assert app.controls["channels.org"].value == pytest.approx(0.5) and app.note.value == ""
    assert app.controls["channels.org"] in shown_widgets(app)
    # and a further move is measured against it
    app.controls["channels.org"].value = 0.6
    assert "与当前版本 2026.3 相比" in app.edited.value and "50% → 60%" in app.edited.value


def test_editing_the_note_after_the_preview_asks_for_a_new_preview(stored_app, db):
    app = stored_app
    app.controls["channels.org"].value = 0.5
    app.note.value = "初稿"
    app.save_button.click()
    assert app.confirm_button.layout.display is None
    app.note.value = "改过的说明"
    assert app.confirm_button.layout.display == "none" and app.diff.value == ""
    assert "请重新点击" in app.save_messages.value
    assert [v.version for v in db.rubrics.versions()] == ["2026.2"]


def test_a_version_saved_meanwhile_by_someone_else_is_shown_as_a_chinese_error(stored_app, db, texts):
    app = stored_app
    app.controls["channels.org"].value = 0.5
    app.note.value = "提高组织评定的权重"
    app.save_button.click()
    # Meanwhile another analyst saves 2026.3 from 2026.2 and makes it current
    other = prepare_version(
        texts,
        [
            Change("channels.yaml", ("channels", 0, "weight"), F(3, 10)),
            Change("channels.yaml", ("channels", 1, "weight"), F(3, 10)),
        ],
        author="王五",
        note="另一种调整",
    )
    db.rubrics.save(other.texts, author="王五", note="另一种调整")
    app.confirm_button.click()
    assert "当前评分标准版本已由 2026.2 变为 2026.3" in app.save_messages.value
    assert 'role="alert"' in app.save_messages.value
    assert [v.author for v in db.rubrics.versions()] == ["系统", "王五"]
    # And the page moves to 2026.3, the version now current, and says so
    assert "当前评分标准版本 2026.3" in app.title.value and "评分标准的当前版本已变为 2026.3" in app.notice.value
    assert app.controls["channels.org"].value == pytest.approx(0.3) and app.changes() == []
    # A new preview, from there, takes the next free number
    app.controls["channels.org"].value = 0.5
    app.note.value = "再提高组织评定的权重"
    app.save_button.click()
    assert "新版本 <b>2026.4</b>（基于 2026.3）" in app.diff.value and "30% → 50%" in app.diff.value


def test_save_without_changes_says_so(app):
    app.note.value = "无"
    app.save_button.click()
    assert "还没有任何调整" in app.save_messages.value


def test_user_text_is_escaped(texts, demo):
    inputs = copy.deepcopy(demo)
    evil = "<script>x</script>"
    inputs.branches.loc[inputs.branches.index[0], "name"] = evil
    app = WeightsApp(texts, inputs, YEAR)
    app.controls["channels.org"].value = 0.8
    app.spread.value = 0.5
    app.run_button.click()
    for widget in (app.ranking, app.summary, app.sensitivity_out):
        assert evil not in widget.value
    assert html.escape(evil) in app.ranking.value


def test_a_failure_during_a_change_becomes_a_message_and_a_log_line(app, monkeypatch, log_records):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(weights_module, "rescore", broken)
    app.controls["channels.org"].value = 0.55
    assert "处理刚才的调整时出错" in app.error.value
    assert "Traceback" not in app.error.value and "boom" not in app.error.value
    assert any(r.levelno >= logging.ERROR for r in log_records)


def signed_in_env(monkeypatch, url: str, name: str = "王分析", role: str = "分析", street: str | None = None) -> None:
    """The kernel's environment as the server sets it: the database, and the session of a signed-in account."""
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", url)
    with Store(url) as store:
        monkeypatch.setenv(SESSION_ENV, add_staff(store, name, role, street))


def test_a_failure_while_loading_is_caught(monkeypatch, tmp_path, log_records):
    def broken(*_args, **_kwargs):
        raise OSError("no rubric")

    signed_in_env(monkeypatch, f"sqlite:///{tmp_path / 'w.sqlite'}")
    monkeypatch.setattr("assessment.store.rubric_versions.RubricVersions.current", broken)
    app = WeightsApp.from_source()
    assert not app.ready
    assert "无法载入" in app.error.value
    assert any(r.levelno >= logging.ERROR for r in log_records)


def test_from_source_reads_the_demo_workbook(monkeypatch, tmp_path, rubric, demo):
    from assessment.outputs.input_workbook import write_input_workbook

    path = write_input_workbook(demo, rubric, tmp_path / "street.xlsx")
    monkeypatch.setenv("ASSESSMENT_DEMO_WORKBOOK", str(path))
    signed_in_env(monkeypatch, f"sqlite:///{tmp_path / 'w.sqlite'}")
    app = WeightsApp.from_source()
    assert app.ready and app.error.value == ""
    assert "已登录：<b>王分析（分析）</b>" in app.signed_in.value and app.who.name == "王分析"
    assert app.store is not None and app.store.rubrics.current().version == rubric.version
    assert "演示数据 street.xlsx" in app.title.value
    assert app.baseline.n == len(demo.branches)
    # An empty database: the page says, in Chinese, that these are demo data, and offers no year or street
    assert "数据库中还没有提交的考评结果，以下为演示数据（street.xlsx）" in app.warning.value
    assert app.submissions is None and app.pickers not in shown_widgets(app)


def test_an_unreadable_workbook_falls_back_to_the_generated_street_with_a_warning(monkeypatch, tmp_path, log_records):
    path = tmp_path / "street.xlsx"
    path.write_bytes(b"not a workbook")
    monkeypatch.setenv("ASSESSMENT_DEMO_WORKBOOK", str(path))
    signed_in_env(monkeypatch, f"sqlite:///{tmp_path / 'w.sqlite'}", "李四", "区委")
    app = WeightsApp.from_source()
    assert app.ready and app.error.value == ""
    assert "street.xlsx 无法读取" in app.warning.value and "系统生成的演示街道" in app.warning.value
    assert "数据库中还没有提交的考评结果，以下为演示数据" in app.warning.value
    assert "系统生成的演示街道" in app.title.value
    assert any(r.levelno >= logging.ERROR for r in log_records)


def test_a_five_strong_dimension_weighing_nothing_is_pointed_out(demo):
    # (a legacy version: a 细则 in points is worth at least one point)
    app = WeightsApp(legacy_texts(), demo, YEAR)
    # When every item of 政治功能强 (t1, r1) is set to 0
    app.controls["items.t1"].value = 0.0
    app.controls["items.r1"].value = 0.0
    # Then the page says why nobody can be 最强 any more
    assert "五强维度“政治功能强”的指标权重合计为 0" in app.summary.value
    assert app.shown.totals[1].after == 0


# ------------------------------------------------------------------ who may look, and who may save
def test_without_a_sign_in_the_page_shows_only_the_notice(monkeypatch, tmp_path, demo, db):
    # A kernel started without the server's session: nothing is read, nothing but the notice is shown
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", f"sqlite:///{tmp_path / 'anonymous.sqlite'}")
    monkeypatch.delenv(SESSION_ENV, raising=False)
    page = WeightsApp.from_source()
    assert not page.ready and page.who is None
    assert html.escape(NOT_SIGNED_IN) in page.error.value
    assert not hasattr(page, "baseline") and page.shown is None
    assert "个支部" not in page.title.value and "数据：" not in page.title.value
    assert all(not isinstance(w, widgets.Button) for w in shown_widgets(page))
    # And with a session that ended, or a made-up one, the same
    texts = db.rubrics.texts(db.rubrics.current().version)
    page = WeightsApp(texts, demo, YEAR, store=db, session=Session(db, "not-a-session"))
    assert not page.ready and html.escape(NOT_SIGNED_IN) in page.error.value
    assert page.ranking.value == "" and page.summary.value == ""


@pytest.mark.parametrize(("name", "role", "street"), [("张三", "街道", "东城街道"), ("李四", "区委", None)])
def test_an_account_without_the_rubric_permission_may_try_settings_but_not_save(db, demo, texts, name, role, street):
    app = weights_page(db, demo, name, role, street)
    # It looks and tries settings like anyone signed in
    assert app.ready and app.error.value == ""
    app.controls["channels.org"].value = 0.5
    assert app.shown.rubric.channel("org").weight == F(1, 2)
    # But the save section only says why it cannot save: no note, no button
    refused = html.escape(MAY_NOT_SAVE.format(role=role))
    assert f"你的账户（{role}）不能保存评分标准版本" in app.save_refused.value
    on_page = shown_widgets(app)
    assert app.save_refused in on_page
    assert app.save_button not in on_page and app.confirm_button not in on_page and app.note not in on_page
    # And a click sent anyway (the button's message from a crafted client) is refused on the server
    app.note.value = "提高组织评定的权重"
    app.save_button.click()
    assert refused in app.save_messages.value and app.draft is None
    # Even with a draft put in place, 确认保存 stores nothing
    app.draft = prepare_version(texts, app.changes(), author=name, note="绕过预览", taken={"2026.2"})
    app.confirm_button.click()
    assert refused in app.save_messages.value
    assert [v.version for v in db.rubrics.versions()] == ["2026.2"]
    assert db.rubrics.current().version == "2026.2"


def test_a_session_ended_before_confirming_saves_nothing(stored_app, db):
    app = stored_app
    app.controls["channels.org"].value = 0.5
    app.note.value = "提高组织评定的权重"
    app.save_button.click()
    assert app.confirm_button.layout.display is None
    # Meanwhile 王分析 signs out (or the account is disabled): the session is asked again at 确认保存
    db.accounts.end_session(app.session_of.token)
    app.confirm_button.click()
    assert html.escape(SIGNED_OUT) in app.save_messages.value
    assert app.confirm_button.layout.display == "none"
    assert [v.version for v in db.rubrics.versions()] == ["2026.2"]


def test_an_account_losing_the_permission_before_confirming_saves_nothing(stored_app, db, monkeypatch):
    app = stored_app
    app.controls["channels.org"].value = 0.5
    app.note.value = "提高组织评定的权重"
    app.save_button.click()
    # Meanwhile the account's role no longer may save (the session still holds)
    looks_only = app.who.role.model_copy(update={"may": ()})
    identity = app.who.__class__(app.who.name, looks_only, app.who.street)
    monkeypatch.setattr(app.session_of, "check", lambda max_age=0.0: identity)
    app.confirm_button.click()
    assert html.escape(MAY_NOT_SAVE.format(role="分析")) in app.save_messages.value
    assert [v.version for v in db.rubrics.versions()] == ["2026.2"]
