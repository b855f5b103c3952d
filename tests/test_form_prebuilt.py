"""The form's pre-aggregate (form_value_counts): built lazily per data version, as-of moment and
outcome windows, and the contingency table read from it equals the one counted row by row, for
every filter the pages and the report pass (frames equal, dtypes included)."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest

from dashboard import store
from dashboard.filters import Filters, resolve_as_of
from dashboard.metrics import form
from dashboard.settings import DEFAULT

MON = dt.datetime(2024, 1, 1, 10, 0)  # a Monday
DAY = dt.timedelta(days=1)


def _row_by_row(monkeypatch, con, filters, settings=DEFAULT) -> pd.DataFrame:
    """field_outcomes with no build at all: every candidate in scope counted in the query."""
    with monkeypatch.context() as m:
        m.setattr(form, "value_counts_build", lambda *args, **kwargs: None)
        return form.field_outcomes(con, filters, settings)


def _builds(con) -> list[tuple]:
    return con.execute("select build, data_version from form_value_builds order by 1").fetchall()


# --- which rows of the build serve which filters ---------------------------------------------

@pytest.mark.parametrize(
    "filters, expected",
    [
        (Filters(), ("all", None, None)),
        (Filters(team="T"), ("team", None, None)),
        (Filters(channel="web"), ("channel", None, None)),
        (Filters(handler="h"), ("handler", None, None)),
        (Filters(team="T", handler="h"), ("cell", None, None)),
        # 2024-01-01 is a Monday, 2024-01-14 a Sunday: two whole weeks
        (Filters(start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 14)), ("week", dt.date(2024, 1, 1), dt.date(2024, 1, 8))),
        # Wednesday to Wednesday: only the week in between is whole
        (Filters(start=dt.date(2024, 1, 3), end=dt.date(2024, 1, 17)), ("week", dt.date(2024, 1, 8), dt.date(2024, 1, 8))),
        (Filters(start=dt.date(2024, 1, 3)), ("week", dt.date(2024, 1, 8), None)),
        (Filters(end=dt.date(2024, 1, 3)), ("week", None, dt.date(2023, 12, 25))),
        (Filters(start=dt.date(2024, 1, 1), channel="web"), ("cell", dt.date(2024, 1, 1), None)),
        # no whole week in the period, or the advisor filter (not a column of the build): none
        (Filters(start=dt.date(2024, 1, 2), end=dt.date(2024, 1, 7)), None),
        (Filters(advisor="a1"), None),
    ],
)
def test_build_plan_by_hand(filters, expected):
    assert form._build_plan(filters) == expected


# --- a small store by hand -------------------------------------------------------------------

@pytest.fixture
def small_store(given):
    # Three weeks of registrations; as_of will be the data's latest timestamp (the pages' default).
    people = [
        # id, registered, channel, score, job, meeting after (days), handler
        ("c0", MON, "web", 1.0, "A", 2, "h1"),
        ("c1", MON + DAY, "web", 2.0, " A ", None, "h1"),
        ("c2", MON + 2 * DAY, "agent", None, "B", 3, "h2"),
        ("c3", MON + 8 * DAY, "agent", 4.0, None, 1, "h2"),
        ("c4", MON + 9 * DAY, "web", 5.0, "B", None, None),
        ("c5", MON + 16 * DAY, "web", 6.0, "", 10, "h1"),
    ]
    events, candidates = [], []
    for cid, reg, channel, score, job, meeting, handler in people:
        candidates.append({"candidate_id": cid, "registered_at": reg, "channel": channel, "score": score, "job": job})
        if handler:
            events.append({"candidate_id": cid, "stage": "first_contact", "occurred_at": reg + dt.timedelta(hours=1),
                           "staff_id": handler})
        if meeting is not None:
            events.append({"candidate_id": cid, "stage": "meeting_held", "occurred_at": reg + meeting * DAY,
                           "staff_id": "a1"})
    events.append({"candidate_id": "c0", "stage": "placed", "occurred_at": MON + 30 * DAY, "staff_id": "a1"})
    staff = [{"staff_id": "h1", "role": "handler", "team": "T1"}, {"staff_id": "h2", "role": "handler", "team": "T2"},
             {"staff_id": "a1", "role": "advisor", "team": "T1"}]
    return given(candidates=candidates, events=events, staff=staff, attributes={"score": "DOUBLE", "job": "VARCHAR"})


def test_the_weeks_build_counts_by_hand(small_store):
    con = small_store
    as_of = resolve_as_of(con)  # c0's placement, the latest timestamp: Wednesday 2024-01-31 10:00
    assert as_of == MON + 30 * DAY
    key = form.value_counts_build(con, as_of, DEFAULT, "weeks")
    assert key is not None and key.endswith("|weeks")
    assert _builds(con) == [(key, store.data_version(con))]
    rows = con.execute(
        "select grain, value, cohort_week, is_meeting_mature, has_meeting, is_placement_mature, has_placement, "
        "candidates from form_value_counts where build = $k and field = 'job' "
        "order by grain, cohort_week nulls first, value nulls first, is_meeting_mature, has_meeting, has_placement",
        {"k": key},
    ).fetchall()
    w1, w2, w3 = dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15)
    # Meeting maturity (cohort week + 7 + 14 days <= Jan 31): weeks 1 and 2, not week 3 (Feb 5).
    # Placement maturity (meeting week + 127 days): nobody by Jan 31. c0 met on day 2 and was placed
    # 28 days later (within 120). job is trimmed (" A " is "A"); "" and null are both empty (null).
    assert rows == [
        ("all", None, None, False, True, False, False, 1),  # c5: week 3, met after 10 days
        ("all", None, None, True, True, False, False, 1),  # c3
        ("all", "A", None, True, False, False, False, 1),  # c1: " A ", no meeting
        ("all", "A", None, True, True, False, True, 1),  # c0
        ("all", "B", None, True, False, False, False, 1),  # c4
        ("all", "B", None, True, True, False, False, 1),  # c2
        ("week", "A", w1, True, False, False, False, 1),  # c1
        ("week", "A", w1, True, True, False, True, 1),  # c0
        ("week", "B", w1, True, True, False, False, 1),  # c2
        ("week", None, w2, True, True, False, False, 1),  # c3
        ("week", "B", w2, True, False, False, False, 1),  # c4
        ("week", None, w3, False, True, False, False, 1),  # c5
    ]
    # A 'weeks' build holds no per-team rows; the 'cells' build is made when a filter needs it.
    assert con.execute("select count(*) from form_value_counts where grain not in ('all', 'week')").fetchone() == (0,)
    cells = form.value_counts_build(con, as_of, DEFAULT, "cells")
    by_channel = con.execute(
        "select channel, sum(candidates) from form_value_counts where build = $k and grain = 'channel' "
        "and field = 'score' group by 1 order by 1", {"k": cells}).fetchall()
    assert by_channel == [("agent", 2), ("web", 4)]
    by_handler = con.execute(
        "select handler, sum(candidates) from form_value_counts where build = $k and grain = 'handler' "
        "and field = 'score' group by 1 order by 1 nulls first", {"k": cells}).fetchall()
    assert by_handler == [(None, 1), ("h1", 3), ("h2", 2)]
    # Asked again: the same build, nothing rebuilt.
    assert form.value_counts_build(con, as_of, DEFAULT, "weeks") == key
    assert len(_builds(con)) == 2


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(team="T1"),
        Filters(team="T2"),
        Filters(channel="web"),
        Filters(handler="h1"),
        Filters(team="T1", channel="web"),
        Filters(start=dt.date(2024, 1, 8)),
        Filters(start=dt.date(2024, 1, 3), end=dt.date(2024, 1, 16)),
        Filters(end=dt.date(2024, 1, 14), channel="agent"),
        Filters(start=dt.date(2024, 1, 2), end=dt.date(2024, 1, 4)),
        Filters(advisor="a1"),
        Filters(team="nobody"),
    ],
    ids=repr,
)
def test_read_from_the_build_equals_counted_row_by_row(small_store, monkeypatch, filters):
    con = small_store
    filters = filters.with_(as_of=resolve_as_of(con))
    settings = DEFAULT.with_(form_top_k=1)
    expected = _row_by_row(monkeypatch, con, filters, settings)
    got = form.field_outcomes(con, filters, settings)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    if form._build_plan(filters) is not None:
        assert _builds(con), "the build was used"


def test_an_earlier_as_of_is_counted_row_by_row_and_not_built(small_store, monkeypatch):
    con = small_store
    early = Filters(as_of=MON + 12 * DAY)
    assert form.value_counts_build(con, early.as_of, DEFAULT, "weeks") is None
    got = form.field_outcomes(con, early, DEFAULT)
    assert _builds(con) == []
    pd.testing.assert_frame_equal(got, _row_by_row(monkeypatch, con, early), check_exact=True)
    # c5 registered after this as_of: out of scope
    assert got.loc[got["field"] == "score", "candidates"].sum() == 5


def test_other_windows_get_their_own_build_and_an_import_replaces_them(small_store, monkeypatch):
    con = small_store
    filters = Filters(as_of=resolve_as_of(con))
    short = DEFAULT.with_(meeting_window_days=1.0, placement_window_days=10.0)
    for settings in (DEFAULT, short):
        pd.testing.assert_frame_equal(
            form.field_outcomes(con, filters, settings), _row_by_row(monkeypatch, con, filters, settings),
            check_exact=True,
        )
    before = _builds(con)
    assert len(before) == 2 and {v for _, v in before} == {store.data_version(con)}
    # A new registration (as an import would write it): a new data version, so new builds.
    con.execute("begin transaction")
    con.execute("insert into candidates (candidate_id, registered_at, channel, import_id, score, job) "
                "values ('c6', $t, 'web', 0, 9.0, 'C')", {"t": MON + 29 * DAY})
    store.refresh_derived(con)
    store.bump_version(con)
    con.execute("commit")
    got = form.field_outcomes(con, filters, DEFAULT)
    after = _builds(con)
    assert len(after) == 1 and after[0][1] == store.data_version(con) and after[0][0] not in dict(before)
    assert con.execute("select count(distinct build) from form_value_counts").fetchone() == (1,)
    assert got.loc[got["field"] == "job", "candidates"].sum() == 7
    pd.testing.assert_frame_equal(got, _row_by_row(monkeypatch, con, filters), check_exact=True)


# --- the generated store: every filter the pages pass ----------------------------------------

@pytest.fixture(scope="module")
def generated(generated_export, tmp_path_factory):
    """Its own store from the generated export (the builds write to it)."""
    from dashboard import demo

    out, _ = generated_export
    con = store.connect(tmp_path_factory.mktemp("prebuilt") / "generated.duckdb")
    demo.load_sample(con, sample_dir=out)
    return con


def _pick(con, column: str):
    return con.execute(
        f"select {column} from candidate_funnel where {column} is not null group by 1 order by count(*) desc, 1 limit 1"
    ).fetchone()[0]


def test_the_generated_store_gives_the_same_table_from_the_build_for_every_filter(generated, monkeypatch):
    con = generated
    as_of = resolve_as_of(con)
    first, last = [pd.Timestamp(x).date() for x in con.execute(
        "select min(registered_at), max(registered_at) from candidates").fetchone()]
    mid = first + (last - first) / 2
    team, channel, handler = _pick(con, "team"), _pick(con, "channel"), _pick(con, "first_contact_by")
    base = Filters(as_of=as_of)
    cases = [
        base,
        base.with_(team=team),
        base.with_(channel=channel),
        base.with_(handler=handler),
        base.with_(team=team, channel=channel, handler=handler),
        base.with_(start=mid - dt.timedelta(days=mid.weekday())),  # a Monday
        base.with_(start=mid, end=mid + dt.timedelta(days=40)),  # ragged ends
        base.with_(end=mid, team=team),
        base.with_(start=mid, end=mid + dt.timedelta(days=2)),  # no whole week
        base.with_(advisor=_pick(con, "meeting_advisor_id")),
        Filters(as_of=dt.datetime.combine(mid, dt.time(12))),  # an as_of inside the data
    ]
    for settings in (DEFAULT, DEFAULT.with_(meeting_window_days=7.0, placement_window_days=60.0, form_top_k=3)):
        for filters in cases:
            pd.testing.assert_frame_equal(
                form.field_outcomes(con, filters, settings), _row_by_row(monkeypatch, con, filters, settings),
                check_exact=True, obj=repr(filters),
            )
    assert {b.split("|")[-1] for b, _ in _builds(con)} == {"weeks", "cells"}


# --- fill rates (form_fill_counts) -----------------------------------------------------------

def _fills_row_by_row(monkeypatch, con, filters, segmentation) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setattr(form, "fill_counts_build", lambda *args, **kwargs: None)
        return form.fill_rates(con, filters, segmentation)


def _fill_builds(con) -> list[tuple]:
    return con.execute("select build, data_version from form_fill_builds order by 1").fetchall()


def test_the_fill_build_counts_by_hand(small_store):
    con = small_store
    as_of = resolve_as_of(con)
    key = form.fill_counts_build(con, as_of, None)
    assert _fill_builds(con) == [(key, store.data_version(con))]
    rows = con.execute(
        "select cohort_week, team, channel, handler, form_version, segment, candidates, score, job "
        "from form_fill_counts where build = $k order by 1, 2 nulls first, 3, 4 nulls first", {"k": key}).fetchall()
    w1, w2, w3 = dt.date(2024, 1, 1), dt.date(2024, 1, 8), dt.date(2024, 1, 15)
    # Team: the meeting advisor's (a1: T1), else the first contact's (h1: T1, h2: T2). c4 has neither.
    # score filled unless null (c2); job filled unless null or blank (c3 null, c5 "").
    assert rows == [
        (w1, "T1", "agent", "h2", None, None, 1, 0, 1),  # c2 (met a1)
        (w1, "T1", "web", "h1", None, None, 2, 2, 2),  # c0, c1
        (w2, None, "web", None, None, None, 1, 1, 1),  # c4
        (w2, "T1", "agent", "h2", None, None, 1, 1, 0),  # c3 (met a1)
        (w3, "T1", "web", "h1", None, None, 1, 1, 0),  # c5
    ]


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(team="T1"),
        Filters(channel="web"),
        Filters(handler="h2"),
        Filters(start=dt.date(2024, 1, 3), end=dt.date(2024, 1, 16)),
        Filters(start=dt.date(2024, 1, 8)),
        Filters(start=dt.date(2024, 1, 2), end=dt.date(2024, 1, 4)),
        Filters(advisor="a1"),
    ],
    ids=repr,
)
def test_fill_rates_from_the_build_equal_row_by_row(small_store, monkeypatch, filters):
    con = small_store
    from dashboard import segments

    key = segments.ensure(con, segments.parse_target_list('[[segment]]\nname = "S"\ntarget = true\njob = ["A"]\n'))
    filters = filters.with_(as_of=resolve_as_of(con))
    for segmentation in (None, key):
        pd.testing.assert_frame_equal(
            form.fill_rates(con, filters, segmentation), _fills_row_by_row(monkeypatch, con, filters, segmentation),
            check_exact=True,
        )


def test_a_new_field_remakes_the_fill_table(small_store, monkeypatch):
    con = small_store
    filters = Filters(as_of=resolve_as_of(con))
    form.fill_rates(con, filters)
    assert len(_fill_builds(con)) == 1
    con.execute("begin transaction")
    con.execute("alter table candidates add column grade varchar")
    con.execute("insert into candidate_columns values ('grade', 'VARCHAR', 'grade', 0)")
    con.execute("update candidates set grade = 'x' where candidate_id in ('c0', 'c4')")
    store.refresh_derived(con)
    store.bump_version(con)
    con.execute("commit")
    got = form.fill_rates(con, filters)
    assert "grade" in [r[0] for r in con.execute("describe form_fill_counts").fetchall()]
    assert _fill_builds(con)[0][1] == store.data_version(con) and len(_fill_builds(con)) == 1
    overall = got[(got["scope"] == "overall") & (got["field"] == "grade")]
    assert overall[["candidates", "filled"]].values.tolist() == [[6, 2]]
    pd.testing.assert_frame_equal(got, _fills_row_by_row(monkeypatch, con, filters, None), check_exact=True)


def test_the_generated_store_gives_the_same_fill_rates_from_the_build(generated, monkeypatch):
    from dashboard import paths, segments

    con = generated
    key = segments.ensure(con, segments.load_target_list(paths.targets_path()))
    first, last = [pd.Timestamp(x).date() for x in con.execute(
        "select min(registered_at), max(registered_at) from candidates").fetchone()]
    mid = first + (last - first) / 2
    base = Filters(as_of=resolve_as_of(con))
    for filters in [
        base, base.with_(team=_pick(con, "team")), base.with_(channel=_pick(con, "channel")),
        base.with_(handler=_pick(con, "first_contact_by"), start=mid), base.with_(start=mid, end=mid + dt.timedelta(days=30)),
        base.with_(advisor=_pick(con, "meeting_advisor_id")), Filters(as_of=dt.datetime.combine(mid, dt.time(12))),
    ]:
        for segmentation in (None, key):
            pd.testing.assert_frame_equal(
                form.fill_rates(con, filters, segmentation), _fills_row_by_row(monkeypatch, con, filters, segmentation),
                check_exact=True, obj=repr(filters),
            )
    assert len(_fill_builds(con)) == 2


def _assert_same(a, b, where=""):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}.{k}")
    else:
        assert a == b and type(a) is type(b), (where, a, b)


def test_the_generated_store_gives_the_same_identifiability_from_the_build(generated, monkeypatch):
    from dashboard import paths, segments

    con = generated
    targets = segments.load_target_list(paths.targets_path())
    first, last = [pd.Timestamp(x).date() for x in con.execute(
        "select min(registered_at), max(registered_at) from candidates").fetchone()]
    mid = first + (last - first) / 2
    base = Filters(as_of=resolve_as_of(con))
    for filters in [
        base, base.with_(team=_pick(con, "team")), base.with_(channel=_pick(con, "channel"), start=mid),
        base.with_(handler=_pick(con, "first_contact_by")), base.with_(start=mid, end=mid + dt.timedelta(days=30)),
        base.with_(advisor=_pick(con, "meeting_advisor_id")), Filters(as_of=dt.datetime.combine(mid, dt.time(12))),
    ]:
        got = form.identifiability(con, filters, targets)
        with monkeypatch.context() as m:
            m.setattr(form, "fill_counts_build", lambda *args, **kwargs: None)
            m.setattr(form, "unknown_counts_build", lambda *args, **kwargs: None)
            expected = form.identifiability(con, filters, targets)
        _assert_same(got, expected, repr(filters))
    # the identifiability and the fill rates by segment share the build of this segmentation
    key = segments.ensure(con, targets)
    assert any(repr(key) in b for b, _ in _fill_builds(con))
    # the unknown combinations are built for the page without filters only
    unknown = con.execute("select build from form_unknown_builds").fetchall()
    assert len(unknown) == 1 and key in unknown[0][0]


def test_condition_patterns_give_the_blocking_rule_of_every_combination():
    from dashboard import segments

    targets = segments.parse_target_list(
        """
[[segment]]
name = "N"
target = false
job_changes = [4, 99]

[[segment]]
name = "A"
target = true
age = [30, 39]
job_category = ["IT", "経理"]

[[segment]]
name = "B"
target = true
age = [20, 29]
job_category = ["営業"]
"""
    )
    values = {"age": [None, float("nan"), 25.0, 31.0, 45.0], "job_category": [None, "IT", "営業", "x"],
              "job_changes": [None, 1.0, 5.0]}
    combos = [dict(zip(values, c)) for c in itertools.product(*values.values())]
    grouped = pd.DataFrame(combos, columns=list(values)).astype(object)
    grouped["candidates"] = range(1, len(grouped) + 1)
    # the record-by-record answer, as _missing_fields computed it before
    expected: dict = {}
    for record, n in zip(combos, grouped["candidates"]):
        record = {k: (None if isinstance(v, float) and v != v else v) for k, v in record.items()}
        key = form.blocking_rule(targets, record)
        expected[key] = expected.get(key, 0) + n
    got: dict = {}
    for pattern, n in form._condition_patterns(targets, grouped):
        key = form._blocking_rule_of(targets, pattern)
        got[key] = got.get(key, 0) + n
    assert got == expected
    # an attribute the data lacks is None for every combination
    without = grouped.drop(columns=["job_changes"])
    got = {}
    for pattern, n in form._condition_patterns(targets, without):
        key = form._blocking_rule_of(targets, pattern)
        got[key] = got.get(key, 0) + n
    expected = {}
    for record, n in zip(combos, grouped["candidates"]):
        record = {k: (None if isinstance(v, float) and v != v else v) for k, v in record.items() if k != "job_changes"}
        key = form.blocking_rule(targets, record)
        expected[key] = expected.get(key, 0) + n
    assert got == expected


def test_a_store_opened_read_only_gives_the_same_figures(tmp_path):
    from dashboard import segments
    from store_factory import make_store

    path = tmp_path / "store.duckdb"
    people = [(f"c{i}", MON + (i % 20) * DAY, ["web", "agent"][i % 2], float(20 + i % 30), ["A", "B", None][i % 3])
              for i in range(60)]
    con = make_store(
        candidates=[{"candidate_id": c, "registered_at": r, "channel": ch, "score": sc, "job": j}
                    for c, r, ch, sc, j in people],
        events=[{"candidate_id": c, "stage": "meeting_held", "occurred_at": r + 3 * DAY, "staff_id": "a1"}
                for c, r, *_ in people[::3]],
        staff=[{"staff_id": "a1", "role": "advisor", "team": "T"}],
        attributes={"score": "DOUBLE", "job": "VARCHAR"}, path=path,
    )
    targets = segments.parse_target_list('[[segment]]\nname = "S"\ntarget = true\nscore = [20, 30]\njob = ["A"]\n')
    key = segments.ensure(con, targets)
    filters = Filters(as_of=resolve_as_of(con))
    expected = (form.field_summary(con, filters, DEFAULT, targets), form.fill_rates(con, filters, key),
                form.identifiability(con, filters, targets))
    con.close()
    for fresh in (True, False):
        if fresh:  # a store no form page ever read: no pre-aggregate tables in it
            writable = store.connect(path)
            for table in ("form_value_counts", "form_value_builds", "form_fill_counts", "form_fill_builds",
                          "form_unknown_counts", "form_unknown_builds"):
                writable.execute(f"drop table if exists {table}")
            writable.close()
        ro = store.connect(path, read_only=True)
        got = (form.field_summary(ro, filters, DEFAULT, targets), form.fill_rates(ro, filters, key),
               form.identifiability(ro, filters, targets))
        ro.close()
        _assert_same(got[0], expected[0], "field_summary")
        _assert_same(got[1], expected[1], "fill_rates")
        _assert_same(got[2], expected[2], "identifiability")
