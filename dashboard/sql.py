"""The query layer's loader: every ``queries/<area>/<name>.sql`` file becomes one named query.

Each file opens with a comment header (what one row is, what each parameter means). Parameters
are written ``$name`` in the SQL and always bound from a dict, never formatted into the text; the
set of names is read from the SQL itself so a call with a missing or unknown parameter fails loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.paths import QUERIES_DIR

_PARAM = re.compile(r"(?<![\w$])\$([A-Za-z_][A-Za-z0-9_]*)")
_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")


@dataclass(frozen=True)
class Query:
    name: str
    path: Path
    text: str
    header: str
    params: frozenset[str]

    def bind(self, params: dict) -> dict:
        given = set(params)
        missing = self.params - given
        unknown = given - self.params
        if missing or unknown:
            raise TypeError(
                f"query {self.name}: missing parameters {sorted(missing)}, unknown {sorted(unknown)}"
            )
        return {k: params[k] for k in self.params}


def named_parameters(sql: str) -> frozenset[str]:
    """Names of the ``$params`` a SQL text uses (comments and string literals ignored)."""
    stripped = _STRING.sub("''", _COMMENT.sub("", sql))
    return frozenset(_PARAM.findall(stripped))


def _header(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines)


@lru_cache(maxsize=None)
def load(name: str) -> Query:
    """Load ``queries/<name>.sql`` (name may include a sub-folder, e.g. ``funnel/stage_funnel``)."""
    path = (QUERIES_DIR / f"{name}.sql").resolve()
    if QUERIES_DIR.resolve() not in path.parents:
        raise ValueError(f"query name escapes the queries folder: {name!r}")
    text = path.read_text(encoding="utf-8")
    return Query(name=name, path=path, text=text, header=_header(text), params=named_parameters(text))


def all_queries() -> list[Query]:
    return [
        load(p.relative_to(QUERIES_DIR).with_suffix("").as_posix())
        for p in sorted(QUERIES_DIR.rglob("*.sql"))
    ]


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> pd.DataFrame:
    """Run a named query on its own cursor (one shared connection, a cursor per query)."""
    q = load(name)
    cur = con.cursor()
    try:
        return cur.execute(q.text, q.bind(params) or None).df()
    finally:
        cur.close()


def execute(con: duckdb.DuckDBPyConnection, name: str, **params) -> None:
    """Run a named statement (DDL/DML) on the given connection or transaction."""
    q = load(name)
    con.execute(q.text, q.bind(params) or None)


def quote_identifier(name: str, allowed: set[str] | None = None) -> str:
    """Quote an identifier that came from a user file, after checking it against the real schema."""
    if allowed is not None and name not in allowed:
        raise ValueError(f"unknown column: {name!r}")
    if not name or "\x00" in name:
        raise ValueError(f"invalid identifier: {name!r}")
    return '"' + name.replace('"', '""') + '"'
