"""The whole report: every key the contract names is there, README and docs list every key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dashboard import cli

REPO = Path(__file__).resolve().parent.parent
CONTRACT_KEYS = [
    "as_of", "registrations", "funnel", "response_time", "contact_rate_48h", "meeting_rate_14d",
    "meeting_rate_by_response_bucket", "effective_meetings", "live_transfer_share", "show_up_by_lead_time",
    "segments", "advisors", "cells", "yellow_zone_coverage", "missed_matches", "routing_gap", "form_fields",
    "division_of_labour",
]


@pytest.fixture(scope="module")
def full_report(sample_store_path, tmp_path_factory):
    # In-process: page tests in the same run may hold the sample store open, and DuckDB's file
    # lock would refuse a second process.
    out = tmp_path_factory.mktemp("report") / "report.json"
    assert cli.main(["report", "--db", str(sample_store_path), "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_report_has_every_contract_key(full_report):
    missing = [k for k in CONTRACT_KEYS if k not in full_report]
    assert missing == []


def test_every_rate_object_is_well_formed(full_report):
    def walk(value, path):
        if isinstance(value, dict):
            if set(value) >= {"rate", "n", "low", "high"} and value["rate"] is not None:
                assert value["n"] > 0, path
                assert value["low"] <= value["rate"] + 1e-9 and value["rate"] <= value["high"] + 1e-9, path
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    walk(full_report, "")
    assert full_report["meeting_rate_14d"]["n"] > 1000


def test_readme_and_docs_name_every_top_level_key(full_report):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Report keys"):]
    docs = (REPO / "docs" / "report-keys.md").read_text(encoding="utf-8")
    named_in_readme = set(re.findall(r"`([a-z_0-9]+)`", section))
    assert sorted(set(full_report) - named_in_readme) == []
    assert sorted(k for k in full_report if f"`{k}`" not in docs and k not in {"as_of", "filters", "segmentation"}) == []
