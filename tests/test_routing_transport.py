"""Routing (dashboard.routing): the transportation problem, the routing gap and its drivers worked by
hand on a 3x3 table and checked by brute force, and the recommendation against round robin."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from dashboard import routing

# Advisors A, B, C (rows) x segments X, Y, Z (columns).
RATES = np.array([
    [0.30, 0.10, 0.05],
    [0.20, 0.15, 0.10],
    [0.10, 0.12, 0.08],
])
MEETINGS = np.array([
    [0, 2, 2],
    [3, 0, 1],
    [1, 2, 1],
])


def brute_force_best(rates: np.ndarray, meetings: np.ndarray) -> float:
    """Every integer table with the same row and column sums (an independent reference)."""
    rows, cols = meetings.sum(axis=1), meetings.sum(axis=0)
    best = -1.0
    for a in itertools.product(*(range(int(min(rows[0], c)) + 1) for c in cols)):
        if sum(a) != rows[0]:
            continue
        rest = cols - np.array(a)
        for b in itertools.product(*(range(int(min(rows[1], r)) + 1) for r in rest)):
            if sum(b) != rows[1]:
                continue
            c = rest - np.array(b)
            if (c < 0).any() or c.sum() != rows[2]:
                continue
            best = max(best, float((np.array([a, b, c]) * rates).sum()))
    return best


def test_three_by_three_reassignment_by_hand():
    # As assigned: A 2*.10 + 2*.05 = .30; B 3*.20 + 1*.10 = .70; C .10 + 2*.12 + .08 = .42 -> 1.42.
    # Best: A is the only one far better at X (.30 vs .20, .10): A takes all four X (1.20). B and C
    # share Y and Z; moving one Y from C to B (and one Z back) gains .15 - .10 - .12 + .08 = +.01,
    # so B takes all Y (.60) and C all Z (.32): 2.12 in all. Gap = 2.12 - 1.42 = 0.70.
    gap = routing.routing_gap(MEETINGS, RATES)
    assert gap.actual == pytest.approx(1.42)
    assert gap.best == pytest.approx(2.12)
    assert gap.placements == pytest.approx(0.70)
    np.testing.assert_array_equal(gap.flow, [[4, 0, 0], [0, 4, 0], [0, 0, 4]])
    assert gap.best == pytest.approx(brute_force_best(RATES, MEETINGS))


def test_the_solver_agrees_with_brute_force_on_uneven_tables():
    rng = np.random.default_rng(0)
    for _ in range(5):
        rates = rng.uniform(0.01, 0.3, size=(3, 3))
        meetings = rng.integers(0, 4, size=(3, 3))
        flow = routing.transport(rates, meetings.sum(axis=1), meetings.sum(axis=0))
        np.testing.assert_array_equal(flow.sum(axis=1), meetings.sum(axis=1))
        np.testing.assert_array_equal(flow.sum(axis=0), meetings.sum(axis=0))
        assert np.array_equal(flow, np.round(flow)) and (flow >= 0).all()
        assert float((flow * rates).sum()) == pytest.approx(brute_force_best(rates, meetings))


def test_drivers_name_the_moves_and_add_up_to_the_gap():
    gap = routing.routing_gap(MEETINGS, RATES)
    drivers = routing.gap_drivers(["A", "B", "C"], ["X", "Y", "Z"], MEETINGS, gap.flow, RATES)
    change = drivers.set_index(["advisor", "segment"])["change"].to_dict()
    assert change == {
        ("A", "X"): 4, ("A", "Y"): -2, ("A", "Z"): -2,
        ("B", "X"): -3, ("B", "Y"): 4, ("B", "Z"): -1,
        ("C", "X"): -1, ("C", "Y"): -2, ("C", "Z"): 3,
    }
    assert drivers["placements"].sum() == pytest.approx(gap.placements)
    # Segment X carries most of the gain (A's strength), so it is listed first.
    assert drivers.iloc[0]["segment"] == "X"


def test_already_best_routing_has_no_gap():
    best = np.array([[4, 0, 0], [0, 4, 0], [0, 0, 4]])
    gap = routing.routing_gap(best, RATES)
    assert gap.placements == pytest.approx(0.0)
    assert routing.gap_drivers(["A", "B", "C"], ["X", "Y", "Z"], best, gap.flow, RATES).empty


def test_interval_prices_the_plan_on_each_draw():
    rng = np.random.default_rng(1)
    draws = np.clip(RATES + rng.normal(0, 0.02, size=(500, 3, 3)), 0, 1)
    gap = routing.routing_gap(MEETINGS, RATES, scenarios=[(RATES, draws)], level=0.90)
    change = gap.flow - MEETINGS
    expected = np.quantile([(d * change).sum() for d in draws], [0.05, 0.95])
    assert (gap.low, gap.high) == pytest.approx(tuple(expected))
    assert gap.low < gap.placements < gap.high
    # Without draws there is no interval.
    assert np.isnan(routing.routing_gap(MEETINGS, RATES).low)


def _rates(table: dict) -> pd.DataFrame:
    return pd.DataFrame(table).T


def test_recommendation_by_hand_beats_round_robin():
    # A: X .30, Y .05 (one free slot); B: X .10, Y .08 (two). Registrants, oldest first: r1 Y, r2 X, r3 X.
    # Best: A takes an X (.30), B the other X (.10) and the Y (.08): .48.
    # Round robin in registration order: r1 -> A (.05), r2 -> B (.10), r3 -> B since A is full (.10): .25.
    rates = _rates({"A": {"X": 0.30, "Y": 0.05}, "B": {"X": 0.10, "Y": 0.08}})
    registrants = pd.DataFrame({
        "candidate_id": ["r1", "r2", "r3"], "segment": ["Y", "X", "X"],
        "registered_at": pd.to_datetime(["2025-01-01", "2025-01-02", "2025-01-03"]),
    })
    table, summary = routing.recommend(registrants, pd.Series({"A": 1, "B": 2}), rates)
    assert table.set_index("candidate_id")["advisor"].to_dict() == {"r1": "B", "r2": "A", "r3": "B"}
    assert table.set_index("candidate_id")["round_robin_advisor"].to_dict() == {"r1": "A", "r2": "B", "r3": "B"}
    assert summary["expected_best"] == pytest.approx(0.48)
    assert summary["expected_round_robin"] == pytest.approx(0.25)
    assert summary["gain"] == pytest.approx(0.23)
    assert (summary["registrants"], summary["assigned"], summary["capacity"]) == (3, 3, 3)


def test_short_capacity_goes_to_the_registrant_worth_most():
    rates = _rates({"A": {"X": 0.30, "Y": 0.05}})
    registrants = pd.DataFrame({
        "candidate_id": ["r1", "r2"], "segment": ["Y", "X"],
        "registered_at": pd.to_datetime(["2025-01-01", "2025-01-02"]),
    })
    table, summary = routing.recommend(registrants, pd.Series({"A": 1}), rates)
    assert table.set_index("candidate_id")["advisor"].to_dict() == {"r1": None, "r2": "A"}
    # Round robin serves the oldest first: r1 (Y, .05).
    assert summary["expected_round_robin"] == pytest.approx(0.05)
    assert summary["gain"] == pytest.approx(0.25)
    assert summary["assigned"] == 1


def test_no_free_capacity_assigns_nobody():
    rates = _rates({"A": {"X": 0.30}})
    registrants = pd.DataFrame({"candidate_id": ["r1"], "segment": ["X"], "registered_at": pd.to_datetime(["2025-01-01"])})
    table, summary = routing.recommend(registrants, pd.Series({"A": 0}), rates)
    assert table["advisor"].isna().all()
    assert summary == {"registrants": 1, "assigned": 0, "capacity": 0, "expected_best": 0.0,
                       "expected_round_robin": 0.0, "gain": 0.0}
