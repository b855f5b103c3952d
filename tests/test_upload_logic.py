"""The upload page's logic without a browser: mapping table <-> profile, saved profiles and their
recognition, importing a batch of uploads, the target-list table <-> TOML, and segment counts for
an unsaved list."""

from __future__ import annotations

from pathlib import Path

import subprocess
import sys

import pandas as pd
import pytest

from dashboard import i18n, importer, segments, store, upload
from dashboard.importer.profile import Profile

CORPUS = Path(__file__).resolve().parent / "corpus"
READABLE = [
    "all_bad.csv", "calls_utf8.csv", "candidates.xlsx", "candidates_cp932.csv", "candidates_utf8_bom.csv",
    "events_log_utf16.tsv", "header_only.csv", "missing_required.csv", "mixed_dates.csv",
    "selection_wide_cp932.csv", "staff_utf8_bom.csv",
]


@pytest.fixture(autouse=True)
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("ja")


def raw_of(name: str) -> importer.RawTable:
    return importer.read_table(CORPUS / name)


def stages_of(p: Profile) -> dict:
    return {s: spec.to_dict() for s, spec in p.stages.items()}


# -- mapping table ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", READABLE)
def test_proposed_mapping_survives_the_table_unchanged(name):
    """Untouched, the editor describes exactly the profile the importer proposed: same rows kept,
    same rejections, same personal data dropped."""
    raw = raw_of(name)
    proposed = importer.propose_profile(raw)
    table = upload.mapping_table(raw, proposed)
    assert list(table["source"]) == list(raw.df.columns)
    back = upload.profile_from_table(table, proposed, proposed.kind)
    assert back.columns == proposed.columns
    assert stages_of(back) == stages_of(proposed)
    assert back.stage_names == proposed.stage_names
    a, b = importer.validate(raw, proposed), importer.validate(raw, back)
    assert (a.refused, a.rows_rejected, a.dropped, a.unmapped) == (b.refused, b.rows_rejected, b.dropped, b.unmapped)
    if a.candidates is not None:
        assert list(a.candidates.columns) == list(b.candidates.columns)


def test_personal_columns_are_pre_marked_as_dropped_and_not_shown():
    raw = raw_of("candidates_cp932.csv")
    table = upload.mapping_table(raw, importer.propose_profile(raw)).set_index("source")
    personal = ["氏名", "フリガナ", "電話番号", "メールアドレス", "住所", "予備欄"]
    assert (table.loc[personal, "target"] == upload.DROP).all()
    assert (table.loc[personal, "personal"] != "").all()
    assert table.at["予備欄", "personal"] == "content: phone numbers"
    # the sample shows the shape of personal data, never the data
    assert "山田" not in table.at["氏名", "sample"] and "090" not in table.at["電話番号", "sample"]
    assert table.at["経験職種", "sample"].startswith("ITエンジニア")
    # staff names are the subject of the dashboard: kept
    assert table.at["初回対応者", "personal"] == "" and table.at["初回対応者", "target"] == "staff:first_contact"
    assert table.at["担当CA", "target"] == upload.ADVISOR
    # free text may hold personal data too: proposed as dropped, not shown
    assert table.at["自由記述", "target"] == upload.DROP
    assert table.at["自由記述", "personal"] == "free text, may hold personal data"
    assert "よろしく" not in table.at["自由記述", "sample"]
    assert table.at["職務経歴書", "target"] == upload.ATTRIBUTE and table.at["年齢", "name"] == "age"


def test_edits_in_the_table_become_the_profile():
    raw = raw_of("candidates_cp932.csv")
    proposed = importer.propose_profile(raw)
    table = upload.mapping_table(raw, proposed).set_index("source")
    table.loc["職務経歴書", "target"] = upload.DROP
    table.loc["年齢", "name"] = "Age Years"  # sanitised
    table.loc["流入経路", "target"] = upload.ATTRIBUTE
    table.loc["流入経路", "name"] = "source_medium"
    table.loc["面談設定者", "target"] = upload.DROP  # the advisor then also books
    profile = upload.profile_from_table(table.reset_index(), proposed, "candidates")
    assert "channel" not in profile.columns
    assert profile.attributes["age_years"] == "年齢" and profile.attributes["source_medium"] == "流入経路"
    assert "職務経歴書" in profile.drop and "職務経歴書" not in profile.attributes.values()
    assert profile.stages["meeting_booked"].staff == "担当CA"
    pv = importer.validate(raw, profile)
    assert "age_years" in pv.candidates.columns and "has_resume" not in pv.candidates.columns
    assert pv.dropped["職務経歴書"] == "profile" and pv.dropped["自由記述"] == "free_text"


def test_handler_and_per_stage_staff_codes():
    raw = importer.read_table(
        "求職者ID,登録日時,初回接触日時,面談設定日時,面談実施日時,推薦日,登録対応者,担当CA,推薦担当\n"
        "A1,2024/4/1 9:00,2024/4/1 9:05,2024/4/1 9:06,2024/4/3 10:00,2024/4/10,鈴木,佐藤,伊藤\n".encode(), "x.csv")
    proposed = importer.propose_profile(raw)
    table = upload.mapping_table(raw, proposed).set_index("source")
    table.loc["登録対応者", "target"] = upload.HANDLER
    table.loc["担当CA", "target"] = upload.ADVISOR
    table.loc["推薦担当", "target"] = "staff:recommended"  # a stage named on its own wins
    p = upload.profile_from_table(table.reset_index(), proposed, "candidates")
    staff = {s: spec.staff for s, spec in p.stages.items()}
    assert staff == {"first_contact": "登録対応者", "meeting_booked": "登録対応者", "meeting_held": "担当CA",
                     "recommended": "推薦担当"}
    # and the table of that profile shows the same three codes again
    again = upload.mapping_table(raw, p).set_index("source")["target"]
    assert (again["登録対応者"], again["担当CA"], again["推薦担当"]) == (upload.HANDLER, upload.ADVISOR, "staff:recommended")


def test_contradictory_tables_are_refused_with_the_rows_named():
    raw = raw_of("candidates_cp932.csv")
    proposed = importer.propose_profile(raw)
    table = upload.mapping_table(raw, proposed).set_index("source")
    table.loc["フォーム版", "target"] = "column:channel"
    with pytest.raises(upload.MappingError) as info:
        upload.profile_from_table(table.reset_index(), proposed, "candidates")
    assert info.value.messages == ['both "流入経路" and "フォーム版" are mapped to "column: channel (channel)": keep one']
    table = upload.mapping_table(raw, proposed).set_index("source")
    table.loc["面談実施日時", "target"] = upload.DROP
    table.loc["年齢", "target"] = "column:stage"  # not a column of a candidate export
    with pytest.raises(upload.MappingError) as info:
        upload.profile_from_table(table.reset_index(), proposed, "candidates")
    assert "年齢" in info.value.messages[0] and "candidates exports" in info.value.messages[0]


def test_status_values_of_an_event_log_are_listed_with_their_stage():
    raw = raw_of("events_log_utf16.tsv")
    profile = importer.propose_profile(raw)
    table = upload.stage_names_table(raw, profile).set_index("value")
    assert table.at["4. 面談済み", "stage"] == "meeting_held"
    assert table.at["7. 保留", "stage"] == upload.UNMAPPED  # reported, never guessed
    table.loc["7. 保留", "stage"] = "interview"
    names = upload.stage_names_from_table(table.reset_index())
    pv = importer.validate(raw, profile.with_(stage_names=names))
    assert "unmapped_stage" not in pv.rejected_by_reason


# -- saved profiles ---------------------------------------------------------------------------------

def test_saved_profiles_go_to_the_folder_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_FUNNEL_PROFILES", str(tmp_path / "saved"))
    raw = raw_of("candidates_cp932.csv")
    path = upload.save_profile(importer.propose_profile(raw), "PORTERS 求職者一覧")
    assert path == tmp_path / "saved" / "PORTERS_求職者一覧.toml"
    (loaded,) = upload.saved_profiles()
    assert loaded.name == "PORTERS 求職者一覧" and loaded.columns["candidate_id"] == "求職者ID"
    (tmp_path / "saved" / "broken.toml").write_text("kind = 'nonsense'", encoding="utf-8")
    assert [p.name for p in upload.saved_profiles()] == ["PORTERS 求職者一覧"]  # invalid files skipped
    with pytest.raises(upload.MappingError):
        upload.save_profile(loaded, "  ")


def test_recognition_by_header_set():
    cand = raw_of("candidates_cp932.csv")
    events = raw_of("events_log_utf16.tsv")
    p_cand = importer.propose_profile(cand).with_(name="porters")
    p_events = importer.propose_profile(events).with_(name="log")
    assert upload.recognise(cand, [p_events, p_cand]).name == "porters"
    assert upload.recognise(events, [p_events, p_cand]).name == "log"
    # a profile reading a header the file lacks is not this export
    other = p_cand.with_(name="other", attributes={**p_cand.attributes, "x": "存在しない列"})
    assert upload.recognise(cand, [other]) is None
    # next week's export: same headers, other rows
    next_week = importer.read_table(cand.df.head(3).to_csv(index=False).encode(), "求職者一覧_0408.csv")
    assert upload.recognise(next_week, [p_cand]).name == "porters"
    # a profile that only knows two of 22 headers is too loose to claim the file
    loose = Profile(name="loose", kind="candidates", columns={"candidate_id": "求職者ID", "registered_at": "登録日時"})
    assert upload.recognise(cand, [loose]) is None


# -- target list ------------------------------------------------------------------------------------

TARGETS = """
[[segment]]
name = "30代専門職"
target = true
age = [30, 39]
job_category = ["ITエンジニア", "経理"]

[[segment]]
name = "スカウト"
target = true
channel = "sco_bizreach"

[[segment]]
name = "非ターゲット"
target = false
job_changes = [4, 99]
"""


def test_target_list_table_round_trip():
    tl = segments.parse_target_list(TARGETS)
    table = upload.targets_table(tl, ["prefecture", "age"])
    assert list(table.columns) == ["order", "name", "target", "age", "job_category", "channel", "job_changes", "prefecture"]
    assert table.iloc[0][["age", "job_category", "channel"]].tolist() == ["30-39", "ITエンジニア, 経理", ""]
    back = segments.parse_target_list(upload.targets_toml(table))
    assert back.key == tl.key


def test_target_list_cells_are_read_as_ranges_lists_and_values():
    table = pd.DataFrame([
        {"order": 2, "name": "B", "target": False, "age": "", "job_changes": "0, 1", "channel": "sco"},
        {"order": 1, "name": "A", "target": True, "age": "24〜29", "job_changes": "", "channel": ""},
        {"order": None, "name": "C", "target": True, "age": "40", "job_changes": "", "channel": ""},
        {"order": None, "name": None, "target": False, "age": None, "job_changes": None, "channel": None},
    ])
    tl = segments.parse_target_list(upload.targets_toml(table))
    assert tl.segment_names() == ["A", "B", "C"]  # by order, unnumbered rows last, empty rows skipped
    (a,), (jc, ch), (c,) = (r.conditions for r in tl.rules)
    assert (a.kind, a.values) == ("range", (24.0, 29.0))
    assert (jc.kind, jc.values) == ("one_of", ("0", "1"))  # two numbers typed as a list stay "one of"
    assert (ch.kind, ch.values) == ("equals", ("sco",))
    assert (c.kind, c.values) == ("equals", (40,))


def test_an_invalid_target_list_names_the_segment_and_key():
    table = pd.DataFrame([{"order": 1, "name": "A", "target": True, "age": "39-30"}])
    with pytest.raises(segments.TargetListError, match=r"segment #1 \(A\): 'age' range \[39, 30\] runs backwards"):
        segments.parse_target_list(upload.targets_toml(table))


def test_saving_targets_writes_only_a_valid_list(tmp_path, monkeypatch):
    path = tmp_path / "targets.toml"
    monkeypatch.setenv("ADVISOR_FUNNEL_TARGETS", str(path))
    path.write_text(TARGETS, encoding="utf-8")
    with pytest.raises(segments.TargetListError):
        upload.save_targets("[[segment]]\nname = 'x'\n")  # no conditions
    assert path.read_text(encoding="utf-8") == TARGETS
    tl = upload.save_targets(TARGETS.replace("[30, 39]", "[30, 44]"))
    assert tl.rules[0].conditions[0].values == (30.0, 44.0)
    assert segments.load_target_list(path).key == tl.key


def test_segment_counts_of_an_unsaved_list_match_the_stored_segmentation(given):
    con = given(
        candidates=[
            {"candidate_id": "1", "registered_at": "2024-04-01", "channel": "sco_bizreach", "age": 31, "job_category": "経理", "job_changes": 1},
            {"candidate_id": "2", "registered_at": "2024-04-01", "channel": "paid", "age": 35, "job_category": "販売", "job_changes": 5},
            {"candidate_id": "3", "registered_at": "2024-04-01", "channel": "paid", "age": None, "job_category": "経理", "job_changes": 1},
            {"candidate_id": "4", "registered_at": "2024-04-01", "channel": "sco_bizreach", "age": 50, "job_category": "販売", "job_changes": 2},
            {"candidate_id": "5", "registered_at": "2024-04-01", "channel": "paid", "age": 25, "job_category": "販売", "job_changes": 2},
        ],
        attributes={"age": "DOUBLE", "job_category": "VARCHAR", "job_changes": "DOUBLE"},
    )
    tl = segments.parse_target_list(TARGETS)
    counts = upload.segment_counts(con, tl).set_index("segment")["candidates"].to_dict()
    # by hand: 1 -> 30代専門職; 2 -> 非ターゲット; 3 -> unknown (age missing, job fits);
    # 4 -> スカウト; 5 -> other
    assert counts == {"30代専門職": 1, "スカウト": 1, "非ターゲット": 1, "unknown": 1, "other": 1}
    key = segments.ensure(con, tl)
    stored = dict(con.execute(
        "select segment, count(*) from candidate_segments where segmentation = $k group by 1", {"k": key}).fetchall())
    assert stored == counts


# -- importing a batch of uploads -----------------------------------------------------------------

def uploads_of(*names: str) -> list[tuple[upload.Upload, Profile]]:
    """Each corpus file read as the page reads an upload, with its proposed mapping."""
    ups = [upload.read_upload(f"file-{i}", n, (CORPUS / n).read_bytes(), profiles=[]) for i, n in enumerate(names)]
    return [(up, up.base) for up in ups]


def funnel(con) -> pd.DataFrame:
    return con.execute("select * from candidate_funnel order by cand_key").df()


def assert_derived_fresh(con) -> None:
    """candidate_funnel is what a rebuild from the canonical tables gives now."""
    shown = funnel(con)
    assert not store.derived_stale(con)
    assert len(shown) == store.table_counts(con)["candidates"]
    store.refresh_derived(con)
    pd.testing.assert_frame_equal(shown, funnel(con))


@pytest.fixture
def rebuilds(monkeypatch) -> list[int]:
    """Counts the derived-table rebuilds (dashboard.store.refresh_derived builds them all)."""
    calls = []
    original = store.refresh_derived
    monkeypatch.setattr(store, "refresh_derived", lambda con: calls.append(1) or original(con))
    return calls


def test_a_batch_of_uploads_rebuilds_once_and_moves_the_data_version_once(rebuilds):
    con = store.connect(None)
    before = store.data_version(con)
    outcomes = upload.import_uploads(con, uploads_of("events_log_utf16.tsv", "candidates_cp932.csv", "staff_utf8_bom.csv"))
    # dependency order, every file in, each with its own import
    assert [(o.file_name, o.refused) for o in outcomes] == [
        ("staff_utf8_bom.csv", False), ("candidates_cp932.csv", False), ("events_log_utf16.tsv", False)]
    assert len({o.import_id for o in outcomes}) == 3
    assert outcomes[1].lines[0] == "candidates_cp932.csv (candidates): 8 rows read, 7 imported, 1 rejected"
    assert store.data_version(con) == before + 1
    assert len(rebuilds) == 1
    assert len(funnel(con)) == 7
    assert_derived_fresh(con)


def test_a_refused_file_in_the_middle_of_a_batch_leaves_the_others_in_and_derived_tables_fresh(rebuilds):
    con = store.connect(None)
    before = store.data_version(con)
    files = ("staff_utf8_bom.csv", "all_bad.csv", "candidates_cp932.csv", "events_log_utf16.tsv")
    outcomes = upload.import_uploads(con, uploads_of(*files))
    assert [(o.file_name, o.refused) for o in outcomes] == [
        ("staff_utf8_bom.csv", False), ("all_bad.csv", True), ("candidates_cp932.csv", False),
        ("events_log_utf16.tsv", False)]
    assert outcomes[1].lines[0].startswith("all_bad.csv: no usable rows (all 2 rows rejected")
    landed = con.execute("select file_name from imports order by import_id").fetchall()
    assert landed == [("staff_utf8_bom.csv",), ("candidates_cp932.csv",), ("events_log_utf16.tsv",)]
    assert store.data_version(con) == before + 1
    assert len(rebuilds) == 1
    assert_derived_fresh(con)


def test_a_refused_last_file_still_rebuilds_for_the_files_before_it(rebuilds):
    con = store.connect(None)
    outcomes = upload.import_uploads(con, uploads_of("candidates_cp932.csv", "all_bad.csv"))
    assert [o.refused for o in outcomes] == [False, True]
    assert store.data_version(con) == 1 and len(rebuilds) == 1
    assert len(funnel(con)) == 7
    assert_derived_fresh(con)


def test_a_batch_where_nothing_lands_changes_nothing(rebuilds):
    con = store.connect(None)
    upload.import_uploads(con, uploads_of("candidates_cp932.csv"))
    version, rebuilt = store.data_version(con), len(rebuilds)
    # the same bytes again (already imported) and a refused file: no rebuild, no new version
    outcomes = upload.import_uploads(con, uploads_of("candidates_cp932.csv", "all_bad.csv"))
    assert [(o.already, o.refused) for o in outcomes] == [(True, False), (False, True)]
    assert store.data_version(con) == version and len(rebuilds) == rebuilt


def test_the_upload_logic_runs_without_streamlit():
    code = "import sys, dashboard.upload; sys.exit('streamlit' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_header_read_twice_shows_its_required_use():
    """A staff list whose name column is also its id: the table shows 'name', and the profile it
    gives back imports the same staff (the importer takes the id from the name)."""
    raw = raw_of("staff_utf8_bom.csv")
    header = raw.df.columns[0]
    base = Profile(name="staff", kind="staff", columns={"staff_id": header, "name": header})
    table = upload.mapping_table(raw, base).set_index("source")
    assert table.at[header, "target"] == "column:name"
    back = upload.profile_from_table(table.reset_index(), base, "staff")
    a, b = importer.validate(raw, base), importer.validate(raw, back)
    assert a.staff.equals(b.staff)


def test_serve_passes_the_upload_limit_from_the_repo_config(monkeypatch, tmp_path):
    """``advisor-funnel serve`` may start anywhere; the limit in .streamlit/config.toml still holds."""
    import tomllib

    from dashboard import cli
    from dashboard.paths import REPO_ROOT

    limit = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))["server"]["maxUploadSize"]
    assert limit > 200  # raised above Streamlit's default
    seen = {}
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd, env: seen.update(cmd=cmd) or 0)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["serve", "--db", str(tmp_path / "x.duckdb")]) == 0
    cmd = seen["cmd"]
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == str(limit)
