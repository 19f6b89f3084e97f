"""The analytics engine: dashboards of charts over records, process instances, tasks and audit events.

- definition.py  a dashboard's JSON read strictly (charts, filters, viewers)
- charttypes.py  the chart types and the data shape each needs
- sources.py     what a chart aggregates, resolved for the viewer (row scope, readable fields)
- validate.py    a definition checked against the database at save (fields, aggregates, drill-downs)
- sqlparts.py    date buckets and percentiles on PostgreSQL and SQLite
- aggregate.py   GROUP BY in SQL, top N with "others" (folded from one grouping), date buckets by day first
- indexes.py     the covering indexes the live dashboards' charts read, kept in step at each save
- params.py      dashboard filters and drill-down parameters as WHERE clauses
- figures.py     a chart's rows (the data API's answer)
- render.py, render_more.py, shapes.py   Bokeh documents (json_item) of every chart type
- cache.py       chart rows cached per process, keyed on the audit chain heads: never stale, on any node
- service.py     save, list, read, delete, chart data: each one permission-checked call
- catalogue.py   what the designer's chart editor offers (sources, fields, types, aggregates), per designer
- export.py      chart and dashboard data as CSV / xlsx; server-side PNG refused (drawn in the browser)
- deploy.py      ``*.dashboard.json`` files in `boms deploy` / POST /deployments

The REST routes are server/api/dashboards.py, the pages server/inbox/dashboards.py.
"""

from __future__ import annotations

from flask import Flask

from server import records as _records  # noqa: F401  (record types deploy before the dashboards over them)
from server.analytics.cache import attach
from server.analytics.deploy import SUFFIX, deploy_files
from server.db import DATABASE_EXTENSION
from server.plugins import add_deployer

# At import, not in init_app: `boms deploy` deploys without creating a Flask app.
add_deployer(SUFFIX, deploy_files, summary="dashboards")


def init_app(app: Flask) -> None:
    """The chart result cache of this app's database; the routes, pages and BokehJS come with the API and page
    layers."""
    attach(app.extensions[DATABASE_EXTENSION], app.config["BOMS"].analytics_cache_bytes)
