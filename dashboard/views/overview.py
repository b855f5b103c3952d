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
frame.follow_language(ctx, "overview_week", "overview_funnel_mode", "overview_drill")
week = st.selectbox(
    t("overview.week"), weeks,
    index=frame.widget_default(ctx, "overview_week", weeks.index(default) if default in weeks else 0),
    # Widgets' labels bind the language: AppTest formats values outside the script thread.
    format_func=lambda w, lang=ctx.lang: i18n.fmt_week(w, lang), help=t("overview.week_help"), key="overview_week",
)
week_label = i18n.fmt_week(week)
week_scope = funnel.week_filters(ctx.filters, week)
trend_scope = funnel.week_filters(ctx.filters, week, settings.trend_weeks)
weekly = cache.call(ctx, funnel.weekly_overview, ctx.filters, settings, ctx.segmentation, week)
targets = funnel.target_segmentation(ctx.segmentation)

# KPI cards with week-over-week change; provisional weeks say so.
st.subheader(t("overview.kpis"))
for col, card in zip(st.columns(len(funnel.KPI_KEYS)), funnel.kpi_cards(weekly, week)):
    shown = funnel.card_text(card, settings, has_targets=targets is not None, lang=ctx.lang)
    # Six cards share a row: "vs previous week" goes in the caption below, so the card keeps
    # only the word that must never be missed ("provisional") beside its delta.
    badge = t("overview.provisional_badge") if shown.get("is_provisional") else None
    col.metric(shown["label"], shown["value"], delta=shown["delta"], help=shown["help"],
               delta_color=shown["delta_color"], delta_description=badge)
st.caption(t("overview.kpis_caption"))

# Funnel over the trend window, each stage on the cohorts mature for its window; "full" moves the
# window back to cohorts old enough for placement, so the lower funnel is not always empty.
st.subheader(t("overview.funnel", weeks=settings.trend_weeks))
frame.follow_language(ctx, "overview_funnel_cohorts")
left, right = st.columns(2)
mode = left.radio(t("overview.funnel_mode"), funnel_charts.FUNNEL_MODES, horizontal=True,
                  format_func=lambda m, lang=ctx.lang: t(f"funnel_mode.{m}", lang), key="overview_funnel_mode")
cohorts = right.radio(t("overview.funnel_cohorts"), funnel.FUNNEL_COHORTS, horizontal=True,
                      format_func=lambda c, lang=ctx.lang: t(f"funnel_cohorts.{c}", lang), key="overview_funnel_cohorts")
funnel_scope = funnel.funnel_scope(ctx.filters, settings, week, cohorts)
stages = cache.call(ctx, funnel.stage_funnel, funnel_scope, settings)
if cohorts == "full":
    st.caption(t("overview.funnel_full_caption", first=i18n.fmt_date(funnel_scope.start), last=i18n.fmt_date(funnel_scope.end)))
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
    index=frame.widget_default(ctx, "overview_drill", figures.index("uncontacted_24h")
                               if found and found[0]["kind"] == "uncontacted" else 0),
    format_func=lambda f, lang=ctx.lang: (
        t("drill.stage", lang, stage=t(f"stage.{f[6:]}", lang)) if f.startswith("stage:") else t(f"drill.{f}", lang)
    ),
)
scope = funnel_scope if figure.startswith("stage:") else week_scope
st.caption(t("overview.drill_scope_trend", weeks=settings.trend_weeks, first=i18n.fmt_date(funnel_scope.start),
             last=i18n.fmt_date(funnel_scope.end)) if figure.startswith("stage:")
           else t("overview.drill_scope_week", week=week_label))
behind = cache.call(ctx, funnel.candidates_behind, scope, settings, ctx.segmentation, figure)
st.caption(t("overview.drill_count", n=i18n.fmt_int(len(behind))))
# Timestamps and segment names get room to show whole; the rest size to their content.
wide = {c for c in behind.columns if c.endswith("_at") or c in ("scheduled_for", "segment")}
frame.table(funnel_charts.drill_table(behind), width="stretch", column_config={
    c: st.column_config.TextColumn(t(f"drill.col_{c}"), width="medium" if c in wide else None) for c in behind.columns})
frame.download_button(behind, f"candidates_{figure.replace(':', '_')}_{week.isoformat()}.csv", key="overview_drill_csv")
