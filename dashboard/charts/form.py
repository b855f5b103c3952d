"""Charts and display tables of the registration-form page (pure: frames in, figures out)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.charts.yellow_zone import segment_label
from dashboard.i18n import fmt_num, fmt_pct, t

RECOMMENDATION_COLOURS = {"required": "#c0392b", "optional": "#2e86c1", "drop": "#95a5a6"}
_RECOMMENDATION_ORDER = ("required", "optional", "drop")
_SCOPES = ("channel", "form_version", "segment")


def _missing(x) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def field_name(label: str, field: str) -> str:
    """'年齢 (age)' when the export's header differs from the stored name."""
    return field if not label or label == field else f"{label} ({field})"


def recommendation_label(code: str) -> str:
    return t(f"form.rec_{code}")


def reason_text(row) -> str:
    """The recommendation's reason in words, from one row of ``metrics.form.field_summary``."""
    code = row["reason_code"]
    return t(
        f"form.reason_{code}",
        rules=row.get("rules") or "",
        value=fmt_num(row.get("value"), 4),
        filled=fmt_pct(row.get("meeting_rate_filled")),
        empty=fmt_pct(row.get("meeting_rate_empty")),
        fill=fmt_pct(row.get("fill_rate")),
        n=f"{0 if _missing(row.get('meeting_n')) else int(row['meeting_n']):,}",  # NaN is truthy: no 'or 0'
    )


def field_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The field table as shown: one row per field, headers and values in the current language."""
    rows = []
    for row in summary.to_dict("records"):
        rows.append(
            {
                t("form.col_field"): field_name(row.get("label"), row["field"]),
                t("form.col_fill_rate"): fmt_pct(row.get("fill_rate")),
                t("form.col_identifies"): t("form.yes") if row.get("identifies_segment") else t("form.no"),
                t("form.col_value"): fmt_num(row.get("value"), 4),
                t("form.col_value_placement"): fmt_num(row.get("nmi_placement"), 4),
                t("form.col_rate_filled"): fmt_pct(row.get("meeting_rate_filled")),
                t("form.col_rate_empty"): fmt_pct(row.get("meeting_rate_empty")),
                t("form.col_recommendation"): recommendation_label(row["recommendation"]),
                t("form.col_reason"): reason_text(row),
            }
        )
    return pd.DataFrame(rows)


def value_scatter(summary: pd.DataFrame) -> go.Figure:
    """Fill rate (x) against value (y), one point per field, coloured by recommendation."""
    fig = go.Figure()
    for code in _RECOMMENDATION_ORDER:
        part = summary[summary["recommendation"] == code]
        if part.empty:
            continue
        names = [field_name(lbl, f) for lbl, f in zip(part["label"], part["field"])]
        values = [0.0 if _missing(v) else float(v) for v in part["value"]]
        fig.add_trace(
            go.Scatter(
                x=part["fill_rate"].astype(float),
                y=values,
                mode="markers+text",
                name=recommendation_label(code),
                text=list(part["label"]),
                textposition="top center",
                marker={"size": 12, "color": RECOMMENDATION_COLOURS[code],
                        "symbol": ["circle" if not _missing(v) else "circle-open" for v in part["value"]]},
                customdata=[[n, reason_text(r)] for n, r in zip(names, part.to_dict("records"))],
                hovertemplate="<b>%{customdata[0]}</b><br>%{x:.1%} · NMI %{y:.4f}<br>%{customdata[1]}<extra></extra>",
            )
        )
    fig.update_layout(
        xaxis={"title": t("form.axis_fill_rate"), "tickformat": ".0%", "range": [-0.02, 1.05]},
        yaxis={"title": t("form.axis_value"), "rangemode": "tozero"},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        margin={"t": 40},
        height=460,
    )
    return fig


def fill_heatmap(fills: pd.DataFrame, scope: str, labels: dict[str, str] | None = None) -> go.Figure:
    """Fill rate by field (rows) and group (columns: channels, form versions or segments)."""
    part = fills[fills["scope"] == scope]
    grid = part.pivot_table(index="field", columns="group_value", values="fill_rate", aggfunc="first")
    counts = part.pivot_table(index="field", columns="group_value", values="candidates", aggfunc="first")
    labels = labels or {}
    y = [labels.get(f, f) for f in grid.index]
    text = [[fmt_pct(v, 0) for v in row] for row in grid.to_numpy()]
    x = [segment_label(c) if scope == "segment" else str(c) for c in grid.columns]
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(dtype=float),
            x=x,
            y=y,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            text=text,
            texttemplate="%{text}",
            customdata=counts.reindex(index=grid.index, columns=grid.columns).to_numpy(),
            hovertemplate="%{y} · %{x}<br>%{z:.1%} (n=%{customdata:,})<extra></extra>",
            colorbar={"tickformat": ".0%", "title": t("form.axis_fill_rate")},
        )
    )
    fig.update_layout(margin={"t": 20}, height=max(320, 28 * len(y) + 120),
                      yaxis={"autorange": "reversed", "title": t("form.col_field")},
                      xaxis={"title": t(f"form.axis_{scope}") if scope in _SCOPES else None, "type": "category"})
    return fig


def missing_bar(missing: pd.DataFrame, labels: dict[str, str] | None = None) -> go.Figure:
    """Unknown registrations per missing field, with the part this field alone left unknown."""
    labels = labels or {}
    names = [labels.get(f, f) for f in missing["field"]]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(x=missing["sole_missing"], y=names, orientation="h", name=t("form.col_sole_missing"),
               marker_color="#c0392b")
    )
    fig.add_trace(
        go.Bar(x=missing["unknown_candidates"] - missing["sole_missing"], y=names, orientation="h",
               name=t("form.col_missing_with_others"), marker_color="#f1948a")
    )
    fig.update_layout(
        barmode="stack",
        yaxis={"autorange": "reversed"},
        xaxis={"title": t("form.col_unknown_candidates")},
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        margin={"t": 40},
        height=max(240, 40 * len(names) + 120),
    )
    return fig


def missing_table(missing: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    labels = labels or {}
    return pd.DataFrame(
        {
            t("form.col_field"): [
                field_name(labels.get(f, f), f) + ("" if present else " " + t("form.not_in_data"))
                for f, present in zip(missing["field"], missing["in_data"])
            ],
            t("form.col_unknown_candidates"): missing["unknown_candidates"].astype(int),
            t("form.col_share_of_unknown"): [fmt_pct(v) for v in missing["share_of_unknown"]],
            t("form.col_sole_missing"): missing["sole_missing"].astype(int),
            t("form.col_rules"): missing["rules"],
        }
    )
