"""Registration form: fill rates, binning, NMI, identifiability and the recommendation, on small
hand-written stores whose answers are worked out by hand (or by an independent pandas reference)."""

from __future__ import annotations

import datetime as dt
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from dashboard import segments
from dashboard.filters import Filters
from dashboard.metrics import form
from dashboard.report import ReportContext
from dashboard.settings import DEFAULT

MON = dt.datetime(2024, 1, 1, 10, 0)  # a Monday
AS_OF = dt.datetime(2024, 6, 1, 12, 0)
DAY = dt.timedelta(days=1)

TARGETS = segments.parse_target_list(
    """
[[segment]]
name = "A"
target = true
age = [30, 39]
job_category = ["IT"]

[[segment]]
name = "N"
target = false
job_changes = [4, 99]
"""
)


# --- fill rates ------------------------------------------------------------------------------

@pytest.fixture
def fill_store(given):
    rows = [
        # id, channel, form version, age, job_category, job_changes
        ("c0", "a", "v1", 31, "IT", None),
        ("c1", "a", "v1", None, "IT", 1),
        ("c2", "a", "v2", 45, None, None),
        ("c3", "a", "v2", 25, "営業", 5),
        ("c4", "b", "v1", 33, "  ", 1),  # blank text counts as empty
        ("c5", "b", "v1", None, None, 2),
        ("c6", "b", "v2", 50, "IT", None),
        ("c7", "b", None, 36, "営業", 1),
    ]
    return given(
        candidates=[
            {"candidate_id": i, "registered_at": MON, "channel": ch, "form_version": fv, "age": age,
             "job_category": job, "job_changes": jc}
            for i, ch, fv, age, job, jc in rows
        ],
        attributes={"age": "DOUBLE", "job_category": "VARCHAR", "job_changes": "DOUBLE"},
    )


def _fill(frame, scope, group, field):
    row = frame[(frame["scope"] == scope) & (frame["field"] == field)
                & ((frame["group_value"] == group) if group is not None else frame["group_value"].isna())]
    assert len(row) == 1, (scope, group, field)
    return int(row["filled"].iloc[0]), int(row["candidates"].iloc[0]), float(row["fill_rate"].iloc[0])


def test_fill_rate_overall_by_channel_and_form_version(fill_store):
    fills = form.fill_rates(fill_store, Filters(as_of=AS_OF))
    assert _fill(fills, "overall", None, "age") == (6, 8, 0.75)
    assert _fill(fills, "overall", None, "job_category") == (5, 8, 5 / 8)  # "  " is empty
    assert _fill(fills, "overall", None, "job_changes") == (5, 8, 5 / 8)
    assert _fill(fills, "channel", "a", "job_category")[:2] == (3, 4)
    assert _fill(fills, "channel", "b", "job_category")[:2] == (2, 4)
    assert _fill(fills, "form_version", "v1", "age")[:2] == (2, 4)
    assert _fill(fills, "form_version", "v2", "job_changes")[:2] == (1, 3)
    # the candidate without a form version is in no form-version row
    assert fills[fills["scope"] == "form_version"].groupby("field")["candidates"].sum().tolist() == [7, 7, 7]
    assert set(fills["scope"]) == {"overall", "channel", "form_version"}  # no segmentation given


def test_fill_rate_by_segment_and_filters(fill_store):
    key = segments.ensure(fill_store, TARGETS)
    fills = form.fill_rates(fill_store, Filters(as_of=AS_OF), key)
    # unknown: c1 (age missing), c4 (blank job_category counts as missing), c2, c5, c6 (job_changes
    # missing for rule N) -> age filled in 3 of 5
    assert _fill(fills, "segment", "unknown", "age")[:2] == (3, 5)
    only_b = form.fill_rates(fill_store, Filters(as_of=AS_OF, channel="b"))
    assert _fill(only_b, "overall", None, "age")[:2] == (3, 4)


def test_fill_rates_without_attribute_columns_is_empty(given):
    con = given(candidates=[{"candidate_id": "x", "registered_at": MON}])
    assert form.fill_rates(con).empty
    assert form.field_summary(con).empty


def test_field_names_are_quoted_not_interpolated(given):
    weird = "職務 経歴; drop table candidates --"
    con = given(
        candidates=[{"candidate_id": "x", "registered_at": MON, weird: "v"},
                    {"candidate_id": "y", "registered_at": MON}],
        attributes={weird: "VARCHAR"},
    )
    fills = form.fill_rates(con, Filters(as_of=AS_OF))
    assert _fill(fills, "overall", None, weird)[:2] == (1, 2)
    assert con.execute("select count(*) from candidates").fetchone()[0] == 2
    with pytest.raises(ValueError, match="unknown column"):
        form._run_fields(con, "form/fill_rates", ["no_such_field"], segmentation=None, **Filters(as_of=AS_OF).params())


# --- NMI and the G-test ----------------------------------------------------------------------

def test_nmi_by_hand():
    assert form.nmi([[5, 0], [0, 5]]) == pytest.approx(1.0)
    assert form.nmi([[2, 2], [3, 3]]) == pytest.approx(0.0)
    # [[3,1],[1,3]]: H(X) = H(Y) = ln 2, H(X,Y) = -(3/4 ln 3/8 + 1/4 ln 1/8), I = 2 ln 2 - H(X,Y)
    assert form.nmi([[3, 1], [1, 3]]) == pytest.approx(0.188722, abs=1e-6)
    assert form.nmi([[4, 0], [6, 0]]) == 0.0  # the outcome never varies
    assert form.nmi([[0, 0], [0, 0]]) == 0.0


def test_g_test_by_hand():
    assert form.g_test_p([[2, 2], [3, 3]]) == pytest.approx(1.0)
    # G = 2 N I = 2 * 8 * 0.130812 = 2.093 on 1 df -> p = 0.148
    assert form.g_test_p([[3, 1], [1, 3]]) == pytest.approx(0.1480, abs=5e-4)
    assert form.g_test_p([[50, 0], [0, 50]]) < 1e-20
    assert form.g_test_p([[4, 0], [6, 0]]) == 1.0


# --- bins and outcomes -----------------------------------------------------------------------

@pytest.fixture
def outcome_store(given):
    scores = [1, 2, 3, 4, 5, 6, 7, 8, None, None]
    jobs = ["A", "A", "A", "A", "B", "B", "B", "C", None, None]
    candidates = [
        {"candidate_id": f"c{i}", "registered_at": MON, "score": s, "job": j}
        for i, (s, j) in enumerate(zip(scores, jobs))
    ]
    # c10 registers in the last week before as_of: immature, never in an outcome base
    candidates.append({"candidate_id": "c10", "registered_at": dt.datetime(2024, 5, 27, 9), "score": 8, "job": "A"})
    events = [
        {"candidate_id": f"c{i}", "stage": "meeting_held", "occurred_at": MON + 2 * DAY, "staff_id": "a1"}
        for i in (4, 5, 6, 7)  # scores 5..8 meet within 14 days
    ]
    events += [
        {"candidate_id": "c8", "stage": "meeting_held", "occurred_at": MON + 20 * DAY, "staff_id": "a1"},  # too late
        {"candidate_id": "c10", "stage": "meeting_held", "occurred_at": dt.datetime(2024, 5, 28, 9), "staff_id": "a1"},
        {"candidate_id": "c7", "stage": "placed", "occurred_at": MON + 60 * DAY, "staff_id": "a1"},
        {"candidate_id": "c6", "stage": "placed", "occurred_at": MON + 130 * DAY, "staff_id": "a1"},  # > 120 d
    ]
    return given(
        candidates=candidates, events=events, staff=[{"staff_id": "a1", "role": "advisor", "team": "T"}],
        attributes={"score": "DOUBLE", "job": "VARCHAR"},
    )


def test_numeric_fields_fall_in_quintiles_and_categories_in_top_k(outcome_store):
    out = form.field_outcomes(outcome_store, Filters(as_of=AS_OF), DEFAULT.with_(form_top_k=2))
    got = {
        (r.field, r.bin): (r.candidates, r.meeting_candidates, r.meetings, r.placement_candidates, r.placements)
        for r in out.itertuples()
    }
    # score cut points over 1..8 (and c10's 8): quantile_cont gives 2.6, 4.2, 5.8, 7.4 over 9 values
    assert got[("score", "q1")] == (2, 2, 0, 0, 0)  # 1, 2
    assert got[("score", "q2")] == (2, 2, 0, 0, 0)  # 3, 4
    assert got[("score", "q3")] == (1, 1, 1, 1, 0)  # 5
    assert got[("score", "q4")] == (2, 2, 2, 2, 0)  # 6, 7 (7's placement came after 120 days)
    assert got[("score", "q5")] == (2, 1, 1, 1, 1)  # 8 and immature c10
    # c8's meeting came after the 14-day window, yet it is a (mature) meeting for placement
    assert got[("score", "(empty)")] == (2, 2, 0, 1, 0)
    # job: A x5 (with c10), B x3 kept (top 2); C is "other"; two empty
    assert got[("job", "A")] == (5, 4, 0, 0, 0)
    assert got[("job", "B")] == (3, 3, 3, 3, 0)
    assert got[("job", "(other)")] == (1, 1, 1, 1, 1)
    assert got[("job", "(empty)")] == (2, 2, 0, 1, 0)
    assert out.loc[out["bin"] == "(empty)", "is_filled"].eq(False).all()
    assert out.loc[out["bin"] != "(empty)", "is_filled"].all()


def test_field_value_from_the_contingency_table(outcome_store):
    value = form.field_value(outcome_store, Filters(as_of=AS_OF), DEFAULT.with_(form_min_n=1, form_top_k=2))
    job = value.set_index("field").loc["job"]
    table = [[0, 4], [3, 0], [1, 0], [0, 2]]  # A, B, other, empty x (meeting, none)
    assert job["nmi_meeting"] == pytest.approx(form.nmi(table))
    assert job["meeting_n"] == 10
    assert job["meeting_rate_filled"] == pytest.approx(4 / 8)
    assert job["meeting_rate_empty"] == pytest.approx(0 / 2)
    assert job["placement_rate_filled"] == pytest.approx(1 / 4)


def test_min_n_guard_leaves_rates_and_value_out(outcome_store):
    value = form.field_value(outcome_store, Filters(as_of=AS_OF), DEFAULT.with_(form_min_n=3))
    job = value.set_index("field").loc["job"]
    assert job["meeting_rate_filled"] == pytest.approx(0.5)  # 8 mature filled >= 3
    assert math.isnan(job["meeting_rate_empty"])  # 2 empty < 3
    assert job["meeting_n_empty"] == 2
    strict = form.field_value(outcome_store, Filters(as_of=AS_OF), DEFAULT.with_(form_min_n=11))
    assert strict["nmi_meeting"].isna().all()


def test_nmi_agrees_with_an_independent_pandas_reference(given):
    rng = np.random.default_rng(5)
    n = 400
    ages = rng.integers(20, 60, n).astype(float)
    ages[rng.random(n) < 0.2] = np.nan
    jobs = rng.choice(list("ABCDEFGHIJKL"), n, p=np.r_[[0.3, 0.2, 0.1], np.full(9, 0.4 / 9)])
    jobs = np.where(rng.random(n) < 0.3, None, jobs)
    days = rng.integers(0, 150, n)
    p_meet = 0.2 + 0.4 * np.nan_to_num((ages - 20) / 40) + np.where(jobs == "A", 0.2, 0.0)
    meets = rng.random(n) < p_meet
    lag = rng.integers(0, 25, n)
    candidates, events = [], []
    for i in range(n):
        reg = MON + int(days[i]) * DAY
        candidates.append({"candidate_id": f"c{i}", "registered_at": reg,
                           "age": None if np.isnan(ages[i]) else float(ages[i]),
                           "job_category": None if jobs[i] is None else str(jobs[i])})
        if meets[i]:
            events.append({"candidate_id": f"c{i}", "stage": "meeting_held", "occurred_at": reg + int(lag[i]) * DAY,
                           "staff_id": "a"})
    con = given(candidates=candidates, events=events, attributes={"age": "DOUBLE", "job_category": "VARCHAR"})
    settings = DEFAULT.with_(form_top_k=5)
    got = form.field_value(con, Filters(as_of=AS_OF), settings).set_index("field")

    # reference: plain pandas on the rows as written, nothing shared with the SQL path
    frame = pd.DataFrame(candidates)
    frame["registered_at"] = pd.to_datetime(frame["registered_at"])
    frame["cohort"] = frame["registered_at"].dt.normalize() - pd.to_timedelta(frame["registered_at"].dt.day_of_week, unit="D")
    meeting_at = {e["candidate_id"]: pd.Timestamp(e["occurred_at"]) for e in events}
    frame["meeting_at"] = frame["candidate_id"].map(meeting_at)
    frame = frame[(pd.Timestamp(AS_OF) - frame["cohort"]) >= pd.Timedelta(days=21)]
    frame["y"] = (frame["meeting_at"] - frame["registered_at"]) <= pd.Timedelta(days=14)

    def ref_nmi(bins: pd.Series) -> float:
        joint = pd.crosstab(bins, frame["y"]).to_numpy(dtype=float)
        p = joint / joint.sum()

        def h(q):
            q = q[q > 0]
            return -(q * np.log(q)).sum()

        mi = h(p.sum(axis=1)) + h(p.sum(axis=0)) - h(p.ravel())
        return mi / ((h(p.sum(axis=1)) + h(p.sum(axis=0))) / 2)

    everyone = pd.DataFrame(candidates)
    filled_ages = everyone["age"].dropna().to_numpy()
    cuts = np.quantile(filled_ages, [0.2, 0.4, 0.6, 0.8])
    age_bins = frame["age"].map(lambda v: "(empty)" if pd.isna(v) else f"q{np.searchsorted(cuts, v, side='left') + 1}")
    counts = everyone["job_category"].dropna().value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = {v for v, _ in ranked[:5]}
    job_bins = frame["job_category"].map(lambda v: "(empty)" if pd.isna(v) else (v if v in top else "(other)"))

    assert got.loc["age", "nmi_meeting"] == pytest.approx(ref_nmi(age_bins), rel=1e-9)
    assert got.loc["job_category", "nmi_meeting"] == pytest.approx(ref_nmi(job_bins), rel=1e-9)
    assert got.loc["age", "meeting_n"] == len(frame)
    filled = frame["age"].notna()
    assert got.loc["age", "meeting_rate_filled"] == pytest.approx(frame.loc[filled, "y"].mean())
    assert got.loc["age", "meeting_rate_empty"] == pytest.approx(frame.loc[~filled, "y"].mean())


# --- identifiability -------------------------------------------------------------------------

def test_identifiability_and_the_missing_fields_that_leave_unknown(given):
    rows = [
        # age, job_category, job_changes -> segment (reason)
        (31, "IT", None),      # A
        (None, "IT", 1),       # unknown: rule A needs age
        (45, None, None),      # unknown: A fails on age, rule N needs job_changes
        (25, "営業", 5),        # N
        (None, None, 2),       # unknown: rule A needs age and job_category
        (50, "IT", None),      # unknown: rule N needs job_changes
        (36, "営業", 1),        # other
        (33, None, 7),         # unknown: rule A needs job_category (N is never reached)
    ]
    con = given(
        candidates=[{"candidate_id": f"c{i}", "registered_at": MON, "age": a, "job_category": j, "job_changes": c}
                    for i, (a, j, c) in enumerate(rows)],
        attributes={"age": "DOUBLE", "job_category": "VARCHAR", "job_changes": "DOUBLE"},
    )
    ident = form.identifiability(con, Filters(as_of=AS_OF), TARGETS)
    assert ident["registrations"] == 8
    assert ident["unknown"] == 5
    assert ident["identified"]["rate"] == pytest.approx(3 / 8)
    missing = ident["missing"].set_index("field")
    assert missing.loc["age", "unknown_candidates"] == 2 and missing.loc["age", "sole_missing"] == 1
    assert missing.loc["job_category", "unknown_candidates"] == 2 and missing.loc["job_category", "sole_missing"] == 1
    assert missing.loc["job_changes", "unknown_candidates"] == 2 and missing.loc["job_changes", "sole_missing"] == 2
    assert missing.loc["job_changes", "rules"] == "N"
    assert form.identifiability(con, Filters(as_of=AS_OF), None) is None


def test_a_rule_attribute_absent_from_the_data_is_reported_as_missing(given):
    targets = segments.parse_target_list('[[segment]]\nname = "X"\nenglish = ["business"]\n')
    con = given(candidates=[{"candidate_id": "c0", "registered_at": MON, "age": 30}], attributes={"age": "DOUBLE"})
    ident = form.identifiability(con, Filters(as_of=AS_OF), targets)
    assert ident["unknown"] == 1
    row = ident["missing"].iloc[0]
    assert row["field"] == "english" and row["unknown_candidates"] == 1 and not row["in_data"]


def test_blocking_rule_agrees_with_classify_on_every_combination():
    values = {"age": [None, 31, 45], "job_category": [None, "IT", "営業"], "job_changes": [None, 1, 5]}
    for combo in itertools.product(*values.values()):
        record = dict(zip(values, combo))
        segment, _ = segments.classify(TARGETS, record)
        rule, missing = form.blocking_rule(TARGETS, record)
        assert (segment == segments.UNKNOWN) == (rule is not None), record
        for attribute in missing:
            assert record[attribute] is None


# --- recommendation --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "fill, identifies, value, p, p_filled, expected",
    [
        (0.2, True, 0.0, 0.9, 0.9, ("required", "identifies_segment")),
        (0.9, False, None, None, None, ("optional", "too_little_data")),
        (0.5, False, 0.02, 0.001, 0.001, ("required", "high_value")),
        (0.5, False, 0.02, 0.2, 0.2, ("optional", "low_value")),  # large but not significant
        (0.5, False, 0.005, 0.01, 0.5, ("optional", "some_value")),
        (0.15, False, 0.001, 0.01, 0.01, ("optional", "signal_when_filled")),
        (0.15, False, 0.001, 0.4, 0.4, ("drop", "low_value_low_fill")),
        (0.9, False, 0.001, 0.4, 0.4, ("optional", "low_value")),
    ],
)
def test_recommendation_rules(fill, identifies, value, p, p_filled, expected):
    assert form.recommend(fill, identifies, value, p, p_filled, DEFAULT) == expected


def test_field_summary_and_report_section(outcome_store):
    targets = segments.parse_target_list('[[segment]]\nname = "Hi"\nscore = [5, 99]\n')
    settings = DEFAULT.with_(form_min_n=1, form_top_k=2)
    summary = form.field_summary(outcome_store, Filters(as_of=AS_OF), settings, targets).set_index("field")
    assert summary.loc["score", "recommendation"] == "required"
    assert summary.loc["score", "reason_code"] == "identifies_segment"
    assert summary.loc["score", "rules"] == "Hi"
    assert summary.loc["score", "fill_rate"] == pytest.approx(9 / 11)
    assert not summary.loc["job", "identifies_segment"]

    rc = ReportContext(filters=Filters(as_of=AS_OF), settings=settings, segmentation=None, targets=targets)
    section = form.report_section(outcome_store, rc)
    fields = {f["field"]: f for f in section["form_fields"]}
    assert set(fields) == {"score", "job"}
    for f in fields.values():
        assert set(f) >= {"field", "fill_rate", "identifies_segment", "value", "outcome_rate_filled",
                          "outcome_rate_empty", "recommendation"}
        assert set(f["fill_rate"]) == {"rate", "n", "low", "high"}
        assert f["recommendation"] in form.RECOMMENDATIONS
    assert fields["job"]["outcome_rate_filled"]["rate"] == pytest.approx(0.5)
    assert fields["job"]["outcome_rate_filled"]["n"] == 8
    assert section["segment_identifiability"]["identified"]["n"] == 11
