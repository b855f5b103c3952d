"""週次概要 / Weekly overview: the manager's Monday screen (KPIs, funnel, trends, alerts, drill-down)."""

import streamlit as st

from dashboard import cache, frame, i18n
from dashboard.charts import funnel as funnel_charts
from dashboard.i18n import t
from dashboard.metrics import funnel

ctx = frame.context()
st.title(t("nav.overview"))
if frame.empty_state(ctx):
    st.stop()
frame.as_of_caption(ctx)
settings = ctx.settings

weeks = cache.call(ctx, funnel.weeks_available, ctx.filters)
if not weeks:
    st.info(t("app.no_rows"))
    st.stop()
default = cache.call(ctx, funnel.default_week, ctx.filters)
week = st.selectbox(
    t("overview.week"), weeks, index=weeks.index(default) if default in weeks else 0,
    format_func=i18n.fmt_week, help=t("overview.week_help"), key="overview_week",
)
week_label = i18n.fmt_week(week)
week_scope = funnel.week_filters(ctx.filters, week)
trend_scope = funnel.week_filters(ctx.filters, week, settings.trend_weeks)
weekly = cache.call(ctx, funnel.weekly_overview, ctx.filters, settings, ctx.segmentation, week)
targets = funnel.target_segmentation(ctx.segmentation)

# KPI cards with week-over-week change; provisional weeks say so.
st.subheader(t("overview.kpis"))
windows = {"response_time": f"{settings.response_window_days:g}d", "contact_rate": f"{settings.contact_window_hours:g}h",
           "meeting_rate": f"{settings.meeting_window_days:g}d", "live_transfer_share": f"{settings.meeting_window_days:g}d",
           "registrations": "7d", "effective_meetings": "7d"}
for col, card in zip(st.columns(len(funnel.KPI_KEYS)), funnel.kpi_cards(weekly, week)):
    label = t(f"kpi.{card['key']}")
    if card["is_provisional"]:
        label = f"{label}（{t('overview.provisional_badge')}）"
    if card["key"] == "effective_meetings" and targets is None:
        col.metric(label, "–", help=t("overview.no_targets"))
        continue
    fmt = {"rate": i18n.fmt_pct, "minutes": i18n.fmt_minutes, "count": i18n.fmt_int}[card["kind"]]
    delta = None
    if card["delta"] is not None:
        delta = i18n.fmt_pp(card["delta"]) if card["kind"] == "rate" else (
            i18n.fmt_minutes(abs(card["delta"])) if card["kind"] == "minutes" else f"{card['delta']:+,.0f}")
        if card["kind"] == "minutes" and card["delta"] < 0:
            delta = f"-{delta}"
    help_text = t("overview.provisional_help", window=windows[card["key"]]) if card["is_provisional"] else None
    if card["kind"] == "rate" and card["n"]:
        interval = t("overview.interval_help", low=i18n.fmt_pct(card["low"]), high=i18n.fmt_pct(card["high"]),
                     n=i18n.fmt_int(card["n"]))
        help_text = f"{help_text}\n\n{interval}" if help_text else interval
    col.metric(
        label, fmt(card["value"]), delta=delta, help=help_text,
        delta_color="normal" if card["higher_is_better"] else "inverse",
        delta_description=t("overview.vs_previous") if delta else None,
    )

# Funnel over the trend window, each stage on the cohorts mature for its window.
st.subheader(t("overview.funnel", weeks=settings.trend_weeks))
stages = cache.call(ctx, funnel.stage_funnel, trend_scope, settings)
mode = st.radio(t("overview.funnel_mode"), funnel_charts.FUNNEL_MODES, horizontal=True,
                format_func=lambda m: t(f"funnel_mode.{m}"), key="overview_funnel_mode")
st.plotly_chart(funnel_charts.funnel_chart(stages, mode), key="overview_funnel_chart")
st.caption(t("overview.funnel_caption", contact=f"{settings.response_window_days:g}",
             meeting=f"{settings.meeting_window_days:g}", placement=f"{settings.placement_window_days:g}",
             excluded=i18n.fmt_int(stages["excluded_registrations"].max() if len(stages) else 0)))

# 12-week trends.
st.subheader(t("overview.trends"))
trend_specs = [
    ("registrations", "registrations", "is_complete", "count", None, None),
    ("response_time", "response_median_minutes", "response_is_mature", "minutes", None, None),
    ("contact_rate", "contact_rate", "contact_is_mature", "rate", "contact_low", "contact_high"),
    ("meeting_rate", "meeting_rate", "meeting_is_mature", "rate", "meeting_low", "meeting_high"),
    ("effective_meetings", "effective_meetings", "effective_is_mature", "count", None, None),
    ("live_transfer_share", "live_rate", "live_is_mature", "rate", "live_low", "live_high"),
]
for tab, (key, value_col, mature_col, kind, low, high) in zip(st.tabs([t(f"kpi.{s[0]}") for s in trend_specs]), trend_specs):
    with tab:
        fig = funnel_charts.trend_chart(weekly, value_col, mature_col, t(f"kpi.{key}"), kind, low, high)
        st.plotly_chart(fig, key=f"overview_trend_{key}")
st.caption(t("overview.trends_caption"))

# Alerts.
st.subheader(t("overview.alerts"))
found = cache.call(ctx, funnel.alerts, ctx.filters, settings, ctx.segmentation, week)
if not found:
    st.success(t("overview.no_alerts"))
for alert in found:
    if alert["kind"] == "uncontacted":
        st.warning(t("alert.uncontacted", week=week_label, n=i18n.fmt_int(alert["count"]), hours=f"{alert['hours']:g}"))
    else:
        st.warning(t("alert.response_worse", team=alert["team"], before=i18n.fmt_minutes(alert["previous_minutes"]),
                     now=i18n.fmt_minutes(alert["median_minutes"])))

# Drill-down: the candidates behind any figure above.
st.subheader(t("overview.drill"))
figures = list(funnel.DRILL_FIGURES) + [f"stage:{s}" for s in stages["stage"]]
if targets is None:
    figures.remove("effective_meetings")
figure = st.selectbox(
    t("overview.drill_pick"), figures, key="overview_drill",
    index=figures.index("uncontacted_24h") if found and found[0]["kind"] == "uncontacted" else 0,
    format_func=lambda f: t("drill.stage", stage=t(f"stage.{f[6:]}")) if f.startswith("stage:") else t(f"drill.{f}"),
)
scope = trend_scope if figure.startswith("stage:") else week_scope
st.caption(t("overview.drill_scope_trend", weeks=settings.trend_weeks) if figure.startswith("stage:")
           else t("overview.drill_scope_week", week=week_label))
behind = cache.call(ctx, funnel.candidates_behind, scope, settings, ctx.segmentation, figure)
st.caption(t("overview.drill_count", n=i18n.fmt_int(len(behind))))
st.dataframe(behind, hide_index=True, width="stretch",
             column_config={c: t(f"drill.col_{c}") for c in behind.columns})
frame.download_button(behind, f"candidates_{figure.replace(':', '_')}_{week.isoformat()}.csv", key="overview_drill_csv")
