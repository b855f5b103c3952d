"""Segments: the agency's target list (TOML) or an ad-hoc breakdown by one or two attributes.

A segmentation is materialised into ``candidate_segments`` under a key (``targets:<hash>`` or
``by:<attr>[,<attr>]``) that queries take as the bound parameter ``$segmentation``; memberships are
rebuilt when the store's data version moves on.

Target-list semantics (import-profile.md): rules are tried in order and the first match wins. A rule
is decided "no" as soon as one of its conditions fails on a present attribute; when no present
attribute fails but one it needs is missing, the candidate is ``unknown`` (so missing form fields
show up as a cost, not as noise). No rule matching: ``other``. SQL's three-valued logic gives exactly
this, and ``classify`` is the plain-Python reference the tests compare the SQL with.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dashboard import store
from dashboard.sql import quote_identifier

OTHER = "other"
UNKNOWN = "unknown"
_BASE_COLUMNS = ("channel", "form_version")
# candidate_funnel columns copied into each segmentation's rows (queries/staging/scoped_segments).
FUNNEL_COLUMNS = (
    "registered_at", "team", "channel", "first_contact_by", "first_contact_at", "meeting_booked_at",
    "meeting_advisor_id", "meeting_held_at", "placed_at",
)
_RESERVED_KEYS = {"name", "target"}


class TargetListError(ValueError):
    """A target list that cannot be used; the message names the offending segment and key."""


@dataclass(frozen=True)
class Condition:
    attribute: str
    kind: str  # "range" | "one_of" | "equals"
    values: tuple

    def matches(self, value) -> bool | None:
        if _is_missing(value):
            return None
        if self.kind == "range":
            number = _as_number(value)
            if number is None:
                return False
            return self.values[0] <= number <= self.values[1]
        text = _as_text(value)
        return text in {_as_text(v) for v in self.values}


@dataclass(frozen=True)
class Rule:
    name: str
    target: bool
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class TargetList:
    rules: tuple[Rule, ...]
    source: str = ""

    @property
    def key(self) -> str:
        canonical = json.dumps(
            [[r.name, r.target, [[c.attribute, c.kind, list(c.values)] for c in r.conditions]] for r in self.rules],
            ensure_ascii=False,
        )
        return "targets:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    @property
    def attributes(self) -> list[str]:
        seen: list[str] = []
        for rule in self.rules:
            for c in rule.conditions:
                if c.attribute not in seen:
                    seen.append(c.attribute)
        return seen

    def segment_names(self) -> list[str]:
        return [r.name for r in self.rules]

    def target_segments(self) -> list[str]:
        return [r.name for r in self.rules if r.target]


def _is_missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def parse_target_list(text: str, source: str = "target list") -> TargetList:
    """Parse and validate a target list; errors name the segment (by position and name) and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TargetListError(f"{source}: not valid TOML ({exc})") from None
    unknown_top = set(data) - {"segment"}
    if unknown_top:
        raise TargetListError(f"{source}: unknown top-level key(s) {sorted(unknown_top)}; expected [[segment]] tables")
    raw_rules = data.get("segment")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise TargetListError(f"{source}: no [[segment]] found; a target list needs at least one segment")
    rules: list[Rule] = []
    names: set[str] = set()
    for i, raw in enumerate(raw_rules, start=1):
        where = f"{source}: segment #{i}"
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise TargetListError(f"{where}: 'name' is missing or empty")
        where = f"{source}: segment #{i} ({name})"
        if name in names:
            raise TargetListError(f"{where}: the name is used twice")
        if name in (OTHER, UNKNOWN):
            raise TargetListError(f"{where}: '{name}' is reserved")
        names.add(name)
        target = raw.get("target", True)
        if not isinstance(target, bool):
            raise TargetListError(f"{where}: 'target' must be true or false, got {target!r}")
        conditions = []
        for key, value in raw.items():
            if key in _RESERVED_KEYS:
                continue
            conditions.append(_condition(where, key, value))
        if not conditions:
            raise TargetListError(f"{where}: no conditions; add e.g. age = [30, 39]")
        rules.append(Rule(name=name.strip(), target=target, conditions=tuple(conditions)))
    return TargetList(rules=tuple(rules), source=source)


def _condition(where: str, key: str, value) -> Condition:
    if isinstance(value, list):
        if not value:
            raise TargetListError(f"{where}: '{key}' is an empty list")
        is_numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        if len(value) == 2 and is_numeric:
            low, high = float(value[0]), float(value[1])
            if low > high:
                raise TargetListError(f"{where}: '{key}' range [{value[0]}, {value[1]}] runs backwards")
            return Condition(key, "range", (low, high))
        if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
            raise TargetListError(f"{where}: '{key}' must list text or numbers")
        return Condition(key, "one_of", tuple(value))
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return Condition(key, "equals", (value,))
    raise TargetListError(
        f"{where}: '{key}' must be a value, a list of values, or a [low, high] range; got {value!r}"
    )


def load_target_list(path: str | Path) -> TargetList:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetListError(f"{path.name}: cannot read ({exc.strerror})") from None
    return parse_target_list(text, source=path.name)


def classify(targets: TargetList, record: dict) -> tuple[str, bool | None]:
    """Reference classification of one candidate record (plain Python; the SQL must agree)."""
    for rule in targets.rules:
        results = [c.matches(record.get(c.attribute)) for c in rule.conditions]
        if any(r is False for r in results):
            continue
        if all(r is True for r in results):
            return rule.name, rule.target
        return UNKNOWN, None
    return OTHER, False


# --- materialisation -------------------------------------------------------------------------

def available_columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Columns a segmentation may use: attribute columns plus channel and form_version."""
    cols = dict(store.attribute_columns(con))
    for base in _BASE_COLUMNS:
        cols[base] = "VARCHAR"
    return cols


def _is_numeric_type(dtype: str) -> bool:
    return dtype.upper() in {"DOUBLE", "FLOAT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "REAL"} or dtype.upper().startswith("DECIMAL")


def _target_list_sql(targets: TargetList, columns: dict[str, str]) -> tuple[str, str, dict]:
    """The CASE expressions for segment and is_target, with bound parameters."""
    params: dict = {}
    seg_branches: list[str] = []
    tgt_branches: list[str] = []

    def bind(value) -> str:
        name = f"p{len(params)}"
        params[name] = value
        return f"${name}"

    for rule in targets.rules:
        parts = []
        for c in rule.conditions:
            if c.attribute not in columns:
                # The data has no such column: the rule can never be decided for anyone.
                parts.append("cast(null as boolean)")
                continue
            col = "c." + quote_identifier(c.attribute, set(columns))
            if c.kind == "range":
                low, high = f"cast({bind(c.values[0])} as double)", f"cast({bind(c.values[1])} as double)"
                if _is_numeric_type(columns[c.attribute]):
                    # NaN counts as missing, as in classify()
                    parts.append(f"(case when isnan({col}) then null else {col} between {low} and {high} end)")
                else:
                    # Text that is not a number ("不明", "30歳") is there but does not match (classify()).
                    text = _text_expr(col, columns[c.attribute])
                    parts.append(f"(case when {text} is null then null when try_cast({text} as double) is null "
                                 f"then false else try_cast({text} as double) between {low} and {high} end)")
            else:
                text = _text_expr(col, columns[c.attribute])
                placeholders = ", ".join(f"cast({bind(_as_text(v))} as varchar)" for v in c.values)
                parts.append(f"({text} in ({placeholders}))")
        cond = "(" + " and ".join(parts) + ")"
        name = bind(rule.name)
        seg_branches.append(f"when {cond} then cast({name} as varchar) when {cond} is null then '{UNKNOWN}'")
        tgt_branches.append(
            f"when {cond} then {'true' if rule.target else 'false'} when {cond} is null then cast(null as boolean)"
        )
    segment = "case " + " ".join(seg_branches) + f" else '{OTHER}' end"
    is_target = "case " + " ".join(tgt_branches) + " else false end"
    return segment, is_target, params


def _text_expr(col: str, dtype: str) -> str:
    if _is_numeric_type(dtype):
        # 30.0 and "30" must compare equal to a rule value written as 30; NaN counts as missing, and a
        # whole number beyond the integers' range keeps its own text (as in classify()).
        return (f"case when isnan({col}) then null when {col} = floor({col}) "
                f"then coalesce(cast(try_cast({col} as hugeint) as varchar), cast({col} as varchar)) "
                f"else cast({col} as varchar) end")
    # Blank text means "not filled in", as in classify().
    return f"nullif(trim(cast({col} as varchar)), '')"


def parse_segment_by(spec: str, columns: dict[str, str]) -> list[str]:
    """Validate ``--segment-by a[,b]`` against the real schema; ``x_band`` means numeric x, banded."""
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not 1 <= len(names) <= 2:
        raise TargetListError(f"segment-by: give one or two attributes, got {spec!r}")
    resolved = []
    for name in names:
        base = name[:-5] if name.endswith("_band") and name[:-5] in columns else name
        if base not in columns:
            raise TargetListError(
                f"segment-by: no attribute {name!r}; available: {', '.join(sorted(columns))}"
            )
        resolved.append(base)
    return resolved


def _band_expr(con: duckdb.DuckDBPyConnection, col: str, prefix: str) -> tuple[str, dict]:
    """A numeric column cut into about five bands at rounded quantiles, labelled 'a–b'."""
    cur = con.cursor()
    try:
        qs = cur.execute(
            f"select quantile_cont({col}, [0.2, 0.4, 0.6, 0.8]) from candidates as c where {col} is not null"
        ).fetchone()[0]
    finally:
        cur.close()
    cuts = sorted({_nice(q) for q in (qs or []) if q is not None})
    if not cuts:
        return f"cast({col} as varchar)", {}
    params: dict = {}
    branches = []
    lower = None
    for i, cut in enumerate(cuts):
        label = f"<{_fmt_num(cut)}" if lower is None else f"{_fmt_num(lower)}–{_fmt_num(cut)}"
        params[f"{prefix}b{i}"] = cut
        params[f"{prefix}l{i}"] = label
        branches.append(f"when {col} < cast(${prefix}b{i} as double) then cast(${prefix}l{i} as varchar)")
        lower = cut
    params[f"{prefix}top"] = f"{_fmt_num(lower)}+"
    expr = f"case when {col} is null then null " + " ".join(branches) + f" else cast(${prefix}top as varchar) end"
    return expr, params


def _nice(x: float) -> float:
    if x == 0:
        return 0.0
    magnitude = 10 ** math.floor(math.log10(abs(x)))
    step = magnitude / 2 if abs(x) / magnitude < 5 else magnitude
    return round(x / step) * step


def _fmt_num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def ensure(con: duckdb.DuckDBPyConnection, segmentation: TargetList | str) -> str:
    """Materialise a segmentation for the current data version; return the key to bind."""
    columns = available_columns(con)
    if isinstance(segmentation, TargetList):
        key = segmentation.key
    else:
        attrs = parse_segment_by(segmentation.removeprefix("by:"), columns)
        key = "by:" + ",".join(attrs)
    version = store.data_version(con)
    if _is_current(con, key, version):
        return key
    if isinstance(segmentation, TargetList):
        seg_expr, tgt_expr, params = _target_list_sql(segmentation, columns)
    else:
        seg_expr, tgt_expr, params = _segment_by_sql(con, attrs, columns)
    params.update({"k": key, "v": version})
    with store.write_transaction(con) as cur:
        if _is_current(cur, key, version):  # another session built it meanwhile
            return key
        if _built_revision(cur) != SQL_REVISION:
            # Memberships classified by an older text of the SQL: every segmentation is rebuilt.
            cur.execute("delete from candidate_segments")
            cur.execute("insert or replace into store_meta (key, value) values ($k, $v)",
                        {"k": _REVISION_KEY, "v": str(SQL_REVISION)})
        cur.execute("delete from candidate_segments where segmentation = $k", {"k": key})
        copied = ", ".join(FUNNEL_COLUMNS)
        cur.execute(
            f"insert into candidate_segments (segmentation, candidate_id, segment, is_target, data_version, cand_key, "
            f"{copied}) "
            f"select cast($k as varchar), c.candidate_id, {seg_expr}, {tgt_expr}, cast($v as bigint), f.cand_key, "
            + ", ".join(f"f.{col}" for col in FUNNEL_COLUMNS) + " "
            "from candidates as c inner join candidate_funnel as f on f.candidate_id = c.candidate_id "
            "order by f.cand_key",
            params,
        )
    return key


def count_by_segment(con: duckdb.DuckDBPyConnection, targets: TargetList) -> dict[str, int]:
    """Candidates per segment under ``targets``, classified by the same SQL as ``ensure`` but
    without writing anything (an unsaved list can be tried): one pass over ``candidates``."""
    seg_expr, _, params = _target_list_sql(targets, available_columns(con))
    cur = con.cursor()
    try:
        rows = cur.execute(f"select {seg_expr} as segment, count(*) from candidates as c group by 1", params).fetchall()
    finally:
        cur.close()
    return {segment: int(n) for segment, n in rows}


# The classification SQL's revision (_target_list_sql, _text_expr, _segment_by_sql): raise it when
# a change there can classify a stored candidate differently, so stores rebuild their memberships.
# 2: text that is not a number under a range rule no longer matches instead of being unknown; NaN
# is missing; whole numbers beyond the integers' range no longer fail.
SQL_REVISION = 2
_REVISION_KEY = "segments_sql_revision"


def _built_revision(con) -> int | None:
    row = con.execute("select value from store_meta where key = $k", {"k": _REVISION_KEY}).fetchall()
    return int(row[0][0]) if row else None


def _is_current(con: duckdb.DuckDBPyConnection, key: str, version: int) -> bool:
    """The segmentation is materialised for this data version by this revision of the SQL, with the
    funnel columns (rows written before those columns existed have a null registration time)."""
    cur = con.cursor()
    try:
        rows, built, copied = cur.execute(
            "select count(*), min(data_version), count(registered_at) from candidate_segments "
            "where segmentation = $k", {"k": key},
        ).fetchone()
        revision = _built_revision(cur)
    finally:
        cur.close()
    return bool(rows) and built == version and copied == rows and revision == SQL_REVISION


def _segment_by_sql(con, attrs: list[str], columns: dict[str, str]) -> tuple[str, str, dict]:
    params: dict = {}
    exprs = []
    for j, attr in enumerate(attrs):
        col = "c." + quote_identifier(attr, set(columns))
        if _is_numeric_type(columns[attr]):
            expr, band_params = _band_expr(con, col, prefix=f"a{j}")
            params.update(band_params)
        else:
            expr = f"cast({col} as varchar)"
        exprs.append(f"nullif(trim({expr}), '')")
    if len(exprs) == 1:
        seg = f"coalesce({exprs[0]}, '{UNKNOWN}')"
    else:
        seg = (
            f"case when {exprs[0]} is null or {exprs[1]} is null then '{UNKNOWN}' "
            f"else {exprs[0]} || ' × ' || {exprs[1]} end"
        )
    return seg, "cast(null as boolean)", params
