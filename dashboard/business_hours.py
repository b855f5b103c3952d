"""The agency's business-hours calendar, so SQL can count response time in business minutes.

A registration at 23:00 answered at 9:05 the next morning was answered 5 business minutes after
the agency opened, not 10 hours late. SQL gets this in bulk from a calendar table
``business_days(calendar, day, is_open, open_minute, close_minute, cum_minutes_before)``: the
business minutes elapsed before midnight of each day, cumulated from the first day. The business
clock at a timestamp is then ``cum_minutes_before(day) + clamp(minute of day - open, 0, close - open)``
(zero on closed days), and business minutes between two timestamps are a difference of two clocks.

Open days are the configured weekdays (Settings.business_weekdays, Monday = 0) that are not
Japanese public holidays (the maintained ``holidays`` package, ``holidays.Japan``). One table holds
several calendars side by side, keyed by the hours they encode, so sessions with different
settings never overwrite each other's; ``cover`` builds or extends a calendar to cover the data,
inside the write transaction that builds what reads it (``metrics.handoff.ensure_clocks``).
"""

from __future__ import annotations

import datetime as dt
import hashlib

import duckdb
import holidays
import pandas as pd

from dashboard.settings import Settings

_TABLE_DDL = """
create table if not exists business_days (
    calendar            varchar not null,
    day                 date not null,
    is_open             boolean not null,
    open_minute         integer not null,
    close_minute        integer not null,
    cum_minutes_before  double not null
)
"""
# Calendar days kept beyond the data on both sides: a registration late on the last day still
# needs the next opening, and long holiday runs (Golden Week, New Year) must be covered.
_MARGIN_DAYS = 31


def calendar_key(settings: Settings) -> str:
    """The key to bind as ``$calendar``: a short hash of the hours and weekdays it encodes."""
    spec = f"{settings.business_start_hour}-{settings.business_end_hour}-{sorted(settings.business_weekdays)}-jp"
    return "hours:" + hashlib.sha256(spec.encode("utf-8")).hexdigest()[:12]


def is_open_day(day: dt.date, settings: Settings, holiday_set=None) -> bool:
    holiday_set = holiday_set if holiday_set is not None else holidays.Japan(years=[day.year])
    return day.weekday() in settings.business_weekdays and day not in holiday_set


def calendar_frame(first: dt.date, last: dt.date, settings: Settings) -> pd.DataFrame:
    """One row per day from ``first`` to ``last`` inclusive, with the cumulative business clock."""
    _check(settings)
    open_minute = settings.business_start_hour * 60
    close_minute = settings.business_end_hour * 60
    per_open_day = close_minute - open_minute
    jp = holidays.Japan(years=range(first.year, last.year + 1))
    days = pd.date_range(first, last, freq="D")
    is_open = [is_open_day(d.date(), settings, jp) for d in days]
    minutes = [per_open_day if o else 0 for o in is_open]
    cum_before = [0.0]
    for m in minutes[:-1]:
        cum_before.append(cum_before[-1] + m)
    return pd.DataFrame(
        {
            "day": [d.date() for d in days],
            "is_open": is_open,
            "open_minute": open_minute,
            "close_minute": close_minute,
            "cum_minutes_before": cum_before[: len(days)],
        }
    )


def _check(settings: Settings) -> None:
    if not 0 <= settings.business_start_hour < settings.business_end_hour <= 24:
        raise ValueError(
            "business hours must satisfy 0 <= start < end <= 24, got "
            f"{settings.business_start_hour}-{settings.business_end_hour}"
        )


def _data_range(con: duckdb.DuckDBPyConnection, as_of: dt.datetime | None) -> tuple[dt.date, dt.date] | None:
    row = con.execute(
        "select min(registered_at), greatest(max(registered_at), (select max(occurred_at) from events)) "
        "from candidates"
    ).fetchall()[0]
    if not row or row[0] is None:
        return None
    first, last = pd.Timestamp(row[0]).date(), pd.Timestamp(row[1]).date()
    if as_of is not None:
        last = max(last, pd.Timestamp(as_of).date())
    return first - dt.timedelta(days=_MARGIN_DAYS), last + dt.timedelta(days=_MARGIN_DAYS)


def cover(cur: duckdb.DuckDBPyConnection, settings: Settings, as_of: dt.datetime | None = None) -> str:
    """Make sure the calendar for ``settings`` covers the data (and ``as_of``); return its key.
    Runs inside the caller's write transaction (``store.write_transaction``): the data's range is
    read in it, so what is built from the calendar in the same transaction sees the calendar cover
    the very data it reads."""
    key = calendar_key(settings)
    cur.execute(_TABLE_DDL)
    wanted = _data_range(cur, as_of)
    if wanted is None:
        return key
    have = cur.execute(
        "select min(day), max(day) from business_days where calendar = $k", {"k": key}
    ).fetchone()
    if have[0] is not None and have[0] <= wanted[0] and have[1] >= wanted[1]:
        return key
    first = min(wanted[0], have[0]) if have[0] is not None else wanted[0]
    last = max(wanted[1], have[1]) if have[1] is not None else wanted[1]
    frame = calendar_frame(first, last, settings)
    frame.insert(0, "calendar", key)
    cur.execute("delete from business_days where calendar = $k", {"k": key})
    cur.register("new_business_days", frame)
    cur.execute(
        "insert into business_days select calendar, day, is_open, open_minute, close_minute, "
        "cum_minutes_before from new_business_days"
    )
    cur.unregister("new_business_days")
    return key


def business_minutes(start: dt.datetime, end: dt.datetime, settings: Settings) -> float:
    """Business minutes between two timestamps, computed day by day (the tests' plain reference)."""
    _check(settings)
    if end <= start:
        return 0.0
    jp = holidays.Japan(years=range(start.year, end.year + 1))
    total = 0.0
    day = start.date()
    while day <= end.date():
        if is_open_day(day, settings, jp):
            midnight = dt.datetime.combine(day, dt.time())
            opens = midnight + dt.timedelta(hours=settings.business_start_hour)
            closes = midnight + dt.timedelta(hours=settings.business_end_hour)
            lo, hi = max(start, opens), min(end, closes)
            if hi > lo:
                total += (hi - lo).total_seconds() / 60
        day += dt.timedelta(days=1)
    return total


def is_business_time(ts: dt.datetime, settings: Settings) -> bool:
    return is_open_day(ts.date(), settings) and settings.business_start_hour <= ts.hour < settings.business_end_hour
