"""Charts and display tables of the division-of-labour page (pure: frames in, figures out)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts import date_ticks
from dashboard.i18n import fmt_date, fmt_num, fmt_pct, fmt_week, t

ROLE_COLOURS = {"handler": "#2e86c1", "advisor": "#e67e22", "both": "#8e44ad", "unknown": "#bdc3c7"}
_ROLES = ("handler", "advisor", "both", "unknown")


def team_label(team) -> str:
    return t("labour.no_team") if team is None or (isinstance(team, float) and pd.isna(team)) else str(team)


def role_label(role: str) -> str:
    return t(f"role.{role}")


def role_share_by_team(by_role: pd.DataFrame) -> go.Figure:
    """Stacked horizontal bars: each team's first contacts split by role (plus all teams)."""
    frame = by_role.copy()
    frame["label"] = [
        t("labour.all_teams") if scope == "overall" else team_label(team)
        for scope, team in zip(frame["scope"], frame["team"])
    ]
    order = list(dict.fromkeys(frame["label"]))
    fig = go.Figure()
    for role in _ROLES:
        part = frame[frame["role"] == role].set_index("label").reindex(order)
        if part["first_contacts"].fillna(0).sum() == 0:
            continue
        fig.add_trace(
            go.Bar(
                y=order,
                x=part["share"].fillna(0),
                orientation="h",
                name=role_label(role),
                marker_color=ROLE_COLOURS[role],
                customdata=part["first_contacts"].fillna(0).astype(int),
                hovertemplate="%{y}: %{x:.1%} (%{customdata:,})<extra>" + role_label(role) + "</extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        xaxis={"tickformat": ".0%", "range": [0, 1], "title": t("labour.axis_share_of_first_contacts")},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        margin={"t": 40},
        height=max(220, 48 * len(order) + 100),
    )
    return fig


def handler_share_weekly(weekly: pd.DataFrame) -> go.Figure:
    """One line per team: the handler share of the week's first contacts.

    Teams often sit on the same value (all handler: 100%, all advisor: 0%): each line is drawn
    thinner than the one before, so a team under another still shows as its outline."""
    fig = go.Figure()
    groups = list(weekly.groupby(weekly["team"].astype(object).map(team_label), sort=True))
    for i, (team, part) in enumerate(groups):
        part = part.sort_values("week")
        fig.add_trace(
            go.Scatter(
                x=pd.to_datetime(part["week"]),
                y=part["handler_share"],
                mode="lines",
                line={"width": 2 + 3 * (len(groups) - 1 - i)},
                name=team,
                customdata=[[fmt_week(w), int(n)] for w, n in zip(part["week"], part["first_contacts"])],
                hovertemplate="%{customdata[0]}<br>%{y:.1%} (n=%{customdata[1]})<extra>" + team + "</extra>",
            )
        )
    fig.update_layout(
        yaxis={"tickformat": ".0%", "range": [-0.05, 1.05], "title": t("labour.col_handler_share")},
        xaxis={"title": t("labour.col_week"), **date_ticks()},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        margin={"t": 40},
        height=360,
    )
    return fig


def meeting_rate_after(by_role: pd.DataFrame) -> go.Figure:
    """Meeting rate after a handler's / advisor's first contact, per team, with 95% intervals."""
    frame = by_role[by_role["role"].isin(["handler", "advisor", "both"]) & (by_role["mature_first_contacts"] > 0)]
    labels = [
        t("labour.all_teams") if scope == "overall" else team_label(team)
        for scope, team in zip(frame["scope"], frame["team"])
    ]
    frame = frame.assign(label=labels)
    fig = go.Figure()
    for role in ("handler", "advisor", "both"):
        part = frame[frame["role"] == role]
        if part.empty:
            continue
        fig.add_trace(
            go.Bar(
                x=part["label"],
                y=part["meeting_rate"],
                name=role_label(role),
                marker_color=ROLE_COLOURS[role],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["meeting_high"] - part["meeting_rate"]).tolist(),
                    "arrayminus": (part["meeting_rate"] - part["meeting_low"]).tolist(),
                },
                customdata=part["mature_first_contacts"].astype(int),
                hovertemplate="%{x}: %{y:.1%} (n=%{customdata:,})<extra>" + role_label(role) + "</extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        yaxis={"tickformat": ".0%", "rangemode": "tozero", "title": t("labour.col_meeting_rate")},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        margin={"t": 40},
        height=360,
    )
    return fig


def team_table(teams: pd.DataFrame, workload: pd.DataFrame) -> pd.DataFrame:
    per_week = dict(zip(workload["team"], workload["meetings_per_advisor_week"]))
    return pd.DataFrame(
        {
            t("labour.col_team"): [team_label(x) for x in teams["team"]],
            t("labour.col_first_contacts"): teams["first_contacts"].astype(int),
            t("labour.col_handler_share"): [fmt_pct(v) for v in teams["handler_share"]],
            t("labour.col_live_transfer_share"): [fmt_pct(v) for v in teams["live_transfer_share"]],
            t("labour.col_meeting_rate"): [fmt_pct(v) for v in teams["meeting_rate"]],
            t("labour.col_meetings_per_week"): [fmt_num(per_week.get(x), 2) for x in teams["team"]],
        }
    )


def advisor_table(advisors: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("labour.col_advisor"): advisors["advisor"],
            t("labour.col_team"): [team_label(x) for x in advisors["team"]],
            t("labour.col_weeks"): advisors["weeks"].astype(int),
            t("labour.col_first_contacts"): advisors["first_contacts"].astype(int),
            t("labour.col_first_contacts_per_week"): [fmt_num(v, 1) for v in advisors["first_contacts_per_week"]],
            t("labour.col_meetings_held"): advisors["meetings_held"].astype(int),
            t("labour.col_meetings_per_week"): [fmt_num(v, 2) for v in advisors["meetings_per_week"]],
        }
    )


def meetings_per_advisor_week(weeks: pd.DataFrame) -> go.Figure:
    """Distribution of meetings per advisor-week, one box per team, the mean marked."""
    fig = go.Figure()
    for team, part in weeks.groupby(weeks["team"].astype(object).map(team_label), sort=True):
        fig.add_trace(
            go.Box(y=part["meetings_held"], name=team, boxmean=True, boxpoints=False)
        )
    fig.update_layout(
        yaxis={"title": t("labour.col_meetings_per_week"), "rangemode": "tozero"},
        showlegend=False,
        margin={"t": 20},
        height=340,
    )
    return fig


def out_of_target_by_advisor(summary: pd.DataFrame) -> go.Figure:
    """Per advisor, minutes on target, out-of-target and unknown-segment candidates (stacked)."""
    fig = go.Figure()
    target = summary["minutes_total"] - summary["minutes_out_of_target"] - summary["minutes_unknown"]
    for name, values, colour in (
        (t("labour.col_minutes_out_of_target"), summary["minutes_out_of_target"], "#c0392b"),
        (t("labour.col_minutes_unknown"), summary["minutes_unknown"], "#bdc3c7"),
        (t("labour.col_minutes_target"), target, "#27ae60"),
    ):
        fig.add_trace(go.Bar(y=summary["advisor"], x=values, orientation="h", name=name, marker_color=colour))
    fig.update_layout(
        barmode="stack",
        yaxis={"autorange": "reversed"},
        xaxis={"title": t("labour.axis_call_minutes"), "tickformat": ","},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        margin={"t": 40},
        height=max(240, 28 * len(summary) + 120),
    )
    return fig


def out_of_target_weekly(minutes: pd.DataFrame) -> go.Figure:
    """Advisor (rows) x week (columns): minutes on out-of-target candidates."""
    grid = minutes.pivot_table(index="advisor", columns="week", values="minutes_out_of_target", aggfunc="sum",
                               fill_value=0)
    weeks = [fmt_week(w) for w in grid.columns]
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float),
            x=pd.to_datetime(pd.Series(grid.columns)),
            y=list(grid.index),
            colorscale="Reds",
            customdata=[weeks] * len(grid.index),
            hovertemplate="%{y} · %{customdata}<br>%{z:,.0f}<extra></extra>",
            colorbar={"title": t("labour.col_minutes_out_of_target")},
        )
    )
    fig.update_layout(margin={"t": 20}, height=max(240, 26 * len(grid.index) + 120),
                      xaxis={"title": t("labour.col_week"), **date_ticks()})
    return fig


def minutes_table(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("labour.col_advisor"): summary["advisor"],
            t("labour.col_team"): [team_label(x) for x in summary["team"]],
            t("labour.col_minutes_total"): [fmt_num(v, 0) for v in summary["minutes_total"]],
            t("labour.col_minutes_out_of_target"): [fmt_num(v, 0) for v in summary["minutes_out_of_target"]],
            t("labour.col_out_of_target_per_week"): [fmt_num(v, 1) for v in summary["out_of_target_per_week"]],
            t("labour.col_share_out_of_target"): [fmt_pct(v) for v in summary["share_out_of_target"]],
        }
    )
