"""Charts of the Yellow zone and My segments pages: the advisor x segment heatmap with the yellow
zone outlined, coverage over the weeks, the funnel plot of the advisor index, the routing gap's
drivers and one advisor's rates beside the team's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard import i18n
from dashboard.charts import ACCENT_COLOUR, FONT_FAMILY, MAIN_COLOUR, PROVISIONAL_COLOUR
from dashboard.i18n import t

YELLOW = "#f2c200"
TIER_COLOURS = {"high": ACCENT_COLOUR, "standard": MAIN_COLOUR, "few_meetings": PROVISIONAL_COLOUR}


def _layout(fig: go.Figure, title: str, height: int = 360, legend: bool = False) -> go.Figure:
    fig.update_layout(
        title=title, height=height, margin=dict(l=10, r=10, t=50, b=10),
        font=dict(family=FONT_FAMILY), showlegend=legend, template="plotly_white",
    )
    return fig


def _signed(x, digits: int = 1) -> str:
    """'+1.2' / '-0.7', and '0.0' for what rounds to zero (never '-0.0')."""
    x = round(float(x), digits) + 0.0
    return f"{x:+.{digits}f}" if x else f"{0:.{digits}f}"


def segment_label(segment: str) -> str:
    """'other' / 'unknown' in the reader's language; real segment names as they are."""
    if segment in ("other", "unknown"):
        return t(f"yellow_zone.segment_{segment}")
    return str(segment)


def heatmap_chart(cells: pd.DataFrame, advisors: pd.DataFrame, segments: pd.DataFrame, title: str = "") -> go.Figure:
    """Shrunk placement rate per advisor x segment, n in each cell, yellow-zone cells outlined.

    cells: the model's cells frame; advisors/segments give the order (best first)."""
    adv_order = advisors["advisor"].tolist()
    seg_order = segments["segment"].tolist()
    names = advisors.set_index("advisor")["advisor_name"]
    rate = cells.pivot(index="advisor", columns="segment", values="shrunk_rate").reindex(index=adv_order, columns=seg_order)
    n = cells.pivot(index="advisor", columns="segment", values="meetings").reindex(index=adv_order, columns=seg_order).fillna(0)
    k = cells.pivot(index="advisor", columns="segment", values="placements").reindex(index=adv_order, columns=seg_order).fillna(0)
    x = [segment_label(s) for s in seg_order]
    y = [str(names.get(a, a)) for a in adv_order]
    text = [[f"{i18n.fmt_pct(rate.iat[i, j])}<br>n={int(n.iat[i, j])}" for j in range(len(seg_order))] for i in range(len(adv_order))]
    hover = [
        [
            t("yellow_chart.hover_cell", advisor=y[i], segment=x[j], rate=i18n.fmt_pct(rate.iat[i, j]),
              k=int(k.iat[i, j]), n=int(n.iat[i, j]))
            for j in range(len(seg_order))
        ]
        for i in range(len(adv_order))
    ]
    fig = go.Figure(go.Heatmap(
        z=rate.to_numpy(dtype=float), x=x, y=y, text=text, texttemplate="%{text}", hovertext=hover,
        hoverinfo="text", colorscale="Blues", colorbar=dict(title=t("yellow_chart.shrunk_rate"), tickformat=".0%"),
    ))
    yellow = cells[cells["is_yellow_zone"]]
    for row in yellow.itertuples():
        if row.advisor not in adv_order or row.segment not in seg_order:
            continue
        i, j = adv_order.index(row.advisor), seg_order.index(row.segment)
        fig.add_shape(type="rect", x0=j - 0.5, x1=j + 0.5, y0=i - 0.5, y1=i + 0.5,
                      line=dict(color=YELLOW, width=4), fillcolor="rgba(0,0,0,0)")
    fig.update_yaxes(autorange="reversed", title=t("yellow_chart.advisor"))
    fig.update_xaxes(title=t("yellow_chart.segment"), side="top")
    return _layout(fig, title, height=max(320, 90 + 34 * len(adv_order)))


def coverage_chart(weekly: pd.DataFrame, baseline: float | None, title: str = "") -> go.Figure:
    """Weekly yellow-zone coverage with its 95% band, and the blind-routing baseline."""
    labels = [i18n.fmt_week(w) for w in weekly["week_start"]]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=labels + labels[::-1], y=list(weekly["high"]) + list(weekly["low"])[::-1], fill="toself",
        fillcolor="rgba(31,111,178,0.15)", line=dict(width=0), hoverinfo="skip", name=t("yellow_chart.interval"),
    ))
    hover = [
        t("yellow_chart.hover_coverage", week=w, rate=i18n.fmt_pct(r), k=int(k), n=int(n))
        for w, r, k, n in zip(labels, weekly["rate"], weekly["yellow_meetings"], weekly["meetings"])
    ]
    fig.add_trace(go.Scatter(x=labels, y=weekly["rate"], mode="lines+markers", line=dict(color=MAIN_COLOUR),
                             hovertext=hover, hoverinfo="text", name=t("yellow_chart.coverage")))
    if baseline is not None:
        fig.add_hline(y=baseline, line=dict(color=PROVISIONAL_COLOUR, dash="dash"),
                      annotation_text=t("yellow_chart.baseline", rate=i18n.fmt_pct(baseline)), annotation_position="top left")
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title=t("yellow_chart.coverage"))
    # Short upright ticks (the Monday's month/day); the hover names the whole week.
    starts = [pd.Timestamp(w) for w in weekly["week_start"]]
    fig.update_xaxes(title=t("yellow_chart.meeting_week"), tickvals=labels, tickangle=0,
                     ticktext=[f"{d.month}/{d.day}" for d in starts])
    return _layout(fig, title, height=340)


def funnel_plot(advisors: pd.DataFrame, limits: pd.DataFrame, title: str = "") -> go.Figure:
    """Advisor index against mature meetings, with 95% and 99.8% limits for an average advisor.

    Points outside the funnel differ from the team by more than chance; inside it they may not."""
    fig = go.Figure()
    if not limits.empty:
        for key, dash in (("950", "dot"), ("998", "dash")):
            label = t("yellow_chart.limit", level="95%" if key == "950" else "99.8%")
            for side in ("low", "high"):
                fig.add_trace(go.Scatter(
                    x=limits["meetings"], y=limits[f"{side}_{key}"], mode="lines", line=dict(color="#888", dash=dash, width=1),
                    line_shape="hv", name=label, showlegend=side == "low", hoverinfo="skip",
                ))
    fig.add_hline(y=1.0, line=dict(color="#444", width=1))
    for tier, part in advisors.groupby("tier", sort=False):
        hover = [
            t("yellow_chart.hover_advisor", advisor=a, index=i18n.fmt_num(i, 2), k=int(k), e=i18n.fmt_num(e, 1), n=int(n))
            for a, i, k, e, n in zip(part["advisor_name"], part["index"], part["placements"], part["expected"], part["meetings"])
        ]
        fig.add_trace(go.Scatter(
            x=part["meetings"], y=part["index"], mode="markers+text", text=part["advisor_name"], textposition="top center",
            marker=dict(size=10, color=TIER_COLOURS.get(tier, MAIN_COLOUR)), name=t(f"yellow_zone.tier_{tier}"),
            hovertext=hover, hoverinfo="text",
        ))
    fig.update_xaxes(title=t("yellow_chart.mature_meetings"), rangemode="tozero")
    fig.update_yaxes(title=t("yellow_chart.index"))
    return _layout(fig, title, height=420, legend=True)


def gap_by_segment_chart(by_segment: pd.DataFrame, title: str = "") -> go.Figure:
    """Expected placements gained per segment by the best reassignment (sums to the gap)."""
    frame = by_segment[by_segment["meetings_moved"] > 0]
    labels = [segment_label(s) for s in frame["segment"]]
    hover = [
        t("yellow_chart.hover_gap_segment", segment=s, placements=i18n.fmt_num(p, 1), moved=int(m), n=int(n))
        for s, p, m, n in zip(labels, frame["placements"], frame["meetings_moved"], frame["meetings"])
    ]
    fig = go.Figure(go.Bar(
        y=labels, x=frame["placements"], orientation="h", marker_color=ACCENT_COLOUR,
        text=[i18n.fmt_num(round(p, 1) + 0.0, 1) for p in frame["placements"]], hovertext=hover, hoverinfo="text",
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=t("yellow_chart.placements_gained"), rangemode="tozero")
    return _layout(fig, title, height=max(260, 60 + 36 * len(labels)))


def advisor_vs_team_chart(by_segment: pd.DataFrame, advisor_name: str, title: str = "") -> go.Figure:
    """One advisor's shrunk rate per segment beside the team's, each with its 90% credible interval."""
    labels = [segment_label(s) for s in by_segment["segment"]]
    fig = go.Figure()
    for name, prefix, colour, shift in (
        (t("yellow_chart.team"), "team_", PROVISIONAL_COLOUR, -0.15),
        (advisor_name, "shrunk_", MAIN_COLOUR, 0.15),
    ):
        rate = by_segment[f"{prefix}rate"].astype(float)
        low = by_segment[f"{prefix}low"].astype(float)
        high = by_segment[f"{prefix}high"].astype(float)
        n = by_segment["team_meetings" if prefix == "team_" else "meetings"]
        hover = [
            t("yellow_chart.hover_rate", who=name, segment=s, rate=i18n.fmt_pct(r), low=i18n.fmt_pct(lo),
              high=i18n.fmt_pct(hi), n=int(c))
            for s, r, lo, hi, c in zip(labels, rate, low, high, n)
        ]
        fig.add_trace(go.Scatter(
            y=np.arange(len(labels)) + shift, x=rate, mode="markers", name=name,
            marker=dict(size=11, color=colour),
            error_x=dict(type="data", symmetric=False, array=(high - rate).fillna(0), arrayminus=(rate - low).fillna(0), color=colour),
            hovertext=hover, hoverinfo="text",
        ))
    yellow = by_segment["is_yellow_zone"].fillna(False).astype(bool).tolist()
    ticks = [f"★ {lab}" if y else lab for lab, y in zip(labels, yellow)]
    fig.update_yaxes(tickvals=list(range(len(labels))), ticktext=ticks, autorange="reversed")
    fig.update_xaxes(title=t("yellow_chart.shrunk_rate"), tickformat=".0%", rangemode="tozero")
    return _layout(fig, title, height=max(300, 80 + 48 * len(labels)), legend=True)


# --- display tables (a metric frame in, the frame a page shows out) -------------------------------

def _interval(low, high) -> list[str]:
    return [f"{i18n.fmt_pct(lo)}–{i18n.fmt_pct(hi)}" for lo, hi in zip(low, high)]


def _tier(code) -> str:
    return t(f"yellow_zone.tier_{code}") if isinstance(code, str) else "–"


def segment_table(segments: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        t("yellow_zone.col_segment"): [segment_label(s) for s in segments["segment"]],
        t("yellow_zone.col_target"): [t("yellow_zone.yes") if x else "" for x in segments["is_target"]],
        t("yellow_zone.col_meetings"): segments["meetings"].astype(int),
        t("yellow_zone.col_placements"): segments["placements"].astype(int),
        t("yellow_zone.col_raw_rate"): [i18n.fmt_pct(x) for x in segments["raw_rate"]],
        t("yellow_zone.col_raw_interval"): _interval(segments["raw_low"], segments["raw_high"]),
        t("yellow_zone.col_shrunk_rate"): [i18n.fmt_pct(x) for x in segments["shrunk_rate"]],
        t("yellow_zone.col_shrunk_interval"): _interval(segments["shrunk_low"], segments["shrunk_high"]),
        t("yellow_zone.col_tier"): [_tier(x) for x in segments["tier"]],
    })


def advisor_table(advisors: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        t("yellow_zone.col_advisor"): advisors["advisor_name"],
        t("yellow_zone.col_team"): advisors["advisor_team"],
        t("yellow_zone.col_meetings"): advisors["meetings"].astype(int),
        t("yellow_zone.col_placements"): advisors["placements"].astype(int),
        t("yellow_zone.col_expected"): [i18n.fmt_num(x, 1) for x in advisors["expected"]],
        t("yellow_zone.col_index"): [i18n.fmt_num(x, 2) for x in advisors["index"]],
        t("yellow_zone.col_raw_rate"): [i18n.fmt_pct(x) for x in advisors["raw_rate"]],
        t("yellow_zone.col_shrunk_rate"): [i18n.fmt_pct(x) for x in advisors["shrunk_rate"]],
        t("yellow_zone.col_shrunk_interval"): _interval(advisors["shrunk_low"], advisors["shrunk_high"]),
        t("yellow_zone.col_tier"): [_tier(x) for x in advisors["tier"]],
    })


def missed_table(missed: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        t("yellow_zone.col_candidate_id"): missed["candidate_id"],
        t("yellow_zone.col_segment"): [segment_label(s) for s in missed["segment"]],
        t("yellow_zone.col_kind"): [t(f"yellow_zone.kind_{k}") for k in missed["kind"]],
        t("yellow_zone.col_advisor"): missed["advisor_name"].fillna("–"),
        t("yellow_zone.col_registered_at"): [i18n.fmt_datetime(x) for x in missed["registered_at"]],
        t("yellow_zone.col_meeting_held_at"): [i18n.fmt_datetime(x) if pd.notna(x) else "–" for x in missed["meeting_held_at"]],
        t("yellow_zone.col_days"): [i18n.fmt_num(x, 1) for x in missed["days_from_registration"]],
        t("yellow_zone.col_expected_loss"): [i18n.fmt_pp(x) if pd.notna(x) else "–" for x in missed["expected_loss"]],
    })


def drivers_table(drivers: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        t("yellow_zone.col_segment"): [segment_label(s) for s in drivers["segment"]],
        t("yellow_zone.col_advisor"): drivers["advisor_name"],
        t("yellow_zone.col_meetings"): drivers["meetings_actual"].astype(int),
        t("yellow_zone.col_meetings_best"): drivers["meetings_best"].astype(int),
        t("yellow_zone.col_change"): [f"{c:+d}" for c in drivers["change"].astype(int)],
        t("yellow_zone.col_shrunk_rate"): [i18n.fmt_pct(x) for x in drivers["rate"]],
        t("yellow_zone.col_placements_gained"): [_signed(x) for x in drivers["placements"]],
    })


def recommendation_table(table: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        t("yellow_zone.col_candidate_id"): table["candidate_id"],
        t("yellow_zone.col_segment"): [segment_label(s) for s in table["segment"]],
        t("yellow_zone.col_registered_at"): [i18n.fmt_datetime(x) for x in table["registered_at"]],
        t("yellow_zone.col_recommended"): table["advisor_name"].where(table["advisor"].notna(), t("yellow_zone.unassigned")),
        t("yellow_zone.col_expected_placement"): [i18n.fmt_pct(x) for x in table["expected_placement"]],
        t("yellow_zone.col_round_robin"): [
            f"{a} ({i18n.fmt_pct(x)})" if isinstance(a, str) else "–"
            for a, x in zip(table["round_robin_advisor"], table["round_robin_expected"])
        ],
    })


def advisor_segment_table(by_segment: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        t("yellow_zone.col_segment"): [("★ " if y else "") + segment_label(s) for s, y in zip(by_segment["segment"], by_segment["is_yellow_zone"])],
        t("yellow_zone.col_meetings"): by_segment["meetings"].astype(int),
        t("yellow_zone.col_placements"): by_segment["placements"].astype(int),
        t("yellow_zone.col_raw_rate"): [i18n.fmt_pct(x) for x in by_segment["raw_rate"]],
        t("yellow_zone.col_shrunk_rate"): [i18n.fmt_pct(x) for x in by_segment["shrunk_rate"]],
        t("yellow_zone.col_shrunk_interval"): _interval(by_segment["shrunk_low"], by_segment["shrunk_high"]),
        t("yellow_chart.team"): [f"{i18n.fmt_pct(r)} ({i18n.fmt_pct(lo)}–{i18n.fmt_pct(hi)})"
                                 for r, lo, hi in zip(by_segment["team_rate"], by_segment["team_low"], by_segment["team_high"])],
        t("yellow_zone.col_tier"): [_tier(x) for x in by_segment["segment_tier"]],
    })
