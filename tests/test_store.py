"""The store: candidate_funnel (one row per candidate) from hand-written rows, data version."""

from __future__ import annotations

import pandas as pd

from dashboard import store

STAFF = [
    {"staff_id": "林", "role": "handler", "team": "東京1"},
    {"staff_id": "佐藤", "role": "advisor", "team": "東京1"},
    {"staff_id": "田中", "role": "advisor", "team": "大阪"},
    {"staff_id": "木村", "role": "handler", "team": "大阪"},
]


def test_candidate_funnel_takes_the_first_time_of_each_stage_and_who_did_it(given):
    con = given(
        candidates=[
            {"candidate_id": "a", "registered_at": "2024-04-01 10:00", "channel": "org_seo"},
            {"candidate_id": "b", "registered_at": "2024-04-03 23:00"},
        ],
        events=[
            {"candidate_id": "a", "stage": "first_contact", "occurred_at": "2024-04-01 10:03", "staff_id": "林"},
            {"candidate_id": "a", "stage": "first_contact", "occurred_at": "2024-04-02 09:00", "staff_id": "木村"},
            {"candidate_id": "a", "stage": "meeting_booked", "occurred_at": "2024-04-01 10:05", "staff_id": "林",
             "scheduled_for": "2024-04-03 14:00"},
            {"candidate_id": "a", "stage": "meeting_held", "occurred_at": "2024-04-03 14:00", "staff_id": "佐藤"},
            {"candidate_id": "a", "stage": "recommended", "occurred_at": "2024-04-08", "staff_id": "佐藤"},
            {"candidate_id": "a", "stage": "recommended", "occurred_at": "2024-04-07", "staff_id": "佐藤"},
        ],
        staff=STAFF,
    )
    f = con.execute("select * from candidate_funnel order by candidate_id").df().set_index("candidate_id")
    a = f.loc["a"]
    assert a["first_contact_at"] == pd.Timestamp("2024-04-01 10:03")
    assert a["first_contact_by"] == "林" and a["first_contact_role"] == "handler"
    assert a["scheduled_for"] == pd.Timestamp("2024-04-03 14:00")
    assert a["meeting_advisor_id"] == "佐藤" and a["team"] == "東京1"
    assert a["recommended_at"] == pd.Timestamp("2024-04-07")
    assert a["cohort_week"] == pd.Timestamp("2024-04-01")
    b = f.loc["b"]
    assert pd.isna(b["first_contact_at"]) and pd.isna(b["team"])
    # registered on a Wednesday: cohort is that ISO week's Monday
    assert b["cohort_week"] == pd.Timestamp("2024-04-01")


def test_team_falls_back_from_advisor_to_booker_to_first_contact_to_first_caller(given):
    con = given(
        candidates=[{"candidate_id": c, "registered_at": "2024-04-01 10:00"} for c in "wxyz"],
        events=[
            # w: contacted by an 大阪 handler but met by a 東京1 advisor -> the advisor's team
            {"candidate_id": "w", "stage": "first_contact", "occurred_at": "2024-04-01 11:00", "staff_id": "木村"},
            {"candidate_id": "w", "stage": "meeting_held", "occurred_at": "2024-04-02 11:00", "staff_id": "佐藤"},
            # x: only contacted -> the contact's team
            {"candidate_id": "x", "stage": "first_contact", "occurred_at": "2024-04-01 11:00", "staff_id": "木村"},
        ],
        staff=STAFF,
        activities=[
            # y: never reached, but 林 tried first -> 東京1
            {"candidate_id": "y", "staff_id": "木村", "started_at": "2024-04-01 12:00", "kind": "不在", "minutes": 1},
            {"candidate_id": "y", "staff_id": "林", "started_at": "2024-04-01 10:01", "kind": "不在", "minutes": 1},
        ],
    )
    teams = dict(con.execute("select candidate_id, team from candidate_funnel").fetchall())
    assert teams == {"w": "東京1", "x": "大阪", "y": "東京1", "z": None}


def test_data_version_moves_once_per_change():
    con = store.connect(None)
    assert store.data_version(con) == 0
    assert store.bump_version(con) == 1
    assert store.data_version(con) == 1
    assert store.is_empty(con)
    assert set(store.table_counts(con)) == set(store.CANONICAL_TABLES)


def test_a_store_built_by_older_derived_sql_is_rebuilt_on_open(tmp_path):
    path = tmp_path / "old.duckdb"
    con = store.connect(path)
    con.execute("insert into candidates (candidate_id, registered_at, import_id) values "
                "('b', '2024-04-02', 1), ('a', '2024-04-01', 1)")
    store.refresh_derived(con)
    # What an older release left: candidate_funnel without cand_key, another build fingerprint.
    con.execute("create or replace table candidate_funnel as select candidate_id, registered_at from candidates")
    con.execute("update store_meta set value = 'older' where key = 'derived_build'")
    con.close()
    con = store.connect(path)
    keys = dict(con.execute("select candidate_id, cand_key from candidate_funnel").fetchall())
    assert keys == {"a": 1, "b": 2}  # dense, in registration order
    assert store.data_version(con) == 1  # cached results of the old build are invalidated once
    con.close()
    con = store.connect(path)
    assert store.data_version(con) == 1  # the current build is not redone


def test_write_transaction_commits_a_block_and_rolls_back_a_failed_one():
    import pytest

    con = store.connect(None)
    with store.write_transaction(con) as cur:
        cur.execute("insert into store_meta (key, value) values ('kept', '1')")
    with pytest.raises(ValueError):
        with store.write_transaction(con) as cur:
            cur.execute("insert into store_meta (key, value) values ('dropped', '1')")
            raise ValueError("a build that fails half way")
    keys = {k for (k,) in con.execute("select key from store_meta").fetchall()}
    assert "kept" in keys and "dropped" not in keys
    assert not store.write_lock().locked()  # the lock is released either way
