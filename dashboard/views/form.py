"""Placeholder until its issue lands (being built now)."""

import streamlit as st

from dashboard import frame
from dashboard.i18n import t

ctx = frame.context()
st.title(t("nav.form"))
frame.empty_state(ctx)
