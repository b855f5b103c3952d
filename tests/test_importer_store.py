"""The importer against the store: idempotence, overlapping re-exports, replace, undo, staff
inference, personal data on disk, profiles (TOML round trip, validation), previews."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from dashboard import importer, store
from dashboard.importer import Profile, ProfileError

from test_importer_corpus import CORPUS, english, snapshot  # noqa: F401 (english is an autouse fixture)

HEADER = "求職者ID,登録日時,流入経路,年齢,初回接触日時,初回対応者,面談実施日時,担当CA\n"


def write(tmp_path: Path, name: str, rows: list[str], header: str = HEADER, encoding: str = "cp932") -> Path:
    path = tmp_path / name
    path.write_bytes((header + "\n".join(rows) + "\n").encode(encoding))
    return path


def counts(con) -> dict:
    return store.table_counts(con)


def test_same_file_twice_changes_nothing(tmp_path):
    con = store.connect(None)
    first = importer.import_file(con, CORPUS / "candidates_cp932.csv")
    before = snapshot(con)
    again = importer.import_file(con, CORPUS / "candidates_cp932.csv", file_name="renamed.csv")
    assert again.already_imported and again.import_id == first.import_id
    assert snapshot(con) == before
    assert again.summary_lines("en") == [f"renamed.csv: already imported (import {first.import_id}); nothing changed"]


def test_overlapping_re_export_updates_candidates_and_never_doubles_events(tmp_path):
    con = store.connect(None)
    week1 = write(tmp_path, "w1.csv", [
        "A1,2024/4/1 9:00,web,30,2024/4/1 9:10,鈴木,,",
        "A2,2024/4/2 9:00,web,40,,,,",
    ])
    week2 = write(tmp_path, "w2.csv", [
        "A1,2024/4/1 9:00,web,31,2024/4/1 9:10,鈴木,2024/4/3 10:00,佐藤",  # later stage filled, age corrected
        "A2,2024/4/2 9:00,web,40,,,,",
        "A3,2024/4/8 9:00,agent,25,,,,",
    ])
    importer.import_file(con, week1)
    r2 = importer.import_file(con, week2)
    assert r2.counts["candidates_updated"] == 2 and r2.counts["candidates_inserted"] == 1
    assert r2.counts["events_existing"] == 1 and r2.counts["events_inserted"] == 1
    assert con.execute("select candidate_id, age from candidates order by 1").fetchall() == [
        ("A1", 31.0), ("A2", 40.0), ("A3", 25.0)]
    assert con.execute("select count(*) from events").fetchall() == [(2,)]
    funnel = con.execute("select first_contact_at, meeting_held_at, meeting_advisor_id from candidate_funnel "
                         "where candidate_id = 'A1'").fetchall()
    assert funnel == [(datetime(2024, 4, 1, 9, 10), datetime(2024, 4, 3, 10), "佐藤")]


def test_undo_restores_the_version_an_import_replaced(tmp_path):
    con = store.connect(None)

    def content():  # everything but the version counter and the history kept for undo
        snap = snapshot(con)
        return {k: v for k, v in snap.items() if k not in ("__version__", "store_meta", "candidates_replaced")}

    r1 = importer.import_file(con, write(tmp_path, "w1.csv", ["A1,2024/4/1 9:00,web,30,2024/4/1 9:10,鈴木,,"]))
    after_first = content()
    r2 = importer.import_file(con, write(tmp_path, "w2.csv", [
        "A1,2024/4/1 9:00,agent,31,2024/4/1 9:10,鈴木,2024/4/3 10:00,佐藤", "A2,2024/4/2 9:00,web,22,,,,"]))
    version = store.data_version(con)
    importer.undo(con, r2.import_id)
    assert store.data_version(con) == version + 1
    assert content() == after_first
    importer.undo(con, r1.import_id)
    assert counts(con) == {k: 0 for k in counts(con)}


def test_undo_out_of_order_relinks_the_history(tmp_path):
    con = store.connect(None)
    ids = []
    for week, age in ((1, 30), (2, 31), (3, 32)):
        ids.append(importer.import_file(con, write(tmp_path, f"w{week}.csv", [f"A1,2024/4/1 9:00,web,{age},,,,"])).import_id)
    importer.undo(con, ids[1])  # the middle version goes; the newest stays
    assert con.execute("select age from candidates").fetchall() == [(32.0,)]
    importer.undo(con, ids[2])  # now the first version comes back, not the undone middle one
    assert con.execute("select age, import_id from candidates").fetchall() == [(30.0, ids[0])]


def test_replace_removes_earlier_imports_of_the_same_profile(tmp_path):
    con = store.connect(None)
    profile = Profile.from_toml(
        'name = "週次"\nkind = "candidates"\n[columns]\ncandidate_id = "求職者ID"\nregistered_at = "登録日時"\n')
    importer.import_file(con, write(tmp_path, "w1.csv", ["A1,2024/4/1 9:00,web,30,,,,", "A2,2024/4/2 9:00,web,30,,,,"]),
                         profile=profile)
    r2 = importer.import_file(con, write(tmp_path, "w2.csv", ["A3,2024/4/8 9:00,web,30,,,,"]), profile=profile,
                              replace=True)
    assert con.execute("select candidate_id from candidates").fetchall() == [("A3",)]
    assert importer.list_imports(con)["import_id"].tolist() == [r2.import_id]
    assert any("replaced" in m for m in r2.messages)


def test_refusal_during_replace_rolls_back_the_removal(tmp_path):
    con = store.connect(None)
    importer.import_file(con, write(tmp_path, "w1.csv", ["A1,2024/4/1 9:00,web,30,,,,"]))
    before = snapshot(con)
    bad = write(tmp_path, "w1.csv", ["A9,yesterday,web,30,,,,"])  # same proposed profile name
    with pytest.raises(importer.ImportRefused):
        importer.import_file(con, bad, replace=True)
    assert snapshot(con) == before


def test_inferred_staff_follow_the_events_through_imports_and_undo(tmp_path):
    con = store.connect(None)
    r1 = importer.import_file(con, write(tmp_path, "c.csv", [
        "A1,2024/4/1 9:00,web,30,2024/4/1 9:10,鈴木,2024/4/2 10:00,佐藤",
        "A2,2024/4/1 9:00,web,30,2024/4/1 9:10,佐藤,,",
    ]))
    assert con.execute("select staff_id, role, is_inferred from staff order by 1").fetchall() == [
        ("佐藤", "both", True), ("鈴木", "handler", True)]
    staff_list = write(tmp_path, "s.csv", ["鈴木,登録対応,東京1", "佐藤,CA,東京1"], header="担当者名,役割,チーム\n",
                       encoding="utf-8")
    r2 = importer.import_file(con, staff_list)
    assert con.execute("select staff_id, role, team, is_inferred from staff order by 1").fetchall() == [
        ("佐藤", "advisor", "東京1", False), ("鈴木", "handler", "東京1", False)]
    importer.undo(con, r2.import_id)  # back to what the events say
    assert con.execute("select staff_id, role, is_inferred from staff order by 1").fetchall() == [
        ("佐藤", "both", True), ("鈴木", "handler", True)]
    importer.undo(con, r1.import_id)
    assert con.execute("select count(*) from staff").fetchall() == [(0,)]


def test_personal_data_never_reaches_the_database_file(tmp_path):
    path = tmp_path / "store.duckdb"
    con = store.connect(path)
    # Uncompressed storage, so a value that was written would show up in the bytes (see the control).
    con.execute("pragma force_compression = 'uncompressed'")
    importer.import_file(con, CORPUS / "candidates_cp932.csv")
    importer.import_file(con, CORPUS / "candidates_utf8_bom.csv")
    con.execute("checkpoint")
    con.close()
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert "ITエンジニア".encode() in data and b"sco_bizreach" in data  # kept values are there
    for personal in ["よろしくお願いします", "山田 太郎", "ヤマダ タロウ", "090-1234-5678", "08098765432", "taro@example.jp",
                     "hanako@example.com", "東京都港区芝公園", "09011112222", "9012345678", "x@example.com",
                     "+81-90-1234-5678", "ササキ"]:
        assert personal.encode() not in data, personal


def test_staff_names_are_kept_or_pseudonymised_on_request(tmp_path):
    con = store.connect(None)
    profile = Profile.from_toml('name = "p"\nkind = "candidates"\npseudonymise_staff = true\n')
    path = write(tmp_path, "c.csv", ["A1,2024/4/1 9:00,web,30,2024/4/1 9:10,鈴木,,"])
    result = importer.import_file(con, path, profile=profile)
    staff_ids = [r[0] for r in con.execute("select staff_id from events").fetchall()]
    assert staff_ids and all(s.startswith("staff_") and "鈴木" not in s for s in staff_ids)
    assert result.profile.pseudonymise_staff and "pseudonymised" in " ".join(result.messages)


def test_profile_round_trip_is_exactly_what_was_used(tmp_path):
    con = store.connect(None)
    result = importer.import_file(con, CORPUS / "candidates_cp932.csv")
    text = result.profile.to_toml()
    again = Profile.from_toml(text)
    assert again == result.profile
    assert again.stages["meeting_booked"].scheduled_for == "面談予定日時"
    assert again.attributes["current_income"] == "現年収(万円)"
    # the written profile imports the same file to the same rows
    other = store.connect(None)
    profile_path = tmp_path / "p.toml"
    profile_path.write_text(text, encoding="utf-8")
    importer.import_file(other, CORPUS / "candidates_cp932.csv", profile=profile_path)
    q = "select * exclude (import_id) from candidates order by candidate_id"
    assert other.execute(q).fetchall() == con.execute(q).fetchall()


@pytest.mark.parametrize(
    "toml, fragment",
    [
        ('name = "x"\nkind = "people"\n', "profile key kind: 'people' is not one of"),
        ('name = "x"\nkind = "candidates"\n[stages]\nmeeting_hold = { at = "面談日" }\n', "profile key stages.meeting_hold: unknown stage"),
        ('name = "x"\nkind = "candidates"\n[columns]\nregistered = "登録日"\n', "profile key columns.registered: not a column"),
        ('name = "x"\nkind = "events"\n[stage_names]\n"面談" = "meeting"\n', "profile key stage_names.面談: 'meeting' is not a stage"),
        ('name = "x"\nkind = "candidates"\nencodng = "cp932"\n', "profile key encodng: unknown key"),
        ('name = "x"\nkind = "candidates"\n[attributes]\n"Age!" = "年齢"\n', "profile key attributes.Age!:"),
        ('name = "x"\nkind = "candidates"\n[stages]\nplaced = { staff = "担当CA" }\n', "profile key stages.placed.at:"),
        ("name = \n", "profile is not valid TOML"),
    ],
)
def test_profile_validation_names_the_offending_key(toml, fragment):
    with pytest.raises(ProfileError) as info:
        Profile.from_toml(toml)
    assert fragment in str(info.value)


def test_bad_profile_refuses_the_import_in_one_line(tmp_path):
    con = store.connect(None)
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nkind = "people"\n', encoding="utf-8")
    with pytest.raises(importer.ImportRefused) as info:
        importer.import_file(con, CORPUS / "candidates_cp932.csv", profile=bad)
    assert info.value.code == "bad_profile" and "\n" not in str(info.value)


def test_profile_column_missing_from_the_file_is_refused():
    con = store.connect(None)
    profile = Profile.from_toml('name = "x"\nkind = "candidates"\n[columns]\ncandidate_id = "会員番号"\nregistered_at = "登録日時"\n')
    with pytest.raises(importer.ImportRefused) as info:
        importer.import_file(con, CORPUS / "candidates_cp932.csv", profile=profile)
    assert info.value.message("en") == (
        'candidates_cp932.csv: required column candidate_id ("会員番号" in the profile) is not in the file')


def test_import_many_orders_files_by_kind():
    con = store.connect(None)
    files = [CORPUS / n for n in ("calls_utf8.csv", "events_log_utf16.tsv", "candidates_cp932.csv", "staff_utf8_bom.csv")]
    results = importer.import_many(con, files)
    assert [r.kind for r in results] == ["staff", "candidates", "events", "activities"]
    assert results[2].rows_accepted == 4 and results[3].rows_accepted == 3


def test_validate_previews_without_writing():
    con = store.connect(None)
    importer.import_file(con, CORPUS / "candidates_cp932.csv")
    before = snapshot(con)
    raw = importer.read_table((CORPUS / "events_log_utf16.tsv").read_bytes(), "events_log_utf16.tsv")
    assert raw.kind_guess == "events" and raw.encoding == "utf-16"
    profile = importer.propose_profile(raw)
    preview = importer.validate(raw, profile, con)
    assert preview.refused is None
    assert preview.rejected_by_reason == {"before_registration": 1, "unknown_candidate": 1, "unmapped_stage": 1}
    assert len(preview.events) == 4
    assert snapshot(con) == before
    # without a store the candidate checks are skipped (and said so), never a crash
    assert importer.validate(raw, profile).rejected_by_reason == {"unmapped_stage": 1}
    # a refused file gives a preview with the reason instead of raising
    empty = importer.read_table(b"a,b\n", "x.csv")
    assert importer.validate(empty).refused


def test_summary_and_dict_are_serialisable():
    import json

    con = store.connect(None)
    result = importer.import_file(con, CORPUS / "candidates_cp932.csv")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["date_range"] == ["2024-04-01T09:05:00", "2024-04-07T18:00:00"]
    assert data["dropped_columns"]["予備欄"] == "phone"
    en = result.summary_lines("en")
    assert en[1] == "rejected or skipped: before registration 1, duplicate id (later row kept) 1"
    assert en[2].startswith("personal data dropped (never stored): 氏名 (header)")
    summary = con.execute("select summary_json from imports").fetchall()[0][0]
    assert json.loads(summary)["rows_accepted"] == 7


def test_names_are_never_normalised_but_dates_and_numbers_are(tmp_path):
    con = store.connect(None)
    path = write(tmp_path, "c.csv", ["Ｋ１,２０２４／４／１　９：００,ｗｅｂ,３０,2024/4/1 9:10,ＡＢＣ 太郎,,"])
    importer.import_file(con, path)
    assert con.execute("select candidate_id, registered_at, channel, age from candidates").fetchall() == [
        ("Ｋ１", datetime(2024, 4, 1, 9, 0), "ｗｅｂ", 30.0)]
    assert con.execute("select staff_id from events").fetchall() == [("ＡＢＣ 太郎",)]


def test_numeric_ids_are_not_mistaken_for_phone_numbers(tmp_path):
    con = store.connect(None)
    rows = [f"{9012345600 + i},2024/4/{i + 1} 9:00,web,30,,,," for i in range(5)]
    result = importer.import_file(con, write(tmp_path, "c.csv", rows))
    assert result.rows_accepted == 5 and "求職者ID" not in result.dropped_columns


def test_undo_of_an_unknown_import_says_so():
    con = store.connect(None)
    with pytest.raises(importer.ImportRefused) as info:
        importer.undo(con, 99)
    assert info.value.message("en") == "there is no import 99"


def test_a_connection_left_with_a_half_read_result_still_works():
    con = store.connect(None)
    importer.import_file(con, CORPUS / "candidates_cp932.csv")
    con.execute("select * from range(10)").fetchone()  # what store.data_version() leaves behind
    raw = importer.read_table((CORPUS / "events_log_utf16.tsv").read_bytes(), "events_log_utf16.tsv")
    assert importer.validate(raw, None, con).rejected_by_reason["unknown_candidate"] == 1
    con.execute("select * from range(10)").fetchone()
    assert importer.import_file(con, CORPUS / "events_log_utf16.tsv").rows_accepted == 4


def _funnel(con) -> list:
    return sorted(map(repr, con.execute("select * from candidate_funnel").fetchall()))


def test_import_many_rebuilds_derived_tables_once_and_moves_the_version_once(tmp_path):
    files = [CORPUS / n for n in ("calls_utf8.csv", "events_log_utf16.tsv", "candidates_cp932.csv", "staff_utf8_bom.csv")]
    one_by_one = store.connect(None)
    for path in (files[3], files[2], files[1], files[0]):
        importer.import_file(one_by_one, path)
    batch = store.connect(None)
    importer.import_many(batch, files)
    assert store.data_version(batch) == 1  # one batch, one change for the caches
    assert not store.derived_stale(batch)
    assert _funnel(batch) == _funnel(one_by_one) and len(_funnel(batch)) == 7
    # the same batch again lands nothing: no rebuild, no new version
    again = importer.import_many(batch, files)
    assert all(r.already_imported for r in again) and store.data_version(batch) == 1


def test_a_refused_file_in_a_batch_leaves_the_funnel_of_the_files_that_landed(tmp_path):
    first = write(tmp_path, "w1.csv", ["A1,2024/4/1 9:00,web,30,2024/4/1 9:10,鈴木,2024/4/3 10:00,佐藤",
                                       "A2,2024/4/2 9:00,web,22,,,,"])
    reference = store.connect(None)
    importer.import_file(reference, first)
    con = store.connect(None)
    with pytest.raises(importer.ImportRefused):
        importer.import_many(con, [first, CORPUS / "binary_renamed.csv"])
    assert counts(con)["candidates"] == 2
    assert _funnel(con) == _funnel(reference) and len(_funnel(con)) == 2
    assert not store.derived_stale(con) and store.data_version(con) == 1


def test_a_batch_cut_short_before_its_rebuild_is_repaired_when_the_store_is_opened(tmp_path):
    db = tmp_path / "store.duckdb"
    con = store.connect(db)
    importer.import_file(con, write(tmp_path, "w1.csv", ["A1,2024/4/1 9:00,web,30,2024/4/1 9:10,鈴木,,"]),
                         refresh=False)  # as if the process died before the batch's final rebuild
    assert store.derived_stale(con) and _funnel(con) == [] and store.data_version(con) == 0
    con.close()
    con = store.connect(db)
    assert not store.derived_stale(con) and len(_funnel(con)) == 1 and store.data_version(con) == 1


EVENTS_HEADER = "求職者ID,求人ID,推薦日,一次面接日,担当CA\n"


def test_events_without_a_key_index_are_still_stored_once_within_and_across_files(tmp_path):
    """events has no primary key (an anti-join keeps each (candidate, stage, time) once): a step
    repeated in a file and again in a later file is one row, owned by the import that first wrote it."""
    con = store.connect(None)
    assert con.execute("select count(*) from duckdb_constraints() where table_name = 'events' "
                       "and constraint_type = 'PRIMARY KEY'").fetchall() == [(0,)]
    importer.import_file(con, write(tmp_path, "c.csv", ["A1,2024/4/1 9:00,web,30,,,,"]))
    first = importer.import_file(con, write(tmp_path, "e1.csv", [
        "A1,J1,2024/4/2,,佐藤",
        "A1,J2,2024/4/2,2024/4/5,鈴木",  # the same recommendation day again (another job): one step, last row's staff
    ], header=EVENTS_HEADER))
    assert first.counts == {"events_inserted": 2, "events_existing": 0, "staff_inferred": 1}  # 佐藤's step was replaced
    second = importer.import_file(con, write(tmp_path, "e2.csv", [
        "A1,J2,2024/4/2,2024/4/5,田中",
        "A1,J3,2024/4/9,,田中",
    ], header=EVENTS_HEADER))
    assert second.counts["events_inserted"] == 1 and second.counts["events_existing"] == 2
    assert con.execute("select stage, occurred_at, staff_id, import_id from events order by 2, 1").fetchall() == [
        ("recommended", datetime(2024, 4, 2), "鈴木", first.import_id),
        ("interview", datetime(2024, 4, 5), "鈴木", first.import_id),
        ("recommended", datetime(2024, 4, 9), "田中", second.import_id),
    ]
    importer.undo(con, second.import_id)
    assert con.execute("select count(*) from events").fetchall() == [(2,)]


def test_a_store_created_with_the_events_primary_key_still_imports(tmp_path):
    """Stores made before the key was dropped keep it; the anti-join never conflicts with it."""
    path = tmp_path / "old.duckdb"
    import duckdb

    old = duckdb.connect(str(path))
    old.execute("create table events (candidate_id varchar not null, stage varchar not null, "
                "occurred_at timestamp not null, staff_id varchar, scheduled_for timestamp, "
                "import_id integer not null, primary key (candidate_id, stage, occurred_at))")
    old.close()
    con = store.connect(path)
    importer.import_file(con, write(tmp_path, "c.csv", ["A1,2024/4/1 9:00,web,30,2024/4/1 9:10,鈴木,,"]))
    again = importer.import_file(con, write(tmp_path, "c2.csv", [
        "A1,2024/4/1 9:00,web,30,2024/4/1 9:10,鈴木,2024/4/3 10:00,佐藤"]))
    assert again.counts["events_inserted"] == 1 and again.counts["events_existing"] == 1
    assert con.execute("select count(*) from events").fetchall() == [(2,)]


def test_a_call_repeated_in_the_log_is_one_activity(tmp_path):
    con = store.connect(None)
    importer.import_file(con, write(tmp_path, "c.csv", ["A1,2024/4/1 9:00,web,30,,,,"]))
    header = "求職者ID,架電日時,架電担当,結果,通話時間(分)\n"
    r1 = importer.import_file(con, write(tmp_path, "calls.csv", [
        "A1,2024/4/1 9:30,鈴木,不在,0",
        "A1,2024/4/1 9:30,鈴木,不在,0",  # the same call twice
        "A1,2024/4/1 9:30,鈴木,不在,1",  # not the same row: other minutes
        "A1,2024/4/2 9:30,鈴木,通電,5",
    ], header=header, encoding="utf-8"))
    assert r1.counts["activities_inserted"] == 3 and r1.counts["activities_existing"] == 0
    r2 = importer.import_file(con, write(tmp_path, "calls2.csv", [
        "A1,2024/4/2 9:30,鈴木,通電,5",
        "A1,2024/4/3 9:30,鈴木,通電,5",
    ], header=header, encoding="utf-8"))
    assert r2.counts["activities_inserted"] == 1 and r2.counts["activities_existing"] == 1
    assert con.execute("select count(*) from activities").fetchall() == [(4,)]


@pytest.mark.parametrize("name", ["candidates_cp932.csv", "candidates_utf8_bom.csv", "candidates.xlsx", "mixed_dates.csv",
                                  "ragged.csv", "selection_wide_cp932.csv", "calls_utf8.csv", "staff_utf8_bom.csv",
                                  "events_log_utf16.tsv"])
def test_an_import_that_lets_the_source_cells_go_prepares_what_a_preview_shows(name):
    """prepare(consume=True) (an import: personal data and the source cells of kept rows let go
    early) gives the same frames, rejections and notes as the upload page's preview of the file."""
    from dashboard.importer.mapping import prepare

    con = store.connect(None)
    importer.import_file(con, CORPUS / "candidates_cp932.csv")  # events and calls need candidates
    shown = prepare(importer.read_file(CORPUS / name), None, con)
    raw = importer.read_file(CORPUS / name)
    imported = prepare(raw, None, con, consume=True)
    for frame in ("candidates", "events", "staff", "activities", "rejections"):
        a, b = getattr(shown, frame), getattr(imported, frame)
        assert (a is None) == (b is None), frame
        if a is not None:
            pd.testing.assert_frame_equal(a, b, obj=frame)
    assert [n.text("en") for n in shown.notes] == [n.text("en") for n in imported.notes]
    assert (shown.rows_read, shown.rows_rejected, shown.dropped) == (imported.rows_read, imported.rows_rejected,
                                                                     imported.dropped)
    assert not set(imported.dropped) & set(raw.df.columns)  # the personal columns' cells are gone


def test_candidates_without_a_key_index_keep_one_row_per_id_and_the_columns_a_later_file_lacks(tmp_path):
    """candidates has no primary key: a later file replaces the stored row of each id it brings
    (one row per id), columns it does not have keep the replaced version's values, and an undo
    puts the replaced version back."""
    con = store.connect(None)
    assert con.execute("select count(*) from duckdb_constraints() where table_name = 'candidates' "
                       "and constraint_type = 'PRIMARY KEY'").fetchall() == [(0,)]
    importer.import_file(con, write(tmp_path, "w1.csv", ["A1,2024/4/1 9:00,web,30,,,,", "A2,2024/4/2 9:00,web,40,,,,"]))
    later = importer.import_file(con, write(tmp_path, "w2.csv", [
        "A1,2024/4/1 9:00,agent,2024/4/1 9:10,鈴木",  # no age column in this export
    ], header="求職者ID,登録日時,流入経路,初回接触日時,初回対応者\n"))
    assert later.counts["candidates_updated"] == 1 and later.counts["candidates_inserted"] == 0
    assert con.execute("select candidate_id, channel, age from candidates order by 1").fetchall() == [
        ("A1", "agent", 30.0), ("A2", "web", 40.0)]
    importer.undo(con, later.import_id)
    assert con.execute("select candidate_id, channel, age from candidates order by 1").fetchall() == [
        ("A1", "web", 30.0), ("A2", "web", 40.0)]


def test_a_store_created_with_the_candidates_primary_key_still_replaces_and_undoes(tmp_path):
    """Stores made before the key was dropped keep it: replacing a stored candidate (a delete and
    an insert in one transaction) does not conflict with it."""
    path = tmp_path / "old.duckdb"
    import duckdb

    old = duckdb.connect(str(path))
    old.execute("create table candidates (candidate_id varchar primary key, registered_at timestamp not null, "
                "channel varchar, form_version varchar, import_id integer not null)")
    old.close()
    con = store.connect(path)
    importer.import_file(con, write(tmp_path, "c.csv", ["A1,2024/4/1 9:00,web,30,,,,"]))
    again = importer.import_file(con, write(tmp_path, "c2.csv", ["A1,2024/4/1 9:00,agent,31,,,,"]))
    assert again.counts["candidates_updated"] == 1
    assert con.execute("select candidate_id, channel, age from candidates").fetchall() == [("A1", "agent", 31.0)]
    importer.undo(con, again.import_id)
    assert con.execute("select candidate_id, channel, age from candidates").fetchall() == [("A1", "web", 30.0)]


def test_rejected_rows_leave_the_kept_rows_attributes_on_the_right_candidates(tmp_path):
    """Channel and attributes are cleaned only for the kept rows (one filtered pass): with rows
    rejected between them, every kept candidate still gets its own values, in the preview and in
    the store."""
    header = "求職者ID,登録日時,流入経路,年齢,経験職種\n"
    rows = ["A1,2024/4/1 9:00, web ,30,営業", "A2,2024/13/1 9:00,agent,40,事務",  # A2: bad date
            "A3,2024/4/3 9:00,agent,-,経理", ",2024/4/4 9:00,web,50,人事",         # no id
            "A5,2024/4/5 9:00,,25,", "A3,2024/4/6 9:00,web,35,法務"]               # A3 again: the last kept
    path = write(tmp_path, "c.csv", rows, header=header)
    preview = importer.prepare(importer.read_file(path))
    expected = [("A1", "web", 30.0, "営業"), ("A5", None, 25.0, None), ("A3", "web", 35.0, "法務")]
    frame = preview.candidates[["candidate_id", "channel", "age", "job_category"]]
    got = [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]
    assert got == expected
    assert preview.rejected_by_reason == {"bad_date": 1, "missing_id": 1, "duplicate_id": 1}
    con = store.connect(None)
    importer.import_file(con, path)
    stored = con.execute("select candidate_id, channel, age, job_category from candidates order by registered_at").fetchall()
    assert stored == expected


def test_a_profile_column_missing_from_the_file_is_a_note_in_both_languages(tmp_path):
    """An optional column the profile names but the file lacks is ignored with a note (its message
    has a {key} placeholder, which once collided with i18n.t's own first parameter)."""
    profile = Profile(name="p", kind="candidates",
                      columns={"candidate_id": "求職者ID", "registered_at": "登録日時", "channel": "経路"})
    path = write(tmp_path, "c.csv", ["A1,2024/4/1 9:00"], header="求職者ID,登録日時\n")
    result = importer.import_file(store.connect(None), path, profile=profile)
    assert result.rows_accepted == 1
    notes = [n for n in result.notes if n.key == "optional_missing"]
    assert len(notes) == 1
    assert notes[0].text("en") == 'columns.channel = "経路" (profile) is not in the file; ignored'
    assert "columns.channel" in notes[0].text("ja") and "経路" in notes[0].text("ja")
