"""advisor-funnel: registrant-handling funnel analytics for recruitment agencies.

Data flows one way: export file -> ``dashboard.importer`` -> canonical DuckDB tables
(``dashboard.store``) -> ``queries/*.sql`` run through ``dashboard.sql`` -> typed metric
functions in ``dashboard.metrics`` -> ``dashboard.cache`` -> ``dashboard.charts`` -> pages in
``dashboard.views``.
"""

__version__ = "0.1.0"
