"""One local time (Beijing) for everything a person reads, whatever the server's own zone (issue 14)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from assessment.localtime import LOCAL_ZONE, local_date, local_time

STORED = dt.datetime(2025, 7, 1, 5, 30, tzinfo=dt.UTC)  # as the store keeps it


def test_a_stored_time_reads_as_beijing_time():
    assert str(LOCAL_ZONE) == "Asia/Shanghai"
    assert local_time(STORED) == "2025-07-01 13:30"
    assert local_time(STORED, seconds=True) == "2025-07-01 13:30:00"
    assert local_time(STORED.replace(tzinfo=None)) == "2025-07-01 13:30"  # naive: UTC
    assert local_time("2025-07-01T05:30:00+00:00") == "2025-07-01 13:30"
    assert local_time(None) == "—"


def test_a_designation_made_after_midnight_beijing_time_is_of_that_day():
    late = dt.datetime(2025, 6, 30, 17, 0, tzinfo=dt.UTC)  # 2025-07-01 01:00 in Beijing
    assert local_date(late) == dt.date(2025, 7, 1)


def test_excel_gets_the_local_wall_clock_time():
    from assessment.outputs.excel import cell_value

    assert cell_value(pd.Timestamp(STORED)) == dt.datetime(2025, 7, 1, 13, 30)
