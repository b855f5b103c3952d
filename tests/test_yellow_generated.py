"""The yellow zone on generated data with planted truth (sample-data.md): an independent pandas
count of cells agrees with the SQL, the planted yellow-zone cells are found, and the routing gap
lands near the planted one.

Comparing the gap with the truth: truth.json prices placements ever made, the product counts
placements within the 120-day window (metrics.md), so the planted gap is compared as a share of
expected placements (``routing_mature.gap_share``), applied to the product's own expected
placements. Measured on the bundled sample (20,000 registrations, seed 7): yellow zone precision
and recall 1.0 (5 of 5 advisors, both segments); routing gap +101 placements (90%: 48 to 144)
against a planted 110 on the same scale. On the 6,000-registration fixture the data are thinner
and the floors below are lower; see docs/report-keys.md for a sweep over seeds.
"""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import paths, segments, store
from dashboard.filters import Filters, resolve_as_of
from dashboard.metrics import yellow_zone as yz
from dashboard.settings import DEFAULT


def _prepare(con):
    key = segments.ensure(con, segments.load_target_list(paths.DEFAULT_TARGETS))
    return key, Filters(as_of=resolve_as_of(con))


@pytest.fixture(scope="module")
def sample(sample_store_path, sample_truth):
    con = store.connect(sample_store_path)
    key, filters = _prepare(con)
    yield con, key, filters, sample_truth
    con.close()


@pytest.fixture(scope="module")
def generated(generated_store):
    con, truth = generated_store
    key, filters = _prepare(con)
    return con, key, filters, truth


def yellow_precision_recall(model: dict, truth: dict) -> tuple[float, float]:
    found = {(r.advisor_name, r.segment) for r in model["cells"].itertuples() if r.is_yellow_zone}
    planted = {(c["advisor"], c["segment"]) for c in truth["yellow_zone_cells"]}
    hits = len(found & planted)
    return hits / max(1, len(found)), hits / max(1, len(planted))


def planted_gap_on_our_scale(gap: dict, truth: dict) -> float:
    return truth["routing_mature"]["gap_share"] * gap["expected_placements_actual"]


def test_cell_counts_match_an_independent_pandas_count(generated):
    con, key, filters, _ = generated
    window = DEFAULT.placement_window_days
    events = con.execute("select candidate_id, stage, occurred_at, staff_id from events").df()
    first = events.sort_values(["occurred_at", "staff_id"]).groupby(["candidate_id", "stage"], as_index=False).first()
    held = first[first["stage"] == "meeting_held"].rename(columns={"occurred_at": "held_at", "staff_id": "advisor"})
    placed = first[first["stage"] == "placed"][["candidate_id", "occurred_at"]].rename(columns={"occurred_at": "placed_at"})
    seg = con.execute(
        "select candidate_id, segment from candidate_segments where segmentation = $k", {"k": key}
    ).df()
    frame = held.merge(placed, on="candidate_id", how="left").merge(seg, on="candidate_id", how="left")
    frame = frame[frame["advisor"].notna()]
    as_of = pd.Timestamp(filters.as_of)
    frame = frame[frame["held_at"] + pd.Timedelta(days=window) <= as_of]
    frame["is_placed"] = (frame["placed_at"] - frame["held_at"]) <= pd.Timedelta(days=window)
    expected = frame.groupby(["advisor", "segment"]).agg(meetings=("candidate_id", "size"), placements=("is_placed", "sum"))
    got = yz.cell_counts(con, filters, DEFAULT, key).set_index(["advisor", "segment"])[["meetings", "placements"]]
    pd.testing.assert_frame_equal(got.sort_index().astype("int64"), expected.sort_index().astype("int64"), check_names=False)


def test_planted_yellow_zone_is_found_in_the_bundled_sample(sample):
    con, key, filters, truth = sample
    model = yz.placement_model(con, filters, DEFAULT, key)
    precision, recall = yellow_precision_recall(model, truth)
    # Chance alone (10 cells drawn from 15 x 6) would score about 0.11.
    assert precision >= 0.6 and recall >= 0.6, (precision, recall)
    assert set(yz.high_yield_segments(model)) == set(truth["high_yield_segments"])


def test_routing_gap_lands_near_the_planted_one_in_the_bundled_sample(sample):
    con, key, filters, truth = sample
    gap = yz.routing_gap(con, filters, DEFAULT, key)["gap"]
    planted = planted_gap_on_our_scale(gap, truth)
    assert gap["low"] <= planted <= gap["high"], (gap, planted)
    assert 0.4 * planted <= gap["placements"] <= 1.6 * planted
    assert gap["meetings"] == truth["routing_mature"]["meetings"]


def test_planted_yellow_zone_and_gap_on_the_small_generated_store(generated):
    con, key, filters, truth = generated
    model = yz.placement_model(con, filters, DEFAULT, key)
    precision, recall = yellow_precision_recall(model, truth)
    # 6,000 registrations leave about 120 placements for 90 cells: a lower floor than the sample's.
    assert precision >= 0.4 and recall >= 0.4, (precision, recall)
    # The gap is loosely pinned at this size (over seeds 1-6 and 11 the estimate ran from 0.02 to
    # 1.5 times the planted one, the 90% interval covering it 5 times in 7): only gross errors fail.
    gap = yz.routing_gap(con, filters, DEFAULT, key)["gap"]
    planted = planted_gap_on_our_scale(gap, truth)
    assert gap["low"] <= gap["placements"] <= gap["high"]
    assert gap["high"] >= 0.5 * planted and gap["placements"] <= 2 * planted, (gap, planted)


def test_high_yield_missed_matches_and_coverage_are_consistent(generated):
    con, key, filters, _ = generated
    cov = yz.coverage(con, filters, DEFAULT, key)
    missed = yz.missed_matches(con, filters, DEFAULT, key)
    # Every high-yield meeting held is either covered or a missed match with another advisor.
    other = int((missed["kind"] == "other_advisor").sum())
    covered = round(cov["coverage"]["rate"] * cov["coverage"]["n"])
    assert covered + other == cov["coverage"]["n"]
    assert missed["advisor_tier"].dropna().ne(yz.HIGH).all()
