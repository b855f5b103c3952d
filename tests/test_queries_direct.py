"""Direct small-case tests of SQL files that were only exercised through the metric layer.

Each test names its query file, builds a tiny store from hand-written rows ("given these rows"),
runs the query with ``dashboard.sql.run`` (the ``--@include staging/...`` fragments expanded by
dashboard/sql.py) and compares it with a frame worked out by hand in the comments ("expect this
frame"). Values are exact so a changed join, filter, boundary or ordering fails the test.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import sql, store
from dashboard.filters import Filters
from store_factory import make_store

D = dt.datetime
AS_OF = D(2025, 6, 30, 12, 0)  # a Monday, noon
SCOPE = Filters(as_of=AS_OF).params()  # start/end/team/channel/handler/advisor all null


def _norm(value):
    """One cell as a plain comparable Python value (None for any missing value)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return pd.Timestamp(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """The frame's rows (in its own order) restricted to ``columns``, as plain tuples."""
    assert set(columns) <= set(frame.columns), list(frame.columns)
    return [tuple(_norm(v) for v in record) for record in frame[columns].itertuples(index=False, name=None)]


def ts(*args) -> pd.Timestamp:
    return pd.Timestamp(D(*args))


def add_segments(con, segmentation: str, memberships: dict[str, tuple[str, bool]]) -> None:
    """Write candidate_segments rows by hand (make_store's refresh clears the table), as
    segments.ensure writes them: a row for every candidate, 'unknown' for those not in
    ``memberships``, with the funnel columns copied."""
    from dashboard.segments import FUNNEL_COLUMNS, UNKNOWN

    given = pd.DataFrame(
        [(cid, segment, is_target) for cid, (segment, is_target) in memberships.items()],
        columns=["candidate_id", "segment", "is_target"],
    ).astype({"candidate_id": "str", "segment": "str", "is_target": "boolean"})
    con.register("_given_segments", given)
    try:
        con.execute(
            "insert into candidate_segments (segmentation, candidate_id, segment, is_target, data_version, cand_key, "
            + ", ".join(FUNNEL_COLUMNS) + ") "
            "select $k, f.candidate_id, coalesce(g.segment, $unknown), g.is_target, 1, f.cand_key, "
            + ", ".join(f"f.{c}" for c in FUNNEL_COLUMNS) + " "
            "from candidate_funnel as f left join _given_segments as g on g.candidate_id = f.candidate_id",
            {"k": segmentation, "unknown": UNKNOWN},
        )
    finally:
        con.unregister("_given_segments")


# --- queries/form/field_labels.sql --------------------------------------------------------------


def test_form_field_labels_lists_attribute_columns_with_source_header():
    con = make_store(
        candidates=[{"candidate_id": "c1", "registered_at": D(2025, 6, 2, 9), "zeta": "x", "age": 30.0}],
        attributes={"zeta": "VARCHAR", "age": "DOUBLE"},
    )
    con.execute("update candidate_columns set source_header = '年齢' where column_name = 'age'")
    con.execute("update candidate_columns set source_header = null where column_name = 'zeta'")
    frame = sql.run(con, "form/field_labels")
    # one row per candidate_columns row, ordered by field (age before zeta, not insertion order)
    assert list(frame.columns) == ["field", "source_header"]
    assert rows(frame, ["field", "source_header"]) == [("age", "年齢"), ("zeta", None)]


# --- queries/form/unknown_values.sql ------------------------------------------------------------


def _unknown_values(con, fields, build=None, **params):
    """The query with its /* @... */ markers spliced as dashboard.metrics.form does (``build``:
    the form_unknown_counts build to read, None = count row by row)."""
    from dashboard.metrics import form

    con.execute(sql.load("form/unknown_counts_table").text)
    text, query = form._field_text(con, "form/unknown_values", fields)
    return con.execute(text, query.bind({**params, "build": build})).df()


def test_form_unknown_values_counts_combinations_of_unknown_candidates():
    june = D(2025, 6, 10, 9)
    con = make_store(
        candidates=[
            {"candidate_id": "u1", "registered_at": june, "channel": "agent", "age": None, "job": "it"},
            {"candidate_id": "u2", "registered_at": june, "channel": "agent", "age": None, "job": "it"},
            {"candidate_id": "u3", "registered_at": june, "channel": "agent", "age": 30.0, "job": None},
            {"candidate_id": "u4", "registered_at": june, "channel": "web", "age": None, "job": None},
            {"candidate_id": "k1", "registered_at": june, "channel": "agent", "age": 40.0, "job": "it"},
            # unknown, but registered after as_of: out of scope
            {"candidate_id": "late", "registered_at": D(2025, 7, 1, 9), "channel": "agent", "age": None, "job": "it"},
            # unknown only in another segmentation: not counted
            {"candidate_id": "o1", "registered_at": june, "channel": "agent", "age": 50.0, "job": "x"},
        ],
        attributes={"age": "DOUBLE", "job": "VARCHAR"},
    )
    add_segments(con, "targets:t", {
        "u1": ("unknown", False), "u2": ("unknown", False), "u3": ("unknown", False),
        "u4": ("unknown", False), "k1": ("S1", True), "late": ("unknown", False), "o1": ("S2", True),
    })
    add_segments(con, "by:job", {"o1": ("unknown", False)})

    frame = _unknown_values(con, ["age", "job"], segmentation="targets:t", **SCOPE)
    # unknown in targets:t and in scope: u1, u2 (null, 'it'), u3 (30, null), u4 (null, null)
    got = sorted(rows(frame, ["age", "job", "candidates"]), key=repr)
    assert got == sorted([(None, "it", 2), (30.0, None, 1), (None, None, 1)], key=repr)

    # channel web: only u4
    web = _unknown_values(con, ["age", "job"], segmentation="targets:t", **{**SCOPE, "channel": "web"})
    assert rows(web, ["age", "job", "candidates"]) == [(None, None, 1)]

    # The same combinations from the pre-aggregate form/unknown_counts_build (no filter), the
    # values' text cast back to their types (30.0 a double again).
    from dashboard.metrics import form

    text, query = form._field_text(con, "form/unknown_counts_build", ["age", "job"])
    con.execute(text, query.bind({**SCOPE, "build": "b", "segmentation": "targets:t"}))
    stored = con.execute("select build, vals, candidates from form_unknown_counts order by 3 desc, 2").fetchall()
    assert stored == [("b", [None, "it"], 2), ("b", ["30.0", None], 1), ("b", [None, None], 1)]
    built = _unknown_values(con, ["age", "job"], build="b", segmentation="targets:t", **SCOPE)
    assert sorted(rows(built, ["age", "job", "candidates"]), key=repr) == got
    assert list(built.dtypes) == list(frame.dtypes) and str(built["age"].dtype) == "float64"


# --- queries/form/value_counts_table.sql, form/value_counts_build.sql (staging/form_outcomes) ---


def test_form_value_counts_build_counts_per_grain_and_flags():
    from dashboard.metrics import form

    con = make_store(
        candidates=[
            {"candidate_id": "p", "registered_at": D(2025, 6, 2, 9), "channel": "web", "job": " it "},
            {"candidate_id": "q", "registered_at": D(2025, 6, 3, 9), "channel": "web", "job": "it"},
            {"candidate_id": "r", "registered_at": D(2025, 6, 24, 9), "channel": "agent", "job": ""},
            {"candidate_id": "late", "registered_at": D(2025, 7, 1, 9), "channel": "web", "job": "it"},
        ],
        events=[
            {"candidate_id": "p", "stage": "first_contact", "occurred_at": D(2025, 6, 2, 10), "staff_id": "H1"},
            {"candidate_id": "p", "stage": "meeting_held", "occurred_at": D(2025, 6, 5, 10), "staff_id": "A1"},
            {"candidate_id": "q", "stage": "meeting_held", "occurred_at": D(2025, 6, 20, 10), "staff_id": "A1"},
        ],
        staff=[{"staff_id": "H1", "role": "handler", "team": "T1"}, {"staff_id": "A1", "role": "advisor", "team": "T1"}],
        attributes={"job": "VARCHAR"},
    )
    con.execute(sql.load("form/value_counts_table").text)
    text, query = form._field_text(con, "form/value_counts_build", ["job"])
    for kind in ("weeks", "cells"):
        con.execute(text, query.bind({**SCOPE, "build": kind, "kind": kind, "meeting_window_days": 14,
                                      "placement_window_days": 120}))
    got = con.execute(
        "select build, grain, field, value, cohort_week, team, channel, handler, is_meeting_mature, has_meeting, "
        "is_placement_mature, has_placement, candidates from form_value_counts order by build desc, grain, "
        "cohort_week nulls first, channel nulls first, handler nulls first, value nulls first, has_meeting").df()
    # as_of 06-30 noon: 'late' is out. Cohort 06-02 is meeting-mature (06-02 + 7 + 14 d = 06-23 <= as_of),
    # cohort 06-23 is not. p met within 3 days; q after 17 (no meeting within 14 d); no meeting week is
    # placement-mature (+ 7 + 120 d). " it " is trimmed to "it"; "" is empty (null). Team: p and q through
    # the meeting advisor A1 (T1); r has none. Only p has a handler (first contact H1).
    w1, w4 = ts(2025, 6, 2), ts(2025, 6, 23)
    assert rows(got, list(got.columns)) == [
        ("weeks", "all", "job", None, None, None, None, None, False, False, False, False, 1),  # r
        ("weeks", "all", "job", "it", None, None, None, None, True, False, False, False, 1),  # q
        ("weeks", "all", "job", "it", None, None, None, None, True, True, False, False, 1),  # p
        ("weeks", "week", "job", "it", w1, None, None, None, True, False, False, False, 1),
        ("weeks", "week", "job", "it", w1, None, None, None, True, True, False, False, 1),
        ("weeks", "week", "job", None, w4, None, None, None, False, False, False, False, 1),
        ("cells", "cell", "job", "it", w1, "T1", "web", None, True, False, False, False, 1),  # q
        ("cells", "cell", "job", "it", w1, "T1", "web", "H1", True, True, False, False, 1),  # p
        ("cells", "cell", "job", None, w4, None, "agent", None, False, False, False, False, 1),  # r
        ("cells", "channel", "job", None, None, None, "agent", None, False, False, False, False, 1),
        ("cells", "channel", "job", "it", None, None, "web", None, True, False, False, False, 1),
        ("cells", "channel", "job", "it", None, None, "web", None, True, True, False, False, 1),
        ("cells", "handler", "job", None, None, None, None, None, False, False, False, False, 1),
        ("cells", "handler", "job", "it", None, None, None, None, True, False, False, False, 1),
        ("cells", "handler", "job", "it", None, None, None, "H1", True, True, False, False, 1),
        ("cells", "team", "job", None, None, None, None, None, False, False, False, False, 1),
        ("cells", "team", "job", "it", None, "T1", None, None, True, False, False, False, 1),
        ("cells", "team", "job", "it", None, "T1", None, None, True, True, False, False, 1),
    ]


def test_form_fill_counts_build_counts_registrations_and_filled_fields_per_cell():
    from dashboard.metrics import form

    con = make_store(
        candidates=[
            {"candidate_id": "p", "registered_at": D(2025, 6, 2, 9), "channel": "web", "form_version": "v1", "job": " it "},
            {"candidate_id": "q", "registered_at": D(2025, 6, 3, 9), "channel": "web", "form_version": "v1", "job": "  "},
            {"candidate_id": "r", "registered_at": D(2025, 6, 24, 9), "channel": "agent", "job": None},
            {"candidate_id": "late", "registered_at": D(2025, 7, 1, 9), "channel": "web", "job": "it"},
        ],
        events=[{"candidate_id": "p", "stage": "first_contact", "occurred_at": D(2025, 6, 2, 10), "staff_id": "H1"}],
        staff=[{"staff_id": "H1", "role": "handler", "team": "T1"}],
        attributes={"job": "VARCHAR"},
    )
    add_segments(con, "targets:t", {"p": ("S1", True), "q": ("S1", True), "r": ("unknown", False)})
    text, _ = form._field_text(con, "form/fill_counts_table", ["job"])
    con.execute(text)
    text, query = form._field_text(con, "form/fill_counts_build", ["job"])
    con.execute(text, query.bind({**SCOPE, "build": "b", "segmentation": "targets:t"}))
    got = con.execute("select * from form_fill_counts order by cohort_week, handler nulls first").df()
    # as_of 06-30 noon: 'late' is out. p and q share week 06-02 and channel web but not the handler
    # (only p was contacted, by H1 of T1); "  " is blank, so q did not fill job; r's job is null.
    assert list(got.columns) == ["build", "cohort_week", "team", "channel", "handler", "form_version", "segment",
                                 "is_target", "candidates", "job"]
    assert rows(got, list(got.columns)) == [
        ("b", ts(2025, 6, 2), None, "web", None, "v1", "S1", True, 1, 0),  # q
        ("b", ts(2025, 6, 2), "T1", "web", "H1", "v1", "S1", True, 1, 1),  # p
        ("b", ts(2025, 6, 23), None, "agent", None, None, "unknown", False, 1, 0),  # r
    ]


# --- queries/funnel/candidate_list.sql ----------------------------------------------------------

LIST_STAFF = [
    {"staff_id": "H1", "role": "handler", "team": "T1"},
    {"staff_id": "H2", "role": "handler", "team": "T2"},
    {"staff_id": "A1", "role": "advisor", "team": "T1"},
]
LIST_WINDOWS = {"contact_window_hours": 24, "meeting_window_days": 14, "uncontacted_hours": 48,
                "live_transfer_minutes": 30}


def _list_store():
    return make_store(
        candidates=[
            {"candidate_id": "a", "registered_at": D(2025, 6, 2, 9), "channel": "web"},
            {"candidate_id": "b", "registered_at": D(2025, 6, 25, 15), "channel": "agent"},
            {"candidate_id": "c", "registered_at": D(2025, 6, 27, 8), "channel": "web"},
            {"candidate_id": "e", "registered_at": D(2025, 6, 30, 10), "channel": "web"},
            {"candidate_id": "d", "registered_at": D(2025, 7, 1, 9), "channel": "web"},  # after as_of
        ],
        events=[
            {"candidate_id": "a", "stage": "first_contact", "occurred_at": D(2025, 6, 2, 9, 30), "staff_id": "H1"},
            {"candidate_id": "a", "stage": "meeting_held", "occurred_at": D(2025, 6, 2, 10), "staff_id": "A1"},
            {"candidate_id": "a", "stage": "placed", "occurred_at": D(2025, 7, 10), "staff_id": "A1"},
            {"candidate_id": "b", "stage": "first_contact", "occurred_at": D(2025, 6, 27, 15), "staff_id": "H2"},
            {"candidate_id": "b", "stage": "meeting_booked", "occurred_at": D(2025, 6, 27, 15), "staff_id": "H2",
             "scheduled_for": D(2025, 7, 2, 10)},
        ],
        staff=LIST_STAFF,
    )


def test_funnel_candidate_list_timestamps_and_flags():
    con = _list_store()
    add_segments(con, "targets:t", {"a": ("S1", True), "b": ("unknown", False)})
    frame = sql.run(con, "funnel/candidate_list", segmentation="targets:t", **SCOPE, **LIST_WINDOWS)
    # By hand (as_of Mon 2025-06-30 12:00; windows 24 h contact, 14 d meeting, 48 h alert, 30 min live):
    # a: reg Mon 06-02 09:00, cohort 06-02; contact 09:30 by H1 (30 min), meeting 10:00 by A1 (lag 30 min);
    #    placed 07-10 is after as_of -> null. contacted in window, meeting in window, live (30 <= 30);
    #    no alert; mature for contact (06-10 00:00) and meeting (06-23 00:00).
    # b: reg Wed 06-25 15:00, cohort 06-23; contact 06-27 15:00 by H2 = 2880 min (> 24 h window);
    #    booked 06-27 15:00 for 07-02 10:00; no meeting. Alert: 48 h passed, but 2880 > 2880 is false -> no.
    #    cohort 06-23 + 7 d + 24 h = 07-01 00:00 > as_of: immature.
    # c: reg Fri 06-27 08:00, nothing: alert (06-29 08:00 <= as_of, never contacted); team null.
    # e: reg Mon 06-30 10:00, nothing: 48 h not yet passed -> no alert.
    # d: registered after as_of -> left out. Order: registered_at.
    assert rows(frame, ["candidate_id", "cohort_week", "segment", "is_target", "channel", "team", "handler",
                        "first_contact_role", "advisor"]) == [
        ("a", ts(2025, 6, 2), "S1", True, "web", "T1", "H1", "handler", "A1"),
        ("b", ts(2025, 6, 23), "unknown", False, "agent", "T2", "H2", "handler", None),
        ("c", ts(2025, 6, 23), "unknown", None, "web", None, None, None, None),  # every candidate has a row
        ("e", ts(2025, 6, 30), "unknown", None, "web", None, None, None, None),
    ]
    assert rows(frame, ["registered_at", "first_contact_at", "meeting_booked_at", "scheduled_for",
                        "meeting_held_at", "placed_at"]) == [
        (ts(2025, 6, 2, 9), ts(2025, 6, 2, 9, 30), None, None, ts(2025, 6, 2, 10), None),
        (ts(2025, 6, 25, 15), ts(2025, 6, 27, 15), ts(2025, 6, 27, 15), ts(2025, 7, 2, 10), None, None),
        (ts(2025, 6, 27, 8), None, None, None, None, None),
        (ts(2025, 6, 30, 10), None, None, None, None, None),
    ]
    assert rows(frame, ["response_minutes", "handoff_lag_minutes", "is_contacted_in_window",
                        "has_meeting_in_window", "is_live_transfer", "is_uncontacted_alert",
                        "is_mature_contact", "is_mature_meeting"]) == [
        (30.0, 30.0, True, True, True, False, True, True),
        (2880.0, None, False, False, False, False, False, False),
        (None, None, False, False, False, True, False, False),
        (None, None, False, False, False, False, False, False),
    ]


def test_funnel_candidate_list_scope_filters():
    con = _list_store()
    # handler H1: only a; channel web: a, c, e (d is after as_of); no segmentation: segment null
    h1 = sql.run(con, "funnel/candidate_list", segmentation=None, **{**SCOPE, "handler": "H1"}, **LIST_WINDOWS)
    assert rows(h1, ["candidate_id", "segment"]) == [("a", None)]
    web = sql.run(con, "funnel/candidate_list", segmentation=None, **{**SCOPE, "channel": "web"}, **LIST_WINDOWS)
    assert [r[0] for r in rows(web, ["candidate_id"])] == ["a", "c", "e"]
    # start/end inclusive dates: 06-25 .. 06-27 -> b, c
    window = sql.run(con, "funnel/candidate_list", segmentation=None,
                     **{**SCOPE, "start": dt.date(2025, 6, 25), "end": dt.date(2025, 6, 27)}, **LIST_WINDOWS)
    assert [r[0] for r in rows(window, ["candidate_id"])] == ["b", "c"]


# --- queries/handoff/response_figures.sql ------------------------------------------------------


def test_handoff_response_figures_wall_and_business_buckets_with_meetings():
    from dashboard.metrics import handoff
    from dashboard.settings import DEFAULT

    people = [  # (candidate, registered, first contact, meeting held)
        ("a", D(2025, 6, 2, 9), D(2025, 6, 2, 9, 3), D(2025, 6, 5, 10)),    # 3 min, meeting
        ("b", D(2025, 6, 3, 10), D(2025, 6, 3, 12), None),                  # 120 min
        ("c", D(2025, 6, 4, 10), D(2025, 6, 12, 10), D(2025, 6, 12, 11)),   # 8 d: not contacted in 7 d; meeting 8 d
        ("f", D(2025, 6, 7, 10), D(2025, 6, 9, 9, 10), None),               # Sat 10:00 -> Mon 9:10: 2,830 / 10 business min
        ("d", D(2025, 6, 25, 10), D(2025, 6, 25, 10, 30), None),            # 30 min, cohort 06-23
        ("e", D(2025, 7, 1, 10), D(2025, 7, 1, 10, 5), None),               # after as_of
    ]
    events = [{"candidate_id": c, "stage": "first_contact", "occurred_at": fc, "staff_id": "H1"} for c, _, fc, _ in people]
    events += [{"candidate_id": c, "stage": "meeting_held", "occurred_at": m, "staff_id": "A1"} for c, _, _, m in people if m]
    con = make_store(
        candidates=[{"candidate_id": c, "registered_at": r} for c, r, _, _ in people], events=events,
        staff=[{"staff_id": "H1", "role": "handler", "team": "T1"}, {"staff_id": "A1", "role": "advisor", "team": "T1"}],
    )
    calendar = handoff.ensure_clocks(con, DEFAULT)  # the calendar and response_clocks, which the query reads
    params = {**SCOPE, "window_days": 7, "meeting_window_days": 14, "bound_1": 5, "bound_2": 60, "bound_3": 1440,
              "bound_4": 4320, "calendar": calendar}
    columns = ["cohort_week", "bucket", "registrations", "meetings", "is_mature_response", "is_mature_meeting"]
    frame = sql.run(con, "handoff/response_figures", **params)
    assert sorted(set(frame["part"])) == ["business", "headline", "heatmap", "wall"]
    # Buckets (bounds 5, 60, 1440, 4320 min; 5 = not contacted within 7 d). Cohort 06-02 is mature for
    # both windows (06-02 + 7 + 14 d = 06-23 <= as_of 06-30 noon); cohort 06-23 for neither
    # (06-23 + 7 + 7 d = 07-07). Wall clock: a 3 min -> 0; b 120 -> 2; f 2,830 -> 3; c -> 5; d 30 -> 1.
    wall = frame[frame["part"] == "wall"]
    assert rows(wall, columns) == [
        (ts(2025, 6, 2), 0, 1, 1, True, True),
        (ts(2025, 6, 2), 2, 1, 0, True, True),
        (ts(2025, 6, 2), 3, 1, 0, True, True),
        (ts(2025, 6, 2), 5, 1, 1, True, True),
        (ts(2025, 6, 23), 1, 1, 0, False, False),
    ]
    # Business minutes (9:00-19:00 Mon-Fri): f counts 10 minutes (Monday 9:00 -> 9:10) -> bucket 1.
    business = frame[frame["part"] == "business"]
    assert rows(business, columns) == [
        (ts(2025, 6, 2), 0, 1, 1, True, True),
        (ts(2025, 6, 2), 1, 1, 0, True, True),
        (ts(2025, 6, 2), 2, 1, 0, True, True),
        (ts(2025, 6, 2), 5, 1, 1, True, True),
        (ts(2025, 6, 23), 1, 1, 0, False, False),
    ]
    # Headline, per maturity. Mature (cohort 06-02, mature for the 7-day window): a, b, c, f; contacted
    # within 7 d: a 3, b 120, f 2,830 (business: 3, 120, 10). Median 120 / 10; p90 at position
    # 0.9 * 2 = 1.8: 120 + 0.8 * (2,830 - 120) = 2,288, business 10 + 0.8 * (120 - 10) = 98.
    # Immature (cohort 06-23): d, 30 minutes on both clocks (Wed 10:00 -> 10:30).
    headline = frame[frame["part"] == "headline"]
    assert rows(headline, ["is_mature", "cohorts", "registrations", "contacted", "median_minutes",
                           "p90_minutes", "median_business_minutes", "p90_business_minutes"]) == [
        (False, 1, 1, 1, 30.0, 30.0, 30.0, 30.0),
        (True, 1, 4, 3, 120.0, 2288.0, 10.0, 98.0),
    ]
    # Heatmap cells (ISO weekday, hour of registration): a Mon 9, b Tue 10, c Wed 10, d Wed 10,
    # f Sat 10. contacted and the medians count mature cohorts only (d's cohort is not).
    heatmap = frame[frame["part"] == "heatmap"]
    assert rows(heatmap, ["weekday", "hour", "registrations", "contacted", "median_minutes",
                          "median_business_minutes"]) == [
        (1, 9, 1, 1, 3.0, 3.0),
        (2, 10, 1, 1, 120.0, 120.0),
        (3, 10, 2, 0, None, None),
        (6, 10, 1, 1, 2830.0, 10.0),
    ]


# --- queries/handoff/handoff_lag_figures.sql (staging/handoffs: "d" is no handoff) ---------------


def test_handoff_lag_figures_grains_from_one_pass():
    people = [  # (candidate, registered, first contact, handler, meeting held)
        ("a", D(2025, 6, 2, 9), D(2025, 6, 2, 9, 10), "H1", D(2025, 6, 2, 9, 30)),   # lag 20: live
        ("b", D(2025, 6, 3, 9), D(2025, 6, 3, 10), "H1", D(2025, 6, 5, 10)),         # lag 2,880
        ("c", D(2025, 6, 10, 9), D(2025, 6, 10, 9, 5), "H2", D(2025, 6, 10, 10, 5)),  # lag 60
        ("d", D(2025, 6, 4, 9), D(2025, 6, 4, 9, 5), "H2", D(2025, 6, 25, 9)),       # meeting after 21 d: no handoff
        ("e", D(2025, 6, 24, 9), D(2025, 6, 24, 9, 1), "H3", D(2025, 6, 24, 9, 11)),  # lag 10, cohort 06-23: immature
    ]
    events = [{"candidate_id": c, "stage": "first_contact", "occurred_at": fc, "staff_id": h} for c, _, fc, h, _ in people]
    events += [{"candidate_id": c, "stage": "meeting_held", "occurred_at": m, "staff_id": "A1"} for c, _, _, _, m in people]
    con = make_store(
        candidates=[{"candidate_id": c, "registered_at": r} for c, r, _, _, _ in people], events=events,
        staff=[{"staff_id": "H1", "role": "handler", "team": "T1"}, {"staff_id": "H2", "role": "handler", "team": "T2"},
               {"staff_id": "H3", "role": "handler", "team": "T1"}, {"staff_id": "A1", "role": "advisor", "team": "T1"}],
    )
    frame = sql.run(con, "handoff/handoff_lag_figures", **SCOPE, meeting_window_days=14, live_transfer_minutes=30)
    columns = ["part", "cohort_week", "group_value", "is_mature", "cohorts", "handoffs", "live_transfers",
               "median_lag_minutes", "p90_lag_minutes"]
    assert list(frame.columns) == columns
    # Mature: cohort week + 7 + 14 d <= 06-30 noon -> weeks 06-02 (a, b) and 06-09 (c); 06-23 (e) is not.
    # all, mature: lags 20, 60, 2,880 -> median 60, p90 at 1.8: 60 + 0.8 * 2,820 = 2,316.
    assert rows(frame, columns) == [
        ("all", None, None, False, 1, 1, 1, 10.0, 10.0),
        ("all", None, None, True, 2, 3, 1, 60.0, 2316.0),
        ("handler", None, "H1", True, 1, 2, 1, 1450.0, 2594.0),   # 20, 2,880: p90 20 + 0.9 * 2,860
        ("handler", None, "H2", True, 1, 1, 0, 60.0, 60.0),
        ("handler", None, "H3", False, 1, 1, 1, 10.0, 10.0),
        # The candidate's team is the meeting advisor's (A1: T1) for every one of them.
        ("team", None, "T1", False, 1, 1, 1, 10.0, 10.0),
        ("team", None, "T1", True, 2, 3, 1, 60.0, 2316.0),
        ("week", ts(2025, 6, 2), None, True, 1, 2, 1, 1450.0, 2594.0),
        ("week", ts(2025, 6, 9), None, True, 1, 1, 0, 60.0, 60.0),
        ("week", ts(2025, 6, 23), None, False, 1, 1, 1, 10.0, 10.0),
    ]


# --- queries/labour/team_outcomes.sql -----------------------------------------------------------


def _team_store():
    ev = []

    def contact(cid, at, who):
        ev.append({"candidate_id": cid, "stage": "first_contact", "occurred_at": at, "staff_id": who})

    def held(cid, at, who):
        ev.append({"candidate_id": cid, "stage": "meeting_held", "occurred_at": at, "staff_id": who})

    contact("t1", D(2025, 6, 2, 9, 10), "H1"); held("t1", D(2025, 6, 2, 9, 30), "A1")
    contact("t2", D(2025, 6, 3, 10), "H1"); held("t2", D(2025, 6, 5, 10), "A1")
    contact("t3", D(2025, 6, 4, 9, 30), "H1"); held("t3", D(2025, 6, 25, 9), "A1")
    held("t5", D(2025, 6, 6, 9), "A2")
    contact("t6", D(2025, 6, 20, 9, 5), "H2"); held("t6", D(2025, 6, 20, 9, 20), "A2")
    contact("t8", D(2025, 6, 2, 10), "H1"); held("t8", D(2025, 7, 1, 9), "A1")
    contact("t9", D(2025, 6, 25, 10), "B1")
    return make_store(
        candidates=[
            {"candidate_id": "t1", "registered_at": D(2025, 6, 2, 9)},
            {"candidate_id": "t2", "registered_at": D(2025, 6, 3, 9)},
            {"candidate_id": "t3", "registered_at": D(2025, 6, 4, 9)},
            {"candidate_id": "t4", "registered_at": D(2025, 6, 4, 9)},
            {"candidate_id": "t5", "registered_at": D(2025, 6, 5, 9)},
            {"candidate_id": "t6", "registered_at": D(2025, 6, 20, 9)},
            {"candidate_id": "t7", "registered_at": D(2025, 6, 3, 9)},
            {"candidate_id": "t8", "registered_at": D(2025, 6, 2, 9)},
            {"candidate_id": "t9", "registered_at": D(2025, 6, 25, 9)},
        ],
        events=ev,
        staff=[
            {"staff_id": "H1", "role": "handler", "team": "T1"},
            {"staff_id": "H2", "role": "handler", "team": "T2"},
            {"staff_id": "A1", "role": "advisor", "team": "T1"},
            {"staff_id": "A2", "role": "advisor", "team": "T2"},
            {"staff_id": "B1", "role": "both", "team": "T3"},
        ],
        activities=[{"candidate_id": "t4", "staff_id": "H2", "started_at": D(2025, 6, 4, 10), "kind": "call",
                     "minutes": 3.0}],
    )


def test_labour_team_outcomes_by_team():
    con = _team_store()
    frame = sql.run(con, "labour/team_outcomes", **SCOPE, meeting_window_days=14, live_transfer_minutes=30)
    # Mature: as_of - cohort_week >= 21 days -> cohorts up to Mon 06-09 (06-16 is 14.5 days old).
    # T1: t1 (contact 9:10, meeting 9:30: 20 min -> live), t2 (meeting 2 d after: handoff, not live),
    #     t3 (meeting 21 d after registration: outside 14 d), t8 (meeting 07-01 after as_of: none)
    #     -> mature 4, meetings 2, handoffs 2, live 1.
    # T2: t4 (only a call by H2 -> team T2, no meeting), t5 (meeting, no first contact: no handoff),
    #     t6 (cohort 06-16: immature, not counted) -> mature 2, meetings 1, handoffs 0, live 0.
    # T3: t9 (contact by B1, cohort 06-23: immature) -> a row of zeros.
    # t7: nobody reached it -> no team -> left out.
    assert list(frame.columns) == ["team", "mature_registrations", "meetings_within_window", "handoffs",
                                   "live_transfers"]
    assert rows(frame, list(frame.columns)) == [
        ("T1", 4, 2, 2, 1),
        ("T2", 2, 1, 0, 0),
        ("T3", 0, 0, 0, 0),
    ]
    t2 = sql.run(con, "labour/team_outcomes", **{**SCOPE, "team": "T2"}, meeting_window_days=14,
                 live_transfer_minutes=30)
    assert rows(t2, list(t2.columns)) == [("T2", 2, 1, 0, 0)]


# --- queries/labour/facts.sql, activity_log.sql, advisor_weeks.sql, out_of_target_minutes.sql ---


def _facts_store():
    return make_store(
        candidates=[
            {"candidate_id": "f1", "registered_at": D(2025, 6, 2, 9), "channel": "web", "age": 31},
            {"candidate_id": "f2", "registered_at": D(2025, 6, 10, 9), "channel": "agent", "age": 50},
            {"candidate_id": "f3", "registered_at": D(2025, 6, 11, 9), "channel": "web"},
        ],
        events=[
            {"candidate_id": "f1", "stage": "first_contact", "occurred_at": D(2025, 6, 2, 10), "staff_id": "H1"},
            {"candidate_id": "f1", "stage": "meeting_held", "occurred_at": D(2025, 6, 4, 10), "staff_id": "A1"},
            {"candidate_id": "f2", "stage": "first_contact", "occurred_at": D(2025, 6, 10, 10), "staff_id": "A1"},
            {"candidate_id": "f2", "stage": "meeting_held", "occurred_at": D(2025, 6, 16, 10), "staff_id": "X9"},
            {"candidate_id": "f3", "stage": "meeting_held", "occurred_at": D(2025, 6, 12, 10)},  # nobody named
        ],
        staff=[
            {"staff_id": "H1", "role": "handler", "team": "T1"},
            {"staff_id": "A1", "role": "advisor", "team": "T1"},
            {"staff_id": "B1", "role": "both", "team": "T2"},
        ],
        activities=[
            {"candidate_id": "f1", "staff_id": "H1", "started_at": D(2025, 6, 2, 10), "kind": "call", "minutes": 5.0},
            {"candidate_id": "f1", "staff_id": "A1", "started_at": D(2025, 6, 3, 11), "kind": "call", "minutes": 10.0},
            {"candidate_id": "f2", "staff_id": "A1", "started_at": D(2025, 6, 10, 10), "kind": "call", "minutes": None},
            {"candidate_id": "f2", "staff_id": "B1", "started_at": D(2025, 6, 29, 23), "kind": "call", "minutes": 7.0},
            {"candidate_id": "f3", "staff_id": "B1", "started_at": D(2025, 6, 30, 13), "kind": "call", "minutes": 2.0},
            {"candidate_id": "f3", "staff_id": "Q7", "started_at": D(2025, 6, 12, 9), "kind": "call", "minutes": 1.0},
        ],
        attributes={"age": "DOUBLE"},
    )


def test_labour_facts_one_row_per_advisor_activity_and_named_meeting():
    con = _facts_store()
    sql.execute(con, "labour/facts")
    frame = con.execute("select * from labour_facts order by fact, occurred_at").df()
    assert list(frame.columns) == ["fact", "staff_id", "cand_key", "occurred_at", "week", "minutes",
                                   "registered_on", "channel", "first_contact_by"]
    # Activities: H1 is a handler and Q7 is not in the staff list -> left out; A1 (advisor) and B1
    # (both) kept, minutes as logged (null stays null). Meetings: every meeting_held with a staff id
    # (X9 although not in the staff list); f3's unnamed meeting left out. cand_key: registration order.
    assert rows(frame, list(frame.columns)) == [
        ("activity", "A1", 1, ts(2025, 6, 3, 11), ts(2025, 6, 2), 10.0, ts(2025, 6, 2), "web", "H1"),
        ("activity", "A1", 2, ts(2025, 6, 10, 10), ts(2025, 6, 9), None, ts(2025, 6, 10), "agent", "A1"),
        ("activity", "B1", 2, ts(2025, 6, 29, 23), ts(2025, 6, 23), 7.0, ts(2025, 6, 10), "agent", "A1"),
        ("activity", "B1", 3, ts(2025, 6, 30, 13), ts(2025, 6, 30), 2.0, ts(2025, 6, 11), "web", None),
        ("meeting", "A1", 1, ts(2025, 6, 4, 10), ts(2025, 6, 2), None, ts(2025, 6, 2), "web", "H1"),
        ("meeting", "X9", 2, ts(2025, 6, 16, 10), ts(2025, 6, 16), None, ts(2025, 6, 10), "agent", "A1"),
    ]


def test_labour_activity_log_counts_with_and_without_a_log():
    con = _facts_store()
    frame = sql.run(con, "labour/activity_log")
    # 6 activities, 5 with minutes, advisor (A1 x2, B1 x2) 4; H1 and the unknown Q7 are not.
    assert rows(frame, list(frame.columns)) == [(6, 5, 4)]
    empty = sql.run(make_store(), "labour/activity_log")
    assert rows(empty, list(empty.columns)) == [(0, None, None)]
    assert str(empty["activities"].dtype) == "int64"


def test_labour_advisor_weeks_and_out_of_target_minutes_read_the_facts():
    from dashboard import segments
    from dashboard.metrics import labour

    con = _facts_store()
    labour.ensure_facts(con)
    # as_of Monday 06-30 noon: B1's call on 06-30 13:00 is later -> ignored.
    weeks = sql.run(con, "labour/advisor_weeks", **SCOPE)
    # A1: first contact of f2 (week 06-09), meeting of f1 (week 06-02); X9 (not in staff) held f2's
    # meeting (week 06-16): role unknown, no team (sorted last). B1 (both) has no first contact or
    # meeting: no span.
    assert rows(weeks, ["advisor", "team", "role", "week", "first_contacts", "meetings_held"]) == [
        ("A1", "T1", "advisor", ts(2025, 6, 2), 0, 1),
        ("A1", "T1", "advisor", ts(2025, 6, 9), 1, 0),
        ("X9", None, "unknown", ts(2025, 6, 16), 0, 1),
    ]
    web = sql.run(con, "labour/advisor_weeks", **{**SCOPE, "channel": "web"})
    assert rows(web, ["advisor", "week", "first_contacts", "meetings_held"]) == [("A1", ts(2025, 6, 2), 0, 1)]

    targets = segments.parse_target_list('[[segment]]\nname = "A"\ntarget = true\nage = [30, 39]\n')
    key = segments.ensure(con, targets)
    minutes = sql.run(con, "labour/out_of_target_minutes", segmentation=key, **SCOPE)
    # A1: f1 (age 31, target) 10 min in week 06-02; f2 (age 50, out of target) no minutes -> 0 in
    # week 06-09. B1: f2 on 06-29 23:00, 7 min out of target (week 06-23); f3 after as_of.
    assert rows(minutes, list(minutes.columns)) == [
        ("A1", "T1", ts(2025, 6, 2), 1, 10.0, 10.0, 0.0, 0.0),
        ("A1", "T1", ts(2025, 6, 9), 1, 0.0, 0.0, 0.0, 0.0),
        ("B1", "T2", ts(2025, 6, 23), 1, 7.0, 0.0, 7.0, 0.0),
    ]
    later = sql.run(con, "labour/out_of_target_minutes", segmentation=key,
                    **{**SCOPE, "as_of": D(2025, 7, 1), "start": dt.date(2025, 6, 11)})
    # f3 (registered 06-11, no age: segment unknown) only; B1's 2 minutes on 06-30.
    assert rows(later, list(later.columns)) == [("B1", "T2", ts(2025, 6, 30), 1, 2.0, 0.0, 0.0, 2.0)]


# --- queries/meta/filter_options.sql, queries/meta/store_overview.sql ---------------------------


def _meta_store():
    return make_store(
        candidates=[
            {"candidate_id": "m1", "registered_at": D(2025, 5, 1, 9), "channel": "web"},
            {"candidate_id": "m2", "registered_at": D(2025, 6, 15, 18), "channel": "agent"},
            {"candidate_id": "m3", "registered_at": D(2025, 6, 1, 9), "channel": None},
            {"candidate_id": "m4", "registered_at": D(2025, 5, 20, 9), "channel": "web"},
        ],
        events=[
            {"candidate_id": "m1", "stage": "first_contact", "occurred_at": D(2025, 5, 1, 10), "staff_id": "H1"},
            {"candidate_id": "m1", "stage": "meeting_held", "occurred_at": D(2025, 6, 20, 11), "staff_id": "A1"},
            {"candidate_id": "m2", "stage": "first_contact", "occurred_at": D(2025, 6, 16, 9), "staff_id": "B1"},
        ],
        staff=[
            {"staff_id": "H1", "role": "handler", "team": "T1"},
            {"staff_id": "A1", "role": "advisor", "team": "T1"},
            {"staff_id": "A2", "role": "advisor", "team": "T2"},
            {"staff_id": "B1", "role": "both", "team": "T2"},
            {"staff_id": "X1", "role": None, "team": None},
        ],
    )


def test_meta_filter_options_kinds_and_values():
    frame = sql.run(_meta_store(), "meta/filter_options")
    # teams T1, T2 (X1 has none); channels agent, web (null left out); handlers H1 + B1 (both);
    # advisors A1, A2 + B1 (both); X1 (no role) nowhere. Ordered by kind, then value.
    assert rows(frame, ["kind", "value"]) == [
        ("advisor", "A1"), ("advisor", "A2"), ("advisor", "B1"),
        ("channel", "agent"), ("channel", "web"),
        ("handler", "B1"), ("handler", "H1"),
        ("team", "T1"), ("team", "T2"),
    ]


def test_meta_store_overview_one_row():
    frame = sql.run(_meta_store(), "meta/store_overview")
    # registrations 05-01 09:00 .. 06-15 18:00; events 05-01 10:00 .. 06-20 11:00;
    # teams T1, T2 (null not counted) = 2; advisors A1, A2, B1 = 3; handlers H1, B1 = 2.
    assert rows(frame, list(frame.columns)) == [
        (ts(2025, 5, 1, 9), ts(2025, 6, 15, 18), ts(2025, 5, 1, 10), ts(2025, 6, 20, 11), 2, 3, 2)
    ]
    assert list(frame.columns) == ["first_registered_at", "last_registered_at", "first_event_at",
                                   "last_event_at", "teams", "advisors", "handlers"]


def test_meta_store_overview_empty_store():
    frame = sql.run(store.connect(), "meta/store_overview")
    assert rows(frame, list(frame.columns)) == [(None, None, None, None, 0, 0, 0)]


# --- queries/meta/rejections_by_reason.sql ------------------------------------------------------


def test_meta_rejections_by_reason_counts_per_import_and_reason():
    con = store.connect()
    rejected = [(1, "bad_date"), (1, "bad_date"), (1, "missing_id"),
                (2, "bad_date"), (2, "duplicate_id"), (2, "duplicate_id"), (2, "duplicate_id")]
    for i, (import_id, code) in enumerate(rejected):
        con.execute("insert into rejected_rows values ($1, $2, 'c', 'v', $3, 'why', '{}', null)",
                    [import_id, i + 1, code])
    frame = sql.run(con, "meta/rejections_by_reason")
    # newest import first, then the most frequent reason first
    assert list(frame.columns) == ["import_id", "reason_code", "rejected_rows"]
    assert rows(frame, list(frame.columns)) == [
        (2, "duplicate_id", 3), (2, "bad_date", 1), (1, "bad_date", 2), (1, "missing_id", 1),
    ]


def test_meta_rejections_by_reason_after_corpus_imports(tmp_path):
    """The query over real imports of two corpus files: tests/corpus/mixed_dates.csv (import 1; its
    row 6, M6 registered "2024/13/45", is the one unreadable date) and tests/corpus/ragged.csv
    (import 2; its row R2 has one field too many, R3 one too few and is kept)."""
    from pathlib import Path

    from dashboard import importer

    corpus = Path(__file__).parent / "corpus"
    con = store.connect(tmp_path / "s.duckdb")
    importer.import_file(con, corpus / "mixed_dates.csv")
    importer.import_file(con, corpus / "ragged.csv")
    frame = sql.run(con, "meta/rejections_by_reason")
    # newest import first
    assert rows(frame, ["import_id", "reason_code", "rejected_rows"]) == [
        (2, "malformed_row", 1), (1, "bad_date", 1),
    ]


# --- queries/yellow_zone/advisor_load.sql -------------------------------------------------------


def test_yellow_zone_advisor_load_last_7_days_and_active_window():
    held = [  # (candidate, advisor, meeting time)
        ("l1", "A1", D(2025, 6, 28, 12)),   # 2 days ago
        ("l2", "A1", D(2025, 6, 25, 9)),    # 5.1 days
        ("l3", "A1", D(2025, 6, 20, 12)),   # 10 days: active, not this week
        ("l4", "A1", D(2025, 5, 20, 12)),   # 41 days: outside 28
        ("l5", "A2", D(2025, 6, 1, 12)),    # 29 days: A2 not active
        ("l6", "B1", D(2025, 6, 23, 12)),   # exactly 7 days: not "last 7 days" (strict <)
        ("l7", "A3", D(2025, 7, 1, 12)),    # after as_of
    ]
    con = make_store(
        candidates=[{"candidate_id": c, "registered_at": at - dt.timedelta(days=1)} for c, _, at in held],
        events=[{"candidate_id": c, "stage": "meeting_held", "occurred_at": at, "staff_id": a} for c, a, at in held],
        staff=[{"staff_id": "A1", "role": "advisor", "team": "T1"}, {"staff_id": "A2", "role": "advisor", "team": "T1"},
               {"staff_id": "A3", "role": "advisor", "team": "T1"}, {"staff_id": "B1", "role": "both", "team": "T2"}],
    )
    frame = sql.run(con, "yellow_zone/advisor_load", as_of=AS_OF, active_days=28, team=None, advisor=None)
    # A1: l1, l2 in 7 days; l1..l3 in 28 -> (2, 3). B1: (0, 1). A2, A3: no row.
    assert list(frame.columns) == ["advisor", "meetings_last_7_days", "meetings_recent"]
    assert rows(frame, list(frame.columns)) == [("A1", 2, 3), ("B1", 0, 1)]
    t2 = sql.run(con, "yellow_zone/advisor_load", as_of=AS_OF, active_days=28, team="T2", advisor=None)
    assert rows(t2, list(t2.columns)) == [("B1", 0, 1)]
    a1 = sql.run(con, "yellow_zone/advisor_load", as_of=AS_OF, active_days=28, team=None, advisor="A1")
    assert rows(a1, list(a1.columns)) == [("A1", 2, 3)]
    # a 60-day window brings A2 (29 d) and A1's l4 (41 d) in
    wide = sql.run(con, "yellow_zone/advisor_load", as_of=AS_OF, active_days=60, team=None, advisor=None)
    assert rows(wide, list(wide.columns)) == [("A1", 2, 4), ("A2", 0, 1), ("B1", 0, 1)]


# --- queries/yellow_zone/missed_counts.sql ------------------------------------------------------


def test_yellow_zone_missed_counts_by_kind_advisor_segment():
    old = D(2025, 6, 1, 9)  # 29.1 days before as_of: past the 14-day window
    people = [  # (candidate, segment or None, registered, meeting advisor, meeting time)
        ("m1", "S1", old, "A2", D(2025, 6, 10)),
        ("m2", "S1", old, "A2", D(2025, 6, 11)),
        ("m3", "S2", old, "A2", D(2025, 6, 12)),
        ("m4", "S1", old, "A1", D(2025, 6, 12)),       # high advisor: not missed
        ("m5", "S1", old, None, None),                 # no meeting, window passed
        ("m6", "S2", old, None, None),
        ("m7", "S2", D(2025, 6, 25), None, None),      # 5.5 days: still open
        ("m8", "S3", old, "A2", D(2025, 6, 10)),       # low-yield segment
        ("m9", "S1", old, "A2", D(2025, 7, 1)),        # meeting after as_of -> no meeting yet
        ("m10", None, old, "A2", D(2025, 6, 10)),      # no membership row
        ("m11", "S1", old, "A3", D(2025, 6, 15)),
    ]
    con = make_store(
        candidates=[{"candidate_id": c, "registered_at": r} for c, _, r, _, _ in people],
        events=[{"candidate_id": c, "stage": "meeting_held", "occurred_at": at, "staff_id": a}
                for c, _, _, a, at in people if a],
        staff=[{"staff_id": s, "role": "advisor", "team": "T1"} for s in ("A1", "A2", "A3")],
    )
    add_segments(con, "k", {c: (s, s == "S1") for c, s, *_ in people if s})
    frame = sql.run(con, "yellow_zone/missed_counts", segmentation="k", high_yield_segments=["S1", "S2"],
                    high_advisors=["A1"], meeting_window_days=14, **SCOPE)
    # no_meeting: S1 m5, m9; S2 m6. other_advisor: A2 S1 m1, m2; A2 S2 m3; A3 S1 m11.
    assert list(frame.columns) == ["kind", "advisor", "segment", "candidates"]
    assert rows(frame, list(frame.columns)) == [
        ("no_meeting", None, "S1", 2),
        ("no_meeting", None, "S2", 1),
        ("other_advisor", "A2", "S1", 2),
        ("other_advisor", "A2", "S2", 1),
        ("other_advisor", "A3", "S1", 1),
    ]


# --- queries/yellow_zone/weekly_meetings.sql ----------------------------------------------------


def test_yellow_zone_weekly_meetings_by_iso_week():
    reg = D(2025, 5, 30, 9)
    people = [  # (candidate, segment or None, advisor, meeting time)
        ("w1", "S1", "A1", D(2025, 6, 2, 10)),    # Monday -> week 06-02
        ("w2", "S1", "A1", D(2025, 6, 8, 23)),    # Sunday -> still week 06-02
        ("w3", "S1", "A1", D(2025, 6, 9, 0, 30)),  # next Monday -> week 06-09
        ("w4", None, "A2", D(2025, 6, 4, 10)),    # no membership -> 'unknown'
        ("w5", "S2", "A1", D(2025, 6, 5, 10)),
        ("w6", "S1", "A1", D(2025, 7, 1, 10)),    # after as_of
        ("w7", "S1", None, None),                 # no meeting
    ]
    con = make_store(
        candidates=[{"candidate_id": c, "registered_at": reg} for c, *_ in people],
        events=[{"candidate_id": c, "stage": "meeting_held", "occurred_at": at, "staff_id": a}
                for c, _, a, at in people if a],
        staff=[{"staff_id": "A1", "role": "advisor", "team": "T1"}, {"staff_id": "A2", "role": "advisor", "team": "T2"}],
    )
    add_segments(con, "k", {c: (s, True) for c, s, *_ in people if s})
    frame = sql.run(con, "yellow_zone/weekly_meetings", segmentation="k", **SCOPE)
    assert list(frame.columns) == ["week_start", "advisor", "segment", "meetings"]
    assert rows(frame, list(frame.columns)) == [
        (ts(2025, 6, 2), "A1", "S1", 2),
        (ts(2025, 6, 2), "A1", "S2", 1),
        (ts(2025, 6, 2), "A2", "unknown", 1),
        (ts(2025, 6, 9), "A1", "S1", 1),
    ]
    t2 = sql.run(con, "yellow_zone/weekly_meetings", segmentation="k", **{**SCOPE, "team": "T2"})
    assert rows(t2, list(t2.columns)) == [(ts(2025, 6, 2), "A2", "unknown", 1)]


# --- queries/schema/001_canonical.sql -----------------------------------------------------------

CONTRACT_COLUMNS = {
    "candidates": ["candidate_id", "registered_at", "channel", "form_version", "import_id"],
    "events": ["candidate_id", "stage", "occurred_at", "staff_id", "scheduled_for", "import_id"],
    "staff": ["staff_id", "name", "role", "team", "started_on", "is_inferred", "import_id"],
    "activities": ["candidate_id", "staff_id", "started_at", "kind", "minutes", "import_id"],
    "imports": ["import_id", "file_name", "sha256", "profile_name", "kind", "rows_read", "rows_accepted",
                "rows_rejected", "summary_json", "started_at", "finished_at"],
    "rejected_rows": ["import_id", "row_number", "column_name", "value", "reason_code", "reason", "raw_json",
                      "reason_params"],
}


def _snapshot(con):
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables order by 1").fetchall()]
    columns = con.execute(
        "select table_name, column_name, data_type from information_schema.columns order by 1, ordinal_position"
    ).fetchall()
    contents = {t: sorted(map(repr, con.execute(f'select * from "{t}"').fetchall())) for t in tables}
    return tables, columns, contents


def test_schema_001_canonical_is_idempotent_and_has_contract_columns():
    con = _meta_store()  # a store with candidates, events and staff, funnel built, version 1
    add_segments(con, "k", {"m1": ("S1", True)})
    con.execute("insert into rejected_rows values (1, 3, 'registered_at', 'x', 'bad_date', 'why', '{}', null)")
    before = _snapshot(con)
    version = store.data_version(con)
    store.ensure_schema(con)
    store.ensure_schema(con)
    assert _snapshot(con) == before
    assert store.data_version(con) == version == 1
    assert store.table_counts(con) == {"candidates": 4, "events": 3, "staff": 5, "activities": 0,
                                       "imports": 0, "rejected_rows": 1}

    found = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns order by table_name, ordinal_position"
    ).fetchall():
        found.setdefault(table, []).append(column)
    for table, columns in CONTRACT_COLUMNS.items():
        assert found[table] == columns, table
    assert {"candidate_columns", "candidate_segments", "store_meta", "candidate_funnel"} <= set(found)


def test_staging_business_calendar_and_clocked_responses_count_only_open_minutes(given):
    """staging/business_calendar, handoff/clocks and staging/clocked_responses through handoff/response_time.

    Business hours 9:00-19:00 Mon-Fri, Japanese holidays closed (Settings defaults).
    a: Fri 2024-06-07 23:00 -> Mon 06-10 09:05: 2 d 10 h 5 min = 3,485 clock minutes, 5 business minutes.
    b: Wed 2024-06-05 10:00 -> Wed 10:30: 30 and 30.
    c: Mon 2024-04-29 (昭和の日, a holiday) 10:00 -> Tue 04-30 09:10: 1,390 clock, 10 business.
    """
    import datetime as dt

    import pytest

    from dashboard.filters import Filters
    from dashboard.metrics import handoff

    rows = [("a", "2024-06-07 23:00", "2024-06-10 09:05"), ("b", "2024-06-05 10:00", "2024-06-05 10:30"),
            ("c", "2024-04-29 10:00", "2024-04-30 09:10")]
    con = given(
        candidates=[{"candidate_id": c, "registered_at": r} for c, r, _ in rows],
        events=[{"candidate_id": c, "stage": "first_contact", "occurred_at": f, "staff_id": "H"} for c, _, f in rows],
        staff=[{"staff_id": "H", "role": "handler", "team": "T"}],
    )
    by_week = handoff.response_time_by_week(con, Filters(as_of=dt.datetime(2024, 12, 1)))
    got = {}
    for _, row in by_week.iterrows():
        got[row["cohort_week"]] = (row["median_minutes"], row["median_business_minutes"])
    assert got == {
        dt.date(2024, 4, 29): (1390.0, 10.0),
        dt.date(2024, 6, 3): (pytest.approx((3485 + 30) / 2), pytest.approx((5 + 30) / 2)),
    }


def test_staging_window_contacts_counts_a_late_or_future_contact_as_not_contacted(given):
    """staging/window_contacts through handoff/response_time (window 7 days by default).

    a: contacted after 1 day -> contacted. b: after 8 days -> outside the window, not contacted.
    c: contacted after as_of -> not yet contacted. d: never contacted. 4 registrations, 1 contacted.
    """
    import datetime as dt

    from dashboard.filters import Filters
    from dashboard.metrics import handoff

    con = given(
        candidates=[{"candidate_id": c, "registered_at": "2024-04-01 10:00"} for c in "abcd"],
        events=[
            {"candidate_id": "a", "stage": "first_contact", "occurred_at": "2024-04-02 10:00", "staff_id": "H"},
            {"candidate_id": "b", "stage": "first_contact", "occurred_at": "2024-04-09 10:01", "staff_id": "H"},
            {"candidate_id": "c", "stage": "first_contact", "occurred_at": "2024-05-02 10:00", "staff_id": "H"},
        ],
        staff=[{"staff_id": "H", "role": "handler", "team": "T"}],
    )
    row = handoff.response_time_by_week(con, Filters(as_of=dt.datetime(2024, 5, 1))).iloc[0]
    assert (row["registrations"], row["contacted"], row["median_minutes"]) == (4, 1, 1440.0)
