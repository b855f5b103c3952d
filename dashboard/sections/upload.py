"""The Data page's upload section in Streamlit: the file picker, one box per file (what was
detected, encoding / kind / profile pickers, the mapping editor, live validation, saving the
profile), the two import buttons and what the last import did. The logic is ``dashboard.upload``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import frame, i18n, importer, upload
from dashboard.i18n import t
from dashboard.importer import aliases as al
from dashboard.importer.profile import Profile
from dashboard.metrics import store_info

_UPLOADS = "_upload_state"  # file_id -> Upload
_OUTCOMES = "_upload_outcomes"  # (where, [Outcome]) of the last import action


def sync_uploads(files) -> list[upload.Upload]:
    """The uploads in the widget, each read once (keyed on ``file_id``); files removed from the
    widget are forgotten."""
    state: dict[str, upload.Upload] = st.session_state.setdefault(_UPLOADS, {})
    files = files or []
    current = []
    for f in files:
        up = state.get(f.file_id)
        if up is None:
            up = upload.read_upload(f.file_id, f.name, f.getvalue())
            state[f.file_id] = up
        current.append(up)
    for gone in set(state) - {f.file_id for f in files}:
        del state[gone]
    return current


def render_upload(ctx) -> None:
    """Upload, detect, map, validate; then explore alone or add to the shared store."""
    files = st.file_uploader(
        t("upload.pick"), type=upload.UPLOAD_TYPES, accept_multiple_files=True, key="upload_files",
        help=t("upload.pick_help"),
    )
    st.caption(t("upload.limit", mb=i18n.fmt_int(st.get_option("server.maxUploadSize"))))
    uploads = sync_uploads(files)
    _render_outcomes(ctx)
    if not uploads:
        return
    has_candidates = any(up.raw is not None and up.kind == "candidates" for up in uploads)
    shared_con, _ = frame.shared_store()
    ready: list[tuple[upload.Upload, Profile]] = []
    for up in uploads:
        with st.container(border=True):
            # Events and calls are checked against the store on show unless their candidates come
            # in the same batch (then the import, in dependency order, checks them).
            con = None if has_candidates and up.kind in ("events", "activities") else ctx.con
            profile = _render_file(up, con, ctx)
        if profile is not None:
            ready.append((up, profile))
    if not ready:
        return
    st.markdown(t("upload.ready", n=len(ready), total=len(uploads)))
    left, right = st.columns(2)
    explore = left.button(t("upload.explore"), key="upload_explore", help=t("upload.explore_help"),
                          width="stretch")
    add = right.button(t("upload.add_shared"), key="upload_add", type="primary", help=t("upload.add_help"),
                       width="stretch")
    if explore:
        workspace = st.session_state.get(frame.WORKSPACE_KEY) or upload.new_workspace("")
        outcomes = upload.import_into_workspace(workspace, ready)
        if workspace["label"]:  # something went in: the session now shows its workspace
            st.session_state[frame.WORKSPACE_KEY] = workspace
        st.session_state[_OUTCOMES] = ("session", outcomes)
        st.rerun()
    if add:
        outcomes = upload.import_once(shared_con, "shared", ready)
        st.session_state[_OUTCOMES] = ("shared", outcomes)
        st.rerun()


def _render_outcomes(ctx) -> None:
    last = st.session_state.get(_OUTCOMES)
    if not last:
        return
    where, outcomes = last
    if where == "session":
        workspace = st.session_state.get(frame.WORKSPACE_KEY)
        con = workspace["con"] if workspace else None
        st.info(t("upload.done_session"))
    else:
        con = frame.shared_store()[0]
        st.info(t("upload.done_shared"))
    for i, o in enumerate(outcomes):
        if o.refused:
            st.error(o.lines[0])
            continue
        (st.info if o.already else st.success)(o.lines[0])
        if len(o.lines) > 1:
            st.caption("  \n".join(o.lines[1:]))
        if con is not None and o.import_id is not None and not o.already:
            rejected = store_info.rejected_rows(con, o.import_id, i18n.language())
            if not rejected.empty:
                frame.download_button(rejected.drop(columns=["raw_json"]), f"rejected_rows_{o.import_id}.csv",
                                      key=f"dl_outcome_{i}_{o.import_id}")
    if st.button(t("upload.dismiss"), key="upload_dismiss"):
        st.session_state.pop(_OUTCOMES, None)
        st.rerun()


def _render_file(up: upload.Upload, con, ctx) -> Profile | None:
    """One uploaded file: what was detected, the controls, the mapping editor and the live
    validation. Returns the profile to import with, or None when the file cannot be imported."""
    # Widgets' labels bind the language: AppTest formats values outside the script thread.
    lang = i18n.language()
    st.markdown(f"**{up.name}**")
    if up.raw is None:
        st.error(up.error)
        return None
    raw = up.raw
    st.caption(upload.detected_text(up))
    profiles = upload.saved_profiles()
    enc_key, kind_key, prof_key = f"enc:{up.file_id}", f"kind:{up.file_id}:{up.version}", f"prof:{up.file_id}:{up.version}"
    # After a language switch the pickers show their kept choice in the new language.
    frame.follow_language(ctx, enc_key, kind_key, prof_key)
    c1, c2, c3 = st.columns(3)
    if raw.sheet_names:
        if len(raw.sheet_names) > 1:
            sheet = c1.selectbox(t("upload.sheet"), raw.sheet_names, index=raw.sheet_names.index(raw.sheet),
                                 key=f"sheet:{up.file_id}")
            if sheet != raw.sheet:
                upload.reread(up, up.encoding, sheet, profiles)
                st.rerun()
    else:
        enc = c1.selectbox(t("upload.encoding"), upload.ENCODINGS,
                           index=frame.widget_default(ctx, enc_key, upload.ENCODINGS.index(up.encoding)),
                           format_func=lambda e, lang=lang: t("upload.encoding_auto", lang) if e == "auto" else e,
                           key=enc_key)
        if enc != up.encoding:
            upload.reread(up, enc, up.sheet, profiles)
            st.rerun()
    if up.error:
        st.error(up.error)
        return None
    kind = c2.selectbox(t("upload.kind"), al.KINDS, index=frame.widget_default(ctx, kind_key, al.KINDS.index(up.kind)),
                        format_func=lambda k, lang=lang: t(f"import_kind.{k}", lang), key=kind_key)
    if kind != up.kind:
        upload.change_kind(up, kind)
        st.rerun()
    names = [p.name for p in profiles]
    current = up.recognised if up.recognised in names else ""
    chosen = c3.selectbox(t("upload.profile"), ["", *names],
                          index=frame.widget_default(ctx, prof_key, ([""] + names).index(current)),
                          format_func=lambda n, lang=lang: n or t("upload.profile_proposed", lang),
                          key=prof_key)
    if chosen != current:
        if chosen:
            upload.set_base(up, next(p for p in profiles if p.name == chosen), recognised=True)
        else:
            upload.set_base(up, importer.propose_profile(raw, kind=up.kind, name=Path(up.name).stem))
        st.rerun()
    if up.recognised:
        st.success(t("upload.recognised", name=up.recognised))
    else:
        st.caption(t("upload.proposed"))

    st.markdown(t("upload.mapping_heading"))
    if up.table is None:
        up.table = upload.mapping_table(raw, up.base)
    options = upload.target_options(up.kind)
    edited = st.data_editor(
        up.table,
        key=f"map:{up.file_id}:{up.version}",
        hide_index=True,
        num_rows="fixed",
        width="stretch",
        disabled=["source", "sample", "personal"],
        column_config={
            "source": st.column_config.TextColumn(t("upload.col_source")),
            "sample": st.column_config.TextColumn(t("upload.col_sample"), width="medium"),
            "target": st.column_config.SelectboxColumn(t("upload.col_target"), options=options, width="large",
                                                       format_func=lambda c, lang=lang: upload.target_label(c, lang), required=True),
            "name": st.column_config.TextColumn(t("upload.col_name"), help=t("upload.col_name_help")),
            "personal": st.column_config.TextColumn(t("upload.col_personal")),
        },
    )
    try:
        profile = upload.profile_from_table(edited, up.base, up.kind)
    except upload.MappingError as exc:
        for line in exc.messages:
            st.error(line)
        return None
    status = upload.stage_names_table(raw, profile.with_(stage_names=up.base.stage_names))
    if status is not None:
        st.markdown(t("upload.stage_names_heading"))
        edited_status = st.data_editor(
            status,
            key=f"status:{up.file_id}:{up.version}:{profile.columns.get('stage')}",
            hide_index=True, num_rows="fixed", width="stretch", disabled=["value", "rows"],
            column_config={
                "value": st.column_config.TextColumn(t("upload.col_status")),
                "rows": st.column_config.NumberColumn(t("upload.col_rows")),
                "stage": st.column_config.SelectboxColumn(
                    t("upload.col_stage"), options=[upload.UNMAPPED, *al.STAGES], required=True,
                    format_func=lambda s, lang=lang: t(f"stage.{s}", lang) if s in al.STAGES
                    else t("upload.stage_unmapped", lang)),
            },
        )
        profile = profile.with_(stage_names=upload.stage_names_from_table(edited_status))

    pv = upload.preview(up, profile, con)
    if pv.dropped:
        st.caption(t("upload.dropped", items=", ".join(
            f"{h} ({t(f'import_drop.{why}')})" for h, why in pv.dropped.items())))
    _render_validation(up, pv)
    _render_save_profile(up, profile)
    return None if pv.refused else profile


def _render_validation(up: upload.Upload, pv: importer.Preview) -> None:
    if pv.refused:
        st.error(pv.refused)
        return
    a, b, c = st.columns(3)
    a.metric(t("upload.rows_read"), i18n.fmt_int(pv.rows_read))
    b.metric(t("upload.rows_ok"), i18n.fmt_int(pv.rows_accepted))
    c.metric(t("upload.rows_rejected"), i18n.fmt_int(pv.rows_rejected))
    for note in pv.notes:
        st.caption(note.text(i18n.language()))
    if pv.unmapped:
        st.caption(t("upload.unmapped", items=", ".join(pv.unmapped)))
    if pv.rejected_by_reason:
        st.markdown(t("upload.rejections_heading"))
        st.dataframe(upload.rejections_by_reason(pv).rename(columns={"reason": t("data.col_reason"),
                                                                    "rows": t("upload.col_rows")}),
                     hide_index=True, key=f"reasons:{up.file_id}")
        rej = pv.rejections[["row_number", "column_name", "value", "reason"]].head(200)
        with st.expander(t("upload.rejected_rows", n=i18n.fmt_int(len(pv.rejections)))):
            st.dataframe(rej.rename(columns={
                "row_number": t("data.col_row_number"), "column_name": t("data.col_column"),
                "value": t("data.col_value"), "reason": t("data.col_reason")}),
                hide_index=True, width="stretch", key=f"rejrows:{up.file_id}")
    rows = upload.mapped_rows(pv)
    if not rows.empty:
        with st.expander(t("upload.preview_heading", n=len(rows))):
            st.dataframe(rows, hide_index=True, width="stretch", key=f"mapped:{up.file_id}")


def _render_save_profile(up: upload.Upload, profile: Profile) -> None:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.text_input(t("upload.profile_name"), value=up.recognised or up.base.name,
                           key=f"pname:{up.file_id}:{up.version}")
    if right.button(t("upload.save_profile"), key=f"psave:{up.file_id}", width="stretch"):
        try:
            path = upload.save_profile(profile, name)
        except (upload.MappingError, OSError) as exc:
            st.error(t("upload.profile_not_saved", detail=str(exc)))
        else:
            up.recognised = name.strip()
            st.success(t("upload.profile_saved", name=name.strip(), path=path.name))
