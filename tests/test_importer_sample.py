"""The bundled sample (data/sample) imports with its profiles and without them (header aliases
only) to the same canonical rows, and the importer finds exactly the artefacts the generator
planted (truth.json: duplicate registrations, steps before registration, personal-data columns)."""

from __future__ import annotations

import json

import pytest

from dashboard import demo, importer, store
from dashboard.paths import SAMPLE_DIR

pytestmark = pytest.mark.skipif(not (SAMPLE_DIR / "truth.json").exists(), reason="no bundled sample")

TABLES = {
    "candidates": "select candidate_id, registered_at, channel, form_version, age, job_category, current_income, "
                  "has_resume from candidates order by 1",
    "events": "select candidate_id, stage, occurred_at, staff_id, scheduled_for from events order by 1, 2, 3",
    "staff": "select staff_id, role, team, is_inferred from staff order by 1",
    "activities": "select candidate_id, staff_id, started_at, kind, minutes from activities order by 1, 3, 2, 4",
}


def _load(with_profiles: bool):
    con = store.connect(None)
    results = {}
    for path, profile in demo.sample_paths():
        results[path.name] = importer.import_file(con, path, profile=profile if with_profiles else None)
    return con, results


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SAMPLE_DIR / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def with_profiles():
    return _load(True)


@pytest.fixture(scope="module")
def without_profiles():
    return _load(False)


def test_profiles_and_header_aliases_give_the_same_store(with_profiles, without_profiles):
    a, b = with_profiles[0], without_profiles[0]
    for name, query in TABLES.items():
        assert a.execute(query).fetchall() == b.execute(query).fetchall(), name


def test_every_registration_lands_once(with_profiles, truth):
    con, results = with_profiles
    assert con.execute("select count(*) from candidates").fetchall() == [(truth["registrations"],)]
    cand = results["求職者一覧.csv"]
    assert cand.rows_read == truth["registrations"] + len(truth["artefacts"]["duplicate_ids"])
    assert "bad_date" not in cand.rejected_by_reason  # full-width digits and other formats all parse


def test_planted_duplicates_and_early_steps_are_the_rejected_rows(with_profiles, truth):
    con, results = with_profiles
    art = truth["artefacts"]
    dup_ids = {r[0] for r in con.execute("select value from rejected_rows where reason_code = 'duplicate_id'").fetchall()}
    assert dup_ids == set(art["duplicate_ids"])
    early = con.execute(
        "select i.file_name, r.column_name, json_extract_string(r.raw_json, '$.求職者ID') from rejected_rows as r "
        "join imports as i using (import_id) where r.reason_code = 'before_registration'").fetchall()
    assert sorted(early) == sorted((e["file"], e["column"], e["candidate_id"]) for e in art["early_events"])


def test_personal_data_columns_are_dropped(with_profiles, without_profiles, truth):
    for _, results in (with_profiles, without_profiles):
        dropped = results["求職者一覧.csv"].dropped_columns
        assert set(truth["artefacts"]["pii_columns"]) <= set(dropped)
        assert "自由記述" in dropped
    columns = set(store.attribute_columns(with_profiles[0]))
    assert not columns & {"氏名", "フリガナ", "電話番号", "メールアドレス", "住所", "自由記述"}


def test_odd_format_cells_still_make_their_events(with_profiles, truth):
    con, _ = with_profiles
    ids = truth["artefacts"]["other_format_cells"]["求職者一覧.csv"]["面談設定日時"]
    found = con.execute(
        "select count(distinct candidate_id) from events where stage = 'meeting_booked' "
        "and list_contains($ids, candidate_id)", {"ids": ids}).fetchall()[0][0]
    assert found == len(ids)


def test_staff_roles_come_from_the_staff_list(with_profiles):
    con, _ = with_profiles
    roles = dict(con.execute("select role, count(*) from staff where not is_inferred group by 1").fetchall())
    assert roles == {"advisor": 15, "handler": 3}
