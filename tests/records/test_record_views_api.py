"""Saved views over the API: save, replace by name, share, refuse hidden fields, delete by owner only."""

from __future__ import annotations

from typing import Any


def test_saved_views_api(records_api: Any) -> None:
    api = records_api
    api.user("tom", roles=("staff",))
    url = "/api/v1/records/contract/views"
    saved = api.post("sam", url, json={"name": "North", "filter": 'region == "north"', "sort": "-amount",
                                       "columns": ["title", "region"]})
    assert saved.status_code == 200, saved.get_json()
    view = saved.get_json()
    assert view["mine"] and view["columns"] == ["title", "region"] and not view["shared"]
    again = api.post("sam", url, json={"name": "North", "filter": "", "shared": True}).get_json()
    assert again["id"] == view["id"] and again["shared"] and again["filter"] == ""
    assert [v["name"] for v in api.get("tom", url).get_json()["items"]] == ["North"]
    hidden = api.post("sam", url, json={"name": "X", "columns": ["margin"]})
    assert hidden.status_code == 400 and "margin" in hidden.get_json()["error"]["message"]
    bad = api.post("sam", url, json={"name": "Y", "filter": "margin > 1"})
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "filter"
    assert api.post("sam", url, json={"name": "Z", "owner": "tom"}).status_code == 400
    assert api.client.delete(f"{url}/{view['id']}", headers=api.headers("tom")).status_code == 403
    assert api.client.delete(f"{url}/{view['id']}", headers=api.headers("sam")).status_code == 204
    assert api.get("sam", url).get_json()["items"] == []
    assert api.get("sally", "/api/v1/records/nothing/views").status_code == 404
