"""Timestamps and numbers as CRM exports write them, parsed in bulk.

The common shapes (``2024/4/1 9:05``, ISO with or without ``T`` and seconds, dates alone, Excel
serial numbers, full-width digits) are parsed for a whole column at once by DuckDB; only the cells
left over (Japanese eras, ``2024年4月1日 9時5分``, time-zone offsets, US order ...) go through the
Python parser ``parse_one``, once per distinct value. Full-width characters are normalised here
only: these helpers are applied to date and number columns, never to names.

Everything is local agency time (Asia/Tokyo), stored naive; a value with an explicit offset or
``Z`` is converted to Tokyo time.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TOKYO = timezone(timedelta(hours=9))
EXCEL_EPOCH = datetime(1899, 12, 30)
# Serial numbers outside this range are not taken for dates (1927-05-18 .. 2173-10-14).
SERIAL_MIN, SERIAL_MAX = 10_000, 100_000

# Full-width digits and separators, as DuckDB's translate() takes them (NFKC for this subset).
_FULL = "０１２３４５６７８９／－：．　，"
_HALF = "0123456789/-:. ,"

_ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925, "S": 1925, "大正": 1911, "T": 1911}
_ERA_RE = re.compile(
    r"^(令和|平成|昭和|大正|[RHST])\s*(元|\d{1,2})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*日?\s*(.*)$",
    re.IGNORECASE,
)
_KANJI_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*(?:\([^)]*\))?\s*(.*)$")
_YMD_RE = re.compile(
    r"^(\d{4})[/\-.](\d{1,2})[/\-.](\d{1,2})(?:\s*\([^)]*\))?(?:[ T]+(.*))?$"
)
_MDY_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(.*))?$")
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SERIAL_RE = re.compile(r"^\d{5}(?:\.\d+)?$")
_TIME_RE = re.compile(
    r"^(午前|午後|AM|PM)?\s*(\d{1,2})\s*[:時]\s*(\d{1,2})?\s*分?\s*(?:[:]?\s*(\d{1,2})(?:\.(\d{1,6}))?\s*秒?)?\s*"
    r"(AM|PM|午前|午後)?\s*(Z|[+\-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def scratch_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for parsing (never the store); no progress bar on the console."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    # Text comes back as Arrow large_string, what pandas' str columns hold: to_pandas() then
    # shares the buffers instead of copying every cell (hundreds of MB for a wide export at 1M).
    con.execute("set arrow_large_buffer_size = true")
    return con


# What trim() removes from either end of a text cell: the Unicode space separators (category Zs:
# the ASCII space, the no-break space, the ideographic space U+3000 of Japanese exports, ...), the
# same set as DuckDB's trim(). Tabs and line breaks inside a cell are kept.
SPACES = " \u00a0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u202f\u205f\u3000"


def clean_texts(columns: list, missing_values=("",), keep: np.ndarray | None = None) -> list[pa.ChunkedArray]:
    """Each text column trimmed (``SPACES``), with empty cells and missing markers as null; with
    ``keep``, only those rows. Arrow compute, one column per thread on two threads (it releases
    the GIL): about three times faster than the same in DuckDB, whose trim makes a new string of
    every cell."""
    markers = pa.array(sorted({m.strip() for m in missing_values} | {""}), type=pa.large_string())
    mask = None if keep is None or keep.all() else pa.array(np.asarray(keep, dtype=bool))

    def one(values) -> pa.ChunkedArray:
        values = pa.chunked_array([values]) if isinstance(values, pa.Array) else values
        if values.type != pa.large_string():
            values = values.cast(pa.large_string())
        if mask is not None:
            values = pc.filter(values, mask)
        trimmed = pc.utf8_trim(values, characters=SPACES)
        blank = pc.is_in(trimmed, value_set=markers)
        return pc.if_else(blank, pa.scalar(None, type=pa.large_string()), trimmed)

    if len(columns) < 2:
        return [one(c) for c in columns]
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1), thread_name_prefix="clean") as pool:
        return list(pool.map(one, columns))


def normalise(text: str) -> str:
    """NFKC plus whitespace trimming: for date and number cells only."""
    return unicodedata.normalize("NFKC", str(text)).strip()


def _time_part(rest: str) -> tuple[int, int, int, int, timezone | None] | None:
    m = _TIME_RE.match(rest)
    if not m:
        return None
    ampm = (m.group(1) or m.group(6) or "").upper()
    hour, minute = int(m.group(2)), int(m.group(3) or 0)
    second = int(m.group(4) or 0)
    micro = int((m.group(5) or "0").ljust(6, "0"))
    if ampm in ("PM", "午後") and hour < 12:
        hour += 12
    elif ampm in ("AM", "午前") and hour == 12:
        hour = 0
    tz = None
    if m.group(7):
        off = m.group(7)
        if off.upper() == "Z":
            tz = timezone.utc
        else:
            sign = -1 if off[0] == "-" else 1
            digits = off[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return hour, minute, second, micro, tz


def _build(y: int, mo: int, d: int, rest: str | None) -> tuple[datetime | None, bool]:
    try:
        base = datetime(y, mo, d)
    except ValueError:
        return None, False
    rest = (rest or "").strip()
    if not rest:
        return base, False
    parts = _time_part(rest)
    if parts is None:
        return None, False
    hour, minute, second, micro, tz = parts
    try:
        value = base.replace(hour=hour, minute=minute, second=second, microsecond=micro)
    except ValueError:
        return None, False
    if tz is not None:
        value = value.replace(tzinfo=tz).astimezone(TOKYO).replace(tzinfo=None)
    return value, True


def parse_one(text) -> tuple[datetime | None, bool]:
    """Parse one cell: ``(value, has_time)``; ``(None, False)`` when it is not a date.

    Accepts everything the bulk parser does plus Japanese eras (令和6年4月1日, R6.4.1, H31.4.30,
    元年), ``2024年4月1日 9時5分``, 午前/午後 and AM/PM, offsets and ``Z`` (converted to Tokyo
    time), ``20240401``, US order ``4/1/2024`` and Excel serial numbers.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None, False
    if isinstance(text, datetime):
        return text, True
    if isinstance(text, date):
        return datetime(text.year, text.month, text.day), False
    if isinstance(text, (int, float)):
        return _serial(float(text))
    s = normalise(text)
    if not s:
        return None, False
    m = _ERA_RE.match(s)
    if m:
        era = m.group(1)
        base = _ERAS.get(era) or _ERAS.get(era.upper())
        year = 1 if m.group(2) == "元" else int(m.group(2))
        return _build(base + year, int(m.group(3)), int(m.group(4)), m.group(5))
    for regex in (_KANJI_RE, _YMD_RE):
        m = regex.match(s)
        if m:
            return _build(int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4))
    m = _MDY_RE.match(s)
    if m:
        return _build(int(m.group(3)), int(m.group(1)), int(m.group(2)), m.group(4))
    m = _COMPACT_RE.match(s)
    if m:
        return _build(int(m.group(1)), int(m.group(2)), int(m.group(3)), None)
    if _SERIAL_RE.match(s):
        return _serial(float(s))
    return None, False


def _serial(value: float) -> tuple[datetime | None, bool]:
    if not SERIAL_MIN <= value < SERIAL_MAX:
        return None, False
    micros = round(value * 86_400_000_000)
    return EXCEL_EPOCH + timedelta(microseconds=micros), value != int(value)


@dataclass
class ParsedDates:
    """One parsed column: ``values`` (datetime64[us], NaT when empty or bad), ``has_time`` (the
    cell carried a time of day), ``bad`` (non-empty but not a date)."""

    values: pd.Series
    has_time: pd.Series
    bad: pd.Series


def _as_arrow(values) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values.cast(pa.large_string()) if values.type != pa.large_string() else values
    return pa.array(pd.Series(values, dtype="str"), type=pa.large_string())


def parse_datetimes(values, missing_values=("",), con: duckdb.DuckDBPyConnection | None = None) -> ParsedDates:
    """Parse a column of text cells in bulk (see the module docstring for the accepted shapes)."""
    arr = _as_arrow(values)
    own = con is None
    con = con or scratch_connection()
    try:
        con.register("_dates_in", pa.table({"v": arr}))
        out = con.sql(
            """
            with cleaned as (
                -- translate() and trim() are costly (trim makes a new string of every cell): only
                -- cells with non-ASCII characters need the first, and an ASCII cell can only have
                -- plain spaces to trim.
                select
                    case
                        when strlen(v) <> length(v) then trim(translate(v, $full, $half))
                        when v like ' %' or v like '% ' then trim(v)
                        else v
                    end as w
                from _dates_in
            ),

            flagged as (
                select w, (w is null or w = '' or list_contains($missing, w)) as is_missing from cleaned
            ),

            -- A failed strptime is slow, so each cell gets the one format its shape calls for;
            -- cells of any other shape are left to the Python parser.
            parsed as (
                select
                    w,
                    is_missing,
                    case
                        when is_missing then null
                        when contains(w, '/') then
                            case
                                when not contains(w, ':') then try_strptime(w, '%Y/%m/%d')
                                when w like '%:%:%' then try_strptime(w, '%Y/%m/%d %H:%M:%S')
                                else try_strptime(w, '%Y/%m/%d %H:%M')
                            end
                        when w like '____-%' and not (w like '%Z' or w like '%+%' or w like '%:%-%') then
                            case
                                when not contains(w, ':') then try_strptime(w, '%Y-%m-%d')
                                when contains(w, '.') then try_strptime(replace(w, 'T', ' '), '%Y-%m-%d %H:%M:%S.%f')
                                when w like '%:%:%' then try_strptime(replace(w, 'T', ' '), '%Y-%m-%d %H:%M:%S')
                                else try_strptime(replace(w, 'T', ' '), '%Y-%m-%d %H:%M')
                            end
                        when length(w) <= 16 and regexp_full_match(w, '\\d{5}(\\.\\d+)?')
                            and cast(w as double) >= $smin and cast(w as double) < $smax
                        then timestamp '1899-12-30'
                            + to_microseconds(cast(round(cast(w as double) * 86400000000) as bigint))
                    end as ts
                from flagged
            )

            select
                ts,
                is_missing,
                -- a case, not an or: the regular expression runs only for cells without a colon
                case
                    when contains(w, ':') then true
                    when length(w) <= 16 and regexp_full_match(w, '\\d{5}\\.\\d*[1-9]\\d*') then true
                    else false
                end as has_time,
                case when ts is null and not is_missing then w end as leftover
            from parsed
            """,
            params={
                "full": _FULL,
                "half": _HALF,
                "missing": [m.strip() for m in missing_values],
                "smin": float(SERIAL_MIN),
                "smax": float(SERIAL_MAX),
            },
        ).to_arrow_table()
        con.unregister("_dates_in")
    finally:
        if own:
            con.close()
    if isinstance(out, pa.RecordBatchReader):
        out = out.read_all()
    ts = out.column("ts").to_pandas(types_mapper=None)
    ts = pd.Series(np.asarray(ts, dtype="datetime64[us]"))
    is_missing = pd.Series(out.column("is_missing").to_numpy(zero_copy_only=False)).fillna(True).astype(bool)
    has_time = pd.Series(out.column("has_time").to_numpy(zero_copy_only=False)).fillna(False).astype(bool)
    leftover = ts.isna() & ~is_missing
    bad = pd.Series(np.zeros(len(ts), dtype=bool))
    if leftover.any():
        words = pd.Series(out.column("leftover").to_pandas())[leftover]
        cache = {w: parse_one(w) for w in words.unique()}
        parsed = words.map(cache)
        slow_ts = parsed.map(lambda p: p[0])
        ts.loc[leftover] = pd.to_datetime(slow_ts, errors="coerce").astype("datetime64[us]")
        has_time.loc[leftover] = parsed.map(lambda p: p[1]).astype(bool)
        bad.loc[leftover] = slow_ts.isna()
    return ParsedDates(values=ts, has_time=has_time, bad=bad)


_NUMBER_SUFFIX = re.compile(r"(万円|万|円|歳|才|回|社|人|件|分|時間|ヶ月|か月|カ月|年|%|％)$")


def parse_numbers(values, missing_values=("",), con: duckdb.DuckDBPyConnection | None = None) -> tuple[pd.Series, pd.Series]:
    """``(numbers, bad)`` for a text column: NFKC, thousands separators and a unit suffix such as
    万円 or 歳 removed (``"450万円"`` -> 450.0). Empty cells are NaN and not bad. Plain numbers are
    cast in bulk by DuckDB; the rest once per distinct value in Python."""
    arr = _as_arrow(values)
    own = con is None
    con = con or scratch_connection()
    try:
        con.register("_numbers_in", pa.table({"v": arr}))
        out = con.sql(
            """
            with cleaned as (
                -- trim() only where it can change the cell (see parse_datetimes)
                select
                    case when strlen(v) <> length(v) or v like ' %' or v like '% ' then trim(v) else v end as w
                from _numbers_in
            )
            select
                (w is null or w = '' or list_contains($missing, w)) as is_missing,
                case when regexp_full_match(w, '[-+]?[0-9]+(\\.[0-9]+)?') then cast(w as double) end as num,
                case when not regexp_full_match(w, '[-+]?[0-9]+(\\.[0-9]+)?') then w end as leftover
            from cleaned
            """,
            params={"missing": [m.strip() for m in missing_values]},
        ).to_arrow_table()
        con.unregister("_numbers_in")
    finally:
        if own:
            con.close()
    is_missing = out.column("is_missing").to_numpy(zero_copy_only=False)
    numbers = pd.Series(out.column("num").to_numpy(zero_copy_only=False), dtype="float64")
    left = numbers.isna().to_numpy() & ~is_missing
    if left.any():
        words = pd.Series(out.column("leftover").to_pandas())[left]
        cache = {}
        for u in words.unique():
            t = _NUMBER_SUFFIX.sub("", normalise(u).replace(",", "").replace(" ", ""))
            try:
                cache[u] = float(t)
            except ValueError:
                cache[u] = np.nan
        numbers.loc[left] = words.map(cache).astype("float64").to_numpy()
    bad = pd.Series(numbers.isna().to_numpy() & ~is_missing)
    return numbers, bad


def looks_numeric(values, missing_values=("",), sample: int = 500, con: duckdb.DuckDBPyConnection | None = None) -> bool:
    """Whether a text column is worth parsing as numbers: its first non-empty cells all are."""
    s = pd.Series(values).head(sample * 4).dropna().astype(str).str.strip()
    s = s[~s.isin([m.strip() for m in missing_values])].head(sample)
    if s.empty:
        return False
    numbers, bad = parse_numbers(s.reset_index(drop=True), missing_values, con=con)
    return not bad.any()
