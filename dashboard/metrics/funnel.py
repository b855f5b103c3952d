"""Registration-handling metrics: registrations, the stage funnel, contact and meeting rates,
effective meetings, the first-contact split, the weekly overview (KPIs, trends, alerts) and the
candidate lists behind every figure.

Rates with a window count only mature cohorts (metrics.md, "Time"): the queries return one row per
cohort week with an ``is_mature`` flag, and this module adds the mature weeks up for a headline and
keeps the immature ones apart as provisional. Every rate carries n and a Wilson 95% interval.
No Streamlit here: functions take a connection and hashable arguments and return frames or dicts.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from dashboard import business_hours, memo, sql
from dashboard.filters import Filters
from dashboard.settings import DEFAULT, Settings
from dashboard.stats import add_wilson, rate

STAGES = (
    "registered", "first_contact", "meeting_booked", "meeting_held",
    "recommended", "interview", "offer", "placed",
)
GROUP_BYS = (None, "team", "channel", "handler", "advisor")
# Figures a page can drill into (candidates behind the number); "stage:<stage>" is also accepted.
DRILL_FIGURES = (
    "registrations", "contacted_48h", "not_contacted_48h", "meeting_14d", "no_meeting_14d",
    "effective_meetings", "live_transfer", "uncontacted_24h",
)
DRILL_COLUMNS = [
    "candidate_id", "segment", "channel", "team", "handler", "first_contact_role", "advisor",
    "registered_at", "first_contact_at", "meeting_booked_at", "scheduled_for", "meeting_held_at",
    "recommended_at", "interview_at", "offer_at", "placed_at", "response_minutes", "handoff_lag_minutes",
]
STAGE_COLUMNS = {
    "registered": "registered_at", "first_contact": "first_contact_at",
    "meeting_booked": "meeting_booked_at", "meeting_held": "meeting_held_at",
    "recommended": "recommended_at", "interview": "interview_at", "offer": "offer_at", "placed": "placed_at",
}


def stage_window_days(stage: str, settings: Settings) -> float:
    """The window a stage must be reached in, counted from registration."""
    if stage == "registered":
        return 0.0
    if stage == "first_contact":
        return settings.response_window_days
    if stage in ("meeting_booked", "meeting_held"):
        return settings.meeting_window_days
    return settings.placement_window_days


def _check_group_by(group_by: str | None) -> None:
    if group_by not in GROUP_BYS:
        raise ValueError(f"group_by must be one of {GROUP_BYS}, got {group_by!r}")


def week_start(day: dt.date) -> dt.date:
    """Monday of the ISO week holding ``day``."""
    return day - dt.timedelta(days=day.weekday())


def week_filters(filters: Filters, monday: dt.date, weeks: int = 1) -> Filters:
    """The filters narrowed to ``weeks`` registration weeks ending with the week of ``monday``."""
    first = monday - dt.timedelta(weeks=weeks - 1)
    return filters.with_(start=first, end=monday + dt.timedelta(days=6))


FUNNEL_COHORTS = ("recent", "full")


def last_mature_week(as_of: dt.datetime, window_days: float) -> dt.date:
    """The Monday of the latest cohort week mature for a window: week start + 7 days + window <= as_of."""
    latest_start = (as_of - dt.timedelta(days=7 + window_days)).date()
    return latest_start - dt.timedelta(days=latest_start.weekday())


def funnel_scope(filters: Filters, settings: Settings, week: dt.date, cohorts: str) -> Filters:
    """The registration weeks the overview funnel counts.

    ``recent``: the trend window ending with the picked week (the lower stages are still immature
    there, so they show no bar). ``full``: the same number of weeks ending with the latest cohort
    whose placement window has ended, so every stage down to placement is counted.
    """
    if cohorts not in FUNNEL_COHORTS:
        raise ValueError(f"cohorts must be one of {FUNNEL_COHORTS}, got {cohorts!r}")
    if cohorts == "full" and filters.as_of is not None:
        week = min(week, last_mature_week(filters.as_of, settings.placement_window_days))
    return week_filters(filters, week, settings.trend_weeks)


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for col in columns:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col]).dt.date
    return frame


def mature_headline(frame: pd.DataFrame, k_col: str, n_col: str, by: str | None = None) -> pd.DataFrame:
    """Add up the mature weeks of a per-week frame: one row per group (or one row when ``by`` is
    None) with k, n, rate, low, high and how many cohorts and rows were left out as immature."""
    keys = [by] if by else []
    work = frame.copy()
    if work.empty:
        empty = pd.DataFrame({k_col: [0], n_col: [0], "excluded_cohorts": [0], "excluded_registrations": [0]})
        if by:
            empty = empty.iloc[0:0].assign(**{by: []})
        return add_wilson(empty, k_col, n_col)
    work["_mature_k"] = np.where(work["is_mature"], work[k_col], 0)
    work["_mature_n"] = np.where(work["is_mature"], work[n_col], 0)
    work["_excluded_n"] = np.where(work["is_mature"], 0, work[n_col])
    work["_excluded_week"] = np.where(work["is_mature"], None, work["cohort_week"].astype(str))
    if keys:
        grouped = work.groupby(keys, dropna=False, sort=True)
    else:
        grouped = work.assign(_all=0).groupby("_all")
    out = grouped.agg(
        **{k_col: ("_mature_k", "sum"), n_col: ("_mature_n", "sum")},
        excluded_registrations=("_excluded_n", "sum"),
        excluded_cohorts=("_excluded_week", "nunique"),
    ).reset_index()
    out = out.drop(columns=["_all"], errors="ignore")
    return add_wilson(out, k_col, n_col)


def rate_of(row, k_col: str, n_col: str) -> dict:
    """The report's rate object for one row of a frame with k and n columns."""
    if row is None:
        return rate(0, 0)
    return rate(row[k_col], row[n_col])


# --- registrations and the stage funnel -------------------------------------------------------

@memo.per_data_version
def registrations_by_week(con: duckdb.DuckDBPyConnection, filters: Filters) -> pd.DataFrame:
    """One row per cohort week: cohort_week, registrations, is_complete. Memoised per data version
    (a small frame): the week picker's options and default week read it in the same page load."""
    frame = sql.run(con, "funnel/registrations_by_week", **filters.params())
    return _dates(frame, "cohort_week")


def weeks_available(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[dt.date]:
    """Cohort weeks with registrations, most recent first (the week picker's options)."""
    frame = registrations_by_week(con, filters)
    return sorted(frame["cohort_week"].tolist(), reverse=True)


def default_week(con: duckdb.DuckDBPyConnection, filters: Filters) -> dt.date | None:
    """The latest complete registration week (else the latest week): the manager's Monday view."""
    frame = registrations_by_week(con, filters)
    if frame.empty:
        return None
    complete = frame[frame["is_complete"]]
    return (complete if not complete.empty else frame)["cohort_week"].max()


def stage_funnel(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT) -> pd.DataFrame:
    """One row per stage the store has data for, in funnel order.

    Each stage counts the cohorts mature for its own window (first contact: response window;
    meetings: meeting window; later stages: placement window). Columns: stage, window_days,
    registrations (the stage's base), candidates, share_of_first (+ _low, _high), previous_candidates,
    candidates_from_previous, share_of_previous (+ _low, _high), excluded_registrations,
    excluded_cohorts.
    """
    frame = sql.run(
        con, "funnel/stage_funnel", **filters.params(),
        contact_window_days=settings.response_window_days,
        meeting_window_days=settings.meeting_window_days,
        placement_window_days=settings.placement_window_days,
    )
    frame = frame[frame["has_data"]].drop(columns=["has_data"]).reset_index(drop=True)
    frame = add_wilson(frame, "candidates", "registrations", prefix="share_of_first_")
    frame = add_wilson(frame, "candidates_from_previous", "previous_candidates", prefix="share_of_previous_")
    frame = frame.rename(columns={"share_of_first_rate": "share_of_first", "share_of_previous_rate": "share_of_previous"})
    first = frame["stage"] == "registered"
    for col in ("share_of_previous", "share_of_previous_low", "share_of_previous_high"):
        frame.loc[first, col] = np.nan
    return frame


# --- contact and meeting rates ----------------------------------------------------------------

def contact_rate_by_week(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, group_by: str | None = None
) -> pd.DataFrame:
    """Contact rate within the contact window, one row per (cohort week, group_value) with
    registrations, contacted, rate, low, high, is_mature."""
    _check_group_by(group_by)
    frame = sql.run(
        con, "funnel/contact_rate", **filters.params(),
        window_hours=settings.contact_window_hours, group_by=group_by,
    )
    return add_wilson(_dates(frame, "cohort_week"), "contacted", "registrations")


def contact_rate(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, group_by: str | None = None
) -> pd.DataFrame:
    """Headline contact rate over mature cohorts: one row (or one per group) with contacted,
    registrations, rate, low, high, excluded_cohorts, excluded_registrations."""
    weekly = contact_rate_by_week(con, filters, settings, group_by)
    return mature_headline(weekly, "contacted", "registrations", by="group_value" if group_by else None)


def meeting_rate_by_week(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, group_by: str | None = None
) -> pd.DataFrame:
    """Meeting rate within the meeting window, one row per (cohort week, group_value) with
    registrations, meetings, rate, low, high, is_mature."""
    _check_group_by(group_by)
    frame = sql.run(
        con, "funnel/meeting_rate", **filters.params(),
        window_days=settings.meeting_window_days, group_by=group_by,
    )
    return add_wilson(_dates(frame, "cohort_week"), "meetings", "registrations")


def meeting_rate(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, group_by: str | None = None
) -> pd.DataFrame:
    """Headline meeting rate over mature cohorts (columns as ``contact_rate``, k = meetings)."""
    weekly = meeting_rate_by_week(con, filters, settings, group_by)
    return mature_headline(weekly, "meetings", "registrations", by="group_value" if group_by else None)


def first_contact_split(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT
) -> pd.DataFrame:
    """Who made the first contacts (role: handler | advisor | both | unknown) over mature cohorts:
    first_contacts, share (+ share_low, share_high) of all first contacts, and the meeting rate after
    each (meetings, rate, low, high); plus excluded_cohorts / excluded_registrations."""
    frame = sql.run(
        con, "funnel/first_contact_split", **filters.params(),
        contact_window_days=settings.response_window_days,
        meeting_window_days=settings.meeting_window_days,
    )
    frame = _dates(frame, "cohort_week")
    out = mature_headline(frame, "meetings", "first_contacts", by="role")
    out = out.rename(columns={"excluded_registrations": "excluded_first_contacts"})
    total = out["first_contacts"].sum()
    shares = add_wilson(out.assign(_total=total), "first_contacts", "_total", prefix="share_")
    out["share"] = shares["share_rate"]
    out["share_low"] = shares["share_low"]
    out["share_high"] = shares["share_high"]
    return out


# --- effective meetings -----------------------------------------------------------------------

def effective_meetings_by_week(
    con: duckdb.DuckDBPyConnection, filters: Filters, segmentation: str | None
) -> pd.DataFrame:
    """Meetings held per meeting week (the period is the meeting date) and how many were with a
    target-segment candidate. Empty when no target list is in force (``segmentation`` None)."""
    if segmentation is None:
        return pd.DataFrame(columns=["meeting_week", "meetings_held", "effective_meetings", "is_complete"])
    frame = _dates(sql.run(con, "funnel/effective_meetings", **filters.params(), segmentation=segmentation), "meeting_week")
    frame["is_complete"] = [is_mature(w, 0.0, filters.as_of) for w in frame["meeting_week"]]
    return frame


def effective_meetings(
    con: duckdb.DuckDBPyConnection, filters: Filters, segmentation: str | None
) -> dict | None:
    """{"count", "meetings_held", "share": rate object} for meetings held in the period, or None
    when no target list is in force."""
    if segmentation is None:
        return None
    frame = effective_meetings_by_week(con, filters, segmentation)
    k = int(frame["effective_meetings"].sum())
    n = int(frame["meetings_held"].sum())
    return {"count": k, "meetings_held": n, "share": rate(k, n)}


def target_segmentation(segmentation: str | None) -> str | None:
    """The segmentation key if it is a target list (effective meetings need is_target), else None."""
    return segmentation if segmentation and segmentation.startswith("targets:") else None


# --- drill-down -------------------------------------------------------------------------------

def candidate_list(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings = DEFAULT, segmentation: str | None = None
) -> pd.DataFrame:
    """Every candidate in scope with timestamps and the flags the figures are made of."""
    frame = sql.run(
        con, "funnel/candidate_list", **filters.params(),
        segmentation=segmentation,
        contact_window_hours=settings.contact_window_hours,
        meeting_window_days=settings.meeting_window_days,
        uncontacted_hours=settings.alert_uncontacted_hours,
        live_transfer_minutes=settings.live_transfer_minutes,
    )
    return _dates(frame, "cohort_week")


def candidates_behind(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    settings: Settings = DEFAULT,
    segmentation: str | None = None,
    figure: str = "registrations",
) -> pd.DataFrame:
    """The candidates behind one figure (ids, segment, channel, team, handler, advisor, timestamps;
    no personal data). ``figure`` is one of DRILL_FIGURES or ``stage:<stage>``.

    Windowed figures list the candidates of the period as they are now (provisional cohorts
    included): a drill-down answers "who", the headline answers "how many of the mature cohorts".
    """
    if figure == "effective_meetings":
        # Effective meetings belong to the period by the meeting date, not the registration date.
        frame = candidate_list(con, filters.with_(start=None, end=None), settings, segmentation)
        held = pd.to_datetime(frame["meeting_held_at"])
        keep = held.notna() & (frame["is_target"].fillna(False).astype(bool))
        if filters.start is not None:
            keep &= held.dt.date >= filters.start
        if filters.end is not None:
            keep &= held.dt.date <= filters.end
        return frame.loc[keep, DRILL_COLUMNS].reset_index(drop=True)
    if figure == "uncontacted_24h":
        return _uncontacted(con, filters, settings, segmentation)
    frame = candidate_list(con, filters, settings, segmentation)
    if figure.startswith("stage:"):
        stage = figure.split(":", 1)[1]
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        if stage == "registered":
            return frame[DRILL_COLUMNS].reset_index(drop=True)
        return _stage_members(frame, stage, settings)
    masks = {
        "registrations": pd.Series(True, index=frame.index),
        "contacted_48h": frame["is_contacted_in_window"],
        "not_contacted_48h": ~frame["is_contacted_in_window"],
        "meeting_14d": frame["has_meeting_in_window"],
        "no_meeting_14d": ~frame["has_meeting_in_window"],
        "live_transfer": frame["is_live_transfer"] & frame["has_meeting_in_window"],
        "uncontacted_24h": frame["is_uncontacted_alert"],
    }
    if figure not in masks:
        raise ValueError(f"unknown figure {figure!r}; expected one of {DRILL_FIGURES}")
    return frame.loc[masks[figure].astype(bool), DRILL_COLUMNS].reset_index(drop=True)


@memo.per_data_version
def _uncontacted(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str | None
) -> pd.DataFrame:
    """The registrants still waiting for a first contact (the "uncontacted_24h" figure): the
    overview's alert counts them and its drill-down, which opens on that alert, lists the same
    week, so one page load reads the candidate list for them once. A short list, kept per data
    version like the other memoised figures."""
    frame = candidate_list(con, filters, settings, segmentation)
    return frame.loc[frame["is_uncontacted_alert"].astype(bool), DRILL_COLUMNS].reset_index(drop=True)


def _stage_members(frame: pd.DataFrame, stage: str, settings: Settings) -> pd.DataFrame:
    """Candidates who reached ``stage`` within its window (as the stage funnel counts them)."""
    column, window_days = STAGE_COLUMNS[stage], stage_window_days(stage, settings)
    elapsed = pd.to_datetime(frame[column]) - pd.to_datetime(frame["registered_at"])
    keep = elapsed.notna() & (elapsed <= pd.Timedelta(days=window_days))
    return frame.loc[keep, DRILL_COLUMNS].reset_index(drop=True)


# --- the weekly overview ----------------------------------------------------------------------

KPI_KEYS = ("registrations", "response_time", "contact_rate", "meeting_rate", "effective_meetings", "live_transfer_share")


def weekly_overview(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    settings: Settings = DEFAULT,
    segmentation: str | None = None,
    week: dt.date | None = None,
) -> pd.DataFrame:
    """One row per week of the trend window (Settings.trend_weeks ending with ``week``):
    registrations; median response minutes; contact, meeting and live-transfer rates (k, n, rate,
    low, high per metric, prefixed contact_/meeting_/live_); effective meetings held that week; and
    an ``*_is_mature`` flag per windowed metric (False = provisional)."""
    from dashboard.metrics import handoff

    if week is None:
        week = default_week(con, filters)
    if week is None or filters.as_of is None:
        return pd.DataFrame(columns=["cohort_week"])
    trend = week_filters(filters, week, settings.trend_weeks)
    grid = pd.DataFrame({"cohort_week": [trend.start + dt.timedelta(weeks=i) for i in range(settings.trend_weeks)]})
    grid["is_complete"] = [is_mature(w, 0.0, filters.as_of) for w in grid["cohort_week"]]

    regs = registrations_by_week(con, trend)[["cohort_week", "registrations"]]
    response = handoff.response_time_by_week(con, trend, settings)
    response = response[["cohort_week", "median_minutes", "contacted"]].rename(
        columns={"median_minutes": "response_median_minutes", "contacted": "response_contacted"}
    )
    contact = _prefixed(contact_rate_by_week(con, trend, settings), "contact_", "contacted", "registrations")
    meeting = _prefixed(meeting_rate_by_week(con, trend, settings), "meeting_", "meetings", "registrations")
    live = _prefixed(handoff.handoff_lag_by_week(con, trend, settings), "live_", "live_transfers", "handoffs")

    out = grid.merge(regs, on="cohort_week", how="left")
    for part in (response, contact, meeting, live):
        out = out.merge(part, on="cohort_week", how="left")
    out["registrations"] = out["registrations"].fillna(0).astype(int)

    effective = effective_meetings_by_week(con, trend, target_segmentation(segmentation))
    effective = effective.rename(columns={"meeting_week": "cohort_week"})[["cohort_week", "meetings_held", "effective_meetings"]]
    out = out.merge(effective, on="cohort_week", how="left")
    for col in ("meetings_held", "effective_meetings"):
        out[col] = out[col].fillna(0).astype(int) if target_segmentation(segmentation) else np.nan
    windows = {
        "response_": settings.response_window_days,
        "contact_": settings.contact_window_hours / 24,
        "meeting_": settings.meeting_window_days,
        "live_": settings.meeting_window_days,
        "effective_": 0.0,
    }
    for prefix, window_days in windows.items():
        # The same rule as the queries' is_mature, so weeks with no rows get a flag too.
        out[f"{prefix}is_mature"] = [is_mature(w, window_days, filters.as_of) for w in out["cohort_week"]]
    return out


def is_mature(week: dt.date, window_days: float, as_of: dt.datetime | None) -> bool:
    """A cohort week is mature for a window when week start + 7 days + window <= as_of."""
    if as_of is None:
        return False
    return dt.datetime.combine(week, dt.time()) + dt.timedelta(days=7 + window_days) <= pd.Timestamp(as_of).to_pydatetime()


def _prefixed(frame: pd.DataFrame, prefix: str, k_col: str, n_col: str) -> pd.DataFrame:
    frame = frame[frame["group_value"].isna()] if "group_value" in frame else frame
    cols = {k_col: f"{prefix}k", n_col: f"{prefix}n", "rate": f"{prefix}rate", "low": f"{prefix}low",
            "high": f"{prefix}high"}
    return frame[["cohort_week", *cols]].rename(columns=cols)


def kpi_cards(weekly: pd.DataFrame, week: dt.date | None = None) -> list[dict]:
    """The six KPI cards of a week with week-over-week change, from ``weekly_overview``.

    Each card: key, kind (count | minutes | rate), value, previous, delta (value - previous),
    n, low, high, is_provisional, higher_is_better."""
    if weekly.empty:
        return []
    if week is None:
        week = weekly["cohort_week"].max()
    rows = weekly.set_index("cohort_week")
    now = rows.loc[week] if week in rows.index else None
    before_week = week - dt.timedelta(weeks=1)
    before = rows.loc[before_week] if before_week in rows.index else None

    def card(key, kind, column, mature_col, n_col=None, low_col=None, high_col=None, higher_is_better=True):
        value = _num(now, column)
        previous = _num(before, column)
        delta = None if value is None or previous is None else value - previous
        return {
            "key": key, "kind": kind, "value": value, "previous": previous, "delta": delta,
            "n": _num(now, n_col), "low": _num(now, low_col), "high": _num(now, high_col),
            "is_provisional": bool(now is None or not bool(now[mature_col])),
            "higher_is_better": higher_is_better,
        }

    return [
        card("registrations", "count", "registrations", "is_complete"),
        card("response_time", "minutes", "response_median_minutes", "response_is_mature", "response_contacted",
             higher_is_better=False),
        card("contact_rate", "rate", "contact_rate", "contact_is_mature", "contact_n", "contact_low", "contact_high"),
        card("meeting_rate", "rate", "meeting_rate", "meeting_is_mature", "meeting_n", "meeting_low", "meeting_high"),
        card("effective_meetings", "count", "effective_meetings", "effective_is_mature"),
        card("live_transfer_share", "rate", "live_rate", "live_is_mature", "live_n", "live_low", "live_high"),
    ]


def card_text(card: dict, settings: Settings = DEFAULT, has_targets: bool = True, lang: str | None = None) -> dict:
    """What a KPI card shows: label, value (greyed when provisional), signed delta, help text (what
    it measures, why provisional, the 95% interval and n of a rate), delta colour and a description
    that says "provisional" for an immature week."""
    from dashboard import i18n
    from dashboard.i18n import t

    key, kind = card["key"], card["kind"]
    label = t(f"kpi.{key}", lang)
    if key == "effective_meetings" and not has_targets:
        return {"label": label, "value": "–", "delta": None, "help": t("overview.no_targets", lang),
                "delta_color": "normal", "delta_description": None}
    value = {"rate": i18n.fmt_pct, "minutes": _short_minutes, "count": i18n.fmt_int}[kind](card["value"], lang=lang)
    delta = card["delta"]
    if delta is not None:
        if kind == "rate":
            delta = i18n.fmt_pp(delta, lang=lang)
        elif kind == "minutes":
            delta = ("-" if delta < 0 else "+") + _short_minutes(abs(delta), lang=lang)
        else:
            delta = f"{delta:+,.0f}"
    windows = {"response_time": f"{settings.response_window_days:g} d", "contact_rate": f"{settings.contact_window_hours:g} h",
               "meeting_rate": f"{settings.meeting_window_days:g} d", "live_transfer_share": f"{settings.meeting_window_days:g} d"}
    notes = []
    if key == "response_time":
        notes.append(t("overview.response_time_help", lang, days=f"{settings.response_window_days:g}"))
    if card["is_provisional"]:
        notes.append(t("overview.provisional_help", lang, window=windows.get(key, "7 d")))
    if kind == "rate" and card["n"]:
        notes.append(t("overview.interval_help", lang, low=i18n.fmt_pct(card["low"]), high=i18n.fmt_pct(card["high"]),
                       n=i18n.fmt_int(card["n"])))
    description = t("overview.vs_previous", lang) if delta is not None else None
    if card["is_provisional"]:
        # Greyed out and labelled: a provisional week is never read as a final figure.
        value = f":gray[{value}]"
        badge = t("overview.provisional_badge", lang)
        description = f"{description} · {badge}" if description else badge
    return {
        "label": label, "value": value, "delta": delta, "help": "\n\n".join(notes) or None,
        "delta_color": "normal" if card["higher_is_better"] else "inverse",
        "delta_description": description,
        "is_provisional": card["is_provisional"],
    }


def _short_minutes(minutes, lang: str | None = None) -> str:
    """A duration short enough for a KPI card: '18分', '36.5時間', '3.2日' (en: min, h, d)."""
    from dashboard.i18n import fmt_minutes, language

    if minutes is None or minutes != minutes or minutes < 60:
        return fmt_minutes(minutes, lang=lang)
    ja = (lang or language()) == "ja"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f}" + ("時間" if ja else " h")
    return f"{minutes / 1440:.1f}" + ("日" if ja else " d")


def _num(row, column):
    if row is None or column is None:
        return None
    value = row[column]
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return float(value)


def alerts(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    settings: Settings = DEFAULT,
    segmentation: str | None = None,
    week: dt.date | None = None,
) -> list[dict]:
    """What a manager should act on for the week: registrants not contacted within
    Settings.alert_uncontacted_hours (kind "uncontacted": count, figure for the drill-down) and teams
    whose median response time grew by Settings.alert_response_worse_ratio over the week before
    (kind "response_worse": team, median_minutes, previous_minutes, registrations)."""
    from dashboard.metrics import handoff

    if week is None:
        week = default_week(con, filters)
    if week is None or filters.as_of is None:
        return []
    found: list[dict] = []
    this_week = week_filters(filters, week)
    waiting = candidates_behind(con, this_week, settings, segmentation, "uncontacted_24h")
    if len(waiting):
        found.append({"kind": "uncontacted", "count": int(len(waiting)), "figure": "uncontacted_24h",
                      "hours": settings.alert_uncontacted_hours})
    teams = handoff.response_time_by_week(con, week_filters(filters, week, 2), settings, group_by="team")
    teams = teams[teams["group_value"].notna()]
    now = teams[teams["cohort_week"] == week].set_index("group_value")
    before = teams[teams["cohort_week"] == week - dt.timedelta(weeks=1)].set_index("group_value")
    for team in sorted(set(now.index) & set(before.index)):
        m_now, m_before = now.at[team, "median_minutes"], before.at[team, "median_minutes"]
        if (
            min(now.at[team, "registrations"], before.at[team, "registrations"]) >= settings.alert_min_registrations
            and pd.notna(m_now) and pd.notna(m_before)
            and m_now > m_before * settings.alert_response_worse_ratio
        ):
            found.append({"kind": "response_worse", "team": team, "median_minutes": float(m_now),
                          "previous_minutes": float(m_before), "registrations": int(now.at[team, "registrations"])})
    return found


# --- the report -------------------------------------------------------------------------------

def iso_week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def report_section(con: duckdb.DuckDBPyConnection, rc) -> dict:
    """The report keys this module owns (docs/report-keys.md)."""
    f, s = rc.filters, rc.settings
    if f.as_of is None:  # empty store: every figure is empty, the keys are still there
        f = f.with_(as_of=dt.datetime(1970, 1, 1))
    regs = registrations_by_week(con, f)
    stages = stage_funnel(con, f, s)
    contact = contact_rate(con, f, s).iloc[0]
    meeting = meeting_rate(con, f, s).iloc[0]
    split = first_contact_split(con, f, s)
    targets = target_segmentation(rc.segmentation)
    if targets is None and getattr(rc, "targets", None) is not None and rc.segmentation is not None:
        from dashboard import segments

        targets = segments.ensure(con, rc.targets)
    return {
        "registrations": {
            "count": int(regs["registrations"].sum()),
            "by_week": [
                {"week": iso_week_label(r.cohort_week), "week_start": r.cohort_week,
                 "registrations": int(r.registrations), "is_complete": bool(r.is_complete)}
                for r in regs.itertuples()
            ],
        },
        "funnel": [
            {
                "stage": r.stage,
                "window_days": float(r.window_days),
                "registrations": int(r.registrations),
                "candidates": int(r.candidates),
                "share_of_first": rate(r.candidates, r.registrations),
                "share_of_previous": None if r.stage == "registered" else rate(r.candidates_from_previous, r.previous_candidates),
                "excluded_cohorts": int(r.excluded_cohorts),
                "excluded_registrations": int(r.excluded_registrations),
            }
            for r in stages.itertuples()
        ],
        "contact_rate_48h": rate_of(contact, "contacted", "registrations"),
        "meeting_rate_14d": rate_of(meeting, "meetings", "registrations"),
        "effective_meetings": effective_meetings(con, f, targets),
        "first_contact_by_role": [
            {"role": r.role, "first_contacts": int(r.first_contacts),
             "share": rate(r.first_contacts, split["first_contacts"].sum()),
             "meeting_rate_14d": rate(r.meetings, r.first_contacts)}
            for r in split.itertuples()
        ],
        "maturity": {
            "contact_rate_48h": {"window_hours": s.contact_window_hours,
                                 "excluded_cohorts": int(contact["excluded_cohorts"]),
                                 "excluded_registrations": int(contact["excluded_registrations"])},
            "meeting_rate_14d": {"window_days": s.meeting_window_days,
                                 "excluded_cohorts": int(meeting["excluded_cohorts"]),
                                 "excluded_registrations": int(meeting["excluded_registrations"])},
        },
    }
