"""What the reader sees: display tables and chart axes in words and units, in both languages."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import i18n
from dashboard.charts import date_ticks
from dashboard.charts import funnel as funnel_charts
from dashboard.charts import handoff as handoff_charts
from dashboard.charts import yellow_zone as yz_charts


@pytest.fixture
def lang():
    """Run a test in a language, then restore the default."""
    def use(code: str) -> None:
        i18n.set_language(code)
    yield use
    i18n.set_language(i18n.DEFAULT_LANGUAGE)


def _behind() -> pd.DataFrame:
    """Two candidates behind a figure: one contacted by a handler and met, one never reached."""
    registered = pd.to_datetime(["2025-09-15 05:33:00", "2025-09-15 07:24:00"])
    return pd.DataFrame({
        "candidate_id": ["J1", "J2"],
        "segment": ["unknown", None],
        "channel": ["paid_meta", None],
        "team": ["東京1", "大阪"],
        "handler": ["井上", None],
        "first_contact_role": ["handler", None],
        "advisor": [None, None],
        "registered_at": registered,
        "first_contact_at": pd.to_datetime(["2025-09-16 09:32:00", None]),
        "placed_at": pd.to_datetime([None, None]),
        "response_minutes": [1679.0, None],
        "handoff_lag_minutes": [None, None],
    })


def test_drill_table_in_japanese(lang):
    lang("ja")
    shown = funnel_charts.drill_table(_behind())
    assert list(shown.columns) == list(_behind().columns)  # headers come from the page's column_config
    first, second = shown.iloc[0], shown.iloc[1]
    assert first["segment"] == "不明（属性不足）" and first["first_contact_role"] == "登録対応者"
    assert first["registered_at"] == "2025/9/15 05:33" and first["first_contact_at"] == "2025/9/16 09:32"
    assert first["response_minutes"] == "27時間59分"
    assert first["advisor"] == "–" and first["placed_at"] == "–" and first["handoff_lag_minutes"] == "–"
    assert set(second.drop(["candidate_id", "team", "registered_at"])) == {"–"}


def test_drill_table_in_english_has_no_codes_or_none(lang):
    lang("en")
    shown = funnel_charts.drill_table(_behind())
    first = shown.iloc[0]
    assert first["segment"] == "Unknown (attribute missing)" and first["first_contact_role"] == "Handler"
    assert first["registered_at"] == "15 Sep 2025 05:33" and first["response_minutes"] == "27 h 59 min"
    text = " ".join(shown.astype(str).to_numpy().ravel())
    for raw in ("unknown", "handler", "None", "NaT", "nan", ":00:00"):
        assert raw not in text, raw


def test_response_time_trend_is_drawn_in_hours_with_the_exact_duration_on_hover(lang):
    lang("en")
    weeks = [dt.date(2025, 9, 1), dt.date(2025, 9, 8)]
    weekly = pd.DataFrame({"cohort_week": weeks, "minutes": [90.0, 1500.0], "mature": [True, False]})
    fig = funnel_charts.trend_chart(weekly, "minutes", "mature", "Response time", "minutes")
    markers = fig.data[-1]
    assert list(markers.y) == [1.5, 25.0]
    assert markers.hovertext[0] == "1 h 30 min" and markers.hovertext[1].startswith("25 h")
    assert fig.layout.yaxis.title.text == "Hours"
    rates = pd.DataFrame({"cohort_week": weeks, "rate": [0.2, 0.3], "mature": [True, True]})
    fig = funnel_charts.trend_chart(rates, "rate", "mature", "t", "rate", y_title="Live-transfer share")
    assert list(fig.data[-1].y) == [0.2, 0.3] and fig.layout.yaxis.title.text == "Live-transfer share"


def test_response_heatmap_colours_hours_and_names_each_cell(lang):
    lang("ja")
    cells = pd.DataFrame({"weekday": [1, 6], "hour": [10, 3], "registrations": [12, 1],
                          "median_minutes": [45.0, 3000.0], "is_business_hour": [True, False]})
    fig = handoff_charts.heatmap_chart(cells, "median_minutes")
    heat = fig.data[0]
    assert heat.z[0][10] == pytest.approx(0.75) and heat.z[5][3] == pytest.approx(50.0)
    assert heat.colorbar.title.text == "時間"
    assert heat.hovertext[5][3] == "土 3:00–3:59<br>2.1日"
    counts = handoff_charts.heatmap_chart(cells, "registrations").data[0]
    assert counts.z[0][10] == 12 and counts.hovertext[0][10].endswith("12")


def test_gap_figures_never_show_minus_zero(lang):
    lang("en")
    by_segment = pd.DataFrame({"segment": ["S1", "S6"], "placements": [30.16, -0.004],
                               "meetings_moved": [10, 3], "meetings": [100, 50]})
    fig = yz_charts.gap_by_segment_chart(by_segment)
    assert list(fig.data[0].text) == ["30.2", "0.0"]
    drivers = pd.DataFrame({"segment": ["S1", "S6"], "advisor_name": ["A", "B"], "meetings_actual": [1, 2],
                            "meetings_best": [3, 2], "change": [2, 0], "rate": [0.1, 0.01], "placements": [1.25, -0.04]})
    assert list(yz_charts.drivers_table(drivers)["Expected placements"]) == ["+1.2", "0.0"]


def test_working_time_reads_in_hours():
    assert i18n.fmt_hours(11073, lang="ja") == "184.6時間"
    assert i18n.fmt_hours(11073, lang="en") == "184.6 h"
    assert i18n.fmt_hours(600_000, digits=0, lang="en") == "10,000 h"
    assert i18n.fmt_hours(None) == "–"


def test_date_axes_speak_the_language(lang):
    lang("ja")
    ja = {stop["dtickrange"][0]: stop["value"] for stop in date_ticks()["tickformatstops"]}
    lang("en")
    en = {stop["dtickrange"][0]: stop["value"] for stop in date_ticks()["tickformatstops"]}
    assert ja["M1"] == "%Y年%-m月" and en["M1"] == "%b %Y"
    assert ja[None] == "%-m/%-d" and en[None] == "%-d %b"


def test_short_live_transfer_bars_keep_a_readable_value(lang):
    lang("en")
    frame = pd.DataFrame({"group_value": ["A", "B"], "rate": [0.536, 0.003], "low": [0.51, 0.0],
                          "high": [0.56, 0.01], "live_transfers": [536, 1], "handoffs": [1000, 300]})
    bars, values = handoff_charts.live_transfer_chart(frame).data
    assert bars.text is None  # nothing squeezed into a bar a few pixels long
    assert list(values.text) == ["53.6%", "0.3%"]
    assert all(x > high for x, high in zip(values.x, frame["high"]))  # past the whisker, not on it
