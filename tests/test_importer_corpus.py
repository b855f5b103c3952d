"""The bad-file corpus (tests/corpus, written by make_corpus.py): what each file must produce.

Good files: the rows kept, the rows rejected with the sentence a manager reads, the personal data
dropped. Refused files: one clear line naming the file and the problem, and a store exactly as it
was before (every table compared).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from dashboard import i18n, importer, store

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture(autouse=True)
def english():
    """Rejection sentences are stored in the UI language; these tests read the English ones."""
    i18n.set_language("en")
    yield
    i18n.set_language(i18n.DEFAULT_LANGUAGE)


def snapshot(con) -> dict:
    """Every table's rows (sorted) plus the data version: equal snapshots mean nothing changed."""
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]
    out = {"__version__": store.data_version(con)}
    for t in tables:
        out[t] = sorted(map(repr, con.execute(f'select * from "{t}"').fetchall()))
        out[t + "__columns"] = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_name = $t order by ordinal_position",
            {"t": t}).fetchall()]
    return out


@pytest.fixture
def base_store():
    """A store with staff and the CP932 candidate export already imported."""
    con = store.connect(None)
    importer.import_file(con, CORPUS / "staff_utf8_bom.csv")
    importer.import_file(con, CORPUS / "candidates_cp932.csv")
    return con


def rejected(con, import_id) -> list[tuple]:
    return con.execute(
        "select row_number, column_name, value, reason_code, reason from rejected_rows "
        "where import_id = $id order by row_number, column_name", {"id": import_id}).fetchall()


def test_corpus_is_reproducible(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    module.main()
    for made in tmp_path.iterdir():
        assert made.read_bytes() == (CORPUS / made.name).read_bytes(), f"{made.name} differs: rerun make_corpus.py"


def test_cp932_candidate_export_with_japanese_headers():
    con = store.connect(None)
    result = importer.import_file(con, CORPUS / "candidates_cp932.csv")
    assert result.encoding == "cp932"
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (8, 7, 1)
    assert result.rejected_by_reason == {"before_registration": 1, "duplicate_id": 1}
    assert result.dropped_columns == {
        "氏名": "alias", "フリガナ": "alias", "電話番号": "alias", "メールアドレス": "alias", "住所": "alias",
        "予備欄": "phone",  # no telling header: found by its content (incl. 90... with the zero lost)
        "自由記述": "free_text",  # may hold anything: dropped by the proposed profile
    }
    cands = con.execute("select candidate_id, registered_at, age, current_income, job_category from candidates "
                        "order by candidate_id").fetchall()
    assert cands == [
        ("C001", datetime(2024, 4, 1, 9, 5), 28.0, 450.0, "ITエンジニア"),
        ("C002", datetime(2024, 4, 1, 12, 30), 35.0, None, "経理"),
        ("C003", datetime(2024, 4, 2, 10, 0), 42.0, 600.0, "法人営業"),  # full-width digits
        ("C004", datetime(2024, 4, 3, 14, 5), None, 300.0, "未経験"),  # era date, "-" is missing
        ("C005", datetime(2024, 4, 5, 15, 0), 51.0, 900.0, "管理職"),
        ("C006", datetime(2024, 4, 6, 10, 0), 27.0, 290.0, "販売"),  # the later duplicate won
        ("C007", datetime(2024, 4, 7, 18, 0), 31.0, 550.0, "ITエンジニア"),
    ]
    types = dict(con.execute("select column_name, data_type from candidate_columns").fetchall())
    assert types["age"] == "DOUBLE" and types["current_income"] == "DOUBLE" and types["job_category"] == "VARCHAR"
    # the first contact before registration is dropped, the candidate kept
    assert rejected(con, result.import_id) == [
        (5, "初回接触日時", "2024/4/4 9:00", "before_registration",
         'row 5: 初回接触日時 "2024/4/4 9:00" is before the registration (2024/4/5 15:00); this step was not imported'),
        (6, "求職者ID", "C006", "duplicate_id", 'row 6: 求職者ID "C006" appears again in row 8; the later row was kept'),
    ]
    events = con.execute("select candidate_id, stage, occurred_at, staff_id from events order by 1, 3, 2").fetchall()
    assert ("C005", "first_contact") not in {(e[0], e[1]) for e in events}
    # a date-only meeting on the registration day is not before it: placed at the registration time
    assert ("C007", "meeting_held", datetime(2024, 4, 7, 18, 0), "佐藤") in events
    assert ("C004", "first_contact", datetime(2024, 4, 3, 14, 5), "高橋") in events
    assert ("C006", "first_contact", datetime(2024, 4, 6, 11, 0), "鈴木") in events
    booked = con.execute("select scheduled_for from events where candidate_id = 'C001' and stage = 'meeting_booked'").fetchall()
    assert booked == [(datetime(2024, 4, 3, 10, 0),)]
    assert result.summary_lines("ja")[0] == "candidates_cp932.csv（求職者）: 8行を読み込み、7行を取り込み、1行を除外しました"


def test_utf8_bom_export_with_english_headers():
    con = store.connect(None)
    result = importer.import_file(con, CORPUS / "candidates_utf8_bom.csv")
    assert result.encoding == "utf-8-sig"
    assert result.dropped_columns == {"Email": "alias", "Phone": "alias"}
    assert result.profile.columns == {"candidate_id": "Candidate ID", "registered_at": "Created Date", "channel": "Source"}
    assert result.profile.stages["meeting_held"].staff == "Owner"
    rows = con.execute("select candidate_id, stage, occurred_at, staff_id from events order by 3").fetchall()
    assert rows == [("E1", "first_contact", datetime(2024, 4, 1, 9, 20), "Kato"),
                    ("E1", "meeting_held", datetime(2024, 4, 2, 10, 0), "Mori")]
    # staff not in any staff list are inferred from what they did
    staff = con.execute("select staff_id, role, is_inferred from staff order by 1").fetchall()
    assert staff == [("Kato", "handler", True), ("Mori", "advisor", True)]


def test_utf16_event_log_maps_known_statuses_and_reports_the_rest(base_store):
    con = base_store
    result = importer.import_file(con, CORPUS / "events_log_utf16.tsv")
    assert result.encoding == "utf-16" and result.delimiter == "\t"
    assert result.rejected_by_reason == {"before_registration": 1, "unknown_candidate": 1, "unmapped_stage": 1}
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (7, 4, 3)
    assert result.profile.stage_names["4. 面談済み"] == "meeting_held"
    assert "7. 保留" not in result.profile.stage_names  # reported, never guessed
    assert any("7. 保留" in m for m in result.messages)
    reasons = {r[3]: r[4] for r in rejected(con, result.import_id)}
    assert reasons["unmapped_stage"] == ('row 4: ステータス "7. 保留" is not mapped to a funnel stage '
                                         "(add it to [stage_names] in the profile); the row was not imported")
    assert reasons["unknown_candidate"] == ('row 5: 求職者ID "C999" is not a known candidate '
                                            "(import the candidate list first); the row was not imported")
    # C001's meeting at 10:05 was already in the store from the candidate export: not doubled
    assert result.counts["events_existing"] == 1
    assert con.execute("select count(*) from events where candidate_id = 'C001' and stage = 'meeting_held'").fetchall() == [(1,)]
    assert con.execute("select occurred_at from events where candidate_id = 'C007' and stage = 'placed'").fetchall() == [
        (datetime(2024, 7, 1),)]


def test_wide_selection_export_unpivots_stages_and_rejects_bad_rows(base_store):
    con = base_store
    result = importer.import_file(con, CORPUS / "selection_wide_cp932.csv")
    assert result.kind == "events"
    assert set(result.profile.stages) == {"recommended", "interview", "offer", "placed"}
    assert result.unmapped_columns == ["求人ID", "書類通過日"]
    assert result.rejected_by_reason == {"bad_date": 1, "unknown_candidate": 1}
    assert rejected(con, result.import_id)[1][4] == (
        'row 5: 推薦日 "2024/13/45" is not a date (expected e.g. 2024/4/1 9:05); the row was not imported')
    recs = con.execute("select occurred_at from events where candidate_id = 'C001' and stage = 'recommended' order by 1").fetchall()
    assert recs == [(datetime(2024, 4, 10),), (datetime(2024, 4, 11),)]  # one per job row


def test_staff_list_and_call_log(base_store):
    con = base_store
    staff = dict((r[0], r[1:]) for r in con.execute("select staff_id, role, team, is_inferred from staff").fetchall())
    assert staff == {"鈴木": ("handler", "東京1", False), "高橋": ("both", "大阪", False),
                     "佐藤": ("advisor", "東京1", False), "伊藤": ("advisor", "大阪", False)}
    result = importer.import_file(con, CORPUS / "calls_utf8.csv")
    assert result.kind == "activities"
    assert result.rejected_by_reason == {"unknown_candidate": 1}
    calls = con.execute("select candidate_id, staff_id, kind, minutes from activities order by started_at").fetchall()
    assert calls == [("C001", "鈴木", "通電", 12.0), ("C002", "鈴木", "不在", 0.0), ("C002", "鈴木", "通電", 8.0)]


def test_xlsx_with_date_cells_and_excel_serials():
    con = store.connect(None)
    result = importer.import_file(con, CORPUS / "candidates.xlsx")
    assert result.rows_read == 3 and result.rows_rejected == 0  # the blank trailing row is not data
    assert result.dropped_columns == {"Email": "alias"}
    rows = con.execute("select candidate_id, registered_at, age from candidates order by 1").fetchall()
    assert rows == [("X1", datetime(2024, 4, 1, 9, 5), 30.0), ("X2", datetime(2024, 4, 2, 12, 0), 41.0),
                    ("X3", datetime(2024, 4, 3), None)]


def test_mixed_date_formats_eras_and_full_width_digits():
    con = store.connect(None)
    result = importer.import_file(con, CORPUS / "mixed_dates.csv")
    assert result.rejected_by_reason == {"bad_date": 1}
    regs = dict(con.execute("select candidate_id, registered_at from candidates").fetchall())
    assert regs == {"M1": datetime(2024, 4, 1, 9, 5), "M2": datetime(2024, 4, 1), "M3": datetime(2019, 4, 30),
                    "M4": datetime(2024, 4, 1), "M5": datetime(1989, 1, 7)}
    meetings = dict(con.execute("select candidate_id, occurred_at from events where stage = 'meeting_held'").fetchall())
    assert meetings == {"M1": datetime(2024, 4, 3, 14, 30), "M2": datetime(2024, 4, 4),
                        "M3": datetime(2019, 5, 7, 10, 0), "M4": datetime(2024, 4, 5)}
    assert con.execute("select occurred_at from events where candidate_id = 'M4' and stage = 'first_contact'").fetchall() == [
        (datetime(2024, 4, 1, 9, 30),)]


def test_ragged_rows_keep_their_row_numbers():
    con = store.connect(None)
    result = importer.import_file(con, CORPUS / "ragged.csv")
    assert result.rejected_by_reason == {"malformed_row": 1}
    assert rejected(con, result.import_id)[0][4] == (
        "row 2: has more cells than the header (columns shifted); the row was not imported")
    assert con.execute("select candidate_id, channel from candidates order by 1").fetchall() == [
        ("R1", "web"), ("R3", None)]


def test_reasons_are_stored_in_the_language_of_the_import():
    i18n.set_language("ja")
    con = store.connect(None)
    result = importer.import_file(con, CORPUS / "mixed_dates.csv")
    assert rejected(con, result.import_id)[0][4] == (
        "6行目: 登録日 「2024/13/45」は日付として読めません（例: 2024/4/1 9:05）。この行は取り込んでいません")
    assert result.summary_lines("en")[0] == "mixed_dates.csv (candidates): 6 rows read, 5 imported, 1 rejected"


@pytest.mark.parametrize(
    "name, message",
    [
        ("empty.csv", "empty.csv: the file is empty"),
        ("header_only.csv", "header_only.csv: the file has a header but no data rows"),
        ("missing_required.csv", "missing_required.csv: required column registered_at is missing "
                                 "(looked for headers such as 登録日時, 登録日, 応募日)"),
        ("binary_renamed.csv", "binary_renamed.csv: not a table (binary data; expected CSV, TSV or .xlsx)"),
        ("broken.xlsx", "broken.xlsx: the .xlsx file cannot be opened (BadZipFile)"),
        ("all_bad.csv", "all_bad.csv: no usable rows (all 2 rows rejected: unreadable date 1, id missing 1); "
                        'first: row 1: 登録日時 "not a date" is not a date (expected e.g. 2024/4/1 9:05); '
                        "the row was not imported"),
    ],
)
def test_refused_files_leave_the_store_exactly_as_it_was(base_store, name, message):
    con = base_store
    before = snapshot(con)
    with pytest.raises(importer.ImportRefused) as info:
        importer.import_file(con, CORPUS / name)
    assert info.value.message("en") == message
    assert "\n" not in str(info.value) and name in str(info.value)
    assert snapshot(con) == before


def test_events_for_unknown_candidates_only_are_refused(tmp_path):
    con = store.connect(None)  # no candidates at all
    before = snapshot(con)
    with pytest.raises(importer.ImportRefused) as info:
        importer.import_file(con, CORPUS / "events_log_utf16.tsv")
    assert info.value.code == "no_rows"
    assert "未登録の求職者 6" in info.value.message("ja")
    assert snapshot(con) == before


def test_rejected_rows_keep_the_non_personal_values_only(base_store):
    raw = [json.loads(r[0]) for r in base_store.execute("select raw_json from rejected_rows").fetchall()]
    assert raw[0]["求職者ID"] in ("C005", "C006")
    for record in raw:
        assert not {"氏名", "フリガナ", "電話番号", "メールアドレス", "住所", "予備欄", "自由記述"} & set(record)
