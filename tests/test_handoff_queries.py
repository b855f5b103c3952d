"""Handoff metrics, given hand-written rows: business-hours response time, buckets, lead decay,
handoff lag and live transfer, show-up by lead time, Kaplan-Meier, weekday x hour."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd
import pytest

from dashboard import business_hours, sql
from dashboard.filters import Filters
from dashboard.metrics import handoff
from dashboard.settings import DEFAULT

T = dt.datetime
STAFF = [
    {"staff_id": "h1", "role": "handler", "team": "東京"},
    {"staff_id": "h2", "role": "handler", "team": "大阪"},
    {"staff_id": "a1", "role": "advisor", "team": "東京"},
    {"staff_id": "a2", "role": "advisor", "team": "大阪"},
]
LATE = T(2024, 8, 1)  # every cohort below is long mature


def reg(cid, at):
    return {"candidate_id": cid, "registered_at": at, "channel": "web"}


def ev(cid, stage, at, staff=None, scheduled_for=None):
    return {"candidate_id": cid, "stage": stage, "occurred_at": at, "staff_id": staff, "scheduled_for": scheduled_for}


def contacted(pairs):
    """(id, registered_at, first_contact_at or None) -> candidates and events."""
    candidates = [reg(cid, r) for cid, r, _ in pairs]
    events = [ev(cid, "first_contact", c, "h1") for cid, _, c in pairs if c is not None]
    return candidates, events


# --- business hours ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "registered, answered, minutes",
    [
        (T(2024, 4, 1, 23, 0), T(2024, 4, 2, 9, 5), 5),      # night registration, answered at 9:05
        (T(2024, 4, 5, 18, 0), T(2024, 4, 8, 9, 30), 90),    # Friday 18:00 -> Monday 9:30
        (T(2024, 4, 26, 18, 50), T(2024, 4, 30, 9, 10), 20), # over a weekend and 昭和の日 (Mon 4/29)
        (T(2024, 4, 2, 10, 0), T(2024, 4, 2, 10, 7), 7),     # inside business hours: the clock
        (T(2024, 4, 6, 11, 0), T(2024, 4, 6, 15, 0), 0),     # Saturday, answered on Saturday
    ],
)
def test_business_minutes_in_sql_match_the_hand_count(given, registered, answered, minutes):
    candidates, events = contacted([("x", registered, answered)])
    con = given(candidates=candidates, events=events, staff=STAFF)
    got = handoff.response_time(con, Filters(as_of=LATE), DEFAULT).iloc[0]
    assert got["median_business_minutes"] == pytest.approx(minutes)
    assert business_hours.business_minutes(registered, answered, DEFAULT) == pytest.approx(minutes)
    assert got["median_minutes"] == pytest.approx((answered - registered).total_seconds() / 60)


def test_business_minutes_sql_agrees_with_the_day_by_day_reference_on_random_pairs(given):
    rng = random.Random(3)
    pairs = []
    for i in range(60):
        r = T(2024, 4, 20) + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 20))
        pairs.append((f"p{i:02d}", r, r + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 6))))
    candidates, events = contacted(pairs)
    con = given(candidates=candidates, events=events, staff=STAFF)
    settings = DEFAULT.with_(business_start_hour=10, business_end_hour=18)
    key = handoff.ensure_clocks(con, settings)  # the calendar of these hours and its clocks
    assert key == business_hours.calendar_key(settings) != business_hours.calendar_key(DEFAULT)
    expected = sorted(business_hours.business_minutes(r, c, settings) for _, r, c in pairs)
    got = handoff.response_time(con, Filters(as_of=LATE), settings).iloc[0]
    assert got["median_business_minutes"] == pytest.approx(pd.Series(expected).quantile(0.5))
    assert got["p90_business_minutes"] == pytest.approx(pd.Series(expected).quantile(0.9))


def test_response_clocks_keep_each_calendar_and_follow_the_data_version(given):
    # Two sessions with other hours share the store: each calendar has its own rows. A change of
    # the data (an import: new candidate_funnel, next data version) rebuilds the rows asked for and
    # drops the other calendar's, which were built from the old data.
    from dashboard import store

    pairs = [("p1", T(2024, 6, 3, 9, 30), T(2024, 6, 3, 11)), ("p2", T(2024, 6, 4, 17), T(2024, 6, 5, 10))]
    candidates, events = contacted(pairs)
    con = given(candidates=candidates, events=events, staff=STAFF)
    late = DEFAULT.with_(business_start_hour=10, business_end_hour=18)
    medians = {}
    for settings in (DEFAULT, late):
        got = handoff.response_time(con, Filters(as_of=LATE), settings).iloc[0]
        medians[settings.business_start_hour] = got["median_business_minutes"]
    # DEFAULT 9-19: 90 and 120 (17:00-19:00) + 60 (9:00-10:00) = 180; 10-18: 60 and 60 + 0 = 60
    assert medians == {9: pytest.approx((90 + 180) / 2), 10: pytest.approx((60 + 60) / 2)}
    rows = dict(con.execute("select calendar, count(*) from response_clocks group by 1").fetchall())
    assert rows == {business_hours.calendar_key(DEFAULT): 2, business_hours.calendar_key(late): 2}

    con.execute("begin transaction")
    con.execute("insert into candidates (candidate_id, registered_at, import_id) values ('p3', '2024-06-06 09:00', 0)")
    con.execute("insert into events (candidate_id, stage, occurred_at, staff_id, import_id) "
                "values ('p3', 'first_contact', '2024-06-06 09:30', 'h1', 0)")
    store.refresh_derived(con)
    store.bump_version(con)
    con.execute("commit")
    got = handoff.response_time(con, Filters(as_of=LATE), DEFAULT).iloc[0]
    assert (got["contacted"], got["median_business_minutes"]) == (3, pytest.approx(90))
    rows = dict(con.execute("select calendar, count(*) from response_clocks group by 1").fetchall())
    assert rows == {business_hours.calendar_key(DEFAULT): 3}
    assert handoff.response_time(con, Filters(as_of=LATE), late).iloc[0]["contacted"] == 3


def test_calendar_skips_japanese_public_holidays():
    frame = business_hours.calendar_frame(dt.date(2024, 5, 2), dt.date(2024, 5, 7), DEFAULT)
    assert frame["is_open"].tolist() == [True, False, False, False, False, True]  # 5/3-5/6 Golden Week
    assert frame["cum_minutes_before"].tolist() == [0, 600, 600, 600, 600, 600]


# --- response time and buckets ----------------------------------------------------------------

def test_response_time_median_p90_over_mature_cohorts_only(given):
    base = T(2024, 4, 2, 10)
    pairs = [(f"m{i}", base, base + dt.timedelta(minutes=m)) for i, m in enumerate([1, 2, 3, 4, 10])]
    pairs += [("slow", base, base + dt.timedelta(days=8))]          # outside the 7-day window
    pairs += [("young", T(2024, 4, 22, 10), T(2024, 4, 22, 12))]    # W 4/22: immature on 4/30
    candidates, events = contacted(pairs)
    con = given(candidates=candidates, events=events, staff=STAFF)
    got = handoff.response_time(con, Filters(as_of=T(2024, 4, 30)), DEFAULT).iloc[0]
    assert (got.registrations, got.contacted) == (6, 5)
    assert got.median_minutes == 3
    assert got.p90_minutes == pytest.approx(4 + 0.6 * (10 - 4))
    assert (got.excluded_cohorts, got.excluded_registrations) == (1, 1)


def test_response_buckets_and_the_meeting_rate_after_each(given):
    base = T(2024, 4, 2, 10)
    minutes = {"b0": 5, "b1": 59, "b2": 600, "b3": 4000, "b4": 5000, "b5": None, "b5late": 60 * 24 * 8}
    pairs = [(cid, base, None if m is None else base + dt.timedelta(minutes=m)) for cid, m in minutes.items()]
    candidates, events = contacted(pairs)
    events += [ev("b0", "meeting_held", base + dt.timedelta(days=1), "a1"),
               ev("b1", "meeting_held", base + dt.timedelta(days=13), "a1"),
               ev("b2", "meeting_held", base + dt.timedelta(days=15), "a1")]  # outside 14 days
    con = given(candidates=candidates, events=events, staff=STAFF)
    dist = handoff.response_buckets(con, Filters(as_of=LATE), DEFAULT)
    assert dist["key"].tolist() == ["le_5min", "le_60min", "le_1440min", "le_4320min", "gt_4320min", "not_contacted"]
    assert dist["registrations"].tolist() == [1, 1, 1, 1, 1, 2]
    assert dist["rate"].iloc[-1] == pytest.approx(2 / 7)
    decay = handoff.meeting_rate_by_response(con, Filters(as_of=LATE), DEFAULT)
    assert decay["meetings"].tolist() == [1, 1, 0, 0, 0, 0]
    assert decay["registrations"].tolist() == [1, 1, 1, 1, 1, 2]


def test_business_basis_moves_a_night_registration_into_the_fast_bucket(given):
    candidates, events = contacted([("night", T(2024, 4, 1, 23), T(2024, 4, 2, 9, 4))])
    con = given(candidates=candidates, events=events, staff=STAFF)
    wall = handoff.response_buckets(con, Filters(as_of=LATE), DEFAULT, basis="wall")
    business = handoff.response_buckets(con, Filters(as_of=LATE), DEFAULT, basis="business")
    assert wall.set_index("key").loc["le_1440min", "registrations"] == 1
    assert business.set_index("key").loc["le_5min", "registrations"] == 1
    with pytest.raises(ValueError):
        handoff.response_buckets(con, Filters(as_of=LATE), DEFAULT, basis="fortnight")


def test_bucket_bounds_that_make_no_buckets_refuse_the_buckets_only(given):
    """The headline, the heatmap and the buckets come from one pass: bounds that cannot make four
    buckets still refuse the distribution and the lead decay, and leave the other figures alone."""
    base = T(2024, 4, 2, 10)
    candidates, events = contacted([("a", base, base + dt.timedelta(minutes=30))])
    con = given(candidates=candidates, events=events, staff=STAFF)
    bad = DEFAULT.with_(response_bucket_minutes=(60.0, 5.0, 1440.0, 4320.0))
    assert handoff.response_time(con, Filters(as_of=LATE), bad).iloc[0].median_minutes == 30
    cells = handoff.registration_heatmap(con, Filters(as_of=LATE), bad).set_index(["weekday", "hour"])
    assert cells.loc[(2, 10), "median_minutes"] == 30
    with pytest.raises(ValueError, match="four increasing bounds"):
        handoff.response_buckets(con, Filters(as_of=LATE), bad)
    with pytest.raises(ValueError, match="four increasing bounds"):
        handoff.meeting_rate_by_response(con, Filters(as_of=LATE), bad)


# --- handoff lag and live transfer ------------------------------------------------------------

def test_handoff_lag_and_live_transfer_share_by_handler(given):
    base = T(2024, 4, 2, 10)
    candidates = [reg(c, base) for c in ("l1", "l2", "l3", "o1", "none")]
    events = [
        ev("l1", "first_contact", base + dt.timedelta(minutes=5), "h1"),
        ev("l1", "meeting_held", base + dt.timedelta(minutes=15), "a1"),     # lag 10 min: live
        ev("l2", "first_contact", base + dt.timedelta(minutes=5), "h1"),
        ev("l2", "meeting_held", base + dt.timedelta(minutes=50), "a1"),     # lag 45 min
        ev("l3", "first_contact", base + dt.timedelta(minutes=5), "h2"),
        ev("l3", "meeting_held", base + dt.timedelta(days=2, minutes=5), "a2"),  # lag 2 days
        ev("o1", "first_contact", base + dt.timedelta(minutes=5), "h2"),
        ev("o1", "meeting_held", base + dt.timedelta(days=20), "a2"),        # outside the window
        ev("none", "first_contact", base + dt.timedelta(minutes=5), "h1"),
    ]
    con = given(candidates=candidates, events=events, staff=STAFF)
    total = handoff.handoff_lag(con, Filters(as_of=LATE), DEFAULT).iloc[0]
    assert (total.handoffs, total.live_transfers) == (3, 1)
    assert total.median_lag_minutes == 45
    assert total.rate == pytest.approx(1 / 3) and total.low < 1 / 3 < total.high
    by_handler = handoff.handoff_lag(con, Filters(as_of=LATE), DEFAULT, group_by="handler").set_index("group_value")
    assert by_handler.loc["h1", ["handoffs", "live_transfers"]].tolist() == [2, 1]
    assert by_handler.loc["h2", ["handoffs", "live_transfers"]].tolist() == [1, 0]
    weekly = handoff.handoff_lag_by_week(con, Filters(as_of=LATE), DEFAULT)
    assert weekly[["cohort_week", "handoffs", "live_transfers"]].values.tolist() == [[dt.date(2024, 4, 1), 3, 1]]


def test_show_up_rate_by_booking_lead_time(given):
    b = T(2024, 4, 2, 10)
    plan = {  # id: (scheduled after booking, held?)
        "call": (dt.timedelta(minutes=10), True),
        "sameday": (dt.timedelta(hours=5), False),
        "nextday": (dt.timedelta(days=1), True),
        "twodays": (dt.timedelta(days=2), True),
        "three": (dt.timedelta(days=3), False),
        "week": (dt.timedelta(days=7), False),
        "future": (dt.timedelta(days=200), False),  # its date has not come: not counted
    }
    candidates = [reg(c, b) for c in plan]
    events = []
    for cid, (lead, held) in plan.items():
        events.append(ev(cid, "meeting_booked", b, "a1", b + lead))
        if held:
            events.append(ev(cid, "meeting_held", b + lead, "a1"))
    con = given(candidates=candidates, events=events, staff=STAFF)
    got = handoff.show_up_by_lead_time(con, Filters(as_of=LATE), DEFAULT)
    assert got["key"].tolist() == ["same_call", "same_day", "next_day", "2_3_days", "4_plus_days"]
    assert got["booked"].tolist() == [1, 1, 1, 2, 1]
    assert got["held"].tolist() == [1, 0, 1, 1, 0]


# --- time to meeting --------------------------------------------------------------------------

def test_kaplan_meier_hand_computed(given):
    r = T(2024, 4, 1, 10)
    candidates = [reg(c, r) for c in ("k1", "k2", "k3", "k4")]
    events = [ev("k1", "meeting_held", r + dt.timedelta(days=2, hours=1), "a1"),
              ev("k2", "meeting_held", r + dt.timedelta(days=2, hours=3), "a1"),
              ev("k3", "meeting_held", r + dt.timedelta(days=8), "a1")]
    con = given(candidates=candidates, events=events, staff=STAFF)
    counts = sql.run(con, "handoff/time_to_meeting", **Filters(as_of=T(2024, 5, 1, 10)).params(), max_days=60, group_by=None)
    assert counts[["day", "at_risk", "meetings", "censored"]].values.tolist() == [[2, 4, 2, 0], [8, 2, 1, 0], [30, 1, 0, 1]]
    curve = handoff.time_to_meeting(con, Filters(as_of=T(2024, 5, 1, 10)), DEFAULT).set_index("day")
    assert curve.loc[1, "share_with_meeting"] == 0
    assert curve.loc[2, "share_with_meeting"] == pytest.approx(0.5)
    assert curve.loc[8, "share_with_meeting"] == pytest.approx(0.75)
    assert curve.loc[60, "share_with_meeting"] == pytest.approx(0.75)
    assert curve.loc[5, "at_risk"] == 2


def test_a_cohort_half_way_through_its_window_does_not_drag_the_curve_down(given):
    old, young = T(2024, 4, 1, 10), T(2024, 4, 25, 10)
    as_of = T(2024, 5, 1, 10)  # the young cohort has had 6 of its days
    # Both cohorts convert alike (a quarter on day 1); the old one also has a meeting on day 10,
    # a day the young cohort has not reached yet.
    candidates = [reg(f"o{i}", old) for i in range(4)] + [reg(f"y{i}", young) for i in range(4)]
    events = [ev("o0", "meeting_held", old + dt.timedelta(days=1), "a1"),
              ev("o1", "meeting_held", old + dt.timedelta(days=10), "a1"),
              ev("y0", "meeting_held", young + dt.timedelta(days=1), "a1")]
    con = given(candidates=candidates, events=events, staff=STAFF)
    both = handoff.time_to_meeting(con, Filters(as_of=as_of), DEFAULT).set_index("day")["share_with_meeting"]
    old_only = handoff.time_to_meeting(con, Filters(end=dt.date(2024, 4, 7), as_of=as_of), DEFAULT)
    old_only = old_only.set_index("day")["share_with_meeting"]
    # Waiting candidates are censored at day 6, not counted as failures: the curve equals the
    # old cohort's, 1 - (3/4)(2/3) = 1/2 by day 10 ...
    assert both.loc[10] == pytest.approx(old_only.loc[10]) == pytest.approx(0.5)
    # ... where counting the waiting as failures would say 3 of 8.
    assert both.loc[10] > 3 / 8


# --- weekday x hour ---------------------------------------------------------------------------

def test_registration_heatmap_cells(given):
    pairs = [("mon_night", T(2024, 4, 1, 23, 10), T(2024, 4, 2, 9, 10)),
             ("mon_night2", T(2024, 4, 1, 23, 40), T(2024, 4, 2, 9, 40)),
             ("sat", T(2024, 4, 6, 11, 0), T(2024, 4, 8, 9, 30)),
             ("tue", T(2024, 4, 2, 10, 0), T(2024, 4, 2, 10, 4))]
    candidates, events = contacted(pairs)
    con = given(candidates=candidates, events=events, staff=STAFF)
    cells = handoff.registration_heatmap(con, Filters(as_of=LATE), DEFAULT).set_index(["weekday", "hour"])
    assert len(cells) == 7 * 24 and cells["registrations"].sum() == 4
    assert cells.loc[(1, 23), "registrations"] == 2
    assert cells.loc[(1, 23), "median_minutes"] == 600
    assert cells.loc[(1, 23), "median_business_minutes"] == pytest.approx(25)
    assert cells.loc[(6, 11), "median_business_minutes"] == pytest.approx(30)
    assert cells.loc[(2, 10), "is_business_hour"] and not cells.loc[(6, 11), "is_business_hour"]


@pytest.mark.parametrize("scope", [{}, {"team": "東京1"}, {"start": dt.date(2025, 1, 6), "end": dt.date(2025, 3, 30)}])
def test_a_figure_asked_alone_equals_the_same_figure_from_the_shared_passes(generated_store, scope):
    # The headline response time and the handoff lag come from a narrower query when no page or
    # report ran the shared passes first (handoff.prefetch); both ways give the same frame.
    from dashboard import memo
    from dashboard.filters import resolve_as_of

    con, _ = generated_store
    filters = Filters(as_of=resolve_as_of(con), **scope)
    calls = [
        lambda: handoff.response_time(con, filters, DEFAULT),
        lambda: handoff.handoff_lag(con, filters, DEFAULT),
        lambda: handoff.handoff_lag(con, filters, DEFAULT, "team"),
        lambda: handoff.handoff_lag(con, filters, DEFAULT, "handler"),
        lambda: handoff.handoff_lag_by_week(con, filters, DEFAULT),
    ]
    memo.clear()
    alone = [call() for call in calls]
    assert handoff._response_figures.peek(con, filters, DEFAULT) is None  # nothing ran the passes
    handoff.prefetch(con, filters, DEFAULT)
    shared = [call() for call in calls]
    assert alone[0]["contacted"].iloc[0] > 0 and alone[1]["handoffs"].iloc[0] > 0
    for a, b in zip(alone, shared):
        pd.testing.assert_frame_equal(a, b)


def test_after_prefetch_the_page_figures_run_no_query(generated_store, monkeypatch):
    from dashboard import memo
    from dashboard.filters import resolve_as_of

    con, _ = generated_store
    filters = Filters(as_of=resolve_as_of(con))
    memo.clear()
    handoff.prefetch(con, filters, DEFAULT)
    ran = []
    real = sql.run
    monkeypatch.setattr(sql, "run", lambda con, name, **kw: ran.append(name) or real(con, name, **kw))
    handoff.response_time(con, filters, DEFAULT)
    handoff.response_buckets(con, filters, DEFAULT, "business")
    handoff.meeting_rate_by_response(con, filters, DEFAULT)
    handoff.registration_heatmap(con, filters, DEFAULT)
    for group_by in (None, "team", "handler"):
        handoff.handoff_lag(con, filters, DEFAULT, group_by)
    handoff.handoff_lag_by_week(con, filters, DEFAULT)
    assert ran == []


def test_clocks_built_while_an_import_commits_cover_the_imported_data():
    # Session A opens a clocked figure while session B's import holds the write lock: A must build
    # its clocks from the data B committed, on a calendar that covers it (reading the data's range
    # before the lock once left the new registrations without business minutes for a whole data
    # version; found in review).
    import threading
    import time

    from dashboard import memo, store, warmup
    from dashboard.filters import resolve_as_of
    from tests.store_factory import make_store

    candidates = [reg(f"a{i}", T(2024, 4, 1 + i, 10)) for i in range(20)]
    events = [ev(f"a{i}", "first_contact", T(2024, 4, 1 + i, 11), "h1") for i in range(20)]
    con = make_store(candidates=candidates, events=events, staff=STAFF)
    warmup.prepare(con)
    before = resolve_as_of(con)
    locked = threading.Event()

    def import_september():
        cur = con.cursor()
        with store.write_lock():
            locked.set()
            cur.execute("begin transaction")
            for i in range(20):  # registered Mon-Fri at 10:00, contacted 2 hours later
                day = T(2024, 9, 2) + dt.timedelta(days=i + 2 * (i // 5))
                cur.execute("insert into candidates (candidate_id, registered_at, import_id) values ($1, $2, 1)",
                            [f"b{i}", day.replace(hour=10)])
                cur.execute("insert into events (candidate_id, stage, occurred_at, staff_id, import_id) "
                            "values ($1, 'first_contact', $2, 'h1', 1)", [f"b{i}", day.replace(hour=12)])
            time.sleep(0.5)  # the import's work, while session A waits for the lock
            store.refresh_derived(cur)
            store.bump_version(cur)
            cur.execute("commit")
        cur.close()

    importer = threading.Thread(target=import_september)
    importer.start()
    locked.wait()
    handoff.response_time(con, Filters(as_of=before), DEFAULT)  # session A, during the import
    importer.join()
    memo.clear()
    assert con.execute("select count(*) from response_clocks where first_contact_at is not null "
                       "and first_contact_business_minutes is null").fetchone()[0] == 0
    got = handoff.response_time(con, Filters(as_of=T(2025, 3, 1)), DEFAULT).iloc[0]
    assert (got["contacted"], got["p90_business_minutes"]) == (40, pytest.approx(120))


def test_a_response_clocks_table_of_another_release_is_rebuilt(given):
    candidates, events = contacted([("p1", T(2024, 6, 3, 9, 30), T(2024, 6, 3, 11))])
    con = given(candidates=candidates, events=events, staff=STAFF)
    con.execute("create table response_clocks (calendar varchar, cand_key integer, old_column double)")
    con.execute("insert into store_meta values ('response_clocks:x', 'stale')")
    got = handoff.response_time(con, Filters(as_of=LATE), DEFAULT).iloc[0]
    assert got["median_business_minutes"] == pytest.approx(90)
    assert "old_column" not in {r[0] for r in con.execute(
        "select column_name from information_schema.columns where table_name = 'response_clocks'").fetchall()}
