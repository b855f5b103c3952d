"""Charts of the weekly overview: the stage funnel and the 12-week KPI trends."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import i18n
from dashboard.charts import FONT_FAMILY, MAIN_COLOUR, PROVISIONAL_COLOUR
from dashboard.i18n import t

FUNNEL_MODES = ("share_of_first", "share_of_previous")


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=title, height=height, margin=dict(l=10, r=10, t=50, b=10),
        font=dict(family=FONT_FAMILY), showlegend=False, template="plotly_white",
    )
    return fig


def funnel_chart(stages: pd.DataFrame, mode: str = "share_of_first", title: str = "") -> go.Figure:
    """Horizontal bars, one per stage (top = registered), with 95% intervals.

    ``stages``: metrics.funnel.stage_funnel output. ``mode``: share_of_first | share_of_previous.
    """
    if mode not in FUNNEL_MODES:
        raise ValueError(f"mode must be one of {FUNNEL_MODES}, got {mode!r}")
    fig = go.Figure()
    if stages.empty:
        return _layout(fig, title)
    frame = stages if mode == "share_of_first" else stages[stages["stage"] != "registered"]
    k_col, n_col = ("candidates", "registrations") if mode == "share_of_first" else ("candidates_from_previous", "previous_candidates")
    labels = [t(f"stage.{s}") for s in frame["stage"]]
    values = frame[mode].astype(float)
    hover = [
        t("funnel_chart.hover_stage", stage=label, rate=i18n.fmt_pct(v), k=i18n.fmt_int(k), n=i18n.fmt_int(n))
        for label, v, k, n in zip(labels, values, frame[k_col], frame[n_col])
    ]
    # A stage whose window no cohort of the period has completed has no bar: say why instead.
    waiting = [
        t("funnel_chart.immature", days=f"{w:g}") if n == 0 else ""
        for n, w in zip(frame[n_col], frame["window_days"])
    ]
    fig.add_trace(go.Bar(
        y=labels, x=values.fillna(0), orientation="h", marker_color=MAIN_COLOUR,
        text=[i18n.fmt_pct(v) if pd.notna(v) else w for v, w in zip(values, waiting)],
        textposition=["inside" if pd.notna(v) and v > 0 else "outside" for v in values],
        insidetextanchor="start", textangle=0,
        error_x=dict(type="data", symmetric=False,
                     array=(frame[f"{mode}_high"] - values).fillna(0),
                     arrayminus=(values - frame[f"{mode}_low"]).fillna(0), color="#555"),
        hovertext=hover, hoverinfo="text",
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickformat=".0%", range=[0, 1.05])
    return _layout(fig, title, height=60 + 45 * len(frame))


def trend_chart(
    weekly: pd.DataFrame, value_col: str, mature_col: str, title: str = "",
    kind: str = "rate", low_col: str | None = None, high_col: str | None = None, y_title: str | None = None,
) -> go.Figure:
    """A weekly line: final weeks solid blue, provisional weeks grey, dashed and hollow.

    ``weekly``: metrics.funnel.weekly_overview output; ``kind``: rate | count | minutes (drawn in
    hours, the unit a manager reads a response time in; the hover keeps the exact duration).
    ``y_title``: the value axis title (minutes get "hours" when none is given).
    """
    fig = go.Figure()
    if weekly.empty or value_col not in weekly:
        return _layout(fig, title, height=280)
    frame = weekly.sort_values("cohort_week")
    x = [i18n.fmt_week(w) for w in frame["cohort_week"]]
    # Short ticks (month/day of the Monday), thinned out on long spans; the hover names the week.
    step = max(1, len(x) // 13 + (1 if len(x) % 13 else 0))
    ticks = [w for i, w in enumerate(x) if i % step == 0]
    short = [f"{w.month}/{w.day}" for i, w in enumerate(frame["cohort_week"]) if i % step == 0]
    values = frame[value_col].astype(float)
    y = values / 60 if kind == "minutes" else values
    if kind == "minutes" and y_title is None:
        y_title = t("funnel_chart.hours")
    mature = frame[mature_col].astype(bool).to_numpy()
    # The line through every week, then final weeks drawn over it solid: the dashed grey
    # stretches that remain are the provisional ones.
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=PROVISIONAL_COLOUR, dash="dash"),
                             hoverinfo="skip", connectgaps=False))
    solid = y.where(mature)
    fig.add_trace(go.Scatter(x=x, y=solid, mode="lines", line=dict(color=MAIN_COLOUR), hoverinfo="skip",
                             connectgaps=False))
    text = [_fmt(v, kind) + ("" if m else f" ({t('funnel_chart.provisional')})") for v, m in zip(values, mature)]
    error = None
    if low_col and high_col:
        error = dict(type="data", symmetric=False, array=(frame[high_col] - y).fillna(0),
                     arrayminus=(y - frame[low_col]).fillna(0), color="#999", thickness=1)
    fig.add_trace(go.Scatter(
        x=x, y=y, mode="markers", error_y=error,
        marker=dict(size=9, color=[MAIN_COLOUR if m else "white" for m in mature],
                    line=dict(width=2, color=[MAIN_COLOUR if m else PROVISIONAL_COLOUR for m in mature])),
        hovertext=text, hoverinfo="text+x",
    ))
    if kind == "rate":
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    else:
        fig.update_yaxes(rangemode="tozero", tickformat=",")
    if y_title:
        fig.update_yaxes(title=y_title)
    fig.update_xaxes(title=t("funnel_chart.week"), tickvals=ticks, ticktext=short, tickangle=0)
    return _layout(fig, title, height=300)


def _fmt(value, kind: str) -> str:
    if kind == "rate":
        return i18n.fmt_pct(value)
    if kind == "minutes":
        return i18n.fmt_minutes(value)
    return i18n.fmt_int(value)


# --- display tables (a metric frame in, the frame a page shows out) -------------------------------

def drill_table(behind: pd.DataFrame) -> pd.DataFrame:
    """The drill-down list as shown: same columns, values in words (segment, role), dates and
    durations formatted for the reader, '–' for what has not happened. The CSV keeps the raw frame."""
    from dashboard.charts.yellow_zone import segment_label

    def text(value) -> str:
        return "–" if value is None or pd.isna(value) else str(value)

    shown = behind.copy()
    for column in shown.columns:
        values = shown[column]
        if column == "segment":
            shown[column] = ["–" if v is None or pd.isna(v) else segment_label(v) for v in values]
        elif column == "first_contact_role":
            shown[column] = ["–" if v is None or pd.isna(v) else t(f"role.{v}") for v in values]
        elif column.endswith("_at") or column == "scheduled_for":
            shown[column] = i18n.fmt_datetimes(values)
        elif column.endswith("_minutes"):
            shown[column] = [i18n.fmt_minutes(v) for v in values.astype(float)]
        elif column != "candidate_id":
            shown[column] = [text(v) for v in values]
    return shown
