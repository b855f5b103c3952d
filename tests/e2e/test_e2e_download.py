"""A drill-down list leaves the browser as a CSV a spreadsheet opens: the candidates behind a
figure on the weekly overview, as many as the page says, all of them real candidates of the store."""

from __future__ import annotations

import io
import re

import duckdb
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from dashboard.i18n import t
from streamlit_page import open_page, problems

pytestmark = pytest.mark.browser

PERSONAL = {"氏名", "フリガナ", "電話番号", "メールアドレス", "住所", "name", "phone", "email", "address"}


def test_the_overview_drill_down_downloads_as_a_csv_of_the_candidates_it_lists(page: Page, sample_server, sample_db):
    open_page(page, sample_server.url, "")
    assert problems(page) == []
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(t("overview.drill", "ja"))
    count_pattern = re.escape(t("overview.drill_count", "ja", n="<n>")).replace("<n>", r"([\d,]+)")
    listed = main.get_by_text(re.compile(f"^{count_pattern}$"))
    expect(listed).to_be_visible()
    n = int(re.match(count_pattern, listed.inner_text()).group(1).replace(",", ""))

    button = main.get_by_test_id("stDownloadButton").get_by_role("button", name=t("app.download_csv", "ja"))
    expect(button).to_have_count(1)
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    raw = open(download.path(), "rb").read()

    # UTF-8 with a BOM, so Excel on a Japanese Windows machine opens it without mojibake.
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str)
    assert len(frame) == n > 0
    assert "candidate_id" in frame.columns, list(frame.columns)
    assert frame["candidate_id"].notna().all() and frame["candidate_id"].is_unique

    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        known = {row[0] for row in con.execute("select candidate_id from candidates").fetchall()}
    finally:
        con.close()
    assert set(frame["candidate_id"]) <= known
    # The store holds no personal data, so no export of it may carry any either.
    assert not PERSONAL & {c.lower() for c in frame.columns}
