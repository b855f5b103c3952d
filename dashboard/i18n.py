"""The message catalogue (Japanese and English) and language-aware number and date formatting.

The catalogue is the TOML files in ``dashboard/messages/``, merged into one: each file holds the
keys of one area (``[section]`` then ``key = { ja = "...", en = "..." }``), a key lives in exactly one
file, and every key has both languages (tests/test_i18n.py keeps that true).
The language is per thread (a Streamlit session runs its script in one thread), so the query and
chart layers can format text without knowing about Streamlit.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import tomllib
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
_state = threading.local()


class CatalogueError(ValueError):
    pass


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for path in sorted(MESSAGES_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for section, entries in data.items():
            if not isinstance(entries, dict):
                raise CatalogueError(f"{path.name}: [{section}] must be a table")
            for key, value in entries.items():
                full = f"{section}.{key}"
                if full in merged:
                    raise CatalogueError(f"{full} is defined in both {origin[full]} and {path.name}")
                if not isinstance(value, dict) or set(value) != set(LANGUAGES):
                    raise CatalogueError(f"{path.name}: {full} needs exactly ja and en, got {value!r}")
                merged[full] = value
                origin[full] = path.name
    return merged


def set_language(lang: str) -> None:
    _state.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def language() -> str:
    return getattr(_state, "lang", DEFAULT_LANGUAGE)


def t(key: str, lang: str | None = None, /, **fmt) -> str:
    """The message for ``key`` in the current language; ``fmt`` fills ``{placeholders}`` (any
    name, ``{key}`` and ``{lang}`` included: the first two parameters are positional only)."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"message {key!r} is not in the catalogue")
    text = entry[lang or language()]
    return text.format(**fmt) if fmt else text


def has(key: str) -> bool:
    return key in catalogue()


# --- formatting ------------------------------------------------------------------------------

def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_int(n, lang: str | None = None) -> str:
    if _missing(n):
        return "–"
    return f"{int(round(float(n))):,}"


def fmt_num(x, digits: int = 1, lang: str | None = None) -> str:
    if _missing(x):
        return "–"
    return f"{float(x):,.{digits}f}"


def fmt_pct(x, digits: int = 1, lang: str | None = None, signed: bool = False) -> str:
    """A fraction as a percentage: 0.452 -> '45.2%'."""
    if _missing(x):
        return "–"
    sign = "+" if signed else ""
    return f"{float(x) * 100:{sign}.{digits}f}%"


def fmt_pp(x, digits: int = 1, lang: str | None = None) -> str:
    """A difference of two fractions in percentage points."""
    if _missing(x):
        return "–"
    unit = "pt" if (lang or language()) == "ja" else " pp"
    return f"{float(x) * 100:+.{digits}f}{unit}"


def fmt_minutes(m, lang: str | None = None) -> str:
    """A duration in minutes, in the unit a manager reads: '4分' / '2時間5分' / '1.5日'."""
    if _missing(m):
        return "–"
    lang = lang or language()
    m = float(m)
    if m < 60:
        return f"{m:.0f}分" if lang == "ja" else f"{m:.0f} min"
    if m < 48 * 60:
        h, rest = divmod(round(m), 60)
        if lang == "ja":
            return f"{h}時間{rest}分" if rest else f"{h}時間"
        return f"{h} h {rest} min" if rest else f"{h} h"
    days = m / 1440
    return f"{days:.1f}日" if lang == "ja" else f"{days:.1f} days"


def fmt_hours(minutes, digits: int = 1, lang: str | None = None) -> str:
    """A total of working time in hours, whatever its size: 11073 -> '184.6時間' / '184.6 h'
    (fmt_minutes would say '7.7日', which reads as calendar days)."""
    if _missing(minutes):
        return "–"
    unit = "時間" if (lang or language()) == "ja" else " h"
    return f"{float(minutes) / 60:,.{digits}f}{unit}"


def fmt_date(d, lang: str | None = None) -> str:
    if _missing(d):
        return "–"
    if isinstance(d, str):
        d = dt.date.fromisoformat(d[:10])
    if isinstance(d, dt.datetime):
        d = d.date()
    if hasattr(d, "date") and not isinstance(d, dt.date):  # pandas Timestamp
        d = d.date()
    if (lang or language()) == "ja":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {d:%b} {d.year}"


def fmt_datetime(ts, lang: str | None = None) -> str:
    if _missing(ts):
        return "–"
    if hasattr(ts, "to_pydatetime"):
        ts = ts.to_pydatetime()
    if (lang or language()) == "ja":
        return f"{ts.year}/{ts.month}/{ts.day} {ts:%H:%M}"
    return f"{ts.day} {ts:%b} {ts.year} {ts:%H:%M}"


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def fmt_datetimes(values, lang: str | None = None) -> list[str]:
    """``fmt_datetime`` of every value of a column (the same texts, '–' for a missing one), three
    times faster: the parts are taken from the column at once (a drill-down list formats tens of
    thousands of timestamps on every rerun of its page)."""
    import pandas as pd

    ts = pd.Series(pd.to_datetime(pd.Series(values, dtype=object) if not len(values) else values))
    ja = (lang or language()) == "ja"
    parts = zip(ts.notna().to_numpy(), *(getattr(ts.dt, p).to_numpy(dtype=float, na_value=0.0)
                                        for p in ("year", "month", "day", "hour", "minute")))
    out = []
    for ok, y, m, d, hh, mm in parts:
        if not ok:
            out.append("–")
        elif ja:
            out.append(f"{int(y)}/{int(m)}/{int(d)} {int(hh):02d}:{int(mm):02d}")
        else:
            out.append(f"{int(d)} {_MONTHS_EN[int(m) - 1]} {int(y)} {int(hh):02d}:{int(mm):02d}")
    return out


def fmt_week(week_start, lang: str | None = None) -> str:
    """An ISO week label from its Monday: '2024-W14 (4/1〜)' / '2024-W14 (from 1 Apr)'."""
    if _missing(week_start):
        return "–"
    if isinstance(week_start, str):
        week_start = dt.date.fromisoformat(week_start[:10])
    if hasattr(week_start, "date") and not type(week_start) is dt.date:
        week_start = week_start.date()
    year, week, _ = week_start.isocalendar()
    if (lang or language()) == "ja":
        return f"{year}-W{week:02d}（{week_start.month}/{week_start.day}〜）"
    return f"{year}-W{week:02d} (from {week_start.day} {week_start:%b})"


def fmt_rate(rate: dict | None, digits: int = 1, lang: str | None = None) -> str:
    """A rate object {rate, n, low, high} as '45.2% (41.0–49.5%, n=1,234)'."""
    if not rate or _missing(rate.get("rate")):
        return "–"
    return (
        f"{fmt_pct(rate['rate'], digits)} ({fmt_pct(rate.get('low'), digits)}–"
        f"{fmt_pct(rate.get('high'), digits)}, n={fmt_int(rate.get('n'))})"
    )
