"""Building, right after an import, the derived tables the pages would otherwise build on first open.

Some derived tables are built lazily, once per data version, by the first query that needs them:
the target list's segments (``segments.ensure``), the business-hours calendar and its response
clocks, the labour facts and the form's pre-aggregates. At a million registrations that first open costs seconds (the form page
about 3 s), paid by whoever opens the page first after the weekly import. ``prepare`` builds them
at the end of an import instead (the command line's ``import`` and ``demo``, the app's first start
and its upload page), for what the pages show by default: every registration up to the data's latest
moment, the default settings and the default target list. A page with other filters still builds
what it needs on its first use, as before.
"""

from __future__ import annotations

import time

import duckdb

from dashboard import segments, store
from dashboard.filters import resolve_as_of
from dashboard.paths import targets_path
from dashboard.settings import DEFAULT, Settings


def default_targets() -> segments.TargetList | None:
    """The target list the app uses by default, or None (missing or invalid: pages say so)."""
    path = targets_path()
    if not path.exists():
        return None
    try:
        return segments.load_target_list(path)
    except segments.TargetListError:
        return None


def prepare(
    con: duckdb.DuckDBPyConnection, targets: segments.TargetList | None = None, settings: Settings = DEFAULT
) -> dict[str, float]:
    """Build the derived tables for the store's current data version; return seconds per step.
    ``targets``: the target list (default: the app's). Nothing to do on an empty store."""
    from dashboard.metrics import form, handoff, labour

    if store.is_empty(con):
        return {}
    targets = targets if targets is not None else default_targets()
    as_of = resolve_as_of(con)
    spent: dict[str, float] = {}

    def step(name: str, fn, *args):
        started = time.perf_counter()
        value = fn(*args)
        spent[name] = time.perf_counter() - started
        return value

    key = step("segments", segments.ensure, con, targets) if targets is not None else None
    step("response_clocks", handoff.ensure_clocks, con, settings, as_of)  # and the business calendar
    step("labour_facts", labour.ensure_facts, con)
    step("form_value_counts", form.value_counts_build, con, as_of, settings, "weeks")
    step("form_fill_counts", form.fill_counts_build, con, as_of, key)
    if targets is not None:
        available = segments.available_columns(con)
        attributes = [a for a in targets.attributes if a in available]
        step("form_unknown_counts", form.unknown_counts_build, con, as_of, key, attributes)
    return spent
