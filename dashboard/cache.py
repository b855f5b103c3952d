"""The one caching module: metric results cached per store and data version.

Pages call ``cache.call(ctx, fn, *args, **kwargs)`` where ``fn(con, *args, **kwargs)`` is a metric
function. The cache key is (function, store key, data version, arguments): an import moves the data
version on, so cached results are invalidated exactly once, and a session workspace (its own store
key) never shares results with the shared store or another session.
"""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st


@st.cache_data(show_spinner=False, max_entries=2048)
def _cached(name: str, db_key: str, version: int, args: tuple, kwargs: dict, _con, _fn) -> Any:
    return _fn(_con, *args, **kwargs)


def call(ctx, fn: Callable, *args, **kwargs) -> Any:
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached(name, ctx.db_key, ctx.version, args, kwargs, _con=ctx.con, _fn=fn)


def clear() -> None:
    _cached.clear()
