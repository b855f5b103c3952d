"""自分の成績 / My segments: one advisor's placement rate by segment against the team, their
yellow-zone cells, the missed matches they held and their handoff figures."""

import streamlit as st

from dashboard import cache, frame
from dashboard.charts import yellow_zone as charts
from dashboard.i18n import fmt_int, fmt_minutes, fmt_num, fmt_pct, t
from dashboard.metrics import yellow_zone as yz

ctx = frame.context()
st.title(t("nav.my_segments"))
if frame.empty_state(ctx):
    st.stop()
frame.as_of_caption(ctx)
st.caption(t("my_segments.intro"))
if ctx.segmentation is None:
    st.info(t("yellow_zone.no_segmentation"))
    st.stop()

args = (ctx.filters, ctx.settings, ctx.segmentation)
advisors = cache.call(ctx, yz.advisors_in_scope, *args)
if advisors.empty:
    st.info(t("my_segments.no_advisors"))
    st.stop()
names = dict(zip(advisors["advisor"], advisors["advisor_name"]))
advisor = st.selectbox(t("my_segments.pick_advisor"), options=list(names), format_func=names.get, key="my_segments_advisor")
profile = cache.call(ctx, yz.advisor_profile, *args, advisor)
me = profile["advisor"]

cols = st.columns(4)
cols[0].metric(t("my_segments.kpi_meetings"), fmt_int(me["meetings"]))
cols[1].metric(t("my_segments.kpi_placements"), fmt_int(me["placements"]))
cols[2].metric(t("my_segments.kpi_index"), fmt_num(me["index"], 2),
               help=t("my_segments.kpi_index_help", expected=fmt_num(me["expected"], 1), placements=fmt_int(me["placements"])))
cols[3].metric(t("my_segments.kpi_tier"), t(f"yellow_zone.tier_{me['tier']}"))

st.subheader(t("my_segments.vs_team_title"))
st.caption(t("my_segments.vs_team_caption"))
st.plotly_chart(charts.advisor_vs_team_chart(profile["by_segment"], names[advisor]), key="my_vs_team")
frame.table(charts.advisor_segment_table(profile["by_segment"]))

st.subheader(t("my_segments.yellow_title"))
if profile["yellow_zone"].empty:
    st.caption(t("my_segments.yellow_none"))
else:
    frame.table(charts.advisor_segment_table(profile["yellow_zone"]))

st.subheader(t("my_segments.missed_title"))
st.caption(t("my_segments.missed_caption"))
missed = profile["missed_matches"]
if missed.empty:
    st.caption(t("my_segments.missed_none"))
else:
    frame.table(charts.missed_table(missed))
    frame.download_button(missed, f"missed_matches_{advisor}.csv", key="my_missed_csv")

st.subheader(t("my_segments.handoff_title"))
mine, team = profile["handoff"]["advisor"], profile["handoff"]["team"]
if not mine or not mine.get("handoffs"):
    st.caption(t("my_segments.handoff_none"))
else:
    cols = st.columns(3)
    cols[0].metric(t("my_segments.live_transfer"), fmt_pct(mine["rate"]), help=t(
        "my_segments.live_transfer_help", minutes=fmt_int(ctx.settings.live_transfer_minutes),
        team=fmt_pct(team["rate"]) if team else "–"))
    cols[1].metric(t("my_segments.median_lag"), fmt_minutes(mine["median_lag_minutes"]), help=t(
        "my_segments.median_lag_help", team=fmt_minutes(team["median_lag_minutes"]) if team else "–"))
    cols[2].metric(t("my_segments.handoffs"), fmt_int(mine["handoffs"]))
