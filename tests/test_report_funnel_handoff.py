"""The report CLI for the registration, funnel and handoff keys: hand-checked values, rate objects,
the empty store, CSV, and docs/report-keys.md documenting every key."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from dashboard import cli, store
from tests.conftest import make_store

REPO = Path(__file__).resolve().parent.parent
T = dt.datetime
FUNNEL_KEYS = {"registrations", "funnel", "contact_rate_48h", "meeting_rate_14d", "effective_meetings",
               "first_contact_by_role", "maturity"}
HANDOFF_KEYS = {"response_time", "meeting_rate_by_response_bucket", "live_transfer_share", "live_transfer_by_team",
                "live_transfer_by_handler", "handoff_lag", "show_up_by_lead_time", "time_to_meeting"}
TARGETS = """
[[segment]]
name = "30代"
target = true
age = [30, 39]
"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.duckdb"
    staff = [{"staff_id": "h1", "role": "handler", "team": "東京"}, {"staff_id": "a1", "role": "advisor", "team": "東京"}]
    candidates = [
        {"candidate_id": "p", "registered_at": T(2024, 4, 1, 23), "age": 31},   # W14
        {"candidate_id": "q", "registered_at": T(2024, 4, 2, 10), "age": 45},
        {"candidate_id": "r", "registered_at": T(2024, 4, 3, 10), "age": 33},
        {"candidate_id": "s", "registered_at": T(2024, 4, 9, 10), "age": 35},   # W15
    ]
    ev = lambda cid, stage, at, who: {"candidate_id": cid, "stage": stage, "occurred_at": at, "staff_id": who}
    events = [
        ev("p", "first_contact", T(2024, 4, 2, 9, 5), "h1"),   # 605 clock minutes, 5 business minutes
        ev("p", "meeting_held", T(2024, 4, 2, 9, 20), "a1"),   # live transfer (15 min)
        ev("q", "first_contact", T(2024, 4, 2, 10, 30), "h1"),  # 30 minutes
        ev("q", "meeting_held", T(2024, 4, 5, 10), "a1"),
        ev("s", "first_contact", T(2024, 4, 9, 10, 2), "h1"),
        ev("s", "meeting_held", T(2024, 4, 9, 10, 20), "a1"),
        ev("s", "placed", T(2024, 6, 30, 10), "a1"),            # sets as_of
    ]
    make_store(candidates=candidates, events=events, staff=staff, attributes={"age": "DOUBLE"}, path=path).close()
    return path


def run_report(tmp_path, *args) -> dict:
    out = tmp_path / "report.json"
    assert cli.main(["report", *args, "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def is_rate(value) -> bool:
    return isinstance(value, dict) and set(value) == {"rate", "n", "low", "high"}


def test_report_for_one_week_gives_the_hand_computed_figures(store_path, tmp_path):
    report = run_report(tmp_path, "--db", str(store_path), "--week", "2024-W14", "--targets", str(_targets(tmp_path)))
    assert FUNNEL_KEYS | HANDOFF_KEYS <= set(report)
    assert report["registrations"] == {
        "count": 3, "by_week": [{"week": "2024-W14", "week_start": "2024-04-01", "registrations": 3, "is_complete": True}]
    }
    assert report["contact_rate_48h"]["rate"] == pytest.approx(2 / 3) and report["contact_rate_48h"]["n"] == 3
    assert report["meeting_rate_14d"]["rate"] == pytest.approx(2 / 3)
    rt = report["response_time"]
    assert (rt["median_minutes"], rt["median_business_minutes"], rt["contacted"]) == (317.5, 17.5, 2)
    assert {b["bucket"]: b["registrations"] for b in rt["buckets"]} == {
        "le_5min": 0, "le_60min": 1, "le_1440min": 1, "le_4320min": 0, "gt_4320min": 0, "not_contacted": 1}
    assert report["live_transfer_share"] == pytest.approx({"rate": 0.5, "n": 2, "low": report["live_transfer_share"]["low"],
                                                           "high": report["live_transfer_share"]["high"]})
    assert report["live_transfer_by_team"][0]["team"] == "東京"
    # Effective meetings count by meeting date in W14: p (31, target) and q (45, not) -> 1 of 2.
    assert report["effective_meetings"]["count"] == 1 and report["effective_meetings"]["meetings_held"] == 2
    stages = {s["stage"]: s for s in report["funnel"]}
    assert list(stages) == ["registered", "first_contact", "meeting_held", "placed"]
    assert stages["meeting_held"]["candidates"] == 2 and stages["placed"]["candidates"] == 0


def test_every_rate_in_these_keys_is_a_rate_object(store_path, tmp_path):
    report = run_report(tmp_path, "--db", str(store_path))
    found = []

    def walk(key, value):
        if isinstance(value, dict) and "rate" in value:
            found.append(key)
            assert is_rate(value), key
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{key}.{k}", v)
        elif isinstance(value, list):
            for item in value:
                walk(key, item)

    for key in FUNNEL_KEYS | HANDOFF_KEYS:
        walk(key, report[key])
    assert {"contact_rate_48h", "meeting_rate_14d", "live_transfer_share", "funnel.share_of_first",
            "show_up_by_lead_time.show_up_rate", "meeting_rate_by_response_bucket.meeting_rate"} <= set(found)


def test_immature_cohorts_are_reported_as_excluded(store_path, tmp_path):
    # On 4/12 the W15 cohort (4/8) has not had 48 hours + its week: it is left out and counted.
    report = run_report(tmp_path, "--db", str(store_path), "--as-of", "2024-04-12T00:00:00")
    assert report["maturity"]["contact_rate_48h"]["excluded_registrations"] == 1
    assert report["contact_rate_48h"]["n"] == 3
    assert report["response_time"]["excluded_cohorts"] == 2  # 7-day window: neither week is mature


def test_report_on_an_empty_store_keeps_the_keys(tmp_path):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    report = run_report(tmp_path, "--db", str(path))
    assert FUNNEL_KEYS | HANDOFF_KEYS <= set(report)
    assert report["registrations"]["count"] == 0
    assert report["meeting_rate_14d"] == {"rate": None, "n": 0, "low": None, "high": None}
    assert report["response_time"]["median_minutes"] is None


def test_csv_format_flattens_rates(store_path, tmp_path, capsys):
    assert cli.main(["report", "--db", str(store_path), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_key = {row["key"]: row for row in rows}
    assert by_key["meeting_rate_14d"]["n"] == "4"
    assert any(k.startswith("response_time.buckets[") for k in by_key)


def test_docs_name_every_key_these_modules_emit(store_path, tmp_path):
    full = (REPO / "docs" / "report-keys.md").read_text(encoding="utf-8")
    doc = full[full.index("## Report keys: registrations"):full.index("## Report keys: placement")]
    headings = set(re.findall(r"^### `([^`]+)`(?:, `([^`]+)`)?", doc, flags=re.M))
    documented = {k for pair in headings for k in pair if k}
    report = run_report(tmp_path, "--db", str(store_path))
    assert FUNNEL_KEYS | HANDOFF_KEYS == documented
    for key in ("response_time", "handoff_lag", "effective_meetings"):
        value = report[key] or {}
        for sub in value:
            assert f"`{sub}`" in doc, f"{key}.{sub} is not documented"


def _targets(tmp_path) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS, encoding="utf-8")
    return path
