"""イエローゾーン / Yellow zone: placement rate by advisor x segment, the yellow zone and its
coverage, the advisor funnel plot, missed matches, the routing gap and the routing recommendation
(metrics.md, "Placement and the yellow zone")."""

import streamlit as st

from dashboard import cache, frame
from dashboard.charts import yellow_zone as charts
from dashboard.i18n import fmt_int, fmt_num, fmt_pct, t
from dashboard.metrics import yellow_zone as yz

MISSED_ROWS_SHOWN = 200

ctx = frame.context()
st.title(t("nav.yellow_zone"))
if frame.empty_state(ctx):
    st.stop()
frame.as_of_caption(ctx)
settings = ctx.settings
st.caption(t("yellow_zone.intro", days=fmt_int(settings.placement_window_days)))
if ctx.segmentation is None:
    st.info(t("yellow_zone.no_segmentation"))
    st.stop()

args = (ctx.filters, settings, ctx.segmentation)
model = cache.call(ctx, yz.placement_model, *args)
if model["cells"].empty:
    st.info(t("yellow_zone.no_meetings", days=fmt_int(settings.placement_window_days)))
    st.stop()
cov = cache.call(ctx, yz.coverage, *args)
gap = cache.call(ctx, yz.routing_gap, *args)
# Counted in SQL with the first rows of the list; the full list is fetched only for the download.
missed = cache.call(ctx, yz.missed_overview, *args, MISSED_ROWS_SHOWN)
missed_total = missed["summary"]["total"]
level = fmt_pct(settings.credible_level, 0)

cols = st.columns(4)
cols[0].metric(t("yellow_zone.kpi_coverage"), fmt_pct(cov["coverage"]["rate"]),
               help=t("yellow_zone.kpi_coverage_help", baseline=fmt_pct(cov["baseline"]["rate"])))
if gap["gap"] is not None:
    g = gap["gap"]
    cols[1].metric(t("yellow_zone.kpi_gap"), t("yellow_zone.kpi_gap_value", gap=fmt_num(g["placements"], 1)),
                   help=t("yellow_zone.kpi_gap_help", level=level, low=fmt_num(g["low"], 1), high=fmt_num(g["high"], 1)))
cols[2].metric(t("yellow_zone.kpi_cells"), fmt_int(int(model["cells"]["is_yellow_zone"].sum())))
cols[3].metric(t("yellow_zone.kpi_missed"), fmt_int(missed_total), help=t("yellow_zone.kpi_missed_help"))

st.subheader(t("yellow_zone.heatmap_title"))
st.caption(t(
    "yellow_zone.heatmap_caption", min_meetings=settings.min_advisor_meetings,
    advisor_share=fmt_pct(settings.advisor_top_share, 0), segment_share=fmt_pct(settings.segment_top_share, 0),
    m=fmt_num(model["prior"]["cells"]["strength"], 0),
))
st.plotly_chart(charts.heatmap_chart(model["cells"], model["advisors"], model["segments"]), key="yz_heatmap")

st.subheader(t("yellow_zone.coverage_title"))
if not cov["weekly"].empty:
    st.plotly_chart(charts.coverage_chart(cov["weekly"], cov["baseline"]["rate"]), key="yz_coverage")
st.caption(t("yellow_zone.coverage_caption"))

st.subheader(t("yellow_zone.funnel_title"))
st.caption(t("yellow_zone.funnel_caption", c=fmt_num(settings.index_pseudo_count, 0)))
limits = yz.funnel_limits(model, c=settings.index_pseudo_count)
st.plotly_chart(charts.funnel_plot(model["advisors"], limits), key="yz_funnel")

st.subheader(t("yellow_zone.missed_title"))
st.caption(t("yellow_zone.missed_caption", days=fmt_int(settings.meeting_window_days)))
if not yz.high_yield_segments(model) or not yz.high_converting_advisors(model):
    st.info(t("yellow_zone.missed_undefined"))
elif not missed_total:
    st.success(t("yellow_zone.missed_none"))
else:
    frame.table(charts.missed_table(missed["items"]))
    if missed_total > MISSED_ROWS_SHOWN:
        st.caption(t("yellow_zone.missed_shown", shown=MISSED_ROWS_SHOWN, total=fmt_int(missed_total)))
    frame.download_button(lambda: yz.missed_matches(ctx.con, *args), "missed_matches.csv", key="yz_missed_csv")

st.subheader(t("yellow_zone.gap_title"))
if gap["gap"] is None:
    st.info(t("yellow_zone.gap_none"))
else:
    g = gap["gap"]
    st.markdown(t(
        "yellow_zone.gap_caption", meetings=fmt_int(g["meetings"]), actual=fmt_num(g["expected_placements_actual"], 1),
        best=fmt_num(g["expected_placements_best"], 1), gap=fmt_num(g["placements"], 1), level=level,
        low=fmt_num(g["low"], 1), high=fmt_num(g["high"], 1),
    ))
    if not gap["drivers"].empty:
        st.markdown(f"**{t('yellow_zone.gap_drivers')}**")
        st.plotly_chart(charts.gap_by_segment_chart(gap["by_segment"]), key="yz_gap_segments")
        st.caption(t("yellow_zone.gap_drivers_caption"))
        frame.table(charts.drivers_table(gap["drivers"]))

st.subheader(t("yellow_zone.rec_title"))
st.caption(t("yellow_zone.rec_caption", days=fmt_int(settings.open_registrant_days), capacity=settings.weekly_capacity_per_advisor))
rec = cache.call(ctx, yz.recommendation, *args)
s = rec["summary"]
if s["registrants"] == 0:
    st.info(t("yellow_zone.rec_none"))
elif s["capacity"] == 0:
    st.warning(t("yellow_zone.rec_no_capacity"))
else:
    st.markdown(t(
        "yellow_zone.rec_summary", assigned=fmt_int(s["assigned"]), registrants=fmt_int(s["registrants"]),
        capacity=fmt_int(s["capacity"]), best=fmt_num(s["expected_best"], 2), rr=fmt_num(s["expected_round_robin"], 2),
        gain=fmt_num(s["gain"], 2),
    ))
    frame.table(charts.recommendation_table(rec["table"]))
    frame.download_button(rec["table"], "routing_recommendation.csv", key="yz_rec_csv")

with st.expander(t("yellow_zone.details")):
    st.markdown(f"**{t('yellow_zone.segments_heading')}**")
    frame.table(charts.segment_table(model["segments"]))
    st.markdown(f"**{t('yellow_zone.advisors_heading')}**")
    frame.table(charts.advisor_table(model["advisors"]))
