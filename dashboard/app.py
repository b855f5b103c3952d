"""Streamlit entrypoint: the frame (language, store, shared filters) and the page navigation.

Run with ``advisor-funnel serve`` (or ``streamlit run dashboard/app.py``). Pages live in
``dashboard/views/`` (not ``pages/``, which would switch Streamlit to its legacy multipage mode).
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from dashboard import frame
from dashboard.i18n import t

VIEWS = Path(__file__).resolve().parent / "views"
log = logging.getLogger("dashboard.app")

st.set_page_config(page_title="Advisor funnel", page_icon="📊", layout="wide")

ctx = frame.build_context()

pages = {
    t("nav.analysis"): [
        # The default page is served at the root URL only; the same script again, hidden from
        # the menu, answers a bookmark or a shared link to /overview instead of "page not found".
        st.Page(VIEWS / "overview.py", title=t("nav.overview"), url_path="", default=True),
        st.Page(VIEWS / "overview.py", title=t("nav.overview"), url_path="overview", visibility="hidden"),
        st.Page(VIEWS / "handoff.py", title=t("nav.handoff"), url_path="handoff"),
        st.Page(VIEWS / "yellow_zone.py", title=t("nav.yellow_zone"), url_path="yellow-zone"),
        st.Page(VIEWS / "my_segments.py", title=t("nav.my_segments"), url_path="my-segments"),
        st.Page(VIEWS / "form.py", title=t("nav.form"), url_path="form"),
        st.Page(VIEWS / "labour.py", title=t("nav.labour"), url_path="labour"),
    ],
    t("nav.data_section"): [
        st.Page(VIEWS / "data.py", title=t("nav.data"), url_path="data"),
    ],
}
page = st.navigation(pages)
try:
    page.run()
except Exception as exc:  # never show a traceback: say what failed, log the detail
    log.exception("page %s failed", page.title)
    st.error(t("app.error_generic", detail=f"{type(exc).__name__}: {exc}"))
