"""Division of labour on a small hand-written store: who made each first contact, the meeting rate
after it, advisor-weeks, team figures and advisor minutes on out-of-target candidates."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard import segments, store
from dashboard.filters import Filters
from dashboard.metrics import labour
from dashboard.report import ReportContext
from dashboard.settings import DEFAULT

MON = dt.datetime(2024, 1, 1, 10, 0)  # a Monday
D = dt.timedelta
TARGETS = segments.parse_target_list('[[segment]]\nname = "A"\ntarget = true\nage = [30, 39]\n')
STAFF = [
    {"staff_id": "h1", "role": "handler", "team": "X"},
    {"staff_id": "a1", "role": "advisor", "team": "X"},
    {"staff_id": "a2", "role": "advisor", "team": "Y"},
]
# Team X: a handler calls c0 and c1 (c0 is transferred live, 15 min later), the advisor calls c2
# himself. Team Y: its advisor makes every first contact. c5 registers late (immature cohort).
CANDIDATES = [
    ("c0", MON, 31), ("c1", MON + D(days=7), 45), ("c2", MON, None),
    ("c3", MON + D(days=7), 33), ("c4", MON, 50), ("c5", MON + D(days=98), 35),
]
EVENTS = [
    ("c0", "first_contact", MON + D(minutes=5), "h1"), ("c0", "meeting_held", MON + D(minutes=20), "a1"),
    ("c1", "first_contact", MON + D(days=7, minutes=5), "h1"), ("c1", "meeting_held", MON + D(days=9), "a1"),
    ("c2", "first_contact", MON + D(hours=3), "a1"),
    ("c3", "first_contact", MON + D(days=7, hours=3), "a2"), ("c3", "meeting_held", MON + D(days=12), "a2"),
    ("c3", "meeting_held", MON + D(days=19), "a2"),  # a second meeting: counts as advisor workload
    ("c4", "first_contact", MON + D(hours=5), "a2"),
    ("c5", "first_contact", MON + D(days=98, hours=1), "a2"),
]
ACTIVITIES = [
    ("c4", "a2", MON + D(hours=5), 12.0),          # out of target (age 50 -> other)
    ("c3", "a2", MON + D(days=7, hours=3), 8.0),   # target
    ("c2", "a1", MON + D(hours=3), 4.0),           # unknown segment (age missing)
    ("c0", "h1", MON + D(minutes=5), 5.0),         # a handler's call: not advisor time
]
AS_OF = MON + D(days=100)


@pytest.fixture
def con(given):
    return given(
        candidates=[{"candidate_id": c, "registered_at": r, "age": a} for c, r, a in CANDIDATES],
        events=[dict(zip(("candidate_id", "stage", "occurred_at", "staff_id"), e)) for e in EVENTS],
        staff=STAFF,
        activities=[dict(zip(("candidate_id", "staff_id", "started_at", "minutes"), a), kind="call") for a in ACTIVITIES],
        attributes={"age": "DOUBLE"},
    )


def test_first_contacts_by_team_week_and_role(con):
    raw = labour.first_contacts(con, Filters(as_of=AS_OF))
    got = {(r.team, str(r.week)[:10], r.role): (r.first_contacts, r.mature_first_contacts, r.meetings_after)
           for r in raw.itertuples()}
    assert got == {
        ("X", "2024-01-01", "handler"): (1, 1, 1),
        ("X", "2024-01-01", "advisor"): (1, 1, 0),
        ("X", "2024-01-08", "handler"): (1, 1, 1),
        ("Y", "2024-01-01", "advisor"): (1, 1, 0),
        ("Y", "2024-01-08", "advisor"): (1, 1, 1),
        ("Y", "2024-04-08", "advisor"): (1, 0, 0),  # c5's cohort is not mature on as_of
    }


def test_handler_share_and_meeting_rate_after_each_role(con):
    by_role = labour.first_contact_by_role(con, Filters(as_of=AS_OF)).set_index(["scope", "role"])
    overall = by_role.loc["overall"]
    assert overall.loc["handler", "first_contacts"] == 2
    assert overall.loc["handler", "share"] == pytest.approx(2 / 6)
    assert overall.loc["advisor", "share"] == pytest.approx(4 / 6)
    assert overall.loc["handler", "meeting_rate"] == pytest.approx(2 / 2)
    assert overall.loc["advisor", "meeting_rate"] == pytest.approx(1 / 3)  # c2, c3, c4 mature; c3 met
    teams = labour.first_contact_by_role(con, Filters(as_of=AS_OF))
    teams = teams[teams["scope"] == "team"].set_index(["team", "role"])
    assert teams.loc[("X", "handler"), "share"] == pytest.approx(2 / 3)
    assert teams.loc[("Y", "advisor"), "share"] == pytest.approx(1.0)
    weekly = labour.first_contact_weekly(con, Filters(as_of=AS_OF)).set_index(["team", "week"])
    assert weekly["handler_share"].tolist() == pytest.approx([0.5, 1.0, 0.0, 0.0, 0.0])


def test_advisor_weeks_fill_idle_weeks_with_zero_and_count_every_meeting(con):
    weeks = labour.advisor_weeks(con, Filters(as_of=AS_OF))
    a1 = weeks[weeks["advisor"] == "a1"]
    assert a1["first_contacts"].tolist() == [1, 0]
    assert a1["meetings_held"].tolist() == [1, 1]
    a2 = weeks[weeks["advisor"] == "a2"].set_index(weeks.loc[weeks["advisor"] == "a2", "week"].astype(str).str[:10])
    assert a2.loc["2024-01-08", "meetings_held"] == 1
    assert a2.loc["2024-01-15", "meetings_held"] == 1  # the second meeting
    assert a2["first_contacts"].sum() == 3
    assert "h1" not in set(weeks["advisor"])  # handlers are not advisors
    summary = labour.advisor_summary(con, Filters(as_of=AS_OF)).set_index("advisor")
    assert summary.loc["a2", "first_contacts"] == 3
    assert summary.loc["a1", "meetings_per_week"] == pytest.approx(1.0)
    workload = labour.team_workload(con, Filters(as_of=AS_OF)).set_index("team")
    assert workload.loc["X", "meetings_per_advisor_week"] == pytest.approx(2 / 2)
    y_weeks = len(a2)
    assert workload.loc["Y", "meetings_per_advisor_week"] == pytest.approx(2 / y_weeks)


def test_team_summary_handler_share_live_transfer_and_meeting_rate(con):
    teams = labour.team_summary(con, Filters(as_of=AS_OF)).set_index("team")
    assert teams.loc["X", "handler_share"] == pytest.approx(2 / 3)
    assert teams.loc["Y", "handler_share"] == pytest.approx(0.0)
    assert (teams.loc["X", "live_transfers"], teams.loc["X", "handoffs"]) == (1, 2)
    assert (teams.loc["Y", "live_transfers"], teams.loc["Y", "handoffs"]) == (0, 1)
    assert (teams.loc["X", "meetings_within_window"], teams.loc["X", "mature_registrations"]) == (2, 3)
    assert (teams.loc["Y", "meetings_within_window"], teams.loc["Y", "mature_registrations"]) == (1, 2)


def test_out_of_target_minutes_per_advisor_and_week(con):
    minutes = labour.out_of_target_minutes(con, Filters(as_of=AS_OF), TARGETS)
    got = {(r.advisor, str(r.week)[:10]): (r.minutes_total, r.minutes_target, r.minutes_out_of_target, r.minutes_unknown)
           for r in minutes.itertuples()}
    assert got == {
        ("a1", "2024-01-01"): (4.0, 0.0, 0.0, 4.0),
        ("a2", "2024-01-01"): (12.0, 0.0, 12.0, 0.0),
        ("a2", "2024-01-08"): (8.0, 8.0, 0.0, 0.0),
    }
    per_advisor = labour.out_of_target_by_advisor(minutes).set_index("advisor")
    assert per_advisor.loc["a2", "share_out_of_target"] == pytest.approx(12 / 20)
    assert labour.out_of_target_minutes(con, Filters(as_of=AS_OF), None) is None


def test_without_an_activity_log_there_are_no_minutes(given):
    con = given(
        candidates=[{"candidate_id": "c0", "registered_at": MON, "age": 31}],
        events=[{"candidate_id": "c0", "stage": "first_contact", "occurred_at": MON + D(hours=1), "staff_id": "a1"}],
        staff=STAFF, attributes={"age": "DOUBLE"},
    )
    assert labour.activity_log_info(con)["activities"] == 0
    assert labour.out_of_target_minutes(con, Filters(), TARGETS) is None
    rc = ReportContext(filters=Filters(), settings=DEFAULT, segmentation=None, targets=TARGETS)
    assert labour.report_section(con, rc)["division_of_labour"]["out_of_target_minutes"] is None


def test_report_section(con):
    rc = ReportContext(filters=Filters(as_of=AS_OF), settings=DEFAULT, segmentation=None, targets=TARGETS)
    section = labour.report_section(con, rc)["division_of_labour"]
    assert section["first_contact_share_by_role"]["handler"] == pytest.approx(
        {"rate": 2 / 6, "n": 6, "low": section["first_contact_share_by_role"]["handler"]["low"],
         "high": section["first_contact_share_by_role"]["handler"]["high"]}
    )
    teams = {t["team"]: t for t in section["by_team"]}
    assert set(teams) == {"X", "Y"}
    assert teams["X"]["first_contact_share_handler"]["rate"] == pytest.approx(2 / 3)
    assert teams["X"]["live_transfer_share"]["rate"] == pytest.approx(0.5)
    assert teams["Y"]["meeting_rate_14d"]["rate"] == pytest.approx(0.5)
    for team in teams.values():
        for key in ("first_contact_share_handler", "live_transfer_share", "meeting_rate_14d"):
            assert set(team[key]) == {"rate", "n", "low", "high"}
    assert section["out_of_target_minutes"]["minutes_out_of_target"] == 12.0
    assert section["out_of_target_minutes"]["minutes_total"] == 24.0


def test_empty_store_gives_empty_frames(given):
    con = given()
    assert labour.first_contact_by_role(con).empty
    assert labour.advisor_summary(con).empty
    assert labour.team_summary(con).empty
    rc = ReportContext(filters=Filters(), settings=DEFAULT, segmentation=None, targets=None)
    assert labour.report_section(con, rc)["division_of_labour"]["by_team"] == []


def _add_activity(con, candidate_id, staff_id, started_at, minutes):
    """What an import does to the store: new rows, derived tables rebuilt, one data version."""
    con.execute("begin transaction")
    con.execute("insert into activities values ($1, $2, $3, 'call', $4, 0)", [candidate_id, staff_id, started_at, minutes])
    store.refresh_derived(con)
    store.bump_version(con)
    con.execute("commit")


def test_labour_facts_are_built_once_per_data_version(con):
    builds = []
    real = labour.sql.execute

    def counting(c, name, **params):
        if name == "labour/facts":
            builds.append(store.data_version(con))
        return real(c, name, **params)

    labour.sql.execute = counting
    try:
        first = labour.out_of_target_minutes(con, Filters(as_of=AS_OF), TARGETS)
        labour.advisor_weeks(con, Filters(as_of=AS_OF))
        labour.out_of_target_minutes(con, Filters(as_of=AS_OF, team="X"), TARGETS)
        assert builds == [1]
        # An import: the facts follow it, built again exactly once for the new version.
        _add_activity(con, "c0", "a1", MON + D(days=1), 6.0)  # c0 (age 31): target minutes for a1
        after = labour.out_of_target_minutes(con, Filters(as_of=AS_OF), TARGETS)
        labour.advisor_summary(con, Filters(as_of=AS_OF, advisor="a1"))
        assert builds == [1, 2]
    finally:
        labour.sql.execute = real
    before_a1 = first[first["advisor"] == "a1"]
    after_a1 = after[after["advisor"] == "a1"]
    assert before_a1[["activities", "minutes_total", "minutes_target"]].values.tolist() == [[1, 4.0, 0.0]]
    assert after_a1[["activities", "minutes_total", "minutes_target"]].values.tolist() == [[2, 10.0, 6.0]]
    # The memoised first contacts and log summary follow the data version too.
    assert labour.activity_log_info(con)["activities"] == len(ACTIVITIES) + 1


def test_labour_facts_of_another_text_are_rebuilt(con, monkeypatch):
    labour.advisor_weeks(con, Filters(as_of=AS_OF))
    con.execute("delete from labour_facts")  # as if an older facts.sql had built something else
    monkeypatch.setattr(labour, "_facts_fingerprint", lambda: "another-text")
    weeks = labour.advisor_weeks(con, Filters(as_of=AS_OF, team="Y"))
    assert weeks["meetings_held"].sum() == 2  # c3's two meetings, read from rebuilt facts
