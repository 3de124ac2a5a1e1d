"""Workflow statuses for the demo street, so that the 总览's funnel and designations show something.

:func:`seed_demo_workflow` moves the branches of a database holding the demo street through the
acceptance workflow (rubrics/workflow.yaml) with the store's own API — a branch applies with its
access code (:class:`~assessment.store.BranchSession`), the street and the district move it on —
every move by “演示数据” with a reason that says so. Who goes where follows from each year's scored
results and the branch's place in the register, so the same data always give the same statuses:

- finished years (all but the latest): 最强资格 → 已评定最强; 达标 → 已达标; others alternately
  未通过 (applied, failed the street's evaluation) and 自评中 (never applied); 软弱涣散 stay 自评中;
- the latest year, still in progress: some of each group are halfway (最强申报, 街道考评中,
  待区委验收, 已申请), and one 已达标 branch a department reported against is 撤销;
- a branch whose committee term is already over today cannot be designated (the store refuses a
  designation that would end before it begins): it stays 待区委验收 until its election is recorded.

Each move rests on the branch's recorded result, as the store requires: the demo's paths only lead
where that result allows.

A year in which any branch has already moved is left alone, so running it twice changes nothing.
``python -m assessment demo --seed-workflow`` runs it on the configured database.

The paths name the states and roles of the default rubric (rubrics/workflow.yaml). A rubric whose
workflow lacks one of their moves is refused before anything moves (:class:`DemoWorkflowError`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..inputs.payload import payload_from_inputs
from ..localtime import local_date
from ..rubric import Rubric
from ..scoring import score
from ..store.database import now
from ..store.workflow import designation_until

__all__ = [
    "DEMO_ACTOR",
    "DemoWorkflowError",
    "SeedReport",
    "check_demo_paths",
    "designated_on_the_way",
    "planned_status",
    "seed_demo_workflow",
    "term_over",
]

DEMO_ACTOR = "演示数据"

# The moves that lead from 自评中 to each state: (to, role, reason). The first move, 申请考评, is the
# branch's own (with its access code); the path to a state includes the paths before it.
_PATHS: dict[str, list[tuple[str, str, str]]] = {
    "self_assessing": [],
    "applied": [("applied", "branch", "演示数据：支部自评完成，申请考评")],
}
_PATHS["street_review"] = _PATHS["applied"] + [("street_review", "street", "演示数据：受理申请，开始“四评”考评")]
_PATHS["failed"] = _PATHS["street_review"] + [("failed", "street", "演示数据：考评未达到标准化规范化要求")]
_PATHS["district_check"] = _PATHS["street_review"] + [("district_check", "street", "演示数据：考评通过，报区委验收")]
_PATHS["standardized"] = _PATHS["district_check"] + [("standardized", "district", "演示数据：验收通过")]
_PATHS["revoked"] = _PATHS["standardized"] + [
    ("revoked", "street", "演示数据：有关部门反馈不符合创建标准，取消评定及相关待遇保障")
]
_PATHS["strongest_declared"] = _PATHS["standardized"] + [("strongest_declared", "street", "演示数据：申报“最强党支部”")]
_PATHS["strongest"] = _PATHS["strongest_declared"] + [("strongest", "district", "演示数据：评定为“最强党支部”")]


class DemoWorkflowError(ValueError):
    """The rubric's workflow lacks a state, role or move the demo's paths take (message in Chinese)."""


def check_demo_paths(rubric: Rubric) -> None:
    """Refuse (:class:`DemoWorkflowError`) a rubric whose workflow cannot take the demo's paths: each
    path starts at the initial state, its first move is the branch's own (kind: branch) and every move
    is allowed to the role that makes it."""
    workflow = rubric.workflow
    missing: list[str] = []
    start = next(target for target, path in _PATHS.items() if not path)
    if workflow.initial != start:
        missing.append(f"初始状态 {start}（当前为 {workflow.initial}）")
    for path in _PATHS.values():
        previous = start
        for position, (to, role, _reason) in enumerate(path):
            transition = workflow.transition(previous, to)
            if transition is None or role not in transition.roles:
                text = f"由角色 {role} 从 {previous} 变更为 {to}"
                if text not in missing:
                    missing.append(text)
            elif position == 0 and role != workflow.branch_role.id:
                text = f"角色 {role} 为支部本身（kind: branch）"
                if text not in missing:
                    missing.append(text)
            previous = to
    if missing:
        raise DemoWorkflowError(
            f"演示考评流程按默认评分标准（rubrics/workflow.yaml）的状态和角色编排，当前评分标准（版本 {rubric.version}）"
            f"不能这样流转，缺少：{'；'.join(missing)}。请用默认评分标准生成演示数据。"
        )


@dataclass(frozen=True)
class SeedReport:
    """Per year: how many branches ended in each state; ``skipped`` years had moves already."""

    seeded: dict[int, Counter]
    skipped: tuple[int, ...]

    def __str__(self) -> str:
        parts = [
            f"{year}年度：" + "，".join(f"{state} {count}个" for state, count in sorted(counts.items()))
            for year, counts in self.seeded.items()
        ]
        if self.skipped:
            parts.append(f"已有流程记录、未改动的年度：{'、'.join(str(y) for y in self.skipped)}")
        return "；".join(parts) if parts else "数据库中没有年度数据"


def planned_status(branch, position: int, *, latest: bool) -> str:
    """The state a branch ends in: from its results row (standardized, strongest, weak) and its
    position in the register (0, 1, 2, …), which spreads each group over the in-between states."""
    if bool(branch["strongest"]):
        return "strongest_declared" if latest and position % 3 == 0 else "strongest"
    if bool(branch["standardized"]):
        if latest and position % 5 == 0:
            return "district_check"
        if latest and position % 5 == 1:
            return "street_review"
        return "standardized"
    if bool(branch["weak"]):
        return "self_assessing"
    if latest:
        return ("applied", "failed", "self_assessing")[position % 3]
    return "failed" if position % 2 == 0 else "self_assessing"


def _revoked_branch(results, planned_standardized: set[str]) -> str | None:
    """A branch planned 已达标 (not 最强), one a department reported against if there is one: 撤销 in the
    latest year."""
    b = results.branches
    reported = b["veto_ids"].astype(str).str.contains("department_noncompliance", regex=False)
    designated = b["standardized"].astype(bool) & ~b["strongest"].astype(bool)
    # a branch a department reported against first; else any (the report came after the designation)
    candidates = [*b.index[designated & reported], *b.index[designated & ~reported]]
    return next((str(c) for c in candidates if str(c) in planned_standardized), None)


def seed_demo_workflow(store, rubric: Rubric, *, years: list[int] | None = None) -> SeedReport:
    """Move the database's branches through the workflow for each year (default: every year it
    holds) in which nobody has moved yet. Returns the resulting counts per year. A rubric whose workflow
    cannot take the demo's paths is refused first (:class:`DemoWorkflowError`), before any move."""
    check_demo_paths(rubric)
    held = sorted(store.records.years())
    chosen = sorted(set(years)) if years is not None else held
    latest = held[-1] if held else None
    labels = {state.id: state.label for state in rubric.workflow.states}
    today = local_date(now())
    seeded: dict[int, Counter] = {}
    skipped: list[int] = []
    for year in chosen:
        if year not in held:
            continue
        listed = store.workflow.statuses(year)
        if any(status.event_id is not None for _id, _name, status in listed):
            skipped.append(year)
            continue
        inputs, _ = store.records.current_inputs(year, rubric)
        results = score(rubric, inputs, year=year)
        store.workflow.prepare_results(year)
        plans = {}
        for position, (branch_id, _name, _status) in enumerate(listed):
            if branch_id not in results.branches.index:
                continue
            target = planned_status(results.branches.loc[branch_id], position, latest=year == latest)
            if designated_on_the_way(target) and term_over(rubric, inputs.branches, branch_id, today):
                target = "district_check"
            plans[branch_id] = target
        if year == latest:
            revoke = _revoked_branch(results, {b for b, target in plans.items() if target == "standardized"})
            if revoke is not None:
                plans[revoke] = "revoked"
        counts: Counter = Counter()
        for branch_id, target in plans.items():
            _walk(store, rubric, inputs, branch_id, year, _PATHS[target])
            counts[labels[target]] += 1
        seeded[year] = counts
    return SeedReport(seeded, tuple(skipped))


def designated_on_the_way(target: str) -> bool:
    """The demo's path to ``target`` passes through a designation (验收通过)."""
    return "standardized" in (to for to, _role, _reason in _PATHS[target])


def term_over(rubric: Rubric, register, branch_id: str, today) -> bool:
    """The branch's committee term ended before ``today``: a designation made now would already be over."""
    row = register.loc[register["branch_id"] == branch_id].iloc[0]
    until = designation_until(rubric, row["last_election"], row["kind"] if isinstance(row["kind"], str) else None)
    return until is not None and until < today


def _walk(store, rubric: Rubric, inputs, branch_id: str, year: int, path: list[tuple[str, str, str]]) -> None:
    for to, role, reason in path:
        if role == rubric.workflow.branch_role.id:
            # The branch applies as it would on its page: with an access code, submitting its
            # self-assessment (here: what the evaluators recorded). The code is withdrawn at once.
            issued = store.access.issue(branch_id, year, by=DEMO_ACTOR)
            try:
                session = store.access.open_session(issued.code)
                session.apply(payload_from_inputs(inputs, branch_id, rubric), reason=reason)
            finally:
                store.access.revoke(branch_id, by=DEMO_ACTOR, reason="演示数据：申请完成，访问码停用", year=year)
        else:
            store.workflow.move(branch_id, year, to, role=role, actor=DEMO_ACTOR, reason=reason)
