"""The one local time of everything a person reads: pages, exports, reports, the command line.

The store keeps every time as UTC. What is shown or exported is Beijing time (Asia/Shanghai), whatever
the server's own time zone is (servers often run in UTC). ``$ASSESSMENT_TIMEZONE`` may name another zone.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

__all__ = ["LOCAL_ZONE", "local", "local_date", "local_now", "local_time"]

LOCAL_ZONE = ZoneInfo(os.environ.get("ASSESSMENT_TIMEZONE", "").strip() or "Asia/Shanghai")


def local(moment: dt.datetime | str) -> dt.datetime:
    """``moment`` in the local zone; a naive time is taken as UTC (what the store writes)."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(LOCAL_ZONE)


def local_time(moment: dt.datetime | str | None, *, seconds: bool = False) -> str:
    """A stored time as people read it: ``2025-07-01 13:30`` (Beijing time), or — for none."""
    if moment is None:
        return "—"
    return local(moment).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_now() -> dt.datetime:
    return dt.datetime.now(LOCAL_ZONE)


def local_date(moment: dt.datetime) -> dt.date:
    """The local calendar day of ``moment`` (a designation made at 01:00 Beijing time is of that day)."""
    return local(moment).date()
