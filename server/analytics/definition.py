"""A dashboard's definition (JSON) read strictly: every key known, every value checked, or a 400 naming it.

    {"key": "ceo_cockpit", "title": {"en": "CEO cockpit", "zh": "总经理驾驶舱"},
     "viewers": {"roles": ["admin"], "groups": ["managers"]},
     "filters": [{"key": "period", "kind": "date_range", "field": "signed_on", "label": {...}}],
     "charts": [{"key": "by_region", "type": "column", "title": {...},
                 "source": {"kind": "records", "type": "contract"},
                 "dimensions": [{"field": "region"}], "measures": [{"agg": "sum", "field": "amount"}],
                 "filter": "signed == true", "top": 5, "others": true, "drill": {"chart": "by_product"},
                 "layout": {"x": 0, "y": 0, "w": 6, "h": 4}}]}

Only the structure is checked here; whether the fields exist in the source and fit the aggregate is
checked against the database by validate.py.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from server.analytics.charttypes import AGGREGATES, SINGLE_VALUE, TYPES
from server.analytics.sources import KINDS
from server.analytics.sqlparts import BUCKETS
from server.errors import BadRequest

KEY = re.compile(r"[a-z][a-z0-9_]{0,39}", re.ASCII)
# a field, or a path through a relation to a field of the related type: "customer.region"
FIELD = re.compile(r"[a-z][a-z0-9_]{0,62}(\.[a-z][a-z0-9_]{0,62})?", re.ASCII)
COLOR = re.compile(r"#[0-9a-fA-F]{6}", re.ASCII)
TOP = frozenset({"key", "title", "description", "viewers", "filters", "charts", "refresh"})
CHART = frozenset({"key", "type", "title", "source", "dimensions", "measures", "filter", "top", "others", "sort",
                   "drill", "layout", "colors", "target", "compare"})
FILTER_KINDS = ("date_range", "select", "me")
MAX_CHARTS = 40
MAX_FILTER_TEXT = 2000


def _bad(message: str, **details: Any) -> BadRequest:
    return BadRequest(message, **details)


def _texts(value: Any, where: str, field: str, required: bool = True) -> dict[str, str] | None:
    if value is None and not required:
        return None
    if not isinstance(value, Mapping) or set(value) != {"en", "zh"} or not all(
            isinstance(v, str) and v.strip() and len(v) <= 255 for v in value.values()):
        raise _bad(f"{where}: '{field}' must be {{\"en\": text, \"zh\": text}} (1 to 255 characters each)",
                   field=field)
    return {"en": value["en"].strip(), "zh": value["zh"].strip()}


def _names(value: Any, where: str, field: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 150 for v in value):
        raise _bad(f"{where}: '{field}' must be a list of names", field=field)
    return sorted(set(value))


def _int(value: Any, where: str, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f"{where}: '{field}' must be a whole number from {low} to {high}", field=field)
    return value


def _keys(raw: Any, allowed: frozenset[str] | set[str], where: str) -> None:
    if not isinstance(raw, Mapping):
        raise _bad(f"{where} must be an object", field=where)
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise _bad(f"{where}: unknown key(s) {', '.join(unknown)}", field=unknown[0])


def _field_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not FIELD.fullmatch(value):
        raise _bad(f"{where}: 'field' must name a field", field="field")
    return value


def _dimension(raw: Any, where: str) -> dict[str, Any]:
    _keys(raw, {"field", "bucket", "bins", "label"}, where)
    dim: dict[str, Any] = {"field": _field_name(raw.get("field"), where)}
    if raw.get("bucket") is not None:
        if raw["bucket"] not in BUCKETS:
            raise _bad(f"{where}: 'bucket' must be one of {', '.join(BUCKETS)}", field="bucket")
        dim["bucket"] = raw["bucket"]
    if raw.get("bins") is not None:
        dim["bins"] = _int(raw["bins"], where, "bins", 2, 100)
    if "bucket" in dim and "bins" in dim:
        raise _bad(f"{where}: a dimension has a 'bucket' or 'bins', not both", field="bins")
    label = _texts(raw.get("label"), where, "label", required=False)
    if label:
        dim["label"] = label
    return dim


def _measure(raw: Any, where: str) -> dict[str, Any]:
    _keys(raw, {"agg", "field", "label"}, where)
    agg = raw.get("agg")
    if agg not in AGGREGATES:
        raise _bad(f"{where}: 'agg' must be one of {', '.join(AGGREGATES)}", field="agg")
    measure: dict[str, Any] = {"agg": agg}
    if raw.get("field") is not None:
        measure["field"] = _field_name(raw["field"], where)
    elif agg != "count":
        raise _bad(f"{where}: '{agg}' needs a 'field'", field="field")
    label = _texts(raw.get("label"), where, "label", required=False)
    if label:
        measure["label"] = label
    return measure


def _chart(raw: Any, index: int) -> dict[str, Any]:
    where = f"chart {index + 1}"
    _keys(raw, CHART, where)
    key = raw.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise _bad(f"{where}: 'key' must be lower-case letters, digits and _ (starting with a letter)", field="key")
    where = f"chart '{key}'"
    kind = raw.get("type")
    if kind not in TYPES:
        raise _bad(f"{where}: 'type' must be one of {', '.join(TYPES)}", chart=key, field="type")
    source = raw.get("source")
    if not isinstance(source, Mapping) or source.get("kind") not in KINDS:
        raise _bad(f"{where}: 'source' must be {{\"kind\": one of {', '.join(KINDS)}, ...}}", chart=key,
                   field="source")
    chart: dict[str, Any] = {"key": key, "type": kind, "title": _texts(raw.get("title"), where, "title"),
                             "source": json.loads(json.dumps(source))}
    dims, measures = raw.get("dimensions", []), raw.get("measures")
    if not isinstance(dims, list) or len(dims) > 3:
        raise _bad(f"{where}: 'dimensions' must be a list of at most 3", chart=key, field="dimensions")
    if not isinstance(measures, list) or not 1 <= len(measures) <= 8:
        raise _bad(f"{where}: 'measures' must be a list of 1 to 8", chart=key, field="measures")
    chart["dimensions"] = [_dimension(d, f"{where} dimension {i + 1}") for i, d in enumerate(dims)]
    chart["measures"] = [_measure(m, f"{where} measure {i + 1}") for i, m in enumerate(measures)]
    shape = TYPES[kind]
    if not shape.dims[0] <= len(dims) <= shape.dims[1] or not shape.measures[0] <= len(measures) <= shape.measures[1]:
        raise _bad(f"{where}: a {kind} chart needs {shape.note}", chart=key, field="dimensions")
    if kind in ("pie", "donut") and len(dims) == 1 and len(measures) != 1:
        raise _bad(f"{where}: a {kind} chart needs {shape.note}", chart=key, field="measures")
    if shape.series_dim and len(dims) == 2 and len(measures) != 1:
        raise _bad(f"{where}: with a series dimension, a {kind} chart takes one measure", chart=key,
                   field="measures")
    if raw.get("filter") is not None:
        if not isinstance(raw["filter"], str) or not raw["filter"].strip() or len(raw["filter"]) > MAX_FILTER_TEXT:
            raise _bad(f"{where}: 'filter' must be a JEXL filter (at most {MAX_FILTER_TEXT} characters)",
                       chart=key, field="filter")
        chart["filter"] = raw["filter"].strip()
    if raw.get("top") is not None:
        chart["top"] = _int(raw["top"], where, "top", 1, 100)
        chart["others"] = bool(raw.get("others", False))
    elif raw.get("others"):
        raise _bad(f"{where}: 'others' needs 'top'", chart=key, field="others")
    if raw.get("sort") is not None:
        if raw["sort"] not in ("value", "label"):
            raise _bad(f"{where}: 'sort' must be \"value\" or \"label\"", chart=key, field="sort")
        chart["sort"] = raw["sort"]
    if raw.get("drill") is not None:
        drill = raw["drill"]
        _keys(drill, {"chart", "records"}, f"{where} drill")
        if len(drill) != 1 or ("records" in drill and drill["records"] is not True) or (
                "chart" in drill and not isinstance(drill["chart"], str)):
            raise _bad(f"{where}: 'drill' must be {{\"chart\": KEY}} or {{\"records\": true}}", chart=key,
                       field="drill")
        chart["drill"] = dict(drill)
    if raw.get("layout") is not None:
        layout = raw["layout"]
        _keys(layout, {"x", "y", "w", "h"}, f"{where} layout")
        chart["layout"] = {"x": _int(layout.get("x", 0), where, "layout.x", 0, 11),
                           "y": _int(layout.get("y", 0), where, "layout.y", 0, 1000),
                           "w": _int(layout.get("w", 6), where, "layout.w", 1, 12),
                           "h": _int(layout.get("h", 4), where, "layout.h", 1, 12)}
    if raw.get("colors") is not None:
        colors = raw["colors"]
        if not isinstance(colors, list) or not 1 <= len(colors) <= 20 or not all(
                isinstance(c, str) and COLOR.fullmatch(c) for c in colors):
            raise _bad(f"{where}: 'colors' must be 1 to 20 colours like \"#1f77b4\"", chart=key, field="colors")
        chart["colors"] = list(colors)
    if raw.get("target") is not None:
        target = raw["target"]
        if isinstance(target, bool) or not isinstance(target, int | float):
            raise _bad(f"{where}: 'target' must be a number", chart=key, field="target")
        chart["target"] = target
    if raw.get("compare") is not None:
        compare = raw["compare"]
        _keys(compare, {"field", "period"}, f"{where} compare")
        if compare.get("period") not in ("month", "quarter", "year"):
            raise _bad(f"{where}: 'compare.period' must be month, quarter or year", chart=key, field="compare")
        chart["compare"] = {"field": _field_name(compare.get("field"), f"{where} compare"),
                            "period": compare["period"]}
    # Drawn only by a single-value chart: anywhere else it would be saved and never used (nor is a 'target'
    # beside a second measure, which is the target).
    for name in ("target", "compare"):
        if name in chart and kind not in SINGLE_VALUE:
            raise _bad(f"{where}: '{name}' is for {', '.join(sorted(SINGLE_VALUE))} charts, not {kind}", chart=key,
                       field=name)
    if "target" in chart and len(measures) > 1:
        raise _bad(f"{where}: the second measure is the target; give it or 'target', not both", chart=key,
                   field="target")
    return chart


def _named(raw: Any, index: int) -> dict[str, Any]:
    """A chart read, its key added to whatever error it raises (a dimension's, a label's), so the designer can
    show the message beside that chart's field."""
    try:
        return _chart(raw, index)
    except BadRequest as exc:
        if "chart" not in exc.details and isinstance(raw, Mapping) and isinstance(raw.get("key"), str):
            exc.details["chart"] = raw["key"]
        raise


def _filter(raw: Any, index: int) -> dict[str, Any]:
    where = f"dashboard filter {index + 1}"
    _keys(raw, {"key", "kind", "field", "label", "charts"}, where)
    key = raw.get("key")
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise _bad(f"{where}: 'key' must be lower-case letters, digits and _", field="key")
    if raw.get("kind") not in FILTER_KINDS:
        raise _bad(f"dashboard filter '{key}': 'kind' must be one of {', '.join(FILTER_KINDS)}", field="kind")
    result = {"key": key, "kind": raw["kind"], "field": _field_name(raw.get("field"), f"dashboard filter '{key}'"),
              "label": _texts(raw.get("label"), f"dashboard filter '{key}'", "label")}
    if raw.get("charts") is not None:
        result["charts"] = _names(raw["charts"], f"dashboard filter '{key}'", "charts")
    return result


def read_definition(raw: Any, key: str | None = None) -> dict[str, Any]:
    """The normalized definition; ``key``: the key the URL names (PUT), which the body must match."""
    if isinstance(raw, Mapping) and isinstance(raw.get("dashboard"), Mapping):
        raw = raw["dashboard"]  # the deployable file's form: {"dashboard": {...}}
    _keys(raw, TOP, "dashboard")
    given = raw.get("key", key)
    if key is not None and given != key:
        raise _bad(f"the dashboard's key {given!r} is not the key in the address ({key!r})", field="key")
    if not isinstance(given, str) or not KEY.fullmatch(given):
        raise _bad("dashboard 'key' must be lower-case letters, digits and _ (starting with a letter, at most 40)",
                   field="key")
    viewers = raw.get("viewers", {})
    _keys(viewers, {"roles", "groups", "users"}, "dashboard viewers")
    charts_raw = raw.get("charts")
    if not isinstance(charts_raw, list) or not 1 <= len(charts_raw) <= MAX_CHARTS:
        raise _bad(f"dashboard '{given}': 'charts' must be a list of 1 to {MAX_CHARTS} charts", field="charts")
    filters_raw = raw.get("filters", [])
    if not isinstance(filters_raw, list) or len(filters_raw) > 10:
        raise _bad(f"dashboard '{given}': 'filters' must be a list of at most 10", field="filters")
    definition: dict[str, Any] = {
        "key": given, "title": _texts(raw.get("title"), f"dashboard '{given}'", "title"),
        "viewers": {name: _names(viewers.get(name), "dashboard viewers", name) for name in ("roles", "groups",
                                                                                          "users")},
        "filters": [_filter(f, i) for i, f in enumerate(filters_raw)],
        "charts": [_named(c, i) for i, c in enumerate(charts_raw)],
    }
    if raw.get("description") is not None:
        definition["description"] = _texts(raw["description"], f"dashboard '{given}'", "description")
    if raw.get("refresh") is not None:
        definition["refresh"] = _int(raw["refresh"], f"dashboard '{given}'", "refresh", 30, 86400)
    for name, items in (("chart", definition["charts"]), ("filter", definition["filters"])):
        keys = [i["key"] for i in items]
        for dup in sorted({k for k in keys if keys.count(k) > 1}):
            raise _bad(f"dashboard '{given}': {name} key '{dup}' appears more than once", field=dup)
    return definition


def checksum(definition: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
