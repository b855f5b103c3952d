"""連携スピード / Handoff: how fast registrants are contacted and handed over, and what it costs."""

import streamlit as st

from dashboard import cache, frame, i18n
from dashboard.charts import handoff as charts
from dashboard.charts.funnel import trend_chart
from dashboard.i18n import t
from dashboard.metrics import handoff

ctx = frame.context()
st.title(t("handoff.title"))
if frame.empty_state(ctx):
    st.stop()
frame.as_of_caption(ctx)
st.caption(t("handoff.intro"))
settings, filters = ctx.settings, ctx.filters

frame.follow_language(ctx, "handoff_basis", "handoff_heatmap_value")
basis = st.radio(
    t("handoff.basis"), handoff.BASES, horizontal=True, key="handoff_basis",
    # Widgets' labels bind the language: AppTest formats values outside the script thread.
    format_func=lambda b, lang=ctx.lang: t(
        f"handoff.basis_{b}", lang, start=settings.business_start_hour, end=settings.business_end_hour
    ),
)

# Most figures below come from two shared passes over the candidates: run them once, up front.
cache.call(ctx, handoff.prefetch, filters, settings)

# Response time: headline and distribution.
summary = cache.call(ctx, handoff.response_time, filters, settings).iloc[0]
if summary["registrations"] + summary["excluded_registrations"] == 0:
    st.info(t("app.no_rows"))
    st.stop()
suffix = "_business" if basis == "business" else ""
cols = st.columns(3)
cols[0].metric(t("handoff.median"), i18n.fmt_minutes(summary[f"median{suffix}_minutes"]))
cols[1].metric(t("handoff.p90"), i18n.fmt_minutes(summary[f"p90{suffix}_minutes"]))
cols[2].metric(t("handoff.contacted", window=f"{settings.response_window_days:g}"),
               f"{i18n.fmt_int(summary['contacted'])} / {i18n.fmt_int(summary['registrations'])}")
st.caption(t("handoff.excluded", cohorts=i18n.fmt_int(summary["excluded_cohorts"]),
             registrations=i18n.fmt_int(summary["excluded_registrations"])))

left, right = st.columns(2)
with left:
    buckets = cache.call(ctx, handoff.response_buckets, filters, settings, basis)
    st.plotly_chart(charts.response_distribution_chart(buckets, settings, t("handoff.distribution")),
                    key="handoff_distribution")
with right:
    decay = cache.call(ctx, handoff.meeting_rate_by_response, filters, settings, basis)
    st.plotly_chart(charts.meeting_rate_by_response_chart(
        decay, settings, t("handoff.decay", window=f"{settings.meeting_window_days:g}")), key="handoff_decay")
    st.caption(t("handoff.decay_caption"))

# Live transfer and handoff lag.
st.subheader(t("handoff.live_transfer", minutes=f"{settings.live_transfer_minutes:g}"))
lag = cache.call(ctx, handoff.handoff_lag, filters, settings).iloc[0]
st.caption(t("handoff.lag_summary", median=i18n.fmt_minutes(lag["median_lag_minutes"]),
             p90=i18n.fmt_minutes(lag["p90_lag_minutes"]), n=i18n.fmt_int(lag["handoffs"])))
left, right = st.columns(2)
with left:
    by_team = cache.call(ctx, handoff.handoff_lag, filters, settings, "team")
    st.plotly_chart(charts.live_transfer_chart(by_team, t("handoff.by_team")), key="handoff_live_team")
with right:
    by_handler = cache.call(ctx, handoff.handoff_lag, filters, settings, "handler")
    st.plotly_chart(charts.live_transfer_chart(by_handler, t("handoff.by_handler")), key="handoff_live_handler")
by_week = cache.call(ctx, handoff.handoff_lag_by_week, filters, settings)
st.plotly_chart(trend_chart(by_week, "rate", "is_mature", t("handoff.by_week"), "rate", "low", "high",
                            y_title=t("handoff_chart.live_transfer_share")),
                key="handoff_live_week")

# Show-up by booking lead time, time to meeting by team.
left, right = st.columns(2)
with left:
    show = cache.call(ctx, handoff.show_up_by_lead_time, filters, settings)
    st.plotly_chart(charts.show_up_chart(show, t("handoff.show_up")), key="handoff_show_up")
with right:
    curves = cache.call(ctx, handoff.time_to_meeting, filters, settings, "team")
    overall = cache.call(ctx, handoff.time_to_meeting, filters, settings)
    st.plotly_chart(charts.time_to_meeting_chart(curves, overall, t("handoff.time_to_meeting")), key="handoff_km")
    st.caption(t("handoff.time_to_meeting_caption"))

# Night and weekend registrations.
st.subheader(t("handoff.heatmap"))
value = st.radio(
    t("handoff.heatmap_value"), ("registrations", "response"), horizontal=True, key="handoff_heatmap_value",
    format_func=lambda v, lang=ctx.lang: t(f"handoff.heatmap_{v}", lang),
)
cells = cache.call(ctx, handoff.registration_heatmap, filters, settings)
column = "registrations" if value == "registrations" else f"median{suffix}_minutes"
st.plotly_chart(charts.heatmap_chart(cells, column), key="handoff_heatmap")
st.caption(t("handoff.heatmap_caption"))
