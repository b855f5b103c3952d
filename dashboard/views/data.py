"""データ / Data: what is in the store; upload and map exports; import history with undo; the
target list. The sections themselves live in dashboard/sections/ (their logic in dashboard/upload.py)."""

import streamlit as st

from dashboard import cache, demo, frame, i18n
from dashboard.i18n import t
from dashboard.metrics import store_info
from dashboard.sections import history, targets, upload

ctx = frame.context()
st.title(t("data.title"))

if ctx.is_session_workspace:
    st.info(t("data.workspace_note", label=st.session_state[frame.WORKSPACE_KEY]["label"]))
elif ctx.is_empty:
    st.info(t("data.first_run"))
    if st.button(t("app.load_sample"), key="load_sample"):
        try:
            results = demo.load_sample(ctx.con)
        except Exception as exc:  # a broken sample must not show a traceback
            st.error(t("data.sample_failed", detail=str(exc)))
        else:
            st.success(t("data.sample_loaded", n=len(results)))
            st.rerun()

st.subheader(t("data.in_store"))
info = cache.call(ctx, store_info.overview)
for col, (table, count) in zip(st.columns(len(info["counts"])), info["counts"].items()):
    col.metric(t(f"data.table_{table}"), i18n.fmt_int(count))
if info["first_registered_at"] is not None and str(info["first_registered_at"]) != "NaT":
    st.caption(t("data.registered_range", first=i18n.fmt_date(info["first_registered_at"]),
                 last=i18n.fmt_date(info["last_registered_at"])))

tab_upload, tab_history, tab_targets = st.tabs([t("data.tab_upload"), t("data.tab_history"), t("data.tab_targets")])
with tab_upload:
    upload.render_upload(ctx)
with tab_history:
    history.render_history(ctx)
with tab_targets:
    targets.render_targets_editor(ctx)
