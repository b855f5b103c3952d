"""The frame around every page: store connection, language, shared filters, page context.

The entrypoint (``dashboard/app.py``) calls ``build_context()`` once per run, which renders the
sidebar and stores a ``Context``; pages get it with ``context()``. Pages stay thin: they read the
context, call metric functions through ``dashboard.cache`` and chart functions, and lay them out.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboard import cache, i18n, segments, store
from dashboard.filters import Filters, resolve_as_of
from dashboard.i18n import t
from dashboard.metrics import form as form_metrics
from dashboard.metrics import store_info
from dashboard.paths import DEFAULT_DB, DEFAULT_TARGETS, resolve_db_path, targets_path
from dashboard.settings import DEFAULT, Settings

log = logging.getLogger(__name__)
_CTX_KEY = "_advisor_funnel_ctx"
_SHOWN_LANG_KEY = "_advisor_funnel_shown_lang"
WORKSPACE_KEY = "session_workspace"  # set by the upload page: {"con": ..., "key": ..., "label": ...}


@dataclass
class Context:
    con: duckdb.DuckDBPyConnection
    db_key: str
    version: int
    filters: Filters
    settings: Settings
    lang: str
    targets: segments.TargetList | None
    segmentation: str | None  # key to bind as $segmentation, None when the store is empty
    is_empty: bool
    is_session_workspace: bool = False
    options: dict = field(default_factory=dict)
    language_changed: bool = False  # this run follows a switch of the language radio


@st.cache_resource(show_spinner=False)
def _shared_connection(path: str) -> duckdb.DuckDBPyConnection:
    con = store.connect(path)
    if Path(path) == DEFAULT_DB and store.is_empty(con):
        # First start on the default store: show the bundled sample rather than an empty screen.
        from dashboard import demo

        try:
            demo.load_sample(con)
        except Exception:  # the app must still open; the Data page explains what is missing
            log.exception("could not load the bundled sample")
    return con


def shared_store() -> tuple[duckdb.DuckDBPyConnection, str]:
    path = str(resolve_db_path(os.environ.get("ADVISOR_FUNNEL_DB")))
    return _shared_connection(path), f"file:{path}"


@st.cache_resource(show_spinner=False)
def _default_targets(path: str, mtime: float) -> segments.TargetList | None:
    try:
        return segments.load_target_list(path)
    except segments.TargetListError:
        log.exception("default target list is invalid")
        return None


def current_targets() -> segments.TargetList | None:
    custom = st.session_state.get("target_list")
    if custom is not None:
        return custom
    path = targets_path()
    if not path.exists():
        return None
    return _default_targets(str(path), path.stat().st_mtime_ns)


def _language_switch() -> str:
    lang = st.sidebar.radio(
        "言語 / Language",
        options=list(i18n.LANGUAGES),
        format_func=lambda code: {"ja": "日本語", "en": "English"}[code],
        horizontal=True,
        key="lang",
    )
    i18n.set_language(lang)
    return lang


def _language_changed(lang: str) -> bool:
    shown = st.session_state.get(_SHOWN_LANG_KEY)
    st.session_state[_SHOWN_LANG_KEY] = lang
    return shown is not None and shown != lang


def _relabel(keys) -> None:
    """Make keyed select widgets show their current choice in the new language.

    Streamlit (1.67) keeps a keyed selectbox / multiselect showing the label its old format_func
    gave, and a keyed radio showing no choice at all, when only the labels change: the value is
    kept but not sent again. Writing the value back marks it as set, so it is sent with the new
    labels. Only for select widgets (a button's state cannot be written).
    """
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def follow_language(ctx: "Context", *keys: str) -> None:
    """Call before creating the page's keyed select widgets whose labels are translated."""
    if ctx.language_changed:
        _relabel(keys)


def widget_default(ctx: "Context", key: str, default, neutral=0):
    """The default (``index=``) to give a widget that ``follow_language`` may have relabelled.

    On the run after a language switch the widget takes its written-back value and ignores the
    default; the neutral one (index 0, which Streamlit does not count as a default) keeps it from
    logging a warning about a default beside a value set through Session State."""
    return neutral if ctx.language_changed and key in st.session_state else default


_ALL = ""  # the "all" option; not None, which a selectbox would show as "no choice" once written back


def _all(label: str, values: list[str], key: str) -> str | None:
    # The label binds the language: AppTest formats values outside the script thread.
    choice = st.sidebar.selectbox(label, options=[_ALL, *values], key=key,
                                  format_func=lambda v, lang=i18n.language(): t("filter.all", lang) if v == _ALL else v)
    return choice or None


def build_context() -> Context:
    lang = _language_switch()
    changed = _language_changed(lang)
    workspace = st.session_state.get(WORKSPACE_KEY)
    if workspace:
        con, db_key = workspace["con"], workspace["key"]
        st.sidebar.info(t("app.session_workspace"))
        if st.sidebar.button(t("app.back_to_store"), key="leave_workspace"):
            st.session_state.pop(WORKSPACE_KEY, None)
            st.rerun()
    else:
        con, db_key = shared_store()
    version = store.data_version(con)
    empty = store.is_empty(con)
    settings: Settings = st.session_state.get("settings", DEFAULT)
    filters = Filters()
    targets = current_targets()
    segmentation = None
    options: dict = {}
    if not empty:
        if changed:
            _relabel([f"{name}:{db_key}" for name in ("team", "channel", "handler")] + ["segmentation"])
        options = cache.call(_Key(db_key, version, con), store_info.filter_options)
        filters = _filter_widgets(con, options, db_key, version)
        labels = cache.call(_Key(db_key, version, con), form_metrics.field_labels)
        segmentation = _segmentation_widget(con, targets, relabelled=changed, labels=labels)
    ctx = Context(
        con=con, db_key=db_key, version=version, filters=filters, settings=settings, lang=lang,
        targets=targets, segmentation=segmentation, is_empty=empty,
        is_session_workspace=bool(workspace), options=options, language_changed=changed,
    )
    st.session_state[_CTX_KEY] = ctx
    return ctx


@dataclass(frozen=True)
class _Key:
    """A minimal context for cache calls made before the full context exists."""

    db_key: str
    version: int
    con: duckdb.DuckDBPyConnection


def _filter_widgets(con, options: dict, db_key: str, version: int) -> Filters:
    st.sidebar.subheader(t("filter.heading"))
    info = cache.call(_Key(db_key, version, con), store_info.overview)
    first, last = info["first_registered_at"], info["last_registered_at"]
    start = end = None
    if pd.notna(first) and pd.notna(last):
        lo, hi = pd.Timestamp(first).date(), pd.Timestamp(last).date()
        picked = st.sidebar.date_input(t("filter.period"), value=(lo, hi), min_value=lo, max_value=hi, key=f"period:{db_key}")
        if isinstance(picked, (tuple, list)) and len(picked) == 2:
            start, end = picked
            start = None if start == lo else start
            end = None if end == hi else end
    team = _all(t("filter.team"), options.get("team", []), key=f"team:{db_key}")
    channel = _all(t("filter.channel"), options.get("channel", []), key=f"channel:{db_key}")
    handler = _all(t("filter.handler"), options.get("handler", []), key=f"handler:{db_key}")
    as_of = resolve_as_of(con)
    return Filters(start=start, end=end, team=team, channel=channel, handler=handler, as_of=as_of)


def _segment_choice(choice: str, labels: dict[str, str], lang: str) -> str:
    """A segmentation choice as a manager reads it: the export's header for an attribute
    ('年齢 (age)'), words for the target list and the base columns."""
    if choice in ("targets", "channel", "form_version"):
        return t(f"filter.{choice}", lang)
    label = labels.get(choice)
    return f"{label} ({choice})" if label and label != choice else choice


def _segmentation_widget(con, targets: segments.TargetList | None, relabelled: bool = False,
                         labels: dict[str, str] | None = None) -> str | None:
    columns = sorted(segments.available_columns(con))
    choices = (["targets"] if targets is not None else []) + columns
    picked = st.sidebar.multiselect(
        t("filter.segmentation"),
        options=choices,
        # After a language switch the written-back choice stands (see widget_default).
        default=None if relabelled and "segmentation" in st.session_state else choices[:1],
        max_selections=2,
        placeholder=t("filter.segmentation_placeholder"),  # Streamlit's own is English
        format_func=lambda c, lang=i18n.language(): _segment_choice(c, labels or {}, lang),
        key="segmentation",
    )
    attrs = [c for c in picked if c != "targets"]
    try:
        if attrs:
            return segments.ensure(con, ",".join(attrs[:2]))
        if targets is not None:
            return segments.ensure(con, targets)
    except segments.TargetListError as exc:
        st.sidebar.warning(str(exc))
    return None


def context() -> Context:
    ctx = st.session_state.get(_CTX_KEY)
    if ctx is None:
        ctx = build_context()
    return ctx


def empty_state(ctx: Context) -> bool:
    """Show the first-run message on an empty store; True when the page should stop there."""
    if not ctx.is_empty:
        return False
    st.info(t("app.empty_store"))
    st.page_link(str(Path(__file__).resolve().parent / "views" / "data.py"), label=t("app.go_to_data"), icon=":material/upload_file:")
    return True


def download_button(frame: pd.DataFrame | Callable[[], pd.DataFrame], file_name: str, key: str) -> None:
    # The CSV is written when the button is clicked, not on every rerun: for a large frame (the
    # missed matches at a million registrations) writing it took seconds of each rerun. ``frame``
    # may be a function giving the frame, so a list too long to fetch on every rerun (the whole
    # missed-matches list, where the page shows a few rows) is fetched only on a click as well.
    st.download_button(
        t("app.download_csv"),
        data=lambda: (frame() if callable(frame) else frame).to_csv(index=False).encode("utf-8-sig"),
        file_name=file_name,
        mime="text/csv",
        key=key,
    )


def table(frame: pd.DataFrame, column_config: dict | None = None, **kwargs) -> None:
    """A display table: no index, whole numbers with thousands separators (they stay numbers, so
    they sort as numbers and align right), any other ``column_config`` as given."""
    config = {
        column: st.column_config.NumberColumn(format="localized")
        for column in frame.columns
        if pd.api.types.is_integer_dtype(frame[column]) and not pd.api.types.is_bool_dtype(frame[column])
    }
    config.update(column_config or {})
    st.dataframe(frame, hide_index=True, column_config=config, **kwargs)


def as_of_caption(ctx: Context) -> None:
    if ctx.filters.as_of is not None:
        st.caption(t("app.as_of", when=i18n.fmt_datetime(ctx.filters.as_of)))


