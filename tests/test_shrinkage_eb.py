"""Beta-Binomial empirical Bayes (dashboard.shrinkage): posterior, credible intervals against
scipy, the method-of-moments prior strength worked by hand, its floor and default, and recovery of
a known strength from simulated units."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta

from dashboard import shrinkage


def test_posterior_mean_and_interval_match_scipy_on_a_small_case():
    # 3 placements in 10 meetings, parent 20%, strength 20: prior Beta(4, 16), posterior Beta(7, 23).
    out = shrinkage.shrink([3], [10], [0.2], strength=20, level=0.90).iloc[0]
    assert (out["alpha"], out["beta"]) == (7, 23)
    assert out["shrunk_rate"] == pytest.approx(7 / 30)
    assert out["shrunk_low"] == pytest.approx(beta.ppf(0.05, 7, 23))
    assert out["shrunk_high"] == pytest.approx(beta.ppf(0.95, 7, 23))
    # The interval is the central 90% of the posterior, by integration.
    assert beta.cdf(out["shrunk_high"], 7, 23) - beta.cdf(out["shrunk_low"], 7, 23) == pytest.approx(0.90)


def test_several_units_each_get_their_own_posterior():
    out = shrinkage.shrink([0, 5, 40], [0, 10, 100], [0.1, 0.1, 0.5], strength=10, level=0.80)
    # No meetings: the prior itself, Beta(1, 9).
    assert out.loc[0, "shrunk_rate"] == pytest.approx(0.1)
    assert out.loc[0, "shrunk_low"] == pytest.approx(beta.ppf(0.10, 1, 9))
    # 5 of 10 towards 10%: (1 + 5) / (10 + 10) = 0.30, between the parent and the raw 50%.
    assert out.loc[1, "shrunk_rate"] == pytest.approx(0.30)
    # 40 of 100 towards 50%: (5 + 40) / 110.
    assert out.loc[2, "shrunk_rate"] == pytest.approx(45 / 110)
    assert out.loc[2, "shrunk_high"] == pytest.approx(beta.ppf(0.90, 45, 65))


def test_a_parent_of_zero_still_gives_a_proper_prior():
    out = shrinkage.shrink([0], [5], [0.0], strength=20).iloc[0]
    assert 0 < out["shrunk_rate"] < 1e-5
    assert np.isfinite(out["shrunk_high"])


def test_method_of_moments_worked_by_hand():
    # One group, two units: 0 of 20 and 10 of 20. Pooled rate 0.25, variance 0.1875.
    # T = (20 * 0.25^2 + 20 * 0.25^2) / 0.1875 = 13.33; excess over its null expectation (K - 1 = 1)
    # is 12.33; the information is N - K + 1 - sum(n^2)/N = 40 - 2 + 1 - 800/40 = 19.
    # m = 19 / 12.33 - 1 = 0.541, below the floor of 5.
    fit = shrinkage.fit_prior_strength([0, 10], [20, 20], floor=5, default=20)
    assert fit.raw == pytest.approx(19 / (40 / 3 - 1) - 1)
    assert (fit.strength, fit.source) == (5, "floor")


def test_method_of_moments_above_the_floor_by_hand():
    # Four units of 100 meetings: 10, 20, 10, 20 placements. Pooled 0.15, variance 0.1275.
    # T = 4 * 100 * 0.05^2 / 0.1275 = 7.843; excess 7.843 - 3 = 4.843;
    # information 400 - 4 + 1 - 40000/400 = 297; m = 297 / 4.843 - 1 = 60.32.
    fit = shrinkage.fit_prior_strength([10, 20, 10, 20], [100] * 4)
    t = 4 * 100 * 0.05**2 / (0.15 * 0.85)
    assert fit.source == "fit"
    assert fit.strength == pytest.approx(297 / (t - 3) - 1)


def test_no_excess_spread_falls_back_to_the_default():
    # Identical rates scatter less than binomial noise alone: the spread cannot be estimated.
    fit = shrinkage.fit_prior_strength([5, 5, 5], [20, 20, 20], floor=5, default=20)
    assert (fit.strength, fit.source, fit.raw) == (20, "default", None)
    # A single unit, or no placements at all, cannot be fit either.
    assert shrinkage.fit_prior_strength([3], [10]).source == "default"
    assert shrinkage.fit_prior_strength([0, 0], [10, 10]).source == "default"


def test_groups_are_measured_around_their_own_pooled_rate():
    # Two groups that differ from each other but are internally identical: no within-group spread.
    k = [10, 10, 50, 50]
    n = [100, 100, 100, 100]
    assert shrinkage.fit_prior_strength(k, n, groups=["a", "a", "b", "b"]).source == "default"
    # Pooled into one group, the between-group difference reads as unit-level spread.
    assert shrinkage.fit_prior_strength(k, n).source in ("fit", "floor")


def test_method_of_moments_recovers_a_planted_strength():
    rng = np.random.default_rng(3)
    units, n, mu, m = 600, 60, 0.15, 30.0
    theta = rng.beta(mu * m, (1 - mu) * m, size=units)
    k = rng.binomial(n, theta)
    fit = shrinkage.fit_prior_strength(k, np.full(units, n))
    assert fit.source == "fit"
    assert 22 < fit.strength < 42


def test_draws_follow_the_posterior():
    a, b = np.array([7.0, 45.0]), np.array([23.0, 65.0])
    d = shrinkage.draws(a, b, size=20000, seed=1)
    assert d.shape == (20000, 2)
    np.testing.assert_allclose(d.mean(axis=0), a / (a + b), atol=0.003)
    np.testing.assert_allclose(np.quantile(d[:, 0], [0.05, 0.95]), beta.ppf([0.05, 0.95], 7, 23), atol=0.01)
    # Seeded: the same seed gives the same draws.
    np.testing.assert_array_equal(d, shrinkage.draws(a, b, size=20000, seed=1))


def test_strength_draws_cover_the_planted_strength():
    rng = np.random.default_rng(5)
    groups = np.repeat(["a", "b", "c"], 15)
    mu = np.repeat([0.05, 0.10, 0.15], 15)
    n = rng.integers(20, 120, size=45)
    k = rng.binomial(n, rng.beta(mu * 40, (1 - mu) * 40))
    fit = shrinkage.fit_prior_strength(k, n, groups=groups)
    draws = shrinkage.strength_draws(k, n, groups, fit.strength, size=300, floor=5, seed=0)
    assert draws.shape == (300,)
    assert draws.min() >= 5
    low, high = np.quantile(draws, [0.05, 0.95])
    assert low < 40 < high
    assert low < fit.strength < high


def test_strength_draws_of_a_very_strong_prior_often_say_no_spread():
    n = np.full(30, 50)
    k = np.round(n * 0.10)
    draws = shrinkage.strength_draws(k, n, None, 5000.0, size=200, seed=0)
    assert (draws == shrinkage.NO_SPREAD).mean() > 0.2
    assert np.median(draws) > 1000


def test_pooled_parent_stays_inside_the_unit_interval():
    assert shrinkage.pooled_parent([0, 0], [10, 10]) == pytest.approx(0.5 / 21)
    assert 0 < shrinkage.pooled_parent([10], [10]) < 1
