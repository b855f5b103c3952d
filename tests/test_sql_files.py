"""Meta-tests that keep queries/ honest: headers document grain and parameters; nothing is dead."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb

import pytest

from dashboard import sql
from dashboard.paths import QUERIES_DIR

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"
METRIC_QUERIES = [q for q in sql.all_queries() if not q.name.startswith("schema/")]
# Fragments (queries/staging/) are never run alone: they are included by other queries.
FRAGMENTS = [q for q in METRIC_QUERIES if q.name.startswith("staging/")]
RUN_QUERIES = [q for q in METRIC_QUERIES if not q.name.startswith("staging/")]


@pytest.mark.parametrize("query", METRIC_QUERIES, ids=lambda q: q.name)
def test_every_query_has_a_header_naming_its_parameters(query):
    assert query.header, f"{query.name}: no header comment (grain and parameters)"
    for param in query.params:
        assert f"${param}" in query.header, f"{query.name}: parameter ${param} is not documented in the header"


@pytest.mark.parametrize("query", RUN_QUERIES, ids=lambda q: q.name)
def test_every_query_is_used_by_the_code(query):
    source = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    assert f'"{query.name}"' in source or f"'{query.name}'" in source, f"{query.name} is never run"


def test_named_parameters_ignore_comments_and_strings():
    assert sql.named_parameters("select $a, '$b' -- $c\n, $d_2 from t where x = 'it''s $e'") == {"a", "d_2"}


def test_binding_refuses_missing_and_unknown_parameters():
    q = sql.load("meta/rejected_rows")
    with pytest.raises(TypeError, match="missing parameters"):
        q.bind({})
    with pytest.raises(TypeError, match="unknown"):
        q.bind({"import_id": 1, "oops": 2})


def test_query_names_cannot_escape_the_folder():
    with pytest.raises(ValueError):
        sql.load("../pyproject")


def test_quote_identifier_checks_against_the_schema():
    assert sql.quote_identifier('we"ird', {'we"ird'}) == '"we""ird"'
    with pytest.raises(ValueError):
        sql.quote_identifier("age; drop table x", {"age"})


def test_sql_keeps_the_portability_habits():
    offenders = []
    for path in QUERIES_DIR.rglob("*.sql"):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8")).lower()
        for pattern, why in [
            (r"group by all", "group by all"),
            (r"\bqualify\b", "qualify"),
            (r"approx_quantile|\bquantile\(", "approximate/ambiguous quantile"),
            (r"strftime\([^)]*%v", "week formatting in SQL"),
        ]:
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(QUERIES_DIR)}: {why}")
    assert offenders == []


# --- includes (--@include <fragment>) ---------------------------------------------------------

@pytest.mark.parametrize("fragment", FRAGMENTS, ids=lambda q: q.name)
def test_every_fragment_is_included_somewhere(fragment):
    # directly, or through another fragment (staging/scope_filter is the where clause of two)
    def reached(text: str) -> set[str]:
        found = set()
        for name in sql.includes(text):
            found |= {name} | reached((QUERIES_DIR / f"{name}.sql").read_text(encoding="utf-8"))
        return found

    users = [q.name for q in RUN_QUERIES if fragment.name in reached(q.path.read_text(encoding="utf-8"))]
    assert users, f"{fragment.name} is included by no query"


def test_an_include_is_replaced_by_the_fragment_without_its_header():
    query = sql.load("funnel/contact_rate")
    fragment = sql.load("staging/scoped_funnel")
    assert "--@include" not in query.text
    assert "Staging fragment" not in query.text  # the fragment's header comment is stripped
    assert "    from candidate_funnel as f\n" in query.text  # indented like the include line
    assert fragment.params <= query.params
    assert "window_hours" in query.params and "Contact rate" in query.header


def _write(root: Path, name: str, text: str) -> None:
    path = root / f"{name}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_includes_nest_and_bring_their_parameters(tmp_path, monkeypatch):
    monkeypatch.setattr(sql, "QUERIES_DIR", tmp_path)
    _write(tmp_path, "staging/inner", "-- inner fragment\n-- $b\nselect $b as b")
    _write(tmp_path, "staging/outer", "-- outer fragment\nselect *, $a as a from (\n  --@include staging/inner\n)")
    text = sql.expand_includes("with x as (\n    --@include staging/outer\n)\nselect * from x", "area/q")
    assert "--" not in text
    assert sql.named_parameters(text) == {"a", "b"}
    got = duckdb.connect().execute(text, {"a": 1, "b": 2}).fetchall()
    assert got == [(2, 1)]


def test_include_cycles_and_unknown_fragments_fail_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(sql, "QUERIES_DIR", tmp_path)
    _write(tmp_path, "staging/a", "-- a\nselect * from (\n--@include staging/b\n)")
    _write(tmp_path, "staging/b", "-- b\nselect * from (\n--@include staging/a\n)")
    with pytest.raises(ValueError, match=r"include cycle area/q -> staging/a -> staging/b -> staging/a"):
        sql.expand_includes("--@include staging/a", "area/q")
    with pytest.raises(ValueError, match=r"include cycle staging/a -> staging/a"):
        sql.expand_includes("--@include staging/a", "staging/a")
    with pytest.raises(ValueError, match=r"query area/q: unknown fragment 'staging/nope'"):
        sql.expand_includes("with x as (\n  --@include staging/nope\n)", "area/q")
    with pytest.raises(ValueError, match="without a fragment name"):
        sql.expand_includes("--@include\nselect 1", "area/q")
    with pytest.raises(ValueError, match="escapes"):
        sql.expand_includes("--@include ../pyproject", "area/q")


def test_the_scope_fragment_keeps_whole_registration_days():
    # The period is a timestamp range (sargable) with the same rows as comparing registration dates.
    con = duckdb.connect()
    con.execute(
        "create table candidate_funnel as select * from (values "
        "('a', timestamp '2024-03-03 23:59:59.999', 't1', 'web', 'h1', 'v1'), "
        "('b', timestamp '2024-03-04 00:00:00', 't1', 'web', 'h1', 'v1'), "
        "('c', timestamp '2024-03-10 23:59:59.999999', 't2', 'app', 'h2', 'v2'), "
        "('d', timestamp '2024-03-11 00:00:00', 't2', 'app', 'h2', 'v2'), "
        "('e', timestamp '2024-03-12 08:00:00', 't2', 'app', 'h2', null)"
        ") as v(candidate_id, registered_at, team, channel, first_contact_by, meeting_advisor_id)"
    )
    q = sql.load("staging/scoped_funnel")
    base = dict(start=None, end=None, team=None, channel=None, handler=None, advisor=None,
                as_of=dt.datetime(2024, 3, 12, 8, 0))

    def ids(**changes):
        rows = con.execute(q.text, q.bind({**base, **changes})).fetchall()
        return sorted(r[0] for r in rows)

    assert ids() == ["a", "b", "c", "d", "e"]
    assert ids(start=dt.date(2024, 3, 4), end=dt.date(2024, 3, 10)) == ["b", "c"]
    assert ids(start=dt.date(2024, 3, 4), end=dt.date(2024, 3, 4)) == ["b"]
    # A datetime bound still means its whole day, as the date comparison did.
    assert ids(start=dt.datetime(2024, 3, 4, 12, 0), end=dt.datetime(2024, 3, 10, 1, 0)) == ["b", "c"]
    assert ids(as_of=dt.datetime(2024, 3, 11, 0, 0)) == ["a", "b", "c", "d"]
    assert ids(team="t2", advisor="v2") == ["c", "d"]
    assert ids(channel="web", handler="h1") == ["a", "b"]


@pytest.mark.parametrize("fragment, table, key", [
    ("staging/scoped_segments", "candidate_segments", "segmentation"),
    ("staging/scoped_clocks", "response_clocks", "calendar"),
])
def test_a_copied_rows_fragment_scopes_one_key_like_the_funnel_fragment(fragment, table, key):
    # staging/scoped_segments (one segmentation's rows) and staging/scoped_clocks (one business
    # calendar's rows) read the funnel columns copied into their table with the same shared filters
    # (staging/scope_filter) as staging/scoped_funnel reads candidate_funnel.
    con = duckdb.connect()
    con.execute(
        "create table candidate_funnel as select * from (values "
        "('a', timestamp '2024-03-03 23:59:59', 't1', 'web', 'h1', 'v1'), "
        "('b', timestamp '2024-03-04 00:00:00', 't1', 'web', 'h2', 'v1'), "
        "('c', timestamp '2024-03-10 12:00:00', 't2', 'app', 'h2', 'v2'), "
        "('d', timestamp '2024-03-12 09:00:00', null, 'app', null, null)"
        ") as v(candidate_id, registered_at, team, channel, first_contact_by, meeting_advisor_id)"
    )
    con.execute(
        f"create table {table} as select s.{key}, f.* from candidate_funnel as f "
        f"cross join (values ('k'), ('other')) as s({key})"
    )
    funnel, scoped = sql.load("staging/scoped_funnel"), sql.load(fragment)
    assert scoped.params == funnel.params | {key}
    base = dict(start=None, end=None, team=None, channel=None, handler=None, advisor=None,
                as_of=dt.datetime(2024, 3, 12, 8, 0))
    for changes in ({}, {"start": dt.date(2024, 3, 4)}, {"end": dt.date(2024, 3, 3)}, {"team": "t1"},
                    {"channel": "app"}, {"handler": "h2"}, {"advisor": "v1"}, {"as_of": dt.datetime(2024, 3, 13)}):
        params = {**base, **changes}
        want = sorted(r[0] for r in con.execute(funnel.text, funnel.bind(params)).fetchall())
        got = con.execute(scoped.text, scoped.bind({**params, key: "k"})).df()
        assert sorted(got["candidate_id"]) == want, changes
        assert set(got[key]) <= {"k"}
