"""A manager's own CRM export goes in through the browser: a Shift_JIS (CP932) file with Japanese
headers is picked in the file chooser, mapped from its headers, added to the shared store, and its
registrations show up on the overview."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page, expect

from dashboard import i18n
from dashboard.i18n import t
from streamlit_page import open_page, problems, rerun_after, screenshot

pytestmark = pytest.mark.browser

CHANNEL = "e2e_upload"  # a channel the sample never uses, so the upload can be singled out
HEADERS = ["求職者ID", "登録日時", "流入経路", "氏名", "電話番号", "年齢", "経験職種", "初回接触日時", "初回対応者",
           "面談実施日時", "担当CA"]


def _sample_facts(sample_db: Path) -> dict:
    con = duckdb.connect(str(sample_db), read_only=True)
    try:
        last = con.execute("select max(registered_at) from candidates").fetchone()[0]
        handler = con.execute("select min(staff_id) from staff where role = 'handler'").fetchone()[0]
        advisor = con.execute("select min(staff_id) from staff where role = 'advisor'").fetchone()[0]
        candidates = con.execute("select count(*) from candidates").fetchone()[0]
    finally:
        con.close()
    return {"last": last, "handler": handler, "advisor": advisor, "candidates": candidates}


def write_cp932_export(path: Path, facts: dict) -> tuple[Path, int, dt.date]:
    """Seven registrations in one complete week well inside the sample's period, as a CRM writes
    them: CP932, CRLF, ``YYYY/M/D H:MM``, with names and phone numbers that must not be stored."""
    monday = (facts["last"] - dt.timedelta(weeks=6)).date()
    monday -= dt.timedelta(days=monday.weekday())
    names = ["山田　太郎", "佐々木　花子", "髙橋　一郎", "渡邊　美咲", "斎藤　健", "吉田　葵", "中村　蓮"]
    rows = [",".join(HEADERS)]
    for i, name in enumerate(names):
        reg = dt.datetime.combine(monday + dt.timedelta(days=i % 5), dt.time(10 + i, 5))
        contact = reg + dt.timedelta(minutes=20)
        held = f"{(contact + dt.timedelta(days=3)):%Y/%-m/%-d %-H:%M}" if i % 2 == 0 else ""
        rows.append(",".join([
            f"E2E-{i + 1:04d}", f"{reg:%Y/%-m/%-d %-H:%M}", CHANNEL, name, f"090-0000-{i:04d}", str(28 + i),
            "経理", f"{contact:%Y/%-m/%-d %-H:%M}", facts["handler"], held, facts["advisor"] if held else "",
        ]))
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp932"))
    return path, len(names), monday


def metric_value(page: Page, label: str):
    """The value of the ``st.metric`` whose label is ``label``."""
    metric = page.get_by_test_id("stMain").get_by_test_id("stMetric").filter(has_text=label).first
    return metric.get_by_test_id("stMetricValue")


def test_a_cp932_export_uploaded_in_the_browser_lands_in_the_store_and_on_the_overview(
    page: Page, writable_server, sample_db, tmp_path
):
    facts = _sample_facts(sample_db)
    export, n, week = write_cp932_export(tmp_path / "求職者一覧_自社CRM.csv", facts)
    open_page(page, writable_server.url, "data")
    expect(metric_value(page, t("data.table_candidates", "ja"))).to_have_text(f"{facts['candidates']:,}")

    def choose_file():
        # Through the browser's own file chooser, as a user clicking the drop zone gets it.
        with page.expect_file_chooser() as chooser:
            page.get_by_test_id("stFileUploaderDropzone").click()
        chooser.value.set_files(str(export))

    rerun_after(page, choose_file)

    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text(export.name)
    # Detected without being told: the encoding, the kind of export, and the personal columns.
    expect(main).to_contain_text("cp932")
    expect(main).to_contain_text(t("upload.detected_kind", "ja", kind=t("import_kind.candidates", "ja")))
    expect(main).to_contain_text(t("upload.dropped", "ja", items="").rstrip(": "))
    dropped = main.get_by_text(t("upload.dropped", "ja", items="").rstrip(": "))
    expect(dropped).to_contain_text("氏名")
    expect(dropped).to_contain_text("電話番号")
    # The proposed mapping reads every row: nothing would be rejected.
    expect(metric_value(page, t("upload.rows_read", "ja"))).to_have_text(str(n))
    expect(metric_value(page, t("upload.rows_ok", "ja"))).to_have_text(str(n))
    expect(metric_value(page, t("upload.rows_rejected", "ja"))).to_have_text("0")
    screenshot(page, "upload_mapping")

    rerun_after(page, page.get_by_role("button", name=t("upload.add_shared", "ja")).click)

    expect(main).to_contain_text(t("upload.done_shared", "ja"))
    assert problems(page) == []
    expect(metric_value(page, t("data.table_candidates", "ja"))).to_have_text(f"{facts['candidates'] + n:,}")

    # On the overview the upload is a channel of its own; filtered to it, the week shown (the
    # latest complete one) is the upload's week and counts exactly its registrations.
    open_page(page, writable_server.url, "")
    channel_box = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text=t("filter.channel", "ja"))
    channel_box.click()
    rerun_after(page, page.get_by_role("option", name=CHANNEL, exact=True).click)
    assert problems(page) == []
    expect(metric_value(page, t("kpi.registrations", "ja"))).to_have_text(str(n))
    expect(main).to_contain_text(i18n.fmt_week(week, "ja"))
    screenshot(page, "upload_overview")
