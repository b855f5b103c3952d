"""登録フォーム / Registration form: fill rates, segment identifiability, each field's value for the
outcome and the required / optional / drop recommendation (metrics.md, "Registration form")."""

import streamlit as st

from dashboard import cache, frame
from dashboard.charts import form as charts
from dashboard.i18n import fmt_int, fmt_pct, fmt_rate, t
from dashboard.metrics import form

ctx = frame.context()
st.title(t("nav.form"))
if frame.empty_state(ctx):
    st.stop()
frame.as_of_caption(ctx)
st.caption(t("form.intro"))

summary = cache.call(ctx, form.field_summary, ctx.filters, ctx.settings, ctx.targets)
if summary.empty:
    st.info(t("form.no_fields"))
    st.stop()
if not summary["candidates"].fillna(0).any():
    st.info(t("app.no_rows"))
    st.stop()
labels = dict(zip(summary["field"], summary["label"]))

st.subheader(t("form.identifiability_heading"))
if ctx.targets is None:
    st.info(t("form.no_targets"))
else:
    ident = cache.call(ctx, form.identifiability, ctx.filters, ctx.targets)
    left, right = st.columns(2)
    left.metric(t("form.identified"), fmt_pct(ident["identified"]["rate"]), help=t("form.identified_help"))
    right.metric(t("form.unknown_count"), fmt_int(ident["unknown"]))
    st.caption(fmt_rate(ident["identified"]))
    if ident["missing"].empty:
        st.success(t("form.no_unknown"))
    else:
        st.markdown(f"**{t('form.missing_heading')}**")
        st.caption(t("form.missing_caption"))
        st.plotly_chart(charts.missing_bar(ident["missing"], labels), key="form_missing_chart")
        frame.table(charts.missing_table(ident["missing"], labels))

st.subheader(t("form.fields_heading"))
st.caption(t("form.fields_caption", top_k=ctx.settings.form_top_k, min_n=ctx.settings.form_min_n))
st.markdown(f"**{t('form.scatter_heading')}**")
st.plotly_chart(charts.value_scatter(summary), key="form_value_scatter")
frame.table(charts.field_table(summary))
frame.download_button(summary, "form_fields.csv", key="form_fields_csv")

st.subheader(t("form.fill_heading"))
fills = cache.call(ctx, form.fill_rates, ctx.filters, ctx.segmentation)
scopes = ["channel", "form_version"] + (["segment"] if ctx.segmentation else [])
frame.follow_language(ctx, "form_fill_scope")
scope = st.radio(
    t("form.fill_by"), options=scopes, format_func=lambda s: t(f"form.scope_{s}"), horizontal=True,
    key="form_fill_scope",
)
if (fills["scope"] == scope).any():
    st.plotly_chart(charts.fill_heatmap(fills, scope, labels), key="form_fill_heatmap")
else:
    st.info(t("form.no_breakdown"))
