"""Meta-tests that keep queries/ honest: headers document grain and parameters; nothing is dead."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard import sql
from dashboard.paths import QUERIES_DIR

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"
METRIC_QUERIES = [q for q in sql.all_queries() if not q.name.startswith("schema/")]


@pytest.mark.parametrize("query", METRIC_QUERIES, ids=lambda q: q.name)
def test_every_query_has_a_header_naming_its_parameters(query):
    assert query.header, f"{query.name}: no header comment (grain and parameters)"
    for param in query.params:
        assert f"${param}" in query.header, f"{query.name}: parameter ${param} is not documented in the header"


@pytest.mark.parametrize("query", METRIC_QUERIES, ids=lambda q: q.name)
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
