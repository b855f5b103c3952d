"""The Data page's target-list editor in Streamlit: the list as a table (one row per segment,
one column per attribute), validated on every edit with the candidates each segment would hold,
saved to the target-list file; the TOML itself for what a table cannot say. The logic is
``dashboard.upload``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

from dashboard import cache, frame, segments, upload
from dashboard.charts.yellow_zone import segment_label
from dashboard.i18n import t
from dashboard.paths import targets_path

_FLASH = "_data_flash_targets"  # a message to show once after a rerun


def render_targets_editor(ctx) -> None:
    """The target list as a table (one row per segment, one column per attribute), validated on
    every edit and saved to the target-list file; the TOML itself for what a table cannot say."""
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash)
    path = targets_path()
    st.caption(t("target_editor.intro", path=path.name))
    try:
        current = frame.current_targets()
    except segments.TargetListError as exc:
        current = None
        st.warning(str(exc))
    attributes = sorted(segments.available_columns(ctx.con))
    base = upload.targets_table(current, attributes)
    base_key = hashlib.sha256((current.key if current else "none").encode() + ",".join(base.columns).encode()).hexdigest()[:12]
    column_config = {
        "order": st.column_config.NumberColumn(t("target_editor.col_order"), min_value=1, step=1, help=t("target_editor.col_order_help")),
        "name": st.column_config.TextColumn(t("target_editor.col_name")),
        "target": st.column_config.CheckboxColumn(t("target_editor.col_target")),
    }
    for a in base.columns[3:]:
        column_config[a] = st.column_config.TextColumn(a, help=t("target_editor.cell_help"))
    edited = st.data_editor(base, key=f"targets_editor:{base_key}", hide_index=True, num_rows="dynamic",
                            width="stretch", column_config=column_config)
    st.caption(t("target_editor.cell_help"))
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    text = upload.targets_toml(edited, upload.leading_comments(existing) or upload.TARGET_HEADER)
    parsed = None
    if current is None and not any(not upload.is_blank(v) for v in edited["name"]):
        st.info(t("target_editor.empty"))
    else:
        try:
            parsed = segments.parse_target_list(text, source=path.name)
        except segments.TargetListError as exc:
            st.error(str(exc))
    if parsed is not None and not ctx.is_empty:
        # 'unknown' and 'other' in words; the rules' own segment names as they are.
        # Cached per data version and list text: the editor reruns on every click of the page.
        counts = cache.call(ctx, upload.segment_counts_of, text, path.name)
        counts = counts.assign(segment=lambda f: [segment_label(s) for s in f["segment"]])
        frame.table(counts.rename(columns={"segment": t("target_editor.col_segment"), "target": t("target_editor.col_target"),
                                            "candidates": t("target_editor.col_candidates")}),
                    key="targets_counts")
    changed = parsed is not None and (current is None or parsed.key != current.key)
    if st.button(t("target_editor.save"), key="targets_save", type="primary", disabled=not changed):
        _save_targets(text, path)
    with st.expander(t("target_editor.toml_heading")):
        raw = st.text_area(t("target_editor.toml_label"), value=existing or text, height=300,
                           key=f"targets_toml:{base_key}")
        if st.button(t("target_editor.save_toml"), key="targets_save_toml"):
            _save_targets(raw, path)


def _save_targets(text: str, path: Path) -> None:
    try:
        parsed = upload.save_targets(text, path)
    except segments.TargetListError as exc:
        st.error(str(exc))
        return
    except OSError as exc:
        st.error(t("target_editor.not_saved", detail=exc.strerror or str(exc)))
        return
    if st.session_state.get("target_list") is not None:
        st.session_state["target_list"] = parsed
    st.session_state[_FLASH] = t("target_editor.saved", n=len(parsed.rules), path=path.name)
    st.rerun()
