"""The admin dashboard designer's pages (the grid itself is tests/e2e/test_dashboard_designer_e2e.py): who may
open them, and a save goes through the dashboard service's checks: a bad definition is refused naming the
chart and field, and nothing is saved."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.test_dashboard_designer_e2e import BOARD


def _latest(api: Any) -> Any:
    from server.analytics import service

    with api.app.extensions["boms_db"].read() as session:
        row = service.latest(session, "board")
        return None if row is None else (row.version, row.definition)


def test_a_modeler_saves_from_the_designer_and_a_bad_chart_is_refused(api: Any, browser: Any) -> None:
    web = browser("modeler")
    page = web.get("/admin/dashboards/new")
    assert page.status_code == 200 and "designer-grid" in page.get_data(as_text=True)
    saved = web.post("/admin/dashboards/save", {"definition": json.dumps(BOARD)}, from_page="/admin/dashboards/new")
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/admin/dashboards/board/")
    first = _latest(api)
    assert first is not None and first[1]["charts"][1]["layout"] == BOARD["charts"][1]["layout"]
    listed = web.get("/admin/dashboards/").get_data(as_text=True)
    assert "/admin/dashboards/board/" in listed
    edit = web.get("/admin/dashboards/board/").get_data(as_text=True)
    assert "&#34;second&#34;" in edit or '"second"' in edit
    bad = json.loads(json.dumps(BOARD))
    bad["charts"][1]["dimensions"] = [{"field": "nowhere"}]
    bad["charts"][0]["layout"] = {"x": 8, "y": 2, "w": 4, "h": 3}
    refused = web.post("/admin/dashboards/save", {"definition": json.dumps(bad), "key": "board"},
                       from_page="/admin/dashboards/board/")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "The dashboard was not saved" in text
    assert "second" in text and "nowhere" in text
    assert _latest(api) == first  # nothing changed, not even the moved chart
    broken = web.post("/admin/dashboards/save", {"definition": "{broken", "key": "board"},
                      from_page="/admin/dashboards/board/")
    assert "not valid JSON" in broken.get_data(as_text=True) and _latest(api) == first


def test_a_staff_user_may_not_open_the_designer(api: Any, browser: Any) -> None:
    api.user("sam", roles=("staff",))
    web = browser("sam")
    assert web.get("/admin/dashboards/").status_code == 403
    assert web.get("/admin/dashboards/new").status_code == 403


def test_the_dashboard_page_links_designers_to_the_designer(api: Any, browser: Any) -> None:
    from server.analytics import service
    from server.auth.permissions import Principal

    api.user("sam", roles=("staff",))
    with api.app.extensions["boms_db"].write() as session:
        service.save(session, Principal(0, "t", frozenset({"admin"}), frozenset()),
                     {**BOARD, "viewers": {"roles": ["staff"]}})
    designer = browser("modeler").get("/dashboards/board").get_data(as_text=True)
    assert 'data-testid="dashboard-design" href="/admin/dashboards/board/"' in designer
    viewer = browser("sam").get("/dashboards/board")
    assert viewer.status_code == 200 and "dashboard-design" not in viewer.get_data(as_text=True)


def test_json_nested_too_deeply_is_refused_on_the_page_not_a_500(api: Any, browser: Any) -> None:
    """Python's JSON parser raises RecursionError (not JSONDecodeError) past ~1,000 levels: the designer says
    the definition is refused instead of failing with a server error."""
    web = browser("modeler")
    deep = web.post("/admin/dashboards/save", {"definition": "[" * 100_000 + "]" * 100_000},
                    from_page="/admin/dashboards/new")
    text = deep.get_data(as_text=True)
    assert deep.status_code == 200 and "not valid JSON" in text and "nested too deeply" in text
    assert _latest(api) is None


def test_values_the_api_refuses_are_refused_by_the_designer_too(api: Any, browser: Any) -> None:
    """NaN / Infinity (Python's parser reads them; PostgreSQL's JSON refuses them: a 500 there, invalid JSON out
    of the API on SQLite) and a NUL character in a title: the API's body checks (server/forms/limits.py) refuse
    them, so the designer, which saves through the same service, must as well."""
    web = browser("modeler")
    nan = json.loads(json.dumps(BOARD))
    nan["charts"][0]["target"] = float("nan")
    nul = json.loads(json.dumps(BOARD))
    nul["title"]["en"] = "Bo\u0000ard"
    for bad in (json.dumps(nan), json.dumps(nul)):
        refused = web.post("/admin/dashboards/save", {"definition": bad}, from_page="/admin/dashboards/new")
        assert refused.status_code == 200 and "The dashboard was not saved" in refused.get_data(as_text=True)
        assert _latest(api) is None
