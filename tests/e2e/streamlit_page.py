"""Driving a Streamlit page in a real browser: wait for a run to finish, find problems, save screenshots.

Streamlit renders asynchronously: the script runs on the server and streams elements to the
browser, so "the page loaded" means the app's root element reports a finished script run and the
connection is up. The root element ``[data-testid="stApp"]`` carries both states as attributes
(``data-test-script-state``, ``data-test-connection-state``); Streamlit's own browser tests wait on
them the same way.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = Path(os.environ.get("E2E_SCREENSHOT_DIR", REPO / "docs" / "screenshots"))

# Generous: the first run of a page on a 2-core machine computes every cached metric.
RUN_TIMEOUT_MS = 90_000

APP = '[data-testid="stApp"]'
EXCEPTION = '[data-testid="stException"]'
ERROR_BOX = '[data-testid="stAlertContentError"]'
# The frame's catch-all (dashboard/app.py) turns an uncaught exception into this error text.
GENERIC_ERROR = re.compile(r"表示中に問題が発生しました|Something went wrong while showing this")


def wait_for_run(page: Page, timeout: float = RUN_TIMEOUT_MS) -> None:
    """Block until the app is connected and its current script run is done, every element of
    the previous run replaced (Streamlit greys them out as "stale" meanwhile)."""
    page.wait_for_selector(f'{APP}[data-test-connection-state="CONNECTED"]', timeout=timeout)
    page.wait_for_selector(f'{APP}[data-test-script-state="notRunning"]', timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=timeout)


_WATCH_RERUN = """() => {
    window.__e2eRerunStarted = false;
    const app = document.querySelector('[data-testid="stApp"]');
    const seen = () => app.getAttribute('data-test-script-state') !== 'notRunning';
    const observer = new MutationObserver(() => {
        if (seen()) { window.__e2eRerunStarted = true; observer.disconnect(); }
    });
    observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def rerun_after(page: Page, action: Callable[[], object], timeout: float = RUN_TIMEOUT_MS) -> None:
    """Do ``action`` (a click, an upload) and wait for the rerun it triggers to finish.

    Right after the action the page still shows the previous run as finished, so waiting for
    "notRunning" alone could return before the rerun has even started: a watcher installed first
    records that a run began, and only then is the end awaited.
    """
    page.evaluate(_WATCH_RERUN)
    action()
    try:
        page.wait_for_function("() => window.__e2eRerunStarted === true", timeout=15_000)
    except PlaywrightTimeoutError:
        pass  # the action caused no rerun; the checks that follow say whether that was wrong
    wait_for_run(page, timeout)


def open_page(page: Page, base_url: str, path: str, lang: str | None = None) -> None:
    """Load ``base_url/path`` and wait for its run; optionally switch the language first."""
    page.goto(f"{base_url}/{path.lstrip('/')}", wait_until="domcontentloaded")
    wait_for_run(page)
    if lang is not None:
        set_language(page, lang)


def go_to(page: Page, title: str, url_path: str) -> None:
    """Follow the sidebar link ``title`` (the browser session, and so the language, is kept)."""
    rerun_after(page, page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click)
    page.wait_for_url(f"**/{url_path}")


def heading(page: Page) -> Locator:
    """The page title (the first ``st.title`` in the main area)."""
    return page.get_by_test_id("stMain").get_by_role("heading", level=1).first


def language_radio(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar").get_by_role("radiogroup", name="言語 / Language")


def set_language(page: Page, lang: str) -> None:
    """Pick 日本語 (``ja``) or English (``en``) in the sidebar radio and wait for the rerun."""
    label = {"ja": "日本語", "en": "English"}[lang]
    option = language_radio(page).get_by_text(label, exact=True)
    radio = language_radio(page).get_by_role("radio", name=label)
    if radio.is_checked():
        return
    rerun_after(page, option.click)
    expect(radio).to_be_checked()


def problems(page: Page) -> list[str]:
    """Exception boxes and error messages on the page (an empty list means a clean page)."""
    found = [f"exception: {text}" for text in page.locator(EXCEPTION).all_inner_texts()]
    found += [f"error: {text}" for text in page.locator(ERROR_BOX).all_inner_texts()]
    # Streamlit reports an unknown URL ("Page not found") in a modal dialog.
    found += [f"dialog: {text}" for text in page.get_by_role("dialog").all_inner_texts()]
    body = page.locator('[data-testid="stMain"]').inner_text()
    if GENERIC_ERROR.search(body) and not found:
        found.append("error: the frame's generic error message is showing")
    return found


def chart_drawing(chart: Locator) -> dict:
    """What Plotly drew in one chart: ``traces`` drawn in the SVG (traces, heatmaps) and whether
    any trace of its figure holds data points (``has_points``; ``_fullData`` holds the decoded
    arrays, ``data`` may still hold Plotly's base64 "bdata" encoding)."""
    return chart.evaluate(
        """el => ({
            traces: el.querySelectorAll('g.trace, g.hm, image').length,
            has_points: (el._fullData || []).some(t => ['x', 'y', 'z', 'values'].some(k => t[k] && t[k].length > 0)),
        })"""
    )


def main_text(page: Page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def screenshot(page: Page, name: str, max_height: int = 2400) -> Path:
    """Save the page as ``<SCREENSHOT_DIR>/<name>.png``, as tall as its content (up to ``max_height``).

    Streamlit scrolls inside its main element, not the document, so a "full page" screenshot would
    stop at the viewport: the viewport is stretched to the content for the shot instead.
    """
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    size = page.viewport_size
    content = page.get_by_test_id("stMain").evaluate("e => e.scrollHeight")
    height = max(size["height"], min(int(content), max_height))
    if height != size["height"]:
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(500)  # charts re-layout to the new size
    try:
        page.screenshot(path=str(path), animations="disabled")
    finally:
        if height != size["height"]:
            page.set_viewport_size(size)
    return path
