"""Small statistics shared by the metric modules: rate objects with Wilson intervals.

A rate shown to users is always ``{"rate": r, "n": n, "low": l, "high": h}`` (metrics.md, report
contract); ``low``/``high`` are a Wilson 95% interval for raw rates.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm


def wilson(k, n, level: float = 0.95):
    """Wilson score interval for k successes in n trials; works on scalars and numpy arrays.

    n = 0 gives (nan, nan).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
        high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def rate(k, n, level: float = 0.95) -> dict:
    """The rate object for k of n (rate None when n is 0)."""
    k = int(k or 0)
    n = int(n or 0)
    if n == 0:
        return {"rate": None, "n": 0, "low": None, "high": None}
    low, high = wilson(k, n, level)
    return {"rate": k / n, "n": n, "low": low, "high": high}


def add_wilson(frame, k_col: str, n_col: str, prefix: str = "") -> "pd.DataFrame":  # noqa: F821
    """Add ``<prefix>rate``, ``<prefix>low``, ``<prefix>high`` columns to a small result frame."""
    out = frame.copy()
    k = out[k_col].to_numpy(dtype=float)
    n = out[n_col].to_numpy(dtype=float)
    low, high = wilson(k, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[f"{prefix}rate"] = np.where(n > 0, k / n, np.nan)
    out[f"{prefix}low"] = np.atleast_1d(low)
    out[f"{prefix}high"] = np.atleast_1d(high)
    return out


def is_nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))
