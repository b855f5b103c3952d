"""Handoff and funnel figures on generated data: an independent pandas computation agrees with the
SQL, the planted lead decay and operating models are recovered, immature cohorts stay out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.filters import Filters, resolve_as_of
from dashboard.metrics import funnel, handoff
from dashboard.settings import DEFAULT


@pytest.fixture(scope="module")
def generated(generated_store):
    con, truth = generated_store
    return con, truth, Filters(as_of=resolve_as_of(con))


@pytest.fixture(scope="module")
def reference(generated):
    """One row per candidate, built in pandas from the raw canonical tables (not candidate_funnel)."""
    con, _, filters = generated
    candidates = con.execute("select candidate_id, registered_at from candidates").df()
    events = con.execute("select candidate_id, stage, occurred_at, staff_id from events").df()
    firsts = (
        events.sort_values("occurred_at")
        .groupby(["candidate_id", "stage"], as_index=False)
        .first()
    )
    frame = candidates.copy()
    for stage, name in (("first_contact", "contact"), ("meeting_held", "meeting")):
        part = firsts[firsts["stage"] == stage][["candidate_id", "occurred_at", "staff_id"]]
        part = part.rename(columns={"occurred_at": f"{name}_at", "staff_id": f"{name}_by"})
        frame = frame.merge(part, on="candidate_id", how="left")
    registered = pd.to_datetime(frame["registered_at"])
    frame["cohort_week"] = (registered - pd.to_timedelta(registered.dt.day_of_week, unit="D")).dt.normalize()
    frame["response_min"] = (pd.to_datetime(frame["contact_at"]) - registered).dt.total_seconds() / 60
    frame["meeting_days"] = (pd.to_datetime(frame["meeting_at"]) - registered).dt.total_seconds() / 86400
    frame["lag_min"] = (pd.to_datetime(frame["meeting_at"]) - pd.to_datetime(frame["contact_at"])).dt.total_seconds() / 60
    as_of = pd.Timestamp(filters.as_of)
    for name, days in (("response", DEFAULT.response_window_days), ("meeting", DEFAULT.meeting_window_days)):
        frame[f"mature_{name}"] = frame["cohort_week"] + pd.Timedelta(days=7 + days) <= as_of
    return frame


def test_meeting_rate_matches_pandas(generated, reference):
    con, _, filters = generated
    mature = reference[reference["mature_meeting"]]
    k = int((mature["meeting_days"] <= DEFAULT.meeting_window_days).sum())
    got = funnel.meeting_rate(con, filters, DEFAULT).iloc[0]
    assert (got["meetings"], got["registrations"]) == (k, len(mature))
    assert got["excluded_registrations"] == int((~reference["mature_meeting"]).sum()) > 0


def test_response_time_median_and_p90_match_pandas(generated, reference):
    con, _, filters = generated
    mature = reference[reference["mature_response"]]
    minutes = mature.loc[mature["response_min"] <= DEFAULT.response_window_days * 1440, "response_min"]
    got = handoff.response_time(con, filters, DEFAULT).iloc[0]
    assert got["contacted"] == len(minutes)
    assert got["median_minutes"] == pytest.approx(np.quantile(minutes, 0.5))
    assert got["p90_minutes"] == pytest.approx(np.quantile(minutes, 0.9))


def test_live_transfer_share_matches_pandas_overall_and_by_handler(generated, reference):
    con, _, filters = generated
    handoffs = reference[
        reference["mature_meeting"]
        & (reference["lag_min"] >= 0)
        & (reference["meeting_days"] <= DEFAULT.meeting_window_days)
    ]
    live = handoffs["lag_min"] <= DEFAULT.live_transfer_minutes
    got = handoff.handoff_lag(con, filters, DEFAULT).iloc[0]
    assert (got["live_transfers"], got["handoffs"]) == (int(live.sum()), len(handoffs))
    by_handler = handoff.handoff_lag(con, filters, DEFAULT, group_by="handler").set_index("group_value")
    expected = handoffs.assign(live=live).groupby("contact_by")["live"].agg(["sum", "count"])
    for handler, row in expected.iterrows():
        assert (by_handler.loc[handler, "live_transfers"], by_handler.loc[handler, "handoffs"]) == (row["sum"], row["count"])


def test_planted_lead_decay_is_recovered(generated):
    con, _, filters = generated
    decay = handoff.meeting_rate_by_response(con, filters, DEFAULT).set_index("key")
    contacted = decay.iloc[:5]
    # The fastest responses meet most, and the rate falls bucket by bucket up to three days.
    assert list(contacted["rate"].iloc[:4]) == sorted(contacted["rate"].iloc[:4], reverse=True)
    assert contacted["rate"].iloc[0] > contacted["rate"].iloc[4]
    # Not an artefact of noise: within five minutes vs one to three days, the intervals do not meet.
    assert decay.loc["le_5min", "low"] > decay.loc["le_4320min", "high"]
    assert decay.loc["not_contacted", "rate"] < decay["rate"].iloc[:5].min()


def test_planted_operating_models_come_out_in_the_right_order(generated):
    con, truth, filters = generated
    models = truth["operating_models"]
    live_team = next(team for team, model in models.items() if model == "live_transfer")
    live = handoff.handoff_lag(con, filters, DEFAULT, group_by="team").set_index("group_value")
    meet = funnel.meeting_rate(con, filters, DEFAULT, group_by="team").set_index("group_value")
    others = [team for team in models if team != live_team]
    for team in others:
        assert live.loc[live_team, "low"] > live.loc[team, "high"], (team, live.loc[:, "rate"].to_dict())
        assert meet.loc[live_team, "low"] > meet.loc[team, "high"], (team, meet.loc[:, "rate"].to_dict())


def test_immature_cohorts_are_excluded_from_headline_rates(generated, reference):
    con, _, filters = generated
    headline = funnel.meeting_rate(con, filters, DEFAULT).iloc[0]
    naive = (reference["meeting_days"] <= DEFAULT.meeting_window_days).mean()
    # The recent cohorts have not had their 14 days: counting them would understate the rate.
    assert headline["rate"] > naive
    weekly = funnel.meeting_rate_by_week(con, filters, DEFAULT)
    latest = weekly[weekly["cohort_week"] == weekly["cohort_week"].max()].iloc[0]
    assert not latest["is_mature"] and latest["rate"] < headline["rate"]


def test_time_to_meeting_is_not_pulled_down_by_recent_cohorts(generated):
    con, _, filters = generated
    weeks = sorted(funnel.registrations_by_week(con, filters)["cohort_week"])
    older = filters.with_(end=weeks[-9])
    everyone = handoff.time_to_meeting(con, filters, DEFAULT).set_index("day")["share_with_meeting"]
    mature_only = handoff.time_to_meeting(con, older, DEFAULT).set_index("day")["share_with_meeting"]
    # Censoring keeps the curve of all cohorts within a few points of the mature cohorts' curve.
    assert abs(everyone.loc[14] - mature_only.loc[14]) < 0.03
    assert abs(everyone.loc[30] - mature_only.loc[30]) < 0.03
