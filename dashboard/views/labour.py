"""分業体制 / Division of labour: who makes first contacts, the meeting rate after each, advisor
workload and advisor time on out-of-target candidates (metrics.md, "Division of labour")."""

import streamlit as st

from dashboard import cache, frame
from dashboard.charts import labour as charts
from dashboard.i18n import fmt_hours, fmt_num, fmt_pct, t
from dashboard.metrics import labour

ctx = frame.context()
st.title(t("nav.labour"))
if frame.empty_state(ctx):
    st.stop()
frame.as_of_caption(ctx)
st.caption(t("labour.intro"))

by_role = cache.call(ctx, labour.first_contact_by_role, ctx.filters, ctx.settings)
if by_role.empty:
    st.info(t("labour.no_first_contacts"))
else:
    overall = by_role[(by_role["scope"] == "overall") & (by_role["role"] == "handler")]
    share = overall["share"].iloc[0] if not overall.empty else 0.0
    st.metric(t("labour.handler_share"), fmt_pct(share))

    st.subheader(t("labour.share_heading"))
    st.plotly_chart(charts.role_share_by_team(by_role), key="labour_role_share")

    st.subheader(t("labour.team_heading"))
    teams = cache.call(ctx, labour.team_summary, ctx.filters, ctx.settings)
    workload = cache.call(ctx, labour.team_workload, ctx.filters)
    frame.table(charts.team_table(teams, workload))

    st.subheader(t("labour.weekly_heading"))
    weekly = cache.call(ctx, labour.first_contact_weekly, ctx.filters, ctx.settings)
    st.plotly_chart(charts.handler_share_weekly(weekly), key="labour_weekly")

    st.subheader(t("labour.after_heading"))
    st.caption(t("labour.after_caption"))
    st.plotly_chart(charts.meeting_rate_after(by_role), key="labour_after")

st.subheader(t("labour.advisors_heading"))
advisors = cache.call(ctx, labour.advisor_summary, ctx.filters)
frame.table(charts.advisor_table(advisors))
frame.download_button(advisors, "advisor_first_contacts.csv", key="labour_advisors_csv")

st.subheader(t("labour.workload_heading"))
st.caption(t("labour.workload_caption"))
weeks = cache.call(ctx, labour.advisor_weeks, ctx.filters)
if not weeks.empty:
    st.plotly_chart(charts.meetings_per_advisor_week(weeks), key="labour_workload")

st.subheader(t("labour.minutes_heading"))
log = cache.call(ctx, labour.activity_log_info)
if log["activities"] == 0:
    st.info(t("labour.no_activity_log"))
elif ctx.targets is None:
    st.info(t("labour.no_targets"))
elif log["advisor_activities"] == 0:
    st.info(t("labour.no_advisor_activities"))
else:
    st.caption(t("labour.minutes_caption"))
    minutes = cache.call(ctx, labour.out_of_target_minutes, ctx.filters, ctx.targets)
    per_advisor = labour.out_of_target_by_advisor(minutes)
    total = per_advisor["minutes_total"].sum()
    out = per_advisor["minutes_out_of_target"].sum()
    left, right = st.columns(2)
    left.metric(t("labour.minutes_out_of_target_total"), fmt_hours(out),
                help=t("labour.minutes_out_of_target_help", minutes=fmt_num(out, 0)))
    right.metric(t("labour.col_share_out_of_target"), fmt_pct(out / total) if total else "–")
    st.plotly_chart(charts.out_of_target_by_advisor(per_advisor), key="labour_minutes_advisor")
    st.plotly_chart(charts.out_of_target_weekly(minutes), key="labour_minutes_weekly")
    frame.table(charts.minutes_table(per_advisor))
    frame.download_button(minutes, "advisor_minutes_by_week.csv", key="labour_minutes_csv")
