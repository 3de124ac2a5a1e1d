"""Points as the rubric's unit (issue 13 item 1): items carry ``points`` (their 满分; the share of the
组织评定 follows), areas of any depth carry subtotals, and the loader checks that every level adds up.
The legacy form (``max`` + ``weight``) still loads, and today's rubric scores exactly as before."""

from __future__ import annotations

import re
from fractions import Fraction as F

import pandas as pd
import pytest
from factories import LEGACY_CHECKLIST, YEAR, legacy_texts, make_inputs

from assessment.demo.street import generate_demo
from assessment.rubric import RubricError, load_rubric_texts, read_rubric_texts
from assessment.scoring import score

pytest_plugins = ["store_support"]  # fixtures: database_url, store


def shipped() -> dict[str, str]:
    texts, _ = read_rubric_texts()
    return texts


def with_checklist(text: str) -> dict[str, str]:
    return {**shipped(), "checklist.yaml": text}


def problems(text: str) -> list:
    with pytest.raises(RubricError) as caught:
        load_rubric_texts(with_checklist(text))
    return caught.value.problems


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def item_block(text: str, item_id: str) -> tuple[int, int]:
    """Start and end of ``- id: <item_id>``'s block in the checklist text."""
    start = text.index(f"  - id: {item_id}\n")
    following = text.find("\n  - id: ", start + 1)
    return start, (following + 1 if following >= 0 else len(text))


def set_item(text: str, item_id: str, old: str, new: str) -> str:
    start, end = item_block(text, item_id)
    block = text[start:end]
    assert old in block, (item_id, old)
    return text[:start] + block.replace(old, new, 1) + text[end:]


CHECKLIST = shipped()["checklist.yaml"]
# 建设基本队伍 (20) with a sub-area 党员作用 under it holding t6 (3 points): a three-level hierarchy
# 目标 → 项目 → 细则 as a street's sheet writes it.
SUB_AREA = '  - {id: team_role, label: 党员作用, parent: team, points: 3, source: "测试"}\n'
NESTED = set_item(
    replace_once(CHECKLIST, "  - {id: system,", SUB_AREA + "  - {id: system,"),
    "t6",
    "    area: team\n",
    "    area: team_role\n",
)


# ------------------------------------------------------------------ the shipped rubric
def test_shipped_checklist_is_written_in_points_with_area_subtotals():
    rubric = load_rubric_texts(shipped())
    checklist = rubric.checklist
    assert checklist.in_points and checklist.total_points == 100
    assert "max:" not in re.sub(r"#.*", "", CHECKLIST) and "weight:" not in re.sub(r"#.*", "", CHECKLIST)
    tree = checklist.area_tree()
    assert [(n.area.id, n.depth, n.points) for n in tree] == [
        ("setting", 0, 15),
        ("team", 0, 20),
        ("system", 0, 35),
        ("support", 0, 12),
        ("role", 0, 18),
    ]
    for node in tree:  # every declared subtotal is the sum of its items' points
        assert node.points == sum(checklist.item_points(i) for i in checklist.base_items if i.area == node.area.id)
    for item in rubric.items:  # max = points, weight = points / total_points
        assert item.max == item.points and item.weight == item.points / 100


def test_points_form_derives_the_same_max_and_weight_as_the_legacy_form():
    new, old = load_rubric_texts(shipped()), load_rubric_texts(legacy_texts())
    assert not old.checklist.in_points
    assert [(i.id, i.max, i.weight, i.top) for i in new.items] == [(i.id, i.max, i.weight, i.top) for i in old.items]
    # the legacy form has subtotals too: weight × total_points per item
    assert [(n.area.id, n.points) for n in old.checklist.area_tree()] == [
        (n.area.id, n.points) for n in new.checklist.area_tree()
    ]


@pytest.mark.parametrize("seed", [2025, 7])
def test_points_rubric_scores_the_demo_street_exactly_as_the_legacy_one(seed):
    new, old = load_rubric_texts(shipped()), load_rubric_texts(legacy_texts())
    inputs = generate_demo(new, seed=seed, year=YEAR)
    a, b = score(new, inputs, year=YEAR), score(old, inputs, year=YEAR)
    pd.testing.assert_frame_equal(a.branches, b.branches)
    pd.testing.assert_frame_equal(a.items, b.items)
    pd.testing.assert_frame_equal(a.dimensions, b.dimensions)
    pd.testing.assert_frame_equal(a.vetoes, b.vetoes)
    # the street is not trivially uniform: composites, vetoes and 五强 differ between branches
    assert a.branches["composite"].nunique() > 10
    assert a.vetoes["passed"].eq(False).any()
    assert a.branches["five_strong"].nunique() > 1


def test_a_legacy_version_stored_in_the_database_rescores_unchanged(store):
    # A version saved before points (max + weight) is read back from the database with its own text and
    # scores the street exactly as the shipped rubric in points does.
    texts = legacy_texts()
    version = load_rubric_texts(texts).version
    texts["meta.yaml"] = texts["meta.yaml"].replace(f'version: "{version}"', 'version: "2026.1-旧写法"')
    store.rubrics.save(texts, author="李四", note="旧写法的版本", make_current=False)
    old = store.rubrics.stored("2026.1-旧写法")
    assert not old.checklist.in_points and "    weight: 0.05" in store.rubrics.texts("2026.1-旧写法")["checklist.yaml"]
    new = load_rubric_texts(shipped())
    inputs = generate_demo(new, year=YEAR)
    a, b = score(new, inputs, year=YEAR), score(old, inputs, year=YEAR)
    columns = [c for c in a.branches.columns if c != "rubric_version"]
    pd.testing.assert_frame_equal(a.branches[columns], b.branches[columns])
    pd.testing.assert_frame_equal(a.items, b.items)


def test_legacy_fixture_is_the_checklist_as_shipped_before_points():
    text = LEGACY_CHECKLIST.read_text(encoding="utf-8")
    assert text.count("    weight: ") == 22 and "points: 15" not in text


# ------------------------------------------------------------------ the hierarchy
def test_areas_nest_to_any_depth_and_each_level_has_its_subtotal():
    checklist = load_rubric_texts(with_checklist(NESTED)).checklist
    tree = {n.area.id: n for n in checklist.area_tree()}
    assert [n.area.id for n in checklist.area_tree()][:3] == ["setting", "team", "team_role"]
    assert (tree["team"].depth, tree["team"].points, tree["team"].children) == (0, 20, ("team_role",))
    assert tree["team"].items == ("t1", "t2", "t3", "t4", "t5")
    assert (tree["team_role"].depth, tree["team_role"].points, tree["team_role"].items) == (1, 3, ("t6",))
    assert [a.id for a in checklist.area_path("team_role")] == ["team", "team_role"]
    assert [i.id for i in checklist.items_under("team")] == ["t1", "t2", "t3", "t4", "t5", "t6"]
    assert checklist.area_points("team_role") == 3


def test_an_area_without_points_takes_the_sum_of_its_children():
    text = NESTED.replace("parent: team, points: 3,", "parent: team,")
    checklist = load_rubric_texts(with_checklist(text)).checklist
    assert checklist.area("team_role").points is None
    assert checklist.area_points("team_role") == 3


def test_issue_example_sub_point_above_its_area_is_refused_and_two_of_three_scores_99():
    # A sub-point written with 3 points under an area declaring 2: refused, with ids and numbers.
    bad = NESTED.replace("parent: team, points: 3,", "parent: team, points: 2,")
    found = problems(bad)
    messages = [p.message for p in found]
    assert any("team_role（党员作用）的分值为 2 分，但其下各项之和为 3 分（t6 3分）" in m for m in messages)
    assert any("team（建设基本队伍）的分值为 20 分，但其下各项之和为 19 分" in m for m in messages)
    assert all("team_role" in p.field or "team" in p.field for p in found)
    # Written consistently, a branch given 2 of t6's 3 points loses exactly 1 of 100 (a 社区 branch: every
    # item applies to it).
    rubric = load_rubric_texts(with_checklist(NESTED))
    branch = {"kind": "社区"}
    full = score(rubric, make_inputs(rubric, branch=branch), year=YEAR).branches.iloc[0]
    two_of_three = score(rubric, make_inputs(rubric, branch=branch, org={"t6": 2.0}), year=YEAR).branches.iloc[0]
    assert full["org"] == 100 and two_of_three["org"] == 99


def test_item_points_must_add_up_to_total_points():
    text = set_item(CHECKLIST, "y1", "    points: 10\n", "    points: 9\n")
    text = text.replace(
        "{id: system, label: 落实基本制度, points: 35,", "{id: system, label: 落实基本制度, points: 34,"
    )
    found = problems(text)
    assert [p.field for p in found] == ["areas", "items"]
    assert "最高一级创建内容的分值之和应为总分 100 分（total_points），实际为 99 分" in found[0].message
    assert "system 34分" in found[0].message
    assert "各指标的分值之和应为总分 100 分（total_points），实际为 99 分" in found[1].message


def test_total_points_other_than_100_gives_weights_over_that_total():
    text = CHECKLIST.replace("total_points: 100", "total_points: 200")
    text = re.sub(r"(\{id: \w+, label: \w+, points: )(\d+)", lambda m: f"{m.group(1)}{2 * int(m.group(2))}", text)
    text = re.sub(r"\n    points: (\d+)\n", lambda m: f"\n    points: {2 * int(m.group(1))}\n", text)
    text = text.replace("{label: 已参加, points: 3}", "{label: 已参加, points: 6}")  # t2's best level = its points
    rubric = load_rubric_texts(with_checklist(text))
    old = load_rubric_texts(shipped())
    assert [i.weight for i in rubric.items] == [i.weight for i in old.items]
    assert rubric.checklist.item_points(rubric.items[0]) == 10 and rubric.items[0].max == 10


def test_unknown_parent_and_cycles_are_refused_with_the_ids():
    unknown = NESTED.replace("parent: team, points: 3,", "parent: teem, points: 3,")
    (problem,) = problems(unknown)
    assert problem.field == "areas[team_role].parent（上级）"
    assert "创建内容 team_role 的上级“teem”未定义" in problem.message and "team" in problem.message
    cycle = NESTED.replace(
        "{id: team, label: 建设基本队伍, points: 20,", "{id: team, label: 建设基本队伍, parent: team_role, points: 20,"
    )
    found = problems(cycle)
    assert {p.field for p in found} == {"areas[team].parent（上级）", "areas[team_role].parent（上级）"}
    assert any("循环：team → team_role → team" in p.message for p in found)
    itself = CHECKLIST.replace("{id: role, label: 发挥基本作用,", "{id: role, label: 发挥基本作用, parent: role,")
    (problem,) = problems(itself)
    assert "循环：role → role" in problem.message


def test_both_forms_in_one_item_or_one_file_are_refused():
    both = set_item(CHECKLIST, "s1", "    points: 5\n", "    points: 5\n    max: 5\n")
    (problem,) = problems(both)
    assert problem.field.startswith("items[s1]")
    assert "写了 points（分值）就不能再写 max" in problem.message
    mixed = set_item(CHECKLIST, "s1", "    points: 5\n", "    max: 5\n    weight: 0.05\n")
    (problem,) = problems(mixed)
    assert problem.field == "items"
    assert (
        "混用了两种写法" in problem.message and "s2" in problem.message and "max + weight（旧写法）" in problem.message
    )
    assert "指标 s1 写的是" in problem.message
    neither = set_item(CHECKLIST, "s1", "    points: 5\n", "")
    (problem,) = problems(neither)
    assert problem.field.startswith("items[s1]") and "缺少 points（分值）" in problem.message


def test_bonus_items_write_points_outside_every_sum():
    bonus = (
        "  - id: b1\n    label: 获得表彰\n    area: role\n    kind: points\n    points: 3\n    bonus: true\n"
        "    description: 获得区级以上表彰。\n    advice: 争创先进。\n    source: 测试\n"
    )
    rubric = load_rubric_texts(with_checklist(CHECKLIST + bonus))
    (b1,) = rubric.bonus_items
    assert (b1.max, b1.weight) == (3, 0)
    assert rubric.checklist.area_points("role") == 18
    assert rubric.checklist.bonus_max() == 3
    weighted = CHECKLIST + bonus.replace("    bonus: true\n", "    bonus: true\n    weight: 0.03\n")
    (problem,) = problems(weighted)
    assert "写了 points（分值）就不能再写 weight" in problem.message


def test_a_level_above_the_items_points_is_refused():
    text = CHECKLIST.replace("{label: 已参加, points: 3}", "{label: 已参加, points: 4}")
    (problem,) = problems(text)
    assert "档次“已参加”的分值 4 超过满分 3" in problem.message


def test_legacy_area_points_are_checked_against_the_weights():
    text = LEGACY_CHECKLIST.read_text(encoding="utf-8").replace(
        '{id: setting, label: 规范基本设置, source: "001 §二(一)"}',
        '{id: setting, label: 规范基本设置, points: 16, source: "001 §二(一)"}',
    )
    (problem,) = problems(text)
    assert "setting（规范基本设置）的分值为 16 分，但其下各项之和为 15 分" in problem.message
    assert F(15) == load_rubric_texts(legacy_texts()).checklist.area_points("setting")
