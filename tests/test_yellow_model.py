"""The placement model (dashboard.metrics.yellow_zone.build_model) on hand-made cell counts: the
segment-adjusted index undoes Simpson's paradox, tiers follow the settings, cells are shrunk
towards their segment, and the yellow zone is the high x high product."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.metrics import yellow_zone as yz
from dashboard.settings import DEFAULT


def counts(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["advisor", "segment", "meetings", "placements"])


SIMPSON = counts([
    # A mostly gets the easy segment, B mostly the hard one; B is better in both.
    ("A", "easy", 90, 18), ("A", "hard", 10, 0),   # 20% and 0%: 18% overall
    ("B", "easy", 10, 3), ("B", "hard", 90, 9),    # 30% and 10%: 12% overall
])


def test_raw_rates_rank_simpson_advisors_wrongly_and_the_index_rightly():
    model = yz.build_model(SIMPSON, DEFAULT)
    adv = model["advisors"].set_index("advisor")
    assert adv.at["A", "raw_rate"] == pytest.approx(0.18)
    assert adv.at["B", "raw_rate"] == pytest.approx(0.12)
    assert adv.at["A", "raw_rate"] > adv.at["B", "raw_rate"]
    # Segment rates: raw 21% (easy) and 9% (hard), pooled 15%. Their prior strength by moments:
    # T = 2 * 100 * .06^2 / (.15 * .85) = 5.65, excess 4.65, information 200 - 2 + 1 - 100 = 99,
    # m = 99 / 4.65 - 1 = 20.3; shrunk easy = (.15 * 20.3 + 21) / 120.3 = .200, hard = .100.
    # A expects 90 * .2 + 10 * .1 = 19 and placed 18: index (18 + 5) / (19 + 5) = 0.958.
    # B expects 10 * .2 + 90 * .1 = 11 and placed 12: index (12 + 5) / (11 + 5) = 1.0625.
    assert model["prior"]["segments"]["strength"] == pytest.approx(99 / (200 * 0.06**2 / 0.1275 - 1) - 1)
    # (The overall parent is (30 + .5) / (200 + 1), a hair above 15%, hence the tolerance.)
    assert adv.at["A", "index"] == pytest.approx(23 / 24, abs=0.005)
    assert adv.at["B", "index"] == pytest.approx(17 / 16, abs=0.005)
    assert adv.at["B", "index"] > 1 > adv.at["A", "index"]
    # One of two eligible advisors makes the top third: B, not A.
    assert adv.at["B", "tier"] == yz.HIGH
    assert adv.at["A", "tier"] == yz.STANDARD
    seg = model["segments"].set_index("segment")
    expected_a = 90 * seg.at["easy", "shrunk_rate"] + 10 * seg.at["hard", "shrunk_rate"]
    assert adv.at["A", "expected"] == pytest.approx(expected_a)
    assert adv.at["A", "index"] == pytest.approx((18 + 5) / (expected_a + 5))


def test_raw_counts_are_always_kept_beside_the_shrunk_rates():
    model = yz.build_model(SIMPSON, DEFAULT)
    cell = model["cells"].set_index(["advisor", "segment"]).loc[("B", "easy")]
    assert (cell["meetings"], cell["placements"]) == (10, 3)
    assert cell["raw_rate"] == pytest.approx(0.3)
    assert cell["raw_low"] < 0.3 < cell["raw_high"]
    assert cell["shrunk_low"] < cell["shrunk_rate"] < cell["shrunk_high"]


def test_cells_are_shrunk_towards_their_segment_rate():
    model = yz.build_model(SIMPSON, DEFAULT)
    m = model["prior"]["cells"]["strength"]
    seg = model["segments"].set_index("segment")["shrunk_rate"]
    for row in model["cells"].itertuples():
        parent = seg[row.segment]
        assert row.prior_rate == pytest.approx(parent)
        assert row.shrunk_rate == pytest.approx((parent * m + row.placements) / (m + row.meetings))
        # Between the raw rate and the parent.
        assert min(parent, row.raw_rate) - 1e-12 <= row.shrunk_rate <= max(parent, row.raw_rate) + 1e-12


def test_segments_are_shrunk_towards_the_overall_rate():
    model = yz.build_model(SIMPSON, DEFAULT)
    seg = model["segments"].set_index("segment")
    m = model["prior"]["segments"]["strength"]
    overall = (30 + 0.5) / (200 + 1)
    assert seg.at["easy", "shrunk_rate"] == pytest.approx((overall * m + 21) / (m + 100))
    assert model["overall"] == pytest.approx({"rate": 0.15, "n": 200, "low": model["overall"]["low"], "high": model["overall"]["high"]})


TIERS = counts([
    ("A1", "S1", 30, 9), ("A1", "S2", 30, 3),
    ("A2", "S1", 30, 6), ("A2", "S2", 30, 3),
    ("A3", "S1", 30, 3), ("A3", "S2", 30, 1),
    ("A4", "S1", 5, 4), ("A4", "S2", 5, 1),        # the best rate, but too few meetings to be ranked
    ("A1", "other", 30, 20), ("A2", "unknown", 30, 20),  # catch-alls with the best rates
])


def test_tiers_follow_the_settings():
    model = yz.build_model(TIERS, DEFAULT)
    adv = model["advisors"].set_index("advisor")["tier"]
    assert adv["A4"] == yz.FEW_MEETINGS
    # Three eligible advisors, top third = 1: the best index.
    assert (adv == yz.HIGH).sum() == 1
    seg = model["segments"].set_index("segment")["tier"]
    assert seg["other"] == seg["unknown"] == yz.NOT_RANKED
    # Two rankable segments, top third rounds to one: S1 (higher rate).
    assert seg["S1"] == yz.HIGH and seg["S2"] == yz.STANDARD
    # Catch-alls sort last even with the best rates.
    assert model["segments"]["segment"].tolist()[-2:] in (["other", "unknown"], ["unknown", "other"])

    looser = yz.build_model(TIERS, DEFAULT.with_(min_advisor_meetings=10, advisor_top_share=0.5, segment_top_share=1.0))
    adv = looser["advisors"].set_index("advisor")["tier"]
    assert adv["A4"] == yz.STANDARD or adv["A4"] == yz.HIGH
    assert (adv == yz.HIGH).sum() == 2  # half of four, rounded half up
    assert (looser["segments"]["tier"] == yz.HIGH).sum() == 2


def test_yellow_zone_is_high_advisors_times_high_segments_on_the_full_grid():
    model = yz.build_model(TIERS, DEFAULT)
    cells = model["cells"]
    # Every advisor x every segment, also where no meeting was held (A3 x other).
    assert len(cells) == 4 * 4
    empty = cells[(cells["advisor"] == "A3") & (cells["segment"] == "other")].iloc[0]
    assert empty["meetings"] == 0
    assert empty["shrunk_rate"] == pytest.approx(empty["prior_rate"])
    high_adv = set(yz.high_converting_advisors(model))
    high_seg = set(yz.high_yield_segments(model))
    yellow = {(r.advisor, r.segment) for r in cells.itertuples() if r.is_yellow_zone}
    assert yellow == {(a, s) for a in high_adv for s in high_seg}
    assert yellow == {("A1", "S1")}


def test_funnel_limits_are_binomial_quantiles_turned_into_an_index():
    from scipy.stats import binom

    model = yz.build_model(TIERS, DEFAULT)
    limits = yz.funnel_limits(model, c=5.0)
    rate = model["overall"]["rate"]
    row = limits.iloc[len(limits) // 2]
    n = row["meetings"]
    assert row["low_950"] == pytest.approx((binom.ppf(0.025, n, rate) + 5) / (n * rate + 5))
    assert row["high_998"] == pytest.approx((binom.ppf(0.999, n, rate) + 5) / (n * rate + 5))
    # The funnel narrows as meetings grow (at the very start the pseudo-count holds it near 1).
    width = limits["high_950"] - limits["low_950"]
    assert width.iloc[-1] < width.max()
    assert (limits["low_998"] <= limits["low_950"]).all() and (limits["high_950"] <= limits["high_998"]).all()


def test_no_meetings_gives_an_empty_model():
    model = yz.build_model(counts([]), DEFAULT)
    assert model["cells"].empty and model["advisors"].empty and model["segments"].empty
    assert model["overall"]["n"] == 0
    assert yz.gap_from_model(model, DEFAULT)["gap"] is None
