"""Typed metric functions: each runs named queries from ``queries/`` and returns small frames or
dicts. No Streamlit here; pages reach these through ``dashboard.cache``."""
