"""Dashboard pages: the list, a dashboard (its filters and a grid of Bokeh charts), one chart (a drill-down
level), the records behind a figure, a chart's CSV, and BokehJS served from the installed wheel.

Each chart's Bokeh document comes from /dashboards/<key>/charts/<chart>/item.json and is embedded by
static/dashboard.js (no inline script; the page's CSP stays strict). BokehJS is read from the bokeh
package's own static folder (`bokeh.util.paths.static_path()`), so no CDN and no copy to keep in step.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import (
    Response,
    abort,
    g,
    jsonify,
    make_response,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_login import login_required

from server.analytics import export, service
from server.analytics.params import DRILL
from server.auth.session import web_principal
from server.db import Database, current_database
from server.errors import BomsError
from server.inbox import bp
from server.security_headers import page_policy

BOKEH_FILES = frozenset({"bokeh.min.js", "bokeh-widgets.min.js", "bokeh-tables.min.js"})


def _database() -> Database:
    return current_database()


def _locale() -> str:
    return "zh" if str(get_locale() or "en").startswith("zh") else "en"


def _args() -> dict[str, str]:
    return {k: v for k, v in request.args.items()}


def _shown(json: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A refused request (bad filter, no such dashboard, a field the viewer may not read) as its 4xx:
    JSON for the chart documents the script fetches, the site's error page otherwise."""

    def wrap(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except BomsError as exc:
                if json:
                    return jsonify(exc.to_dict()), exc.status
                return render_template("error.html", code=exc.status, message=exc.message), exc.status

        return run

    return wrap


def _link(key: str) -> service.Link:
    def link(kind: str, chart: str, chosen: Mapping[str, str]) -> str:
        endpoint = "inbox.dashboard_chart" if kind == "chart" else "inbox.dashboard_records"
        return url_for(endpoint, key=key, chart=chart, **chosen)

    return link


@bp.get("/static/bokeh/<name>")
def bokeh_js(name: str) -> Any:
    if name not in BOKEH_FILES:
        abort(404)
    from bokeh.util.paths import static_path

    return send_from_directory(Path(static_path()) / "js", name, max_age=86400, mimetype="text/javascript")


@bp.get("/dashboards")
@login_required
@_shown()
def dashboards() -> Any:
    with _database().read() as session:
        items = service.list_dashboards(session, web_principal())
    return render_template("inbox/dashboards.html", items=items)


def _page(key: str, only: str | None) -> Any:
    args = _args()
    with _database().read() as session:
        page = service.dashboard_page(session, web_principal(), key, only, args, _locale())
    drilled = {k[len(DRILL):]: v for k, v in args.items() if k.startswith(DRILL)}
    filters = {k: v for k, v in args.items() if not k.startswith(DRILL)}
    response = make_response(render_template("inbox/dashboard.html", page=page, args=args, drilled=drilled,
                                             filters=filters, only=only, locale=_locale()))
    # BokehJS adds <style> elements for its own widgets; scripts stay as strict as on every page.
    response.headers["Content-Security-Policy"] = page_policy(g.get("csp_nonce")).replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'")
    return response


@bp.get("/dashboards/<key>")
@login_required
@_shown()
def dashboard(key: str) -> Any:
    return _page(key, None)


@bp.get("/dashboards/<key>/charts/<chart>")
@login_required
@_shown()
def dashboard_chart(key: str, chart: str) -> Any:
    return _page(key, chart)


@bp.get("/dashboards/<key>/charts/<chart>/item.json")
@login_required
@_shown(json=True)
def dashboard_chart_item(key: str, chart: str) -> Any:
    target = request.args.get("_target", f"chart-{chart}")[:80]
    args = {k: v for k, v in _args().items() if k != "_target"}
    with _database().read() as session:
        item = service.chart_item(session, web_principal(), key, chart, args, _locale(), _link(key), target)
    # Not jsonify: it sorts keys, and BokehJS needs each model defined before (in document order) it is
    # referenced by id, as Bokeh wrote it.
    return Response(json.dumps(item), mimetype="application/json")


@bp.get("/dashboards/<key>/charts/<chart>/export.csv")
@login_required
@_shown()
def dashboard_chart_csv(key: str, chart: str) -> Any:
    with _database().read() as session:
        text = export.chart_csv(session, web_principal(), key, chart, _args(), _locale())
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{key}-{chart}.csv"'})


def _xlsx(handle: Any, name: str) -> Response:
    response = send_file(handle, mimetype=export.XLSX, as_attachment=True, download_name=name)
    response.call_on_close(handle.close)
    return response


@bp.get("/dashboards/<key>/charts/<chart>/export.xlsx")
@login_required
@_shown()
def dashboard_chart_xlsx(key: str, chart: str) -> Any:
    with _database().read() as session:
        handle = export.chart_xlsx(session, web_principal(), key, chart, _args(), _locale())
    return _xlsx(handle, f"{key}-{chart}.xlsx")


@bp.get("/dashboards/<key>/export.xlsx")
@login_required
@_shown()
def dashboard_xlsx(key: str) -> Any:
    with _database().read() as session:
        handle = export.dashboard_xlsx(session, web_principal(), key, _args(), _locale())
    return _xlsx(handle, f"{key}.xlsx")


@bp.get("/dashboards/<key>/charts/<chart>/export.png")
@login_required
@_shown()
def dashboard_chart_png(key: str, chart: str) -> Any:
    with _database().read() as session:
        export.refuse_png(session, web_principal(), key, chart)


@bp.get("/dashboards/<key>/charts/<chart>/records")
@login_required
@_shown()
def dashboard_records(key: str, chart: str) -> Any:
    args = _args()
    with _database().read() as session:
        page = service.records_page(session, web_principal(), key, chart, args)
    return render_template("inbox/dashboard_records.html", page=page, args=args, locale=_locale())
