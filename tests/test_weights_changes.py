"""The change list of a new rubric version (what an analyst's edit moves), in the rubric's Chinese labels."""

from __future__ import annotations

import re
from fractions import Fraction as F

import pytest

from assessment.pages.weights.views import diff_html, draft_changes_html
from assessment.rubric import load_rubric_texts, read_rubric_texts
from assessment.rubric.settings import (
    Change,
    adjustable_settings,
    apply_changes,
    change_lines,
    prepare_version,
    setting_change,
    with_subtotals,
)
from tests.factories import legacy_texts

YAML_PATH = re.compile(r"[a-z_]+\[\d+\]|\.[a-z_]+|\b(weight|threshold|share|min|max|method|label)\b")


@pytest.fixture(scope="module")
def texts():
    return read_rubric_texts()[0]


@pytest.fixture(scope="module")
def by_id(texts):
    return {s.id: s for s in adjustable_settings(load_rubric_texts(texts))}


def texts_of(lines) -> list[str]:
    return [line.text for line in lines]


def test_each_moved_setting_is_one_line_in_the_rubric_words(texts, by_id):
    values = {
        "channels.org": F(35, 100),
        "channels.member": F(25, 100),
        "items.y1": by_id["items.y1"].value + 1,  # 分值 in points, both in 落实基本制度: its subtotal stays
        "items.y2": by_id["items.y2"].value - 1,
        "grades.edge.2": F(85),
        "standardized.0.threshold": F(75),
        "five_strong.threshold": F(8, 10),
        "stars.max_if_not_standardized": 2,
        "reconciliation.method": "mean",
    }
    changes = [c for sid, value in values.items() for c in by_id[sid].changes(value)]
    version = prepare_version(texts, changes, author="王分析", note="试调")
    lines = texts_of(version.changes)
    assert lines == [
        "组织评定 权重 40% → 35%",
        "党员评议 权重 20% → 25%",
        "指标 y1 三会一课 分值 10分 → 11分",
        "指标 y2 组织生活会与民主评议党员 分值 5分 → 4分",
        # a band edge moves two band ends in the YAML: one line
        "等次分档 · “良好”与“优秀”的分界 90分 → 85分",
        "星级分档 · 未达标支部的星级上限 3星 → 2星",
        # the label that spells the number (综合得分80分以上) follows it and is not a line of its own
        "达标条件 · 综合得分分数线（含本数） 80分 → 75分",
        "五强标准 · 五强各维度得分率下限（含本数） 85% → 80%",
        "多名考评人的合并方法 · 多名考评人数值的合并方法 中位数 → 平均数",
    ]
    # while the field-by-field diff (kept for the record) has 14 + 4 stamped lines, paths and all
    assert len(version.diff) > len(lines) and any("[" in d.path for d in version.diff)
    for line in lines:
        assert not YAML_PATH.search(line), line


def test_a_legacy_version_lists_its_item_weights_as_weights():
    old = legacy_texts()
    by_id = {s.id: s for s in adjustable_settings(load_rubric_texts(old))}
    changes = by_id["items.y1"].changes(F(11, 100)) + by_id["items.y2"].changes(F(4, 100))
    version = prepare_version(old, changes, author="王分析", note="试调")
    assert texts_of(version.changes) == [
        "指标 y1 三会一课 权重 10% → 11%",
        "指标 y2 组织生活会与民主评议党员 权重 5% → 4%",
    ]


def test_a_change_outside_the_settings_is_named_in_chinese_too(texts):
    new = apply_changes(texts, [Change("checklist.yaml", ("items", 5, "target"), F(10))], validate=False)
    assert texts_of(change_lines(texts, new)) == ["指标 · t3 党员集中学习培训次数 · 目标 12 → 10"]
    old = legacy_texts()
    new = apply_changes(old, [Change("checklist.yaml", ("items", 0, "max"), F(6))], validate=False)
    assert texts_of(change_lines(old, new)) == ["指标 · s1 支部设置规范 · 满分或上限 5 → 6"]


def test_a_moved_item_points_moves_its_area_subtotal_in_the_change_list(texts, by_id):
    rubric = load_rubric_texts(texts)
    changes = with_subtotals(rubric, by_id["items.s1"].changes(F(6)) + by_id["items.y1"].changes(F(9)))
    version = prepare_version(texts, changes, author="王分析", note="试调")
    assert texts_of(version.changes) == [
        "指标 s1 支部设置规范 分值 5分 → 6分",
        "指标 y1 三会一课 分值 10分 → 9分",
        "创建内容 · setting 规范基本设置 · 分值 15 → 16",
        "创建内容 · system 落实基本制度 · 分值 35 → 34",
    ]


def test_no_change_no_line(texts):
    assert change_lines(texts, dict(texts)) == []


def test_the_page_lists_the_lines_escaped(by_id):
    line = setting_change(by_id["channels.org"], F(2, 5), F(1, 3))
    assert line.text == "组织评定 权重 40% → 约33.33%"  # a weight without a finite decimal, rounded and said so
    html = draft_changes_html([line], "2026.2")
    assert "已调整1项设置（与当前版本 2026.2 相比）" in html and "<b>组织评定 权重</b>" in html
    assert draft_changes_html([], "2026.2") == ""
    diff = diff_html([line], "2026.3", "2026.2", "<b>x</b>")
    assert "修改说明：&lt;b&gt;x&lt;/b&gt;" in diff and 'class="siping-diff"' in diff
