"""Loading rubrics: the shipped one is whole and sourced; a bad one is refused with file, line and field."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest
from factories import LEGACY_CHECKLIST

from assessment.rubric import (
    DEFAULT_RUBRIC_DIR,
    VETO_IDS,
    RubricError,
    load_rubric,
    load_rubric_texts,
    read_rubric_texts,
    to_fraction,
)


@pytest.fixture
def rubric_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rubrics"
    shutil.copytree(DEFAULT_RUBRIC_DIR, target)
    return target


@pytest.fixture
def legacy_copy(rubric_copy: Path) -> Path:
    """The shipped rubric with checklist.yaml in the legacy form (max + weight per item)."""
    shutil.copyfile(LEGACY_CHECKLIST, rubric_copy / "checklist.yaml")
    return rubric_copy


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found: {old!r}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(needle)


def id_above(path: Path, line: int) -> str:
    """The id of the list element (``- id: …``) that holds ``line``."""
    lines = path.read_text(encoding="utf-8").splitlines()[:line]
    return next(text.split("id:", 1)[1].strip() for text in reversed(lines) if text.strip().startswith("- id:"))


def problems_of(directory: Path) -> list:
    with pytest.raises(RubricError) as caught:
        load_rubric(directory)
    return caught.value.problems


def test_shipped_rubric_loads_with_version_and_fixed_veto_order():
    rubric = load_rubric()
    assert rubric.version == "2026.2"
    assert tuple(rule.id for rule in rubric.veto_rules) == VETO_IDS
    assert sum(c.weight for c in rubric.channels.channels) == 1
    assert sum(i.weight for i in rubric.items) == 1


def test_every_rule_names_its_source():
    rubric = load_rubric()
    sourced = (
        list(rubric.channels.channels)
        + list(rubric.items)
        + list(rubric.veto_rules)
        + list(rubric.activities.rules)
        + list(rubric.structure.rules)
        + list(rubric.targets.targets)
        + list(rubric.targets.benefits)
    )
    for entry in sourced:
        assert entry.source.strip(), entry
    # Everything the seeds do not fix is marked as a choice, so analysts can find what they may change.
    assert all(c.weight_choice for c in rubric.channels.channels)
    assert rubric.eligibility.grades.choice and rubric.eligibility.stars.choice and rubric.eligibility.weak.choice


def test_activity_rules_match_004_attachment():
    rules = {r.type_label: (r.frequency, r.min) for r in load_rubric().activities.rules}
    assert rules["支委会"] == ("per_month", 1)
    assert rules["支部党员大会"] == ("per_quarter", 1)
    assert rules["党小组会"] == ("per_month", 1)
    assert rules["党课"] == ("per_year", 4)
    assert rules["主题党日"] == ("per_month", 1)
    assert rules["组织生活会"] == ("per_year", 1)
    assert rules["民主评议党员"] == ("per_year", 1)


def test_targets_keep_the_final_year_as_a_marked_choice():
    targets = {t.year: t for t in load_rubric().targets.targets}
    assert targets[2022].standardized_share == Fraction(2, 5)
    assert targets[2023].strongest_is_aim
    assert targets[2025].year_choice and targets[2025].strongest_share == Fraction(1, 2)
    assert targets[2025].strongest_basis == "meets_standard"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (0.9, Fraction(9, 10)),
        ("9/10", Fraction(9, 10)),
        ("90%", Fraction(9, 10)),
        (3, Fraction(3)),
        (0.1, Fraction(1, 10)),
    ],
)
def test_fractions_are_exact(text, expected):
    assert to_fraction(text) == expected


def test_weight_outside_unit_interval_names_file_line_and_field(legacy_copy):
    rubric_copy = legacy_copy
    path = rubric_copy / "checklist.yaml"
    line = line_of(path, "weight: 0.05")
    item = id_above(path, line)
    edit(path, "weight: 0.05", "weight: 1.4")
    problems = problems_of(rubric_copy)
    first = problems[0]
    assert first.file.endswith("checklist.yaml") and first.line == line
    # the item is named by its id, not by its position in the list
    assert first.field == f"items[{item}].weight（权重）"
    assert f"第{line}行 字段 items[{item}].weight" in str(first)
    assert "0到1之间" in first.message and "1.4" in first.message


def test_channel_weights_that_do_not_sum_to_one(rubric_copy):
    edit(rubric_copy / "channels.yaml", "weight: 0.4", "weight: 0.5")
    (problem,) = problems_of(rubric_copy)
    assert problem.file.endswith("channels.yaml")
    assert "权重之和应为1" in problem.message and "1.1" in problem.message


def test_item_weights_that_do_not_sum_to_one(legacy_copy):
    edit(legacy_copy / "checklist.yaml", "weight: 0.10", "weight: 0.11")
    (problem,) = problems_of(legacy_copy)
    assert "组织评定各指标权重之和应为1" in problem.message and "1.01" in problem.message


def test_item_points_that_do_not_add_up_name_the_area_and_the_total(rubric_copy):
    path = rubric_copy / "checklist.yaml"
    edit(path, "    points: 10\n", "    points: 11\n")  # y1, in 落实基本制度 (35)
    problems = problems_of(rubric_copy)
    assert [(p.field, p.line) for p in problems] == [
        ("areas[system].points（分值）", line_of(path, "{id: system,")),
        ("items", 1 + path.read_text(encoding="utf-8").splitlines().index("items:")),
    ]
    assert "创建内容 system（落实基本制度）的分值为 35 分，但其下各项之和为 36 分" in problems[0].message
    assert "y1 11分" in problems[0].message
    assert "各指标的分值之和应为总分 100 分（total_points），实际为 101 分" in problems[1].message


def test_duplicate_item_id_points_at_the_second_one(rubric_copy):
    path = rubric_copy / "checklist.yaml"
    edit(path, "- id: s2", "- id: s1")
    problems = problems_of(rubric_copy)
    dup = next(p for p in problems if "重复" in p.message)
    assert dup.line == line_of(path, "- id: s1", occurrence=2)
    assert "s1" in dup.message


def test_unknown_rule_type_lists_the_known_ones(rubric_copy):
    path = rubric_copy / "eligibility.yaml"
    edit(path, "type: min_share", "type: share_min")
    (problem,) = problems_of(rubric_copy)
    assert problem.line == line_of(path, "- id: member_excellent_share")
    assert "未知的类型“share_min”" in problem.message and "min_share" in problem.message


def test_veto_rules_must_keep_their_ids_and_order(rubric_copy):
    path = rubric_copy / "eligibility.yaml"
    text = path.read_text(encoding="utf-8").replace("id: annual_review", "id: review_grade")
    path.write_text(text, encoding="utf-8")
    (problem,) = problems_of(rubric_copy)
    assert "annual_review" in problem.message and "顺序" in problem.message


def test_overlapping_grade_bands_are_refused(rubric_copy):
    # 90 would belong to both 优秀 and 良好: the classic "90分以上 / 80分以上、90分以下" trap.
    edit(
        rubric_copy / "eligibility.yaml",
        "{label: 良好, min: 80, min_inclusive: true, max: 90, max_inclusive: false}",
        "{label: 良好, min: 80, min_inclusive: true, max: 90, max_inclusive: true}",
    )
    (problem,) = problems_of(rubric_copy)
    assert "边界 90 同时属于“良好”和“优秀”" in problem.message


def test_gap_between_bands_is_refused(rubric_copy):
    edit(
        rubric_copy / "eligibility.yaml",
        "{label: 一般, min: 60, min_inclusive: true, max: 80,",
        "{label: 一般, min: 60, min_inclusive: true, max: 75,",
    )
    (problem,) = problems_of(rubric_copy)
    assert "空档" in problem.message


def test_unknown_field_missing_field_and_yaml_syntax(rubric_copy):
    edit(rubric_copy / "activities.yaml", "frequency: per_month", "frequncy: per_month")
    edit(rubric_copy / "targets.yaml", "targets:", "targets: [\n", 1)
    problems = problems_of(rubric_copy)
    messages = [str(p) for p in problems]
    assert any("activities.yaml" in m and "未知字段" in m for m in messages)
    assert any("activities.yaml" in m and "缺少必填字段" in m for m in messages)
    assert any("targets.yaml" in m and "YAML 格式错误" in m for m in messages)


def test_item_kind_needs_its_parameters(rubric_copy):
    path = rubric_copy / "checklist.yaml"
    edit(path, "    target: 12\n", "")
    (problem,) = problems_of(rubric_copy)
    assert "count_shortfall" in problem.message and "target" in problem.message
    assert problem.line == line_of(path, "- id: t3")


def test_replacing_one_file_checks_it_in_context(rubric_copy):
    bad = rubric_copy / "checklist.yaml"
    edit(bad, "points: 5", "points: -5")
    with pytest.raises(RubricError) as caught:
        load_rubric(DEFAULT_RUBRIC_DIR, replace={"checklist.yaml": bad})
    assert str(bad) in str(caught.value)


def test_a_rubric_kept_as_texts_loads_and_is_checked_the_same_way():
    texts, _ = read_rubric_texts()
    assert load_rubric_texts(texts) == load_rubric()
    broken = {**texts, "channels.yaml": texts["channels.yaml"].replace("weight: 0.4", "weight: 0.45")}
    with pytest.raises(RubricError) as caught:
        load_rubric_texts(broken)
    assert caught.value.problems[0].file == "channels.yaml" and "1.05" in caught.value.problems[0].message


# ------------------------------------------------------------------ load errors: Chinese, located, all at once
def test_yaml_syntax_errors_in_two_files_are_one_chinese_report_with_lines_and_columns(rubric_copy):
    checklist, targets = rubric_copy / "checklist.yaml", rubric_copy / "targets.yaml"
    tab_line = line_of(checklist, "points: 5")
    text = checklist.read_text(encoding="utf-8").splitlines(keepends=True)
    text[tab_line - 1] = "\t" + text[tab_line - 1].lstrip(" ")
    checklist.write_text("".join(text), encoding="utf-8")
    quote_line = 1 + targets.read_text(encoding="utf-8").splitlines().index("targets:")
    edit(targets, "\ntargets:\n", '\ntargets: "unclosed\n')
    with pytest.raises(RubricError) as caught:
        load_rubric(rubric_copy)
    problems = caught.value.problems
    assert [(Path(p.file).name, p.line, p.column) for p in problems] == [
        ("checklist.yaml", tab_line, 1),
        ("targets.yaml", quote_line, len("targets: ") + 1),
    ]
    report = str(caught.value)
    assert report.startswith("评分标准有 2 处问题")
    assert f"checklist.yaml 第{tab_line}行第1列：YAML 格式错误：使用了制表符（Tab）" in report
    assert f"targets.yaml 第{quote_line}行第{len('targets: ') + 1}列：YAML 格式错误：引号没有闭合" in report
    # plain Chinese, not ruamel's English
    assert "found" not in report and "scanning" not in report


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        ("a: 1\nb: c: d\n", 2, 5, "此处不能出现“键: 值”"),
        ("a: 1\nb\nc: 2\n", 2, 1, "缺少冒号"),
        ("a: 1\na: 2\n", 2, 1, "键“a”在同一层级重复出现"),
        ("a: [1, 2\nb: 2\n", 2, 2, "括号没有闭合：第1行第4列的“[”缺少对应的“]”"),
        ("a: {x: 1\nb: 2\n", 2, 2, "括号没有闭合：第1行第4列的“{”缺少对应的“}”"),
        ("items:\n  - id: a\n  weight: 1\n", 3, 3, "缩进不一致"),
        ("a: @x\n", 1, 4, "取值不能以字符“@”开头"),
        ("a: b\x01c\n", 1, 5, "不允许的控制字符"),
    ],
)
def test_common_yaml_mistakes_read_in_chinese(text, line, column, expected):
    texts, _ = read_rubric_texts()
    with pytest.raises(RubricError) as caught:
        load_rubric_texts({**texts, "meta.yaml": text})
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column) == ("meta.yaml", line, column)
    assert problem.message.startswith("YAML 格式错误：") and expected in problem.message
    assert "原文" not in problem.message


def test_an_unknown_yaml_error_keeps_the_original_only_as_a_hint():
    texts, _ = read_rubric_texts()
    with pytest.raises(RubricError) as caught:
        load_rubric_texts({**texts, "meta.yaml": "a: 1\n--- \nb: 2\n"})
    (problem,) = caught.value.problems
    assert problem.message.startswith("YAML 格式错误：") and problem.line == 2


def test_an_invalid_value_in_an_item_is_named_by_the_item_id(rubric_copy):
    path = rubric_copy / "checklist.yaml"
    line = line_of(path, "- id: t5")
    edit(path, "- id: t5\n", "- id: t5\n    frequency_of_nothing: 3\n")
    (problem,) = problems_of(rubric_copy)
    assert problem.field == "items[t5].frequency_of_nothing" and problem.line == line + 1
    assert "items[t5]" in str(problem) and "未知字段" in problem.message


def test_a_transition_is_named_by_from_and_to(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    texts = path.read_text(encoding="utf-8")
    from ruamel.yaml import YAML

    first = YAML(typ="safe").load(texts)["transitions"][0]
    line = line_of(path, f"{{from: {first['from']}, to: {first['to']},")
    edit(
        path,
        f"{{from: {first['from']}, to: {first['to']},",
        f"{{from: {first['from']}, to: {first['to']}, label_typo: x,",
    )
    (problem,) = problems_of(rubric_copy)
    assert problem.field == f"transitions[{first['from']}→{first['to']}].label_typo" and problem.line == line


def test_several_problems_in_several_files_are_one_report(rubric_copy):
    (rubric_copy / "members.yaml").unlink()
    edit(rubric_copy / "meta.yaml", "\n", "\n\tbroken: 1\n", 1)
    edit(rubric_copy / "activities.yaml", "frequency: per_month", "frequncy: per_month")
    edit(rubric_copy / "channels.yaml", "weight: 0.4", "weight: 0.5")
    problems = problems_of(rubric_copy)
    by_file = {Path(p.file).name for p in problems}
    assert {"members.yaml", "meta.yaml", "activities.yaml", "channels.yaml"} <= by_file
    assert any(p.message == "缺少评分标准文件" for p in problems)
    assert any("制表符" in p.message for p in problems)
    assert any("未知字段" in p.message for p in problems)


def test_cross_file_problems_come_with_a_files_own_problems(rubric_copy):
    # workflow.yaml's designation term names a structure rule that does not exist (a cross-file problem),
    # while activities.yaml has a problem of its own (a rule of a type it does not list): both at once.
    workflow = rubric_copy / "workflow.yaml"
    from ruamel.yaml import YAML

    rule = YAML(typ="safe").load(workflow.read_text(encoding="utf-8"))["designation_term"]["structure_rule"]
    edit(workflow, f"structure_rule: {rule}", "structure_rule: no_such_rule")
    edit(rubric_copy / "activities.yaml", "type_label: 支委会", "type_label: 支委例会")
    problems = problems_of(rubric_copy)
    assert any(Path(p.file).name == "activities.yaml" and "支委例会" in p.message for p in problems)
    assert any(p.field.startswith("rules[committee_meeting]") for p in problems)
    assert any(Path(p.file).name == "workflow.yaml" and "no_such_rule" in p.message for p in problems)
