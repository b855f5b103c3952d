"""Charts of the Handoff page: response-time distribution, lead decay, show-up by lead time,
live-transfer share, time-to-meeting curves and the weekday x hour heatmap."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import i18n
from dashboard.charts import ACCENT_COLOUR, FONT_FAMILY, MAIN_COLOUR, PROVISIONAL_COLOUR
from dashboard.i18n import t
from dashboard.settings import DEFAULT, Settings

TEAM_COLOURS = ("#1f6fb2", "#e0892b", "#3a9a4b", "#b8473d", "#7d5ba6", "#8c6d31", "#d16ba5", "#5f6b73")


def _layout(fig: go.Figure, title: str, height: int = 340, legend: bool = False) -> go.Figure:
    fig.update_layout(
        title=title, height=height, margin=dict(l=10, r=10, t=50, b=10),
        font=dict(family=FONT_FAMILY), showlegend=legend, template="plotly_white",
    )
    return fig


def response_bucket_label(index: int, settings: Settings = DEFAULT) -> str:
    """'5分以内' / '≤ 1 h' ... for bucket 0..5 (see metrics.handoff.response_bucket_keys)."""
    bounds = list(settings.response_bucket_minutes)
    if index == len(bounds) + 1:
        return t("response_bucket.not_contacted", days=_n(settings.response_window_days))
    bound = bounds[min(index, len(bounds) - 1)]
    prefix = "le" if index < len(bounds) else "gt"
    if bound >= 60 and bound % 60 == 0:
        return t(f"response_bucket.{prefix}_hours", h=_n(bound / 60))
    return t(f"response_bucket.{prefix}_minutes", m=_n(bound))


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _rate_bars(labels, frame: pd.DataFrame, k_col: str, n_col: str, title: str, axis_title: str,
               colour: str = MAIN_COLOUR, horizontal: bool = False) -> go.Figure:
    values = frame["rate"].astype(float)
    hover = [
        t("handoff_chart.hover_rate", label=label, rate=i18n.fmt_pct(r), low=i18n.fmt_pct(lo),
          high=i18n.fmt_pct(hi), n=i18n.fmt_int(n))
        for label, r, lo, hi, n in zip(labels, values, frame["low"], frame["high"], frame[n_col])
    ]
    error = dict(type="data", symmetric=False, array=(frame["high"] - values).fillna(0),
                 arrayminus=(values - frame["low"]).fillna(0), color="#555")
    colours = [colour if n > 0 else PROVISIONAL_COLOUR for n in frame[n_col]]
    common = dict(hovertext=hover, hoverinfo="text", marker_color=colours)
    shown = [i18n.fmt_pct(v) for v in values]
    if horizontal:
        # Many of these bars are short (a few %): each value goes just past its whisker rather
        # than being squeezed into the bar under it.
        fig = go.Figure(go.Bar(y=labels, x=values, orientation="h", error_x=error, **common))
        ends = frame["high"].astype(float).fillna(values).fillna(0)
        right = max(float(ends.max()), 0.01) * 1.15
        fig.add_trace(go.Scatter(y=labels, x=ends + right * 0.015, mode="text", text=shown, textposition="middle right",
                                 hoverinfo="skip", cliponaxis=False))
        fig.update_xaxes(tickformat=".0%", range=[0, right], title=axis_title)
        fig.update_yaxes(autorange="reversed")
    else:
        # Values sit at the base of each bar, upright, clear of the interval whiskers at the tip.
        fig = go.Figure(go.Bar(x=labels, y=values, error_y=error, text=shown, textposition="inside",
                               insidetextanchor="start", textangle=0, **common))
        fig.update_yaxes(tickformat=".0%", rangemode="tozero", title=axis_title)
    return _layout(fig, title, height=max(300, 40 + 32 * len(labels)) if horizontal else 340)


def response_distribution_chart(buckets: pd.DataFrame, settings: Settings = DEFAULT, title: str = "") -> go.Figure:
    """Share of registrations per response bucket (metrics.handoff.response_buckets)."""
    labels = [response_bucket_label(b, settings) for b in buckets["bucket"]]
    fig = _rate_bars(labels, buckets, "registrations", "registrations", title, t("handoff_chart.share"))
    fig.update_xaxes(title=t("handoff_chart.response_bucket"))
    return fig


def meeting_rate_by_response_chart(frame: pd.DataFrame, settings: Settings = DEFAULT, title: str = "") -> go.Figure:
    """Meeting rate per response bucket with 95% intervals (metrics.handoff.meeting_rate_by_response)."""
    labels = [response_bucket_label(b, settings) for b in frame["bucket"]]
    fig = _rate_bars(labels, frame, "meetings", "registrations", title, t("handoff_chart.meeting_rate"), colour=ACCENT_COLOUR)
    fig.update_xaxes(title=t("handoff_chart.response_bucket"))
    return fig


def show_up_chart(frame: pd.DataFrame, title: str = "") -> go.Figure:
    """Show-up rate per booking lead-time bucket (metrics.handoff.show_up_by_lead_time)."""
    labels = [t(f"lead_time.{k}") for k in frame["key"]]
    fig = _rate_bars(labels, frame, "held", "booked", title, t("handoff_chart.show_up_rate"))
    fig.update_xaxes(title=t("handoff_chart.lead_time"))
    return fig


def live_transfer_chart(frame: pd.DataFrame, title: str = "") -> go.Figure:
    """Live-transfer share per group (metrics.handoff.handoff_lag with group_by), best first."""
    frame = frame[frame["handoffs"] > 0].sort_values("rate", ascending=False)
    labels = [str(g) if pd.notna(g) else t("handoff_chart.no_team") for g in frame["group_value"]]
    return _rate_bars(labels, frame, "live_transfers", "handoffs", title,
                      t("handoff_chart.live_transfer_share"), horizontal=True)


def time_to_meeting_chart(curves: pd.DataFrame, overall: pd.DataFrame | None = None, title: str = "") -> go.Figure:
    """Kaplan-Meier step curves, one per group, and the overall curve in black
    (metrics.handoff.time_to_meeting). Candidates without a group (nobody reached them, so no team)
    are part of the overall curve only."""
    fig = go.Figure()
    if overall is not None and not overall.empty:
        fig.add_trace(go.Scatter(
            x=overall["day"], y=overall["share_with_meeting"], mode="lines", line_shape="hv",
            line=dict(color="#222", width=3), name=t("handoff_chart.all"),
            hovertemplate=f"{t('handoff_chart.all')}<br>%{{x}}: %{{y:.1%}}<extra></extra>",
        ))
    grouped = curves[curves["group_value"].notna()] if not curves.empty else curves
    for i, (group, part) in enumerate(grouped.groupby("group_value", sort=True)):
        colour = TEAM_COLOURS[i % len(TEAM_COLOURS)]
        fig.add_trace(go.Scatter(
            x=part["day"], y=part["share_with_meeting"], mode="lines", line_shape="hv",
            line=dict(color=colour), name=str(group),
            hovertemplate=f"{group}<br>%{{x}}: %{{y:.1%}}<extra></extra>",
        ))
    fig.update_xaxes(title=t("handoff_chart.days_since_registration"))
    fig.update_yaxes(title=t("handoff_chart.share_with_meeting"), tickformat=".0%", range=[0, 1])
    return _layout(fig, title, height=380, legend=True)


def heatmap_chart(cells: pd.DataFrame, value: str = "registrations", title: str = "") -> go.Figure:
    """Weekday x hour heatmap (metrics.handoff.registration_heatmap); business hours outlined.

    ``value``: registrations | median_minutes | median_business_minutes."""
    days = list(range(1, 8))
    grid = cells.pivot(index="weekday", columns="hour", values=value).reindex(index=days, columns=range(24))
    z = grid.to_numpy(dtype=float)
    day_names = [t(f"weekday.{d}") for d in days]
    # Durations are coloured in hours (a night or weekend wait runs to days: 6000 "min" reads badly);
    # the hover gives each cell in words.
    shown = [[i18n.fmt_int(v) if value == "registrations" else i18n.fmt_minutes(v) for v in row] for row in z]
    hover = [[f"{day} {hour}:00–{hour}:59<br>{text}" for hour, text in zip(range(24), row)] for day, row in zip(day_names, shown)]
    fig = go.Figure(go.Heatmap(
        z=z if value == "registrations" else z / 60, x=list(range(24)), y=day_names,
        colorscale="Blues" if value == "registrations" else "OrRd", hoverongaps=False,
        hovertext=hover, hoverinfo="text",
        colorbar=dict(title=t("handoff_chart.registrations") if value == "registrations" else t("handoff_chart.hours")),
    ))
    # The outlines set in one go: add_shape validates and copies the whole layout for each of the
    # ~50 open hours (0.25 s of every rerun of the page).
    fig.update_layout(shapes=[
        dict(type="rect", x0=row.hour - 0.5, x1=row.hour + 0.5, y0=row.weekday - 1.5, y1=row.weekday - 0.5,
             line=dict(color="#333", width=0.6), fillcolor="rgba(0,0,0,0)")
        for row in cells[cells["is_business_hour"]].itertuples()
    ])
    fig.update_yaxes(autorange="reversed", title=t("handoff_chart.weekday"))
    fig.update_xaxes(title=t("handoff_chart.hour"), dtick=2)
    return _layout(fig, title, height=360)
