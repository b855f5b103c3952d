"""Chart functions are pure and honest: provisional weeks look different, funnel modes differ,
empty frames give empty figures instead of errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import i18n
from dashboard.charts import PROVISIONAL_COLOUR
from dashboard.charts import funnel as funnel_charts
from dashboard.charts import handoff as handoff_charts
from dashboard.settings import DEFAULT

STAGES = pd.DataFrame({
    "stage": ["registered", "first_contact", "meeting_held", "placed"],
    "window_days": [0.0, 7.0, 14.0, 120.0],
    "registrations": [100, 90, 80, 0], "candidates": [100, 72, 40, 0],
    "previous_candidates": [0, 90, 60, 0], "candidates_from_previous": [0, 72, 36, 0],
    "share_of_first": [1.0, 0.8, 0.5, None], "share_of_first_low": [0.96, 0.7, 0.4, None],
    "share_of_first_high": [1.0, 0.87, 0.6, None], "share_of_previous": [None, 0.8, 0.6, None],
    "share_of_previous_low": [None, 0.7, 0.47, None], "share_of_previous_high": [None, 0.87, 0.71, None],
})


def test_funnel_chart_modes_show_different_shares():
    first = funnel_charts.funnel_chart(STAGES, "share_of_first").data[0]
    previous = funnel_charts.funnel_chart(STAGES, "share_of_previous").data[0]
    assert list(first.x[:3]) == [1.0, 0.8, 0.5]
    assert list(previous.x[:2]) == [0.8, 0.6]  # no bar for registered: it has no previous stage
    i18n.set_language("en")
    try:
        labels = funnel_charts.funnel_chart(STAGES, "share_of_first").data[0]
        assert labels.y[0] == "Registered"
        assert "window" in labels.text[-1]  # the immature stage says why it has no bar
    finally:
        i18n.set_language("ja")
    with pytest.raises(ValueError):
        funnel_charts.funnel_chart(STAGES, "share_of_nothing")


def test_trend_chart_draws_provisional_weeks_grey_and_hollow():
    weeks = [dt.date(2024, 4, 1) + dt.timedelta(weeks=i) for i in range(4)]
    weekly = pd.DataFrame({"cohort_week": weeks, "rate": [0.4, 0.5, 0.45, 0.2], "is_mature": [True, True, False, False]})
    fig = funnel_charts.trend_chart(weekly, "rate", "is_mature", "t")
    dashed, solid, markers = fig.data
    assert dashed.line.dash == "dash" and dashed.line.color == PROVISIONAL_COLOUR
    assert [v == v for v in solid.y] == [True, True, False, False]  # the solid line stops at the last final week
    assert list(markers.marker.color[2:]) == ["white", "white"]


def test_charts_accept_empty_frames():
    assert funnel_charts.funnel_chart(STAGES.iloc[0:0]).data == ()
    assert funnel_charts.trend_chart(pd.DataFrame(columns=["cohort_week"]), "rate", "is_mature").data == ()
    empty_km = pd.DataFrame(columns=["group_value", "day", "share_with_meeting"])
    assert handoff_charts.time_to_meeting_chart(empty_km, empty_km).data == ()


def test_response_bucket_labels_follow_the_settings():
    i18n.set_language("en")
    try:
        labels = [handoff_charts.response_bucket_label(i, DEFAULT) for i in range(6)]
    finally:
        i18n.set_language("ja")
    assert labels == ["≤ 5 min", "≤ 1 h", "≤ 24 h", "≤ 72 h", "> 72 h", "Not contacted (7 d)"]
