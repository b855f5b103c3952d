"""Streamlit sections too long for a thin page script: each renders one part of a page from the
frame's ``Context`` and calls logic that lives outside Streamlit; the page in ``dashboard/views/``
only lays the sections out."""
