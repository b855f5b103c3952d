"""The yellow zone (metrics.md, "Placement and the yellow zone"): who places whom, and routing.

Placement rates by advisor, by segment and by cell (advisor x segment), each raw (n, k, Wilson 95%)
and shrunk (empirical Bayes, 90% credible); the segment-adjusted advisor index; the tiers that
define the yellow zone; its coverage and trend; the missed matches; the routing gap; and the
routing recommendation for open registrants.

Scope: the placement model (rates, tiers, the gap) is always fit on the team scope, because a tier
only means something against the other advisors and a cell is shrunk towards its segment's rate
over everyone. An advisor scope (``Filters.advisor``) restricts what is returned about people:
candidate-level lists are cut in SQL, and the advisor-level frames keep only that advisor's rows.
"""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import binom

from dashboard import memo, paths, routing, segments, shrinkage, sql, stats
from dashboard.filters import Filters
from dashboard.metrics import handoff
from dashboard.settings import Settings

HIGH = "high"
STANDARD = "standard"
FEW_MEETINGS = "few_meetings"
NOT_RANKED = "not_ranked"
# Catch-all segments: 'other' matches no rule and 'unknown' lacks an attribute; neither is a group
# anyone can route towards, so neither can be a high-yield segment.
UNRANKED_SEGMENTS = (segments.OTHER, segments.UNKNOWN)

CELL_COUNT_COLUMNS = ["advisor", "advisor_name", "advisor_team", "segment", "is_target", "meetings", "placements"]
MISSED_COLUMNS = [
    "candidate_id", "segment", "kind", "advisor", "advisor_name", "advisor_tier", "team", "channel",
    "registered_at", "first_contact_at", "first_contact_by", "meeting_held_at", "days_from_registration",
    "rate_assigned", "rate_yellow_zone", "expected_loss",
]


# The cut list of missed matches looks at this many days of registrations first (see missed_matches).
NEWEST_WINDOW_DAYS = 28


def _team_scope(filters: Filters) -> Filters:
    return filters.with_(advisor=None)


def _top_count(count: int, share: float) -> int:
    """How many of ``count`` units make the top ``share`` (half up, at least one)."""
    if count <= 0:
        return 0
    return max(1, int(math.floor(share * count + 0.5)))


# --- the placement model -----------------------------------------------------------------------

def cell_counts(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str) -> pd.DataFrame:
    """Mature meetings and placements per (advisor, segment) in the given scope (SQL)."""
    if filters.as_of is None or segmentation is None:
        return pd.DataFrame(columns=CELL_COUNT_COLUMNS)
    return sql.run(
        con,
        "yellow_zone/cell_counts",
        segmentation=segmentation,
        window_days=settings.placement_window_days,
        **filters.params(),
    )


def build_model(counts: pd.DataFrame, settings: Settings) -> dict:
    """The placement model from cell counts (pure; the tests drive it with hand-made counts).

    Returns ``segments``, ``advisors`` and ``cells`` (the full advisor x segment grid) frames,
    ``prior`` (strength and how it was obtained, per level) and ``overall`` (a rate object).
    """
    counts = counts.copy()
    if counts.empty:
        return _empty_model()
    for col in ("meetings", "placements"):
        counts[col] = counts[col].astype("int64")
    if "advisor_name" not in counts:
        counts["advisor_name"] = counts["advisor"]
    if "advisor_team" not in counts:
        counts["advisor_team"] = None
    if "is_target" not in counts:
        counts["is_target"] = False
    level = settings.credible_level
    fit = dict(floor=settings.prior_strength_floor, default=settings.prior_strength_default)

    # Segments, shrunk towards the overall rate.
    seg = (
        counts.groupby("segment", sort=True)
        .agg(is_target=("is_target", lambda s: bool(s.fillna(False).astype(bool).any())),
             meetings=("meetings", "sum"), placements=("placements", "sum"))
        .reset_index()
    )
    overall_parent = shrinkage.pooled_parent(seg["placements"], seg["meetings"])
    seg_prior = shrinkage.fit_prior_strength(seg["placements"], seg["meetings"], **fit)
    seg = _with_rates(seg, overall_parent, seg_prior.strength, level)
    seg["is_rankable"] = ~seg["segment"].isin(UNRANKED_SEGMENTS)
    seg["tier"] = NOT_RANKED
    rankable = seg[seg["is_rankable"]].sort_values(["shrunk_rate", "meetings"], ascending=False)
    seg.loc[rankable.index, "tier"] = STANDARD
    seg.loc[rankable.index[: _top_count(len(rankable), settings.segment_top_share)], "tier"] = HIGH
    seg_rate = seg.set_index("segment")["shrunk_rate"]

    # Cells: the full grid, each shrunk towards its segment's (shrunk) rate.
    people = (
        counts.groupby("advisor", sort=True)
        .agg(advisor_name=("advisor_name", "first"), advisor_team=("advisor_team", "first"))
        .reset_index()
    )
    grid = people.merge(seg[["segment", "is_target"]], how="cross")
    cells = grid.merge(counts[["advisor", "segment", "meetings", "placements"]], on=["advisor", "segment"], how="left")
    cells[["meetings", "placements"]] = cells[["meetings", "placements"]].fillna(0).astype("int64")
    with_meetings = cells["meetings"] > 0
    cell_prior = shrinkage.fit_prior_strength(
        cells.loc[with_meetings, "placements"], cells.loc[with_meetings, "meetings"],
        groups=cells.loc[with_meetings, "segment"], **fit,
    )
    cells = _with_rates(cells, cells["segment"].map(seg_rate).to_numpy(), cell_prior.strength, level)

    # Advisors: observed over expected given their segment mix, and a shrunk raw rate.
    cells["expected"] = cells["meetings"] * cells["segment"].map(seg_rate)
    adv = (
        cells.groupby("advisor", sort=True)
        .agg(advisor_name=("advisor_name", "first"), advisor_team=("advisor_team", "first"),
             meetings=("meetings", "sum"), placements=("placements", "sum"), expected=("expected", "sum"))
        .reset_index()
    )
    c = settings.index_pseudo_count
    adv["index"] = (adv["placements"] + c) / (adv["expected"] + c)
    adv_prior = shrinkage.fit_prior_strength(adv["placements"], adv["meetings"], **fit)
    adv = _with_rates(adv, overall_parent, adv_prior.strength, level)
    adv["is_eligible"] = adv["meetings"] >= settings.min_advisor_meetings
    adv["tier"] = FEW_MEETINGS
    eligible = adv[adv["is_eligible"]].sort_values(["index", "meetings"], ascending=False)
    adv.loc[eligible.index, "tier"] = STANDARD
    adv.loc[eligible.index[: _top_count(len(eligible), settings.advisor_top_share)], "tier"] = HIGH

    cells["advisor_tier"] = cells["advisor"].map(adv.set_index("advisor")["tier"])
    cells["segment_tier"] = cells["segment"].map(seg.set_index("segment")["tier"])
    cells["is_yellow_zone"] = (cells["advisor_tier"] == HIGH) & (cells["segment_tier"] == HIGH)

    total_k, total_n = int(seg["placements"].sum()), int(seg["meetings"].sum())
    return {
        "segments": seg.sort_values(["is_rankable", "shrunk_rate"], ascending=False).reset_index(drop=True),
        "advisors": adv.sort_values(["index"], ascending=False).reset_index(drop=True),
        "cells": cells.reset_index(drop=True),
        "prior": {
            "segments": _prior_dict(seg_prior),
            "advisors": _prior_dict(adv_prior),
            "cells": _prior_dict(cell_prior),
        },
        "overall": stats.rate(total_k, total_n),
    }


def _prior_dict(fit: shrinkage.PriorFit) -> dict:
    return {"strength": fit.strength, "source": fit.source, "raw": fit.raw}


def _with_rates(frame: pd.DataFrame, parent, strength: float, level: float) -> pd.DataFrame:
    out = stats.add_wilson(frame, "placements", "meetings", prefix="raw_")
    shrunk = shrinkage.shrink(out["placements"], out["meetings"], parent, strength, level)
    for col in shrunk.columns:
        out[col] = shrunk[col].to_numpy()
    return out


def _empty_model() -> dict:
    rate_cols = ["raw_rate", "raw_low", "raw_high", "shrunk_rate", "shrunk_low", "shrunk_high", "alpha", "beta", "prior_rate"]
    seg = pd.DataFrame(columns=["segment", "is_target", "meetings", "placements", *rate_cols, "is_rankable", "tier"])
    adv = pd.DataFrame(columns=["advisor", "advisor_name", "advisor_team", "meetings", "placements", "expected", "index", *rate_cols, "is_eligible", "tier"])
    cells = pd.DataFrame(columns=["advisor", "advisor_name", "advisor_team", "segment", "is_target", "meetings", "placements", *rate_cols, "expected", "advisor_tier", "segment_tier", "is_yellow_zone"])
    none = {"strength": None, "source": "none", "raw": None}
    return {"segments": seg, "advisors": adv, "cells": cells, "prior": {"segments": none, "advisors": none, "cells": none}, "overall": stats.rate(0, 0)}


@memo.per_data_version
def placement_model(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str | None) -> dict:
    """The placement model on the team scope; with an advisor scope only that advisor's rows remain."""
    model = build_model(cell_counts(con, _team_scope(filters), settings, segmentation), settings)
    if filters.advisor is not None:
        model = dict(model)
        model["advisors"] = model["advisors"][model["advisors"]["advisor"] == filters.advisor].reset_index(drop=True)
        model["cells"] = model["cells"][model["cells"]["advisor"] == filters.advisor].reset_index(drop=True)
    return model


def high_yield_segments(model: dict) -> list[str]:
    seg = model["segments"]
    return seg.loc[seg["tier"] == HIGH, "segment"].tolist()


def high_converting_advisors(model: dict) -> list[str]:
    adv = model["advisors"]
    return adv.loc[adv["tier"] == HIGH, "advisor"].tolist()


def funnel_limits(model: dict, levels: tuple[float, ...] = (0.95, 0.998), c: float = 5.0, points: int = 60) -> pd.DataFrame:
    """Control limits of the advisor index against meetings, for an advisor at the overall rate.

    An average advisor with n meetings places Binomial(n, overall) people; the limits are that
    count's central quantiles turned into an index the same way as an advisor's, (k + c)/(E + c).
    One row per meetings value: ``meetings``, ``low_<level>``, ``high_<level>`` (level in per mille).
    """
    adv = model["advisors"]
    rate = model["overall"]["rate"]
    if adv.empty or not rate:
        return pd.DataFrame(columns=["meetings"])
    top = max(int(adv["meetings"].max() * 1.1), 10)
    n = np.unique(np.linspace(1, top, points).round().astype(int))
    out = pd.DataFrame({"meetings": n})
    expected = n * rate
    for level in levels:
        tail = (1 - level) / 2
        low = binom.ppf(tail, n, rate)
        high = binom.ppf(1 - tail, n, rate)
        key = f"{round(level * 1000)}"
        out[f"low_{key}"] = (low + c) / (expected + c)
        out[f"high_{key}"] = (high + c) / (expected + c)
    return out


# --- coverage ------------------------------------------------------------------------------

def coverage(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str | None) -> dict:
    """Yellow-zone coverage: share of high-yield-segment meetings held by high-converting advisors.

    All meetings held in scope count (no maturity needed: the question is who held it). Returns
    ``coverage`` (rate object, Wilson 95%), ``baseline`` (the high-converting advisors' share of
    all meetings: what routing blind to segments would give) and ``weekly`` (one row per meeting
    week of the last ``settings.trend_weeks``: week_start, meetings, yellow_meetings, rate, low, high).
    """
    return _team_coverage(con, _team_scope(filters), settings, segmentation)


@memo.per_data_version
def _team_coverage(con: duckdb.DuckDBPyConnection, scope: Filters, settings: Settings, segmentation: str | None) -> dict:
    """Coverage of one team scope, memoised like the gap: the same for every advisor picked."""
    empty = {"coverage": stats.rate(0, 0), "baseline": stats.rate(0, 0),
             "weekly": pd.DataFrame(columns=["week_start", "meetings", "yellow_meetings", "rate", "low", "high"])}
    if scope.as_of is None or segmentation is None:
        return empty
    model = placement_model(con, scope, settings, segmentation)
    weekly = sql.run(con, "yellow_zone/weekly_meetings", segmentation=segmentation, **scope.params())
    if weekly.empty:
        return empty
    top_seg, top_adv = set(high_yield_segments(model)), set(high_converting_advisors(model))
    weekly["is_high_yield"] = weekly["segment"].isin(top_seg)
    weekly["by_high_advisor"] = weekly["advisor"].isin(top_adv)
    hy = weekly[weekly["is_high_yield"]]
    k = int(hy.loc[hy["by_high_advisor"], "meetings"].sum())
    n = int(hy["meetings"].sum())
    base_k = int(weekly.loc[weekly["by_high_advisor"], "meetings"].sum())
    base_n = int(weekly["meetings"].sum())
    hy = hy.assign(yellow=np.where(hy["by_high_advisor"], hy["meetings"], 0))
    trend = hy.groupby("week_start").agg(meetings=("meetings", "sum"), yellow_meetings=("yellow", "sum")).reset_index()
    trend = trend.sort_values("week_start").tail(settings.trend_weeks)
    trend = stats.add_wilson(trend, "yellow_meetings", "meetings").reset_index(drop=True)
    return {"coverage": stats.rate(k, n), "baseline": stats.rate(base_k, base_n), "weekly": trend}


# --- missed matches ------------------------------------------------------------------------

def _missed_params(model: dict, filters: Filters, settings: Settings, segmentation: str) -> dict | None:
    """The bound parameters of the missed-match queries, or None when the tiers leave none to miss."""
    top_seg, top_adv = high_yield_segments(model), high_converting_advisors(model)
    if not top_seg or not top_adv:
        return None
    return dict(segmentation=segmentation, high_yield_segments=top_seg, high_advisors=top_adv,
                meeting_window_days=settings.meeting_window_days, **filters.params())


def _with_expected_loss(rows: pd.DataFrame, model: dict) -> pd.DataFrame:
    """Adds advisor_name, advisor_tier, rate_assigned, rate_yellow_zone and expected_loss to rows
    with an ``advisor`` and a ``segment`` column (one missed match or a count of them).

    ``expected_loss`` is signed on purpose: it is what the meeting would have gained, in expected
    placements, had an average yellow-zone advisor held it instead. A missed match is defined by
    tiers (metrics.md: a high-yield meeting held by an advisor outside the high-converting tier),
    and the tier ranks an advisor's index over all segments, so an advisor outside it can still
    place this segment better than the yellow zone does; the loss is then negative, and rightly: that
    meeting lost nothing. Clipping at zero would count every such meeting as no better than the
    yellow zone and bias ``expected_placements_lost`` upwards (the more so the noisier the cells),
    so the total is the net of gains and losses. Rows without a meeting have no cell: NaN.
    """
    cells = model["cells"].set_index(["advisor", "segment"])
    yellow = model["cells"][model["cells"]["is_yellow_zone"]].groupby("segment")["shrunk_rate"].mean()
    adv = model["advisors"].set_index("advisor")
    rows["advisor_name"] = rows["advisor"].map(adv["advisor_name"])
    rows["advisor_tier"] = rows["advisor"].map(adv["tier"])
    # One vectorised lookup (no cell: NaN): a per-row .get on a MultiIndex costs about a
    # millisecond a row, minutes at a million registrations.
    keys = pd.MultiIndex.from_arrays([rows["advisor"], rows["segment"]])
    rows["rate_assigned"] = cells["shrunk_rate"].reindex(keys).to_numpy(dtype=float)
    rows["rate_yellow_zone"] = rows["segment"].map(yellow)
    rows["expected_loss"] = rows["rate_yellow_zone"] - rows["rate_assigned"]
    return rows


def missed_matches(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str | None,
    limit: int | None = None,
) -> pd.DataFrame:
    """High-yield candidates who met an advisor outside the top tier, or nobody (window passed).

    One row per candidate (columns ``MISSED_COLUMNS``), newest registration first, at most ``limit``
    rows (None: all of them, e.g. for the CSV download; the counts are ``missed_overview``'s).
    ``expected_loss`` is the yellow-zone advisors' mean shrunk rate in that segment minus the shrunk
    rate of the cell that held the meeting (placements per meeting, empty for candidates without a
    meeting). The list is cut to the advisor scope in SQL.
    """
    if filters.as_of is None or segmentation is None:
        return pd.DataFrame(columns=MISSED_COLUMNS)
    model = placement_model(con, _team_scope(filters), settings, segmentation)
    params = _missed_params(model, filters, settings, segmentation)
    if params is None:
        return pd.DataFrame(columns=MISSED_COLUMNS)
    rows = None
    if limit is not None:
        # The newest rows are nearly always among the last weeks' registrations: ask for those
        # first (DuckDB then reads only their row groups), and for all when they hold too few.
        upper = filters.as_of
        if filters.end is not None:
            upper = min(upper, dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time()))
        since = upper - dt.timedelta(days=NEWEST_WINDOW_DAYS)
        rows = sql.run(con, "yellow_zone/missed_matches", limit=limit, since=since, **params)
        if len(rows) < limit:
            rows = None
    if rows is None:
        rows = sql.run(con, "yellow_zone/missed_matches", limit=limit, since=None, **params)
    return _with_expected_loss(rows, model)[MISSED_COLUMNS]


def missed_overview(
    con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str | None, limit: int
) -> dict:
    """The missed matches counted in SQL, with the first ``limit`` of the list.

    ``summary``: as ``missed_summary`` of the whole list ({total, with_other_advisor,
    without_meeting, expected_placements_lost}); ``items``: ``missed_matches(..., limit=limit)``.
    At a million registrations the whole list is a quarter of a million rows; only the download
    needs it (``missed_matches`` without a limit).
    """
    empty = {"summary": missed_summary(pd.DataFrame(columns=MISSED_COLUMNS)),
             "items": pd.DataFrame(columns=MISSED_COLUMNS)}
    if filters.as_of is None or segmentation is None:
        return empty
    model = placement_model(con, _team_scope(filters), settings, segmentation)
    params = _missed_params(model, filters, settings, segmentation)
    if params is None:
        return empty
    counts = _with_expected_loss(sql.run(con, "yellow_zone/missed_counts", **params), model)
    per_kind = counts.groupby("kind")["candidates"].sum()
    summary = {
        "total": int(counts["candidates"].sum()),
        "with_other_advisor": int(per_kind.get("other_advisor", 0)),
        "without_meeting": int(per_kind.get("no_meeting", 0)),
        "expected_placements_lost": float((counts["candidates"] * counts["expected_loss"].fillna(0)).sum()),
    }
    return {"summary": summary, "items": missed_matches(con, filters, settings, segmentation, limit=limit)}


def missed_summary(missed: pd.DataFrame) -> dict:
    kinds = missed["kind"].value_counts() if not missed.empty else pd.Series(dtype=int)
    return {
        "total": int(len(missed)),
        "with_other_advisor": int(kinds.get("other_advisor", 0)),
        "without_meeting": int(kinds.get("no_meeting", 0)),
        "expected_placements_lost": float(missed["expected_loss"].fillna(0).sum()) if not missed.empty else 0.0,
    }


# --- routing -------------------------------------------------------------------------------

def _grid(model: dict, column: str) -> pd.DataFrame:
    return model["cells"].pivot(index="advisor", columns="segment", values=column)


def routing_gap(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str | None) -> dict:
    """The routing gap on the team scope (see ``dashboard.routing``) and what drives it.

    Returns ``gap`` ({placements, low, high, expected_placements_actual, expected_placements_best,
    level, meetings}; None without meetings), ``drivers`` (one row per advisor x segment whose
    meetings change in the best reassignment) and ``by_segment`` (meetings moved to other advisors
    and placements gained, per segment).
    """
    return _team_routing_gap(con, _team_scope(filters), settings, segmentation)


@memo.per_data_version
def _team_routing_gap(con: duckdb.DuckDBPyConnection, scope: Filters, settings: Settings, segmentation: str | None) -> dict:
    """The gap of one team scope, memoised: 51 transportation problems (~0.15 s whatever the size),
    the same for every advisor picked within the scope and for the report after the page."""
    return gap_from_model(placement_model(con, scope, settings, segmentation), settings)


def gap_from_model(model: dict, settings: Settings) -> dict:
    no_moves = routing.gap_drivers([], [], np.zeros((0, 0)), np.zeros((0, 0)), np.zeros((0, 0)))
    no_moves.insert(1, "advisor_name", pd.Series(dtype=object))
    empty = {"gap": None, "drivers": no_moves,
             "by_segment": pd.DataFrame(columns=["segment", "meetings", "meetings_moved", "placements"])}
    cells = model["cells"]
    if cells.empty or cells["meetings"].sum() == 0:
        return empty
    meetings = _grid(model, "meetings").fillna(0)
    advisors, segs = meetings.index.tolist(), meetings.columns.tolist()
    rates = _grid(model, "shrunk_rate").loc[advisors, segs].to_numpy()
    scenarios = _gap_scenarios(model, advisors, segs, settings)
    gap = routing.routing_gap(meetings.to_numpy(), rates, scenarios, level=settings.credible_level)
    drivers = routing.gap_drivers(advisors, segs, meetings.to_numpy(), gap.flow, rates)
    names = model["cells"].drop_duplicates("advisor").set_index("advisor")["advisor_name"]
    drivers.insert(1, "advisor_name", drivers["advisor"].map(names))
    moved = np.clip(gap.flow - meetings.to_numpy(), 0, None).sum(axis=0)
    gained = ((gap.flow - meetings.to_numpy()) * rates).sum(axis=0)
    by_segment = pd.DataFrame(
        {"segment": segs, "meetings": meetings.sum(axis=0).to_numpy().astype(int),
         "meetings_moved": moved.astype(int), "placements": gained}
    ).sort_values("placements", ascending=False).reset_index(drop=True)
    out = gap.as_dict()
    out["meetings"] = int(meetings.to_numpy().sum())
    return {"gap": out, "drivers": drivers, "by_segment": by_segment}


# The prior strength is drawn at this many quantiles; each gets posterior_draws / levels draws.
_STRENGTH_LEVELS = 50


def _gap_scenarios(model: dict, advisors: list, segs: list, settings: Settings) -> list:
    """(mean rates, rate draws) per plausible cell prior strength, for the routing-gap interval.

    The cells' prior strength is the least certain number in the model and the gap depends on it
    most, so the draws cover it too: strengths from ``shrinkage.strength_draws`` at evenly spaced
    quantiles, and for each the cells' posterior (same parents) and its joint draws.
    """
    if settings.posterior_draws <= 0:
        return []
    cells = model["cells"].set_index(["advisor", "segment"])
    index = pd.MultiIndex.from_product([advisors, segs], names=["advisor", "segment"])
    cells = cells.reindex(index)
    k = cells["placements"].to_numpy(dtype=float)
    n = cells["meetings"].to_numpy(dtype=float)
    parent = cells["prior_rate"].to_numpy(dtype=float)
    groups = cells.index.get_level_values("segment")
    levels = min(_STRENGTH_LEVELS, settings.posterior_draws)
    per_level = max(1, settings.posterior_draws // levels)
    strengths = shrinkage.strength_draws(
        k, n, groups, model["prior"]["cells"]["strength"], size=4 * levels, floor=settings.prior_strength_floor, seed=1
    )
    shape = (len(advisors), len(segs))
    scenarios = []
    for i, m in enumerate(np.quantile(strengths, (np.arange(levels) + 0.5) / levels)):
        a, b = shrinkage.posterior_params(k, n, parent, m)
        scenarios.append(
            ((a / (a + b)).reshape(shape),
             shrinkage.draws(a.reshape(shape), b.reshape(shape), per_level, seed=100 + i))
        )
    return scenarios


def _rate_table(model: dict, advisors: list[str], segs: list[str]) -> pd.DataFrame:
    """Expected placement rate for any advisor x segment: the cell when the model has it, else the
    segment's rate (an advisor with no mature meetings yet), else the advisor's own rate."""
    cell = _grid(model, "shrunk_rate") if not model["cells"].empty else pd.DataFrame()
    seg_rate = model["segments"].set_index("segment")["shrunk_rate"] if not model["segments"].empty else pd.Series(dtype=float)
    adv_rate = model["advisors"].set_index("advisor")["shrunk_rate"] if not model["advisors"].empty else pd.Series(dtype=float)
    overall = model["overall"]["rate"] or 0.0
    # Cell by cell as the rule reads, for the whole table at once (a loop of .at lookups cost
    # 0.03 s for 15 advisors x 7 segments).
    adv_index, seg_index = pd.Index(advisors), pd.Index(segs)
    fallback = np.where(
        seg_index.isin(seg_rate.index)[None, :],
        seg_rate.reindex(seg_index).to_numpy(dtype=float)[None, :],
        np.where(adv_index.isin(adv_rate.index), adv_rate.reindex(adv_index).to_numpy(dtype=float), overall)[:, None],
    )
    has_cell = adv_index.isin(cell.index)[:, None] & seg_index.isin(cell.columns)[None, :]
    values = np.where(has_cell, cell.reindex(index=adv_index, columns=seg_index).to_numpy(dtype=float), fallback)
    table = pd.DataFrame(index=advisors, columns=segs, dtype=float)
    table.loc[:, :] = values
    return table


def recommendation(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str | None) -> dict:
    """Routing recommendation for open registrants (see ``dashboard.routing.recommend``).

    Open: registered within ``settings.open_registrant_days`` with no meeting held. Capacity: each
    advisor active in the last ``settings.active_advisor_days`` has ``weekly_capacity_per_advisor``
    minus the meetings they held in the last 7 days. Returns ``table`` (one row per open registrant:
    candidate_id, segment, registered_at, advisor, advisor_name, expected_placement,
    round_robin_advisor, round_robin_expected), ``summary`` ({registrants, assigned, capacity,
    expected_best, expected_round_robin, gain}) and ``capacity`` (advisor, meetings_last_7_days, free).
    """
    empty_table = pd.DataFrame(columns=["candidate_id", "segment", "registered_at", "advisor", "advisor_name",
                                        "expected_placement", "round_robin_advisor", "round_robin_expected"])
    empty_summary = {"registrants": 0, "assigned": 0, "capacity": 0, "expected_best": 0.0,
                     "expected_round_robin": 0.0, "gain": 0.0}
    empty = {"table": empty_table, "summary": empty_summary,
             "capacity": pd.DataFrame(columns=["advisor", "meetings_last_7_days", "free"])}
    if filters.as_of is None or segmentation is None:
        return empty
    open_rows = sql.run(
        con, "yellow_zone/open_registrants", segmentation=segmentation,
        open_days=settings.open_registrant_days, **filters.params(),
    )
    load = sql.run(
        con, "yellow_zone/advisor_load", as_of=filters.as_of, active_days=settings.active_advisor_days,
        team=filters.team, advisor=None,
    )
    load["free"] = (settings.weekly_capacity_per_advisor - load["meetings_last_7_days"]).clip(lower=0).astype(int)
    capacity = load[["advisor", "meetings_last_7_days", "free"]]
    if open_rows.empty or load.empty:
        return {**empty, "capacity": capacity, "summary": {**empty_summary, "registrants": int(len(open_rows)),
                                                            "capacity": int(capacity["free"].sum()) if not capacity.empty else 0}}
    model = placement_model(con, _team_scope(filters), settings, segmentation)
    advisors = load["advisor"].tolist()
    segs = sorted(open_rows["segment"].unique())  # the distinct segments, not 20k Python strings at 1M
    rates = _rate_table(model, advisors, segs)
    table, summary = routing.recommend(open_rows, capacity.set_index("advisor")["free"], rates)
    names = model["advisors"].set_index("advisor")["advisor_name"] if not model["advisors"].empty else pd.Series(dtype=str)
    named = table["advisor"].map(names).astype(object)
    table.insert(table.columns.get_loc("advisor") + 1, "advisor_name", named.where(named.notna(), table["advisor"]))
    return {"table": table, "summary": summary, "capacity": capacity}


# --- one advisor (My segments) -------------------------------------------------------------

def advisor_profile(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str | None, advisor: str) -> dict:
    """One advisor against the team: their row, their rate by segment beside the team's, their
    yellow-zone cells, their missed matches (cut in SQL) and their handoff figures.

    ``by_segment``: segment, segment_tier, meetings, placements, raw_rate, shrunk_rate, shrunk_low,
    shrunk_high, is_yellow_zone, team_meetings, team_rate, team_low, team_high.
    """
    model = placement_model(con, _team_scope(filters), settings, segmentation)
    adv = model["advisors"]
    row = adv[adv["advisor"] == advisor]
    cells = model["cells"][model["cells"]["advisor"] == advisor]
    team = model["segments"][["segment", "meetings", "shrunk_rate", "shrunk_low", "shrunk_high"]].rename(
        columns={"meetings": "team_meetings", "shrunk_rate": "team_rate", "shrunk_low": "team_low", "shrunk_high": "team_high"}
    )
    by_segment = cells[["segment", "segment_tier", "meetings", "placements", "raw_rate", "shrunk_rate",
                        "shrunk_low", "shrunk_high", "is_yellow_zone"]].merge(team, on="segment", how="left")
    by_segment = by_segment.sort_values(["team_rate"], ascending=False).reset_index(drop=True)
    scoped = filters.with_(advisor=advisor)
    return {
        "advisor": row.iloc[0].to_dict() if not row.empty else None,
        "advisor_count": int(len(adv)),
        "by_segment": by_segment,
        "yellow_zone": by_segment[by_segment["is_yellow_zone"]].reset_index(drop=True),
        "missed_matches": missed_matches(con, scoped, settings, segmentation),
        "handoff": advisor_handoff(con, filters, settings, advisor),
    }


def advisor_handoff(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, advisor: str) -> dict:
    """The advisor's handoff figures beside the team's, from the Handoff page's own definitions
    (``metrics.handoff.handoff_lag``: mature cohorts, meetings within the meeting window).

    {"advisor": row | None, "team": row | None}; a row has handoffs, live_transfers, rate, low, high
    (live-transfer share) and median_lag_minutes.
    """
    if filters.as_of is None:
        return {"advisor": None, "team": None}
    team = _team_scope(filters)
    by_advisor = handoff.handoff_lag(con, team, settings, group_by="advisor")
    mine = by_advisor[by_advisor["group_value"] == advisor]
    everyone = handoff.handoff_lag(con, team, settings)
    return {
        "advisor": mine.iloc[0].to_dict() if not mine.empty else None,
        "team": everyone.iloc[0].to_dict() if not everyone.empty else None,
    }


def advisors_in_scope(con: duckdb.DuckDBPyConnection, filters: Filters, settings: Settings, segmentation: str | None) -> pd.DataFrame:
    """advisor, advisor_name of every advisor with a mature meeting in scope (for pickers)."""
    adv = placement_model(con, filters, settings, segmentation)["advisors"]
    return adv[["advisor", "advisor_name"]].sort_values("advisor_name").reset_index(drop=True)


# --- the report ----------------------------------------------------------------------------

def _rate_obj(rate, n, low, high) -> dict:
    if n is None or int(n) == 0:
        return {"rate": None, "n": 0, "low": None, "high": None}
    return {"rate": float(rate), "n": int(n), "low": float(low), "high": float(high)}


def _report_segmentation(con, rc) -> str | None:
    if rc.segmentation is not None:
        return rc.segmentation
    if rc.targets is not None:
        return segments.ensure(con, rc.targets)
    path = paths.targets_path()
    if path.exists():
        try:
            return segments.ensure(con, segments.load_target_list(path))
        except segments.TargetListError:
            return None
    return None


def report_section(con: duckdb.DuckDBPyConnection, rc) -> dict:
    """Report keys: segments, advisors, cells, yellow_zone_coverage, missed_matches, routing_gap
    (and yellow_zone, routing_recommendation). See docs/report-keys-yellow.md."""
    filters, settings = rc.filters, rc.settings
    segmentation = None
    if filters.as_of is not None:
        segmentation = _report_segmentation(con, rc)
    model = placement_model(con, filters, settings, segmentation)
    cov = coverage(con, filters, settings, segmentation)
    limit = settings.missed_matches_report_limit
    missed = missed_overview(con, filters, settings, segmentation, limit)
    gap = routing_gap(con, filters, settings, segmentation) if segmentation else {"gap": None, "by_segment": pd.DataFrame()}
    rec = recommendation(con, filters, settings, segmentation)
    team_model = placement_model(con, _team_scope(filters), settings, segmentation)

    seg_rows = [
        {
            "segment": r.segment,
            "target": bool(r.is_target),
            "meetings": int(r.meetings),
            "placements": int(r.placements),
            "placement_rate": stats.rate(r.placements, r.meetings),
            "shrunk": _rate_obj(r.shrunk_rate, r.meetings, r.shrunk_low, r.shrunk_high),
            "tier": r.tier,
        }
        for r in model["segments"].itertuples()
    ]
    adv_rows = [
        {
            "advisor": r.advisor,
            "name": r.advisor_name,
            "team": r.advisor_team,
            "meetings": int(r.meetings),
            "placements": int(r.placements),
            "expected": float(r.expected),
            "index": float(r.index),
            "tier": r.tier,
            "placement_rate": stats.rate(r.placements, r.meetings),
            "shrunk": _rate_obj(r.shrunk_rate, r.meetings, r.shrunk_low, r.shrunk_high),
        }
        for r in model["advisors"].itertuples()
    ]
    cell_rows = [
        {
            "advisor": r.advisor,
            "segment": r.segment,
            "meetings": int(r.meetings),
            "placements": int(r.placements),
            "raw_rate": stats.rate(r.placements, r.meetings),
            "shrunk": {"rate": float(r.shrunk_rate), "n": int(r.meetings), "low": float(r.shrunk_low), "high": float(r.shrunk_high)},
            "is_yellow_zone": bool(r.is_yellow_zone),
        }
        for r in model["cells"].itertuples()
    ]
    items = missed["items"]
    return {
        "segments": seg_rows,
        "advisors": adv_rows,
        "cells": cell_rows,
        "yellow_zone": {
            "high_converting_advisors": high_converting_advisors(team_model),
            "high_yield_segments": high_yield_segments(team_model),
            "cells": [{"advisor": r.advisor, "segment": r.segment} for r in team_model["cells"].itertuples() if r.is_yellow_zone],
            "prior_strength": model["prior"],
            "baseline_coverage": cov["baseline"],
        },
        "yellow_zone_coverage": cov["coverage"],
        "missed_matches": {
            **missed["summary"],
            "items": [
                {
                    "candidate_id": r.candidate_id,
                    "segment": r.segment,
                    "kind": r.kind,
                    "advisor": r.advisor,
                    "registered_at": r.registered_at,
                    "meeting_held_at": None if pd.isna(r.meeting_held_at) else r.meeting_held_at,
                    "days_from_registration": float(r.days_from_registration),
                }
                for r in items.itertuples()
            ],
            "truncated": bool(missed["summary"]["total"] > limit),
        },
        "routing_gap": gap["gap"],
        "routing_recommendation": rec["summary"],
    }
