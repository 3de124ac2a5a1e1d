"""Sample inputs for the workbook and command-line tests (see tests/conftest.py for the fixtures)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from assessment.inputs.frames import Inputs
from assessment.rubric import Rubric


def _org_row(rubric: Rubric, branch_id: str, grade: str | None, scale: float) -> dict:
    row: dict = {"branch_id": branch_id, "annual_review_grade": grade}
    for item in rubric.items:
        if item.kind == "points":
            # Excel keeps 15 significant digits: stay with values it stores exactly as typed.
            row[item.id] = round(float(item.max) * scale, 2)
        elif item.kind == "level":
            row[item.id] = item.levels[0].label if scale > 0.5 else item.levels[-1].label
        elif item.kind == "count_shortfall":
            row[item.id] = float(round(float(item.target) * scale))
        elif item.kind == "deduction":
            row[item.id] = 0.0 if scale > 0.5 else 2.0
        elif item.kind == "rate_steps":
            row[item.id] = 100.0 * scale
    return row


def build_sample_inputs(rubric: Rubric) -> Inputs:
    branches = pd.DataFrame(
        {
            "branch_id": pd.array(["B01", "B02", "003"], dtype="str"),
            "name": pd.array(["东风社区党支部", "红旗村党支部", "街道机关第三党支部"], dtype="str"),
            "full_members": pd.array([18, 35, 6], dtype="Int64"),
            "probationary_members": pd.array([2, 1, None], dtype="Int64"),
            "committee_size": pd.array([5, 7, 0], dtype="Int64"),
            "last_election": pd.to_datetime(["2023-06-30", "2021-12-01", None]).astype("datetime64[ns]"),
            "kind": pd.array(["社区", "村", None], dtype="str"),
            "party_groups": pd.array([2, 0, 0], dtype="Int64"),
            "street": pd.array(["东城街道", "西城街道", None], dtype="str"),
        }
    )
    org_rows = [
        _org_row(rubric, "B01", "优秀", 1.0),
        _org_row(rubric, "B02", "良好", 0.8),
        _org_row(rubric, "003", None, 0.4),
    ]
    first_points = next(item.id for item in rubric.items if item.kind == "points")
    org_rows[2][first_points] = None  # not scored yet
    org = pd.DataFrame(org_rows)
    for item in rubric.items:
        org[item.id] = org[item.id].astype("str" if item.kind == "level" else "float64")
    org["branch_id"] = org["branch_id"].astype("str")
    org["annual_review_grade"] = org["annual_review_grade"].astype("str")

    member = pd.DataFrame(
        {
            "branch_id": ["B01", "B02", "003"],
            "participants": [20, 36, 6],
            "excellent": [19, 30, 3],
            "qualified": [1, 5, 2],
            "basic": [0, 1, 0],
            "unqualified": [0, 0, 0],
        }
    )
    member = member.astype({c: "Int64" for c in member.columns if c != "branch_id"}).astype({"branch_id": "str"})
    public = pd.DataFrame(
        {
            "branch_id": ["B01", "B02", "003"],
            "satisfied": [40, 50, 10],
            "basic_satisfied": [2, 6, 3],
            "unsatisfied": [0, 2, 1],
            "unsatisfied_verified": [False, True, False],
        }
    )
    public = public.astype(
        {
            "branch_id": "str",
            "satisfied": "Int64",
            "basic_satisfied": "Int64",
            "unsatisfied": "Int64",
            "unsatisfied_verified": "boolean",
        }
    )
    social = pd.DataFrame(
        {
            "branch_id": pd.array(["B01", "B01", "B02", "003"], dtype="str"),
            "department": pd.array(["街道综治办", "市场监管所", "街道综治办", "街道综治办"], dtype="str"),
            "compliant": pd.array([True, True, False, True], dtype="boolean"),
            "opinion": pd.array(
                [
                    None,
                    "台账齐全",
                    "存在信访未化解",
                    "支部活动阵地建设规范，党员志愿服务常态化开展，群众反映良好，建议继续保持并总结经验在全街道推广。",
                ],
                dtype="str",
            ),
        }
    )
    activities = pd.DataFrame(
        {
            "branch_id": pd.array(["B01", "B01", "B01", "B02", "003"], dtype="str"),
            "date": pd.to_datetime(["2025-01-05", "2025-02-10", "2025-03-15", "2025-01-20", "2025-04-01"]).astype(
                "datetime64[ns]"
            ),
            "type": pd.array(["支委会", "支部党员大会", "谈心谈话", "主题党日", "党课"], dtype="str"),
            "expected": pd.array([5, 20, None, 36, 6], dtype="Int64"),
            "attended": pd.array([5, 18, None, 30, 6], dtype="Int64"),
            "has_record": pd.array([True, True, True, False, True], dtype="boolean"),
        }
    )
    roster = sample_roster(
        [
            ("B01", "王书记", "正式党员", "书记", "2001-07-01", 24, True, [True] * 12, True),
            ("B01", "李党员", "预备党员", "党员", "2025-03-01", 11, None, [None, None] + [True] * 10, None),
            ("B02", "赵委员", "正式党员", "委员", None, 30, False, [False] * 6 + [True] * 6, False),
        ]
    )
    return Inputs(
        branches=branches,
        org=org,
        member=member,
        public=public,
        social=social,
        activities=activities,
        roster=roster,
    )


def sample_roster(rows: list[tuple]) -> pd.DataFrame:
    """A 党员名册 frame from (branch, name, status, role, joined, sessions, upper_training, dues[12], wechat)."""
    from assessment.inputs.frames import ROSTER_DTYPES

    records = []
    for branch_id, name, status, role, joined, sessions, upper, dues, wechat in rows:
        record = {
            "branch_id": branch_id,
            "name": name,
            "status": status,
            "role": role,
            "joined": joined,
            "sessions": sessions,
            "upper_training": upper,
            **{f"dues_{month}": paid for month, paid in zip(range(1, 13), dues)},
            "wechat": wechat,
        }
        records.append(record)
    frame = pd.DataFrame(records, columns=list(ROSTER_DTYPES))
    frame["joined"] = pd.to_datetime(frame["joined"])
    return frame.astype(ROSTER_DTYPES)


def edit_cells(path: Path, changes: list[tuple[str, int, str, object]]) -> None:
    """Set cells by (sheet, Excel row, header, value), as a user would in Excel."""
    book = load_workbook(path)
    for sheet_name, row, header, value in changes:
        sheet = book[sheet_name]
        headers = [cell.value for cell in sheet[1]]
        # ws.cell(value=None) would leave the cell as it was: assign to blank it.
        sheet.cell(row=row, column=headers.index(header) + 1).value = value
    book.save(path)
