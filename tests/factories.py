"""Small, explicit input builders for rule tests: one model branch, then change what the test is about."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from assessment.inputs.frames import Inputs
from assessment.rubric import Rubric

YEAR = 2025
# The shipped checklist.yaml as it was written before points (max + weight per item): rubric versions
# stored in the database are in this form and must still load and score the same.
LEGACY_CHECKLIST = Path(__file__).parent / "fixtures" / "checklist_legacy.yaml"


def legacy_texts() -> dict[str, str]:
    """The shipped rubric's texts with checklist.yaml in the legacy form (LEGACY_CHECKLIST)."""
    from assessment.rubric import read_rubric_texts

    texts, _ = read_rubric_texts()
    return {**texts, "checklist.yaml": LEGACY_CHECKLIST.read_text(encoding="utf-8")}


def full_marks(rubric: Rubric) -> dict:
    """Indicator inputs that earn every point."""
    values: dict = {}
    for item in rubric.items:
        if item.kind == "points":
            values[item.id] = float(item.max)
        elif item.kind == "level":
            values[item.id] = max(item.levels, key=lambda lv: lv.points).label
        elif item.kind == "count_shortfall":
            values[item.id] = float(item.target)
        elif item.kind == "deduction":
            values[item.id] = 0.0
        elif item.kind == "rate_steps":
            values[item.id] = 100.0
        elif item.kind == "flag":
            values[item.id] = False
        elif item.kind == "stepped":
            values[item.id] = float(item.steps[-1].at)
        elif item.kind == "evidence_deduction":
            values.update({f"{item.id}.{suffix}": "已查看" for suffix, _name in item.sub_inputs()})
        elif item.kind == "multi_deduction":
            values.update({f"{item.id}.{suffix}": 0.0 for suffix, _name in item.sub_inputs()})
    return values


def full_form(rubric: Rubric) -> dict:
    """The evaluator's form as typed (text in the fields) for full marks: 优秀, 20 members (19 优秀),
    40 满意 + 2 基本满意, one compliant department."""
    from assessment.inputs.payload import blank_payload

    payload = blank_payload(rubric)
    payload["org"]["annual_review_grade"] = "优秀"
    for key, value in full_marks(rubric).items():
        item_id, _dot, suffix = key.partition(".")
        entry = payload["org"]["items"][item_id]
        if rubric.item(item_id).kind == "evidence_deduction":
            entry["evidence"][dict(rubric.item(item_id).sub_inputs())[suffix]] = "seen"
        elif suffix:
            entry["counts"][suffix] = f"{value:g}"
        else:
            entry["value"] = value if isinstance(value, (str, bool)) else f"{value:g}"
    payload["member"] = {"participants": "20", "excellent": "19", "qualified": "1", "basic": "0", "unqualified": "0"}
    payload["public"] = {"satisfied": "40", "basic_satisfied": "2", "unsatisfied": "0", "unsatisfied_verified": False}
    payload["social"] = [{"department": "街道综治办", "compliant": True, "opinion": ""}]
    return payload


def full_year_log(branch_id: str, year: int = YEAR, *, members: int = 20, committee: int = 5) -> list[dict]:
    rows = []
    for month in range(1, 13):
        rows.append(
            dict(
                branch_id=branch_id,
                date=f"{year}-{month:02d}-05",
                type="支委会",
                expected=committee,
                attended=committee,
                has_record=True,
            )
        )
        rows.append(
            dict(
                branch_id=branch_id,
                date=f"{year}-{month:02d}-15",
                type="主题党日",
                expected=members,
                attended=members - 1,
                has_record=True,
            )
        )
    for quarter in range(4):
        rows.append(
            dict(
                branch_id=branch_id,
                date=f"{year}-{quarter * 3 + 2:02d}-10",
                type="支部党员大会",
                expected=members,
                attended=members - 2,
                has_record=True,
            )
        )
        rows.append(
            dict(
                branch_id=branch_id,
                date=f"{year}-{quarter * 3 + 3:02d}-20",
                type="党课",
                expected=members,
                attended=members,
                has_record=True,
            )
        )
    for kind in ("组织生活会", "民主评议党员", "谈心谈话"):
        rows.append(
            dict(
                branch_id=branch_id,
                date=f"{year}-11-11",
                type=kind,
                expected=members,
                attended=members,
                has_record=True,
            )
        )
    return rows


def branch_row(branch_id: str = "B1", **changes) -> dict:
    row = dict(
        branch_id=branch_id,
        name=f"测试第{branch_id}党支部",
        full_members=18,
        probationary_members=2,
        committee_size=5,
        last_election=pd.Timestamp("2024-03-01"),
        kind="机关",
        party_groups=0,
    )
    row.update(changes)
    return row


def make_inputs(
    rubric: Rubric,
    *,
    branch: dict | None = None,
    org: dict | None = None,
    member: dict | None = None,
    public: dict | None = None,
    social: list[dict] | None = None,
    activities: list[dict] | None = None,
    drop: tuple[str, ...] = (),
) -> Inputs:
    """One excellent branch 'B1' (eligible for 最强), with the given parts changed or dropped."""
    b = branch_row(**(branch or {}))
    bid = b["branch_id"]
    org_row = {"branch_id": bid, "annual_review_grade": "优秀", **full_marks(rubric), **(org or {})}
    member_row = {"branch_id": bid, "participants": 20, "excellent": 19, "qualified": 1, "basic": 0, "unqualified": 0}
    member_row.update(member or {})
    public_row = {
        "branch_id": bid,
        "satisfied": 40,
        "basic_satisfied": 2,
        "unsatisfied": 0,
        "unsatisfied_verified": False,
    }
    public_row.update(public or {})
    social_rows = (
        social
        if social is not None
        else [
            {"branch_id": bid, "department": "街道综治办", "compliant": True, "opinion": None},
            {"branch_id": bid, "department": "市场监管所", "compliant": True, "opinion": None},
        ]
    )
    log = activities if activities is not None else full_year_log(bid)
    frames = dict(
        branches=pd.DataFrame([b]),
        org=pd.DataFrame([org_row]),
        member=pd.DataFrame([member_row]),
        public=pd.DataFrame([public_row]),
        social=pd.DataFrame(social_rows, columns=["branch_id", "department", "compliant", "opinion"]),
        activities=pd.DataFrame(log, columns=["branch_id", "date", "type", "expected", "attended", "has_record"]),
    )
    frames["branches"] = frames["branches"].astype(
        {"full_members": "Int64", "probationary_members": "Int64", "committee_size": "Int64", "party_groups": "Int64"}
    )
    frames["branches"]["last_election"] = pd.to_datetime(frames["branches"]["last_election"])
    for name in ("member", "public"):
        frames[name] = frames[name].astype(
            {c: "Int64" for c in frames[name].columns if c not in ("branch_id", "unsatisfied_verified")}
        )
    frames["public"]["unsatisfied_verified"] = frames["public"]["unsatisfied_verified"].astype("boolean")
    frames["social"]["compliant"] = frames["social"]["compliant"].astype("boolean")
    frames["activities"]["date"] = pd.to_datetime(frames["activities"]["date"])
    frames["activities"] = frames["activities"].astype(
        {"expected": "Int64", "attended": "Int64", "has_record": "boolean"}
    )
    for name in drop:
        frames[name] = frames[name].iloc[0:0]
    return Inputs(**frames)


def walk(widget):
    """The widget and every widget inside it, depth first (for tests that look for one in a page)."""
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from walk(child)


STAFF_PASSWORD = "测试密码-2026"


def add_staff(store, name: str, role: str, street: str | None = None) -> str:
    """A staff account with its password chosen (as its owner would at first sign-in); returns a session token."""
    code = store.accounts.add(name, role, street=street, by="测试")
    return store.accounts.set_password(name, code, STAFF_PASSWORD, client="127.0.0.1").token


def staff_session(store, name: str, role: str = "区委", street: str | None = None):
    """The page-side :class:`~assessment.pages.identity.Session` of a staff account (made on first use:
    the same name again signs in again, as a second page of the same person would)."""
    from assessment.pages.identity import Session

    if any(account.name == name for account in store.accounts.list()):
        return Session(store, store.accounts.sign_in(name, STAFF_PASSWORD, client="127.0.0.1").token)
    return Session(store, add_staff(store, name, role, street))


def record_result(
    store,
    branch_id: str,
    year: int = YEAR,
    *,
    evaluator: str = "张三",
    passing: bool = True,
    last_election: str | None = None,
) -> None:
    """Give the stored branch a recorded result for ``year``, as its evaluator would submit it: a whole year's
    activity log and (``passing``) a form that is 达标 and meets the 最强 conditions, or (not ``passing``)
    the same form with the annual review below 优秀 and a department's non-compliance (未达标 stays
    possible through the log: the form alone does not decide 达标). ``last_election`` (None: as
    stored) changes the register's last election (a designation's term runs from it). An earlier revision of ``evaluator`` is corrected."""
    from dataclasses import replace

    rubric = store.rubric
    register = store.records.branches()
    row = register[register["branch_id"] == branch_id].copy()
    if last_election is not None:
        row["last_election"] = pd.Timestamp(last_election)
    members = int(row["full_members"].fillna(0).iloc[0] + row["probationary_members"].fillna(0).iloc[0]) or 20
    committee = int(row["committee_size"].fillna(0).iloc[0]) or 5
    log = full_year_log(branch_id, year, members=members, committee=committee)
    if int(row["party_groups"].fillna(0).iloc[0]):  # a branch with 党小组 meets in them every month
        log += [
            dict(
                branch_id=branch_id,
                date=f"{year}-{month:02d}-25",
                type="党小组会",
                expected=8,
                attended=8,
                has_record=True,
            )
            for month in range(1, 13)
        ]
    changes: dict = {}
    if not passing:
        changes = dict(
            org={"annual_review_grade": "一般"},
            social=[{"branch_id": "B1", "department": "街道综治办", "compliant": False, "opinion": "不符合"}],
            activities=full_year_log("B1", year)[:5],
        )
    form = make_inputs(rubric, **changes)
    inputs = replace(
        make_inputs(rubric, branch={"branch_id": branch_id}, activities=log),
        branches=row.reset_index(drop=True),
        org=form.org.assign(branch_id=branch_id),
        member=form.member.assign(branch_id=branch_id),
        public=form.public.assign(branch_id=branch_id),
        social=form.social.assign(branch_id=branch_id),
    )
    if not passing:
        inputs = replace(inputs, activities=form.activities.assign(branch_id=branch_id))
    store.records.import_inputs(inputs, year=year, evaluator=evaluator, rubric_version=rubric, source="测试结果")


def master_data(inputs):
    """``inputs`` with its branches and activity log only (no evaluation yet): a street's master data."""
    from assessment.inputs.frames import Inputs

    return Inputs(
        branches=inputs.branches,
        org=inputs.org.iloc[0:0],
        member=inputs.member.iloc[0:0],
        public=inputs.public.iloc[0:0],
        social=inputs.social.iloc[0:0],
        activities=inputs.activities,
    )
