"""Funnel metrics, given hand-written rows: registrations, stage funnel, contact and meeting rates,
effective meetings, first-contact split, drill-down, weekly overview and alerts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard.filters import Filters
from dashboard.metrics import funnel
from dashboard.settings import DEFAULT

T = dt.datetime
W1 = dt.date(2024, 4, 1)   # Monday
W2 = dt.date(2024, 4, 8)
W3 = dt.date(2024, 4, 15)
STAFF = [
    {"staff_id": "h1", "role": "handler", "team": "東京"},
    {"staff_id": "h2", "role": "handler", "team": "大阪"},
    {"staff_id": "a1", "role": "advisor", "team": "東京"},
    {"staff_id": "a2", "role": "advisor", "team": "大阪"},
]


def reg(cid, at, channel="web"):
    return {"candidate_id": cid, "registered_at": at, "channel": channel}


def ev(cid, stage, at, staff=None, scheduled_for=None):
    return {"candidate_id": cid, "stage": stage, "occurred_at": at, "staff_id": staff, "scheduled_for": scheduled_for}


@pytest.fixture
def week_store(given):
    """Four registrations in W1, two in W2, one in W3 and one after as_of."""
    candidates = [
        reg("a", T(2024, 4, 1, 10)), reg("b", T(2024, 4, 2, 10)), reg("c", T(2024, 4, 3, 10), "scout"),
        reg("d", T(2024, 4, 4, 10)), reg("e", T(2024, 4, 8, 10)), reg("f", T(2024, 4, 9, 10)),
        reg("g", T(2024, 4, 15, 10)), reg("late", T(2024, 5, 20, 10)),
    ]
    events = [
        # a: contacted in 1 h by a handler, booked, met on day 2, placed on day 60
        ev("a", "first_contact", T(2024, 4, 1, 11), "h1"),
        ev("a", "meeting_booked", T(2024, 4, 1, 11, 5), "a1", T(2024, 4, 3, 10)),
        ev("a", "meeting_held", T(2024, 4, 3, 10), "a1"),
        ev("a", "placed", T(2024, 5, 31, 10), "a1"),
        # b: contacted after 47 h by an advisor, met on day 20 (outside the 14-day window)
        ev("b", "first_contact", T(2024, 4, 4, 9), "a2"),
        ev("b", "meeting_held", T(2024, 4, 22, 10), "a2"),
        # c: contacted after 49 h (outside 48 h, inside 7 days), booked, never met
        ev("c", "first_contact", T(2024, 4, 5, 11), "h2"),
        ev("c", "meeting_booked", T(2024, 4, 5, 11, 10), "a2", T(2024, 4, 9, 10)),
        # d: never contacted
        # e: contacted in 10 minutes, met 20 minutes later (live transfer)
        ev("e", "first_contact", T(2024, 4, 8, 10, 10), "h1"),
        ev("e", "meeting_booked", T(2024, 4, 8, 10, 12), "a1", T(2024, 4, 8, 10, 30)),
        ev("e", "meeting_held", T(2024, 4, 8, 10, 30), "a1"),
        # f: never contacted; g: contacted after 2 h
        ev("g", "first_contact", T(2024, 4, 15, 12), "h1"),
    ]
    return given(candidates=candidates, events=events, staff=STAFF)


AS_OF = T(2024, 4, 26, 12)  # W1 is mature for 14 days (4/1 + 21 d = 4/22); W2 is not (4/29)


def test_registrations_by_week_counts_registrations_before_as_of(week_store):
    got = funnel.registrations_by_week(week_store, Filters(as_of=AS_OF))
    expected = pd.DataFrame({"cohort_week": [W1, W2, W3], "registrations": [4, 2, 1], "is_complete": [True, True, True]})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_stage_funnel_counts_each_stage_on_its_own_mature_cohorts(week_store):
    got = funnel.stage_funnel(week_store, Filters(as_of=AS_OF)).set_index("stage")
    # Stages without any event in the store (recommended, interview, offer) are left out.
    assert list(got.index) == ["registered", "first_contact", "meeting_booked", "meeting_held", "placed"]
    # registered: every complete week (W1, W2, W3 complete by 4/26 12:00)
    assert got.loc["registered", ["registrations", "candidates"]].tolist() == [7, 7]
    # first contact within 7 d: mature cohorts need week + 14 d <= as_of -> W1 (4/15), W2 (4/22)
    row = got.loc["first_contact"]
    assert (row.registrations, row.candidates, row.excluded_registrations, row.excluded_cohorts) == (6, 4, 1, 1)
    assert row.share_of_first == pytest.approx(4 / 6)
    assert row.share_of_previous == pytest.approx(4 / 6)
    # meetings within 14 d: only W1 mature; booked a, c; held a (b met on day 20)
    booked, held = got.loc["meeting_booked"], got.loc["meeting_held"]
    assert (booked.registrations, booked.candidates, booked.previous_candidates) == (4, 2, 3)
    assert (held.registrations, held.candidates, held.previous_candidates, held.candidates_from_previous) == (4, 1, 2, 1)
    assert held.share_of_previous == pytest.approx(0.5)
    # placed within 120 d: no cohort is mature yet, so nothing is counted and everything is excluded
    placed = got.loc["placed"]
    assert (placed.registrations, placed.candidates, placed.excluded_registrations) == (0, 0, 7)
    assert pd.isna(placed.share_of_first)
    # intervals surround the rate
    assert row.share_of_first_low < row.share_of_first < row.share_of_first_high


def test_contact_rate_uses_48_hours_and_mature_cohorts_only(week_store):
    # as_of 4/12: W1 is mature for 48 h (4/1 + 9 d = 4/10), W2 is not (4/17)
    filters = Filters(as_of=T(2024, 4, 12))
    weekly = funnel.contact_rate_by_week(week_store, filters)
    assert weekly[["cohort_week", "registrations", "contacted", "is_mature"]].values.tolist() == [
        [W1, 4, 2, True],   # a (1 h), b (47 h); c at 49 h is too late; d never
        [W2, 2, 1, False],  # provisional: e contacted, f not yet
    ]
    headline = funnel.contact_rate(week_store, filters).iloc[0]
    assert (headline.contacted, headline.registrations) == (2, 4)
    assert (headline.excluded_cohorts, headline.excluded_registrations) == (1, 2)
    assert headline.rate == pytest.approx(0.5)


def test_immature_cohorts_never_enter_the_headline(given):
    # W1 mature with everyone met; W2 immature with nobody met yet: the headline stays 100%.
    candidates = [reg(f"m{i}", T(2024, 4, 1, 10)) for i in range(3)] + [reg(f"n{i}", T(2024, 4, 15, 10)) for i in range(5)]
    events = [ev(f"m{i}", "meeting_held", T(2024, 4, 3, 10), "a1") for i in range(3)]
    con = given(candidates=candidates, events=events, staff=STAFF)
    headline = funnel.meeting_rate(con, Filters(as_of=T(2024, 4, 25)))
    assert headline[["meetings", "registrations", "excluded_registrations"]].iloc[0].tolist() == [3, 3, 5]
    assert headline.iloc[0]["rate"] == 1.0


def test_meeting_rate_by_team(week_store):
    got = funnel.meeting_rate(week_store, Filters(as_of=AS_OF), group_by="team")
    got = got.set_index("group_value")
    # W1 only: a (東京, met day 2), b (大阪, met day 20), c (大阪, none), d (no team, none)
    assert got.loc["東京", ["meetings", "registrations"]].tolist() == [1, 1]
    assert got.loc["大阪", ["meetings", "registrations"]].tolist() == [0, 2]
    with pytest.raises(ValueError):
        funnel.meeting_rate(week_store, Filters(as_of=AS_OF), group_by="name; drop table x")


def test_effective_meetings_count_target_segment_meetings_by_meeting_date(week_store):
    week_store.execute(
        "insert into candidate_segments (segmentation, candidate_id, segment, is_target, data_version, cand_key) "
        "select 'targets:t', m.cid, m.seg, m.tgt, 1, f.cand_key "
        "from (values ('a', 'S3', true), ('b', 'S6', false), ('e', 'S1', true)) as m(cid, seg, tgt) "
        "join candidate_funnel as f on f.candidate_id = m.cid"
    )
    by_week = funnel.effective_meetings_by_week(week_store, Filters(as_of=AS_OF), "targets:t")
    assert by_week[["meeting_week", "meetings_held", "effective_meetings"]].values.tolist() == [
        [W1, 1, 1], [W2, 1, 1], [dt.date(2024, 4, 22), 1, 0],
    ]
    # The period is the meeting date: meetings held 4/8-4/30 are e (W2) and b (4/22).
    got = funnel.effective_meetings(week_store, Filters(start=W2, end=dt.date(2024, 4, 30), as_of=AS_OF), "targets:t")
    assert got["count"] == 1 and got["meetings_held"] == 2
    assert got["share"]["rate"] == 0.5 and got["share"]["n"] == 2
    assert funnel.effective_meetings(week_store, Filters(as_of=AS_OF), None) is None


def test_first_contact_split_by_role_and_the_meeting_rate_after_each(week_store):
    got = funnel.first_contact_split(week_store, Filters(as_of=AS_OF)).set_index("role")
    # mature for max(7, 14) days: W1 only. handler: a (met), c (not); advisor: b (met on day 20: no)
    assert got.loc["handler", ["first_contacts", "meetings"]].tolist() == [2, 1]
    assert got.loc["advisor", ["first_contacts", "meetings"]].tolist() == [1, 0]
    assert got.loc["handler", "share"] == pytest.approx(2 / 3)


def test_candidates_behind_each_figure(week_store):
    week = Filters(start=W1, end=W1 + dt.timedelta(days=6), as_of=AS_OF)
    ids = lambda figure: funnel.candidates_behind(week_store, week, DEFAULT, None, figure)["candidate_id"].tolist()
    assert ids("registrations") == ["a", "b", "c", "d"]
    assert ids("contacted_48h") == ["a", "b"]
    assert ids("not_contacted_48h") == ["c", "d"]
    assert ids("meeting_14d") == ["a"]
    assert ids("uncontacted_24h") == ["b", "c", "d"]
    assert ids("stage:meeting_booked") == ["a", "c"]
    assert ids("stage:placed") == []  # a's placement (5/31) lies after as_of: not happened yet
    w2 = week.with_(start=W2, end=W2 + dt.timedelta(days=6))
    assert funnel.candidates_behind(week_store, w2, DEFAULT, None, "live_transfer")["candidate_id"].tolist() == ["e"]
    columns = funnel.candidates_behind(week_store, week, DEFAULT, None, "registrations").columns
    assert {"candidate_id", "segment", "channel", "team", "handler", "advisor", "registered_at"} <= set(columns)
    with pytest.raises(ValueError):
        funnel.candidates_behind(week_store, week, DEFAULT, None, "nonsense")


def test_weekly_overview_and_kpi_cards_compare_with_the_week_before(week_store):
    weekly = funnel.weekly_overview(week_store, Filters(as_of=AS_OF), DEFAULT, None, W2)
    assert len(weekly) == DEFAULT.trend_weeks and weekly["cohort_week"].iloc[-1] == W2
    cards = {c["key"]: c for c in funnel.kpi_cards(weekly, W2)}
    assert cards["registrations"]["value"] == 2 and cards["registrations"]["delta"] == -2
    # W2 contact rate (48 h) is mature by 4/26 (4/8 + 9 d): e yes, f no
    assert cards["contact_rate"]["value"] == 0.5 and not cards["contact_rate"]["is_provisional"]
    assert cards["contact_rate"]["delta"] == pytest.approx(0.0)
    # W2 meeting rate (14 d) is provisional on 4/26 (needs 4/29)
    assert cards["meeting_rate"]["is_provisional"] and cards["meeting_rate"]["value"] == 0.5
    assert cards["live_transfer_share"]["value"] == 1.0
    # W1 responses within 7 days: a 60 min, b 47 h, c 49 h -> median 47 h
    assert cards["response_time"]["value"] == 10 and cards["response_time"]["previous"] == 47 * 60
    text = funnel.card_text(cards["meeting_rate"], DEFAULT, lang="en")
    assert "provisional" in text["delta_description"] and text["value"] == ":gray[50.0%]"


def test_alerts_name_uncontacted_registrants_and_teams_whose_response_worsened(given):
    candidates, events = [], []
    for i in range(12):  # team 東京: 5 min in W1, 60 min in W2
        candidates += [reg(f"x{i}", T(2024, 4, 1, 10)), reg(f"y{i}", T(2024, 4, 8, 10))]
        events += [ev(f"x{i}", "first_contact", T(2024, 4, 1, 10, 5), "h1"),
                   ev(f"y{i}", "first_contact", T(2024, 4, 8, 11), "h1")]
    candidates.append(reg("waiting", T(2024, 4, 9, 10)))
    con = given(candidates=candidates, events=events, staff=STAFF)
    found = funnel.alerts(con, Filters(as_of=T(2024, 4, 16)), DEFAULT, None, W2)
    kinds = {a["kind"]: a for a in found}
    assert kinds["uncontacted"]["count"] == 1
    assert kinds["response_worse"]["team"] == "東京"
    assert (kinds["response_worse"]["previous_minutes"], kinds["response_worse"]["median_minutes"]) == (5, 60)


def test_empty_scope_gives_empty_frames_not_errors(given):
    con = given(candidates=[reg("a", T(2024, 4, 1, 10))], staff=STAFF)
    filters = Filters(team="存在しない", as_of=T(2024, 5, 1))
    assert funnel.registrations_by_week(con, filters).empty
    assert funnel.contact_rate(con, filters).iloc[0]["registrations"] == 0
    assert funnel.weekly_overview(con, filters, DEFAULT, None, W1)["registrations"].sum() == 0
    assert funnel.candidates_behind(con, filters, DEFAULT, None, "registrations").empty
