"""What a branch's upload does to its 活动记录 or 党员名册, worked out before it is stored (the page's
preview) and again, the same way, when it is stored: pure functions over validated rows (JSON dicts,
:func:`~assessment.store.frames.rows_json`).

**The identity of an activity record is its date and type** (日期 + 类型): the activity log has no id
column, and a branch holds one meeting of a kind on a day. Merging an upload into a log (``merge``, the
default):

- a record whose date and type the log does not have is **added**;
- a record whose date and type the log has **replaces** the log's records of that date and type (all of
  them: an upload listing two 党课 on one day replaces whatever the log had that day), or leaves them
  **unchanged** when it says the same;
- every record of the log that the upload does not mention is **kept**.

So uploading four missing meetings adds four records and changes nothing else. A record moved to another
date is a new record (the old date stays): to drop records, the branch chooses ``replace`` explicitly —
the upload becomes the whole log and the records it does not list are **removed**.

A roster (党员名册) is always replaced as a whole (``replace``): it lists the members as they are now, and
merging would keep people who have left. Members are matched by name only to describe the change.

The branch's log is the street's stored log with the branch's activity uploads applied in order
(:func:`fold_activities`): a street re-import under a merged upload keeps the branch's records on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .frames import activity_frame, roster_frame

__all__ = [
    "MERGE",
    "MODES",
    "REPLACE",
    "Displaced",
    "UploadPlan",
    "activity_key",
    "fold_activities",
    "plan_activities",
    "plan_roster",
]

MERGE = "merge"
REPLACE = "replace"
MODES = (MERGE, REPLACE)
ORIGIN = "origin"  # the key under which a folded log row carries where it came from (None: the street's log)


def activity_key(row: dict[str, Any]) -> tuple[str, str]:
    """An activity record's identity: (date as ISO text, type)."""
    return (str(row["date"]), str(row["type"]))


def _content(row: dict[str, Any]) -> tuple:
    return tuple(sorted((k, v) for k, v in row.items() if k not in (ORIGIN, "branch_id")))


def _by_key(rows: Iterable[dict[str, Any]], key) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(key(row), []).append(row)
    return grouped


@dataclass(frozen=True)
class UploadPlan:
    """What applying an upload does. ``rows``: the file's rows (what is stored); ``result``: the log or
    roster afterwards; the tuples hold upload rows (added, replaced, unchanged) or existing rows (removed,
    and ``replaced_existing``: the existing rows the replaced ones displace)."""

    kind: str
    mode: str
    source: str
    rows: list[dict[str, Any]] = field(repr=False)
    result: list[dict[str, Any]] = field(repr=False)
    added: tuple[dict[str, Any], ...] = ()
    replaced: tuple[dict[str, Any], ...] = ()
    unchanged: tuple[dict[str, Any], ...] = ()
    kept: int = 0
    removed: tuple[dict[str, Any], ...] = ()
    replaced_existing: tuple[dict[str, Any], ...] = ()
    before: int = 0  # records (or members) before the upload

    @property
    def frame(self) -> pd.DataFrame:
        """The file's rows as the workbook reader's frame (活动记录 or 党员名册)."""
        return activity_frame(self.rows) if self.kind == "activities" else roster_frame(self.rows)

    @property
    def counts(self) -> dict[str, int]:
        """The counts stored with the upload (its history line)."""
        return {
            "added": len(self.added),
            "replaced": len(self.replaced),
            "unchanged": len(self.unchanged),
            "kept": self.kept,
            "removed": len(self.removed),
        }


def _compare(existing: dict[Any, list[dict]], incoming: dict[Any, list[dict]]):
    """Upload rows added, replacing, unchanged; the existing rows replaced; the keys left unchanged."""
    added, replaced, unchanged, displaced, same = [], [], [], [], set()
    for key, rows in incoming.items():
        before = existing.get(key)
        if before is None:
            added += rows
        elif sorted(map(_content, before)) == sorted(map(_content, rows)):
            unchanged += rows
            same.add(key)
        else:
            replaced += rows
            displaced += before
    return added, replaced, unchanged, displaced, same


def plan_activities(
    existing: Sequence[dict[str, Any]],
    rows: Sequence[dict[str, Any]],
    *,
    mode: str = MERGE,
    source: str = "",
    origin: Any = None,
) -> UploadPlan:
    """Apply activity ``rows`` to the log ``existing`` (``mode`` merge or replace, see the module);
    rows of the result that come from this upload carry ``origin``."""
    if mode not in MODES:
        raise ValueError(mode)
    existing_by_key = _by_key(existing, activity_key)
    incoming_by_key = _by_key(rows, activity_key)
    added, replaced, unchanged, displaced, same = _compare(existing_by_key, incoming_by_key)
    stamped = [{**row, ORIGIN: origin} for row in rows]
    if mode == MERGE:
        untouched = [row for row in existing if activity_key(row) not in incoming_by_key]
        kept, removed = len(untouched), []
    else:
        untouched = []
        kept = 0
        removed = [row for row in existing if activity_key(row) not in incoming_by_key]
    # unchanged records keep their origin (the street's record stays the street's)
    result = untouched + [row for row in existing if activity_key(row) in same]
    result += [row for row in stamped if activity_key(row) not in same]
    result.sort(key=activity_key)
    return UploadPlan(
        "activities",
        mode,
        source,
        list(rows),
        result,
        tuple(added),
        tuple(replaced),
        tuple(unchanged),
        kept,
        tuple(removed),
        tuple(displaced),
        len(existing),
    )


def plan_roster(existing: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]], *, source: str = "") -> UploadPlan:
    """A roster replaces the roster; members matched by name say who is new, changed, the same, gone."""
    existing_by_name = _by_key(existing, lambda row: row["name"])
    incoming_by_name = _by_key(rows, lambda row: row["name"])
    added, replaced, unchanged, displaced, _same = _compare(existing_by_name, incoming_by_name)
    removed = [row for row in existing if row["name"] not in incoming_by_name]
    return UploadPlan(
        "roster",
        REPLACE,
        source,
        list(rows),
        list(rows),
        tuple(added),
        tuple(replaced),
        tuple(unchanged),
        0,
        tuple(removed),
        tuple(displaced),
        len(existing),
    )


@dataclass(frozen=True)
class Displaced:
    """A record of the street's log that the branch's uploads took out of the branch's log."""

    row: dict[str, Any]
    reason: str  # replaced / removed
    by: Any  # the origin of the upload that did it


def fold_activities(
    street: Sequence[dict[str, Any]], uploads: Iterable[tuple[str, Sequence[dict[str, Any]], Any]]
) -> tuple[list[dict[str, Any]], list[Displaced]]:
    """The branch's log: the street's rows (origin None) with each ``(mode, rows, origin)`` applied in
    order; and the street's records the uploads replaced or removed, with the upload that did it."""
    log = [{**row, ORIGIN: None} for row in street]
    displaced: list[Displaced] = []
    for mode, rows, origin in uploads:
        plan = plan_activities(log, rows, mode=mode, origin=origin)
        displaced += [Displaced(row, "replaced", origin) for row in plan.replaced_existing if row[ORIGIN] is None]
        displaced += [Displaced(row, "removed", origin) for row in plan.removed if row[ORIGIN] is None]
        log = plan.result
    return log, displaced
