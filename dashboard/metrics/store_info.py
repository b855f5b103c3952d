"""What is in the store: counts, date ranges, imports and rejected rows (the Data page)."""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard import sql, store


def overview(con: duckdb.DuckDBPyConnection) -> dict:
    row = sql.run(con, "meta/store_overview").iloc[0].to_dict()
    row["counts"] = store.table_counts(con)
    return row


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    frame = sql.run(con, "meta/filter_options")
    return {kind: group["value"].tolist() for kind, group in frame.groupby("kind")}


def imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return sql.run(con, "meta/imports")


def rejected_rows(con: duckdb.DuckDBPyConnection, import_id: int | None = None) -> pd.DataFrame:
    return sql.run(con, "meta/rejected_rows", import_id=import_id)


def rejections_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return sql.run(con, "meta/rejections_by_reason")
