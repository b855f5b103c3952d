"""The query layer's loader: every ``queries/<area>/<name>.sql`` file becomes one named query.

Each file opens with a comment header (what one row is, what each parameter means). Parameters
are written ``$name`` in the SQL and always bound from a dict, never formatted into the text; the
set of names is read from the SQL itself so a call with a missing or unknown parameter fails loudly.

A line ``--@include staging/scoped_funnel`` (alone on its line, typically as the body of a CTE) is
replaced by the text of ``queries/staging/scoped_funnel.sql`` without its header comment, indented
like the include line (the way a dbt model selects from a staging model). The fragment's parameters
then belong to the including query: ``Query.text`` and ``Query.params`` are those of the expanded
text, so the including file's header documents them too.
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
_INCLUDE = re.compile(r"^([ \t]*)--@include\b[ \t]*(\S*)[ \t]*$", re.MULTILINE)


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


def _path(name: str) -> Path:
    path = (QUERIES_DIR / f"{name}.sql").resolve()
    if QUERIES_DIR.resolve() not in path.parents:
        raise ValueError(f"query name escapes the queries folder: {name!r}")
    return path


def _without_header(text: str) -> str:
    lines = text.splitlines()
    while lines and (lines[0].startswith("--") or not lines[0].strip()):
        lines.pop(0)
    return "\n".join(lines).rstrip()


def expand_includes(text: str, name: str, _chain: tuple[str, ...] = ()) -> str:
    """``text`` with every ``--@include <fragment>`` line replaced by the fragment (recursively).

    Raises ValueError naming the query for an include without a name, an unknown fragment or a
    cycle (a fragment that includes itself, directly or through others)."""
    chain = _chain or (name,)

    def replace(match: re.Match) -> str:
        indent, fragment = match.group(1), match.group(2)
        if not fragment:
            raise ValueError(f"query {name}: '--@include' without a fragment name")
        if fragment in chain:
            raise ValueError(f"query {chain[0]}: include cycle {' -> '.join((*chain, fragment))}")
        path = _path(fragment)
        if not path.is_file():
            raise ValueError(f"query {name}: unknown fragment {fragment!r} (no file queries/{fragment}.sql)")
        body = expand_includes(_without_header(path.read_text(encoding="utf-8")), fragment, (*chain, fragment))
        return "\n".join(indent + line if line.strip() else line for line in body.splitlines())

    return _INCLUDE.sub(replace, text)


def includes(text: str) -> list[str]:
    """The fragment names a SQL text includes directly (``--@include`` lines), in order."""
    return [m.group(2) for m in _INCLUDE.finditer(text)]


@lru_cache(maxsize=None)
def load(name: str) -> Query:
    """Load ``queries/<name>.sql`` (name may include a sub-folder, e.g. ``funnel/stage_funnel``),
    with its ``--@include`` lines expanded."""
    path = _path(name)
    source = path.read_text(encoding="utf-8")
    text = expand_includes(source, name)
    return Query(name=name, path=path, text=text, header=_header(source), params=named_parameters(text))


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
