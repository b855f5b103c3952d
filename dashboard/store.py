"""The canonical store: one DuckDB file, its schema, its data version and its derived tables.

Everything that writes to the store goes through here or through ``dashboard.importer``; the
``data_version`` counter goes up once per committed change, and every cache is keyed on it so an
import invalidates cached results exactly once.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from pathlib import Path

import duckdb

from dashboard import sql
from dashboard.paths import QUERIES_DIR

CANONICAL_TABLES = ("candidates", "events", "staff", "activities", "imports", "rejected_rows")
_lock = threading.Lock()


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and, when writable, create or migrate) a store. ``None`` or ``":memory:"``: in memory."""
    target = ":memory:" if path in (None, ":memory:") else str(path)
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(target, read_only=read_only)
    if not read_only:
        ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for path in sorted((QUERIES_DIR / "schema").glob("*.sql")):
        con.execute(path.read_text(encoding="utf-8"))
    if not _table_exists(con, "candidate_funnel"):
        sql.execute(con, "build/candidate_funnel")
        _record_build(con)
    elif derived_stale(con) or _built_by(con) != _build_fingerprint():
        # A batch import committed files but stopped before its final refresh (the process died),
        # or the store was built by an older version of the derived tables' SQL.
        con.execute("begin transaction")
        try:
            refresh_derived(con)
            bump_version(con)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def _one(con: duckdb.DuckDBPyConnection, query: str, params: dict | None = None):
    """The first row of a small result, read to the end: a half-read result left on a shared
    connection makes DuckDB refuse the next register() on it."""
    rows = con.execute(query, params).fetchall()
    return rows[0] if rows else None


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = _one(con, "select count(*) from information_schema.tables where table_name = $name", {"name": name})
    return bool(row and row[0])


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    row = _one(con, "select value from store_meta where key = 'data_version'")
    return int(row[0]) if row else 0


def bump_version(con: duckdb.DuckDBPyConnection) -> int:
    """Increment the data version (call inside the transaction that changed the data)."""
    version = data_version(con) + 1
    con.execute(
        "insert or replace into store_meta (key, value) values ('data_version', $v)",
        {"v": str(version)},
    )
    return version


def _build_fingerprint() -> str:
    """Which SQL built the derived tables: a store built by another version is rebuilt on open."""
    return hashlib.sha256(sql.load("build/candidate_funnel").text.encode("utf-8")).hexdigest()[:16]


def _built_by(con: duckdb.DuckDBPyConnection) -> str | None:
    row = _one(con, "select value from store_meta where key = 'derived_build'")
    return row[0] if row else None


def _record_build(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("insert or replace into store_meta (key, value) values ('derived_build', $v)",
                {"v": _build_fingerprint()})


def refresh_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild derived tables after the canonical tables changed (same transaction)."""
    sql.execute(con, "build/candidate_funnel")
    _record_build(con)
    # Segment memberships are recomputed lazily per segmentation; stale ones are dropped here.
    con.execute("delete from candidate_segments")
    con.execute("delete from store_meta where key = 'derived_stale'")


def mark_derived_stale(con: duckdb.DuckDBPyConnection) -> None:
    """Record, in the transaction that changed canonical tables without ``refresh_derived``, that
    derived tables lag behind them (a batch import refreshes once at its end; ``connect`` repairs
    a store left so by a process that died before that)."""
    con.execute("insert or replace into store_meta (key, value) values ('derived_stale', '1')")


def derived_stale(con: duckdb.DuckDBPyConnection) -> bool:
    return _one(con, "select count(*) from store_meta where key = 'derived_stale'")[0] > 0


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    cur = con.cursor()
    try:
        return {
            t: int(cur.execute(f"select count(*) from {sql.quote_identifier(t)}").fetchone()[0])
            for t in CANONICAL_TABLES
        }
    finally:
        cur.close()


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    row = _one(con, "select count(*) from candidates")
    return not row or row[0] == 0


def attribute_columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Attribute column name -> DuckDB type, read from the real schema of ``candidates``."""
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_name = 'candidates' and column_name not in "
        "('candidate_id', 'registered_at', 'channel', 'form_version', 'import_id') "
        "order by ordinal_position"
    ).fetchall()
    return {name: dtype for name, dtype in rows}


def write_lock() -> threading.Lock:
    """Serialises writers within one process (Streamlit sessions are threads)."""
    return _lock


@contextlib.contextmanager
def write_transaction(con: duckdb.DuckDBPyConnection):
    """A cursor of ``con`` in one transaction, under the write lock: committed when the block
    ends, rolled back when it raises (the error goes on). What every lazily built derived table
    (segments, the business calendar, labour facts, the form's pre-aggregates) is written in.
    Not reentrant: a block must not take the write lock again."""
    with _lock:
        cur = con.cursor()
        try:
            cur.execute("begin transaction")
            try:
                yield cur
            except BaseException:
                try:
                    cur.execute("rollback")
                except duckdb.Error:
                    pass
                raise
            cur.execute("commit")
        finally:
            cur.close()
