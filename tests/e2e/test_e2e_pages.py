"""Every page in a real browser: it loads on the sample store with its chart, speaks both
languages, and an empty store greets a newcomer with a first-run message instead of an error."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Page, expect

from dashboard.i18n import t
from streamlit_page import chart_drawing, go_to, heading, main_text, open_page, problems, screenshot, set_language

pytestmark = pytest.mark.browser

# url path and view module; the page list is the one in dashboard/app.py. The overview
# is the default page, served at the root URL; its own URL is OVERVIEW_URL (the menu links to "/").
PAGES = [
    ("", "overview"),
    ("handoff", "handoff"),
    ("yellow-zone", "yellow_zone"),
    ("my-segments", "my_segments"),
    ("form", "form"),
    ("labour", "labour"),
    ("data", "data"),
]
OVERVIEW_URL = "overview"
# The Data page lists what is in the store; it has figures, not a chart.
WITHOUT_CHART = {"data"}


@pytest.mark.parametrize("url, module", PAGES, ids=[module for _, module in PAGES])
def test_every_page_loads_on_the_sample_with_its_chart(page: Page, sample_server, sample_db, url, module):
    open_page(page, sample_server.url, url)

    assert problems(page) == []
    expect(heading(page)).to_be_visible()
    if url in WITHOUT_CHART:
        # The figures describe the store being served: the sample, every registration of it.
        candidates = page.get_by_test_id("stMetric").filter(has_text=t("data.table_candidates", "ja")).first
        expect(candidates.get_by_test_id("stMetricValue")).to_have_text(f"{count_candidates(sample_db):,}")
    else:
        chart = page.locator(".js-plotly-plot").first
        expect(chart).to_be_visible()
        # An empty figure still draws axes: the main chart must have drawn traces with data.
        expect(chart.locator("g.trace, g.hm, image").first).to_be_attached()
        drawing = chart_drawing(chart)
        assert drawing["traces"] > 0 and drawing["has_points"], drawing
    screenshot(page, module)


def test_the_overview_opens_at_its_own_url_too(page: Page, sample_server):
    """A bookmark or a shared link to /overview shows the overview, not Streamlit's "page not
    found" dialog, and the menu still leads on from there."""
    open_page(page, sample_server.url, OVERVIEW_URL)

    assert problems(page) == []
    expect(heading(page)).to_have_text(t("nav.overview", "ja"))
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible()
    expect(chart.locator("g.trace, g.hm, image").first).to_be_attached()
    assert page.url.rstrip("/").endswith(f"/{OVERVIEW_URL}")

    go_to(page, t("nav.handoff", "ja"), "handoff")
    expect(heading(page)).to_have_text(t("handoff.title", "ja"))
    assert problems(page) == []


def count_candidates(db) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select count(*) from candidates").fetchone()[0]
    finally:
        con.close()


def test_language_switch_changes_the_page_text(page: Page, sample_server):
    open_page(page, sample_server.url, "")
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav).to_contain_text(t("nav.overview", "ja"))
    expect(nav).to_contain_text(t("nav.yellow_zone", "ja"))
    japanese = main_text(page)

    set_language(page, "en")

    expect(nav).to_contain_text(t("nav.overview", "en"))
    expect(nav).to_contain_text(t("nav.yellow_zone", "en"))
    expect(nav).not_to_contain_text(t("nav.overview", "ja"))
    expect(page.get_by_test_id("stSidebar")).to_contain_text(t("filter.heading", "en"))
    expect(heading(page)).to_have_text(t("nav.overview", "en"))
    assert main_text(page) != japanese
    assert problems(page) == []

    # The choice belongs to the browser session, so it holds on the next page.
    go_to(page, t("nav.data", "en"), "data")
    expect(heading(page)).to_have_text(t("data.title", "en"))


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_an_empty_store_shows_a_first_run_message_on_every_page(page: Page, empty_server, lang):
    open_page(page, empty_server.url, "", lang=lang)
    for url, module in PAGES:
        if url:
            go_to(page, t(f"nav.{module}", lang), url)
        assert problems(page) == [], module
        # The Data page says where to upload on the page itself; the others point to it.
        first_run = "data.first_run" if module == "data" else "app.empty_store"
        expect(page.get_by_test_id("stMain"), module).to_contain_text(t(first_run, lang))
        if lang == "ja" and module == "overview":
            screenshot(page, "empty_overview")


def test_the_page_list_covers_every_page_of_the_app():
    app = (Path(__file__).resolve().parents[2] / "dashboard" / "app.py").read_text(encoding="utf-8")
    declared = set(re.findall(r'url_path="([^"]*)"', app))
    assert declared == {url for url, _ in PAGES} | {OVERVIEW_URL}
