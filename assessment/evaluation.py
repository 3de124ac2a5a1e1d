"""One evaluator's evaluation of one branch for one year, as a plain JSON-able payload.

The evaluator page, the database and the workbook import all speak this format:

.. code-block:: python

    {
      "org": {"annual_review_grade": "优秀",
              "items": {"s1": {"value": 5, "comment": "…", "evidence": {"党员花名册": "seen"}}}},
      "member": {"participants": 20, "excellent": 18, "qualified": 2, "basic": 0, "unqualified": 0},
      "public": {"satisfied": 40, "basic_satisfied": 2, "unsatisfied": 1, "unsatisfied_verified": False},
      "social": [{"department": "街道综治办", "compliant": True, "opinion": ""}],
      "note": "",
    }

Values are kept exactly as entered (a draft may hold ``"十二"``); :func:`check_payload`
says which fields are wrong, in Chinese, and :func:`payload_rows` turns the valid
fields into the input rows scoring reads — a wrong value becomes *missing*, never a
silently changed number. Several evaluators' payloads are merged by
:func:`reconcile`, as the rubric's ``reconciliation`` settings say.
"""

from __future__ import annotations

import functools
import statistics
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .inputs import SOCIAL_COLUMNS, Inputs, member_columns, public_columns
from .rubric import Rubric, format_fraction
from .workbook.layout import Column, sheet_specs
from .workbook.reader import check_value

EVIDENCE_STATES = ("seen", "missing")


def blank_payload(rubric: Rubric) -> dict[str, Any]:
    """A payload with every field present and empty."""
    return {
        "org": {
            "annual_review_grade": None,
            "items": {item.id: {"value": None, "comment": "", "evidence": {}} for item in rubric.items},
        },
        "member": {key: None for key in member_columns(rubric) if key != "branch_id"},
        "public": {key: None for key in public_columns(rubric) if key != "branch_id"},
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
        for key, column in columns[channel].items():
            if key == "branch_id":
                continue
            values[key] = _check(column, given.get(key), f"{channel}.{key}", column.header, problems)
        parsed[channel] = values
    member = parsed["member"]
    method = rubric.channel("member").method
    if member.get("participants") is not None:
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
        for key, column in columns["social"].items():
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
    if member.get("participants") is not None and "member" not in broken:
        rows["member"].append({"branch_id": branch_id, **{k: (v if v is not None else 0) for k, v in member.items()}})
    public = parsed["public"]
    level_ids = [lv.id for lv in rubric.channel("public").method.levels]
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
    org_cols = ["branch_id", "annual_review_grade", *[i.id for i in rubric.items]]
    org = pd.DataFrame(collected["org"], columns=org_cols)
    for item in rubric.items:
        if item.kind != "level":
            org[item.id] = pd.to_numeric(org[item.id], errors="coerce").astype("float64")
        else:
            org[item.id] = org[item.id].astype(object)
    member = pd.DataFrame(collected["member"], columns=list(member_columns(rubric)))
    member = member.astype({c: "Int64" for c in member.columns if c != "branch_id"})
    public_cols = list(public_columns(rubric))
    public = pd.DataFrame(collected["public"], columns=public_cols)
    public = public.astype({c: "Int64" for c in public_cols if c not in ("branch_id", "unsatisfied_verified")})
    public["unsatisfied_verified"] = public["unsatisfied_verified"].astype("boolean")
    social = pd.DataFrame(collected["social"], columns=list(SOCIAL_COLUMNS))
    social["compliant"] = social["compliant"].astype("boolean")
    return Inputs(branches=branches, org=org, member=member, public=public, social=social, activities=activities)


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
            payload["org"]["items"][item.id]["value"] = plain(row.get(item.id))
    for channel, frame in (("member", inputs.member), ("public", inputs.public)):
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


# ------------------------------------------------------------------ several evaluators
@dataclass(frozen=True)
class Disagreement:
    field: str
    label: str
    values: dict[str, Any]  # evaluator → value

    def __str__(self) -> str:
        shown = "；".join(f"{who}：{'—' if v is None else v}" for who, v in self.values.items())
        return f"{self.label}（{shown}）"


def reconcile(payloads: dict[str, dict[str, Any]], rubric: Rubric) -> tuple[dict[str, Any], list[Disagreement]]:
    """Merge evaluators' payloads into one, and flag the fields where they disagree.

    Numbers are combined by the rubric's method (median or mean) and flagged when
    their spread exceeds the rubric's share of the field's range; a choice or a flag
    that differs takes the more cautious value (the lower grade or level; a complaint
    verified by anyone stands; a department is compliant only if every evaluator
    recorded it so) and is always flagged.
    """
    spec = rubric.channels.reconciliation
    columns = _columns(rubric)
    evaluators = list(payloads)
    parsed = {who: parse_payload(p, rubric)[0] for who, p in payloads.items()}
    merged = blank_payload(rubric)
    disagreements: list[Disagreement] = []
    if not evaluators:
        return merged, disagreements
    if len(evaluators) == 1:
        return payloads[evaluators[0]], disagreements

    def combine_number(field: str, label: str, values: dict[str, Any], span: float, integer: bool):
        present = [v for v in values.values() if v is not None]
        if not present:
            return None
        value = statistics.median(present) if spec.method == "median" else statistics.fmean(present)
        if integer:
            value = round(value)
        if len(present) < len(values) or (max(present) - min(present)) > float(spec.disagreement_share) * span:
            disagreements.append(Disagreement(field, label, values))
        return value

    def combine_choice(field: str, label: str, values: dict[str, Any], order: list):
        present = [v for v in values.values() if v is not None]
        if not present:
            return None
        if len(set(present)) > 1 or len(present) < len(values):
            disagreements.append(Disagreement(field, label, values))
        return max(present, key=order.index)  # order lists best first: the last is the most cautious

    grades = list(rubric.channels.annual_review_grades.levels)
    merged["org"]["annual_review_grade"] = combine_choice(
        "org.annual_review_grade",
        "年度述职评议等次",
        {w: parsed[w]["org"]["annual_review_grade"] for w in evaluators},
        grades,
    )
    for item in rubric.items:
        values = {w: parsed[w]["org"][item.id] for w in evaluators}
        label = f"{item.id} {item.label}"
        field = f"org.items.{item.id}.value"
        if item.kind == "level":
            order = [lv.label for lv in sorted(item.levels, key=lambda lv: -lv.points)]
            value = combine_choice(field, label, values, order)
        else:
            span = {"points": float(item.max), "rate_steps": 100.0}.get(item.kind, float(item.target or item.max))
            value = combine_number(field, label, values, span, integer=item.kind in ("count_shortfall", "deduction"))
        merged["org"]["items"][item.id] = {
            "value": value,
            "comment": "\n".join(
                f"{w}：{payloads[w]['org']['items'].get(item.id, {}).get('comment', '')}"
                for w in evaluators
                if (payloads[w].get("org", {}).get("items", {}).get(item.id) or {}).get("comment")
            ),
            "evidence": {},
        }
    for channel in ("member", "public"):
        for key in merged[channel]:
            values = {w: parsed[w][channel].get(key) for w in evaluators}
            if key == "unsatisfied_verified":
                present = [v for v in values.values() if v is not None]
                merged[channel][key] = any(present) if present else None
                if len(set(present)) > 1:
                    disagreements.append(Disagreement(f"{channel}.{key}", "不满意查证属实", values))
                continue
            counts = [v for v in values.values() if v is not None]
            span = max(counts) if counts else 0
            label = f"{rubric.channel(channel).label}·{columns[channel][key].header}"
            merged[channel][key] = combine_number(f"{channel}.{key}", label, values, max(span, 1), integer=True)
    departments: dict[str, dict[str, Any]] = {}
    for who in evaluators:
        for entry in parsed[who]["social"]:
            name = entry.get("department")
            if not name:
                continue
            current = departments.setdefault(name, {"department": name, "compliant": True, "opinion": "", "_seen": {}})
            current["_seen"][who] = entry.get("compliant")
            current["compliant"] = bool(current["compliant"] and entry.get("compliant"))
            if entry.get("opinion"):
                current["opinion"] = (
                    current["opinion"] + "；" if current["opinion"] else ""
                ) + f"{who}：{entry['opinion']}"
    for name, entry in departments.items():
        seen = entry.pop("_seen")
        if len(set(seen.values())) > 1 or len(seen) < len(evaluators):
            disagreements.append(
                Disagreement(f"social.{name}", f"部门意见·{name}", {w: seen.get(w) for w in evaluators})
            )
    merged["social"] = list(departments.values())
    merged["note"] = (
        f"由{len(evaluators)}位考评人的提交合并（{'中位数' if spec.method == 'median' else '平均数'}），分歧阈值为量程的{format_fraction(spec.disagreement_share * 100)}%"
    )
    return merged, disagreements
