"""A branch's self-check (自评): its own scores, its activity log and roster against the rules, its gaps.

Pure: frames and a payload in, a :class:`SelfCheck` out — the self-assessment page, its tests and the
report all use it. The payload has the evaluators' format (:mod:`assessment.inputs.payload`); a branch
usually fills only the 组织评定 items (and, if it knows them, its 民主评议 tallies and review grade), so
the composite stays 未完成 and the 最强 veto check says 无法判断 where the street's data is missing —
a *predicted* check, as far as the data allows.

When a 党员名册 is given, the structure rules use the counts it gives (正式党员, 预备党员, 支委会: the
书记 with the 副书记/委员; a branch with a secretary only has no committee), instead of the numbers
stored for the branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..inputs.payload import inputs_for
from ..rubric import Rubric
from ..scoring import Results, score
from ..scoring.gaps import gap_list
from ..scoring.members import MemberFindings, check_members, roster_counts

__all__ = ["SelfCheck", "self_check"]


@dataclass
class SelfCheck:
    branch_id: str
    name: str
    year: int
    results: Results
    members: MemberFindings | None
    gaps: pd.DataFrame
    branches: pd.DataFrame  # the branch row the structure rules saw
    roster_note: str
    activities_source: str

    @property
    def row(self) -> pd.Series:
        return self.results.branches.loc[self.branch_id]


def branch_with_roster(branch: pd.DataFrame, roster: pd.DataFrame | None, rubric: Rubric) -> tuple[pd.DataFrame, str]:
    """The branch row with member and committee counts taken from the roster (the roles and statuses
    as members.yaml marks them), and a note saying so."""
    if roster is None or not len(roster):
        return branch, ""
    spec = rubric.members
    counts = roster_counts(roster, rubric)
    branch = branch.copy()
    branch_id = str(branch["branch_id"].iloc[0])
    if branch_id not in counts.index:
        return branch, ""
    row = counts.loc[branch_id]
    others = int(((roster["role"].isin(spec.committee_roles)) & (roster["role"] != spec.secretary_role)).sum())
    committee = int(row["committee_size"]) if others else 0
    branch["full_members"] = pd.array([int(row["full_members"])], dtype="Int64")
    branch["probationary_members"] = pd.array([int(row["probationary_members"])], dtype="Int64")
    branch["committee_size"] = pd.array([committee], dtype="Int64")
    note = (
        f"组织设置按上传的党员名册计算：正式党员{int(row['full_members'])}人、预备党员{int(row['probationary_members'])}人、"
        + (f"支委会{committee}人。" if committee else f"未设支委会（名册中只有{spec.secretary_role}）。")
    )
    return branch, note


def self_check(
    rubric: Rubric,
    branch: pd.DataFrame,
    activities: pd.DataFrame,
    roster: pd.DataFrame | None,
    payload: dict[str, Any],
    *,
    year: int,
    activities_source: str = "",
    previous_roster: pd.DataFrame | None = None,
) -> SelfCheck:
    """Score the branch's own payload with its activity log and (optional) roster; ``previous_roster``
    (last year's, if uploaded) lets the dues rule see a lapse across the turn of the year."""
    branch_id = str(branch["branch_id"].iloc[0])
    if not rubric.uses_condition("members"):  # the rubric does not collect the 党员名册 (meta.yaml uses)
        roster = previous_roster = None
    branch, note = branch_with_roster(branch, roster, rubric)
    if len(activities):
        activities = activities[activities["branch_id"].astype(str) == branch_id].reset_index(drop=True)
    if roster is not None and len(roster):
        roster = roster[roster["branch_id"].astype(str) == branch_id].reset_index(drop=True)
    inputs = inputs_for(branch, activities, {branch_id: payload}, rubric)
    if roster is not None and len(roster):
        inputs.roster = roster  # 谈心谈话 is checked member by member (activities.yaml scope: per_member)
    results = score(rubric, inputs, year=year)
    if previous_roster is not None and len(previous_roster):
        previous_roster = previous_roster[previous_roster["branch_id"].astype(str) == branch_id].reset_index(drop=True)
    members = check_members(rubric, roster, previous_roster) if roster is not None and len(roster) else None
    gaps = gap_list(rubric, results, branch_id, members.rules if members is not None else None, inputs.org)
    return SelfCheck(
        branch_id=branch_id,
        name=str(branch["name"].iloc[0]),
        year=year,
        results=results,
        members=members,
        gaps=gaps,
        branches=branch,
        roster_note=note,
        activities_source=activities_source,
    )


def payload_item_points(rubric: Rubric, branch_id: str, payload: dict[str, Any] | None) -> pd.Series:
    """Points per checklist item that ``payload`` gives (NaN where blank or wrong): the 自查分 column."""
    from ..scoring.channels import org_items

    index = pd.Index([branch_id], name="branch_id")
    if not payload:
        return pd.Series({item.id: float("nan") for item in rubric.items}, dtype="float64")
    frame = pd.DataFrame({"branch_id": [branch_id], "name": [""]})
    inputs = inputs_for(frame, pd.DataFrame(columns=["branch_id"]), {branch_id: payload}, rubric)
    return org_items(rubric, inputs.org, index).iloc[0]
