"""Pure chart functions: a small DataFrame in, a Plotly figure out (no Streamlit, no queries).

Titles and labels come from the message catalogue; provisional (immature) weeks are drawn grey and
dashed so they never read as final figures.
"""

PROVISIONAL_COLOUR = "#b0b0b0"
MAIN_COLOUR = "#1f6fb2"
ACCENT_COLOUR = "#e0892b"
FONT_FAMILY = "'Hiragino Sans', 'Noto Sans JP', 'Yu Gothic', Meiryo, sans-serif"
