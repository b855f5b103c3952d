"""Division of labour (metrics.md, "Division of labour"; domain.md lever 1): who makes first
contacts (handlers or advisors) per team and week, the first contacts each advisor still makes, the
meeting rate that follows each, meetings per advisor-week and, with an activity log, advisor
minutes spent on out-of-target candidates.
"""

from __future__ import annotations

import functools
import hashlib
import math

import duckdb
import numpy as np
import pandas as pd

from dashboard import memo, segments, sql, stats, store
from dashboard.filters import Filters, with_as_of
from dashboard.settings import DEFAULT, Settings

ROLES = ("handler", "advisor", "both", "unknown")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


# --- facts materialised per data version -----------------------------------------------------

FACTS_VERSION_KEY = "labour_facts_version"


def ensure_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Make ``labour_facts`` (queries/labour/facts.sql) current for the store's data version.

    Built lazily on the first labour query after an import or undo, like ``segments.ensure``
    builds ``candidate_segments``: the import does not pay for it, and a store that never shows
    the labour page never holds it. store_meta remembers the data version the table was built
    from (in the same transaction), so an import or undo invalidates it exactly once."""
    cur = con.cursor()
    try:
        if _facts_version(cur) == _wanted_version(cur):
            return
    finally:
        cur.close()
    with store.write_transaction(con) as cur:
        version = _wanted_version(cur)  # read in the transaction that builds from the data
        if _facts_version(cur) == version:  # another session built it meanwhile
            return
        sql.execute(cur, "labour/facts")
        cur.execute("insert or replace into store_meta (key, value) values ($k, $v)",
                    {"k": FACTS_VERSION_KEY, "v": version})


def _wanted_version(con) -> str:
    return f"{store.data_version(con)}:{_facts_fingerprint()}"


def _facts_version(con) -> str | None:
    """'<data version>:<fingerprint of facts.sql>' that built ``labour_facts`` (None: never built)."""
    row = con.execute("select value from store_meta where key = $k", {"k": FACTS_VERSION_KEY}).fetchall()
    return row[0][0] if row else None


@functools.lru_cache(maxsize=None)
def _facts_fingerprint() -> str:
    """A table built by another text of facts.sql (an older release) is rebuilt."""
    return hashlib.sha256(sql.load("labour/facts").text.encode("utf-8")).hexdigest()[:16]


# --- first contacts --------------------------------------------------------------------------

FIRST_CONTACT_COLUMNS = ["team", "week", "role", "first_contacts", "mature_first_contacts", "meetings_after"]


@memo.per_data_version
def first_contacts(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), settings: Settings = DEFAULT
) -> pd.DataFrame:
    """One row per (team, week of first contact, role of whoever made it). Memoised per
    connection and data version: the page's role shares, weekly shares and team table all start
    from it."""
    filters = with_as_of(con, filters)
    if filters.as_of is None:
        return _empty(FIRST_CONTACT_COLUMNS)
    return sql.run(
        con, "labour/first_contacts", meeting_window_days=settings.meeting_window_days, **filters.params()
    )


WEEKLY_COLUMNS = ["team", "week", "first_contacts", *[f"{r}_contacts" for r in ROLES], "handler_share", "handler_low", "handler_high"]


def first_contact_weekly(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), settings: Settings = DEFAULT
) -> pd.DataFrame:
    """Per (team, week): first contacts by role and the handler share (Wilson 95%)."""
    raw = first_contacts(con, filters, settings)
    if raw.empty:
        return _empty(WEEKLY_COLUMNS)
    wide = (
        raw.pivot_table(index=["team", "week"], columns="role", values="first_contacts", aggfunc="sum",
                        fill_value=0, dropna=False)
        .reindex(columns=list(ROLES), fill_value=0)
        .add_suffix("_contacts")
        .reset_index()
    )
    wide.columns.name = None
    wide = wide[wide[[f"{r}_contacts" for r in ROLES]].sum(axis=1) > 0]
    wide["first_contacts"] = wide[[f"{r}_contacts" for r in ROLES]].sum(axis=1)
    wide = stats.add_wilson(wide, "handler_contacts", "first_contacts", prefix="handler_")
    wide = wide.rename(columns={"handler_rate": "handler_share"})
    return wide[WEEKLY_COLUMNS].sort_values(["team", "week"], ignore_index=True)


BY_ROLE_COLUMNS = [
    "scope", "team", "role", "first_contacts", "share", "share_low", "share_high",
    "mature_first_contacts", "meetings_after", "meeting_rate", "meeting_low", "meeting_high",
]


def first_contact_by_role(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), settings: Settings = DEFAULT
) -> pd.DataFrame:
    """Per team (scope 'team') and over all teams (scope 'overall', team None) and role: the share
    of first contacts that role made, and the meeting rate (within the meeting window, mature
    cohorts) after that role's first contact."""
    raw = first_contacts(con, filters, settings)
    if raw.empty:
        return _empty(BY_ROLE_COLUMNS)
    raw = raw.assign(team=raw["team"].astype(object))
    parts = []
    for scope, keys in (("overall", ["role"]), ("team", ["team", "role"])):
        grouped = raw.groupby(keys, dropna=False, as_index=False)[
            ["first_contacts", "mature_first_contacts", "meetings_after"]
        ].sum()
        if scope == "overall":
            grouped.insert(0, "team", None)
            totals = grouped["first_contacts"].sum()
            grouped["all_contacts"] = totals
        else:
            grouped["all_contacts"] = grouped.groupby("team", dropna=False)["first_contacts"].transform("sum")
        grouped.insert(0, "scope", scope)
        parts.append(grouped)
    frame = pd.concat(parts, ignore_index=True)
    frame = stats.add_wilson(frame, "first_contacts", "all_contacts", prefix="share_")
    frame = frame.rename(columns={"share_rate": "share"})
    frame = stats.add_wilson(frame, "meetings_after", "mature_first_contacts", prefix="meeting_")
    frame["role"] = pd.Categorical(frame["role"], categories=list(ROLES), ordered=True)
    frame = frame.sort_values(["scope", "team", "role"], na_position="first", ignore_index=True)
    frame["role"] = frame["role"].astype(str)
    return frame[BY_ROLE_COLUMNS]


# --- advisor workload ------------------------------------------------------------------------

ADVISOR_WEEK_COLUMNS = ["advisor", "team", "role", "week", "first_contacts", "meetings_held"]


@memo.per_data_version
def advisor_weeks(con: duckdb.DuckDBPyConnection, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per (advisor, week) across each advisor's active span, zeros included."""
    filters = with_as_of(con, filters)
    if filters.as_of is None:
        return _empty(ADVISOR_WEEK_COLUMNS)
    ensure_facts(con)
    return sql.run(con, "labour/advisor_weeks", **filters.params())


ADVISOR_COLUMNS = [
    "advisor", "team", "role", "weeks", "first_contacts", "first_contacts_per_week",
    "meetings_held", "meetings_per_week",
]


def advisor_summary(con: duckdb.DuckDBPyConnection, filters: Filters = Filters()) -> pd.DataFrame:
    """Per advisor: active weeks, the first contacts they still make and meetings held, in total
    and per week; most first contacts first."""
    weeks = advisor_weeks(con, filters)
    if weeks.empty:
        return _empty(ADVISOR_COLUMNS)
    frame = weeks.assign(team=weeks["team"].astype(object)).groupby(
        ["advisor", "team", "role"], dropna=False, as_index=False
    ).agg(weeks=("week", "nunique"), first_contacts=("first_contacts", "sum"), meetings_held=("meetings_held", "sum"))
    frame["first_contacts_per_week"] = frame["first_contacts"] / frame["weeks"]
    frame["meetings_per_week"] = frame["meetings_held"] / frame["weeks"]
    frame = frame.sort_values(["first_contacts", "advisor"], ascending=[False, True], ignore_index=True)
    return frame[ADVISOR_COLUMNS]


TEAM_WORKLOAD_COLUMNS = ["team", "advisors", "advisor_weeks", "meetings_held", "meetings_per_advisor_week",
                         "first_contacts", "first_contacts_per_advisor_week"]


def team_workload(con: duckdb.DuckDBPyConnection, filters: Filters = Filters()) -> pd.DataFrame:
    """Per advisor team: meetings per advisor-week and first contacts per advisor-week."""
    weeks = advisor_weeks(con, filters)
    if weeks.empty:
        return _empty(TEAM_WORKLOAD_COLUMNS)
    frame = weeks.assign(team=weeks["team"].astype(object)).groupby("team", dropna=False, as_index=False).agg(
        advisors=("advisor", "nunique"),
        advisor_weeks=("week", "size"),
        meetings_held=("meetings_held", "sum"),
        first_contacts=("first_contacts", "sum"),
    )
    frame["meetings_per_advisor_week"] = frame["meetings_held"] / frame["advisor_weeks"]
    frame["first_contacts_per_advisor_week"] = frame["first_contacts"] / frame["advisor_weeks"]
    return frame[TEAM_WORKLOAD_COLUMNS]


# --- activity log ----------------------------------------------------------------------------

@memo.per_data_version
def activity_log_info(con: duckdb.DuckDBPyConnection) -> dict:
    """{activities, activities_with_minutes, advisor_activities}: zero activities means no log."""
    row = sql.run(con, "labour/activity_log").iloc[0]
    return {k: int(row[k]) if pd.notna(row[k]) else 0 for k in ("activities", "activities_with_minutes", "advisor_activities")}


MINUTES_COLUMNS = ["advisor", "team", "week", "activities", "minutes_total", "minutes_target",
                   "minutes_out_of_target", "minutes_unknown", "share_out_of_target"]


def out_of_target_minutes(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), targets: segments.TargetList | None = None
) -> pd.DataFrame | None:
    """Per (advisor, week): activity minutes on target, out-of-target and unknown-segment
    candidates. None when there is no activity log or no target list to tell target from not."""
    if targets is None or activity_log_info(con)["activities"] == 0:
        return None
    filters = with_as_of(con, filters)
    key = segments.ensure(con, targets)
    ensure_facts(con)
    frame = sql.run(con, "labour/out_of_target_minutes", segmentation=key, **filters.params())
    with np.errstate(invalid="ignore", divide="ignore"):
        total = frame["minutes_total"].to_numpy(dtype=float)
        frame["share_out_of_target"] = np.where(
            total > 0, frame["minutes_out_of_target"].to_numpy(dtype=float) / np.where(total > 0, total, 1), np.nan
        )
    return frame[MINUTES_COLUMNS]


def out_of_target_by_advisor(minutes: pd.DataFrame | None) -> pd.DataFrame | None:
    """Per advisor over all weeks: minutes in total and out of target, and minutes per week."""
    if minutes is None:
        return None
    frame = minutes.assign(team=minutes["team"].astype(object)).groupby(
        ["advisor", "team"], dropna=False, as_index=False
    ).agg(
        weeks=("week", "nunique"),
        minutes_total=("minutes_total", "sum"),
        minutes_out_of_target=("minutes_out_of_target", "sum"),
        minutes_unknown=("minutes_unknown", "sum"),
    )
    frame["out_of_target_per_week"] = frame["minutes_out_of_target"] / frame["weeks"]
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["share_out_of_target"] = frame["minutes_out_of_target"] / frame["minutes_total"].where(
            frame["minutes_total"] > 0
        )
    return frame.sort_values(["minutes_out_of_target", "advisor"], ascending=[False, True], ignore_index=True)


# --- operating model by team -----------------------------------------------------------------

TEAM_COLUMNS = [
    "team", "first_contacts", "handler_contacts", "handler_share", "handler_low", "handler_high",
    "handoffs", "live_transfers", "live_transfer_share", "live_transfer_low", "live_transfer_high",
    "mature_registrations", "meetings_within_window", "meeting_rate", "meeting_low", "meeting_high",
]


def team_summary(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), settings: Settings = DEFAULT
) -> pd.DataFrame:
    """Per team: handler share of first contacts, live-transfer share of handoffs and meeting rate
    within the meeting window (mature cohorts): the operating model in three figures."""
    filters = with_as_of(con, filters)
    if filters.as_of is None:
        return _empty(TEAM_COLUMNS)
    outcomes = sql.run(
        con,
        "labour/team_outcomes",
        meeting_window_days=settings.meeting_window_days,
        live_transfer_minutes=settings.live_transfer_minutes,
        **filters.params(),
    )
    by_role = first_contact_by_role(con, filters, settings)
    by_role = by_role[by_role["scope"] == "team"]
    contacts = by_role.groupby("team", as_index=False).agg(first_contacts=("first_contacts", "sum"))
    handler = by_role[by_role["role"] == "handler"][["team", "first_contacts"]].rename(
        columns={"first_contacts": "handler_contacts"}
    )
    frame = outcomes.merge(contacts, on="team", how="outer").merge(handler, on="team", how="left")
    frame = frame[frame["team"].notna()]
    for col in ("first_contacts", "handler_contacts", "handoffs", "live_transfers", "mature_registrations",
                "meetings_within_window"):
        frame[col] = frame[col].fillna(0).astype("int64")
    frame = stats.add_wilson(frame, "handler_contacts", "first_contacts", prefix="handler_")
    frame = frame.rename(columns={"handler_rate": "handler_share"})
    frame = stats.add_wilson(frame, "live_transfers", "handoffs", prefix="live_transfer_")
    frame = frame.rename(columns={"live_transfer_rate": "live_transfer_share"})
    frame = stats.add_wilson(frame, "meetings_within_window", "mature_registrations", prefix="meeting_")
    return frame[TEAM_COLUMNS].sort_values("team", ignore_index=True)


# --- report ----------------------------------------------------------------------------------

def report_section(con: duckdb.DuckDBPyConnection, rc) -> dict:
    """Report key ``division_of_labour`` (docs/report-keys-form.md)."""
    empty = {"first_contact_share_by_role": {}, "by_team": [], "meetings_per_advisor_week": None,
             "out_of_target_minutes": None}
    if store.is_empty(con):
        return {"division_of_labour": empty}
    by_role = first_contact_by_role(con, rc.filters, rc.settings)
    overall = by_role[by_role["scope"] == "overall"]
    total = int(overall["first_contacts"].sum())
    shares = {
        role: stats.rate(int(overall.loc[overall["role"] == role, "first_contacts"].sum()), total)
        for role in ROLES
        if role in set(overall["role"]) or role in ("handler", "advisor")
    }
    after = {
        r.role: stats.rate(r.meetings_after, r.mature_first_contacts)
        for r in overall.itertuples()
        if r.role in ("handler", "advisor", "both")
    }
    workload = team_workload(con, rc.filters)
    per_week = workload.set_index("team")["meetings_per_advisor_week"] if not workload.empty else pd.Series(dtype=float)
    teams = []
    for r in team_summary(con, rc.filters, rc.settings).itertuples():
        teams.append(
            {
                "team": r.team,
                "first_contact_share_handler": stats.rate(r.handler_contacts, r.first_contacts),
                "live_transfer_share": stats.rate(r.live_transfers, r.handoffs),
                "meeting_rate_14d": stats.rate(r.meetings_within_window, r.mature_registrations),
                "meetings_per_advisor_week": _float(per_week.get(r.team)),
            }
        )
    weeks = int(workload["advisor_weeks"].sum()) if not workload.empty else 0
    minutes = out_of_target_minutes(con, rc.filters, rc.targets)
    minutes_section = None
    if minutes is not None:
        minutes_section = {
            "minutes_total": float(minutes["minutes_total"].sum()),
            "minutes_out_of_target": float(minutes["minutes_out_of_target"].sum()),
            "share_out_of_target": _share(minutes["minutes_out_of_target"].sum(), minutes["minutes_total"].sum()),
        }
    return {
        "division_of_labour": {
            "first_contact_share_by_role": shares,
            "meeting_rate_after_first_contact": after,
            "by_team": teams,
            "meetings_per_advisor_week": (
                float(workload["meetings_held"].sum()) / weeks if weeks else None
            ),
            "out_of_target_minutes": minutes_section,
        }
    }


def _float(x) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return float(x)


def _share(part, whole) -> float | None:
    return float(part) / float(whole) if whole else None
