"""The command line: exit codes, Chinese messages, and nothing written when the input is refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

import assessment.inputs.workbook
from assessment.cli import main
from assessment.rubric import DEFAULT_RUBRIC_DIR


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def bad_workbook(sample_workbook, edit_workbook) -> Path:
    edit_workbook(sample_workbook, [("党员评议", 3, "优秀", "十二"), ("活动记录", 2, "类型", "座谈")])
    return sample_workbook


# ------------------------------------------------------------------ template / validate
def test_template_writes_a_workbook(capsys, tmp_path):
    code, out, _ = run(capsys, "template", tmp_path / "模板.xlsx")
    assert code == 0
    assert "已生成填报模板" in out
    assert load_workbook(tmp_path / "模板.xlsx").sheetnames[:2] == ["说明", "支部"]


def test_template_needs_an_xlsx_name(capsys, tmp_path):
    code, _, err = run(capsys, "template", tmp_path / "模板.xls")
    assert code == 2 and ".xlsx" in err
    assert not (tmp_path / "模板.xls").exists()


def test_validate_passes_a_good_workbook(capsys, sample_workbook):
    code, out, _ = run(capsys, "validate", sample_workbook)
    assert code == 0
    assert out.startswith("检查通过：3 个支部")


def test_validate_lists_every_problem(capsys, bad_workbook):
    code, out, _ = run(capsys, "validate", bad_workbook)
    assert code == 2
    assert "工作簿有 2 处问题" in out
    assert "sample.xlsx 工作表“党员评议”第3行“优秀”列：填写了“十二”，应为不小于0的整数" in out
    assert "sample.xlsx 工作表“活动记录”第2行“类型”列：填写了“座谈”" in out


@pytest.mark.parametrize("content", [None, b"not a workbook"])
def test_validate_a_missing_or_broken_file(capsys, tmp_path, content):
    path = tmp_path / "填报.xlsx"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run(capsys, "validate", path)
    assert code == 2
    assert "Traceback" not in out + err
    assert has_chinese(out + err)


# ------------------------------------------------------------------ score
def test_score_writes_results_and_a_summary(capsys, sample_workbook, tmp_path):
    out_path = tmp_path / "结果.xlsx"
    code, out, err = run(capsys, "score", sample_workbook, "--year", "2025", "--out", out_path)
    assert code == 0, err
    assert "3 个支部" in out and "达标" in out and "最强资格" in out and "未完成" in out
    book = load_workbook(out_path)
    assert book.sheetnames[0] == "结果"
    assert book["结果"].max_row == 4


def test_score_warns_when_the_log_has_no_activity_in_the_year(capsys, sample_workbook, tmp_path):
    code, _, err = run(capsys, "score", sample_workbook, "--year", "2024", "--out", tmp_path / "r.xlsx")
    assert code == 0
    assert "活动记录中没有2024年的活动（只有2025年）" in err


def test_score_to_a_csv_directory(capsys, sample_workbook, tmp_path):
    out_dir = tmp_path / "结果"
    code, _, err = run(capsys, "score", sample_workbook, "--year", "2025", "--out", out_dir)
    assert code == 0, err
    names = {p.name for p in out_dir.iterdir()}
    assert "结果.csv" in names
    assert (out_dir / "结果.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_score_refuses_a_bad_workbook_and_writes_nothing(capsys, bad_workbook, tmp_path):
    out_path = tmp_path / "结果.xlsx"
    code, _, err = run(capsys, "score", bad_workbook, "--year", "2025", "--out", out_path)
    assert code == 2
    assert "第3行“优秀”列" in err and "第2行“类型”列" in err
    assert not out_path.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample.xlsx"]


def test_score_leaves_an_existing_result_byte_identical(capsys, bad_workbook, tmp_path):
    out_path = tmp_path / "结果.xlsx"
    out_path.write_bytes(b"last year's results")
    code, _, _ = run(capsys, "score", bad_workbook, "--year", "2025", "--out", out_path)
    assert code == 2
    assert out_path.read_bytes() == b"last year's results"


@pytest.mark.parametrize("year", ["二〇二五", "1800", "2025.5"])
def test_score_refuses_a_bad_year(capsys, sample_workbook, tmp_path, year):
    out_path = tmp_path / "结果.xlsx"
    code, _, err = run(capsys, "score", sample_workbook, "--year", year, "--out", out_path)
    assert code == 2
    assert "年份" in err and "Traceback" not in err
    assert not out_path.exists()


def test_score_needs_year_and_out(capsys, sample_workbook):
    code, _, err = run(capsys, "score", sample_workbook)
    assert code == 2
    assert "缺少必填参数" in err


@pytest.mark.parametrize("target", ["blocker/结果.xlsx", "blocker/结果", "missing/结果.xlsx", "结果.csv"])
def test_score_refuses_an_output_place_it_cannot_write(capsys, sample_workbook, tmp_path, target):
    # "blocker" is a file, so nothing can be written under it (the tests run as root: chmod would not stop them).
    (tmp_path / "blocker").write_text("a file, not a directory")
    code, out, err = run(capsys, "score", sample_workbook, "--year", "2025", "--out", tmp_path / target)
    assert code == 2
    assert has_chinese(err) and "Traceback" not in out + err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "sample.xlsx"]


def test_score_with_a_missing_rubric_directory(capsys, sample_workbook, tmp_path):
    code, _, err = run(
        capsys, "score", sample_workbook, "--year", "2025", "--out", tmp_path / "r.xlsx", "--rubric", tmp_path / "none"
    )
    assert code == 2
    assert "评分标准目录不存在" in err


def test_an_internal_error_is_short_unless_debug(capsys, sample_workbook, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(assessment.inputs.workbook, "read_workbook", broken)
    code, _, err = run(capsys, "validate", sample_workbook)
    assert code == 1
    assert "内部错误" in err and "boom" in err and "Traceback" not in err
    code, _, err = run(capsys, "validate", sample_workbook, "--debug")
    assert code == 1
    assert "Traceback" in err
    code, _, err = run(capsys, "--debug", "validate", sample_workbook)
    assert code == 1 and "Traceback" in err


# ------------------------------------------------------------------ demo
def test_demo_writes_a_valid_workbook(capsys, tmp_path):
    out_path = tmp_path / "demo.xlsx"
    code, out, err = run(capsys, "demo", "--out", out_path, "--seed", "3")
    assert code == 0, err
    assert "已生成演示工作簿" in out
    code, out, _ = run(capsys, "validate", out_path)
    assert code == 0, out
    assert out.startswith("检查通过：60 个支部")


# ------------------------------------------------------------------ rubric check
def test_rubric_check_default_and_directory(capsys, tmp_path):
    code, out, _ = run(capsys, "rubric", "check")
    assert code == 0 and out.startswith("评分标准 版本 ") and "检查通过" in out
    copy = tmp_path / "rubrics"
    shutil.copytree(DEFAULT_RUBRIC_DIR, copy)
    code, out, _ = run(capsys, "rubric", "check", copy)
    assert code == 0 and "检查通过" in out


def test_rubric_check_a_bad_single_file_names_file_and_line(capsys, tmp_path):
    edited = tmp_path / "checklist.yaml"
    text = (DEFAULT_RUBRIC_DIR / "checklist.yaml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    line_number = next(i for i, line in enumerate(lines, start=1) if line.strip().startswith("points:"))
    lines[line_number - 1] = lines[line_number - 1].replace(lines[line_number - 1].split("points:")[1].strip(), "-1.4")
    edited.write_text("".join(lines), encoding="utf-8")
    code, out, err = run(capsys, "rubric", "check", edited)
    assert code == 2
    assert f"checklist.yaml 第{line_number}行" in err
    assert "1.4" in err
    assert "Traceback" not in out + err


def test_rubric_check_lists_the_problems_of_every_file_at_once(capsys, tmp_path):
    copy = tmp_path / "rubrics"
    shutil.copytree(DEFAULT_RUBRIC_DIR, copy)
    meta = copy / "meta.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "oops: a: b\n", encoding="utf-8")
    meta_line = len(meta.read_text(encoding="utf-8").splitlines())
    checklist = copy / "checklist.yaml"
    checklist.write_text(
        checklist.read_text(encoding="utf-8").replace("points: 5", "points: -1.4", 1), encoding="utf-8"
    )
    code, out, err = run(capsys, "rubric", "check", copy)
    assert code == 2 and not out
    assert err.startswith("评分标准有 2 处问题，请修改后重试：")
    assert f"meta.yaml 第{meta_line}行第8列：YAML 格式错误" in err
    assert "checklist.yaml 第" in err and "字段 items[" in err and "1.4" in err
    assert "Traceback" not in err and "mapping values" not in err


def test_rubric_check_an_unknown_file_or_path(capsys, tmp_path):
    other = tmp_path / "my_rules.yaml"
    other.write_text("a: 1\n", encoding="utf-8")
    code, _, err = run(capsys, "rubric", "check", other)
    assert code == 2 and "checklist.yaml" in err
    code, _, err = run(capsys, "rubric", "check", tmp_path / "nothing")
    assert code == 2 and "找不到评分标准" in err


# ------------------------------------------------------------------ the module entry
def test_python_dash_m_shows_chinese_help():
    done = subprocess.run(
        [sys.executable, "-m", "assessment", "--help"], capture_output=True, text=True, encoding="utf-8", check=False
    )
    assert done.returncode == 0
    assert "用法：" in done.stdout and "生成空白的填报模板" in done.stdout


def test_unknown_command_is_a_usage_error(capsys):
    code, _, err = run(capsys, "grade")
    assert code == 2
    assert "无效的选项" in err
