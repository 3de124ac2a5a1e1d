"""One evaluator's evaluation of one branch for one year, as a plain JSON-able payload.

The evaluator page, the database and the workbook import all speak this format:

.. code-block:: python

    {
      "org": {"annual_review_grade": "优秀",
              "items": {"s1": {"value": 5, "comment": "…", "evidence": {"党员花名册": "seen"}},
                        # multi_deduction: one count per rule; evidence_deduction: the evidence marks
                        # above are its input (no value); flag: value True/False (是/否)
                        "r1": {"value": None, "comment": "", "evidence": {}, "counts": {"late": 2}}}},
      "member": {"participants": 20, "excellent": 18, "qualified": 2, "basic": 0, "unqualified": 0},
      "public": {"satisfied": 40, "basic_satisfied": 2, "unsatisfied": 1, "unsatisfied_verified": False},
      "social": [{"department": "街道综治办", "compliant": True, "opinion": ""}],
      "note": "",
    }

Values are kept exactly as entered (a draft may hold ``"十二"``); :func:`check_payload`
says which fields are wrong, in Chinese, and :func:`payload_rows` turns the valid
fields into the input rows scoring reads — a wrong value becomes *missing*, never a
silently changed number. Several evaluators' payloads are merged by
:func:`assessment.inputs.merge.reconcile`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..rubric import Rubric
from ..rubric.model import EVIDENCE_MARKS
from .frames import SOCIAL_COLUMNS, Inputs, item_input_columns, member_columns, org_columns, public_columns
from .workbook.layout import Column, sheet_specs
from .workbook.reader import check_value

# A payload's evidence marks; the workbook and the org frame write them as EVIDENCE_MARKS (已查看/缺失).
EVIDENCE_STATES = ("seen", "missing")


def _blank_item(item) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": None, "comment": "", "evidence": {}}
    if item.kind == "multi_deduction":
        entry["counts"] = {rule.id: None for rule in item.rules}
    return entry


def blank_payload(rubric: Rubric) -> dict[str, Any]:
    """A payload with every field present and empty."""
    return {
        "org": {
            "annual_review_grade": None,
            "items": {item.id: _blank_item(item) for item in rubric.items},
        },
        # A channel the rubric does not use (meta.yaml uses) has no fields.
        "member": {key: None for key in member_columns(rubric) if key != "branch_id"}
        if rubric.uses_channel("member")
        else {},
        "public": {key: None for key in public_columns(rubric) if key != "branch_id"}
        if rubric.uses_channel("public")
        else {},
        "social": [],
        "note": "",
    }


@dataclass(frozen=True)
class FieldProblem:
    """A wrong value in a form: ``field`` is a path such as ``org.items.s1.value`` or ``social.2.department``."""

    field: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label}：{self.message}"


def _columns(rubric: Rubric) -> dict[str, dict[str, Column]]:
    specs = sheet_specs(rubric)
    return {key: {c.key: c for c in spec.columns} for key, spec in specs.items()}


@functools.lru_cache(maxsize=4096)
def _cached_check(column: Column, value) -> tuple[Any, str | None]:
    return check_value(column, value)


def _check(column: Column, value, field: str, label: str, problems: list[FieldProblem], *, required=False):
    if column.kind == "yes_no" and isinstance(value, bool):
        # Payloads store 是/否 as booleans; a cell would hold the words.
        value = "是" if value else "否"
    try:
        # A form re-checks the same values on every keystroke: judge each (column, value) once.
        parsed, message = _cached_check(column, value)
    except TypeError:  # an unhashable value (a list typed into JSON by hand) is checked directly
        parsed, message = check_value(column, value)
    if message:
        problems.append(FieldProblem(field, label, message))
        return None
    if parsed is None and required:
        problems.append(FieldProblem(field, label, "必须填写"))
    return parsed


def _parse_sub_inputs(item, entry: dict[str, Any], columns: dict[str, Column], problems: list[FieldProblem]):
    """The org-frame values of an item with several inputs (evidence_deduction: each evidence's mark from
    ``entry["evidence"]``; multi_deduction: each rule's count from ``entry["counts"]``)."""
    values: dict[str, Any] = {}
    label = f"{item.id} {item.label}"
    if entry.get("value") not in (None, ""):
        what = "逐项勾选台账（已查看/缺失）计数" if item.kind == "evidence_deduction" else "按各项扣分情形分别填写次数"
        problems.append(FieldProblem(f"org.items.{item.id}.value", label, f"本指标{what}，不单独填写"))
    if item.kind == "evidence_deduction":
        marks = entry.get("evidence") or {}
        for name in marks:
            if name not in item.evidence:
                problems.append(
                    FieldProblem(
                        f"org.items.{item.id}.evidence",
                        f"{label}·{name}",
                        f"“{name}”不在本指标的台账清单中（{'、'.join(item.evidence)}）",
                    )
                )
        for suffix, name in item.sub_inputs():
            state = marks.get(name)
            mark = dict(zip(EVIDENCE_STATES, EVIDENCE_MARKS)).get(state) if state in EVIDENCE_STATES else None
            values[f"{item.id}.{suffix}"] = mark  # a wrong state is reported above; it counts as blank
        return values
    counts = entry.get("counts") or {}
    rule_ids = {rule.id for rule in item.rules}
    for key in counts:
        if key not in rule_ids:
            problems.append(
                FieldProblem(
                    f"org.items.{item.id}.counts.{key}",
                    label,
                    f"扣分情形“{key}”不在本指标的规则中（{'、'.join(rule.label for rule in item.rules)}）",
                )
            )
    for rule in item.rules:
        key = f"{item.id}.{rule.id}"
        values[key] = _check(
            columns[key],
            counts.get(rule.id),
            f"org.items.{item.id}.counts.{rule.id}",
            f"{label}·{rule.label}",
            problems,
        )
    return values


def parse_payload(payload: dict[str, Any], rubric: Rubric) -> tuple[dict[str, Any], list[FieldProblem]]:
    """The payload's values parsed (None where blank or wrong) and every problem found."""
    columns = _columns(rubric)
    problems: list[FieldProblem] = []
    org_in = payload.get("org") or {}
    items_in = org_in.get("items") or {}
    org: dict[str, Any] = {
        "annual_review_grade": _check(
            columns["org"]["annual_review_grade"],
            org_in.get("annual_review_grade"),
            "org.annual_review_grade",
            "年度述职评议等次",
            problems,
        )
    }
    for item in rubric.items:
        entry = items_in.get(item.id) or {}
        if item.sub_inputs():
            org.update(_parse_sub_inputs(item, entry, columns["org"], problems))
        else:
            org[item.id] = _check(
                columns["org"][item.id],
                entry.get("value"),
                f"org.items.{item.id}.value",
                f"{item.id} {item.label}",
                problems,
            )
        for name, state in (entry.get("evidence") or {}).items():
            if state is not None and state not in EVIDENCE_STATES:
                problems.append(
                    FieldProblem(
                        f"org.items.{item.id}.evidence", f"{item.label}·{name}", "台账状态应为“已查看”或“缺失”"
                    )
                )
    parsed: dict[str, Any] = {"org": org}
    for channel in ("member", "public"):
        given = payload.get(channel) or {}
        values = {}
        for key, column in columns.get(channel, {}).items():  # none for a channel the rubric does not use
            if key == "branch_id":
                continue
            values[key] = _check(column, given.get(key), f"{channel}.{key}", column.header, problems)
        parsed[channel] = values
    member = parsed["member"]
    method = rubric.channel("member").method if rubric.uses_channel("member") else None
    if method is not None and member.get("participants") is not None:
        total = sum(member.get(level.id) or 0 for level in method.levels)
        for level in method.levels:
            count = member.get(level.id)
            if count is not None and count > member["participants"]:
                problems.append(
                    FieldProblem(
                        f"member.{level.id}", level.label, f"{int(count)}人超过参评人数{int(member['participants'])}人"
                    )
                )
        if total > member["participants"]:
            problems.append(
                FieldProblem(
                    "member.participants",
                    "参评人数",
                    f"各档合计{int(total)}人，超过参评人数{int(member['participants'])}人",
                )
            )
    social = []
    for index, row in enumerate(payload.get("social") or []):
        entry = {}
        for key, column in columns.get("social", {}).items():
            if key == "branch_id":
                continue
            entry[key] = _check(
                column,
                row.get(key),
                f"social.{index}.{key}",
                f"第{index + 1}条部门意见·{column.header}",
                problems,
                required=column.required,
            )
        if any(v not in (None, "") for v in entry.values()):
            social.append(entry)
    parsed["social"] = social
    return parsed, problems


def check_payload(payload: dict[str, Any], rubric: Rubric) -> list[FieldProblem]:
    return parse_payload(payload, rubric)[1]


def payload_rows(branch_id: str, payload: dict[str, Any], rubric: Rubric) -> dict[str, list[dict]]:
    """Input rows for one branch: wrong or blank fields are missing (NA), never altered."""
    parsed, problems = parse_payload(payload, rubric)
    rows: dict[str, list[dict]] = {"org": [], "member": [], "public": [], "social": []}
    # Tallies are only meaningful together: one wrong tally makes the whole channel missing.
    broken = {problem.field.split(".")[0] for problem in problems}
    org = parsed["org"]
    if any(v is not None for v in org.values()):
        rows["org"].append({"branch_id": branch_id, **org})
    member = parsed["member"]
    if rubric.uses_channel("member") and member.get("participants") is not None and "member" not in broken:
        rows["member"].append({"branch_id": branch_id, **{k: (v if v is not None else 0) for k, v in member.items()}})
    public = parsed["public"]
    level_ids = [lv.id for lv in rubric.channel("public").method.levels] if rubric.uses_channel("public") else []
    if any(public.get(k) is not None for k in level_ids) and "public" not in broken:
        counts = {k: (public.get(k) or 0) for k in level_ids}
        rows["public"].append(
            {"branch_id": branch_id, **counts, "unsatisfied_verified": public.get("unsatisfied_verified")}
        )
    for entry in parsed["social"]:
        if entry.get("department") and entry.get("compliant") is not None:
            rows["social"].append({"branch_id": branch_id, **entry})
    return rows


def inputs_for(
    branches: pd.DataFrame, activities: pd.DataFrame, payloads: dict[str, dict[str, Any]], rubric: Rubric
) -> Inputs:
    """Inputs for scoring from master data and one (reconciled) payload per branch."""
    collected: dict[str, list[dict]] = {"org": [], "member": [], "public": [], "social": []}
    for branch_id, payload in payloads.items():
        for key, rows in payload_rows(branch_id, payload, rubric).items():
            collected[key].extend(rows)
    org_cols = list(org_columns(rubric))
    org = pd.DataFrame(collected["org"], columns=org_cols)
    for item in rubric.items:
        for key in item_input_columns(item):
            if item.kind in ("level", "evidence_deduction"):
                org[key] = org[key].astype(object)
            elif item.kind == "flag":
                org[key] = org[key].astype("boolean")
            else:
                org[key] = pd.to_numeric(org[key], errors="coerce").astype("float64")
    frames: dict[str, pd.DataFrame] = {}  # a channel the rubric does not use stays empty (Inputs' default)
    if rubric.uses_channel("member"):
        member = pd.DataFrame(collected["member"], columns=list(member_columns(rubric)))
        frames["member"] = member.astype({c: "Int64" for c in member.columns if c != "branch_id"})
    if rubric.uses_channel("public"):
        public_cols = list(public_columns(rubric))
        public = pd.DataFrame(collected["public"], columns=public_cols)
        public = public.astype({c: "Int64" for c in public_cols if c not in ("branch_id", "unsatisfied_verified")})
        public["unsatisfied_verified"] = public["unsatisfied_verified"].astype("boolean")
        frames["public"] = public
    social = pd.DataFrame(collected["social"], columns=list(SOCIAL_COLUMNS))
    social["compliant"] = social["compliant"].astype("boolean")
    return Inputs(branches=branches, org=org, social=social, activities=activities, **frames)


def payload_from_inputs(inputs: Inputs, branch_id: str, rubric: Rubric) -> dict[str, Any]:
    """The payload one branch's rows of a workbook amount to (used by ``import``)."""
    payload = blank_payload(rubric)

    def plain(value):
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return None
        if hasattr(value, "item"):
            return value.item()
        return value

    org = inputs.org[inputs.org["branch_id"] == branch_id]
    if len(org):
        row = org.iloc[0]
        payload["org"]["annual_review_grade"] = plain(row.get("annual_review_grade"))
        for item in rubric.items:
            entry = payload["org"]["items"][item.id]
            if item.kind == "evidence_deduction":
                states = dict(zip(EVIDENCE_MARKS, EVIDENCE_STATES))
                for suffix, name in item.sub_inputs():
                    state = states.get(plain(row.get(f"{item.id}.{suffix}")))
                    if state is not None:
                        entry["evidence"][name] = state
            elif item.kind == "multi_deduction":
                entry["counts"] = {rule.id: plain(row.get(f"{item.id}.{rule.id}")) for rule in item.rules}
            else:
                entry["value"] = plain(row.get(item.id))
    for channel, frame in (("member", inputs.member), ("public", inputs.public)):
        if not rubric.uses_channel(channel):
            continue
        rows = frame[frame["branch_id"] == branch_id]
        if len(rows):
            row = rows.iloc[0]
            payload[channel] = {key: plain(row.get(key)) for key in payload[channel]}
    social = inputs.social[inputs.social["branch_id"] == branch_id]
    payload["social"] = [
        {"department": plain(r["department"]), "compliant": plain(r["compliant"]), "opinion": plain(r["opinion"]) or ""}
        for _, r in social.iterrows()
    ]
    return payload
