"""The JSON report (metrics.md, "The report contract"): every headline figure for scripts.

Each metric module owns its keys through a ``report_section(con, rc: ReportContext) -> dict``;
this module only gathers them in a fixed order and handles the period, team and segmentation
options. Keys are stable and documented in README.md (tests/test_report_contract.py checks both).
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import math
from dataclasses import dataclass

import duckdb

from dashboard import segments, store
from dashboard.filters import Filters, resolve_as_of
from dashboard.settings import DEFAULT, Settings

SECTION_MODULES = (
    "dashboard.metrics.funnel",
    "dashboard.metrics.handoff",
    "dashboard.metrics.yellow_zone",
    "dashboard.metrics.form",
    "dashboard.metrics.labour",
)


@dataclass(frozen=True)
class ReportContext:
    filters: Filters
    settings: Settings
    segmentation: str | None
    targets: segments.TargetList | None


def iso_week_bounds(week: str) -> tuple[dt.date, dt.date]:
    """'2024-W14' -> (Monday, Sunday) of that ISO week."""
    try:
        year, number = week.upper().split("-W")
        monday = dt.date.fromisocalendar(int(year), int(number), 1)
    except (ValueError, TypeError):
        raise ValueError(f"--week must look like 2024-W14, got {week!r}") from None
    return monday, monday + dt.timedelta(days=6)


def build(
    con: duckdb.DuckDBPyConnection,
    filters: Filters = Filters(),
    settings: Settings = DEFAULT,
    targets: segments.TargetList | None = None,
    segment_by: str | None = None,
) -> dict:
    filters = filters.with_(as_of=resolve_as_of(con, filters.as_of))
    segmentation = None
    if not store.is_empty(con):
        if segment_by:
            segmentation = segments.ensure(con, segment_by)
        elif targets is not None:
            segmentation = segments.ensure(con, targets)
    rc = ReportContext(filters=filters, settings=settings, segmentation=segmentation, targets=targets)
    report: dict = {
        "as_of": filters.as_of.isoformat() if filters.as_of else None,
        "filters": filters.as_dict(),
        "segmentation": segmentation,
    }
    for module_name in SECTION_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        report.update(module.report_section(con, rc))
    return report


def _clean(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


def to_json(report: dict) -> str:
    return json.dumps(_clean(report), ensure_ascii=False, indent=2)


def to_csv_rows(report: dict) -> list[dict]:
    """Flatten the report into rows (key, sub-key, rate, n, low, high, value) for spreadsheets."""
    rows: list[dict] = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict) and "rate" in value and "n" in value:
            rows.append({"key": prefix, "rate": value.get("rate"), "n": value.get("n"), "low": value.get("low"), "high": value.get("high"), "value": None})
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                label = None
                if isinstance(item, dict):
                    label = next((str(item[k]) for k in ("stage", "bucket", "segment", "advisor", "field", "team", "candidate_id") if k in item), None)
                    if "advisor" in item and "segment" in item:
                        label = f"{item['advisor']}|{item['segment']}"
                walk(f"{prefix}[{label if label is not None else i}]", item)
        else:
            rows.append({"key": prefix, "rate": None, "n": None, "low": None, "high": None, "value": value})

    walk("", _clean(report))
    return rows
