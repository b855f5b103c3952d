"""The report CLI for form_fields, segment_identifiability and division_of_labour: hand-checked
values through `advisor-funnel report`, the empty store, and docs/report-keys.md naming every
key these modules emit."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from dashboard import cli, store
from tests.conftest import make_store

REPO = Path(__file__).resolve().parent.parent
T = dt.datetime
KEYS = {"form_fields", "segment_identifiability", "division_of_labour"}
TARGETS = '[[segment]]\nname = "30代"\ntarget = true\nage = [30, 39]\n'


@pytest.fixture(scope="module")
def store_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("form_report") / "report.duckdb"
    staff = [{"staff_id": "h1", "role": "handler", "team": "東京"}, {"staff_id": "a1", "role": "advisor", "team": "東京"},
             {"staff_id": "a2", "role": "advisor", "team": "名古屋"}]
    candidates = [
        {"candidate_id": "p", "registered_at": T(2024, 4, 1, 10), "age": 31, "english": "business"},
        {"candidate_id": "q", "registered_at": T(2024, 4, 2, 10), "age": None, "english": None},
        {"candidate_id": "r", "registered_at": T(2024, 4, 3, 10), "age": 45, "english": None},
        {"candidate_id": "s", "registered_at": T(2024, 4, 4, 10), "age": 33, "english": None},
    ]
    events = [
        {"candidate_id": "p", "stage": "first_contact", "occurred_at": T(2024, 4, 1, 10, 5), "staff_id": "h1"},
        {"candidate_id": "p", "stage": "meeting_held", "occurred_at": T(2024, 4, 1, 10, 20), "staff_id": "a1"},
        {"candidate_id": "q", "stage": "first_contact", "occurred_at": T(2024, 4, 2, 11), "staff_id": "h1"},
        {"candidate_id": "r", "stage": "first_contact", "occurred_at": T(2024, 4, 3, 15), "staff_id": "a2"},
        {"candidate_id": "r", "stage": "meeting_held", "occurred_at": T(2024, 4, 8, 10), "staff_id": "a2"},
        {"candidate_id": "s", "stage": "first_contact", "occurred_at": T(2024, 4, 4, 15), "staff_id": "a2"},
        {"candidate_id": "s", "stage": "placed", "occurred_at": T(2024, 6, 30, 10), "staff_id": "a2"},  # sets as_of
    ]
    activities = [
        {"candidate_id": "r", "staff_id": "a2", "started_at": T(2024, 4, 3, 15), "kind": "call", "minutes": 10.0},
        {"candidate_id": "s", "staff_id": "a2", "started_at": T(2024, 4, 4, 15), "kind": "call", "minutes": 6.0},
    ]
    make_store(candidates=candidates, events=events, staff=staff, activities=activities,
               attributes={"age": "DOUBLE", "english": "VARCHAR"}, path=path).close()
    return path


def run_report(tmp_path, *args) -> dict:
    out = tmp_path / "report.json"
    assert cli.main(["report", *args, "--format", "json", "--out", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def _targets(tmp_path) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS, encoding="utf-8")
    return path


def test_report_gives_the_hand_computed_form_and_labour_figures(store_path, tmp_path):
    report = run_report(tmp_path, "--db", str(store_path), "--targets", str(_targets(tmp_path)))
    assert KEYS <= set(report)
    fields = {f["field"]: f for f in report["form_fields"]}
    assert set(fields) == {"age", "english"}
    assert fields["age"]["fill_rate"]["rate"] == pytest.approx(3 / 4) and fields["age"]["fill_rate"]["n"] == 4
    assert fields["age"]["identifies_segment"] is True and fields["age"]["recommendation"] == "required"
    assert fields["english"]["identifies_segment"] is False
    # four registrations are below the minimum n (30): no value, outcome rates guarded, n kept
    assert fields["english"]["value"] is None
    assert fields["english"]["outcome_rate_filled"] == {"rate": None, "n": 1, "low": None, "high": None}
    assert fields["english"]["recommendation"] == "optional"
    assert fields["english"]["reason_code"] == "too_little_data"

    ident = report["segment_identifiability"]
    assert ident["identified"]["rate"] == pytest.approx(3 / 4) and ident["unknown"] == 1
    assert ident["missing_fields"] == [{"field": "age", "unknown_candidates": 1, "share_of_unknown": 1.0, "sole_missing": 1}]

    labour = report["division_of_labour"]
    assert labour["first_contact_share_by_role"]["handler"]["rate"] == pytest.approx(2 / 4)
    teams = {t["team"]: t for t in labour["by_team"]}
    assert teams["東京"]["first_contact_share_handler"]["rate"] == pytest.approx(1.0)
    assert teams["名古屋"]["first_contact_share_handler"]["rate"] == pytest.approx(0.0)
    assert teams["東京"]["live_transfer_share"] == {"rate": 1.0, "n": 1, "low": pytest.approx(0.2065, abs=1e-3),
                                                  "high": pytest.approx(1.0)}
    assert teams["名古屋"]["meeting_rate_14d"]["rate"] == pytest.approx(1 / 2)
    # r (age 45) is out of target, s (33) is a target: 10 of 16 advisor minutes out of target
    assert labour["out_of_target_minutes"] == {"minutes_total": 16.0, "minutes_out_of_target": 10.0,
                                               "share_out_of_target": pytest.approx(10 / 16)}


def test_report_on_an_empty_store(tmp_path):
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    report = run_report(tmp_path, "--db", str(path))
    assert report["form_fields"] == []
    assert report["segment_identifiability"] is None
    assert report["division_of_labour"]["by_team"] == []


def test_docs_name_every_key_these_modules_emit(store_path, tmp_path):
    full = (REPO / "docs" / "report-keys.md").read_text(encoding="utf-8")
    doc = full[full.index("## Report keys: registration form"):]
    documented = set(re.findall(r"^### `([^`]+)`", doc, flags=re.M))
    assert documented == KEYS
    report = run_report(tmp_path, "--db", str(store_path), "--targets", str(_targets(tmp_path)))
    for field in report["form_fields"]:
        for sub in field:
            assert f"`{sub}`" in doc, f"form_fields.{sub} is not documented"
    for section in ("segment_identifiability", "division_of_labour"):
        for sub in report[section]:
            assert f"`{sub}`" in doc, f"{section}.{sub} is not documented"
    for team in report["division_of_labour"]["by_team"]:
        for sub in team:
            assert f"`{sub}`" in doc, f"division_of_labour.by_team.{sub} is not documented"
