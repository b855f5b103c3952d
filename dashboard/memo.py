"""Memoising a metric function per connection and store data version (no Streamlit).

Several metric functions are the common ground of others: the placement model behind every
yellow-zone figure, the advisor-weeks behind the division-of-labour tables. A page (on a Streamlit
cache miss) or the report calls many of those others in one go, and each used to recompute the
shared ground. ``per_data_version`` keeps its results per connection (the entry goes with the
connection) and per ``store.data_version``, so an import invalidates them exactly once, like
``dashboard.cache`` does for whole metric results. Callers get a copy, so they may modify it.
"""

from __future__ import annotations

import copy
import functools
import pickle
import threading
import weakref
from collections import OrderedDict

from dashboard import store

MAX_ENTRIES = 32  # per connection and function
_memos: list[weakref.WeakKeyDictionary] = []
_lock = threading.Lock()
_MISSING = object()


def per_data_version(fn):
    """Decorator for ``fn(con, *args, **kwargs)`` whose result depends only on the store's
    content and the (picklable) arguments."""
    entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    _memos.append(entries)

    def lookup(con, key):
        """A copy of the entry under ``key``, or _MISSING (a memoised result may be None)."""
        with _lock:
            per_con = entries.get(con)
            if per_con is None or key not in per_con:
                return _MISSING
            per_con.move_to_end(key)
            return copy.deepcopy(per_con[key])

    @functools.wraps(fn)
    def wrapper(con, *args, **kwargs):
        key = _key(con, args, kwargs)
        if key is None:
            return fn(con, *args, **kwargs)
        found = lookup(con, key)
        if found is not _MISSING:
            return found
        value = fn(con, *args, **kwargs)
        with _lock:
            per_con = entries.setdefault(con, OrderedDict())
            per_con[key] = copy.deepcopy(value)
            while len(per_con) > MAX_ENTRIES:
                per_con.popitem(last=False)
        return value

    def peek(con, *args, **kwargs):
        """The memoised result for these arguments (a copy), or None when there is none: lets a
        caller that needs one part of a shared pass read it if a page already ran the pass, and
        run a narrower query if not."""
        key = _key(con, args, kwargs)
        found = _MISSING if key is None else lookup(con, key)
        return None if found is _MISSING else found

    wrapper.peek = peek
    return wrapper


def _key(con, args: tuple, kwargs: dict):
    """(data version, pickled arguments), or None for arguments that cannot be pickled."""
    try:
        return store.data_version(con), pickle.dumps((args, sorted(kwargs.items())))
    except (TypeError, pickle.PicklingError):
        return None


def clear() -> None:
    """Forget every memoised result (the benchmark measures the cache-miss path with this)."""
    with _lock:
        for entries in _memos:
            entries.clear()
