"""Dashboards: save (versions), list, read, delete, and a chart's data — each one permission-checked call.

Admins and modelers design dashboards; a dashboard names the roles, groups and users who may view it
(designers always may). Viewing never widens record access: each chart's source is resolved for the viewer,
so their row scope and hidden fields apply to every figure.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from server.analytics import cache, indexes, params, validate
from server.analytics import definition as definitions
from server.analytics.aggregate import OTHERS
from server.analytics.figures import chart_where, figure, require_fields
from server.analytics.render import render
from server.analytics.sources import Source, resolve
from server.audit import Event, publish
from server.auth.permissions import Principal
from server.db import utcnow
from server.errors import BadRequest, Forbidden, NotFound
from server.events import EventKind, SubjectType
from server.models import Dashboard

DESIGNERS = ("admin", "modeler")


def is_designer(who: Principal) -> bool:
    return who.has(*DESIGNERS)


def require_designer(who: Principal) -> None:
    if not is_designer(who):
        raise Forbidden("designing dashboards needs the role admin or modeler")


def may_view(who: Principal, definition: Mapping[str, Any]) -> bool:
    viewers = definition.get("viewers", {})
    return is_designer(who) or bool(who.roles & set(viewers.get("roles", []))) or bool(
        who.groups & set(viewers.get("groups", []))) or who.username in viewers.get("users", [])


def latest(session: Session, key: str) -> Dashboard | None:
    return session.execute(select(Dashboard).where(Dashboard.key == key, Dashboard.is_latest.is_(True))
                           ).scalar_one_or_none()


def require_dashboard(session: Session, who: Principal, key: Any) -> Dashboard:
    row = latest(session, key) if isinstance(key, str) and len(key) <= 40 else None
    if row is None or row.deleted_at is not None or not may_view(who, row.definition):
        raise NotFound(f"no dashboard '{key}'")
    return row


def save(session: Session, who: Principal, raw: Any, key: str | None = None) -> tuple[Dashboard, bool]:
    """(the latest version, whether this call made it). Same content as the latest: no new version."""
    require_designer(who)
    definition = definitions.read_definition(raw, key)
    validate.check(session, who, definition)
    current = latest(session, definition["key"])
    digest = definitions.checksum(definition)
    if current is not None and current.checksum == digest and current.deleted_at is None:
        return current, False
    if current is not None:
        session.execute(update(Dashboard).where(Dashboard.id == current.id).values(is_latest=False))
    row = Dashboard(key=definition["key"], version=(current.version + 1) if current else 1,
                    title_en=definition["title"]["en"], title_zh=definition["title"]["zh"], definition=definition,
                    checksum=digest, is_latest=True, created_by=who.username)
    session.add(row)
    session.flush()
    changed = indexes.sync(session)  # in this transaction: a refused save leaves no index behind
    publish(session, Event(EventKind.DASHBOARD_SAVED, who.username, subject_type=SubjectType.DASHBOARD,
                           subject_id=row.key, data={"key": row.key, "version": row.version, "checksum": digest,
                                                     "indexes": changed}))
    return row, True


def delete(session: Session, who: Principal, key: str) -> None:
    require_designer(who)
    row = require_dashboard(session, who, key)
    row.deleted_at = utcnow()
    session.flush()
    changed = indexes.sync(session)
    publish(session, Event(EventKind.DASHBOARD_DELETED, who.username, subject_type=SubjectType.DASHBOARD,
                           subject_id=row.key, data={"key": row.key, "version": row.version, "indexes": changed}))


def describe(row: Dashboard) -> dict[str, Any]:
    return {**row.definition, "version": row.version, "createdAt": row.created_at.isoformat() + "Z",
            "createdBy": row.created_by}


def list_dashboards(session: Session, who: Principal) -> list[dict[str, Any]]:
    rows = session.execute(select(Dashboard).where(Dashboard.is_latest.is_(True), Dashboard.deleted_at.is_(None))
                           .order_by(Dashboard.key)).scalars()
    return [{"key": r.key, "title": {"en": r.title_en, "zh": r.title_zh}, "version": r.version,
             "charts": len(r.definition["charts"])} for r in rows if may_view(who, r.definition)]


def get(session: Session, who: Principal, key: str) -> dict[str, Any]:
    return describe(require_dashboard(session, who, key))


def chart_of(definition: Mapping[str, Any], key: Any) -> dict[str, Any]:
    chart = next((c for c in definition["charts"] if c["key"] == key), None)
    if chart is None:
        raise NotFound(f"dashboard '{definition['key']}' has no chart '{key}'")
    return chart


def _where(session: Session, who: Principal, definition: Mapping[str, Any], chart: Mapping[str, Any],
           source: Source, args: Mapping[str, str]) -> list[Any]:
    return [*params.dashboard_filters(definition, chart, source, who, args), *params.drill_filters(source, args)]


def _body(session: Session, who: Principal, definition: Mapping[str, Any], chart: Mapping[str, Any],
          args: Mapping[str, str], locale: str, sources: dict[str, Source],
          version: tuple[Any, ...] | None) -> dict[str, Any]:
    """One chart's rows; ``sources`` keeps each source resolved once per request (the charts of a dashboard
    mostly share one), so a dashboard costs one permission lookup per source, not per chart. ``version``:
    the data version read before anything else (server/analytics/cache.py), None with the cache off."""
    spec = json.dumps(chart["source"], sort_keys=True)
    if spec not in sources:
        sources[spec] = resolve(session, who, chart["source"])
    source = sources[spec]
    where = _where(session, who, definition, chart, source, args)
    store = cache.cache_of(session) if version is not None else None
    keyed = cache.chart_key(session, chart, source, where, locale) if store is not None else None
    body = cache.lookup(session, store, keyed, version) if store is not None and keyed is not None else None
    if body is None:
        body = figure(session, chart, source, where, locale)
        if store is not None and keyed is not None:
            cache.remember(store, keyed, version, body)
    body["drill"] = chart.get("drill")
    return body


def chart_data(session: Session, who: Principal, key: str, chart_key: str, args: Mapping[str, str],
               locale: str = "en") -> dict[str, Any]:
    """The aggregated rows of one chart for ``who``, with the dashboard filters and drill-down in ``args``."""
    version = cache.data_version(session)
    definition = require_dashboard(session, who, key).definition
    chart = chart_of(definition, chart_key)
    params.check_parameters(definition, args)
    return _body(session, who, definition, chart, args, locale, {}, version)


def dashboard_data(session: Session, who: Principal, key: str, args: Mapping[str, str],
                   locale: str = "en") -> dict[str, Any]:
    """Every chart's data (what the page draws; what bench/analytics.py times): the dashboard read once,
    each source resolved once; each chart's rows from the cache when nothing they read has changed."""
    version = cache.data_version(session)
    definition = require_dashboard(session, who, key).definition
    params.check_parameters(definition, args)
    sources: dict[str, Source] = {}
    return {c["key"]: _body(session, who, definition, c, args, locale, sources, version)
            for c in definition["charts"]}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def drill_records(session: Session, who: Principal, key: str, chart_key: str, args: Mapping[str, str],
                  limit: int = 200) -> dict[str, Any]:
    """The records behind a figure (a chart drilling to records): the viewer's readable fields, in scope."""
    row = require_dashboard(session, who, key)
    chart = chart_of(row.definition, chart_key)
    if "records" not in (chart.get("drill") or {}):
        raise BadRequest(f"chart '{chart_key}' does not drill down to records", chart=chart_key)
    params.check_parameters(row.definition, args)
    source = resolve(session, who, chart["source"])
    require_fields(chart, source)
    where = [*chart_where(chart, source), *_where(session, who, row.definition, chart, source, args)]
    fields = [k for k in source.columns if k not in ("updated_at", "updated_by") and source.columns[k].kind != "list"]
    statement = (select(*[source.columns[k].expr.label(k) for k in fields]).select_from(source.base)
                 .where(and_(source.scope, *where)).order_by(source.columns["id"].expr.desc()).limit(limit + 1))
    items = [{k: _plain(v) for k, v in r._mapping.items()} for r in session.execute(statement)]
    return {"type": source.record_type, "fields": [{"key": k, "label": source.columns[k].label} for k in fields],
            "items": items[:limit], "more": len(items) > limit}


Link = Callable[[str, str, Mapping[str, str]], str]  # (kind "chart"|"records", chart key, parameters) -> URL


def _drill_urls(body: dict[str, Any], chart: Mapping[str, Any], args: Mapping[str, str], link: Link) -> None:
    drill = chart.get("drill")
    if not drill or not body.get("dimensions") or body.get("bins") is not None:
        return
    first = body["dimensions"][0]["key"]
    for row in body["rows"]:
        value = row.get(first)
        if value == OTHERS:
            continue
        chosen = {**args, f"{params.DRILL}{first}": "" if value is None else (
            ("true" if value else "false") if isinstance(value, bool) else str(value))}
        row["@url"] = link("chart", drill["chart"], chosen) if "chart" in drill else link("records", chart["key"],
                                                                                            chosen)


def chart_item(session: Session, who: Principal, key: str, chart_key: str, args: Mapping[str, str], locale: str,
               link: Link, target: str) -> dict[str, Any]:
    """The Bokeh document (json_item) of one chart for ``who``; ``link`` makes the drill-down URLs."""
    version = cache.data_version(session)
    definition = require_dashboard(session, who, key).definition
    chart = chart_of(definition, chart_key)
    params.check_parameters(definition, args)
    body = _body(session, who, definition, chart, args, locale, {}, version)
    _drill_urls(body, chart, args, link)
    return render(body, chart, target)


def dashboard_page(session: Session, who: Principal, key: str, only: str | None,
                   args: Mapping[str, str], locale: str = "en") -> dict[str, Any]:
    """What the dashboard page shows: its definition (titles, filters with their choices) and the charts to
    draw (one chart when ``only`` names a drill-down level)."""
    row = require_dashboard(session, who, key)
    definition = row.definition
    params.check_parameters(definition, args)
    # The grid reads left to right, top to bottom: by layout row, then column (definition order otherwise).
    charts = [chart_of(definition, only)] if only else sorted(
        definition["charts"], key=lambda c: (c.get("layout", {}).get("y", 0), c.get("layout", {}).get("x", 0)))
    filters = []
    for f in definition["filters"]:
        choices: list[tuple[str, str]] = []
        if f["kind"] == "select":
            choices = _choices(session, who, definition, f, locale)
        filters.append({**f, "choices": choices})
    return {"key": row.key, "title": definition["title"], "version": row.version, "refresh": definition.get(
        "refresh"), "filters": filters, "charts": charts, "description": definition.get("description"),
            "designer": is_designer(who)}


def _choices(session: Session, who: Principal, definition: Mapping[str, Any], f: Mapping[str, Any],
             locale: str) -> list[tuple[str, str]]:
    """A select filter's options: the field's options when it has them, else its values the viewer can see."""
    for chart in definition["charts"]:
        if "charts" in f and chart["key"] not in f["charts"]:
            continue
        try:
            source = resolve(session, who, chart["source"])
        except (Forbidden, NotFound):
            continue
        column = source.columns.get(f["field"])
        if column is None:
            continue
        if column.options:
            return [(value, label.get(locale, value)) for value, label in column.options.items()]
        values = session.execute(select(column.expr).select_from(source.base).where(source.scope)
                                 .where(column.expr.is_not(None)).group_by(column.expr).order_by(column.expr)
                                 .limit(200)).scalars()
        return [(str(v), str(v)) for v in values]
    return []


def records_page(session: Session, who: Principal, key: str, chart_key: str, args: Mapping[str, str]
                 ) -> dict[str, Any]:
    row = require_dashboard(session, who, key)
    body = drill_records(session, who, key, chart_key, args)
    return {**body, "key": key, "title": row.definition["title"],
            "chart": chart_of(row.definition, chart_key)}
