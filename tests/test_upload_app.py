"""The Data page driven like a browser (AppTest with real uploads): bad files and their messages,
the session workspace, saved profiles recognised next week, undo, re-uploads, reruns, and the
target-list editor. Saved profiles and the target list go to temporary folders (env vars)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from app_helpers import errors, run_page
from dashboard import importer, segments, store

CORPUS = Path(__file__).resolve().parent / "corpus"
CSV = "text/csv"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """An empty shared store, an empty saved-profile folder and a temporary target list."""
    monkeypatch.setenv("ADVISOR_FUNNEL_PROFILES", str(tmp_path / "profiles"))
    monkeypatch.setenv("ADVISOR_FUNNEL_TARGETS", str(tmp_path / "targets.toml"))
    db = tmp_path / "shared.duckdb"
    store.connect(db).close()
    return tmp_path, db


def counts(db: Path) -> dict[str, int]:
    # Same process as the app: DuckDB hands out a connection to the database the app has open.
    con = duckdb.connect(str(db))
    try:
        return store.table_counts(con)
    finally:
        con.close()


def data_version(db: Path) -> int:
    con = duckdb.connect(str(db))
    try:
        return store.data_version(con)
    finally:
        con.close()


def data_page(db: Path, lang: str = "en"):
    return run_page(db, "data", lang=lang)


def upload(at, *files: tuple[str, bytes]):
    widget = at.file_uploader(key="upload_files")
    for name, content in files:
        widget.upload(name, content, CSV)
    return at.run()


def corpus(name: str) -> tuple[str, bytes]:
    return name, (CORPUS / name).read_bytes()


def texts(at, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def table(at, first_column: str):
    """The read-only table whose first column has this heading."""
    (found,) = [d.value for d in at.dataframe if d.editing_mode == "read_only" and d.value.columns[0] == first_column]
    return found


def editor(at, prefix: str):
    (found,) = [d for d in at.data_editor if d.key and d.key.startswith(prefix)]
    return found


def test_bad_files_are_refused_in_the_browser_with_one_clear_line_each(env):
    _, db = env
    at = data_page(db)
    bad = ["empty.csv", "header_only.csv", "missing_required.csv", "binary_renamed.csv", "broken.xlsx", "all_bad.csv"]
    at = upload(at, *(corpus(n) for n in bad))
    shown = texts(at, "error")
    expected = {
        "empty.csv": "empty.csv: the file is empty",
        "header_only.csv": "header_only.csv: the file has a header but no data rows",
        "missing_required.csv": "missing_required.csv: required column registered_at is missing "
                                "(looked for headers such as 登録日時, 登録日, 応募日)",
        "binary_renamed.csv": "binary_renamed.csv: not a table (binary data; expected CSV, TSV or .xlsx)",
        "broken.xlsx": "broken.xlsx: the .xlsx file cannot be opened (BadZipFile)",
        "all_bad.csv": "all_bad.csv: no usable rows (all 2 rows rejected: unreadable date 1, id missing 1); "
                       'first: row 1: 登録日時 "not a date" is not a date (expected e.g. 2024/4/1 9:05); '
                       "the row was not imported",
    }
    for name, message in expected.items():
        assert shown.count(message) == 1, name
    assert not at.exception
    # nothing can be imported, and nothing was
    assert not [b for b in at.button if b.key in ("upload_add", "upload_explore")]
    assert counts(db)["imports"] == 0


def test_the_japanese_page_gives_the_same_refusal_in_japanese(env):
    _, db = env
    at = upload(data_page(db, lang="ja"), corpus("missing_required.csv"))
    assert "missing_required.csv: 必須の列 registered_at がありません（登録日時, 登録日, 応募日 などの見出しを探しました）" in texts(at, "error")


def test_detection_mapping_and_live_validation_are_shown(env):
    _, db = env
    at = upload(data_page(db), corpus("candidates_cp932.csv"))
    assert "encoding cp932, delimiter comma · 8 rows × 22 columns · looks like: candidates" in texts(at, "caption")
    mapping = editor(at, "map:").value.set_index("source")
    assert mapping.at["電話番号", "target"] == "drop" and mapping.at["電話番号", "personal"] == "header"
    assert mapping.at["担当CA", "target"] == "staff:advisor"
    assert [m.value for m in at.metric][-3:] == ["8", "7", "1"]  # read, would import, would reject
    reasons = table(at, "Reason")
    assert dict(zip(reasons.iloc[:, 0], reasons.iloc[:, 1])) == {"before registration": 1,
                                                                  "duplicate id (later row kept)": 1}
    # an edit in the mapping re-validates at once: without the registration time every row fails
    ed = editor(at, "map:")
    row = list(mapping.index).index("登録日時")
    at.session_state[ed.key] = {"edited_rows": {row: {"target": "drop"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert any(e.startswith("candidates_cp932.csv: required column registered_at is missing") for e in texts(at, "error"))


def test_a_workbook_with_several_sheets_lets_the_user_pick_one(env):
    import io

    import openpyxl

    _, db = env
    wb = openpyxl.Workbook()
    wb.active.title = "メモ"
    wb.active.append(["この表は集計用です"])
    ws = wb.create_sheet("求職者")
    ws.append(["求職者ID", "登録日時", "年齢"])
    ws.append(["W1", "2024/4/1 9:00", 30])
    buf = io.BytesIO()
    wb.save(buf)
    at = upload(data_page(db), ("export.xlsx", buf.getvalue()))
    sheet = [s for s in at.selectbox if s.key and s.key.startswith("sheet:")][0]
    assert sheet.options == ["メモ", "求職者"]
    at = sheet.select("求職者").run()
    assert any('sheet "求職者" (of 2)' in c for c in texts(at, "caption"))
    at.button(key="upload_add").click().run()
    assert counts(db)["candidates"] == 1


def test_a_batch_lands_in_dependency_order_like_the_command_line(env):
    _, db = env
    files = ["calls_utf8.csv", "events_log_utf16.tsv", "candidates_cp932.csv", "staff_utf8_bom.csv"]
    at = upload(data_page(db), *(corpus(n) for n in files))
    before = data_version(db)
    at.button(key="upload_add").click().run()
    assert not at.exception
    assert "Imported into the shared store." in texts(at, "info")
    reference = store.connect(None)
    importer.import_many(reference, [CORPUS / n for n in files])
    assert counts(db) == store.table_counts(reference)
    # one batch: derived tables rebuilt once, every cache invalidated once
    assert data_version(db) == before + 1 == store.data_version(reference)
    # the summary of each file, and its rejected rows as CSV
    assert "events_log_utf16.tsv (events): 7 rows read, 4 imported, 3 rejected" in texts(at, "success")
    assert [b for b in at.download_button if b.key and b.key.startswith("dl_outcome_")]


def test_exploring_alone_stays_in_this_session(env):
    _, db = env
    mine = upload(data_page(db), corpus("candidates_cp932.csv"))
    mine.button(key="upload_explore").click().run()
    assert not mine.exception
    assert "Loaded into this session's workspace (the shared store is unchanged)." in texts(mine, "info")
    assert [m.value for m in mine.metric][:2] == ["7", "12"]  # candidates, events of the upload
    assert any("candidates_cp932.csv" in i for i in texts(mine, "info"))
    assert counts(db) == dict.fromkeys(counts(db), 0)  # nothing written to the shared store
    # every page shows the upload: the overview is not empty for me ...
    mine.switch_page("views/overview.py").run()
    assert "No data yet. Upload a CRM export on the Data page, or load the sample data." not in texts(mine, "info")
    # ... while a second browser session sees the (empty) shared store
    other = data_page(db)
    assert [m.value for m in other.metric][:2] == ["0", "0"]
    other.switch_page("views/overview.py").run()
    assert "No data yet. Upload a CRM export on the Data page, or load the sample data." in texts(other, "info")
    # back to the shared store drops the workspace
    mine.button(key="leave_workspace").click().run()
    mine.switch_page("views/data.py").run()
    assert [m.value for m in mine.metric][:1] == ["0"]


def next_week(content: bytes) -> bytes:
    """The same CRM export a week later: same headers, other candidates."""
    return content.decode("cp932").replace("C00", "D00").encode("cp932")


def test_a_saved_profile_recognises_next_weeks_export_and_imports_in_one_click(env):
    tmp, db = env
    name, content = corpus("candidates_cp932.csv")
    at = upload(data_page(db), (name, content))
    mapping = editor(at, "map:").value.reset_index(drop=True)
    rows = {h: i for i, h in enumerate(mapping["source"])}
    ed = editor(at, "map:")
    at.session_state[ed.key] = {
        "edited_rows": {rows["職務経歴書"]: {"target": "drop"}, rows["年齢"]: {"name": "age_years"}},
        "added_rows": [], "deleted_rows": [],
    }
    at.run()
    at.text_input(key=[w.key for w in at.text_input if w.key.startswith("pname:")][0]).set_value("PORTERS 求職者一覧").run()
    at.button(key=[b.key for b in at.button if b.key and b.key.startswith("psave:")][0]).click().run()
    assert any(s.startswith('Saved profile "PORTERS 求職者一覧"') for s in texts(at, "success"))
    saved = importer.Profile.from_file(tmp / "profiles" / "PORTERS_求職者一覧.toml")
    assert saved.attributes["age_years"] == "年齢" and {"職務経歴書", "自由記述"} <= set(saved.drop)
    assert not {"氏名", "電話番号"} & set(saved.attributes.values())

    # next week, another browser session: recognised, one click
    week2 = upload(data_page(db), ("求職者一覧_0408.csv", next_week(content)))
    assert 'Recognised: saved profile "PORTERS 求職者一覧". Ready to import as is.' in texts(week2, "success")
    week2.button(key="upload_add").click().run()
    con = duckdb.connect(str(db))
    try:
        assert con.execute("select profile_name from imports").fetchall() == [("PORTERS 求職者一覧",)]
        cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                          "where table_name = 'candidates'").fetchall()}
        assert "age_years" in cols and not {"has_resume", "自由記述", "age"} & cols
        assert con.execute("select count(*) from candidates where candidate_id like 'D%'").fetchall() == [(7,)]
    finally:
        con.close()


def test_undo_removes_an_import_and_it_can_come_back(env):
    _, db = env
    at = upload(data_page(db), corpus("staff_utf8_bom.csv"), corpus("candidates_cp932.csv"))
    at.button(key="upload_add").click().run()
    before = counts(db)
    assert before["candidates"] == 7 and before["imports"] == 2
    pick = at.selectbox(key="undo_import")
    newest = pick.options[0]
    assert newest.endswith("candidates_cp932.csv")
    at.button(key="undo_button").click().run()
    assert any(s.startswith("Import #") and "candidates_cp932.csv" in s and s.endswith("was undone.")
               for s in texts(at, "success"))
    after = counts(db)
    assert (after["candidates"], after["events"], after["imports"], after["staff"]) == (0, 0, 1, before["staff"])
    assert [m.value for m in at.metric][0] == "0"
    # the same upload, still in the page, can go in again (the store forgot the undone import)
    at.button(key="upload_add").click().run()
    assert counts(db) == before  # staff (kept) and the candidates again
    assert "candidates_cp932.csv (candidates): 8 rows read, 7 imported, 1 rejected" in texts(at, "success")


def test_reruns_and_re_uploads_never_import_twice(env, monkeypatch):
    _, db = env
    reads = []
    original = importer.read_table
    monkeypatch.setattr(importer, "read_table", lambda *a, **k: reads.append(a[1]) or original(*a, **k))
    at = upload(data_page(db), corpus("candidates_cp932.csv"))
    at.button(key="upload_add").click().run()
    once = counts(db)
    for _ in range(3):  # reruns: any interaction reruns the script
        at.run()
    at.radio(key="lang").set_value("ja").run()
    assert reads == ["candidates_cp932.csv"]  # read once, keyed on the upload's file_id
    assert counts(db) == once
    # pressing the button again reports the first import
    at.button(key="upload_add").click().run()
    assert any("already" in i or "取り込み済み" in i for i in texts(at, "info"))
    assert counts(db) == once
    # the same file uploaded again (a new file_id) adds nothing either
    again = upload(data_page(db), corpus("candidates_cp932.csv"))
    again.button(key="upload_add").click().run()
    assert "candidates_cp932.csv: already imported (import 1); nothing changed" in texts(again, "info")
    assert counts(db) == once


TARGETS = """
[[segment]]
name = "30代専門職"
target = true
age = [30, 39]
job_category = ["ITエンジニア", "経理"]

[[segment]]
name = "非ターゲット"
target = false
age = [50, 99]
"""


def test_the_target_list_editor_validates_and_saves_to_the_file(env):
    tmp, db = env
    path = tmp / "targets.toml"
    path.write_text(TARGETS, encoding="utf-8")
    at = upload(data_page(db), corpus("candidates_cp932.csv"))
    at.button(key="upload_add").click().run()
    counts_table = table(at, "Segment")
    assert dict(zip(counts_table.iloc[:, 0], counts_table.iloc[:, 2])) == {
        "30代専門職": 2, "非ターゲット": 1, "Unknown (attribute missing)": 1, "Other": 3}  # C002, C007 / C005 / C004 / rest
    ed = editor(at, "targets_editor:")
    assert ed.value["age"].tolist() == ["30-39", "50-99"]
    # a backwards range is refused with the segment and key named; the file is untouched
    at.session_state[ed.key] = {"edited_rows": {0: {"age": "39-30"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert "targets.toml: segment #1 (30代専門職): 'age' range [39, 30] runs backwards" in texts(at, "error")
    assert at.button(key="targets_save").disabled
    assert path.read_text(encoding="utf-8") == TARGETS
    # a valid edit plus a new segment is saved to the file and used at once
    at.session_state[ed.key] = {
        "edited_rows": {0: {"age": "25-39"}},
        "added_rows": [{"order": 3, "name": "管理職", "target": True, "job_category": "管理職"}],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="targets_save").click().run()
    assert "Saved the target list (3 segments, targets.toml)." in texts(at, "success")
    saved = segments.load_target_list(path)
    assert saved.segment_names() == ["30代専門職", "非ターゲット", "管理職"]
    assert saved.rules[0].conditions[0].values == (25.0, 39.0)
    assert saved.rules[2].conditions[0].values == ("管理職",)
    # C001 (28) now fits; C005 (51, 管理職) is caught by the earlier 非ターゲット rule
    counts_table = table(at, "Segment")
    assert dict(zip(counts_table.iloc[:, 0], counts_table.iloc[:, 2])) == {
        "30代専門職": 3, "非ターゲット": 1, "Unknown (attribute missing)": 1, "Other": 2}


def test_the_generated_export_with_its_saved_profiles_imports_like_the_sample_loader(env, generated_export, generated_store):
    """Four CRM files of a realistic size, each recognised by its saved profile, land exactly as
    the command line's sample loader puts them."""
    tmp, db = env
    out, _ = generated_export
    (tmp / "profiles").mkdir()
    for path in (out / "profiles").glob("*.toml"):
        (tmp / "profiles" / path.name).write_bytes(path.read_bytes())
    names = ["架電ログ.csv", "選考プロセス.csv", "求職者一覧.csv", "担当者一覧.csv"]
    at = upload(data_page(db), *((n, (out / n).read_bytes()) for n in names))
    recognised = [s for s in texts(at, "success") if s.startswith("Recognised: saved profile")]
    assert len(recognised) == 4
    at.button(key="upload_add").click().run()
    assert errors(at) == []
    reference, _ = generated_store
    assert counts(db) == store.table_counts(reference)


def test_the_default_target_list_on_the_sample_store(sample_store_path, tmp_path, monkeypatch):
    """The bundled list in the editor: every candidate counted once, and a save keeps the file's
    explanatory comments (written to a temporary copy, never to data/targets.toml)."""
    from dashboard.paths import DEFAULT_TARGETS

    path = tmp_path / "targets.toml"
    path.write_bytes(DEFAULT_TARGETS.read_bytes())
    monkeypatch.setenv("ADVISOR_FUNNEL_TARGETS", str(path))
    monkeypatch.setenv("ADVISOR_FUNNEL_PROFILES", str(tmp_path / "profiles"))
    at = data_page(sample_store_path)
    assert errors(at) == []
    bundled = segments.load_target_list(DEFAULT_TARGETS)
    shown = table(at, "Segment")
    assert set(bundled.segment_names()) <= set(shown.iloc[:, 0])
    candidates = int(at.metric[0].value.replace(",", ""))
    assert shown.iloc[:, 2].sum() == candidates
    assert at.button(key="targets_save").disabled  # nothing changed yet
    ed = editor(at, "targets_editor:")
    row = bundled.segment_names().index("30代専門職")
    at.session_state[ed.key] = {"edited_rows": {row: {"age": "30-44"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.button(key="targets_save").click().run()
    text = path.read_text(encoding="utf-8")
    assert text.startswith(DEFAULT_TARGETS.read_text(encoding="utf-8").split("[[segment]]")[0].strip())
    saved = segments.load_target_list(path)
    assert saved.segment_names() == bundled.segment_names()
    assert [c.values for c in saved.rules[row].conditions if c.attribute == "age"] == [(30.0, 44.0)]


def test_an_event_log_status_value_mapped_in_the_browser_is_imported(env):
    _, db = env
    at = upload(data_page(db), corpus("staff_utf8_bom.csv"), corpus("candidates_cp932.csv"))
    at.button(key="upload_add").click().run()
    log = upload(data_page(db), corpus("events_log_utf16.tsv"))
    assert [m.value for m in log.metric][-3:] == ["7", "4", "3"]  # checked against the shared store
    status = editor(log, "status:")
    values = status.value["value"].tolist()
    assert status.value.set_index("value").at["7. 保留", "stage"] == "unmapped"
    log.session_state[status.key] = {"edited_rows": {values.index("7. 保留"): {"stage": "interview"}},
                                     "added_rows": [], "deleted_rows": []}
    log.run()
    assert [m.value for m in log.metric][-3:] == ["7", "5", "2"]
    log.button(key="upload_add").click().run()
    con = duckdb.connect(str(db))
    try:
        assert con.execute("select count(*) from events where candidate_id = 'C003' and stage = 'interview' "
                           "and occurred_at = timestamp '2024-05-21'").fetchall() == [(1,)]
    finally:
        con.close()


@pytest.mark.parametrize("first, then", [("en", "ja"), ("ja", "en")])
def test_the_file_pickers_follow_the_language_switch_and_keep_their_choice(env, first, then):
    """Streamlit shows a kept choice in its old label unless the value is sent again: on the run
    after the switch each translated picker must send its value (and keep it)."""
    _, db = env
    at = upload(data_page(db, lang=first), corpus("candidates_cp932.csv"))
    def pickers():
        return {p: next(s.key for s in at.selectbox if s.key and s.key.startswith(f"{p}:")) for p in ("enc", "kind", "prof")}

    at.selectbox(key=pickers()["enc"]).set_value("cp932").run()  # a choice away from the default
    pickers = pickers()  # the kind and profile pickers start again after a re-read
    kept = {p: at.selectbox(key=k).value for p, k in pickers.items()}
    assert kept["enc"] == "cp932" and kept["kind"] == "candidates"
    assert not any(at.selectbox(key=k).proto.set_value for k in pickers.values())
    at.radio(key="lang").set_value(then).run()
    assert errors(at) == []
    for p, k in pickers.items():
        picker = at.selectbox(key=k)
        assert picker.proto.set_value, p  # sent again, so the browser relabels it
        assert picker.value == kept[p], p
    kind = at.selectbox(key=pickers["kind"])
    assert kind.format_func(kind.value) == {"ja": "求職者", "en": "candidates"}[then]
    assert at.selectbox(key=pickers["prof"]).format_func("") == {
        "ja": "（見出しから自動提案）", "en": "(proposed from the headers)"}[then]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_import_history_reads_in_the_language_and_counts_rejections_honestly(sample_store_path, tmp_path, monkeypatch, lang):
    """On the sample store: numbers stay sortable numbers shown with thousands separators, times in
    the reader's format, the rejected-rows picker opens on the newest import that rejected
    anything, and the labels say that steps are counted beside whole rows."""
    from dashboard import i18n

    monkeypatch.setenv("ADVISOR_FUNNEL_PROFILES", str(tmp_path / "profiles"))
    monkeypatch.setenv("ADVISOR_FUNNEL_TARGETS", str(tmp_path / "targets.toml"))
    con = duckdb.connect(str(sample_store_path))
    try:
        imports = con.execute("select import_id, rows_read, finished_at from imports order by import_id desc").df()
        per_import = dict(con.execute("select import_id, count(*) from rejected_rows group by 1").fetchall())
        rejected_total = con.execute("select count(*) from rejected_rows").fetchall()[0][0]
        steps = con.execute("select count(*) from rejected_rows where reason_code = 'before_registration'").fetchall()[0][0]
    finally:
        con.close()
    # the sample has what this test is about: rejected steps, and a newer import without rejections
    assert steps > 0 and imports["import_id"].iloc[0] not in per_import
    at = data_page(sample_store_path, lang=lang)
    assert errors(at) == []

    # 2. the history table: counts are integers formatted "localized", times formatted like fmt_datetime
    (history,) = [d for d in at.dataframe if d.value.columns[0] == i18n.t("data.col_import_id", lang)]
    shown = history.value
    read_col, at_col = i18n.t("data.col_rows_read", lang), i18n.t("data.col_finished_at", lang)
    assert shown[read_col].tolist() == imports["rows_read"].tolist()
    assert pd.api.types.is_integer_dtype(shown[read_col])
    config = json.loads(history.proto.columns)
    for key in ("rows_read", "rows_accepted", "rows_rejected"):
        assert config[i18n.t(f"data.col_{key}", lang)]["type_config"]["format"] == "localized", key
    assert shown[at_col].tolist() == [i18n.fmt_datetime(ts, lang) for ts in imports["finished_at"]]
    assert re.fullmatch(r"2\d{3}/\d{1,2}/\d{1,2} \d\d:\d\d" if lang == "ja" else r"\d{1,2} [A-Z][a-z]{2} 2\d{3} \d\d:\d\d",
                        shown[at_col].iloc[0])

    # 4. the picker opens on the newest import with rejections, and keeps a choice across reruns
    newest_rejecting = next(i for i in imports["import_id"] if i in per_import)
    picker = at.selectbox(key="rejected_import")
    assert picker.value == newest_rejecting
    assert len(at.dataframe[[d.value.columns[0] for d in at.dataframe].index(i18n.t("data.col_row_number", lang))].value) \
        == per_import[newest_rejecting]
    other = next(i for i in imports["import_id"] if i != newest_rejecting)
    picker.set_value(other).run()
    at.run()
    assert at.selectbox(key="rejected_import").value == other

    # 5. the count card says rows and steps; the caption explains a step rejected alone
    cards = {m.label: m.value for m in at.metric}
    assert cards[{"ja": "除外（行・ステップ）", "en": "Rejections (rows and steps)"}[lang]] == i18n.fmt_int(rejected_total)
    at.selectbox(key="rejected_import").set_value(newest_rejecting).run()
    assert i18n.t("data.rejected_steps_caption", lang) in texts(at, "caption")
