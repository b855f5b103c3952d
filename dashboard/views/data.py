"""データ / Data: what is in the store, the import history and every rejected row."""

import streamlit as st

from dashboard import cache, demo, frame, i18n
from dashboard.i18n import t
from dashboard.metrics import store_info

ctx = frame.context()
st.title(t("data.title"))

if ctx.is_empty and not ctx.is_session_workspace:
    st.info(t("app.empty_store"))
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
cols = st.columns(len(info["counts"]))
for col, (table, count) in zip(cols, info["counts"].items()):
    col.metric(t(f"data.table_{table}"), i18n.fmt_int(count))
if info["first_registered_at"] is not None and str(info["first_registered_at"]) != "NaT":
    st.caption(
        t(
            "data.registered_range",
            first=i18n.fmt_date(info["first_registered_at"]),
            last=i18n.fmt_date(info["last_registered_at"]),
        )
    )

st.subheader(t("data.imports"))
imports = cache.call(ctx, store_info.imports)
if imports.empty:
    st.caption(t("data.no_imports"))
else:
    shown = imports[
        ["import_id", "file_name", "kind", "profile_name", "rows_read", "rows_accepted", "rows_rejected", "finished_at"]
    ].rename(
        columns={
            "import_id": t("data.col_import_id"),
            "file_name": t("data.col_file_name"),
            "kind": t("data.col_kind"),
            "profile_name": t("data.col_profile"),
            "rows_read": t("data.col_rows_read"),
            "rows_accepted": t("data.col_rows_accepted"),
            "rows_rejected": t("data.col_rows_rejected"),
            "finished_at": t("data.col_finished_at"),
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")

    st.subheader(t("data.rejected"))
    choice = st.selectbox(
        t("data.pick_import"),
        options=imports["import_id"].tolist(),
        format_func=lambda i: f"#{i} {imports.set_index('import_id').at[i, 'file_name']}",
        key="rejected_import",
    )
    rejected = cache.call(ctx, store_info.rejected_rows, int(choice))
    if rejected.empty:
        st.caption(t("data.rejected_none"))
    else:
        table = rejected[["row_number", "column_name", "value", "reason"]].rename(
            columns={
                "row_number": t("data.col_row_number"),
                "column_name": t("data.col_column"),
                "value": t("data.col_value"),
                "reason": t("data.col_reason"),
            }
        )
        st.dataframe(table, hide_index=True, width="stretch")
        frame.download_button(rejected.drop(columns=["raw_json"]), f"rejected_rows_{choice}.csv", key="dl_rejected")
