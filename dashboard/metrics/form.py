"""Registration form (metrics.md, "Registration form"): fill rates, segment identifiability, each
field's value for the outcome, and the required / optional / drop recommendation per field.

The form fields are the attribute columns of ``candidates`` (``store.attribute_columns``). Their set
differs per store, so the queries in ``queries/form/`` carry ``/* @... */`` markers where this module
splices in the column names, each validated against the real schema and quoted; values are always
bound parameters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import weakref

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import chi2

from dashboard import segments, sql, stats, store
from dashboard.filters import Filters, resolve_as_of, with_as_of
from dashboard.settings import DEFAULT, Settings

RECOMMENDATIONS = ("required", "optional", "drop")
EMPTY_BIN = "(empty)"


# --- running the field templates -------------------------------------------------------------

def form_fields(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Form field name -> DuckDB type: the candidate attribute columns."""
    return store.attribute_columns(con)


def field_labels(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Field -> the export's header it came from (the field name itself when unknown)."""
    frame = sql.run(con, "form/field_labels")
    labels = {f: f for f in form_fields(con)}
    for row in frame.itertuples():
        if row.field in labels and isinstance(row.source_header, str) and row.source_header.strip():
            labels[row.field] = row.source_header
    return labels


def _is_numeric(dtype: str) -> bool:
    upper = dtype.upper()
    return upper in {"DOUBLE", "FLOAT", "REAL", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT"} or (
        upper.startswith("DECIMAL")
    )


def _field_text(con: duckdb.DuckDBPyConnection, name: str, fields: list[str]) -> tuple[str, sql.Query]:
    """A field template's text with ``fields`` spliced in as validated, quoted column names."""
    allowed = segments.available_columns(con)
    quoted = [sql.quote_identifier(f, set(allowed)) for f in fields]
    query = sql.load(name)
    text = (
        query.text.replace("/* @cast_fields */", ", ".join(f"cast(c.{q} as varchar) as {q}" for q in quoted))
        .replace("/* @select_fields */", ", ".join(f"c.{q}" for q in quoted))
        .replace("/* @fields */", ", ".join(quoted))
        .replace("/* @filled_flags */", ", ".join(f"{_filled_flag(q, allowed[f])} as {q}" for f, q in zip(fields, quoted)))
        .replace("/* @filled_sums */", ", ".join(f"cast(sum({q}) as bigint) as {q}" for q in quoted))
        .replace("/* @filled_columns */", ", ".join(f"{q} bigint" for q in quoted))
        .replace("/* @filled_columns_read */", ", ".join(quoted))
        .replace("/* @text_fields */", ", ".join(f"cast(c.{q} as varchar)" for q in quoted))
        .replace("/* @typed_fields */", ", ".join(
            f"cast(vals[{i}] as {allowed[f]}) as {q}" for i, (f, q) in enumerate(zip(fields, quoted), start=1)))
    )
    return text, query


def _run_fields(con: duckdb.DuckDBPyConnection, name: str, fields: list[str], **params) -> pd.DataFrame:
    """Run a field template with ``fields`` spliced in as validated, quoted column names."""
    text, query = _field_text(con, name, fields)
    return _run_text(con, text, query.bind(params))


def _run_text(con: duckdb.DuckDBPyConnection, text: str, params: dict) -> pd.DataFrame:
    """Run a query on its own cursor; on a store opened read-only that lacks the pre-aggregate
    tables, the cursor first makes them as (empty) temporary tables of its own: a temporary
    table is seen only by the cursor that made it."""
    cur = con.cursor()
    try:
        for ddl in _temporary_tables.get(con, ()):
            cur.execute(ddl)
        return cur.execute(text, params).df()
    finally:
        cur.close()


def _filled_flag(quoted: str, dtype: str) -> str:
    """1 when the field is filled (neither null nor blank), else 0. Only text can be blank, and
    formatting every number as text just to trim it would be the costliest step of the query."""
    if dtype.upper() == "VARCHAR":
        return f"case when c.{quoted} is not null and trim(c.{quoted}) <> '' then 1 else 0 end"
    if _is_numeric(dtype):
        return f"case when c.{quoted} is not null then 1 else 0 end"
    return f"case when c.{quoted} is not null and trim(cast(c.{quoted} as varchar)) <> '' then 1 else 0 end"


# --- fill rates ------------------------------------------------------------------------------

FILL_COLUMNS = ["scope", "group_value", "field", "candidates", "filled", "fill_rate", "fill_low", "fill_high"]


def fill_rates(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), segmentation: str | None = None
) -> pd.DataFrame:
    """Fill rate per field: one row per (scope, group_value, field); scope is overall | channel |
    form_version | segment (segment rows only when ``segmentation`` is given).

    Registrations and filled fields come from the pre-aggregate ``form_fill_counts`` (built once
    per data version, as-of moment and segmentation: ``fill_counts_build``) for the whole cohort
    weeks it can serve, and are counted candidate by candidate for the rest, as in
    ``field_outcomes``."""
    fields = list(form_fields(con))
    if not fields:
        return pd.DataFrame(columns=FILL_COLUMNS)
    filters = with_as_of(con, filters)
    _ensure_fill_tables(con, fields)
    plan = _build_plan(filters) if filters.as_of is not None else None
    build = fill_counts_build(con, filters.as_of, segmentation) if plan is not None else None
    _, build_from, build_to = plan if build is not None else (None, None, None)
    frame = _run_fields(
        con, "form/fill_rates", fields, segmentation=segmentation, build=build, build_from=build_from,
        build_to=build_to, **filters.params(),
    )
    frame = stats.add_wilson(frame, "filled", "candidates", prefix="fill_")
    return frame[FILL_COLUMNS]


def fill_counts_build(
    con: duckdb.DuckDBPyConnection, as_of: dt.datetime, segmentation: str | None = None
) -> str | None:
    """The key of the form_fill_counts build for the current data version, ``as_of`` and
    ``segmentation``, built now if missing (lazily, like ``value_counts_build``; only for the
    data's own as-of moment; None where it cannot be built: the caller counts row by row)."""
    fields = list(form_fields(con))
    _ensure_fill_tables(con, fields)
    version = store.data_version(con)
    key = "|".join([
        str(version), pd.Timestamp(as_of).isoformat(), repr(segmentation),
        hashlib.sha256(repr(sorted(form_fields(con).items())).encode("utf-8")).hexdigest()[:12],
    ])
    if _has_build_of(con, "fill", key):
        return key
    if pd.Timestamp(as_of) != pd.Timestamp(resolve_as_of(con)):
        return None
    text, query = _field_text(con, "form/fill_counts_build", fields)
    params = query.bind({
        "build": key, "segmentation": segmentation, "as_of": as_of,
        "start": None, "end": None, "team": None, "channel": None, "handler": None, "advisor": None,
    })
    return _build_once(con, "fill", key, version, text, params)


_FILL_BASE_COLUMNS = [
    "build", "cohort_week", "team", "channel", "handler", "form_version", "segment", "is_target", "candidates",
]


def _ensure_fill_tables(con: duckdb.DuckDBPyConnection, fields: list[str]) -> None:
    """form_fill_counts exists with one column per form field (made again, empty, when the fields
    changed: an import added one), and form_fill_builds beside it."""
    cur = con.cursor()
    try:
        columns = [r[0] for r in cur.execute(
            "select column_name from information_schema.columns where table_name = 'form_fill_counts' "
            "order by ordinal_position").fetchall()]
    finally:
        cur.close()
    if columns == _FILL_BASE_COLUMNS + fields:
        return
    text, _ = _field_text(con, "form/fill_counts_table", fields)
    try:
        with store.write_transaction(con) as cur:
            if columns:
                cur.execute("drop table form_fill_counts")
                cur.execute("drop table if exists form_fill_builds")
            cur.execute(text)
    except duckdb.Error:  # a store opened read-only: temporary tables per query cursor instead
        _make_tables_locked(con, text)



# --- field value -----------------------------------------------------------------------------

OUTCOME_COLUMNS = [
    "field", "bin", "bin_order", "is_filled", "bin_low", "bin_high", "candidates",
    "meeting_candidates", "meetings", "placement_candidates", "placements",
]


def field_outcomes(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), settings: Settings = DEFAULT
) -> pd.DataFrame:
    """The contingency table: one row per (field, bin) with candidates, mature meeting base and
    meetings, mature placement base and placements (see queries/form/field_outcomes.sql).

    The candidates per (field, value, outcome flags) come from the pre-aggregate
    ``form_value_counts`` (built once per data version, as-of moment and windows: see
    ``value_counts_build``) for the whole cohort weeks it can serve, and are counted row by row
    only for the rest (a period's partial weeks; everything when the as-of moment is not the
    data's latest or the advisor filter is set). Both paths give the same table."""
    columns = form_fields(con)
    filters = with_as_of(con, filters)
    if not columns or filters.as_of is None:
        return pd.DataFrame(columns=OUTCOME_COLUMNS)
    _ensure_tables(con)
    plan = _build_plan(filters)
    build = None
    if plan is not None:
        build = value_counts_build(con, filters.as_of, settings, "weeks" if plan[0] in ("all", "week") else "cells")
    grain, build_from, build_to = plan if build is not None else (None, None, None)
    return _run_fields(
        con,
        "form/field_outcomes",
        list(columns),
        meeting_window_days=settings.meeting_window_days,
        placement_window_days=settings.placement_window_days,
        numeric_fields=[f for f, t in columns.items() if _is_numeric(t)],
        top_k=settings.form_top_k,
        build=build,
        grain=grain,
        build_from=build_from,
        build_to=build_to,
        **filters.params(),
    )


# --- the pre-aggregate of field values -------------------------------------------------------

def _build_plan(filters: Filters) -> tuple[str, dt.date | None, dt.date | None] | None:
    """(grain, first week, last week) of form_value_counts that serve ``filters``, or None when
    the build cannot (the advisor filter is not among its columns; a period without a whole week).
    The weeks are Mondays (cohort weeks) lying wholly inside the period; null = open."""
    if filters.advisor is not None:
        return None
    first = last = None
    if filters.start is not None:
        first = filters.start + dt.timedelta(days=(7 - filters.start.weekday()) % 7)
    if filters.end is not None:
        # the Monday of the last week that ends (Sunday) on or before the end date
        last = filters.end - dt.timedelta(days=filters.end.weekday()) - (
            dt.timedelta(0) if filters.end.weekday() == 6 else dt.timedelta(days=7)
        )
    if first is not None and last is not None and first > last:
        return None
    scopes = [
        name for name, on in (
            ("week", first is not None or last is not None), ("team", filters.team is not None),
            ("channel", filters.channel is not None), ("handler", filters.handler is not None),
        ) if on
    ]
    grain = "all" if not scopes else scopes[0] if len(scopes) == 1 else "cell"
    return grain, first, last


def _build_key(con: duckdb.DuckDBPyConnection, as_of: dt.datetime, settings: Settings, kind: str) -> str:
    """What a build depends on: the data version, the as-of moment, the outcome windows, the
    form fields with their types, and its kind (the grains it holds)."""
    fields = hashlib.sha256(repr(sorted(form_fields(con).items())).encode("utf-8")).hexdigest()[:12]
    return "|".join([
        str(store.data_version(con)), pd.Timestamp(as_of).isoformat(),
        repr(float(settings.meeting_window_days)), repr(float(settings.placement_window_days)), fields, kind,
    ])


def value_counts_build(
    con: duckdb.DuckDBPyConnection, as_of: dt.datetime, settings: Settings = DEFAULT, kind: str = "weeks"
) -> str | None:
    """The key of the form_value_counts build of ``kind`` for the current data version, ``as_of``
    and the outcome windows, built now if missing (like segments.ensure: lazily, once per data
    version). Kinds (queries/form/value_counts_build.sql): 'weeks' (grains all and week, for the
    page without filters or with a period) and 'cells' (grains team, channel, handler and cell;
    costlier, so built only when one of those filters is first used).
    Only the data's own as-of moment (its latest timestamp, what the pages use) is built; for any
    other, and where the store cannot be written, None: the caller counts row by row."""
    if kind not in ("weeks", "cells"):
        raise ValueError(f"unknown build kind {kind!r}")
    _ensure_tables(con)
    key = _build_key(con, as_of, settings, kind)
    if _has_build_of(con, "value", key):
        return key
    if pd.Timestamp(as_of) != pd.Timestamp(resolve_as_of(con)):
        return None
    version = store.data_version(con)
    columns = list(form_fields(con))
    text, query = _field_text(con, "form/value_counts_build", columns)
    params = query.bind({
        "build": key, "kind": kind, "as_of": as_of, "meeting_window_days": settings.meeting_window_days,
        "placement_window_days": settings.placement_window_days,
        "start": None, "end": None, "team": None, "channel": None, "handler": None, "advisor": None,
    })
    return _build_once(con, "value", key, version, text, params)


_tables_made: "weakref.WeakSet" = weakref.WeakSet()


_temporary_tables: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _make_tables(con: duckdb.DuckDBPyConnection, cur: duckdb.DuckDBPyConnection, text: str) -> None:
    """Run a pre-aggregate's ``create table if not exists`` statements; on a store that cannot be
    written (opened read-only), remember them as temporary tables that every query cursor of
    ``con`` makes for itself (``_run_text``), so the queries still run, counting row by row."""
    try:
        cur.execute(text)
    except duckdb.Error:
        ddl = text.replace("create table if not exists", "create temp table if not exists")
        known = _temporary_tables.setdefault(con, [])
        if ddl not in known:
            known.append(ddl)


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """form_value_counts and form_value_builds exist (empty until a build), so form/field_outcomes
    can read them on any store; created once per connection (as temporary tables on a store opened
    read-only that lacks them)."""
    _ensure_made(con, "form/value_counts_table", _tables_made)


def _ensure_made(con: duckdb.DuckDBPyConnection, table_query: str, made: "weakref.WeakSet") -> None:
    if con in made:
        return
    _make_tables_locked(con, sql.load(table_query).text)
    made.add(con)


def _make_tables_locked(con: duckdb.DuckDBPyConnection, text: str) -> None:
    with store.write_lock():
        cur = con.cursor()
        try:
            _make_tables(con, cur, text)
        finally:
            cur.close()



# The pre-aggregates: (counts table, builds table) by kind. Fixed names, never from user input.
_BUILD_TABLES = {
    "value": ("form_value_counts", "form_value_builds"),
    "fill": ("form_fill_counts", "form_fill_builds"),
    "unknown": ("form_unknown_counts", "form_unknown_builds"),
}


def _has_build_of(con: duckdb.DuckDBPyConnection, kind: str, key: str) -> bool:
    cur = con.cursor()
    try:
        row = cur.execute(f"select count(*) from {_BUILD_TABLES[kind][1]} where build = $k", {"k": key}).fetchone()
    except duckdb.CatalogException:
        return False
    finally:
        cur.close()
    return bool(row and row[0])


def _build_once(con: duckdb.DuckDBPyConnection, kind: str, key: str, version: int, text: str, params: dict) -> str | None:
    """Run a pre-aggregate's build (``text`` inserts the rows of build ``key``) unless another
    session has just done it: under the store's write lock, in one transaction that also drops the
    builds of older data versions (other builds of this version stay). None where the store
    cannot be written: the caller then counts row by row."""
    counts, builds = _BUILD_TABLES[kind]
    try:
        with store.write_transaction(con) as cur:
            if _has_build_of(cur, kind, key):
                return key
            cur.execute(f"delete from {counts} where build in "
                        f"(select build from {builds} where data_version <> $v)", {"v": version})
            cur.execute(f"delete from {builds} where data_version <> $v", {"v": version})
            cur.execute(text, params)
            cur.execute(f"insert into {builds} (build, data_version) values ($k, $v)", {"k": key, "v": version})
    except duckdb.Error:
        return None
    return key


def _entropy(counts: np.ndarray) -> float:
    total = counts.sum()
    if total <= 0:
        return 0.0
    p = counts[counts > 0] / total
    return float(-(p * np.log(p)).sum())


def mutual_information(table) -> float:
    """Mutual information (nats) of a contingency table (rows: field bins, columns: outcome)."""
    counts = np.asarray(table, dtype=float)
    total = counts.sum()
    if total <= 0:
        return 0.0
    joint = counts / total
    rows = joint.sum(axis=1, keepdims=True)
    cols = joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float(max((joint[nz] * np.log(joint[nz] / (rows @ cols)[nz])).sum(), 0.0))


def nmi(table) -> float:
    """Normalised mutual information, I(X;Y) / mean(H(X), H(Y)) (the arithmetic normalisation):
    0 when the field says nothing about the outcome, 1 when it decides it. 0 when neither varies."""
    counts = np.asarray(table, dtype=float)
    denominator = (_entropy(counts.sum(axis=1)) + _entropy(counts.sum(axis=0))) / 2
    if denominator <= 0:
        return 0.0
    return mutual_information(counts) / denominator


def g_test_p(table) -> float:
    """p-value of the G-test of independence (G = 2 N I in nats, chi-square with (r-1)(c-1) df)."""
    counts = np.asarray(table, dtype=float)
    counts = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    if counts.size == 0:
        return 1.0
    dof = (counts.shape[0] - 1) * (counts.shape[1] - 1)
    if dof <= 0:
        return 1.0
    g = 2 * counts.sum() * mutual_information(counts)
    return float(chi2.sf(g, dof))


def _guarded_rate(k: float, n: float, min_n: int) -> tuple[float, float, float, int]:
    """(rate, low, high, n), the rate left out (nan) when n is below the minimum."""
    n = int(n)
    if n < min_n or n == 0:
        return math.nan, math.nan, math.nan, n
    low, high = stats.wilson(k, n)
    return k / n, low, high, n


VALUE_COLUMNS = [
    "field", "bins", "meeting_n", "nmi_meeting", "p_meeting", "placement_n", "nmi_placement", "p_placement",
    "meeting_rate_filled", "meeting_low_filled", "meeting_high_filled", "meeting_n_filled",
    "meeting_rate_empty", "meeting_low_empty", "meeting_high_empty", "meeting_n_empty",
    "placement_rate_filled", "placement_low_filled", "placement_high_filled", "placement_n_filled",
    "placement_rate_empty", "placement_low_empty", "placement_high_empty", "placement_n_empty",
    "p_filled_meeting", "p_filled_placement",
]


def value_from_outcomes(outcomes: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Per field: NMI and G-test p for meeting and placement, and outcome rates filled vs empty
    (a rate below ``min_n`` candidates is left empty, NMI too)."""
    rows = []
    for field, group in outcomes.groupby("field", sort=False):
        row: dict = {"field": field, "bins": int(len(group))}
        for outcome, base, hits in (
            ("meeting", "meeting_candidates", "meetings"),
            ("placement", "placement_candidates", "placements"),
        ):
            n_col = group[base].to_numpy(dtype=float)
            k_col = group[hits].to_numpy(dtype=float)
            table = np.column_stack([k_col, n_col - k_col])
            total = int(n_col.sum())
            row[f"{outcome}_n"] = total
            if total >= min_n:
                row[f"nmi_{outcome}"] = nmi(table)
                row[f"p_{outcome}"] = g_test_p(table)
            else:
                row[f"nmi_{outcome}"] = math.nan
                row[f"p_{outcome}"] = math.nan
            filled = group["is_filled"].astype(bool).to_numpy()
            for side, mask in (("filled", filled), ("empty", ~filled)):
                rate, low, high, n = _guarded_rate(k_col[mask].sum(), n_col[mask].sum(), min_n)
                row[f"{outcome}_rate_{side}"] = rate
                row[f"{outcome}_low_{side}"] = low
                row[f"{outcome}_high_{side}"] = high
                row[f"{outcome}_n_{side}"] = n
            # Does filling the field at all go with the outcome? (2 x 2: filled/empty x outcome)
            split = np.array([table[filled].sum(axis=0), table[~filled].sum(axis=0)])
            enough = split.sum(axis=1).min() >= min_n
            row[f"p_filled_{outcome}"] = g_test_p(split) if enough else math.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=VALUE_COLUMNS)


def field_value(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), settings: Settings = DEFAULT
) -> pd.DataFrame:
    """How much each field tells about meeting (14 d) and placement (120 d after the meeting)."""
    return value_from_outcomes(field_outcomes(con, filters, settings), settings.form_min_n)


# --- segment identifiability -----------------------------------------------------------------

MISSING_COLUMNS = ["field", "unknown_candidates", "share_of_unknown", "sole_missing", "rules", "in_data"]


def blocking_rule(targets: segments.TargetList, record: dict) -> tuple[str | None, tuple[str, ...]]:
    """The rule that left a record ``unknown`` and the attributes it missed (mirrors
    ``segments.classify``): (None, ()) when the record is decided."""
    for rule in targets.rules:
        results = [(c.attribute, c.matches(record.get(c.attribute))) for c in rule.conditions]
        if any(r is False for _, r in results):
            continue
        missing = tuple(dict.fromkeys(a for a, r in results if r is None))
        return (rule.name, missing) if missing else (None, ())
    return None, ()


def identifiability(
    con: duckdb.DuckDBPyConnection, filters: Filters = Filters(), targets: segments.TargetList | None = None
) -> dict | None:
    """Share of registrations whose target segment the form decides, the registrations per segment,
    and which missing fields most often leave a registration ``unknown``. None without a target list."""
    if targets is None:
        return None
    filters = with_as_of(con, filters)
    key = segments.ensure(con, targets)
    # The registrations per segment come from the fill-rate pre-aggregate where it serves.
    plan = _build_plan(filters) if filters.as_of is not None else None
    build = fill_counts_build(con, filters.as_of, key) if plan is not None else None
    _, build_from, build_to = plan if build is not None else (None, None, None)
    _ensure_fill_tables(con, list(form_fields(con)))
    counts = _run_fields(
        con, "form/segment_counts", [], segmentation=key, build=build, build_from=build_from, build_to=build_to,
        **filters.params(),
    )
    total = int(counts["candidates"].sum())
    unknown = int(counts.loc[counts["segment"] == segments.UNKNOWN, "candidates"].sum())
    available = segments.available_columns(con)
    in_data = [a for a in targets.attributes if a in available]
    missing = _missing_fields(con, filters, targets, key, in_data, available, unknown)
    return {
        "segmentation": key,
        "identified": stats.rate(total - unknown, total),
        "unknown": unknown,
        "registrations": total,
        "segments": counts,
        "missing": missing,
    }


def _missing_fields(con, filters, targets, key, in_data, available, unknown_total) -> pd.DataFrame:
    attrs = targets.attributes
    if unknown_total == 0 or not attrs:
        return pd.DataFrame(columns=MISSING_COLUMNS)
    if in_data:
        # Without filters the combinations come from a pre-aggregate (at a finer grain it would be
        # nearly a row per candidate: a filtered page counts row by row).
        plan = _build_plan(filters) if filters.as_of is not None else None
        build = None
        if plan is not None and plan[0] == "all":
            build = unknown_counts_build(con, filters.as_of, key, in_data)
        _ensure_unknown_tables(con)
        values = _run_fields(con, "form/unknown_values", in_data, segmentation=key, build=build, **filters.params())
        combos = values[in_data].astype(object)
        grouped = combos.where(combos.notna(), None).assign(candidates=values["candidates"].to_numpy())
    else:
        # None of the rules' attributes is in the data: every unknown registration misses them all.
        grouped = pd.DataFrame({"candidates": [unknown_total]})
    counts: dict[str, list] = {a: [0, 0, set()] for a in attrs}
    for pattern, n in _condition_patterns(targets, grouped):
        rule, missed = _blocking_rule_of(targets, pattern)
        for attribute in missed:
            counts[attribute][0] += n
            counts[attribute][2].add(rule)
            if len(missed) == 1:
                counts[attribute][1] += n
    rule_order = {name: i for i, name in enumerate(targets.segment_names())}
    rows = [
        {
            "field": attribute,
            "unknown_candidates": n,
            "share_of_unknown": n / unknown_total,
            "sole_missing": sole,
            "rules": ", ".join(sorted(rules, key=rule_order.get)),
            "in_data": attribute in available,
        }
        for attribute, (n, sole, rules) in counts.items()
        if n > 0
    ]
    frame = pd.DataFrame(rows, columns=MISSING_COLUMNS)
    return frame.sort_values(["unknown_candidates", "field"], ascending=[False, True], ignore_index=True)


def _condition_patterns(targets: segments.TargetList, grouped: pd.DataFrame) -> list[tuple[tuple, int]]:
    """The combinations grouped by what every rule condition says of them: (results, candidates)
    per distinct tuple of ``Condition.matches`` results (True / False / None, rule by rule,
    condition by condition). Which rule leaves a combination unknown, and for want of which
    attributes, depends on nothing else (``blocking_rule``), so a few hundred patterns stand for
    thousands of combinations. An empty value (null, NaN) is None, as in a record."""
    conditions = [c for rule in targets.rules for c in rule.conditions]
    n_rows = len(grouped)
    codes = np.zeros((n_rows, len(conditions)), dtype=np.int8)  # 0 False, 1 True, 2 None
    for j, condition in enumerate(conditions):
        if condition.attribute in grouped.columns:
            index, uniques = pd.factorize(grouped[condition.attribute], use_na_sentinel=True)
            table = np.array(
                [_match_code(condition.matches(v.item() if hasattr(v, "item") else v)) for v in uniques]
                + [_match_code(condition.matches(None))],
                dtype=np.int8,
            )
            codes[:, j] = table[index]  # the sentinel -1 picks the last entry: None
        else:
            codes[:, j] = _match_code(condition.matches(None))
    candidates = grouped["candidates"].to_numpy(dtype=np.int64)
    if n_rows == 0:
        return []
    patterns, inverse = np.unique(codes, axis=0, return_inverse=True)
    totals = np.zeros(len(patterns), dtype=np.int64)
    np.add.at(totals, inverse.reshape(-1), candidates)
    decode = {0: False, 1: True, 2: None}
    return [(tuple(decode[int(x)] for x in row), int(n)) for row, n in zip(patterns, totals)]


def _match_code(result: bool | None) -> int:
    return 2 if result is None else int(bool(result))


def _blocking_rule_of(targets: segments.TargetList, pattern: tuple) -> tuple[str | None, tuple[str, ...]]:
    """``blocking_rule`` from the conditions' results (in rule and condition order) instead of a record."""
    position = 0
    for rule in targets.rules:
        results = [(c.attribute, pattern[position + i]) for i, c in enumerate(rule.conditions)]
        position += len(rule.conditions)
        if any(r is False for _, r in results):
            continue
        missing = tuple(dict.fromkeys(a for a, r in results if r is None))
        return (rule.name, missing) if missing else (None, ())
    return None, ()


def unknown_counts_build(
    con: duckdb.DuckDBPyConnection, as_of: dt.datetime, segmentation: str, attributes: list[str]
) -> str | None:
    """The key of the form_unknown_counts build (combinations of ``attributes`` among the unknown
    registrations of ``segmentation``, no filter) for the current data version and ``as_of``,
    built now if missing (lazily, like ``value_counts_build``; only for the data's own as-of
    moment; None where it cannot be built: the caller counts row by row)."""
    _ensure_unknown_tables(con)
    version = store.data_version(con)
    columns = segments.available_columns(con)
    key = "|".join([
        str(version), pd.Timestamp(as_of).isoformat(), segmentation,
        repr([(a, columns.get(a)) for a in attributes]),
    ])
    if _has_build_of(con, "unknown", key):
        return key
    if pd.Timestamp(as_of) != pd.Timestamp(resolve_as_of(con)):
        return None
    text, query = _field_text(con, "form/unknown_counts_build", attributes)
    params = query.bind({
        "build": key, "segmentation": segmentation, "as_of": as_of,
        "start": None, "end": None, "team": None, "channel": None, "handler": None, "advisor": None,
    })
    return _build_once(con, "unknown", key, version, text, params)


_unknown_tables_made: "weakref.WeakSet" = weakref.WeakSet()


def _ensure_unknown_tables(con: duckdb.DuckDBPyConnection) -> None:
    _ensure_made(con, "form/unknown_counts_table", _unknown_tables_made)



# --- recommendation --------------------------------------------------------------------------

def recommend(
    fill_rate: float | None,
    identifies_segment: bool,
    value: float | None,
    p_value: float | None,
    p_filled: float | None = None,
    settings: Settings = DEFAULT,
) -> tuple[str, str]:
    """(recommendation, reason code) for one field. In words (the catalogue says the same):
    - a field a target-list rule reads is required (without it the segment stays unknown);
    - too few mature registrations to judge: optional;
    - NMI with the 14-day meeting at least ``form_value_required`` and significant: required;
    - little value (NMI below ``form_value_low`` or not significant) but registrants who fill it
      meet at a significantly different rate from those who do not (``p_filled``): optional,
      it is an intent signal worth keeping;
    - little value, no such difference and filled by fewer than ``form_fill_low``: drop;
    - little value but filled often: optional; anything between: optional.
    """
    if identifies_segment:
        return "required", "identifies_segment"
    if value is None or _nan(value):
        return "optional", "too_little_data"
    alpha = settings.form_value_alpha
    significant = p_value is not None and not _nan(p_value) and p_value < alpha
    if significant and value >= settings.form_value_required:
        return "required", "high_value"
    if significant and value >= settings.form_value_low:
        return "optional", "some_value"
    if p_filled is not None and not _nan(p_filled) and p_filled < alpha:
        return "optional", "signal_when_filled"
    if fill_rate is not None and not _nan(fill_rate) and fill_rate < settings.form_fill_low:
        return "drop", "low_value_low_fill"
    return "optional", "low_value"


def _nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)


SUMMARY_COLUMNS = [
    "field", "label", "data_type", "candidates", "filled", "fill_rate", "fill_low", "fill_high",
    "identifies_segment", "rules", "value", "p_meeting", "nmi_placement", "p_placement", "meeting_n",
    "meeting_rate_filled", "meeting_low_filled", "meeting_high_filled", "meeting_n_filled",
    "meeting_rate_empty", "meeting_low_empty", "meeting_high_empty", "meeting_n_empty",
    "placement_rate_filled", "placement_n_filled", "placement_rate_empty", "placement_n_empty",
    "p_filled_meeting", "recommendation", "reason_code",
]


def field_summary(
    con: duckdb.DuckDBPyConnection,
    filters: Filters = Filters(),
    settings: Settings = DEFAULT,
    targets: segments.TargetList | None = None,
) -> pd.DataFrame:
    """One row per form field: overall fill rate, whether a target-list rule reads it, its value
    (NMI with the 14-day meeting), outcome rates filled vs empty, and the recommendation."""
    columns = form_fields(con)
    if not columns:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    outcomes = field_outcomes(con, filters, settings)
    # The contingency table already counts every registration per bin: the overall fill rate
    # comes with it (the same figure as fill_rates' overall rows, without a second pass).
    fills = (
        outcomes.assign(filled=outcomes["candidates"].where(outcomes["is_filled"].astype(bool), 0))
        .groupby("field", as_index=False)[["candidates", "filled"]]
        .sum()
    )
    fills = stats.add_wilson(fills, "filled", "candidates", prefix="fill_")
    value = value_from_outcomes(outcomes, settings.form_min_n).rename(columns={"nmi_meeting": "value"})
    labels = field_labels(con)
    frame = pd.DataFrame(
        {"field": list(columns), "label": [labels[f] for f in columns], "data_type": list(columns.values())}
    )
    frame = frame.merge(fills, on="field", how="left").merge(value, on="field", how="left")
    rules_by_field: dict[str, list[str]] = {}
    for rule in (targets.rules if targets is not None else ()):
        for c in rule.conditions:
            rules_by_field.setdefault(c.attribute, [])
            if rule.name not in rules_by_field[c.attribute]:
                rules_by_field[c.attribute].append(rule.name)
    frame["identifies_segment"] = frame["field"].map(lambda f: f in rules_by_field)
    frame["rules"] = frame["field"].map(lambda f: ", ".join(rules_by_field.get(f, [])))
    decided = [
        recommend(
            _float(r.fill_rate), bool(r.identifies_segment), _float(r.value), _float(r.p_meeting),
            _float(r.p_filled_meeting), settings,
        )
        for r in frame.itertuples()
    ]
    frame["recommendation"] = [d[0] for d in decided]
    frame["reason_code"] = [d[1] for d in decided]
    return frame[SUMMARY_COLUMNS]


def _float(x) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return None
    return float(x)


# --- report ----------------------------------------------------------------------------------

def _rate_obj(rate, low, high, n) -> dict:
    rate, low, high = _float(rate), _float(low), _float(high)
    return {"rate": rate, "n": int(n) if n is not None and not _nan(n) else 0, "low": low, "high": high}


def report_section(con: duckdb.DuckDBPyConnection, rc) -> dict:
    """Report keys ``form_fields`` and ``segment_identifiability`` (docs/report-keys-form.md)."""
    if store.is_empty(con):
        return {"form_fields": [], "segment_identifiability": None}
    summary = field_summary(con, rc.filters, rc.settings, rc.targets)
    fields = []
    for r in summary.itertuples():
        fields.append(
            {
                "field": r.field,
                "fill_rate": _rate_obj(r.fill_rate, r.fill_low, r.fill_high, r.candidates),
                "identifies_segment": bool(r.identifies_segment),
                "value": _float(r.value),
                "value_placement": _float(r.nmi_placement),
                "outcome_rate_filled": _rate_obj(
                    r.meeting_rate_filled, r.meeting_low_filled, r.meeting_high_filled, r.meeting_n_filled
                ),
                "outcome_rate_empty": _rate_obj(
                    r.meeting_rate_empty, r.meeting_low_empty, r.meeting_high_empty, r.meeting_n_empty
                ),
                "recommendation": r.recommendation,
                "reason_code": r.reason_code,
            }
        )
    ident = identifiability(con, rc.filters, rc.targets)
    section = None
    if ident is not None:
        section = {
            "identified": ident["identified"],
            "unknown": ident["unknown"],
            "missing_fields": [
                {"field": m.field, "unknown_candidates": int(m.unknown_candidates),
                 "share_of_unknown": float(m.share_of_unknown), "sole_missing": int(m.sole_missing)}
                for m in ident["missing"].itertuples()
            ],
        }
    return {"form_fields": fields, "segment_identifiability": section}
