"""Beta-Binomial empirical Bayes for small placement counts (metrics.md, "Shrunk rates").

A unit (a cell, an advisor, a segment) with ``k`` placements in ``n`` meetings gets a Beta prior
centred on its parent rate ``mu`` with strength ``m`` (prior pseudo-meetings):
``Beta(mu * m, (1 - mu) * m)``. Its posterior is ``Beta(mu * m + k, (1 - mu) * m + n - k)``; we
show the posterior mean and an equal-tailed credible interval, and draw from it for anything that
needs uncertainty further down (the routing gap).

``m`` is fit by the method of moments: how much more the observed rates scatter around their
parents than binomial noise alone would make them. Too little data, or no excess scatter at all,
means it cannot be fit and the default applies; the floor keeps a unit with a handful of meetings
from ever standing on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_dist

# A parent rate of exactly 0 or 1 would give a degenerate prior (alpha or beta = 0).
_EPS = 1e-6


@dataclass(frozen=True)
class PriorFit:
    """The fitted prior strength and how it was obtained (``source``: fit | floor | default)."""

    strength: float
    source: str
    raw: float | None  # the method-of-moments value before floor/default (None: not estimable)


def _moments(k: np.ndarray, n: np.ndarray, g: np.ndarray) -> tuple[float, float]:
    """(excess, information) of the method of moments; see ``fit_prior_strength``."""
    excess = 0.0  # T minus its expectation when units do not differ at all
    information = 0.0  # the coefficient of 1 / (m + 1) in E[T]
    for label in np.unique(g):
        sel = g == label
        kg, ng = k[sel], n[sel]
        units, total = int(sel.sum()), float(ng.sum())
        mu = kg.sum() / total
        if units < 2 or mu <= 0 or mu >= 1:
            continue
        t = float(np.sum(ng * (kg / ng - mu) ** 2) / (mu * (1 - mu)))
        excess += t - (units - 1)
        information += total - units + 1 - float(np.sum(ng**2)) / total
    return excess, information


def _prepare(k, n, groups) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    g = np.zeros(len(n), dtype=int) if groups is None else pd.factorize(np.asarray(groups))[0]
    keep = n > 0
    return k[keep], n[keep], g[keep]


def fit_prior_strength(
    k,
    n,
    groups=None,
    floor: float = 5.0,
    default: float = 20.0,
) -> PriorFit:
    """Method-of-moments prior strength for units whose parent is their group's pooled rate.

    With ``p_i = k_i / n_i`` and ``mu_g`` the pooled rate of unit i's group (one group when
    ``groups`` is None), ``T = sum n_i (p_i - mu_g)^2 / (mu_g (1 - mu_g))`` has expectation
    ``sum_g (K_g - 1) + sum_g (N_g - K_g + 1 - sum n_i^2 / N_g) / (m + 1)`` under the Beta-Binomial
    model (K_g units with N_g meetings in group g). Solving for ``m`` gives the estimate; groups with
    fewer than two units, or a pooled rate of 0 or 1, carry no information and are skipped.
    """
    excess, information = _moments(*_prepare(k, n, groups))
    if information <= 0 or excess <= 0:
        return PriorFit(strength=max(default, floor), source="default", raw=None)
    raw = information / excess - 1.0
    if raw < floor:
        return PriorFit(strength=floor, source="floor", raw=raw)
    return PriorFit(strength=raw, source="fit", raw=raw)


# A prior this strong pins every unit to its parent (what "no between-unit variance" means).
NO_SPREAD = 1e7


def strength_draws(k, n, groups, strength: float, size: int, floor: float = 5.0, seed: int = 0) -> np.ndarray:
    """Plausible prior strengths around the one in use: a parametric bootstrap of the moments.

    Small tables leave ``m`` poorly determined, and everything downstream of the cells (the routing
    gap above all) depends on it. Data are simulated from the model at ``strength`` (the strength
    the point estimates use, whether fitted, floored or the default), ``x = 1 / (m + 1)`` is
    re-estimated on each (``x*``), and the basic bootstrap ``2 x - x*`` is turned back into a
    strength; ``x <= 0`` means no detectable spread (``NO_SPREAD``). Returns ``size`` strengths,
    each at least ``floor``.

    The simulated tables are drawn one after another (the random stream is that of one draw at a
    time) and their moments computed all at once (``_moments_batch``: the same sums, so the same
    figures as ``_moments`` on each table).
    """
    k, n, g = _prepare(k, n, groups)
    rng = np.random.default_rng(seed)
    strength = min(max(float(strength), floor), NO_SPREAD)
    x_used = 1.0 / (strength + 1.0)
    pooled = pd.Series(k).groupby(g).sum() / pd.Series(n).groupby(g).sum()
    mu = np.clip(pooled.reindex(g).to_numpy(), _EPS, 1 - _EPS)
    n_int = n.astype(np.int64)
    k_star = np.empty((size, len(n)))
    for i in range(size):
        theta = rng.beta(mu * strength, (1 - mu) * strength)
        k_star[i] = rng.binomial(n_int, theta)
    excess, information = _moments_batch(k_star, n, g)
    positive = information > 0
    x_star = np.where(positive, excess / np.where(positive, information, 1.0), x_used)
    x = 2 * x_used - x_star
    with np.errstate(divide="ignore"):
        spread = np.minimum(np.maximum(1.0 / x - 1.0, floor), NO_SPREAD)
    return np.where(x <= 0, NO_SPREAD, spread)


def _moments_batch(k: np.ndarray, n: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_moments`` of each row of ``k`` (tables x units) against the same ``n`` and groups.

    Every sum runs over the same units in the same order as ``_moments`` does (a row of a
    C-ordered array is summed as the 1-D array would be), and a skipped group adds nothing, so each
    row gives exactly ``_moments``' figures.
    """
    rows = k.shape[0]
    excess = np.zeros(rows)
    information = np.zeros(rows)
    for label in np.unique(g):
        sel = np.flatnonzero(g == label)
        kg, ng = np.ascontiguousarray(k[:, sel]), n[sel]
        units, total = len(sel), float(ng.sum())
        if units < 2:
            continue
        mu = kg.sum(axis=1) / total
        valid = (mu > 0) & (mu < 1)
        mu_col = np.where(valid, mu, 0.5)[:, None]
        t = np.sum(ng * (kg / ng - mu_col) ** 2, axis=1) / (mu_col[:, 0] * (1 - mu_col[:, 0]))
        excess = np.where(valid, excess + (t - (units - 1)), excess)
        info_g = total - units + 1 - float(np.sum(ng**2)) / total
        information = np.where(valid, information + info_g, information)
    return excess, information


def posterior_params(k, n, parent, strength: float) -> tuple[np.ndarray, np.ndarray]:
    """Posterior Beta parameters (alpha, beta) for each unit."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    mu = np.clip(np.asarray(parent, dtype=float), _EPS, 1 - _EPS)
    return mu * strength + k, (1 - mu) * strength + (n - k)


def credible_interval(alpha, beta, level: float = 0.90) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed credible interval of Beta(alpha, beta)."""
    tail = (1 - level) / 2
    return beta_dist.ppf(tail, alpha, beta), beta_dist.ppf(1 - tail, alpha, beta)


def shrink(k, n, parent, strength: float, level: float = 0.90) -> pd.DataFrame:
    """Posterior mean and credible interval per unit, with its Beta parameters.

    Columns: ``shrunk_rate``, ``shrunk_low``, ``shrunk_high``, ``alpha``, ``beta``, ``prior_rate``.
    """
    a, b = posterior_params(k, n, parent, strength)
    low, high = credible_interval(a, b, level)
    return pd.DataFrame(
        {
            "shrunk_rate": a / (a + b),
            "shrunk_low": np.atleast_1d(low),
            "shrunk_high": np.atleast_1d(high),
            "alpha": a,
            "beta": b,
            "prior_rate": np.clip(np.asarray(parent, dtype=float), _EPS, 1 - _EPS) * np.ones_like(a),
        }
    )


def draws(alpha, beta, size: int, seed: int = 0) -> np.ndarray:
    """``size`` joint posterior draws, shape (size, *alpha.shape); units are independent."""
    rng = np.random.default_rng(seed)
    a = np.asarray(alpha, dtype=float)
    b = np.asarray(beta, dtype=float)
    return rng.beta(a, b, size=(size, *a.shape))


def pooled_parent(k, n) -> float:
    """The top-level parent (overall rate) kept strictly inside (0, 1): (K + 0.5) / (N + 1)."""
    return (float(np.sum(k)) + 0.5) / (float(np.sum(n)) + 1.0)
