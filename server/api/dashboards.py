"""Dashboards over the API: each route translates HTTP into one server.analytics call."""

from __future__ import annotations

from typing import Any

from flask import Response, request, send_file

from server.analytics import export, service
from server.api import api
from server.api.common import json_body, principal, reading, writing
from server.api.openapi import ANY_OBJECT, INTEGER, STRING, Schema, obj, op, param, ref

KEY = param("key", "path", {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}, "The dashboard's key")
CHART = param("chart", "path", {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"}, "The chart's key")
FILTERS = {"name": "filters", "in": "query", "required": False, "style": "form", "explode": True,
           "schema": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 255}},
           "description": "The dashboard's filters and the drill-down: `period.from=2026-01-01&period.to=2026-03-31` "
                          "(a date range, both days included), `region=north` (a select filter), `mine=1` (a "
                          "\"me\" filter), `by.region=north` or `by.signed_on:month=2026-03-01` (the clicked "
                          "values of a drill-down). Any other parameter is refused."}


def _args() -> dict[str, str]:
    return {k: v for k, v in request.args.items()}


def _locale() -> str:
    return request.accept_languages.best_match(["en", "zh"]) or "en"


@api.get("/dashboards")
def list_dashboards() -> Any:
    who = principal()
    with reading() as session:
        return {"items": service.list_dashboards(session, who)}


@api.get("/dashboards/<key>")
def get_dashboard(key: str) -> Any:
    who = principal()
    with reading() as session:
        return service.get(session, who, key)


@api.put("/dashboards/<key>")
def put_dashboard(key: str) -> Any:
    who = principal()
    body = json_body()
    with writing() as session:
        row, created = service.save(session, who, body, key)
        answer = service.describe(row)
    return answer, 201 if created else 200


@api.delete("/dashboards/<key>")
def delete_dashboard(key: str) -> Any:
    who = principal()
    with writing() as session:
        service.delete(session, who, key)
    return "", 204


@api.get("/dashboards/<key>/charts/<chart>/data")
def get_chart_data(key: str, chart: str) -> Any:
    who = principal()
    args, locale = _args(), _locale()
    with reading() as session:
        return service.chart_data(session, who, key, chart, args, locale)


@api.get("/dashboards/<key>/charts/<chart>/records")
def get_chart_records(key: str, chart: str) -> Any:
    who = principal()
    args = _args()
    with reading() as session:
        return service.drill_records(session, who, key, chart, args)


def _workbook(handle: Any, name: str) -> Response:
    response = send_file(handle, mimetype=export.XLSX, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-cache"
    response.call_on_close(handle.close)
    return response


@api.get("/dashboards/<key>/export.xlsx")
def export_dashboard(key: str) -> Any:
    who = principal()
    args, locale = _args(), _locale()
    with reading() as session:
        handle = export.dashboard_xlsx(session, who, key, args, locale)
    return _workbook(handle, f"{key}.xlsx")


@api.get("/dashboards/<key>/charts/<chart>/export.xlsx")
def export_chart(key: str, chart: str) -> Any:
    who = principal()
    args, locale = _args(), _locale()
    with reading() as session:
        handle = export.chart_xlsx(session, who, key, chart, args, locale)
    return _workbook(handle, f"{key}-{chart}.xlsx")


@api.get("/dashboards/<key>/charts/<chart>/export.png")
def export_chart_png(key: str, chart: str) -> Any:
    who = principal()
    with reading() as session:
        export.refuse_png(session, who, key, chart)


SCHEMAS: dict[str, Schema] = {
    "DashboardDefinition": {**ANY_OBJECT, "description": "key, title {en, zh}, viewers {roles, groups, users}, "
                            "filters [...], charts [...] (README, 'Analytics'); also accepted wrapped as "
                            "{\"dashboard\": {...}}"},
    "Dashboard": {**ANY_OBJECT, "description": "The definition as saved, with version, createdAt, createdBy"},
    "DashboardList": obj({"items": {"type": "array", "items": obj({"key": STRING, "title": ANY_OBJECT,
                                                                    "version": INTEGER, "charts": INTEGER})}}),
    "ChartData": obj({"chart": STRING, "type": STRING, "title": STRING, "locale": STRING,
                      "dimensions": {"type": "array", "items": ANY_OBJECT},
                      "measures": {"type": "array", "items": ANY_OBJECT},
                      "rows": {"type": "array", "items": ANY_OBJECT},
                      "drill": {"type": ["object", "null"]}}),
    "ChartRecords": obj({"type": STRING, "fields": {"type": "array", "items": ANY_OBJECT},
                         "items": {"type": "array", "items": ANY_OBJECT}, "more": {"type": "boolean"}}),
}


XLSX_BODY = {export.XLSX: {"schema": {"type": "string", "format": "binary"}}}


def _json(schema: str) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": ref(schema)}}}


def paths() -> dict[str, dict[str, Any]]:
    saved = {201: ("A new version was saved", "Dashboard"), 200: ("Unchanged: the same as the latest version",
                                                                   "Dashboard")}
    return {
        "/api/v1/dashboards": {"get": op("listDashboards", "dashboards", "Dashboards the caller may view",
                                         {200: ("The dashboards", "DashboardList")}, (401,))},
        "/api/v1/dashboards/{key}": {
            "get": op("getDashboard", "dashboards", "A dashboard's latest definition",
                      {200: ("The dashboard", "Dashboard")}, (401, 404), [KEY]),
            "put": op("putDashboard", "dashboards", "Save a dashboard (admin, modeler)", saved,
                      (400, 401, 403, 404, 413, 422), [KEY], request=_json("DashboardDefinition"),
                      description="Every chart is checked against its source: an unknown field, a sum over a "
                                  "text field or a drill-down to nowhere is a 400 naming the chart and field."),
            "delete": op("deleteDashboard", "dashboards", "Delete a dashboard (admin, modeler)",
                         {204: ("Deleted", {})}, (401, 403, 404), [KEY]),
        },
        "/api/v1/dashboards/{key}/charts/{chart}/data": {"get": op(
            "getChartData", "dashboards", "The aggregated rows a chart is drawn from",
            {200: ("The rows", "ChartData")}, (400, 401, 403, 404), [KEY, CHART, FILTERS],
            description="Aggregated in SQL over the rows the caller may read; a field the caller may not read "
                        "cannot be charted for them (403).")},
        "/api/v1/dashboards/{key}/charts/{chart}/records": {"get": op(
            "getChartRecords", "dashboards", "The records behind a figure (a chart that drills to records)",
            {200: ("At most 200 records, newest first", "ChartRecords")}, (400, 401, 403, 404),
            [KEY, CHART, FILTERS])},
        "/api/v1/dashboards/{key}/export.xlsx": {"get": op(
            "exportDashboard", "dashboards", "Every chart's data as a workbook (one sheet per chart)",
            {200: ("The workbook", XLSX_BODY)}, (400, 401, 403, 404), [KEY, FILTERS],
            description="The rows of GET .../charts/{chart}/data for every chart, labels in the Accept-Language "
                        "(en, zh); a label that would run as a spreadsheet formula is prefixed with '.")},
        "/api/v1/dashboards/{key}/charts/{chart}/export.xlsx": {"get": op(
            "exportChart", "dashboards", "A chart's data as a workbook", {200: ("The workbook", XLSX_BODY)},
            (400, 401, 403, 404), [KEY, CHART, FILTERS])},
        "/api/v1/dashboards/{key}/charts/{chart}/export.png": {"get": op(
            "exportChartPicture", "dashboards", "Refused: chart pictures are drawn in the browser",
            {501: ("Refused, with the reason and where the PNG is made (the chart's PNG button)", "Error")},
            (401, 404), [KEY, CHART],
            description="Bokeh's PNG export needs a Selenium-driven browser on the server, which BOMS does not "
                        "run; the dashboard page's PNG button draws the picture in the viewer's browser.")},
    }
