"""Several evaluators' payloads for one branch merged into one, as the rubric's ``reconciliation`` says,
with the fields where they disagree."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..rubric import Rubric, format_fraction
from ..rubric.model import EVIDENCE_MARKS
from .payload import _columns, blank_payload, parse_payload


@dataclass(frozen=True)
class Disagreement:
    field: str
    label: str
    values: dict[str, Any]  # evaluator → value

    def __str__(self) -> str:
        shown = "；".join(f"{who}：{'—' if v is None else v}" for who, v in self.values.items())
        return f"{self.label}（{shown}）"


def _tally_present(channel: str, values: dict[str, Any], level_ids: list[str]) -> bool:
    if channel == "member":
        return values.get("participants") is not None
    return any(values.get(level) is not None for level in level_ids)


def _tally_rank(channel: str, values: dict[str, Any], rubric: Rubric) -> tuple[Fraction, Fraction]:
    """Where a whole tally stands: its channel score, then (党员评议) its 优秀 share; exact fractions."""
    levels = rubric.channel(channel).method.levels
    counts = {level.id: Fraction(values.get(level.id) or 0) for level in levels}
    base = Fraction(values["participants"]) if channel == "member" else sum(counts.values(), Fraction(0))
    if base <= 0:
        return Fraction(-1), Fraction(-1)
    score = sum((level.value * counts[level.id] for level in levels), Fraction(0)) / base
    excellent = counts.get("excellent", Fraction(0)) / base if channel == "member" else Fraction(0)
    return score, excellent


def picked_record(channel: str, records: dict[str, dict[str, Any]], rubric: Rubric) -> str | None:
    """The evaluator whose whole tally is taken, as ``reconciliation.tallies`` says: ``median_record`` the one
    in the middle by channel score, then 优秀 share (of two in the middle the lower, the more cautious);
    ``lowest_record`` the lowest. None when nobody gave a tally.

    A tally is merged as one record, never number by number: medians taken per number can add up to
    more votes than voters, or to an 优秀 share that no evaluator recorded and that fires a veto none of
    them fired. The picked record is one evaluator's own, so the merged outcome lies between theirs.
    """
    if not records:
        return None
    ranked = sorted(records, key=lambda who: _tally_rank(channel, records[who], rubric))
    if rubric.channels.reconciliation.tallies == "lowest_record":
        return ranked[0]
    return ranked[(len(ranked) - 1) // 2]


def _merge_sub_inputs(item, parsed, evaluators, combine_number, disagreements) -> dict[str, Any]:
    """An evidence_deduction item: each evidence is 缺失 if any evaluator marked it so (the cautious
    reading; a difference is flagged). A multi_deduction item: each rule's count combined like an item score."""
    entry: dict[str, Any] = {"value": None, "comment": "", "evidence": {}}
    label = f"{item.id} {item.label}"
    if item.kind == "evidence_deduction":
        for suffix, name in item.sub_inputs():
            values = {w: parsed[w]["org"][f"{item.id}.{suffix}"] for w in evaluators}
            present = [v for v in values.values() if v is not None]
            if not present:
                continue
            entry["evidence"][name] = "missing" if EVIDENCE_MARKS[1] in present else "seen"
            if len(set(present)) > 1 or len(present) < len(values):
                disagreements.append(Disagreement(f"org.items.{item.id}.evidence", f"{label}·{name}", values))
        return entry
    entry["counts"] = {}
    for rule in item.rules:
        values = {w: parsed[w]["org"][f"{item.id}.{rule.id}"] for w in evaluators}
        span = max(float(item.max / rule.per), 1.0)  # the count that takes every point off
        field = f"org.items.{item.id}.counts.{rule.id}"
        entry["counts"][rule.id] = combine_number(field, f"{label}·{rule.label}", values, span, integer=True)
    return entry


def reconcile(payloads: dict[str, dict[str, Any]], rubric: Rubric) -> tuple[dict[str, Any], list[Disagreement]]:
    """Merge evaluators' payloads into one, and flag the fields where they disagree.

    Item scores are combined by the rubric's method (median or mean) and flagged when
    their spread exceeds the rubric's share of the field's range. A tally (党员评议, 群众评判)
    is taken whole from one evaluator, as ``reconciliation.tallies`` says (:func:`picked_record`),
    and each of its numbers is flagged as an item score is. A choice or a flag that differs
    takes the more cautious value (the lower grade or level; a complaint verified by anyone
    stands; a department is compliant only if every evaluator recorded it so) and is always flagged.
    """
    spec = rubric.channels.reconciliation
    columns = _columns(rubric)
    evaluators = list(payloads)
    checked = {who: parse_payload(p, rubric) for who, p in payloads.items()}
    parsed = {who: parsed for who, (parsed, _problems) in checked.items()}
    broken = {
        who: {problem.field.split(".")[0] for problem in problems} for who, (_parsed, problems) in checked.items()
    }
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
    if rubric.uses_condition("annual_review"):  # not collected otherwise (meta.yaml uses): stays blank
        merged["org"]["annual_review_grade"] = combine_choice(
            "org.annual_review_grade",
            "年度述职评议等次",
            {w: parsed[w]["org"]["annual_review_grade"] for w in evaluators},
            grades,
        )
    for item in rubric.items:
        label = f"{item.id} {item.label}"
        comment = "\n".join(
            f"{w}：{payloads[w]['org']['items'].get(item.id, {}).get('comment', '')}"
            for w in evaluators
            if (payloads[w].get("org", {}).get("items", {}).get(item.id) or {}).get("comment")
        )
        if item.sub_inputs():
            merged["org"]["items"][item.id] = _merge_sub_inputs(item, parsed, evaluators, combine_number, disagreements)
            merged["org"]["items"][item.id]["comment"] = comment
            continue
        values = {w: parsed[w]["org"][item.id] for w in evaluators}
        field = f"org.items.{item.id}.value"
        if item.kind == "flag":
            # A fact recorded 是 by any evaluator stands (the cautious reading); any difference is flagged.
            present = [v for v in values.values() if v is not None]
            value = any(present) if present else None
            if len(set(present)) > 1 or len(present) < len(values):
                disagreements.append(Disagreement(field, label, values))
        elif item.kind == "level":
            order = [lv.label for lv in sorted(item.levels, key=lambda lv: -lv.points)]
            value = combine_choice(field, label, values, order)
        else:
            span = {"points": float(item.max), "rate_steps": 100.0}.get(item.kind, float(item.target or item.max))
            if item.kind == "stepped":
                span = float(item.steps[-1].at)
            integer = item.kind in ("count_shortfall", "deduction", "stepped")
            value = combine_number(field, label, values, span, integer=integer)
        merged["org"]["items"][item.id] = {"value": value, "comment": comment, "evidence": {}}
    for channel in (c for c in ("member", "public") if rubric.uses_channel(c)):  # only the channels it uses
        level_ids = [level.id for level in rubric.channel(channel).method.levels]
        records = {
            w: parsed[w][channel]
            for w in evaluators
            if channel not in broken[w] and _tally_present(channel, parsed[w][channel], level_ids)
        }
        picked = picked_record(channel, records, rubric)
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
            combine_number(f"{channel}.{key}", label, values, max(span, 1), integer=True)  # flags only
            merged[channel][key] = None if picked is None else records[picked].get(key)
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
    method = "中位数" if spec.method == "median" else "平均数"
    tallies = "居中" if spec.tallies == "median_record" else "最低"
    merged["note"] = (
        f"由{len(evaluators)}位考评人的提交合并（指标分数取{method}，票数整份取{tallies}的一位考评人的记录），"
        f"分歧阈值为量程的{format_fraction(spec.disagreement_share * 100)}%"
    )
    return merged, disagreements
