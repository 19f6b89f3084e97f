"""The process heatmap over the API: GET /process-definitions/{key}/heatmap, one server.analytics call."""

from __future__ import annotations

from typing import Any

from flask import request

from server.analytics import heatmap
from server.analytics.variable_filter import MAX_FILTER
from server.api import api
from server.api.common import principal, reading
from server.api.openapi import ANY_OBJECT, INTEGER, STRING, Schema, nullable, obj, op, p, query

DATE_OR_TIME = {"type": "string", "maxLength": 64}


@api.get("/process-definitions/<key>/heatmap")
def get_heatmap(key: str) -> Any:
    who = principal()
    with reading() as session:
        return heatmap.heatmap(session, who, key, dict(request.args.items()))


NUMBER_OR_NULL = {"type": ["number", "null"]}
SCHEMAS: dict[str, Schema] = {
    "Heatmap": obj({
        "process": STRING, "version": INTEGER, "versionId": INTEGER, "name": nullable(STRING), "metric": STRING,
        "from": nullable(STRING), "to": nullable(STRING), "filter": nullable(STRING), "at": STRING,
        "allInstances": {"type": "boolean", "description": "false: only the instances the caller may see"},
        "elements": {"type": "object", "additionalProperties": obj({
            "name": nullable(STRING), "type": STRING, "count": INTEGER, "cancelled": INTEGER, "waiting": INTEGER,
            "avgSeconds": NUMBER_OR_NULL, "p90Seconds": NUMBER_OR_NULL, "maxSeconds": NUMBER_OR_NULL,
            "waitingAvgSeconds": NUMBER_OR_NULL, "waitingMaxSeconds": NUMBER_OR_NULL},
            optional=("avgSeconds", "p90Seconds", "maxSeconds", "waitingAvgSeconds", "waitingMaxSeconds")),
            "description": "Per flow node: passages completed, cancelled, waiting now; with metric=duration the "
                           "seconds spent (completed and merged passages) and waited so far"},
        "flows": {"type": "object", "additionalProperties": INTEGER,
                  "description": "Per sequence flow: how many times a token went along it"},
        "bottlenecks": {"type": "array", "items": ANY_OBJECT},
        "longestWaiting": {"type": "array", "items": ANY_OBJECT},
        "unrecordedInstances": {**INTEGER, "description": "Instances that ran before BOMS recorded passages: "
                                "not in these figures (or only partly)"},
    }),
}


def paths() -> dict[str, dict[str, Any]]:
    params = [
        p("key"), p("version"),
        query("from", "Passages that began on or after this date (YYYY-MM-DD) or ISO 8601 date-time", DATE_OR_TIME),
        query("to", "Passages that began up to this date (included) or before this date-time", DATE_OR_TIME),
        query("metric", "count: numbers only; duration (default): numbers and times",
              {"type": "string", "enum": list(heatmap.METRICS)}),
        query("filter", "Instances whose variables pass this filter, e.g. `amount >= 5000` (the filter subset "
              "of JEXL; a variable's type is that of the literal it is compared with)",
              {"type": "string", "maxLength": MAX_FILTER}),
        query("limit", "How many of the longest-waiting instances (1..100, default 10)",
              {"type": "integer", "minimum": 1, "maximum": heatmap.MAX_WAITING}),
    ]
    return {"/api/v1/process-definitions/{key}/heatmap": {"get": op(
        "getProcessHeatmap", "definitions", "Passages, times and bottlenecks per element of a process version",
        {200: ("The figures", "Heatmap")}, (400, 401, 403, 404), params,
        description="Aggregated in SQL from the element passages the engine records. Admins and auditors see "
                    "every instance; staff and modelers only the instances they may see; other roles get 403. "
                    "An unsupported filter or an unknown argument is a 400 naming it.")}}
