"""``assessment import`` and ``assessment export``: a workbook into the database, results out of it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from assessment.cli import main
from assessment.store import Store

pytest_plugins = ["store_support"]  # fixtures: database_url

RESULT_SHEETS = ["结果", "明细", "自查对照", "组织生活", "组织设置", "否决明细", "评分标准"]
REVISION_HEADERS = ["支部编号", "修订号", "时间", "评估人", "评分标准版本", "状态", "更正原因"]


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def sheet(path: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, dtype=object).fillna("")


def by_branch(frame: pd.DataFrame) -> pd.DataFrame:
    if "支部编号" not in frame:
        return frame
    return frame.sort_values("支部编号", kind="stable").reset_index(drop=True)


def test_import_stores_the_workbook_and_says_what(capsys, database_url, sample_workbook):
    code, out, err = run(capsys, "import", sample_workbook, "--database", database_url)
    assert code == 0, err
    # The year is the one most activity rows fall in; the evaluator defaults to 导入.
    assert "已导入 sample.xlsx（2025年度，考评人 导入" in out
    assert "3 个支部（新增 3 个），3 个支部的活动记录共 5 条，3 份考评提交" in out
    with Store(database_url) as store:
        assert len(store.records.branches()) == 3
        assert {r.evaluator for r in store.records.revisions()} == {"导入"}
        assert store.records.years() == [2025]


def test_import_with_a_year_the_log_does_not_cover_warns(capsys, database_url, sample_workbook):
    code, out, err = run(capsys, "import", sample_workbook, "--database", database_url, "--year", 2024)
    assert code == 0 and "2024年度" in out
    assert "有 5 条活动记录的日期不在2024年，评分时不计入；请确认 --year 是否正确" in err


def test_a_workbook_with_problems_stores_nothing(capsys, database_url, sample_workbook, edit_workbook):
    edit_workbook(sample_workbook, [("党员评议", 3, "优秀", "十二")])
    code, _, err = run(capsys, "import", sample_workbook, "--database", database_url, "--evaluator", "张三")
    assert code == 2
    assert "工作簿有 1 处问题" in err and "未导入，数据库没有任何改动" in err
    with Store(database_url) as store:
        assert store.records.branches().empty and store.records.revisions() == []


def test_export_writes_the_score_sheets_and_the_revision_log(capsys, database_url, sample_workbook, tmp_path):
    # Given the workbook imported twice by 张三 (the second time a correction) and once by 李四
    for evaluator in ("张三", "张三", "李四"):
        code, _, err = run(
            capsys, "import", sample_workbook, "--database", database_url, "--evaluator", evaluator, "--year", 2025
        )
        assert code == 0, err

    # When exported
    out_file = tmp_path / "导出.xlsx"
    code, out, err = run(capsys, "export", "--out", out_file, "--database", database_url)

    # Then the sheets are those of `score` plus 修订记录, and the results are the workbook's
    assert code == 0, err
    assert "2025年度评分完成：3 个支部" in out and "修订记录 9 条" in out
    assert load_workbook(out_file, read_only=True).sheetnames == [*RESULT_SHEETS, "修订记录"]
    scored = tmp_path / "score.xlsx"
    assert run(capsys, "score", sample_workbook, "--year", 2025, "--out", scored)[0] == 0
    for name in RESULT_SHEETS:  # the database lists branches by 支部编号, the workbook in its own order
        pd.testing.assert_frame_equal(by_branch(sheet(out_file, name)), by_branch(sheet(scored, name)))

    log = sheet(out_file, "修订记录")
    assert list(log.columns) == REVISION_HEADERS
    b01 = log[log["支部编号"] == "B01"]
    assert list(b01["修订号"]) == [1, 2, 3]
    assert list(b01["评估人"]) == ["张三", "张三", "李四"]
    assert list(b01["状态"]) == ["已被更正", "已提交", "已提交"]
    assert list(b01["更正原因"]) == ["", "重新导入 sample.xlsx", ""]
    assert set(log["评分标准版本"]) == {sheet(scored, "结果")["评分标准版本"].iloc[0]}
    # Beijing wall-clock time (the one local time of pages, exports and reports), e.g. 2025-06-01 18:30:05
    beijing = dt.timezone(dt.timedelta(hours=8))
    times = [dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S").replace(tzinfo=beijing) for t in log["时间"]]
    assert all(abs(dt.datetime.now(dt.UTC) - t) < dt.timedelta(minutes=5) for t in times)


def test_export_to_a_csv_directory(capsys, database_url, sample_workbook, tmp_path):
    assert run(capsys, "import", sample_workbook, "--database", database_url)[0] == 0
    code, _, err = run(capsys, "export", "--out", tmp_path / "结果", "--year", 2025, "--database", database_url)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "结果").iterdir()) == sorted(
        f"{name}.csv" for name in [*RESULT_SHEETS, "修订记录"]
    )


def test_export_from_an_empty_database_says_so(capsys, database_url, tmp_path):
    code, out, err = run(capsys, "export", "--out", tmp_path / "x.xlsx", "--database", database_url)
    assert code == 2 and out == ""
    assert "数据库中还没有数据" in err and "import" in err
    assert not (tmp_path / "x.xlsx").exists()


def test_export_of_a_year_not_in_the_database(capsys, database_url, sample_workbook, tmp_path):
    assert run(capsys, "import", sample_workbook, "--database", database_url)[0] == 0
    code, _, err = run(capsys, "export", "--out", tmp_path / "x.xlsx", "--year", 2024, "--database", database_url)
    assert code == 2 and "没有2024年度的数据，已有年度：2025" in err


def test_the_database_comes_from_the_environment(capsys, monkeypatch, sample_workbook, tmp_path):
    url = f"sqlite:///{tmp_path / 'env.sqlite'}"
    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", url)
    code, out, _ = run(capsys, "import", sample_workbook, "--evaluator", "张三")
    assert code == 0 and f"数据库：{url}" in out
    assert (tmp_path / "env.sqlite").exists()


def test_a_bad_database_url_is_a_user_error(capsys, sample_workbook, tmp_path):
    code, _, err = run(capsys, "import", sample_workbook, "--database", "不是地址")
    assert code == 2 and "错误：数据库地址无效" in err and "Traceback" not in err
    missing_dir = tmp_path / "nowhere" / "x.sqlite"
    code, _, err = run(capsys, "export", "--out", tmp_path / "x.xlsx", "--database", f"sqlite:///{missing_dir}")
    assert code == 2 and "无法打开数据库" in err


def test_the_password_is_never_printed(capsys, sample_workbook):
    code, _, err = run(
        capsys, "import", sample_workbook, "--database", "postgresql://siping:topsecret@127.0.0.1:1/none"
    )
    assert code == 2 and "无法打开数据库" in err and "topsecret" not in err


def test_user_text_that_looks_like_a_formula_is_exported_as_text(capsys, database_url, sample_workbook, tmp_path):
    # Given an evaluator named like a formula, and a correction whose reason is a DDE payload
    name = '=HYPERLINK("http://example.invalid","点我")'
    reason = "=cmd|' /C calc'!A0"
    assert run(capsys, "import", sample_workbook, "--database", database_url, "--evaluator", name)[0] == 0
    with Store(database_url) as store:
        payload = store.records.current_submissions("B01", 2025)[name].payload
        store.records.submit("B01", 2025, name, payload, store.rubric.version, reason=reason)
    # When the results are exported as a workbook and as CSV files
    xlsx = tmp_path / "结果.xlsx"
    assert run(capsys, "export", "--out", xlsx, "--year", 2025, "--database", database_url)[0] == 0
    assert run(capsys, "export", "--out", tmp_path / "csv", "--year", 2025, "--database", database_url)[0] == 0
    # Then no cell of the workbook is a formula, and the texts are there as typed
    book = load_workbook(xlsx)
    cells = [cell for sheet_ in book.worksheets for row in sheet_.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    texts = {cell.value for cell in book["修订记录"].iter_rows(min_row=2) for cell in [*cell] if cell.value}
    assert name in texts and reason in texts
    # And in the CSV files such a field starts with ' so that Excel or WPS opens it as text
    log = pd.read_csv(tmp_path / "csv" / "修订记录.csv", dtype=str, encoding="utf-8-sig").fillna("")
    assert "'" + name in set(log["评估人"]) and "'" + reason in set(log["更正原因"])
