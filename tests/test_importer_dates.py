"""The date and number parsers: every shape a Japanese CRM export writes, cell by cell and in bulk."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd
import pytest

from dashboard.importer.dates import parse_datetimes, parse_numbers, parse_one


@pytest.mark.parametrize(
    "text, expected, has_time",
    [
        ("2024/4/1 9:05", datetime(2024, 4, 1, 9, 5), True),
        ("2024/04/01 09:05:30", datetime(2024, 4, 1, 9, 5, 30), True),
        ("2024-04-01T10:00:00", datetime(2024, 4, 1, 10, 0), True),
        ("2024-04-01 10:00", datetime(2024, 4, 1, 10, 0), True),
        ("2024-04-01", datetime(2024, 4, 1), False),
        ("2024年4月1日", datetime(2024, 4, 1), False),
        ("2024年4月1日 9時5分", datetime(2024, 4, 1, 9, 5), True),
        ("2024年4月1日(月) 14:30", datetime(2024, 4, 1, 14, 30), True),
        ("令和6年4月1日", datetime(2024, 4, 1), False),
        ("令和元年5月1日", datetime(2019, 5, 1), False),
        ("R6.4.1", datetime(2024, 4, 1), False),
        ("H31.4.30", datetime(2019, 4, 30), False),
        ("平成31年4月30日", datetime(2019, 4, 30), False),
        ("昭和64年1月7日", datetime(1989, 1, 7), False),
        ("S63.12.31", datetime(1988, 12, 31), False),
        ("２０２４／０４／０１　９：０５", datetime(2024, 4, 1, 9, 5), True),
        ("２０２４年４月１日", datetime(2024, 4, 1), False),
        ("45383", datetime(2024, 4, 1), False),  # Excel serial
        ("45383.5", datetime(2024, 4, 1, 12, 0), True),
        ("2024-04-01T01:00:00Z", datetime(2024, 4, 1, 10, 0), True),  # UTC -> Tokyo
        ("2024-04-01T10:00:00+09:00", datetime(2024, 4, 1, 10, 0), True),
        ("2024/4/1 午後2:05", datetime(2024, 4, 1, 14, 5), True),
        ("4/1/2024 9:05 PM", datetime(2024, 4, 1, 21, 5), True),
        ("20240401", datetime(2024, 4, 1), False),
    ],
)
def test_parse_one_reads_every_documented_shape(text, expected, has_time):
    assert parse_one(text) == (expected, has_time)


@pytest.mark.parametrize("text", ["2024/13/45", "2024/4/1 25:00", "not a date", "2024/2/30", "123", "R6.13.1"])
def test_parse_one_refuses_what_is_not_a_date(text):
    assert parse_one(text) == (None, False)


def test_excel_cell_values_are_dates():
    assert parse_one(45384.5) == (datetime(2024, 4, 2, 12, 0), True)
    assert parse_one(datetime(2024, 4, 1, 9, 5)) == (datetime(2024, 4, 1, 9, 5), True)


def test_bulk_parser_agrees_with_the_cell_parser_and_separates_missing_from_bad():
    cells = ["2024/4/1 9:05", "令和6年4月1日", "45383.5", "", "-", "未記載", None, "2024/13/45",
             "２０２４／０４／０２", "2024-04-01T01:00:00Z", "  2024/4/3  "]
    parsed = parse_datetimes(cells, missing_values=["", "-", "未記載"])
    expected = [parse_one(c)[0] if c not in ("", "-", "未記載", None) else None for c in cells]
    got = [None if pd.isna(v) else v.to_pydatetime() for v in parsed.values]
    assert got == expected
    assert parsed.bad.tolist() == [False] * 7 + [True] + [False] * 3
    assert parsed.has_time.tolist()[:3] == [True, False, True]


def test_bulk_parser_keeps_row_order_on_a_large_column():
    cells = pd.Series([f"2024/1/{d % 28 + 1} {d % 24}:{d % 60:02d}" for d in range(50_000)], dtype="str")
    parsed = parse_datetimes(cells)
    assert not parsed.bad.any()
    assert parsed.values.iloc[12345] == pd.Timestamp(datetime(2024, 1, 12345 % 28 + 1, 12345 % 24, 12345 % 60))


def test_numbers_take_units_and_full_width_digits():
    numbers, bad = parse_numbers(["450万円", "４５０", "1,200", "35歳", "abc", "", "-", None, "3回"], ["", "-"])
    assert numbers.tolist()[:4] == [450.0, 450.0, 1200.0, 35.0]
    assert numbers.iloc[8] == 3.0
    assert bad.tolist() == [False, False, False, False, True, False, False, False, False]


def test_text_cells_are_trimmed_of_unicode_spaces_and_missing_markers_blanked():
    import numpy as np
    import pyarrow as pa

    from dashboard.importer.dates import SPACES, clean_texts

    cells = [" web ", "\u3000営業\u3000", "\u00a0a b\u00a0", "\tタブ\t", "", "   ", " - ", "未記載", None, "x"]
    first, second = clean_texts([pa.array(cells), pa.chunked_array([cells[:4], cells[4:]])], ["-", "未記載"])
    expected = ["web", "営業", "a b", "\tタブ\t", None, None, None, None, None, "x"]
    assert first.to_pylist() == expected and second.to_pylist() == expected
    # the same characters as DuckDB's trim(), which the importer used before
    con = duckdb.connect()
    assert all(con.execute("select trim($s) = ''", {"s": ch * 3}).fetchone()[0] for ch in SPACES)
    assert not con.execute("select trim($s) = ''", {"s": "\t\n"}).fetchone()[0]
    keep = np.array([True, False] * 5)
    (only,) = clean_texts([pa.array(cells)], ["-"], keep)
    assert only.to_pylist() == ["web", "a b", None, None, None]
