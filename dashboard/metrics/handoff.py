"""Handoff metrics (連携スピード): response time (wall clock and business minutes), its buckets and
the meeting rate after each (lead decay), handoff lag and live transfers, show-up by booking lead
time, time to meeting (Kaplan-Meier) and registrations by weekday x hour.

Windowed figures count mature cohorts only (see dashboard.metrics.funnel); quantiles are taken in
SQL over the mature cohorts directly, since they cannot be added up from weekly rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

import duckdb
import numpy as np
import pandas as pd

from dashboard import business_hours, memo, sql, store
from dashboard.filters import Filters
from dashboard.metrics import funnel
from dashboard.settings import DEFAULT, Settings
from dashboard.stats import add_wilson, rate

LEAD_TIME_BUCKETS = ("same_call", "same_day", "next_day", "2_3_days", "4_plus_days")
BASES = ("wall", "business")
KM_CHECKPOINT_DAYS = (1, 3, 7, 14, 30, 60)


def response_bucket_keys(settings: Settings = DEFAULT) -> list[str]:
    """Stable names of the response buckets, e.g. le_5min ... gt_4320min, not_contacted."""
    bounds = _bounds(settings)
    keys = [f"le_{_num(b)}min" for b in bounds]
    return keys + [f"gt_{_num(bounds[-1])}min", "not_contacted"]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _bounds(settings: Settings) -> tuple[float, ...]:
    bounds = tuple(settings.response_bucket_minutes)
    if len(bounds) != 4 or list(bounds) != sorted(bounds):
        raise ValueError(f"response_bucket_minutes needs four increasing bounds, got {bounds}")
    return bounds


def _bound_params(settings: Settings) -> dict:
    return {f"bound_{i + 1}": float(b) for i, b in enumerate(_bounds(settings))}


def _calendar(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings) -> str:
    return _ensured_calendar(con, settings, filters.as_of)


@memo.per_data_version
def _ensured_calendar(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: dt.datetime | None) -> str:
    """The calendar key, with the calendar made to cover the data and its response clocks current,
    once per data version (and hours and as_of) in a process: checking them reads the data's date
    range and the store's metadata, which every clocked query of a page needed."""
    return ensure_clocks(con, settings, as_of)


# --- response clocks materialised per data version and calendar ---------------------------------

_CLOCKS_COLUMNS = (
    ("calendar", "varchar not null"), ("cand_key", "integer not null"), ("registered_at", "timestamp"),
    ("cohort_week", "date"), ("channel", "varchar"), ("team", "varchar"), ("first_contact_at", "timestamp"),
    ("first_contact_by", "varchar"), ("meeting_held_at", "timestamp"), ("meeting_advisor_id", "varchar"),
    ("first_contact_business_minutes", "double"),
)
_CLOCKS_META = "response_clocks:"  # store_meta key prefix; + calendar key


def ensure_clocks(con: duckdb.DuckDBPyConnection, settings: Settings = DEFAULT,
                  as_of: dt.datetime | None = None) -> str:
    """Make ``response_clocks`` (queries/handoff/clocks.sql) current for the store's data version on
    the business-hours calendar of ``settings``; return the calendar's key.

    The calendar is made to cover the data (``business_hours.cover``) in the same write
    transaction that builds the clocks from that data, so an import committed meanwhile can never
    leave clocks built from data the calendar does not cover. Each calendar has its own rows, so
    sessions with other hours never replace each other's; built lazily by the first clocked query
    after an import or undo (``warmup.prepare`` builds the default hours' right after one).
    store_meta remembers the data version each calendar's rows were built from; rows of calendars
    built from an older version are dropped when another is built."""
    key = business_hours.calendar_key(settings)
    cur = con.cursor()
    try:
        if _clocks_version(cur, key) == _wanted_clocks_version(cur):
            return key
    finally:
        cur.close()
    with store.write_transaction(con) as cur:
        business_hours.cover(cur, settings, as_of)
        version = _wanted_clocks_version(cur)  # read in the transaction that builds from the data
        if _clocks_version(cur, key) == version:  # another session built it meanwhile
            return key
        _clocks_table(cur)
        cur.execute(
            "delete from response_clocks where calendar = $c or calendar not in "
            "(select substr(key, $n) from store_meta where starts_with(key, $prefix) and value = $v)",
            {"c": key, "n": len(_CLOCKS_META) + 1, "prefix": _CLOCKS_META, "v": version},
        )
        cur.execute("delete from store_meta where starts_with(key, $prefix) and value <> $v",
                    {"prefix": _CLOCKS_META, "v": version})
        sql.execute(cur, "handoff/clocks", calendar=key)
        cur.execute("insert or replace into store_meta (key, value) values ($k, $v)",
                    {"k": _CLOCKS_META + key, "v": version})
    return key


def _clocks_table(cur) -> None:
    """Create ``response_clocks``, or recreate it when a store holds one with other columns (built
    by another release: its rows are stale anyway)."""
    have = [r[0] for r in cur.execute(
        "select column_name from information_schema.columns where table_name = 'response_clocks' "
        "order by ordinal_position").fetchall()]
    if have == [name for name, _ in _CLOCKS_COLUMNS]:
        return
    if have:
        cur.execute("drop table response_clocks")
        cur.execute("delete from store_meta where starts_with(key, $prefix)", {"prefix": _CLOCKS_META})
    cur.execute("create table response_clocks (" + ", ".join(f"{n} {t}" for n, t in _CLOCKS_COLUMNS) + ")")


def _wanted_clocks_version(con) -> str:
    return f"{store.data_version(con)}:{_clocks_fingerprint()}"


def _clocks_version(con, calendar: str) -> str | None:
    row = con.execute("select value from store_meta where key = $k", {"k": _CLOCKS_META + calendar}).fetchall()
    return row[0][0] if row else None


@functools.lru_cache(maxsize=None)
def _clocks_fingerprint() -> str:
    """Rows built by another text of clocks.sql (an older release) are rebuilt."""
    return hashlib.sha256(sql.load("handoff/clocks").text.encode("utf-8")).hexdigest()[:16]


def _check_basis(basis: str) -> None:
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")


def prefetch(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT) -> bool:
    """Run the two shared passes the handoff page and the report read most figures from (the
    clocked responses: headline, heatmap, buckets on both bases; the handoff lag: no breakdown,
    by team, by handler, by week), memoised per data version. Called first by the page and the
    report; a figure asked for alone (the overview's response-time card, the benchmark's metric
    set) runs its own narrower query instead."""
    _response_figures(con, filters, settings)
    _lag_figures(con, filters, settings)
    return True


# --- response time ----------------------------------------------------------------------------

def response_time_by_week(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, group_by: str | None = None
) -> pd.DataFrame:
    """One row per (cohort_week, group_value): registrations, contacted, median_minutes,
    p90_minutes, median_business_minutes, p90_business_minutes, is_mature."""
    funnel._check_group_by(group_by)
    frame = sql.run(
        con, "handoff/response_time", **filters.params(),
        window_days=settings.response_window_days, calendar=_calendar(con, filters, settings),
        by_week=True, group_by=group_by,
    )
    return funnel._dates(frame, "cohort_week").drop(columns=["cohorts"])


def response_time(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, group_by: str | None = None
) -> pd.DataFrame:
    """Headline response time over mature cohorts: one row (or one per group) with registrations,
    contacted (within the response window; the quantiles run over these), median_minutes,
    p90_minutes, median_business_minutes, p90_business_minutes, cohorts, excluded_cohorts,
    excluded_registrations."""
    funnel._check_group_by(group_by)
    figures = _response_figures.peek(con, filters, settings) if group_by is None else None
    if figures is not None:  # a page load or the report ran the shared pass (prefetch)
        frame = figures["headline"]
    else:  # alone (the overview's card, a script): the narrower query costs half the shared pass
        frame = sql.run(
            con, "handoff/response_time", **filters.params(),
            window_days=settings.response_window_days, calendar=_calendar(con, filters, settings),
            by_week=False, group_by=group_by,
        )
    return _fold_maturity(frame, "registrations")


# The columns (and dtypes) of each part of handoff/response_figures, as the queries it replaced
# returned them: handoff/response_time (headline), registration_heatmap and response_bucket_weeks.
_FIGURE_PARTS = {
    "headline": {
        "cohort_week": "datetime64[us]", "group_value": "object", "is_mature": "bool", "cohorts": "int64",
        "registrations": "int64", "contacted": "int64", "median_minutes": "float64", "p90_minutes": "float64",
        "median_business_minutes": "float64", "p90_business_minutes": "float64",
    },
    "heatmap": {
        "weekday": "int32", "hour": "int32", "registrations": "int64", "contacted": "int64",
        "median_minutes": "float64", "median_business_minutes": "float64",
    },
    "buckets": {
        "cohort_week": "datetime64[us]", "bucket": "int32", "registrations": "int64", "meetings": "int64",
        "is_mature_response": "bool", "is_mature_meeting": "bool",
    },
}


@memo.per_data_version
def _response_figures(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings) -> dict[str, pd.DataFrame]:
    """The headline response time, the weekday x hour cells and the response buckets on both bases,
    from one pass over the clocked responses (handoff/response_figures): a page load and the report
    ask for all of them, and each used to clock every registration again. Keys: 'headline',
    'heatmap', 'wall', 'business'."""
    try:
        bounds = _bound_params(settings)
    except ValueError:  # the bucket callers refuse such bounds; the headline and heatmap never read them
        bounds = {f"bound_{i}": 0.0 for i in range(1, 5)}
    frame = sql.run(
        con, "handoff/response_figures", **filters.params(),
        window_days=settings.response_window_days, meeting_window_days=settings.meeting_window_days,
        calendar=_calendar(con, filters, settings), **bounds,
    )

    def part(name: str, layout: str) -> pd.DataFrame:
        rows = frame[frame["part"] == name].reset_index(drop=True)
        if layout == "headline":
            rows = rows.assign(group_value=None)
        dtypes = _FIGURE_PARTS[layout]
        return rows[list(dtypes)].astype(dtypes)

    return {
        "headline": part("headline", "headline"), "heatmap": part("heatmap", "heatmap"),
        "wall": part("wall", "buckets"), "business": part("business", "buckets"),
    }


_COUNT_COLUMNS = (
    "cohorts", "excluded_cohorts", "excluded_registrations", "registrations", "contacted",
    "handoffs", "live_transfers",
)


def _fold_maturity(frame: pd.DataFrame, n_col: str) -> pd.DataFrame:
    """Rows per (group_value, is_mature) -> one row per group: the mature row's figures, plus the
    immature row's cohorts and count as excluded_cohorts / excluded_registrations."""
    frame = frame.drop(columns=["cohort_week"])
    mature = frame[frame["is_mature"]].drop(columns=["is_mature"])
    immature = frame[~frame["is_mature"]][["group_value", "cohorts", n_col]].rename(
        columns={"cohorts": "excluded_cohorts", n_col: "excluded_registrations"}
    )
    out = mature.merge(immature, on="group_value", how="outer")
    if out.empty:  # no data at all: one empty headline row keeps callers simple
        out = pd.DataFrame([dict.fromkeys(out.columns)])
    counts = [c for c in out.columns if c in _COUNT_COLUMNS]
    out[counts] = out[counts].fillna(0).astype(int)
    return out.reset_index(drop=True)


def response_buckets(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, basis: str = "wall"
) -> pd.DataFrame:
    """The response-time distribution over mature cohorts: one row per bucket (0..5) with key,
    registrations, rate/low/high (share of all registrations), and excluded_cohorts /
    excluded_registrations (the same on every row)."""
    _check_basis(basis)
    weekly = _bucket_weeks(con, filters, settings, basis)
    weekly = weekly[["cohort_week", "bucket", "registrations", "is_mature_response"]]
    return _bucket_frame(weekly.rename(columns={"is_mature_response": "is_mature"}), settings, k_col="registrations")


def _bucket_weeks(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, basis: str) -> pd.DataFrame:
    """Registrations and meetings per (cohort week, response bucket on ``basis``), from the shared
    pass: the distribution and the lead decay, which a page and the report ask for together."""
    _bounds(settings)  # refuse bounds that make no buckets before reading the pass
    return funnel._dates(_response_figures(con, filters, settings)[basis], "cohort_week")


def _bucket_frame(weekly: pd.DataFrame, settings: Settings, k_col: str, n_col: str | None = None) -> pd.DataFrame:
    keys = response_bucket_keys(settings)
    mature = weekly[weekly["is_mature"]]
    immature = weekly[~weekly["is_mature"]]
    count_cols = [k_col] if n_col is None else [k_col, n_col]
    sums = mature.groupby("bucket")[count_cols].sum()
    out = pd.DataFrame({"bucket": range(len(keys)), "key": keys})
    out = out.merge(sums, left_on="bucket", right_index=True, how="left")
    out[count_cols] = out[count_cols].fillna(0).astype(int)
    if n_col is None:  # a distribution: each bucket's share of all registrations
        out = add_wilson(out.assign(_total=out[k_col].sum()), k_col, "_total").drop(columns=["_total"])
    else:
        out = add_wilson(out, k_col, n_col)
    out["excluded_cohorts"] = immature["cohort_week"].nunique()
    out["excluded_registrations"] = int(immature["registrations"].sum())
    return out


def meeting_rate_by_response(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, basis: str = "wall"
) -> pd.DataFrame:
    """Lead decay: per response bucket (0..5, key), registrations, meetings within the meeting
    window, rate/low/high, over cohorts mature for both windows."""
    _check_basis(basis)
    weekly = _bucket_weeks(con, filters, settings, basis)
    weekly = weekly[["cohort_week", "bucket", "registrations", "meetings", "is_mature_meeting"]]
    return _bucket_frame(weekly.rename(columns={"is_mature_meeting": "is_mature"}), settings,
                         k_col="meetings", n_col="registrations")


# --- handoff lag and live transfer ------------------------------------------------------------

def handoff_lag_by_week(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, group_by: str | None = None
) -> pd.DataFrame:
    """One row per (cohort_week, group_value): handoffs, live_transfers, rate/low/high (live-transfer
    share), median_lag_minutes, p90_lag_minutes, is_mature."""
    funnel._check_group_by(group_by)
    figures = _lag_figures.peek(con, filters, settings) if group_by is None else None
    if figures is not None:  # the handoff page's weekly trend: from the shared pass (prefetch)
        frame = figures["week"]
    else:  # alone (the overview's trend)
        frame = _lag_query(con, filters, settings, by_week=True, group_by=group_by)
    frame = funnel._dates(frame, "cohort_week").drop(columns=["cohorts"])
    return add_wilson(frame, "live_transfers", "handoffs")


def handoff_lag(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, group_by: str | None = None
) -> pd.DataFrame:
    """Headline over mature cohorts, one row (or one per group): handoffs (candidates with a first
    contact and a meeting held within the meeting window), live_transfers, rate/low/high
    (live-transfer share), median_lag_minutes, p90_lag_minutes, excluded_cohorts,
    excluded_registrations (here: excluded handoffs)."""
    funnel._check_group_by(group_by)
    figures = _lag_figures.peek(con, filters, settings) if group_by in _LAG_PARTS else None
    if figures is not None:  # a page load or the report ran the shared pass (prefetch)
        frame = figures[_LAG_PARTS[group_by]]
    else:  # alone: one grain costs a third of the shared pass
        frame = _lag_query(con, filters, settings, by_week=False, group_by=group_by)
    out = _fold_maturity(frame, "handoffs")
    out = out.rename(columns={"excluded_registrations": "excluded_handoffs"})
    return add_wilson(out, "live_transfers", "handoffs")


def _lag_query(con, filters: Filters, settings: Settings, by_week: bool, group_by: str | None) -> pd.DataFrame:
    return sql.run(
        con, "handoff/handoff_lag", **filters.params(),
        meeting_window_days=settings.meeting_window_days,
        live_transfer_minutes=settings.live_transfer_minutes,
        by_week=by_week, group_by=group_by,
    )


# handoff_lag's group_by -> the part of handoff/handoff_lag_figures that holds it ('week': by week,
# no breakdown); columns and dtypes as handoff/handoff_lag returns them.
_LAG_PARTS = {None: "all", "team": "team", "handler": "handler"}
_LAG_DTYPES = {
    "cohort_week": "datetime64[us]", "group_value": "object", "is_mature": "bool", "cohorts": "int64",
    "handoffs": "int64", "live_transfers": "int64", "median_lag_minutes": "float64", "p90_lag_minutes": "float64",
}


@memo.per_data_version
def _lag_figures(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings) -> dict[str, pd.DataFrame]:
    """Handoff lag with no breakdown, by team, by handler and by week, from one pass over the
    handoffs (handoff/handoff_lag_figures): a page load asks for all four and the report for three,
    and each used to read candidate_funnel again. Keys: 'all', 'team', 'handler', 'week'."""
    frame = sql.run(
        con, "handoff/handoff_lag_figures", **filters.params(),
        meeting_window_days=settings.meeting_window_days,
        live_transfer_minutes=settings.live_transfer_minutes,
    )
    parts = {}
    for part in ("all", "team", "handler", "week"):
        rows = frame[frame["part"] == part].reset_index(drop=True)
        rows = rows[list(_LAG_DTYPES)].astype(_LAG_DTYPES)
        rows["group_value"] = _text_column(rows["group_value"])
        parts[part] = rows
    return parts


def _text_column(values: pd.Series) -> pd.Series:
    """A text column as DuckDB hands one over on its own: the string dtype when it holds a value,
    else (all null, or no rows) object with None. A part cut out of a stacked result keeps the
    dtype of the whole column, which another part's values decided."""
    if values.notna().any():
        return values.astype("str")
    return pd.Series([None] * len(values), index=values.index, dtype=object)


# --- show-up by lead time ---------------------------------------------------------------------

def show_up_by_lead_time(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT
) -> pd.DataFrame:
    """One row per lead-time bucket (0..4, key): booked, held, rate/low/high (show-up rate)."""
    frame = sql.run(
        con, "handoff/show_up_by_lead_time", **filters.params(),
        same_call_minutes=settings.live_transfer_minutes,
    )
    out = pd.DataFrame({"bucket": range(len(LEAD_TIME_BUCKETS)), "key": LEAD_TIME_BUCKETS})
    out = out.merge(frame, on="bucket", how="left").fillna({"booked": 0, "held": 0})
    out["booked"] = out["booked"].astype(int)
    out["held"] = out["held"].astype(int)
    return add_wilson(out, "held", "booked")


# --- time to meeting (Kaplan-Meier) -----------------------------------------------------------

def time_to_meeting(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, group_by: str | None = None
) -> pd.DataFrame:
    """Kaplan-Meier curve of the share with a meeting by day since registration: one row per
    (group_value, day 0..time_to_meeting_days) with at_risk, meetings, censored, share_with_meeting
    and a Greenwood 95% band (low, high). Still-waiting candidates are censored at as_of."""
    funnel._check_group_by(group_by)
    if group_by is None:
        counts = _overall_day_counts(_team_day_counts(con, filters, settings.time_to_meeting_days))
    elif group_by == "team":
        counts = _team_day_counts(con, filters, settings.time_to_meeting_days)
    else:
        counts = sql.run(
            con, "handoff/time_to_meeting", **filters.params(),
            max_days=settings.time_to_meeting_days, group_by=group_by,
        )
    return kaplan_meier(counts, settings.time_to_meeting_days)


@memo.per_data_version
def _team_day_counts(con: duckdb.DuckDBPyConnection, filters: Filters, max_days: int) -> pd.DataFrame:
    """The Kaplan-Meier counts per (team, day): the page draws the curve per team and overall, and
    the overall counts are these added up (_overall_day_counts), so one pass serves both."""
    return sql.run(con, "handoff/time_to_meeting", **filters.params(), max_days=max_days, group_by="team")


def _overall_day_counts(by_team: pd.DataFrame) -> pd.DataFrame:
    """Per-day counts of all candidates from the per-team counts (every candidate is in exactly one
    team group, the null team included): meetings and censored add up per day, and at_risk is again
    everyone whose meeting or censoring comes on that day or later (as time_to_meeting.sql counts)."""
    days = by_team.groupby("day", sort=True)[["meetings", "censored"]].sum()
    at_risk = (days["meetings"] + days["censored"])[::-1].cumsum()[::-1]
    return pd.DataFrame({
        "group_value": pd.Series([None] * len(days), dtype=object),
        "day": days.index.to_numpy(),
        "at_risk": at_risk.to_numpy(),
        "meetings": days["meetings"].to_numpy(),
        "censored": days["censored"].to_numpy(),
    })


def kaplan_meier(counts: pd.DataFrame, max_days: int) -> pd.DataFrame:
    """Product-limit estimate from per-day counts (group_value, day, at_risk, meetings, censored)."""
    columns = ["group_value", "day", "at_risk", "meetings", "censored", "share_with_meeting", "low", "high"]
    if counts.empty:
        return pd.DataFrame(columns=columns)
    curves = []
    grid = pd.Index(range(int(max_days) + 1), name="day")
    for group, part in counts.groupby("group_value", dropna=False, sort=True):
        part = part.set_index("day").reindex(grid)
        part["meetings"] = part["meetings"].fillna(0)
        part["censored"] = part["censored"].fillna(0)
        # At risk on a day without rows equals the at-risk of the next day that has rows.
        part["at_risk"] = part["at_risk"].bfill().fillna(0)
        n = part["at_risk"].to_numpy(dtype=float)
        d = part["meetings"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(n > 0, 1 - d / n, 1.0)
            survival = np.cumprod(step)
            terms = np.where((n > 0) & (n > d), d / (n * (n - d)), 0.0)
            se = survival * np.sqrt(np.cumsum(terms))
        part["share_with_meeting"] = 1 - survival
        part["low"] = np.clip(1 - (survival + 1.96 * se), 0, 1)
        part["high"] = np.clip(1 - (survival - 1.96 * se), 0, 1)
        part["group_value"] = group
        curves.append(part.reset_index())
    out = pd.concat(curves, ignore_index=True)[columns]
    for col in ("at_risk", "meetings", "censored"):
        out[col] = out[col].astype(int)
    return out


# --- weekday x hour ---------------------------------------------------------------------------

def registration_heatmap(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT
) -> pd.DataFrame:
    """One row per (weekday 1..7, hour 0..23), all 168 cells: registrations, contacted,
    median_minutes, median_business_minutes, is_business_hour (a regular open hour; holidays
    aside)."""
    frame = _response_figures(con, filters, settings)["heatmap"]
    grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour"]).to_frame(index=False)
    out = grid.merge(frame, on=["weekday", "hour"], how="left").fillna({"registrations": 0, "contacted": 0})
    out["registrations"] = out["registrations"].astype(int)
    out["contacted"] = out["contacted"].astype(int)
    out["is_business_hour"] = [
        (w - 1) in settings.business_weekdays and settings.business_start_hour <= h < settings.business_end_hour
        for w, h in zip(out["weekday"], out["hour"])
    ]
    return out


# --- the report -------------------------------------------------------------------------------

def _or_none(x):
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return None
    return float(x)


def report_section(con: duckdb.DuckDBPyConnection, rc) -> dict:
    """The report keys this module owns (docs/report-keys.md)."""
    f, s = rc.filters, rc.settings
    if f.as_of is None:  # empty store
        f = f.with_(as_of=dt.datetime(1970, 1, 1))
    prefetch(con, f, s)
    rt = response_time(con, f, s).iloc[0]
    buckets = response_buckets(con, f, s)
    decay = meeting_rate_by_response(con, f, s)
    lag = handoff_lag(con, f, s).iloc[0]
    by_team = handoff_lag(con, f, s, group_by="team")
    by_handler = handoff_lag(con, f, s, group_by="handler")
    show = show_up_by_lead_time(con, f, s)
    km = time_to_meeting(con, f, s)
    checkpoints = [d for d in KM_CHECKPOINT_DAYS if d <= s.time_to_meeting_days]
    km_points = km[km["day"].isin(checkpoints)] if not km.empty else km
    return {
        "response_time": {
            "median_minutes": _or_none(rt["median_minutes"]),
            "p90_minutes": _or_none(rt["p90_minutes"]),
            "median_business_minutes": _or_none(rt["median_business_minutes"]),
            "p90_business_minutes": _or_none(rt["p90_business_minutes"]),
            "registrations": int(rt["registrations"]),
            "contacted": int(rt["contacted"]),
            "window_days": s.response_window_days,
            "cohorts": int(rt["cohorts"]),
            "excluded_cohorts": int(rt["excluded_cohorts"]),
            "excluded_registrations": int(rt["excluded_registrations"]),
            "buckets": [
                {"bucket": r.key, "registrations": int(r.registrations), "share": rate(r.registrations, buckets["registrations"].sum())}
                for r in buckets.itertuples()
            ],
        },
        "meeting_rate_by_response_bucket": [
            {"bucket": r.key, "registrations": int(r.registrations), "meetings": int(r.meetings),
             "meeting_rate": rate(r.meetings, r.registrations)}
            for r in decay.itertuples()
        ],
        "live_transfer_share": rate(lag["live_transfers"], lag["handoffs"]),
        "live_transfer_by_team": [
            {"team": r.group_value, "handoffs": int(r.handoffs), "live_transfers": int(r.live_transfers),
             "live_transfer_share": rate(r.live_transfers, r.handoffs)}
            for r in by_team.itertuples() if r.handoffs > 0
        ],
        "live_transfer_by_handler": [
            {"handler": r.group_value, "handoffs": int(r.handoffs), "live_transfers": int(r.live_transfers),
             "live_transfer_share": rate(r.live_transfers, r.handoffs)}
            for r in by_handler.itertuples() if r.handoffs > 0
        ],
        "handoff_lag": {
            "median_minutes": _or_none(lag["median_lag_minutes"]),
            "p90_minutes": _or_none(lag["p90_lag_minutes"]),
            "handoffs": int(lag["handoffs"]),
            "excluded_cohorts": int(lag["excluded_cohorts"]),
            "excluded_handoffs": int(lag["excluded_handoffs"]),
        },
        "show_up_by_lead_time": [
            {"bucket": r.key, "booked": int(r.booked), "held": int(r.held), "show_up_rate": rate(r.held, r.booked)}
            for r in show.itertuples()
        ],
        "time_to_meeting": [
            {"day": int(r.day), "share_with_meeting": _or_none(r.share_with_meeting),
             "low": _or_none(r.low), "high": _or_none(r.high), "at_risk": int(r.at_risk)}
            for r in km_points.itertuples()
        ],
    }
