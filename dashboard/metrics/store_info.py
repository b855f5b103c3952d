"""What is in the store: counts, date ranges, imports and rejected rows (the Data page)."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard import i18n, sql, store


def overview(con: duckdb.DuckDBPyConnection) -> dict:
    row = sql.run(con, "meta/store_overview").iloc[0].to_dict()
    row["counts"] = store.table_counts(con)
    return row


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    frame = sql.run(con, "meta/filter_options")
    return {kind: group["value"].tolist() for kind, group in frame.groupby("kind")}


def imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return sql.run(con, "meta/imports")


def rejected_rows(con: duckdb.DuckDBPyConnection, import_id: int | None = None, lang: str | None = None) -> pd.DataFrame:
    """Rejected rows with the reason re-rendered in ``lang`` (the importer stores code and values,
    so a row rejected during a Japanese session reads in English for an English reader)."""
    from dashboard.importer.mapping import render_reason

    frame = sql.run(con, "meta/rejected_rows", import_id=import_id)
    if lang is not None and not frame.empty:
        frame["reason"] = [
            render_reason(code, row, column, value, params, lang)
            if params is not None and i18n.has(f"import_reject.{code}") else stored
            for code, row, column, value, params, stored in zip(
                frame["reason_code"], frame["row_number"], frame["column_name"], frame["value"],
                frame["reason_params"], frame["reason"])
        ]
    return frame.drop(columns=["reason_params"])


def rejections_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return sql.run(con, "meta/rejections_by_reason")
