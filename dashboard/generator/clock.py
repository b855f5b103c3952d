"""Time in the simulation: minutes since the start date (naive local time), business days, labels.

All timestamps are float minutes since ``start`` 00:00 (NaN: did not happen), so the simulation is
plain vectorised arithmetic; the calendar turns them into business-hour openings, and its per-day
and per-minute labels let the export format a column with two table lookups.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import numpy as np

MINUTES_PER_DAY = 1440


class Clock:
    """A calendar from ``before`` days ahead of ``start`` to ``after`` days past the span."""

    def __init__(self, start: date, days: int, before: int = 60, after: int = 420):
        self.start = start
        self.days = days
        self._offset = before
        dates = [start + timedelta(days=i - before) for i in range(before + days + after)]
        jp_holidays = holidays.JP(years=sorted({d.year for d in dates}))
        self.weekday = np.array([d.weekday() for d in dates])
        self.business = np.array([d.weekday() < 5 and d not in jp_holidays for d in dates])
        # Position of the next business day strictly after each day (the last days point at
        # themselves; nothing that late survives censoring at as_of).
        nxt = np.arange(len(dates))
        following = len(dates) - 1
        for i in range(len(dates) - 1, -1, -1):
            nxt[i] = following
            if self.business[i]:
                following = i
        self._next_business = nxt
        first_next_month = []
        for d in dates:
            first = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
            first_next_month.append((first - start).days)
        self._first_of_next_month = np.array(first_next_month)
        # Labels per calendar day and per minute of the day, for the export's text formats.
        self.day_labels = [f"{d.year}/{d.month}/{d.day}" for d in dates]
        self.date_labels = [f"{d.year}/{d.month:02d}/{d.day:02d}" for d in dates]
        self.iso_day_labels = [f"{d.year}-{d.month:02d}-{d.day:02d}" for d in dates]
        self.minute_labels = [f"{m // 60}:{m % 60:02d}" for m in range(MINUTES_PER_DAY)]
        self.iso_minute_labels = [f"{m // 60:02d}:{m % 60:02d}:00" for m in range(MINUTES_PER_DAY)]

    def position(self, day: np.ndarray) -> np.ndarray:
        """Index of each day number into the per-day tables and labels."""
        return np.clip(day + self._offset, 0, len(self.weekday) - 1)

    @staticmethod
    def day(t: np.ndarray) -> np.ndarray:
        return np.floor(np.nan_to_num(t) / MINUTES_PER_DAY).astype(np.int64)

    def is_business_day(self, day: np.ndarray) -> np.ndarray:
        return self.business[self.position(day)]

    def weekday_of(self, day: np.ndarray) -> np.ndarray:
        return self.weekday[self.position(day)]

    def open_at_or_after(self, t: np.ndarray, open_min: int = 540, close_min=1140) -> np.ndarray:
        """``t`` itself inside business hours, else the next opening (a business day's ``open_min``)."""
        day = self.day(t)
        minute = t - day * MINUTES_PER_DAY
        business = self.is_business_day(day)
        inside = business & (minute >= open_min) & (minute < close_min)
        later_today = business & (minute < open_min)
        next_day = self._next_business[self.position(day)] - self._offset
        opening = np.where(later_today, day, next_day) * MINUTES_PER_DAY + open_min
        return np.where(inside, t, opening)

    def first_of_next_month(self, day: np.ndarray) -> np.ndarray:
        return self._first_of_next_month[self.position(day)]

    def minutes_of_day(self, t: np.ndarray) -> np.ndarray:
        return np.nan_to_num(t) - self.day(t) * MINUTES_PER_DAY
