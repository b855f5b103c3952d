"""A drill-down list leaves the browser as a CSV a spreadsheet opens: the candidates behind a figure."""

from __future__ import annotations

import io

import duckdb
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from streamlit_page import open_page, problems

pytestmark = pytest.mark.browser

DOWNLOAD = '[data-testid="stDownloadButton"] button'
# Pages with a candidate drill-down, in the order they are tried; the first that offers a
# download is used (the overview's list of registrations in the chosen week).
DRILL_DOWN_PAGES = ["", "handoff", "yellow-zone"]


def test_a_drill_down_list_downloads_as_a_csv_of_real_candidates(page: Page, sample_server, sample_db):
    for url in DRILL_DOWN_PAGES:
        open_page(page, sample_server.url, url)
        if page.locator(DOWNLOAD).count():
            break
    else:
        pytest.fail(f"no download button on any of {DRILL_DOWN_PAGES}")
    assert problems(page) == []

    button = page.locator(DOWNLOAD).first
    button.scroll_into_view_if_needed()
    expect(button).to_be_enabled()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    raw = open(download.path(), "rb").read()

    # utf-8 with a BOM, so Excel on a Japanese Windows machine opens it without mojibake.
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str)
    assert len(frame) > 0
    id_column = next((c for c in frame.columns if c in ("candidate_id", "求職者ID")), None)
    assert id_column is not None, f"no candidate id column in {list(frame.columns)}"
    assert frame[id_column].notna().all()

    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        known = {row[0] for row in con.execute("select candidate_id from candidates").fetchall()}
    finally:
        con.close()
    assert set(frame[id_column]) <= known
    # The store holds no personal data, so no export of it may carry any either.
    assert not {"氏名", "電話番号", "メールアドレス", "name", "phone", "email"} & set(frame.columns)
