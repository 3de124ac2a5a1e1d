"""Stored rows as the frames :class:`~assessment.inputs.frames.Inputs` holds (same columns and dtypes as
the workbook reader gives), and validated upload rows as JSON the database keeps."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..inputs.frames import ACTIVITY_COLUMNS, BRANCH_COLUMNS, ROSTER_COLUMNS, ROSTER_DTYPES, empty_roster

__all__ = ["activity_frame", "branch_frame", "plain_value", "roster_frame", "rows_json"]

INT_COLUMNS = ("full_members", "probationary_members", "committee_size", "party_groups")


def branch_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """Branch rows as ``Inputs.branches``."""
    frame = pd.DataFrame(list(rows), columns=list(BRANCH_COLUMNS))
    frame = frame.astype(
        {"branch_id": "str", "name": "str", "kind": "str", "street": "str", **dict.fromkeys(INT_COLUMNS, "Int64")}
    )
    frame["last_election"] = pd.to_datetime(frame["last_election"]).astype("datetime64[ns]")
    return frame.reset_index(drop=True)


def activity_frame(rows: Iterable[dict]) -> pd.DataFrame:
    """Activity rows as ``Inputs.activities``."""
    frame = pd.DataFrame(list(rows), columns=list(ACTIVITY_COLUMNS))
    frame = frame.astype({"branch_id": "str", "type": "str", "expected": "Int64", "attended": "Int64"})
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["has_record"] = frame["has_record"].astype("boolean")
    return frame.reset_index(drop=True)


def roster_frame(rows: list[dict]) -> pd.DataFrame:
    """Roster rows as the workbook reader's 党员名册 frame."""
    if not rows:
        return empty_roster()
    frame = pd.DataFrame(rows, columns=list(ROSTER_COLUMNS))
    frame["joined"] = pd.to_datetime(frame["joined"])
    return frame.astype(ROSTER_DTYPES)


def plain_value(value: Any) -> Any:
    """A pandas/numpy cell as a plain Python value for the database (NA → None)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value


def rows_json(frame: pd.DataFrame, columns) -> list[dict[str, Any]]:
    """Validated upload rows as JSON-able dicts (dates as ISO text, NA as null)."""
    out = []
    for record in frame[list(columns)].astype(object).to_dict("records"):
        row = {}
        for key, value in record.items():
            if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
                row[key] = None
            elif isinstance(value, pd.Timestamp | dt.date):
                row[key] = pd.Timestamp(value).date().isoformat()
            elif hasattr(value, "item"):
                row[key] = value.item()
            else:
                row[key] = value
        out.append(row)
    return out
