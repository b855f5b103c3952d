"""The shared filters every page and the report apply, as bound query parameters.

``Filters.params()`` gives the dict every metric query receives: ``$start``/``$end`` (registration
dates, inclusive; null = open), ``$team``, ``$channel``, ``$handler``, ``$advisor`` (null = all) and
``$as_of``. Scope (team, advisor) is enforced in SQL, never by hiding rows in a page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace

import duckdb


@dataclass(frozen=True)
class Filters:
    start: dt.date | None = None
    end: dt.date | None = None
    team: str | None = None
    channel: str | None = None
    handler: str | None = None
    advisor: str | None = None
    as_of: dt.datetime | None = None

    def with_(self, **changes) -> "Filters":
        return replace(self, **changes)

    def params(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "team": self.team,
            "channel": self.channel,
            "handler": self.handler,
            "advisor": self.advisor,
            "as_of": self.as_of,
        }

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in asdict(self).items()}


def resolve_as_of(con: duckdb.DuckDBPyConnection, given: dt.datetime | None = None) -> dt.datetime | None:
    """``as_of`` (metrics.md): the export date if the user gave one, else the latest timestamp in the data."""
    if given is not None:
        return given
    cur = con.cursor()
    try:
        row = cur.execute(
            "select greatest((select max(registered_at) from candidates), (select max(occurred_at) from events))"
        ).fetchone()
    finally:
        cur.close()
    return row[0] if row and row[0] is not None else None


def with_as_of(con: duckdb.DuckDBPyConnection, filters: Filters) -> Filters:
    return filters.with_(as_of=resolve_as_of(con, filters.as_of))
