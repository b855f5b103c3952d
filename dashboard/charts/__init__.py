"""Pure chart functions: a small DataFrame in, a Plotly figure out (no Streamlit, no queries).

Titles and labels come from the message catalogue; provisional (immature) weeks are drawn grey and
dashed so they never read as final figures.
"""

PROVISIONAL_COLOUR = "#b0b0b0"
MAIN_COLOUR = "#1f6fb2"
ACCENT_COLOUR = "#e0892b"
FONT_FAMILY = "'Hiragino Sans', 'Noto Sans JP', 'Yu Gothic', Meiryo, sans-serif"


def date_ticks() -> dict:
    """Date-axis tick labels in the reader's language (Plotly's own are English month names):
    months when the ticks are a month or more apart, month/day below that."""
    from dashboard.i18n import language

    month = "%Y年%-m月" if language() == "ja" else "%b %Y"
    day = "%-m/%-d" if language() == "ja" else "%-d %b"
    return {"tickformatstops": [
        {"dtickrange": [None, "M1"], "value": day},
        {"dtickrange": ["M1", None], "value": month},
    ]}
