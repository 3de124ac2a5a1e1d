"""Editing a rubric: what an analyst may change, writing it into the YAML, the diff, and weight rebalancing."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from assessment.rubric import RubricError, load_rubric_texts, read_rubric_texts
from assessment.rubric.settings import (
    DEFAULT_STEP,
    Change,
    adjustable_settings,
    apply_changes,
    apply_to_rubric,
    decimal_text,
    diff_rubrics,
    equalize,
    format_setting_value,
    next_version,
    prepare_version,
    rebalance,
    stamp_meta,
)

F = Fraction


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return read_rubric_texts()[0]


@pytest.fixture(scope="module")
def rubric(texts):
    return load_rubric_texts(texts)


@pytest.fixture(scope="module")
def by_id(rubric):
    return {s.id: s for s in adjustable_settings(rubric)}


def changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    a, b = old.splitlines(), new.splitlines()
    assert len(a) == len(b), "an edit must not add or remove lines"
    return [(x, y) for x, y in zip(a, b) if x != y]


# ------------------------------------------------------------------------------ apply_changes
def test_no_change_keeps_every_byte(texts):
    assert apply_changes(texts, []) == texts


def test_weight_change_keeps_comments_sources_and_layout(texts, by_id):
    # Given the channel weights moved as rebalance would: org 0.35, the rest absorbing
    weights = {k: s.value for k, s in by_id.items() if s.group == "channels"}
    new_weights = rebalance(weights, "channels.org", F(35, 100))
    changes = [c for k, v in new_weights.items() for c in by_id[k].changes(v)]

    # When they are written into the texts
    new = apply_changes(texts, changes)

    # Then only the weight lines of channels.yaml differ, and only in the number
    assert {f for f in texts if new[f] != texts[f]} == {"channels.yaml"}
    lines = changed_lines(texts["channels.yaml"], new["channels.yaml"])
    assert lines == [
        ("    weight: 0.4", "    weight: 0.35"),
        ("    weight: 0.2", "    weight: 0.22"),
        ("    weight: 0.2", "    weight: 0.22"),
        ("    weight: 0.2", "    weight: 0.21"),
    ]
    assert "# “四评”：组织评定、党员评议、群众评判、社会评价（001 §三(三)）。" in new["channels.yaml"]
    assert 'source: "001 §三(三)：公示、访谈、民意调查、线上评价"' in new["channels.yaml"]
    rubric = load_rubric_texts(new)
    assert [c.weight for c in rubric.channels.channels] == [F(35, 100), F(22, 100), F(22, 100), F(21, 100)]


def test_flow_mapping_edit_keeps_its_line_breaks_and_rewrites_the_label(texts, by_id):
    changes = by_id["standardized.0.threshold"].changes(F(155, 2)) + by_id["standardized.1.share"].changes(F(55, 100))
    new = apply_changes(texts, changes)
    assert changed_lines(texts["eligibility.yaml"], new["eligibility.yaml"]) == [
        (
            "    - {type: score_at_least, target: composite, threshold: 80, inclusive: true, choice: true,",
            "    - {type: score_at_least, target: composite, threshold: 77.5, inclusive: true, choice: true,",
        ),
        ("       label: 综合得分80分以上}", "       label: 综合得分77.5分以上}"),
        (
            "    - {type: key_items_at_least, share: 0.6, inclusive: true, choice: true,",
            "    - {type: key_items_at_least, share: 0.55, inclusive: true, choice: true,",
        ),
        ("       label: 每个关键项得分率60%以上}", "       label: 每个关键项得分率55%以上}"),
    ]


def test_a_fraction_that_is_not_a_decimal_is_written_quoted_and_read_back_exactly(texts, by_id):
    third = F(1, 3)
    changes = (
        by_id["channels.org"].changes(third)
        + by_id["channels.member"].changes(third)
        + by_id["channels.public"].changes(F(1, 6))
        + by_id["channels.social"].changes(F(1, 6))
    )
    new = apply_changes(texts, changes)
    assert '    weight: "1/3"' in new["channels.yaml"]
    assert [c.weight for c in load_rubric_texts(new).channels.channels] == [third, third, F(1, 6), F(1, 6)]


def test_version_string_stays_a_string(texts):
    new = apply_changes(texts, [Change("meta.yaml", ("version",), "2026.3")])
    assert 'version: "2026.3"' in new["meta.yaml"]
    assert load_rubric_texts(new).version == "2026.3"


def test_a_change_that_breaks_validation_is_refused_with_the_chinese_error(texts, by_id):
    with pytest.raises(RubricError) as caught:
        apply_changes(texts, by_id["channels.org"].changes(F(1, 2)))  # the others not rebalanced
    message = str(caught.value)
    line = next(n for n, text in enumerate(texts["channels.yaml"].splitlines(), 1) if text.startswith("channels:"))
    assert f"channels.yaml 第{line}行" in message
    assert "四个通道的权重之和应为1，实际为 1.1" in message


def test_a_band_edge_past_its_neighbour_is_refused(texts, by_id):
    with pytest.raises(RubricError) as caught:
        apply_changes(texts, by_id["grades.edge.2"].changes(F(70)))  # 良好 would run 80…70
    assert "eligibility.yaml" in str(caught.value)
    assert "等次" in str(caught.value)


def test_veto_rules_are_not_adjustable(texts, rubric):
    assert not any(path[:1] == ("veto_rules",) for s in adjustable_settings(rubric) for path in s.paths)
    with pytest.raises(RubricError, match="否决规则由来源文件"):
        apply_changes(texts, [Change("eligibility.yaml", ("veto_rules", 1, "threshold"), F(4, 5))])
    with pytest.raises(RubricError, match="否决规则由来源文件"):
        apply_to_rubric(rubric, [Change("eligibility.yaml", ("veto_rules", 1, "threshold"), F(4, 5))])


def test_an_unknown_field_is_refused(texts):
    with pytest.raises(RubricError, match="字段不存在"):
        apply_changes(texts, [Change("channels.yaml", ("channels", 9, "weight"), F(1))])


# --------------------------------------------------------------------------- adjustable settings
def _marked_as_choice(tree, path) -> bool:
    node = tree
    for part in path[:-1]:
        node = node[part]
        if isinstance(node, dict) and any(node.get(k) is True for k in ("choice", "weight_choice", "threshold_choice")):
            return True
    return False


def test_every_adjustable_setting_is_a_choice_or_an_item_weight(texts, rubric):
    yaml = YAML(typ="safe", pure=True)
    trees = {name: yaml.load(text) for name, text in texts.items()}
    settings_ = adjustable_settings(rubric)
    for setting in settings_:
        for path in setting.paths:
            # the sources give no weights or points: every item's 分值 is a choice without a marker
            item_weight = setting.file == "checklist.yaml" and path[0] == "items" and path[-1] in ("weight", "points")
            assert item_weight or _marked_as_choice(trees[setting.file], path), setting.id
    groups = {s.group for s in settings_}
    assert groups == {"channels", "items", "grades", "stars", "standardized", "five_strong", "weak", "reconciliation"}
    assert sum(1 for s in settings_ if s.group == "items") == len(rubric.items)
    # every setting has a Chinese label, a note and its current value in bounds
    for s in settings_:
        assert s.label and s.note
        if s.kind != "option":
            assert s.minimum <= s.value <= s.maximum, s.id


def test_band_edges_move_both_bands(texts, by_id):
    new = load_rubric_texts(apply_changes(texts, by_id["grades.edge.2"].changes(F(85))))
    bands = {b.label: b for b in new.eligibility.grades.bands}
    assert bands["优秀"].min == 85 and bands["良好"].max == 85
    assert bands["优秀"].min_inclusive and not bands["良好"].max_inclusive


def test_format_setting_value(by_id):
    assert format_setting_value(by_id["five_strong.threshold"]) == "85%"
    assert format_setting_value(by_id["channels.org"]) == "0.4"
    assert format_setting_value(by_id["standardized.0.threshold"]) == "80分"
    assert format_setting_value(by_id["reconciliation.method"]) == "中位数"


def test_decimal_text():
    assert decimal_text(F(7, 20)) == "0.35"
    assert decimal_text(F(80)) == "80"
    assert decimal_text(F(155, 2)) == "77.5"
    assert decimal_text(F(123456789, 10**8)) == "1.23456789"
    assert decimal_text(F(-1, 8)) == "-0.125"
    assert decimal_text(F(1, 3)) is None


# ----------------------------------------------------------------------------------- the diff
def test_diff_lists_each_changed_field_with_its_label(texts, by_id):
    changes = by_id["five_strong.threshold"].changes(F(8, 10)) + by_id["weak.0.threshold"].changes(F(55))
    new = apply_changes(texts, changes)
    lines = diff_rubrics(texts, new)
    assert [(d.file, d.path, d.old, d.new) for d in lines] == [
        ("checklist.yaml", "five_strong.threshold", "0.85", "0.8"),
        ("eligibility.yaml", "weak.any_of[0].threshold", "60", "55"),
        ("eligibility.yaml", "weak.any_of[0].label", "综合得分不足60分", "综合得分不足55分"),
    ]
    assert lines[0].label == "五强标准 · 五强各维度得分率下限（含本数）"
    assert lines[1].label.startswith("软弱涣散判定 · 综合得分低于")


def test_diff_ignores_comments_and_equal_numbers(texts):
    new = dict(texts)
    new["channels.yaml"] = "# 新注释\n" + texts["channels.yaml"].replace("weight: 0.4", 'weight: "2/5"')
    assert diff_rubrics(texts, new) == []


def test_diff_names_fields_outside_the_settings(texts):
    new = apply_changes(texts, [Change("checklist.yaml", ("items", 0, "label"), "支部设置")], validate=False)
    [line] = diff_rubrics(texts, new)
    assert line.label == "items · s1 支部设置规范 · 名称"
    assert (line.old, line.new) == ("支部设置规范", "支部设置")


# -------------------------------------------------------------------------------- versions
@pytest.mark.parametrize(
    ("old", "new"), [("2025.1", "2025.2"), ("2025.9", "2025.10"), ("2025", "2025.1"), ("2025.1-草案", "2025.1-草案.1")]
)
def test_next_version(old, new):
    assert next_version(old) == new


def test_prepare_version_stamps_the_next_version_and_needs_author_and_note(texts, by_id):
    version = prepare_version(texts, by_id["five_strong.threshold"].changes(F(9, 10)), author="张三", note="五强从严")
    assert (version.version, version.based_on, version.author, version.note) == ("2026.3", "2026.2", "张三", "五强从严")
    meta = load_rubric_texts(version.texts).meta
    assert (meta.version, meta.author, meta.note, meta.based_on) == ("2026.3", "张三", "五强从严", "2026.2")
    assert [d.path for d in version.diff] == ["version", "author", "note", "based_on", "five_strong.threshold"]
    assert [d.label for d in version.diff[:4]] == ["版本", "修改人", "修改说明", "基于版本"]
    with pytest.raises(RubricError, match="请填写修改人"):
        prepare_version(texts, [], author=" ", note="x")


def test_prepare_version_writes_author_note_and_based_on_into_meta_keeping_its_comments(texts, by_id):
    # Given a note with characters YAML would otherwise read differently, and 2026.3 already stored
    note = '五强从严: 见 #12 号文件\n"第二行"'
    version = prepare_version(
        texts, by_id["five_strong.threshold"].changes(F(9, 10)), author="张三", note=note, taken={"2026.3"}
    )
    # Then the next free number is used and the note reads back exactly
    assert version.version == "2026.4"
    assert load_rubric_texts(version.texts).meta.note == note
    # And meta.yaml only gained three lines after version: every comment and other line is kept
    old_lines = texts["meta.yaml"].splitlines()
    new_lines = version.texts["meta.yaml"].splitlines()
    at = next(i for i, line in enumerate(old_lines) if line.startswith("version:"))
    assert new_lines[:at] == old_lines[:at] and new_lines[at + 4 :] == old_lines[at + 1 :]
    assert new_lines[at : at + 4] == [
        'version: "2026.4"',
        'author: "张三"',
        f"note: {json.dumps(note, ensure_ascii=False)}",
        'based_on: "2026.2"',
    ]
    # And a version made from that one replaces the fields where they stand
    again = prepare_version(version.texts, by_id["five_strong.threshold"].changes(F(8, 10)), author="李四", note="放宽")
    meta = load_rubric_texts(again.texts).meta
    assert (meta.version, meta.author, meta.note, meta.based_on) == ("2026.5", "李四", "放宽", "2026.4")
    assert len(again.texts["meta.yaml"].splitlines()) == len(new_lines)


def test_stamp_meta_fills_an_empty_value_and_adds_what_is_missing():
    text = "# 注释\nversion: 1\nauthor:\nname: x # 名称\n"
    out = stamp_meta(text, {"author": "张三", "note": "说明"})
    assert out == '# 注释\nversion: 1\nnote: "说明"\nauthor: "张三"\nname: x # 名称\n'


# ------------------------------------------------------------------------------- rebalancing
def test_rebalance_scales_the_other_unlocked_weights_proportionally():
    weights = {"a": F(4, 10), "b": F(3, 10), "c": F(2, 10), "d": F(1, 10)}
    out = rebalance(weights, "a", F(1, 10), locked={"d"})
    # 0.3 freed goes to b and c in proportion 3:2 → b 0.48, c 0.32; d locked
    assert out == {"a": F(1, 10), "b": F(48, 100), "c": F(32, 100), "d": F(1, 10)}


def test_rebalance_clamps_to_what_the_locks_leave():
    weights = {"a": F(4, 10), "b": F(3, 10), "c": F(3, 10)}
    assert rebalance(weights, "a", F(9, 10), locked={"b"}) == {"a": F(7, 10), "b": F(3, 10), "c": F(0)}
    # nothing unlocked to absorb: the moved weight keeps the only feasible value
    assert rebalance(weights, "a", F(1, 2), locked={"b", "c"}) == weights


def test_rebalance_from_all_zero_others_shares_equally():
    out = rebalance({"a": F(1), "b": F(0), "c": F(0)}, "a", F(1, 2))
    assert out == {"a": F(1, 2), "b": F(25, 100), "c": F(25, 100)}


def test_equalize():
    out = equalize({"a": F(1, 2), "b": F(1, 4), "c": F(1, 4)})
    assert out == {"a": F(34, 100), "b": F(33, 100), "c": F(33, 100)}
    out = equalize({"a": F(1, 2), "b": F(1, 4), "c": F(1, 4)}, locked={"a"})
    assert out == {"a": F(1, 2), "b": F(1, 4), "c": F(1, 4)}


@st.composite
def weight_groups(draw, grid: bool = True):
    n = draw(st.integers(1, 12))
    if grid:
        cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=n - 1, max_size=n - 1)))
        parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100])]
        weights = {f"w{i}": F(p, 100) for i, p in enumerate(parts)}
    else:
        raw = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n).filter(lambda xs: sum(xs) > 0))
        weights = {f"w{i}": F(x, sum(raw)) for i, x in enumerate(raw)}
    keys = list(weights)
    changed = draw(st.sampled_from(keys))
    locked = set(draw(st.lists(st.sampled_from(keys), max_size=n)))
    value = F(draw(st.integers(-20, 120)), 100)
    return weights, changed, value, locked


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(weight_groups(grid=True))
def test_rebalance_properties_on_the_grid(case):
    weights, changed, value, locked = case
    out = rebalance(weights, changed, value, locked)
    assert list(out) == list(weights)
    assert sum(out.values()) == 1
    assert all(v >= 0 for v in out.values())
    for key in locked - {changed}:
        assert out[key] == weights[key]
    others_free = [k for k in weights if k not in locked and k != changed]
    room = 1 - sum(weights[k] for k in locked if k != changed)
    expected = min(max(value, F(0)), room) if others_free else room
    assert out[changed] == expected
    # everything stays on the 0.01 grid when it started there
    assert all((v / DEFAULT_STEP).denominator == 1 for v in out.values())
    # proportional: each free weight within one step of its exact proportional share
    old_free = sum(weights[k] for k in others_free)
    for k in others_free:
        exact = (room - expected) * (weights[k] / old_free if old_free else F(1, len(others_free)))
        assert abs(out[k] - exact) < DEFAULT_STEP


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(weight_groups(grid=False))
def test_rebalance_properties_off_the_grid(case):
    weights, changed, value, locked = case
    for step in (DEFAULT_STEP, None):
        out = rebalance(weights, changed, value, locked, step=step)
        assert sum(out.values()) == 1
        assert all(v >= 0 for v in out.values())
        assert all(out[k] == weights[k] for k in locked - {changed})


@settings(max_examples=200)
@given(weight_groups(grid=False))
def test_equalize_properties(case):
    weights, _changed, _value, locked = case
    out = equalize(weights, locked)
    assert sum(out.values()) == 1
    assert all(out[k] == weights[k] for k in locked)
    free = [out[k] for k in weights if k not in locked]
    if free and sum(weights[k] for k in locked) <= 1:
        on_grid = [v - (v % DEFAULT_STEP) for v in free]
        assert max(on_grid) - min(on_grid) <= DEFAULT_STEP


def test_a_refused_change_names_the_item_by_its_id_both_ways(texts, rubric):
    # A negative 分值 of the first item: from the texts (with a line) and from the rubric (without).
    first = rubric.items[0].id
    change = [Change("checklist.yaml", ("items", 0, "points"), F(-1))]
    for refuse in (lambda: apply_changes(texts, change), lambda: apply_to_rubric(rubric, change)):
        with pytest.raises(RubricError) as caught:
            refuse()
        fields = [p.field for p in caught.value.problems]
        assert fields and all(f.startswith(f"items[{first}]") for f in fields), fields
