"""Rubric versions in the database: saved with author and note, validated, never overwritten, one current.

On SQLite and PostgreSQL (store_support). Also: results keep naming the version they were made
under; export, the 总览 export and the report score each result with the version it was decided with; the pages start from the current version; the
``rubric`` commands; two processes saving the same version string at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from fractions import Fraction

import pandas as pd
import pytest
from factories import master_data

from assessment.cli import main
from assessment.inputs.payload import payload_from_inputs
from assessment.outputs.tables import result_tables
from assessment.rubric import RubricError, default_rubric_dir, load_rubric, load_rubric_texts, read_rubric_texts
from assessment.rubric.settings import Change, apply_changes, prepare_version
from assessment.scoring import score
from assessment.store import Store, StoreError
from tests.factories import add_staff

pytest_plugins = ["store_support"]  # fixtures: database_url, store

YEAR = 2025
F = Fraction
BUILT_IN = load_rubric().version  # 2026.2
# Channel weights of the new version: 组织评定 0.1, 党员评议 0.5 (was 0.4, 0.2).
NEW_WEIGHTS = [
    Change("channels.yaml", ("channels", 0, "weight"), F(1, 10)),
    Change("channels.yaml", ("channels", 1, "weight"), F(1, 2)),
]


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return read_rubric_texts()[0]


@pytest.fixture(scope="module")
def new_version(texts):
    """2026.3: the built-in rubric with other channel weights, by 李四."""
    return prepare_version(texts, NEW_WEIGHTS, author="李四", note="提高党员评议的权重")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ first use
def test_a_fresh_database_stores_the_program_rubric_as_its_current_version(database_url, texts):
    with Store(database_url) as store:
        assert store.rubrics.versions() == []
        # When a page asks for its rubric the first time
        rubric = store.rubrics.current()
        # Then the built-in rubric is stored, as it is on disk, and marked current — once
        assert rubric.version == BUILT_IN and store.rubric.version == BUILT_IN
        (first,) = store.rubrics.versions()
        assert (first.version, first.current, first.author, first.based_on) == (BUILT_IN, True, "系统", None)
        assert store.rubrics.texts(BUILT_IN) == texts
        store.rubrics.current()
        assert len(store.rubrics.versions()) == 1
        saves = [e for e in store.records.audit() if e.action == "rubric_save"]
        assert len(saves) == 1 and saves[0].action_label == "保存评分标准版本"


def test_a_first_save_of_the_built_in_number_keeps_its_author(database_url, texts):
    with Store(database_url) as store:
        saved = store.rubrics.save(texts, author="李四", note="启用", make_current=False)
        # The first version is current whatever make_current says: exactly one is current once any is stored
        assert (saved.version, saved.author, saved.current) == (BUILT_IN, "李四", True)
        assert [(v.version, v.author) for v in store.rubrics.versions()] == [(BUILT_IN, "李四")]


# ------------------------------------------------------------------ save, list, read, switch
def test_save_list_read_and_switch(database_url, texts, new_version):
    with Store(database_url) as store:
        # When 李四 saves the new version
        saved = store.rubrics.save(new_version.texts, author="李四", note="提高党员评议的权重")
        # Then it is stored after the built-in one, based on it, and current
        assert (saved.version, saved.based_on, saved.current) == ("2026.3", BUILT_IN, True)
        assert [(v.version, v.current) for v in store.rubrics.versions()] == [(BUILT_IN, False), ("2026.3", True)]
        assert store.rubrics.texts("2026.3") == new_version.texts  # byte for byte, comments and all
        current = store.rubrics.current()
        assert current.version == "2026.3" and current.channel("member").weight == F(1, 2)
        assert (current.meta.author, current.meta.based_on) == ("李四", BUILT_IN)
        assert store.rubrics.stored(BUILT_IN).channel("member").weight == F(1, 5)

        # When an administrator switches back
        chosen = store.rubrics.set_current(BUILT_IN, by="管理员", reason="新权重暂缓执行")
        assert chosen.version == BUILT_IN and chosen.current
        assert store.rubrics.current().version == BUILT_IN
        (switch, *_) = [e for e in store.records.audit() if e.action == "rubric_current"]
        assert switch.actor == "管理员" and switch.action_label == "切换当前评分标准"
        assert switch.detail == {"from": "2026.3", "to": BUILT_IN, "reason": "新权重暂缓执行"}
        # Making the current version current again changes nothing
        store.rubrics.set_current(BUILT_IN, by="管理员", reason="再次确认")
        assert len([e for e in store.records.audit() if e.action == "rubric_current"]) == 2
        # An unknown version, an empty reason: refused in Chinese
        with pytest.raises(StoreError, match="数据库中没有评分标准版本“2030.1”，已保存的版本：2026.2、2026.3"):
            store.rubrics.set_current("2030.1", by="管理员", reason="x")
        with pytest.raises(StoreError, match="原因不能为空"):
            store.rubrics.set_current("2026.3", by="管理员", reason=" ")
        with pytest.raises(StoreError, match="没有评分标准版本"):
            store.rubrics.texts("2030.1")


def test_a_store_keeps_the_version_it_started_with_until_it_reads_again(database_url, new_version):
    with Store(database_url) as page, Store(database_url) as other:
        assert page.rubric.version == BUILT_IN
        other.rubrics.save(new_version.texts, author="李四", note="x")
        # A page already open goes on with its version (its forms were built for it) …
        assert page.rubric.version == BUILT_IN
        # … and the next page (a new store, or asking again) gets the new current one
        assert page.rubrics.current().version == "2026.3" and page.rubric.version == "2026.3"
        with Store(database_url) as next_page:
            assert next_page.rubric.version == "2026.3"


def test_saving_without_making_current(database_url, new_version):
    with Store(database_url) as store:
        store.rubrics.current()
        saved = store.rubrics.save(new_version.texts, author="李四", note="先保存", make_current=False)
        assert not saved.current and store.rubrics.current().version == BUILT_IN


# ------------------------------------------------------------------ refusals
def test_a_version_that_exists_is_refused_and_never_overwritten(database_url, new_version):
    with Store(database_url) as store:
        store.rubrics.save(new_version.texts, author="李四", note="第一次")
        # Another draft that also calls itself 2026.3 (different weights, different author)
        other = prepare_version(
            read_rubric_texts()[0],
            [
                Change("channels.yaml", ("channels", 0, "weight"), F(1, 2)),
                Change("channels.yaml", ("channels", 1, "weight"), F(1, 10)),
            ],
            author="王五",
            note="另一种调整",
        )
        assert other.version == "2026.3"
        with pytest.raises(
            StoreError, match=r"评分标准版本“2026.3”已经保存过（李四 于 .* 保存），已保存的版本不能覆盖"
        ):
            store.rubrics.save(other.texts, author="王五", note="另一种调整")
        assert store.rubrics.texts("2026.3") == new_version.texts
        assert [v.author for v in store.rubrics.versions()] == ["系统", "李四"]
        # The built-in number too, once stored
        with pytest.raises(StoreError, match="已经保存过"):
            store.rubrics.save(read_rubric_texts()[0], author="王五", note="x")


def test_an_invalid_rubric_is_refused_with_file_and_line(database_url, new_version):
    broken = dict(new_version.texts)
    broken["channels.yaml"] = broken["channels.yaml"].replace("weight: 0.5", "weight: 0.6", 1)
    with Store(database_url) as store:
        with pytest.raises(RubricError) as refused:
            store.rubrics.save(broken, author="李四", note="x")
        (problem,) = refused.value.problems
        assert problem.file == "channels.yaml" and problem.line is not None
        report = str(refused.value)
        assert f"channels.yaml 第{problem.line}行" in report and "四个通道的权重之和应为1，实际为 1.1" in report
        with pytest.raises(RubricError, match="缺少评分标准文件"):
            store.rubrics.save(
                {k: v for k, v in new_version.texts.items() if k != "targets.yaml"}, author="李四", note="x"
            )
        with pytest.raises(StoreError, match="修改人不能为空"):
            store.rubrics.save(new_version.texts, author=" ", note="x")
        with pytest.raises(StoreError, match="修改说明不能为空"):
            store.rubrics.save(new_version.texts, author="李四", note="")
        assert store.rubrics.versions() == []  # nothing was stored, not even the built-in one


def test_a_save_made_from_a_version_no_longer_current_is_refused(database_url, texts, new_version):
    with Store(database_url) as store:
        store.rubrics.save(new_version.texts, author="李四", note="x")
        # A page opened on 2026.2 before 李四 saved tries to save its own 2026.4 made from 2026.2
        late = prepare_version(texts, NEW_WEIGHTS, author="王五", note="y", taken={"2026.3"})
        with pytest.raises(StoreError, match="当前评分标准版本已由 2026.2 变为 2026.3"):
            store.rubrics.save(late.texts, author="王五", note="y", expect_current=BUILT_IN)
        assert [v.version for v in store.rubrics.versions()] == [BUILT_IN, "2026.3"]


# ------------------------------------------------------------------ results keep their version
@pytest.fixture
def imported(database_url, sample_inputs):
    """The sample street imported under the built-in version by a store that follows the current version."""
    with Store(database_url) as store:
        store.records.import_inputs(
            sample_inputs, year=YEAR, evaluator="张三", rubric_version=store.rubric, source="s.xlsx"
        )
        yield store


def test_revisions_keep_their_version_when_a_new_one_becomes_current(imported, sample_inputs, new_version):
    store = imported
    before = {r.id: r.rubric_version for r in store.records.revisions()}
    assert set(before.values()) == {BUILT_IN}
    # When 2026.3 is saved and made current
    store.rubrics.save(new_version.texts, author="李四", note="x")
    new = store.rubrics.current()
    # Then nothing stored changes version
    assert {r.id: r.rubric_version for r in store.records.revisions()} == before
    # A correction made now names 2026.3; one made on a form still open under 2026.2 names 2026.2 —
    # accepted with the old version's Rubric or its number, as long as that version is stored
    payload = payload_from_inputs(sample_inputs, "B01", new)
    now = store.records.submit("B01", YEAR, "张三", payload, new, reason="按新版本复核")
    old_form = store.records.submit(
        "B02", YEAR, "张三", payload_from_inputs(sample_inputs, "B02", load_rubric()), BUILT_IN, reason="旧表单"
    )
    old_object = store.records.submit(
        "003", YEAR, "张三", payload_from_inputs(sample_inputs, "003", load_rubric()), load_rubric(), reason="旧表单"
    )
    assert (now.rubric_version, old_form.rubric_version, old_object.rubric_version) == ("2026.3", BUILT_IN, BUILT_IN)
    versions = {(r.branch_id, r.revision_no): r.rubric_version for r in store.records.revisions()}
    assert versions == {
        ("B01", 1): BUILT_IN,
        ("B02", 1): BUILT_IN,
        ("003", 1): BUILT_IN,
        ("B01", 2): "2026.3",
        ("B02", 2): BUILT_IN,
        ("003", 2): BUILT_IN,
    }
    # A version that is not stored is refused, whether named or given as a Rubric
    with pytest.raises(StoreError, match="评分标准版本“1999.1”"):
        store.records.submit("B01", YEAR, "李四", payload, "1999.1")
    unstored = new.model_copy(update={"meta": new.meta.model_copy(update={"version": "1999.1"})})
    with pytest.raises(StoreError, match="评分标准版本“1999.1”没有保存在数据库中"):
        store.records.submit("B01", YEAR, "李四", payload, unstored)
    # So is a rubric that says it is 2026.3 but weighs otherwise (edited without a new version number)
    swapped = [
        Change("channels.yaml", ("channels", 0, "weight"), F(1, 2)),
        Change("channels.yaml", ("channels", 1, "weight"), F(1, 10)),
    ]
    same_number = load_rubric_texts(apply_changes(new_version.texts, swapped))
    assert same_number.version == new.version == "2026.3"
    with pytest.raises(StoreError, match="评分标准版本“2026.3”已保存在数据库中，但所用评分标准的内容与之不同"):
        store.records.submit("B01", YEAR, "李四", payload, same_number)
    assert max(r.revision_no for r in store.records.revisions() if r.branch_id == "B01") == 2


def test_export_scores_each_result_with_the_version_it_was_decided_with(
    imported, capsys, database_url, tmp_path, new_version
):
    imported.rubrics.save(new_version.texts, author="李四", note="x")
    new, old = imported.rubrics.current(), load_rubric()
    inputs, _ = imported.records.current_inputs(YEAR, old)
    decided = score(old, inputs, year=YEAR).branches["composite"]
    assert not decided.equals(score(new, inputs, year=YEAR).branches["composite"])

    # When exported from the command line (no --rubric) with 2026.3 current
    out_file = tmp_path / "导出.xlsx"
    code, out, err = run(capsys, "export", "--out", out_file, "--database", database_url)
    assert code == 0, err
    assert f"评分标准版本 {BUILT_IN}，按评定时的版本" in out
    # Then the results are those decided under the built-in version (switching does not re-score them),
    # and 修订记录 names each revision's own version
    results = pd.read_excel(out_file, sheet_name="结果", dtype=object).set_index("支部编号")
    assert set(results["评分标准版本"]) == {BUILT_IN}
    sheet = result_tables(score(old, inputs, year=YEAR), old)["结果"].set_index("支部编号")
    assert list(results["综合得分"].astype(float).fillna(-1)) == list(sheet["综合得分"].astype(float).fillna(-1))
    revisions = pd.read_excel(out_file, sheet_name="修订记录", dtype=object)
    assert set(revisions["评分标准版本"]) == {BUILT_IN}

    # --rubric is a what-if: every submission scored with that folder's rubric, and it says so
    folder = tmp_path / "假设"
    folder.mkdir()
    for name, text in new_version.texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    code, out, err = run(capsys, "export", "--out", out_file, "--database", database_url, "--rubric", folder)
    assert code == 0, err
    assert "假设评分：按 --rubric 的评分标准版本 2026.3 重新评分" in out
    results = pd.read_excel(out_file, sheet_name="结果", dtype=object).set_index("支部编号")
    expected = result_tables(score(new, inputs, year=YEAR), new)["结果"].set_index("支部编号")
    assert list(results["综合得分"].astype(float).fillna(-1)) == list(expected["综合得分"].astype(float).fillna(-1))
    assert len(imported.records.revisions()) == len(revisions)  # nothing stored


def test_import_without_rubric_uses_the_current_version(capsys, database_url, sample_workbook, new_version):
    with Store(database_url) as store:
        store.rubrics.save(new_version.texts, author="李四", note="x")
    code, out, err = run(capsys, "import", sample_workbook, "--database", database_url)
    assert code == 0, err
    assert "评分标准 版本 2026.3" in out
    with Store(database_url) as store:
        assert {r.rubric_version for r in store.records.revisions()} == {"2026.3"}


# ------------------------------------------------------------------ two processes at once
SAVE_AT_ONCE = """
    import json, sys, time
    from assessment.store import Store, StoreError
    url, texts_path, note, at = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    texts = json.loads(open(texts_path, encoding="utf-8").read())
    with Store(url) as store:
        store.rubrics.current()
        time.sleep(max(0.0, at - time.time()))
        try:
            store.rubrics.save(texts, author=note, note=note)
            print("saved")
        except StoreError as refused:
            print("refused", refused)
"""

FIRST_USE_AT_ONCE = """
    import sys, time
    from assessment.store import Store
    url, at = sys.argv[1], float(sys.argv[2])
    with Store(url) as store:
        time.sleep(max(0.0, at - time.time()))
        print(store.rubrics.current().version)
"""


def _start(script: str, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *[str(a) for a in args]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(processes) -> list[str]:
    outputs = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, f"exit {process.returncode}\n{out}\n{err}"
        outputs.append(out.strip())
    return outputs


@pytest.mark.slow
def test_two_processes_saving_the_same_version_at_once_exactly_one_wins(database_url, tmp_path, new_version):
    with Store(database_url) as store:
        store.rubrics.current()
    path = tmp_path / "texts.json"
    path.write_text(json.dumps(new_version.texts, ensure_ascii=False), encoding="utf-8")
    at = time.time() + 4.0
    outputs = _finish([_start(SAVE_AT_ONCE, database_url, path, who, at) for who in ("甲", "乙")])
    assert sorted(o.split()[0] for o in outputs) == ["refused", "saved"], outputs
    assert "已经保存过" in next(o for o in outputs if o.startswith("refused"))
    with Store(database_url) as store:
        versions = store.rubrics.versions()
        assert [v.version for v in versions] == [BUILT_IN, "2026.3"]
        assert versions[1].current and versions[1].author in ("甲", "乙")
        assert [e.action for e in store.records.audit()].count("rubric_save") == 2


@pytest.mark.slow
def test_processes_using_a_fresh_database_at_once_store_the_built_in_version_once(database_url):
    with Store(database_url):
        pass
    at = time.time() + 4.0
    outputs = _finish([_start(FIRST_USE_AT_ONCE, database_url, at) for _ in range(3)])
    assert outputs == [BUILT_IN] * 3
    with Store(database_url) as store:
        assert [v.version for v in store.rubrics.versions()] == [BUILT_IN]
        assert [e.action for e in store.records.audit()].count("rubric_save") == 1


def test_report_and_overview_export_show_the_decided_version(imported, capsys, database_url, tmp_path, new_version):
    from assessment.outputs.branch_pdf import pdf_available

    imported.rubrics.save(new_version.texts, author="李四", note="x")
    # The overview workbook names the version the year was decided with, and the current one
    out_file = tmp_path / "总览.xlsx"
    code, out, err = run(capsys, "overview-export", "--out", out_file, "--database", database_url)
    assert code == 0, err
    assert f"按评定时的评分标准版本 {BUILT_IN}，当前版本 2026.3" in out
    notes = pd.read_excel(out_file, sheet_name="说明", dtype=str).set_index("项目")["内容"]
    assert notes["评分标准版本"] == BUILT_IN and "当前版本 2026.3" in notes["版本说明"]
    # --rubric still chooses a folder instead, as a labelled what-if
    code, out, err = run(
        capsys, "overview-export", "--out", out_file, "--database", database_url, "--rubric", default_rubric_dir()
    )
    assert code == 0 and f"假设评分：全部年度按 --rubric 的评分标准版本 {BUILT_IN} 重新评分" in out, err
    notes = pd.read_excel(out_file, sheet_name="说明", dtype=str).set_index("项目")["内容"]
    assert notes["评分标准版本"] == f"{BUILT_IN}（假设评分）" and notes["版本说明"].startswith("假设评分")
    # The printed report of a branch is scored with the version it was decided with too
    if not pdf_available():
        pytest.fail("WeasyPrint/Pango missing: scripts/setup.sh installs them")
    folder = tmp_path / "报告"
    code, out, err = run(
        capsys, "report", "--year", YEAR, "--out", folder, "--branch", "B01", "--html", "--database", database_url
    )
    assert code == 0, err
    assert f"评分标准版本 {BUILT_IN}，按评定时的版本" in out
    (html_file,) = folder.glob("*.html")
    assert f"评分标准版本 {BUILT_IN}（评定时的版本；当前版本为 2026.3" in html_file.read_text(encoding="utf-8")


# ------------------------------------------------------------------ the command line
def test_rubric_commands_export_save_list_use(capsys, database_url, tmp_path):
    # A fresh database has no version yet, and says which one it will store
    code, out, _ = run(capsys, "rubric", "versions", "--database", database_url)
    assert code == 0 and f"首次使用时将保存程序自带的版本（{BUILT_IN}）" in out

    # Export the current version, edit it, save it as 2026.3
    folder = tmp_path / "新标准"
    code, out, err = run(capsys, "rubric", "export", "current", "--out", folder, "--database", database_url)
    assert code == 0, err
    assert f"已写出评分标准版本 {BUILT_IN}（9 个文件）" in out
    assert {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.yaml")} == read_rubric_texts()[0]
    code, _, err = run(capsys, "rubric", "export", BUILT_IN, "--out", folder, "--database", database_url)
    assert code == 2 and "已有 YAML 文件" in err
    channels = folder / "channels.yaml"
    channels.write_text(
        channels.read_text(encoding="utf-8")
        .replace("weight: 0.4", "weight: 0.5", 1)
        .replace("weight: 0.2", "weight: 0.1", 1),
        encoding="utf-8",
    )
    meta = folder / "meta.yaml"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace(f'version: "{BUILT_IN}"', 'version: "2026.3"'), encoding="utf-8"
    )
    code, out, err = run(
        capsys, "rubric", "save", folder, "--author", "李四", "--note", "提高组织评定权重", "--database", database_url
    )
    assert code == 0, err
    assert f"与当前版本 {BUILT_IN} 相比有 3 处不同" in out
    assert "channels.yaml · 四评通道权重 · 组织评定：0.4 → 0.5" in out
    assert "已保存评分标准版本 2026.3" in out and "并设为当前版本" in out

    # Saving it again is refused; so is a broken rubric, with file and line
    code, _, err = run(
        capsys, "rubric", "save", folder, "--author", "李四", "--note", "再存一次", "--database", database_url
    )
    assert code == 2 and "已经保存过" in err
    channels.write_text(channels.read_text(encoding="utf-8").replace("weight: 0.5", "weight: 0.6", 1), encoding="utf-8")
    code, _, err = run(capsys, "rubric", "save", folder, "--author", "李四", "--note", "x", "--database", database_url)
    assert code == 2 and "channels.yaml 第" in err and "权重之和应为1" in err

    # The list shows both, the new one current
    code, out, _ = run(capsys, "rubric", "versions", "--database", database_url)
    lines = out.splitlines()
    assert lines[0].startswith("版本\t当前")
    assert lines[1].startswith(f"{BUILT_IN}\t\t") and "系统" in lines[1]
    assert lines[2].startswith("2026.3\t是\t") and "李四" in lines[2] and "提高组织评定权重" in lines[2]

    # Switch back, then an unknown version
    code, out, _ = run(
        capsys, "rubric", "use", BUILT_IN, "--by", "管理员", "--reason", "暂缓执行", "--database", database_url
    )
    assert code == 0 and f"当前评分标准版本：2026.3 → {BUILT_IN}" in out
    code, out, _ = run(capsys, "rubric", "use", BUILT_IN, "--by", "管理员", "--reason", "x", "--database", database_url)
    assert code == 0 and "已是当前版本" in out
    code, _, err = run(capsys, "rubric", "use", "2030.1", "--by", "管理员", "--reason", "x", "--database", database_url)
    assert code == 2 and "没有评分标准版本“2030.1”" in err
    code, _, err = run(capsys, "rubric", "use", BUILT_IN, "--by", "管理员", "--database", database_url)
    assert code == 2 and "--reason" in err


# ------------------------------------------------------------------ the pages start from the current version
@pytest.fixture
def street_url(database_url):
    """The demo street's branches and log (no evaluation), and 2026.3 (other channel weights) current."""
    from assessment.demo.street import generate_demo

    rubric = load_rubric()
    demo = generate_demo(rubric, year=YEAR)
    master = master_data(demo)
    with Store(database_url) as store:
        store.records.import_inputs(
            master, year=YEAR, evaluator="数据管理员", rubric_version=store.rubric, source="示例街道"
        )
        store.rubrics.save(
            prepare_version(store.rubrics.texts(BUILT_IN), NEW_WEIGHTS, author="李四", note="x").texts,
            author="李四",
            note="提高党员评议的权重",
        )
    return database_url


@pytest.fixture
def signed_in(street_url, monkeypatch):
    """The server's session of a 区委 account in the kernel's environment, as the server passes it."""
    with Store(street_url) as store:
        monkeypatch.setenv("SIPING_SESSION", add_staff(store, "李区委", "区委"))


@pytest.mark.usefixtures("signed_in")
def test_the_evaluator_page_scores_and_submits_with_the_current_version(street_url, monkeypatch):
    from assessment.pages.evaluate.app import EvaluateApp
    from tests.test_evaluate_app import fill_everything, open_branch

    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", street_url)
    # When the page opens
    app = EvaluateApp.from_env()
    assert app.error.value == ""
    assert app.rubric.version == "2026.3"
    open_branch(app)
    fill_everything(app, app.rubric)
    # Then the composite uses 2026.3's weights: full marks, 党员评议 99, 群众评判 (4000+120)/42 ≈ 98.10,
    # 0.1×100 + 0.5×99 + 0.2×98.095 + 0.2×100 = 99.12 (under 2026.2's 0.4/0.2 it is 99.42)
    assert app.panel.composite == "99.12"
    assert "评分标准版本 2026.3" in app.session.value
    # And the submission names 2026.3
    app.submit_button.click()
    with Store(street_url) as store:
        (revision,) = store.records.revisions("JD001", YEAR)
        assert revision.rubric_version == "2026.3"


@pytest.mark.usefixtures("signed_in")
def test_the_self_assessment_and_overview_pages_use_the_current_version(street_url, monkeypatch):
    from assessment.pages.overview.app import OverviewApp
    from assessment.pages.self_assess.app import SelfAssessApp

    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", street_url)
    with Store(street_url) as store:
        assert SelfAssessApp(store).rubric.version == "2026.3"
        issued = store.access.issue("JD001", YEAR, by="管理员")
    app = SelfAssessApp.from_env()
    assert app.enter(issued.code) and app.rubric.version == "2026.3"
    overview = OverviewApp.from_env()
    assert overview.rubric.version == "2026.3" and "评分标准版本 2026.3" in overview.title.value


@pytest.mark.usefixtures("signed_in")
def test_the_weights_page_starts_from_the_current_version(street_url, monkeypatch):
    from assessment.pages.weights.app import WeightsApp

    monkeypatch.setenv("ASSESSMENT_DATABASE_URL", street_url)
    app = WeightsApp.from_source()
    assert app.ready and app.error.value == ""
    assert "当前评分标准版本 2026.3" in app.title.value
    assert app.state.values["channels.member"] == F(1, 2)
    assert load_rubric_texts(app.texts).version == "2026.3"


def test_a_new_indicator_leaves_earlier_submissions_incomplete_naming_it(imported, sample_inputs):
    store = imported
    texts = store.rubrics.texts(BUILT_IN)
    checklist = texts["checklist.yaml"]
    # 2026.3 splits s1's points with a new indicator s9 (规范基本设置 keeps its 15 points)
    assert "    points: 5\n    key: true\n" in checklist
    checklist = checklist.replace("    points: 5\n    key: true\n", "    points: 3\n    key: true\n", 1)
    checklist = checklist.rstrip("\n") + (
        "\n  - id: s9\n    label: 支部议事规则\n    area: setting\n    strength: team\n    kind: points\n"
        "    points: 2\n    description: 制定并执行支部议事规则。\n"
        "    advice: 制定议事规则并报上级党组织备案。\n    source: 测试\n"
    )
    changed = dict(texts, **{"checklist.yaml": checklist})
    changed["meta.yaml"] = changed["meta.yaml"].replace(f'version: "{BUILT_IN}"', 'version: "2026.3"')
    store.rubrics.save(changed, author="李四", note="增加议事规则指标")
    new = store.rubrics.current()
    assert [i.id for i in new.items][-1] == "s9"
    inputs, _ = store.records.current_inputs(YEAR, new)
    results = score(new, inputs, year=YEAR).branches
    before = score(load_rubric(), sample_inputs, year=YEAR).branches
    was_complete = before.index[before["status"] == "已完成"]
    assert len(was_complete)
    for branch in was_complete:
        assert results.loc[branch, "status"] == "未完成"
        assert "s9" in results.loc[branch, "missing"] or "支部议事规则" in results.loc[branch, "missing"]
