"""The message catalogue is complete and every key the code asks for exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboard import i18n

PACKAGE = Path(__file__).resolve().parent.parent / "dashboard"
_LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_]+)["']""")


def test_catalogue_loads_with_both_languages_for_every_key():
    cat = i18n.catalogue()
    assert len(cat) > 20
    for key, entry in cat.items():
        assert entry["ja"].strip() and entry["en"].strip(), key


def test_every_literal_key_used_in_code_is_in_the_catalogue():
    missing = []
    for path in PACKAGE.rglob("*.py"):
        for key in _LITERAL_KEY.findall(path.read_text(encoding="utf-8")):
            if not i18n.has(key):
                missing.append(f"{path.relative_to(PACKAGE)}: {key}")
    assert missing == []


def test_language_switch_changes_text_and_formatting():
    i18n.set_language("en")
    assert i18n.t("nav.overview") == "Weekly overview"
    assert i18n.fmt_minutes(125) == "2 h 5 min"
    assert i18n.fmt_date("2024-04-01") == "1 Apr 2024"
    i18n.set_language("ja")
    assert i18n.t("nav.overview") == "週次概要"
    assert i18n.fmt_minutes(125) == "2時間5分"
    assert i18n.fmt_date("2024-04-01") == "2024年4月1日"


@pytest.mark.parametrize(
    "minutes, ja, en",
    [(4, "4分", "4 min"), (60, "1時間", "1 h"), (61, "1時間1分", "1 h 1 min"), (4320, "3.0日", "3.0 days"), (None, "–", "–")],
)
def test_durations_read_naturally(minutes, ja, en):
    assert i18n.fmt_minutes(minutes, "ja") == ja
    assert i18n.fmt_minutes(minutes, "en") == en


def test_numbers_and_rates():
    assert i18n.fmt_int(1234567) == "1,234,567"
    assert i18n.fmt_pct(0.4567) == "45.7%"
    assert i18n.fmt_pp(0.012, lang="ja") == "+1.2pt"
    assert i18n.fmt_pp(-0.012, lang="en") == "-1.2 pp"
    assert i18n.fmt_week("2024-04-01", "en") == "2024-W14 (from 1 Apr)"
    assert i18n.fmt_rate({"rate": 0.5, "n": 10, "low": 0.2366, "high": 0.7634}) == "50.0% (23.7%–76.3%, n=10)"


def test_fmt_datetimes_gives_fmt_datetime_of_every_value_in_both_languages():
    import datetime as dt

    import pandas as pd

    from dashboard import i18n

    values = pd.Series([dt.datetime(2024, 4, 1, 9, 5, 59), None, dt.datetime(2025, 12, 31, 23, 0),
                        dt.datetime(2024, 2, 29, 0, 0)], dtype="datetime64[us]")
    for lang in ("ja", "en"):
        expected = [i18n.fmt_datetime(v, lang) if pd.notna(v) else "–" for v in values]
        assert i18n.fmt_datetimes(values, lang) == expected
    assert i18n.fmt_datetimes(values, "ja") == ["2024/4/1 09:05", "–", "2025/12/31 23:00", "2024/2/29 00:00"]
    assert i18n.fmt_datetimes(values, "en")[0] == "1 Apr 2024 09:05"
    assert i18n.fmt_datetimes(pd.Series([], dtype="datetime64[us]")) == []
