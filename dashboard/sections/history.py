"""The Data page's import history in Streamlit: every import of the store on show, undo, and
the rejected rows of one import. The logic is ``dashboard.upload``."""

from __future__ import annotations

import streamlit as st

from dashboard import cache, frame, importer, upload
from dashboard.i18n import t
from dashboard.metrics import store_info

_FLASH = "_data_flash"  # a message to show once after a rerun


def render_history(ctx) -> None:
    """Import history of the store on show, undo, and every rejected row."""
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash)
    imports = cache.call(ctx, store_info.imports)
    if imports.empty:
        st.caption(t("data.no_imports"))
        return
    frame.table(upload.history_table(imports), width="stretch", key="imports_table",
                # An id is a name, not a quantity: no thousands separator.
                column_config={t("data.col_import_id"): st.column_config.NumberColumn(format="%d")})
    names = imports.set_index("import_id")["file_name"].to_dict()
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    pick = left.selectbox(t("data.undo_pick"), imports["import_id"].tolist(),
                          format_func=lambda i: f"#{i} {names[i]}", key="undo_import")
    if right.button(t("data.undo"), key="undo_button", width="stretch", help=t("data.undo_help")):
        try:
            upload.undo(ctx.con, int(pick))
        except importer.ImportRefused as exc:
            st.error(str(exc))
        else:
            st.session_state[_FLASH] = t("data.undone", import_id=int(pick), file=names[pick])
            st.rerun()

    st.subheader(t("data.rejected"))
    ids = imports["import_id"].tolist()
    with_rejections = set(cache.call(ctx, store_info.rejections_by_reason)["import_id"])
    # Keyed: a choice made here is kept across reruns; the default only applies to the first run.
    choice = st.selectbox(t("data.pick_import"), ids, index=upload.default_rejected_import(ids, with_rejections),
                          format_func=lambda i: f"#{i} {names[i]}", key="rejected_import")
    rejected = cache.call(ctx, store_info.rejected_rows, int(choice), ctx.lang)
    if rejected.empty:
        st.caption(t("data.rejected_none"))
        return
    table = rejected[["row_number", "column_name", "value", "reason"]].rename(columns={
        "row_number": t("data.col_row_number"), "column_name": t("data.col_column"),
        "value": t("data.col_value"), "reason": t("data.col_reason")})
    frame.table(table, width="stretch", key="rejected_table")
    if (rejected["reason_code"] == "before_registration").any():
        st.caption(t("data.rejected_steps_caption"))
    frame.download_button(rejected.drop(columns=["raw_json"]), f"rejected_rows_{choice}.csv", key="dl_rejected")
