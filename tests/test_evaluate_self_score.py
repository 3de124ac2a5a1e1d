"""The branch's submitted self-assessment (自评) beside each field of the 考评 page, and the gap
考核分 − 自查分 once the evaluator has entered a value (DOMAIN.md: real 评分细则 list 自查分 beside 考核分).

A real store (SQLite, and PostgreSQL when ASSESSMENT_TEST_POSTGRES_URL is set) holds the sample street;
a branch self-assesses through its access-code session, as the self-assessment page does; the evaluator
app is driven through its widgets. Expected points are worked out here from the rubric's numbers in exact
arithmetic, not by calling the scoring code under test.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from factories import legacy_texts, master_data, staff_session, walk

from assessment.inputs.payload import blank_payload
from assessment.pages.evaluate.app import EvaluateApp
from assessment.pages.evaluate.self_scores import NO_SELF_ASSESSMENT
from assessment.pages.evaluate.views import local_time
from assessment.rubric import Rubric, format_fraction
from assessment.store import Database, SelfAssessment, Store

pytest_plugins = ["store_support"]

YEAR = 2025
EVALUATOR = "周考评"


def item_of(rubric: Rubric, kind: str):
    return next(item for item in rubric.items if item.kind == kind)


def base_items(rubric: Rubric) -> list:
    """The items a total counts as 未填 when blank (a blank 加分项 adds nothing and is not missing)."""
    return [item for item in rubric.items if not getattr(item, "bonus", False)]


def points_for(item, value) -> Fraction:
    """What an entered value is worth on an item, by the rubric's own numbers (the test's oracle)."""
    top = item.max
    if item.kind == "points":
        return Fraction(str(value))
    if item.kind == "level":
        return next(level.points for level in item.levels if level.label == value)
    if item.kind == "count_shortfall":
        return max(Fraction(0), top - item.per * max(item.target - Fraction(str(value)), 0))
    if item.kind == "deduction":
        return max(Fraction(0), top - item.per * Fraction(str(value)))
    if item.kind == "rate_steps":
        steps = max(item.target - Fraction(str(value)), 0) / item.step
        steps = {"floor": math.floor, "ceil": math.ceil, "prorate": lambda s: s}[item.partial](steps)
        return max(Fraction(0), top - item.per * steps)
    raise AssertionError(item.kind)


def path(item) -> str:
    return f"org.items.{item.id}.value"


@pytest.fixture
def street(store, sample_inputs, default_rubric):
    """The sample street's branches and activity log, with no evaluation yet."""
    master = master_data(sample_inputs)
    store.records.import_inputs(
        master, year=YEAR, evaluator="数据管理员", rubric_version=default_rubric.version, source="样例"
    )
    return store


class Kinds:
    """One indicator of each kind the test uses, and the values the branch gave itself."""

    def __init__(self, rubric: Rubric):
        self.points = item_of(rubric, "points")
        self.level = item_of(rubric, "level")
        self.count = item_of(rubric, "count_shortfall")
        self.deduction = item_of(rubric, "deduction")
        self.blank = next(i for i in rubric.items if i.kind == "points" and i.id != self.points.id)
        best = max(self.level.levels, key=lambda lv: lv.points)
        worst = min(self.level.levels, key=lambda lv: lv.points)
        self.best, self.worst = best.label, worst.label
        self.own = {
            self.points: format_fraction(self.points.max - Fraction(1, 2)),  # e.g. 4.5 of 5
            self.level: best.label,
            self.count: format_fraction(self.count.target - 2),  # two short of the target
            self.deduction: "1",  # one thing missing
        }


def self_payload(rubric: Rubric, values: dict, **others) -> dict:
    payload = blank_payload(rubric)
    for item, value in values.items():
        payload["org"]["items"][item.id]["value"] = value
    for key, value in others.items():
        channel, _, field = key.partition("__")
        if channel == "grade":
            payload["org"]["annual_review_grade"] = value
        else:
            payload[channel][field] = value
    return payload


def submit_self(store: Store, branch_id: str, payload: dict, year: int = YEAR):
    """The branch applies for acceptance from its own page: the self-assessment is submitted."""
    session = store.access.open_session(store.access.issue(branch_id, year, by="管理员").code)
    session.apply(payload)
    return session


def opened(store: Store, rubric: Rubric, branch_id: str = "B01", year: int = YEAR) -> EvaluateApp:
    app = EvaluateApp(store, rubric, session=staff_session(store, EVALUATOR))
    app.open_branch(branch_id, year)
    return app


def line(app: EvaluateApp, field: str) -> str:
    return app.self_scores.texts[field]


def test_the_submitted_self_scores_stand_beside_each_field_in_the_items_own_unit(street, default_rubric):
    rubric = default_rubric
    k = Kinds(rubric)
    submit_self(street, "B01", self_payload(rubric, k.own))
    app = opened(street, rubric)

    pts = {item: format_fraction(points_for(item, value)) for item, value in k.own.items()}
    # Then each field shows what the branch gave itself, as points in the item's own unit
    assert line(app, path(k.points)) == f"自评：{k.own[k.points]} 分"
    assert line(app, path(k.level)) == f"自评：{k.best}（{pts[k.level]} 分）"
    assert line(app, path(k.count)) == f"自评：{k.own[k.count]} 次（{pts[k.count]} 分）"
    assert line(app, path(k.deduction)) == f"自评：缺 1 件（{pts[k.deduction]} 分）"
    assert pts[k.count] == format_fraction(k.count.max - 2 * k.count.per)  # a shortfall shows points, not 次
    # and an item the branch left blank says so
    assert line(app, path(k.blank)) == "自评：未填"
    # and the line sits in the field's own row, beside the input
    row = next(
        w
        for w in walk(app.form.box)
        if app.inputs[path(k.points)] in getattr(w, "children", ()) and len(w.children) > 1
    )
    assert app.form.beside[path(k.points)] in row.children
    assert f"自评：{k.own[k.points]} 分" in app.form.beside[path(k.points)].value
    # No value entered yet: no gap
    assert "差" not in line(app, path(k.points)) and "一致" not in line(app, path(k.points))

    # And the summary over the form names when the branch submitted and its total
    stored = street.self_assessments.current("B01", YEAR)
    total = format_fraction(sum(points_for(item, value) for item, value in k.own.items()))
    unfilled = len(base_items(rubric)) - len(k.own)
    assert app.self_scores.summary_text == (
        f"支部已于 {local_time(stored.updated_at)} 提交自评（自查总分 {total}，{unfilled} 项未填）"
    )
    assert app.self_scores.summary in app.form_column.children
    assert app.form_column.children.index(app.self_scores.summary) < app.form_column.children.index(app.form.box)


def test_typing_a_value_shows_the_gap_in_points_of_that_indicator(street, default_rubric):
    rubric = default_rubric
    k = Kinds(rubric)
    submit_self(street, "B01", self_payload(rubric, k.own))
    app = opened(street, rubric)

    # When the evaluator gives 1.5 points less than the branch did on a points item
    typed = format_fraction(k.points.max - 2)
    app.inputs[path(k.points)].value = typed
    # Then the gap is 考核分 − 自查分, in that item's points, and highlighted
    assert line(app, path(k.points)) == f"自评：{k.own[k.points]} 分 · 考核分 {typed} 分 · 差 −1.5 分"
    assert 'class="siping-gap diff"' in app.form.beside[path(k.points)].value

    # When the evaluator picks the worst level where the branch chose the best
    app.inputs[path(k.level)].value = k.worst
    gap = points_for(k.level, k.worst) - points_for(k.level, k.best)
    assert line(app, path(k.level)).endswith(f"差 −{format_fraction(-gap)} 分")

    # When the evaluator counts the full target where the branch counted two short: a gain in points, not 次
    app.inputs[path(k.count)].value = format_fraction(k.count.target)
    gain = points_for(k.count, k.count.target) - points_for(k.count, k.own[k.count])
    assert gain > 0
    assert line(app, path(k.count)).endswith(f"差 +{format_fraction(gain)} 分")

    # When the evaluator agrees on the deduction item: no gap, not highlighted
    app.inputs[path(k.deduction)].value = "1"
    assert line(app, path(k.deduction)).endswith("与自评一致")
    assert 'class="siping-gap same"' in app.form.beside[path(k.deduction)].value

    # And the summary counts the indicators where the two differ
    assert set(app.self_scores.differing) == {k.points.id, k.level.id, k.count.id}
    assert app.self_scores.summary_text.endswith("；两者都有分的 4 项中，考核分与自查分不同 3 项")

    # When the evaluator corrects the points item to the branch's value, it no longer counts
    app.inputs[path(k.points)].value = k.own[k.points]
    assert line(app, path(k.points)).endswith("与自评一致")
    assert app.self_scores.summary_text.endswith("；两者都有分的 4 项中，考核分与自查分不同 2 项")
    # And a wrong value shows no gap at all (nothing is scored from it)
    app.inputs[path(k.points)].value = "十二"
    assert line(app, path(k.points)) == f"自评：{k.own[k.points]} 分"


def test_the_gap_is_exact(street, default_rubric):
    rubric = default_rubric
    k = Kinds(rubric)
    submit_self(street, "B01", self_payload(rubric, {k.points: "0.3"}))
    app = opened(street, rubric)
    # 0.1 + 0.2 is not 0.3 in floats: the page compares exactly
    app.inputs[path(k.points)].value = "0.30"
    assert line(app, path(k.points)) == "自评：0.3 分 · 与自评一致"
    app.inputs[path(k.points)].value = "0.2"
    assert line(app, path(k.points)) == "自评：0.3 分 · 考核分 0.2 分 · 差 −0.1 分"
    # Points are compared as scoring compares scores, at the rubric's decimals: a float's last bit is no gap
    app.inputs[path(k.points)].value = "0.30000000000000004"
    assert line(app, path(k.points)) == "自评：0.3 分 · 与自评一致"
    app.inputs[path(k.points)].value = "0.31"
    assert line(app, path(k.points)) == "自评：0.3 分 · 考核分 0.31 分 · 差 +0.01 分"


def test_the_review_grade_and_tallies_the_branch_gave_are_shown_too(street, default_rubric):
    rubric = default_rubric
    k = Kinds(rubric)
    grades = rubric.channels.annual_review_grades.levels
    payload = self_payload(
        rubric, k.own, grade=grades[0], member__participants="20", member__excellent="18", member__qualified="2"
    )
    submit_self(street, "B01", payload)
    app = opened(street, rubric)
    assert line(app, "org.annual_review_grade") == f"自评：{grades[0]}"
    assert line(app, "member.excellent") == "自评：18 人"
    assert line(app, "member.basic") == "自评：未填"
    assert line(app, "public.satisfied") == ""  # the branch does not judge its own public: nothing shown

    app.inputs["member.excellent"].value = "16"
    assert line(app, "member.excellent") == "自评：18 人 · 差 −2 人"
    app.inputs["org.annual_review_grade"].value = grades[1]
    assert line(app, "org.annual_review_grade") == f"自评：{grades[0]} · 与自评不同"
    app.inputs["org.annual_review_grade"].value = grades[0]
    assert line(app, "org.annual_review_grade") == f"自评：{grades[0]} · 与自评一致"


def test_changing_a_value_does_not_read_the_database(street, default_rubric, monkeypatch):
    rubric = default_rubric
    k = Kinds(rubric)
    submit_self(street, "B01", self_payload(rubric, k.own))
    app = opened(street, rubric)
    reads = []
    original = Database.read

    def counting(self, work):
        reads.append(work)
        return original(self, work)

    monkeypatch.setattr(Database, "read", counting)
    sent = []
    for field, box in app.form.beside.items():
        box.observe(lambda change, field=field: sent.append(field), names="value")
    app.inputs[path(k.points)].value = "1"
    app.inputs[path(k.level)].value = k.worst
    assert "差" in line(app, path(k.points)) and "差" in line(app, path(k.level))
    assert reads == []  # the draft is written, nothing is read
    # and only the lines that changed went to the browser
    assert sent == [path(k.points), path(k.level)]
    app.open_branch("B02", YEAR)
    assert reads  # (the counter works: opening a branch does read)


def test_another_branch_or_year_without_a_self_assessment_shows_nothing_stale(street, default_rubric):
    rubric = default_rubric
    k = Kinds(rubric)
    submit_self(street, "B01", self_payload(rubric, k.own))
    app = opened(street, rubric)
    app.inputs[path(k.points)].value = "1"
    assert "差" in line(app, path(k.points))

    # When the evaluator opens a branch that has not self-assessed
    app.branch_picker.value = "B02"
    app.open_button.click()
    assert app.state.branch_id == "B02"
    # Then the summary says so, quietly, and no field carries the other branch's values
    assert app.self_scores.summary_text == NO_SELF_ASSESSMENT == "该支部本年度未提交自评"
    assert 'class="siping-self-summary none"' in app.self_scores.summary.value
    assert all(text == "" for text in app.self_scores.texts.values())
    assert all(box.value == "" for box in app.form.beside.values())
    app.inputs[path(k.points)].value = "2"
    assert all(box.value == "" for box in app.form.beside.values())

    # When the evaluator goes back to the first branch, its self-scores are there again
    app.open_branch("B01", YEAR)
    assert line(app, path(k.points)).startswith(f"自评：{k.own[k.points]} 分")

    # When another year of the same branch is opened (the branch self-assessed only for YEAR)
    app.open_branch("B01", YEAR - 1)
    assert app.self_scores.summary_text == NO_SELF_ASSESSMENT
    assert all(text == "" for text in app.self_scores.texts.values())
    # and a year the branch self-assessed differently shows that year's values
    submit_self(street, "B01", self_payload(rubric, {k.points: "2"}), year=YEAR - 2)
    app.open_branch("B01", YEAR - 2)
    assert line(app, path(k.points)) == "自评：2 分"
    assert line(app, path(k.level)) == "自评：未填"


def test_a_draft_self_assessment_is_never_shown(street, default_rubric):
    rubric = default_rubric
    k = Kinds(rubric)
    session = street.access.open_session(street.access.issue("B01", YEAR, by="管理员").code)
    session.save_draft(self_payload(rubric, k.own))
    assert street.self_assessments.current("B01", YEAR, draft=True) is not None

    app = opened(street, rubric)
    assert app.self_scores.summary_text == NO_SELF_ASSESSMENT
    assert all(text == "" for text in app.self_scores.texts.values())

    # When the branch submits, is sent back (退回自评: read-only until then) and edits a new draft, the
    # evaluator sees the submitted values
    session.apply(self_payload(rubric, k.own))
    street.workflow.move("B01", YEAR, "自评中", role="街道", actor="周考评", reason="材料不全")
    session.save_draft(self_payload(rubric, {k.points: "0"}))
    app = opened(street, rubric)
    assert line(app, path(k.points)) == f"自评：{k.own[k.points]} 分"
    assert app.self_scores.summary_text.startswith("支部已于 ")


def test_a_self_assessment_made_under_another_rubric_version_is_shown_escaped(street, default_rubric):
    """A value the current rubric cannot score (the branch filled it under an older version) is shown as
    typed — escaped — and scores nothing; the summary names the version it was made with."""
    import datetime as dt

    rubric = default_rubric
    k = Kinds(rubric)
    app = opened(street, rubric)
    app.inputs[path(k.deduction)].value = "0"  # typed before the self-assessment arrives
    payload = self_payload(rubric, {k.points: "<script>alert(1)</script>", k.deduction: "0"})
    older = SelfAssessment("B01", YEAR, "submitted", payload, "2024-<旧版>", dt.datetime(2025, 3, 1, 2, 0), "支部")
    app.update(self_assessment=older)
    box = app.form.beside[path(k.points)].value
    assert "<script" not in box and "&lt;script&gt;alert(1)&lt;/script&gt;" in box
    assert line(app, path(k.points)) == "自评：“<script>alert(1)</script>”（无法计分）"
    # the evaluator's value already entered is compared at once
    assert line(app, path(k.deduction)) == f"自评：缺 0 件（{format_fraction(k.deduction.max)} 分） · 与自评一致"
    summary = app.self_scores.summary.value
    assert "按评分标准版本 2024-&lt;旧版&gt; 填写" in summary and "<旧版>" not in summary
    unfilled = len(base_items(rubric)) - 1
    assert app.self_scores.summary_text == (
        f"支部已于 2025-03-01 10:00 提交自评（自查总分 {format_fraction(k.deduction.max)}，{unfilled} 项未填，"
        "按评分标准版本 2024-<旧版> 填写）；两者都有分的 1 项中，考核分与自查分不同 0 项"
    )


def full_marks(item) -> str:
    """What a branch enters to earn an item's top points."""
    if item.kind == "points":
        return format_fraction(item.max)
    if item.kind == "level":
        return max(item.levels, key=lambda level: level.points).label
    if item.kind in ("count_shortfall", "rate_steps"):
        return format_fraction(item.target)
    if item.kind == "deduction":
        return "0"
    raise AssertionError(item.kind)


def weighted_total(rubric: Rubric, values: dict) -> Fraction:
    """组织评定 by 001's rule, exactly: Σ weight × points/max × 100 over the base items, a blank item 0."""
    return sum(
        (Fraction(item.weight) * points_for(item, values[item]) / item.max * 100 for item in values),
        Fraction(0),
    )


def test_the_self_total_is_weighted_as_scoring_weighs_the_org_score(default_rubric):
    import datetime as dt

    from assessment.pages.evaluate.self_scores import self_side
    from assessment.rubric import load_rubric_texts
    from assessment.rubric.settings import Change, apply_changes

    # Given a rubric whose first two items weigh otherwise than max/100 (the legacy form: in points the
    # weight follows from the points)
    texts = legacy_texts()
    first, second = default_rubric.items[0], default_rubric.items[1]
    moved = Fraction(1, 100)
    rubric = load_rubric_texts(
        apply_changes(
            texts,
            [
                Change("checklist.yaml", ("items", 0, "weight"), Fraction(first.weight) + moved),
                Change("checklist.yaml", ("items", 1, "weight"), Fraction(second.weight) - moved),
            ],
        )
    )
    first = rubric.items[0]
    assert first.kind == "points" and not rubric.bonus_items

    def submitted(values: dict):
        payload = self_payload(rubric, values)
        stored = SelfAssessment("B01", YEAR, "submitted", payload, rubric.version, dt.datetime(2025, 3, 1), "支部")
        return self_side(rubric, "B01", stored)

    # and a self-assessment with every item at full marks but the first at half
    values = {item: full_marks(item) for item in base_items(rubric)}
    values[first] = format_fraction(Fraction(first.max) / 2)
    side = submitted(values)
    # Then 自查总分 is the 组织评定 of those points, worked out here from the rubric's numbers
    expected = weighted_total(rubric, values)
    assert expected == 100 - (Fraction(first.weight) * 100) / 2  # only the first item's half is lost
    assert side.unfilled == 0 and side.bonus == 0
    assert side.total == round(expected, rubric.meta.decimals)
    # and not the plain sum of the points
    assert side.total != sum(points_for(item, value) for item, value in values.items())

    # When the branch fills only the items scored in points, the blank ones count 0 and are 未填
    points_only = {item: value for item, value in values.items() if item.kind == "points"}
    side = submitted(points_only)
    assert side.unfilled == len(base_items(rubric)) - len(points_only) > 0
    assert side.total == round(weighted_total(rubric, points_only), rubric.meta.decimals)


def test_an_item_that_does_not_apply_to_the_branch_is_not_unfilled_and_the_total_adjusts(default_rubric):
    import datetime as dt

    from assessment.pages.evaluate.self_scores import self_side

    # Given a self-assessment at full marks but s1 at 0, t5 (for 村/社区 only, 001) left blank
    rubric = default_rubric
    s1 = rubric.item("s1")
    values = {item: full_marks(item) for item in base_items(rubric) if item.id != "t5"}
    values[s1] = "0"
    stored = SelfAssessment(
        "B01", YEAR, "submitted", self_payload(rubric, values), rubric.version, dt.datetime(2025, 3, 1), "支部"
    )
    # When the branch is an office branch, t5 is 不适用: not unfilled, and the others weigh the whole
    office = self_side(rubric, "B01", stored, "机关")
    assert office.unfilled == 0 and office.values["org.items.t5.value"].text == "不适用"
    weight = Fraction(s1.weight)
    assert office.total == round(100 - weight * 100 / (1 - Fraction(rubric.item("t5").weight)), rubric.meta.decimals)
    # When it is a village, t5 is unfilled and counts 0
    village = self_side(rubric, "B01", stored, "村")
    assert village.unfilled == 1
    assert village.total == 100 - (weight + Fraction(rubric.item("t5").weight)) * 100
