"""Yellow-zone queries on hand-written stores: maturity and the placement window, scope, coverage,
missed matches, open registrants, free capacity, the recommendation, the advisor profile and the
report keys. Rows are written out so every expected number can be counted by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import report, segments
from dashboard.filters import Filters
from dashboard.metrics import yellow_zone as yz
from dashboard.settings import DEFAULT

AS_OF = dt.datetime(2025, 6, 30, 12, 0)
OLD = AS_OF - dt.timedelta(days=200)  # meetings this old are mature (window 120 days)
STAFF = [
    {"staff_id": "A1", "role": "advisor", "team": "T1"},
    {"staff_id": "A2", "role": "advisor", "team": "T1"},
    {"staff_id": "A3", "role": "advisor", "team": "T2"},
    {"staff_id": "H1", "role": "handler", "team": "T1"},
]


class World:
    """Collects candidates and events; ``meeting`` adds one registrant with a meeting."""

    def __init__(self):
        self.candidates, self.events, self.n = [], [], 0

    def registrant(self, seg, registered_at, contact_by="H1"):
        self.n += 1
        cid = f"c{self.n:03d}"
        self.candidates.append({"candidate_id": cid, "registered_at": registered_at, "seg": seg})
        self.events.append({"candidate_id": cid, "stage": "first_contact",
                            "occurred_at": registered_at + dt.timedelta(minutes=10), "staff_id": contact_by})
        return cid

    def meeting(self, advisor, seg, held_at, placed_after_days=None):
        cid = self.registrant(seg, held_at - dt.timedelta(days=3))
        self.events.append({"candidate_id": cid, "stage": "meeting_held", "occurred_at": held_at, "staff_id": advisor})
        if placed_after_days is not None:
            self.events.append({"candidate_id": cid, "stage": "placed",
                                "occurred_at": held_at + dt.timedelta(days=placed_after_days), "staff_id": advisor})
        return cid

    def block(self, advisor, seg, meetings, placements, held_at=OLD):
        for i in range(meetings):
            self.meeting(advisor, seg, held_at, placed_after_days=30 if i < placements else None)


@pytest.fixture(scope="module")
def small_world():
    """A1 strong in H; H is the high-yield segment; the yellow zone is (A1, H).

    Mature: A1 H 20/8, A1 L 10/1; A2 H 10/1, A2 L 20/2; A3 H 10/1, A3 L 20/2.
    Recent (immature): A2 holds 2 H meetings 3 days ago; A1 one L meeting 10 days ago.
    Without a meeting: 3 H registrants 30 days old (missed), 1 H and 1 L registrant 2 days old (open),
    1 registrant with no segment attribute 2 days old (open, unknown).
    """
    from store_factory import make_store

    w = World()
    w.block("A1", "H", 20, 8)
    w.block("A1", "L", 10, 1)
    w.block("A2", "H", 10, 1)
    w.block("A2", "L", 20, 2)
    w.block("A3", "H", 10, 1)
    w.block("A3", "L", 20, 2)
    recent = [w.meeting("A2", "H", AS_OF - dt.timedelta(days=3)) for _ in range(2)]
    w.meeting("A1", "L", AS_OF - dt.timedelta(days=10))
    missed_no_meeting = [w.registrant("H", AS_OF - dt.timedelta(days=30)) for _ in range(3)]
    open_h = w.registrant("H", AS_OF - dt.timedelta(days=2))
    open_l = w.registrant("L", AS_OF - dt.timedelta(days=2))
    open_unknown = w.registrant(None, AS_OF - dt.timedelta(days=2))
    con = make_store(candidates=w.candidates, events=w.events, staff=STAFF, attributes={"seg": "VARCHAR"})
    key = segments.ensure(con, "seg")
    ids = {"recent_a2": recent, "no_meeting": missed_no_meeting, "open_h": open_h, "open_l": open_l,
           "open_unknown": open_unknown}
    return con, key, ids


FILTERS = Filters(as_of=AS_OF)


def test_only_mature_meetings_and_placements_within_the_window_count(given):
    as_of = AS_OF
    rows = [
        # (candidate, meeting days before as_of, placed days after meeting or None)
        ("m1", 200, 100),   # mature, placed inside 120 days: counts as placed
        ("m2", 200, 130),   # mature, placed after 121+ days: a meeting, not a placement
        ("m3", 200, None),  # mature, not placed
        ("m4", 121, 20),    # mature by one day
        ("m5", 119, 20),    # immature: excluded even though already placed
    ]
    candidates, events = [], []
    for cid, ago, placed in rows:
        held = as_of - dt.timedelta(days=ago)
        candidates.append({"candidate_id": cid, "registered_at": held - dt.timedelta(days=1), "seg": "S"})
        events.append({"candidate_id": cid, "stage": "meeting_held", "occurred_at": held, "staff_id": "A1"})
        if placed is not None:
            events.append({"candidate_id": cid, "stage": "placed", "occurred_at": held + dt.timedelta(days=placed), "staff_id": "A1"})
    candidates.append({"candidate_id": "u1", "registered_at": as_of - dt.timedelta(days=300), "seg": None})
    events.append({"candidate_id": "u1", "stage": "meeting_held", "occurred_at": as_of - dt.timedelta(days=299), "staff_id": "A1"})
    con = given(candidates=candidates, events=events, staff=STAFF[:1], attributes={"seg": "VARCHAR"})
    key = segments.ensure(con, "seg")
    counts = yz.cell_counts(con, Filters(as_of=as_of), DEFAULT, key).set_index("segment")
    assert counts.loc["S", ["meetings", "placements"]].tolist() == [4, 2]
    assert counts.loc["unknown", ["meetings", "placements"]].tolist() == [1, 0]
    assert counts.loc["S", "advisor"] == "A1"
    # A longer window: m4 is no longer mature, and m2's placement now falls inside it.
    longer = yz.cell_counts(con, Filters(as_of=as_of), DEFAULT.with_(placement_window_days=150), key)
    assert longer.set_index("segment").loc["S", ["meetings", "placements"]].tolist() == [3, 2]


def test_cell_counts_match_the_hand_written_world(small_world):
    con, key, _ = small_world
    counts = yz.cell_counts(con, FILTERS, DEFAULT, key).set_index(["advisor", "segment"])
    assert counts.loc[("A1", "H"), ["meetings", "placements"]].tolist() == [20, 8]
    assert counts.loc[("A2", "L"), ["meetings", "placements"]].tolist() == [20, 2]
    assert int(counts["meetings"].sum()) == 90  # the 3 recent meetings are immature
    assert counts.loc[("A3", "H"), "advisor_team"] == "T2"


def test_the_yellow_zone_of_the_hand_written_world(small_world):
    con, key, _ = small_world
    model = yz.placement_model(con, FILTERS, DEFAULT, key)
    assert yz.high_converting_advisors(model) == ["A1"]
    assert yz.high_yield_segments(model) == ["H"]
    yellow = model["cells"][model["cells"]["is_yellow_zone"]]
    assert list(zip(yellow["advisor"], yellow["segment"])) == [("A1", "H")]


def test_team_scope_is_applied_in_sql(small_world):
    con, key, _ = small_world
    counts = yz.cell_counts(con, FILTERS.with_(team="T2"), DEFAULT, key)
    assert set(counts["advisor"]) == {"A3"}
    assert int(counts["meetings"].sum()) == 30


def test_advisor_scope_keeps_the_team_model_but_returns_only_that_advisor(small_world):
    con, key, _ = small_world
    scoped = yz.placement_model(con, FILTERS.with_(advisor="A2"), DEFAULT, key)
    assert set(scoped["advisors"]["advisor"]) == {"A2"}
    assert set(scoped["cells"]["advisor"]) == {"A2"}
    # Tiers and rates are still those of the whole team.
    full = yz.placement_model(con, FILTERS, DEFAULT, key)
    a2 = full["advisors"].set_index("advisor").loc["A2"]
    assert scoped["advisors"].iloc[0]["index"] == pytest.approx(a2["index"])
    # Candidate lists are cut in SQL: A2 sees only the missed matches they held.
    missed = yz.missed_matches(con, FILTERS.with_(advisor="A2"), DEFAULT, key)
    assert set(missed["advisor"]) == {"A2"}
    assert (missed["kind"] == "other_advisor").all()


def test_coverage_counts_every_high_yield_meeting_held(small_world):
    con, key, _ = small_world
    cov = yz.coverage(con, FILTERS, DEFAULT, key)
    # H meetings: A1 20, A2 10 + 2 recent, A3 10 -> 42, of which A1 holds 20.
    assert (cov["coverage"]["n"], round(cov["coverage"]["rate"] * 42)) == (42, 20)
    assert cov["coverage"]["low"] < 20 / 42 < cov["coverage"]["high"]
    # Baseline: A1's share of all 93 meetings held (20 + 10 + 1 recent = 31).
    assert cov["baseline"]["n"] == 93
    assert cov["baseline"]["rate"] == pytest.approx(31 / 93)
    weekly = cov["weekly"]
    assert int(weekly["meetings"].sum()) == 42 and int(weekly["yellow_meetings"].sum()) == 20
    assert weekly["week_start"].is_monotonic_increasing


def test_missed_matches_by_hand(small_world):
    con, key, ids = small_world
    missed = yz.missed_matches(con, FILTERS, DEFAULT, key)
    kinds = missed["kind"].value_counts().to_dict()
    # H meetings by A2 (10 + 2 recent) and A3 (10); H registrants 30 days old without a meeting.
    assert kinds == {"other_advisor": 22, "no_meeting": 3}
    assert set(missed.loc[missed["kind"] == "no_meeting", "candidate_id"]) == set(ids["no_meeting"])
    # The open registrant (2 days old) is not missed yet.
    assert ids["open_h"] not in set(missed["candidate_id"])
    assert set(missed["segment"]) == {"H"}
    assert missed.loc[missed["kind"] == "no_meeting", "days_from_registration"].round(3).eq(30).all()
    recent = missed[missed["candidate_id"].isin(ids["recent_a2"])]
    assert recent["days_from_registration"].round(3).eq(3).all()
    other = missed[missed["kind"] == "other_advisor"]
    assert (other["expected_loss"] > 0).all()  # A1's H rate beats A2's and A3's
    summary = yz.missed_summary(missed)
    assert (summary["total"], summary["with_other_advisor"], summary["without_meeting"]) == (25, 22, 3)


def test_open_registrants_capacity_and_recommendation(small_world):
    con, key, ids = small_world
    rec = yz.recommendation(con, FILTERS, DEFAULT, key)
    capacity = rec["capacity"].set_index("advisor")
    # Active in the last 28 days: A1 (one meeting 10 days ago) and A2 (two 3 days ago).
    assert capacity["meetings_last_7_days"].to_dict() == {"A1": 0, "A2": 2}
    assert capacity["free"].to_dict() == {"A1": 7, "A2": 5}
    table = rec["table"].set_index("candidate_id")
    assert set(table.index) == {ids["open_h"], ids["open_l"], ids["open_unknown"]}
    assert table.at[ids["open_unknown"], "segment"] == "unknown"
    assert table.at[ids["open_h"], "advisor"] == "A1"
    s = rec["summary"]
    assert (s["registrants"], s["assigned"], s["capacity"]) == (3, 3, 12)
    assert s["expected_best"] >= s["expected_round_robin"]
    assert s["gain"] == pytest.approx(s["expected_best"] - s["expected_round_robin"])


def test_advisor_profile_against_the_team(small_world):
    con, key, _ = small_world
    profile = yz.advisor_profile(con, FILTERS, DEFAULT, key, "A1")
    assert profile["advisor"]["tier"] == yz.HIGH
    rows = profile["by_segment"].set_index("segment")
    assert rows.loc["H", ["meetings", "placements"]].tolist() == [20, 8]
    assert rows.loc["H", "team_meetings"] == 40
    assert rows.loc["H", "shrunk_rate"] > rows.loc["H", "team_rate"]
    assert profile["yellow_zone"]["segment"].tolist() == ["H"]
    assert profile["missed_matches"].empty  # the top advisor holds no missed match
    # Handoff figures, by the Handoff page's definitions: every meeting follows its first contact by
    # 3 days less 10 minutes; A1's 30 old meetings are in mature cohorts, the recent one is not.
    mine, team = profile["handoff"]["advisor"], profile["handoff"]["team"]
    assert (mine["handoffs"], mine["live_transfers"]) == (30, 0)
    assert mine["median_lag_minutes"] == pytest.approx(3 * 1440 - 10)
    assert team["handoffs"] == 90

    a2 = yz.advisor_profile(con, FILTERS, DEFAULT, key, "A2")
    assert len(a2["missed_matches"]) == 12
    assert a2["yellow_zone"].empty


def test_report_keys_follow_the_contract(small_world):
    con, key, _ = small_world
    out = report.build(con, FILTERS, DEFAULT, segment_by="seg")
    for name in ("segments", "advisors", "cells", "yellow_zone_coverage", "missed_matches", "routing_gap"):
        assert name in out
    seg = {s["segment"]: s for s in out["segments"]}
    assert set(seg["H"]) >= {"segment", "target", "meetings", "placements", "placement_rate", "shrunk"}
    assert set(seg["H"]["placement_rate"]) == {"rate", "n", "low", "high"}
    assert seg["H"]["placement_rate"]["n"] == 40 and seg["H"]["placement_rate"]["rate"] == pytest.approx(10 / 40)
    adv = {a["advisor"]: a for a in out["advisors"]}
    assert set(adv["A1"]) >= {"advisor", "meetings", "placements", "index", "tier"}
    assert adv["A1"]["tier"] == "high"
    cell = {(c["advisor"], c["segment"]): c for c in out["cells"]}
    assert set(cell[("A1", "H")]) >= {"advisor", "segment", "meetings", "placements", "raw_rate", "shrunk", "is_yellow_zone"}
    assert cell[("A1", "H")]["is_yellow_zone"] and not cell[("A2", "H")]["is_yellow_zone"]
    assert out["yellow_zone_coverage"]["n"] == 42
    assert out["missed_matches"]["total"] == 25
    gap = out["routing_gap"]
    assert set(gap) >= {"placements", "low", "high"}
    assert gap["low"] <= gap["placements"] <= gap["high"] or gap["placements"] == pytest.approx(0, abs=1e-9)
    report.to_json(out)  # serialisable


def test_empty_store_gives_empty_keys(given):
    con = given()
    out = report.build(con, Filters(), DEFAULT)
    assert out["segments"] == [] and out["advisors"] == [] and out["cells"] == []
    assert out["yellow_zone_coverage"]["n"] == 0
    assert out["missed_matches"]["total"] == 0
    assert out["routing_gap"] is None
    report.to_json(out)


def test_missed_overview_counts_in_sql_what_the_whole_list_holds(small_world):
    con, key, _ = small_world
    full = yz.missed_matches(con, FILTERS, DEFAULT, key)
    overview = yz.missed_overview(con, FILTERS, DEFAULT, key, limit=5)
    want, got = yz.missed_summary(full), overview["summary"]
    assert (got["total"], got["with_other_advisor"], got["without_meeting"]) == (25, 22, 3)
    assert want["expected_placements_lost"] > 0
    assert got["expected_placements_lost"] == pytest.approx(want["expected_placements_lost"])
    # The list is cut in SQL, newest first, to the same rows as the head of the whole list.
    pd.testing.assert_frame_equal(overview["items"], full.head(5))
    assert len(yz.missed_matches(con, FILTERS, DEFAULT, key, limit=7)) == 7
    # The advisor scope cuts the counts as it cuts the list.
    a2 = yz.missed_overview(con, FILTERS.with_(advisor="A2"), DEFAULT, key, limit=3)
    assert a2["summary"]["total"] == 12 and a2["summary"]["without_meeting"] == 0
    assert len(a2["items"]) == 3 and set(a2["items"]["advisor"]) == {"A2"}


def test_a_download_can_fetch_its_frame_only_when_clicked(monkeypatch):
    from dashboard import frame

    clicked = {}
    monkeypatch.setattr(frame.st, "download_button", lambda label, data, **kw: clicked.update(data=data))
    fetched = []
    frame.download_button(lambda: fetched.append(1) or pd.DataFrame({"a": [1, 2]}), "x.csv", key="k")
    assert fetched == []  # nothing fetched until the click
    assert clicked["data"]().decode("utf-8-sig").splitlines() == ["a", "1", "2"] and fetched == [1]
    frame.download_button(pd.DataFrame({"b": [3]}), "y.csv", key="k2")
    assert clicked["data"]().decode("utf-8-sig").splitlines() == ["b", "3"]


def test_expected_loss_is_negative_where_the_assigned_advisor_beats_the_yellow_zone(given):
    """A missed match is a tier fact; its expected loss is signed (yellow-zone mean minus the cell).

    Mature meetings (placements): A1 H 20 (6), L 40 (12); A2 H 20 (8), L 40 (0); A3 H 20 (2), L 40 (4).
    Segments: H 16/60, L 16/120, so H is the high-yield one. Index (k + 5) / (E + 5) with
    E = 20 * 16/60 + 40 * 16/120 = 32/3 for everyone: A1 23 / (47/3), A2 13 / (47/3), A3 11 / (47/3),
    so A1 alone is high-converting and the yellow zone is (A1, H). A2, though outside the tier,
    places H better than A1. Every H cell shrinks towards the same parent p (H's shrunk rate) with
    the cells' strength m, so cell(a, H) = (m p + k_a) / (m + 20) and the parent cancels:
    loss(A2) = (6 - 8) / (m + 20) < 0, loss(A3) = (6 - 2) / (m + 20) > 0, and the total over the
    40 missed meetings is 20 * (-2 + 4) / (m + 20) = 40 / (m + 20).
    """
    w = World()
    for advisor, h, lo in (("A1", 6, 12), ("A2", 8, 0), ("A3", 2, 4)):
        w.block(advisor, "H", 20, h)
        w.block(advisor, "L", 40, lo)
    con = given(candidates=w.candidates, events=w.events, staff=STAFF, attributes={"seg": "VARCHAR"})
    key = segments.ensure(con, "seg")
    model = yz.placement_model(con, FILTERS, DEFAULT, key)
    assert yz.high_converting_advisors(model) == ["A1"] and yz.high_yield_segments(model) == ["H"]
    m = model["prior"]["cells"]["strength"]
    missed = yz.missed_matches(con, FILTERS, DEFAULT, key)
    assert missed["kind"].eq("other_advisor").all() and len(missed) == 40
    loss = missed.groupby("advisor")["expected_loss"].agg(["min", "max", "size"])
    assert loss.loc["A2", "size"] == loss.loc["A3", "size"] == 20
    assert loss.loc["A2", "min"] == pytest.approx(-2 / (m + 20)) and loss.loc["A2", "max"] == pytest.approx(-2 / (m + 20))
    assert loss.loc["A3", "min"] == pytest.approx(4 / (m + 20)) and loss.loc["A3", "max"] == pytest.approx(4 / (m + 20))
    # The total is net: the counted summary (SQL) and the whole list agree on 40 / (m + 20).
    summary = yz.missed_overview(con, FILTERS, DEFAULT, key, limit=5)["summary"]
    assert summary["expected_placements_lost"] == pytest.approx(40 / (m + 20))
    assert yz.missed_summary(missed)["expected_placements_lost"] == pytest.approx(40 / (m + 20))


def test_missed_list_orders_a_tie_on_registration_time_by_candidate_id(given):
    """The list picks its newest rows on (registered_at, cand_key): cand_key numbers candidates
    registered at the same moment by candidate_id, so a tie reads in candidate_id order, cut or not."""
    same = AS_OF - dt.timedelta(days=30)
    ids = ["c9", "c10", "b2", "a1"]  # written in this order; "a1" < "b2" < "c10" < "c9" as text
    candidates = [{"candidate_id": c, "registered_at": same, "seg": "H"} for c in ids]
    candidates.append({"candidate_id": "z0", "registered_at": same - dt.timedelta(days=1), "seg": "H"})
    # the high-converting advisor is A1 by fiat (the tiers are passed to the query by hand)
    con = given(candidates=candidates, staff=STAFF, attributes={"seg": "VARCHAR"})
    key = segments.ensure(con, "seg")
    params = dict(segmentation=key, high_yield_segments=["H"], high_advisors=["A1"], meeting_window_days=14,
                  start=None, end=None, team=None, channel=None, handler=None, advisor=None, as_of=AS_OF)
    from dashboard import sql

    full = sql.run(con, "yellow_zone/missed_matches", limit=None, since=None, **params)
    assert full["candidate_id"].tolist() == ["a1", "b2", "c10", "c9", "z0"]
    assert (full["kind"] == "no_meeting").all() and full["days_from_registration"].round(6).tolist() == [30] * 4 + [31]
    cut = sql.run(con, "yellow_zone/missed_matches", limit=2, since=None, **params)
    assert cut["candidate_id"].tolist() == ["a1", "b2"]
    # $since keeps registrations at or after it: the tie (30 days ago) stays whole, z0 goes
    since = sql.run(con, "yellow_zone/missed_matches", limit=None, since=same, **params)
    assert since["candidate_id"].tolist() == ["a1", "b2", "c10", "c9"]


def test_open_registrants_at_the_edge_of_the_open_window(given):
    """open_registrants reads only recent row groups (a plain registered_at range a day wider than
    the window); the exact test still decides: strictly younger than open_days."""
    days = DEFAULT.open_registrant_days  # 14
    ages = {"o1": dt.timedelta(days=days) - dt.timedelta(seconds=1),  # open by a second
            "o2": dt.timedelta(days=days),                            # exactly the window: not open
            "o3": dt.timedelta(days=days, hours=12),                  # inside the wider range, not open
            "o4": dt.timedelta(days=days + 2),
            "o5": dt.timedelta(hours=1)}
    candidates = [{"candidate_id": c, "registered_at": AS_OF - age, "seg": "H"} for c, age in ages.items()]
    con = given(candidates=candidates, staff=STAFF, attributes={"seg": "VARCHAR"})
    key = segments.ensure(con, "seg")
    from dashboard import sql

    got = sql.run(con, "yellow_zone/open_registrants", segmentation=key, open_days=days, start=None, end=None,
                  team=None, channel=None, handler=None, advisor=None, as_of=AS_OF)
    assert got["candidate_id"].tolist() == ["o1", "o5"]
    # a fractional window: 13.5 days keeps o5 only
    half = sql.run(con, "yellow_zone/open_registrants", segmentation=key, open_days=13.5, start=None, end=None,
                   team=None, channel=None, handler=None, advisor=None, as_of=AS_OF)
    assert half["candidate_id"].tolist() == ["o5"]


def test_routing_gap_is_solved_once_per_team_scope(small_world, monkeypatch):
    """The gap is a team-scope figure: picking an advisor reuses it (memoised per data version)
    instead of solving its transportation problems again, and gives the same figures."""
    from dashboard import memo, routing, sql

    con, key, _ = small_world
    memo.clear()
    solves = []
    real = routing.transport
    monkeypatch.setattr(routing, "transport", lambda *a, **k: solves.append(1) or real(*a, **k))
    team = yz.routing_gap(con, FILTERS, DEFAULT, key)
    first = len(solves)
    assert first == 1 + 50  # the plan on the means, and one per prior-strength level
    picked = yz.routing_gap(con, FILTERS.with_(advisor="A2"), DEFAULT, key)
    assert len(solves) == first
    assert picked["gap"] == team["gap"]
    pd.testing.assert_frame_equal(picked["drivers"], team["drivers"])
    pd.testing.assert_frame_equal(picked["by_segment"], team["by_segment"])
    # Coverage too (a team-scope figure): one weekly_meetings pass for both scopes.
    runs = []
    real_run = sql.run
    monkeypatch.setattr(sql, "run", lambda c, name, **kw: runs.append(name) or real_run(c, name, **kw))
    cov = yz.coverage(con, FILTERS, DEFAULT, key)
    again = yz.coverage(con, FILTERS.with_(advisor="A2"), DEFAULT, key)
    assert runs.count("yellow_zone/weekly_meetings") == 1
    assert again["coverage"] == cov["coverage"] and again["baseline"] == cov["baseline"]
    pd.testing.assert_frame_equal(again["weekly"], cov["weekly"])


def test_the_cut_missed_list_is_the_head_of_the_whole_list_inside_and_past_the_recent_window(small_world, monkeypatch):
    """missed_matches(limit=n) first asks for registrations of the last NEWEST_WINDOW_DAYS (28) days
    and asks again for all when those hold fewer than n rows; either way it is the whole list's head.
    small_world's missed matches: 2 registered 6 days ago (the recent A2 meetings), 3 registered 30
    days ago (no meeting), 20 registered 203 days ago."""
    from dashboard import sql

    con, key, _ = small_world
    full = yz.missed_matches(con, FILTERS, DEFAULT, key)
    asked = []
    real = sql.run
    monkeypatch.setattr(sql, "run", lambda c, name, **kw: (
        asked.append(kw["since"]) if name == "yellow_zone/missed_matches" else None) or real(c, name, **kw))
    for n, questions in ((1, 1), (2, 1), (3, 2), (25, 2), (30, 2)):
        asked.clear()
        got = yz.missed_matches(con, FILTERS, DEFAULT, key, limit=n)
        pd.testing.assert_frame_equal(got, full.head(n))
        assert len(asked) == questions and asked[0] == AS_OF - dt.timedelta(days=28) and asked[-1] is (None if questions == 2 else asked[0])
    # A period that ends earlier moves the window with it: registrations up to 60 days ago only.
    period = FILTERS.with_(end=(AS_OF - dt.timedelta(days=60)).date())
    asked.clear()
    got = yz.missed_matches(con, period, DEFAULT, key, limit=3)
    pd.testing.assert_frame_equal(got, yz.missed_matches(con, period, DEFAULT, key).head(3))
    assert asked[0] == dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time()) - dt.timedelta(days=28)
