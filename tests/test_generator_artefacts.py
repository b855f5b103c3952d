"""The export artefacts an importer must survive are really in the files, where truth.json says:
encodings and line endings, Japanese headers, date formats, full-width digits, duplicate
re-exported rows (the later one complete), events dated before the registration, and the
personal-data columns with realistic formats."""

from __future__ import annotations

import re
import tomllib
import unicodedata

import pandas as pd
import pytest

from dashboard.generator import generate
from generator_helpers import MISSING, Export, read_raw

ARGS = {"registrations": 3000, "seed": 3, "weeks": 52}
HEADERS = {
    "求職者一覧.csv": ["求職者ID", "登録日時", "流入経路", "フォーム版", "氏名", "フリガナ", "電話番号", "メールアドレス",
                  "住所", "年齢", "居住都道府県", "経験職種", "現年収(万円)", "希望年収(万円)", "転職回数", "英語力",
                  "就業状況", "転職希望時期", "希望勤務地", "最終学歴", "保有資格", "職務経歴書", "自由記述",
                  "初回接触日時", "初回対応者", "面談設定日時", "面談設定者", "面談予定日時", "面談実施日時", "担当CA"],
    "選考プロセス.csv": ["求職者ID", "求人ID", "推薦日", "書類通過日", "一次面接日", "最終面接日", "内定日", "承諾日",
                   "入社日", "入社前辞退日", "担当CA"],
    "架電ログ.csv": ["求職者ID", "架電日時", "架電担当", "結果", "通話時間(分)"],
    "担当者一覧.csv": ["担当者名", "役割", "チーム", "着任日"],
}
TIMESTAMP = re.compile(r"^\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}$")
DATE = re.compile(r"^\d{4}/\d{2}/\d{2}$")
FULL_WIDTH_DIGIT = re.compile("[０-９]")


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Export:
    folder = tmp_path_factory.mktemp("artefacts")
    generate(**ARGS, out_dir=folder)
    return Export(folder)


def test_encodings_line_endings_and_headers(export):
    for name, headers in HEADERS.items():
        data = (export.folder / name).read_bytes()
        if name in ("求職者一覧.csv", "選考プロセス.csv"):
            assert not data.startswith(b"\xef\xbb\xbf")
            text = data.decode("cp932")
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            assert text.count("\r\n") == text.count("\n") == export.truth["files"][name]["rows"] + 1
        else:
            assert data.startswith(b"\xef\xbb\xbf")
            text = data.decode("utf-8-sig")
            assert "\r" not in text and text.count("\n") == export.truth["files"][name]["rows"] + 1
        assert text.splitlines()[0].split(",") == headers, name


def test_cp932_is_needed_not_just_shift_jis(export):
    # Names use characters (髙, 﨑) that only CP932's extensions encode.
    names = "".join(export.raw_candidates["氏名"])
    with pytest.raises(UnicodeEncodeError):
        names.encode("shift_jis")


def test_timestamps_are_japanese_style_apart_from_the_planted_exceptions(export):
    raw = export.raw_candidates
    artefacts = export.truth["artefacts"]
    wide = artefacts["full_width_cells"]["求職者一覧.csv"]
    odd = set(artefacts["other_format_cells"]["求職者一覧.csv"]["面談設定日時"])
    for header in ("登録日時", "初回接触日時", "面談設定日時", "面談予定日時", "面談実施日時"):
        cells = raw.set_index("求職者ID")[header]
        cells = cells[cells != ""]
        exceptions = set(wide.get(header, [])) | (odd if header == "面談設定日時" else set())
        plain = cells[~cells.index.isin(exceptions)]
        assert plain.str.match(TIMESTAMP).all(), plain[~plain.str.match(TIMESTAMP)].head()
    assert odd, "a few 面談設定日時 cells use another format"
    iso = raw.set_index("求職者ID").loc[sorted(odd), "面談設定日時"]
    assert iso.str.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()
    pipeline = read_raw(export.folder / "選考プロセス.csv")
    for header in ("書類通過日", "内定日", "入社日"):
        cells = pipeline[header][pipeline[header] != ""]
        assert len(cells) and cells.str.match(DATE).all(), header


def test_full_width_digits_are_where_the_truth_says(export):
    raw = export.raw_candidates.drop_duplicates("求職者ID", keep="last").set_index("求職者ID")
    wide = export.truth["artefacts"]["full_width_cells"]["求職者一覧.csv"]
    for header in ("登録日時", "初回接触日時", "年齢", "現年収(万円)"):
        listed = wide[header]
        assert listed, header
        assert raw.loc[listed, header].str.contains(FULL_WIDTH_DIGIT).all(), header
        others = raw.drop(index=listed)[header]
        assert not others.str.contains(FULL_WIDTH_DIGIT).any(), header
    # After NFKC they are ordinary values.
    assert export.candidates.loc[wide["年齢"], "年齢"].astype(int).between(20, 65).all()
    pipeline = read_raw(export.folder / "選考プロセス.csv")
    keys = pipeline["求職者ID"] + "/" + pipeline["求人ID"]
    listed = export.truth["artefacts"]["full_width_cells"]["選考プロセス.csv"]["推薦日"]
    assert pipeline.loc[keys.isin(listed), "推薦日"].str.contains(FULL_WIDTH_DIGIT).all()


def test_duplicate_ids_are_a_stale_row_followed_by_the_complete_one(export):
    raw = export.raw_candidates
    duplicates = export.truth["artefacts"]["duplicate_ids"]
    assert 0.003 * len(export.candidates) <= len(duplicates) <= 0.01 * len(export.candidates)
    counts = raw["求職者ID"].value_counts()
    assert set(counts[counts > 1].index) == set(duplicates) and (counts[duplicates] == 2).all()
    for candidate_id in duplicates:
        earlier, later = raw[raw["求職者ID"] == candidate_id].to_dict("records")
        assert earlier["初回接触日時"] == "" and later["初回接触日時"] != ""
        assert earlier["登録日時"] == later["登録日時"]
        # The latest row is what the exports contain for this person.
        assert export.candidates.loc[candidate_id, "初回接触日時"] == pd.Timestamp(
            unicodedata.normalize("NFKC", later["初回接触日時"]))


def test_events_before_registration_are_planted_in_both_files(export):
    early = export.truth["artefacts"]["early_events"]
    by_file = {name: [e for e in early if e["file"] == name] for name in ("求職者一覧.csv", "選考プロセス.csv")}
    assert all(len(v) >= 3 for v in by_file.values())
    c = export.candidates
    for event in by_file["求職者一覧.csv"]:
        row = c.loc[event["candidate_id"]]
        assert row[event["column"]] < row["登録日時"]
    p = export.pipeline.set_index(["求職者ID", "求人ID"])
    for event in by_file["選考プロセス.csv"]:
        assert p.loc[[(event["candidate_id"], event["job_id"])], "推薦日"].max() < c.loc[event["candidate_id"], "登録日時"]
    # Nothing else happens before its registration.
    listed = {e["candidate_id"] for e in early}
    for header in ("初回接触日時", "面談設定日時", "面談実施日時"):
        before = c[(c[header] < c["登録日時"]) & ~c.index.isin(listed)]
        assert before.empty, header
    joined = export.pipeline.join(c["登録日時"], on="求職者ID")
    bad = joined[(joined["推薦日"] < joined["登録日時"].dt.normalize())]
    assert set(zip(bad["求職者ID"], bad["求人ID"])) <= {(e["candidate_id"], e["job_id"]) for e in by_file["選考プロセス.csv"]}


def test_personal_data_columns_look_real(export):
    raw = export.raw_candidates
    assert export.truth["artefacts"]["pii_columns"] == ["氏名", "フリガナ", "電話番号", "メールアドレス", "住所"]
    assert raw["氏名"].str.match(r"^\S+\u3000\S+$").all()
    assert raw["フリガナ"].str.match(r"^[ァ-ヶー]+\u3000[ァ-ヶー]+$").all()
    assert raw["メールアドレス"].str.match(r"^[a-z._0-9]+@example\.(com|jp|ne\.jp|co\.jp|org)$").all()
    phones = raw["電話番号"].map(lambda v: unicodedata.normalize("NFKC", v))
    styles = {
        "hyphenated": phones.str.match(r"^0[789]0-\d{4}-\d{4}$").mean(),
        "digits": phones.str.match(r"^0[789]0\d{8}$").mean(),
        "leading zero lost": phones.str.match(r"^[789]0\d{8}$").mean(),
    }
    assert all(share > 0.05 for share in styles.values()), styles
    assert 0.005 < 1 - sum(styles.values()) < 0.05  # junk numbers
    assert 0.02 < raw["電話番号"].str.contains(FULL_WIDTH_DIGIT).mean() < 0.08
    addresses = raw["住所"][raw["住所"] != ""]
    assert (addresses.str.slice(0, 3).isin(["東京都", "大阪府", "京都府", "北海道"])
            | addresses.str.contains("県")).all()


def test_salaries_in_man_yen_and_missing_spellings(export):
    c = export.candidates
    for header in ("現年収(万円)", "希望年収(万円)"):
        values = pd.to_numeric(c[header].where(~c[header].isin(MISSING)))
        assert values.dropna().between(150, 2000).all() and (values.dropna() % 10 == 0).all()
    tokens = pd.Series(export.raw_candidates[["英語力", "就業状況", "最終学歴"]].to_numpy().ravel())
    assert {"", "-", "未記載"} <= set(tokens)
    # 現年収 is sometimes 未記載 even on the long form that requires it.
    v1 = c[c["フォーム版"] == "v1"]
    assert 0.04 < (v1["現年収(万円)"] == "未記載").mean() < 0.12


def test_profiles_describe_the_files_beside_them(export):
    for path in sorted((export.folder / "profiles").glob("*.toml")):
        profile = tomllib.loads(path.read_text(encoding="utf-8"))
        assert profile["file"] == path.stem + ".csv"
        headers = set(HEADERS[profile["file"]])
        used = set(profile.get("columns", {}).values()) | set(profile.get("attributes", {}).values())
        used |= set(profile.get("drop", []))
        for spec in profile.get("stages", {}).values():
            used |= set(spec.values())
        assert used <= headers, (path.name, used - headers)
        assert not used & set(export.truth["artefacts"]["pii_columns"])


def test_profiles_are_valid_import_profiles(export):
    profile_module = pytest.importorskip("dashboard.importer.profile")
    for path in sorted((export.folder / "profiles").glob("*.toml")):
        profile = profile_module.Profile.from_file(path)
        assert profile.file == path.stem + ".csv"


def test_one_row_per_candidate_and_job(export):
    pipeline = read_raw(export.folder / "選考プロセス.csv")
    assert not pipeline.duplicated(["求職者ID", "求人ID"]).any()
    assert pipeline["求人ID"].str.match(r"^JOB-\d{5}$").all()
