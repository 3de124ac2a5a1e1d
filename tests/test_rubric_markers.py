"""The markers code reads instead of ids (workflow.yaml: a role's kind, a state's holds/revokes/fails;
members.yaml: the roles, statuses and rules), and the keys removed because nothing applied them: a
missing, unknown or contradictory marker is refused in Chinese with file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assessment.rubric import DEFAULT_RUBRIC_DIR, RubricError, load_rubric


@pytest.fixture
def rubric_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rubrics"
    shutil.copytree(DEFAULT_RUBRIC_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fixture text not found once: {old!r}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, needle: str, *, exact: bool = False) -> int:
    """The one line holding ``needle`` (with ``exact``: the one line that is ``needle``, indent aside)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    (number,) = [n for n, line in enumerate(lines, start=1) if (line.strip() == needle if exact else needle in line)]
    return number


def only_problem(directory: Path):
    with pytest.raises(RubricError) as caught:
        load_rubric(directory)
    (problem,) = caught.value.problems
    return problem


# ------------------------------------------------------------------ workflow.yaml
def test_a_role_without_its_kind_names_the_line(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    line = line_of(path, "{id: street, label: 街道, kind:")
    edit(path, "label: 街道, kind: staff,", "label: 街道,")
    problem = only_problem(rubric_copy)
    assert problem.file.endswith("workflow.yaml") and problem.line == line
    assert problem.field.startswith("roles[street]") and problem.message == "缺少必填字段"


def test_an_unknown_kind_or_holds_lists_the_known_ones(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(path, "label: 区委, kind: staff,", "label: 区委, kind: stuff,")
    edit(path, "holds: city,", "holds: town,")
    with pytest.raises(RubricError) as caught:
        load_rubric(rubric_copy)
    found = {p.line: p.message for p in caught.value.problems}
    assert "取值为 'stuff'，应为 'branch'、'staff'" in found[line_of(path, "kind: stuff")]
    assert "取值为 'town'，应为 'standardized'、'strongest'、'city'" in found[line_of(path, "holds: town")]


def test_a_misspelt_marker_is_an_unknown_field(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(path, "label: 撤销, revokes: true,", "label: 撤销, revoke: true,")
    problem = only_problem(rubric_copy)
    assert (problem.line, problem.message) == (line_of(path, "revoke: true"), "未知字段（是否拼写有误？），值为 True")


def test_without_a_revoking_state_designations_would_never_end(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(path, "label: 撤销, revokes: true,", "label: 撤销,")
    problem = only_problem(rubric_copy)
    assert problem.line == line_of(path, "states:", exact=True)
    assert problem.message == "没有 revokes: true 的状态（撤销评定，001 §四(四)）"


def test_without_a_state_holding_strongest_the_overview_could_not_count_it(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(
        path,
        "label: 已评定最强, designation: true, holds: strongest,",
        "label: 已评定最强, designation: true, holds: city,",
    )
    problem = only_problem(rubric_copy)
    assert problem.file.endswith("workflow.yaml") and problem.line == line_of(path, "states:", exact=True)
    assert problem.message.startswith("没有 holds: strongest 的状态（最强）")


def test_two_states_may_hold_the_same_designation_but_a_benefit_needs_its_own(rubric_copy):
    # 最强申报 and 已达标 both hold 达标 in the default rubric; two states holding 最强 are allowed too …
    path = rubric_copy / "workflow.yaml"
    edit(
        path,
        "label: 市委评定最强, designation: true, holds: city,",
        "label: 市委评定最强, designation: true, holds: strongest,",
    )
    # … but then nothing holds the 市委 designation the city subsidy of targets.yaml is paid for
    problem = only_problem(rubric_copy)
    targets = rubric_copy / "targets.yaml"
    assert problem.file.endswith("targets.yaml") and problem.line == line_of(targets, "id: city_subsidy")
    assert "按评定 city（市委评定最强）计，但 workflow.yaml 中没有 holds: city 的状态" in problem.message


def test_contradictory_markers_on_one_state(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(path, "label: 未通过, fails: true,", "label: 未通过, fails: true, revokes: true,")
    problem = only_problem(rubric_copy)
    assert problem.line == line_of(path, "label: 未通过")
    assert problem.message == "状态 failed 的标记 revokes、fails 不能同时使用"


def test_a_designation_must_say_what_it_holds(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(path, "label: 已达标, designation: true, holds: standardized,", "label: 已达标, designation: true,")
    problem = only_problem(rubric_copy)
    assert problem.line == line_of(path, "label: 已达标,")
    assert problem.message == "状态 standardized 是一项评定（designation: true），须用 holds 写明持有哪一项评定"


def test_the_initial_state_holds_nothing(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(path, "{id: self_assessing, label: 自评中,", "{id: self_assessing, label: 自评中, holds: standardized,")
    problem = only_problem(rubric_copy)
    assert problem.line == line_of(path, "label: 自评中,")
    assert problem.message == "初始状态 self_assessing 不能带标记（standardized）：支部每年从它开始"


def test_exactly_one_role_is_the_branch_and_one_at_least_is_staff(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(path, "label: 街道, kind: staff,", "label: 街道, kind: branch,")
    edit(path, "label: 区委, kind: staff,", "label: 区委, kind: branch,")
    with pytest.raises(RubricError) as caught:
        load_rubric(rubric_copy)
    found = {p.line: p.message for p in caught.value.problems}
    assert found[line_of(path, "label: 街道, kind:")].startswith("应恰有一个 kind: branch 的角色")
    assert "实际有3个" in found[line_of(path, "label: 街道, kind:")]
    assert found[line_of(path, "roles:", exact=True)] == "至少需要一个 kind: staff 的角色（街道党工委或区委组织部）"


# ------------------------------------------------------------------ members.yaml
def test_the_member_roles_need_one_secretary_on_the_committee(rubric_copy):
    path = rubric_copy / "members.yaml"
    edit(path, "{label: 副书记, committee: true,", "{label: 副书记, committee: true, secretary: true,")
    problem = only_problem(rubric_copy)
    assert problem.file.endswith("members.yaml") and problem.line == line_of(path, "label: 副书记")
    assert problem.message == "应恰有一个 secretary: true 的职务（支部书记），实际有2个"


def test_the_secretary_sits_on_the_committee_and_some_status_is_full(rubric_copy):
    path = rubric_copy / "members.yaml"
    edit(path, "{label: 书记, committee: true, secretary: true,", "{label: 书记, secretary: true,")
    edit(path, "{label: 正式党员, full: true,", "{label: 正式党员,")
    with pytest.raises(RubricError) as caught:
        load_rubric(rubric_copy)
    found = {p.line: p.message for p in caught.value.problems}
    assert found[line_of(path, "label: 书记, secretary")] == "书记职务“书记”也是支委会成员，应写 committee: true"
    assert (
        found[line_of(path, "statuses:", exact=True)]
        == "没有 full: true 的身份（正式党员）：组织设置规则按正式党员人数判断"
    )


def test_a_member_rule_is_required_with_its_advice(rubric_copy):
    path = rubric_copy / "members.yaml"
    edit(path, "  secretary_present:\n", "  secretary_presence:\n")
    edit(path, "    advice: 逐一联系所列党员", "    hint: 逐一联系所列党员")
    with pytest.raises(RubricError) as caught:
        load_rubric(rubric_copy)
    assert all(p.file.endswith("members.yaml") for p in caught.value.problems)
    found = sorted((p.line, p.message[:6]) for p in caught.value.problems)
    assert found == sorted(
        [
            (line_of(path, "rules:", exact=True), "缺少必填字段"),  # secretary_present
            (line_of(path, "secretary_presence:", exact=True), "未知字段（是"),
            (line_of(path, "dues_lapse:", exact=True), "缺少必填字段"),  # its advice
            (line_of(path, "hint: 逐一联系所列党员"), "未知字段（是"),
        ]
    )


def test_the_secretary_training_can_only_be_checked_once_a_year(rubric_copy):
    path = rubric_copy / "members.yaml"
    edit(path, "upper_training_per_year: 1", "upper_training_per_year: 2")
    problem = only_problem(rubric_copy)
    assert problem.line == line_of(path, "upper_training_per_year: 2")
    assert "只能检查每年1次（写1）或不检查（写0），实际为 2" in problem.message


@pytest.mark.parametrize(
    ("file", "anchor", "key"),
    [
        ("members.yaml", "rules:\n", 'meeting_votes:\n  quorum_share: "1/2"\n'),
        ("members.yaml", "rules:\n", "training:\n  new_member_course_first_year: 1\n"),
        ("channels.yaml", "      base: participants\n", "      levels_choice: true\n"),
    ],
)
def test_keys_nothing_applied_are_gone(rubric_copy, file, anchor, key):
    path = rubric_copy / file
    edit(path, anchor, key + anchor)
    problem = only_problem(rubric_copy)
    assert problem.file.endswith(file) and problem.line == line_of(path, key.split("\n")[0].strip(), exact=True)
    assert problem.message.startswith("未知字段")


# ------------------------------------------------------------------ workflow.yaml: accounts
def test_the_account_roles_say_what_each_may_do():
    workflow = load_rubric().workflow
    street, district, analyst = (workflow.account_role(label) for label in ("街道", "区委", "分析"))
    assert (street.scope, street.acts_as, set(street.may)) == ("street", "street", {"score", "move"})
    assert (district.scope, district.acts_as, set(district.may)) == ("district", "district", {"score", "move"})
    assert (analyst.scope, analyst.acts_as, set(analyst.may)) == ("district", None, {"rubric"})
    assert workflow.account_role("analyst") is analyst and workflow.account_role("管理员") is None


def test_an_account_role_that_moves_must_act_as_a_staff_role(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(
        path,
        "{id: analyst, label: 分析, scope: district, may: [rubric],",
        "{id: analyst, label: 分析, scope: district, may: [rubric, move],",
    )
    problem = only_problem(rubric_copy)
    assert problem.line == line_of(path, "{id: analyst, label: 分析,")
    assert problem.message == "有 move 权限的账户角色须用 acts_as 写明在流程中以哪个角色操作"


def test_an_account_role_acts_as_a_staff_role_only(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(path, "{id: district, label: 区委, acts_as: district,", "{id: district, label: 区委, acts_as: branch,")
    problem = only_problem(rubric_copy)
    assert problem.line == line_of(path, "{id: district, label: 区委, acts_as: branch,")
    assert problem.message == "acts_as 应为 kind: staff 的角色（district、street），实际为“branch”"


def test_some_account_role_may_save_rubric_versions(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    edit(
        path,
        "{id: analyst, label: 分析, scope: district, may: [rubric],",
        "{id: analyst, label: 分析, scope: district, may: [],",
    )
    problem = only_problem(rubric_copy)
    assert problem.message == "没有可以保存评分标准版本（may: rubric）的账户角色"
    assert problem.line == line_of(path, "accounts:", exact=True)


def test_a_rubric_written_before_accounts_loads_without_them(rubric_copy):
    path = rubric_copy / "workflow.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("\n# 工作人员账户")] + "\n", encoding="utf-8")
    assert load_rubric(rubric_copy).workflow.accounts is None
