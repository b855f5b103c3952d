"""Rejected rows are stored as code + values and read back in the reader's language."""

from __future__ import annotations

from pathlib import Path

from dashboard import i18n, importer, store
from dashboard.metrics import store_info

CORPUS = Path(__file__).resolve().parent / "corpus"


def test_a_rejection_recorded_in_japanese_reads_in_english(tmp_path):
    con = store.connect(None)
    i18n.set_language("ja")
    try:
        result = importer.import_file(con, CORPUS / "candidates_cp932.csv")
    finally:
        i18n.set_language("ja")
    ja = store_info.rejected_rows(con, result.import_id, "ja")
    en = store_info.rejected_rows(con, result.import_id, "en")
    # a duplicate rejects its row; an early step rejects only that step, so rejections >= rows
    assert len(ja) == len(en) >= result.rows_rejected > 0
    assert all("行目" in r for r in ja["reason"])
    assert all(r.startswith("row ") for r in en["reason"])
    # the English sentence carries the same row, column and value as the stored one
    for (_, j), (_, e) in zip(ja.iterrows(), en.iterrows()):
        assert f"row {e['row_number']}:" in e["reason"]
        assert str(j["value"]) in e["reason"]
    # the extra values survive the round trip (duplicates name the other row, early steps the registration)
    assert set(en["reason_code"]) >= {"duplicate_id", "before_registration"}
    assert en.loc[en["reason_code"] == "duplicate_id", "reason"].str.contains(r"again in row \d+").all()
    assert en.loc[en["reason_code"] == "before_registration", "reason"].str.contains(r"registration \(2024/").all()
