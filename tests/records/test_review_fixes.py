"""Regression tests for the review fixes: a bulk update stays in the user's rows, a deleted record's process
links go with it, a type with a relation to many deletes, a retype over a dashboard's covering index, two files
under one part name are refused, and a record's process list shows only the instances the reader may see."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from tests.conftest import Api
from tests.records.test_record_attachments import PNG, WORK_ORDER, files_of
from tests.records.test_record_condition_scope import DEAL, DEPARTMENTS
from tests.records.test_record_processes import FIXTURES, _task
from tests.records.test_record_type_deletion import PART


def _instance_links(api: Api, type_key: str, record_id: int) -> list[Any]:
    from server.models import InstanceRecord

    with api.app.extensions["boms_db"].read() as session:
        return list(session.execute(select(InstanceRecord.instance_id).where(
            InstanceRecord.type_key == type_key, InstanceRecord.record_id == record_id)).scalars())


# 1. a bulk update may not move a record out of the user's condition rows

def test_a_bulk_update_cannot_move_a_record_out_of_the_condition(api: Api) -> None:
    from server.models import User

    definition = copy.deepcopy(DEAL)
    definition["permissions"][0]["actions"] = [*definition["permissions"][0]["actions"], "bulk"]
    for name, department in DEPARTMENTS.items():
        api.user(name, roles=("staff",))
        with api.app.extensions["boms_db"].write() as session:
            session.execute(update(User).where(User.username == name).values(department=department))
    assert api.post("modeler", "/api/v1/record-types", json=definition).status_code == 201
    made = api.post("admin", "/api/v1/records/deal", json={"fields": {"title": "b", "owner": "bob",
                                                                      "region": "north"}}).get_json()
    other = api.post("admin", "/api/v1/records/deal", json={"fields": {"title": "c", "owner": "bob"}}).get_json()
    url = f"/api/v1/records/deal/{made['id']}"
    moved = api.post("bob", "/api/v1/records/deal/bulk", json={"update": [
        {"id": other["id"], "fields": {"title": "c!"}, "version": 1},  # fine alone: nothing of it is written
        {"id": made["id"], "fields": {"owner": "ann"}, "version": 1}]})
    assert moved.status_code == 422, moved.get_json()
    [row] = moved.get_json()["error"]["rows"]
    assert row["index"] == 1 and "outside your rows" in str(row), row
    stored = api.get("admin", url).get_json()
    assert stored["fields"]["owner"] == "bob" and stored["version"] == 1
    assert api.get("admin", f"/api/v1/records/deal/{other['id']}").get_json()["fields"]["title"] == "c"
    kept = api.post("bob", "/api/v1/records/deal/bulk", json={"update": [
        {"id": made["id"], "fields": {"region": "west"}, "version": 1}]})
    assert kept.status_code == 200, kept.get_json()  # still his by the owner
    assert api.get("admin", url).get_json()["fields"]["region"] == "west"


# 2. a deleted record's process links go with it (SQLite reuses the highest id)

def test_a_deleted_records_process_links_go_with_it(api: Api) -> None:
    api.user("wang", roles=("staff",))
    api.deploy("modeler", f"{FIXTURES}/work_order.record.json", f"{FIXTURES}/wo_from_record.bpmn")
    made = api.post("wang", "/api/v1/records/work_order", json={"fields": {"title": "Chair"}}).get_json()
    started = api.post("wang", f"/api/v1/records/work_order/{made['id']}/start", json={"process": "wo_report"})
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instanceId"]
    assert _instance_links(api, "work_order", made["id"]) == [instance_id]
    # While the instance works on it (its record form and connectors read it), the record stays.
    busy = api.client.delete(f"/api/v1/records/work_order/{made['id']}", headers=api.headers("admin"))
    assert busy.status_code == 409 and instance_id in busy.get_json()["error"]["message"]
    assert api.post("admin", f"/api/v1/process-instances/{instance_id}/cancel", json={}).status_code == 200
    removed = api.client.delete(f"/api/v1/records/work_order/{made['id']}", headers=api.headers("admin"))
    assert removed.status_code == 204, removed.get_json()
    assert _instance_links(api, "work_order", made["id"]) == []
    again = api.post("wang", "/api/v1/records/work_order", json={"fields": {"title": "Stool"}}).get_json()
    listed = api.get("wang", f"/api/v1/records/work_order/{again['id']}/processes")
    assert listed.status_code == 200, listed.get_json()
    assert listed.get_json()["instances"] == []
    assert _instance_links(api, "work_order", again["id"]) == []


def _has_table(api: Api, name: str) -> bool:
    from sqlalchemy import inspect

    with api.app.extensions["boms_db"].read() as session:
        return inspect(session.connection()).has_table(name)


# 3. deleting a type with a relation to many drops its link tables first (PostgreSQL answered 500)

def test_a_type_with_a_relation_to_many_is_deleted(api: Api) -> None:
    kit = {"key": "kit", "name": {"en": "Kit", "zh": "套件"},
           "fields": [{"key": "title", "label": {"en": "Title", "zh": "标题"}, "type": "text"},
                      {"key": "parts", "label": {"en": "Parts", "zh": "零件"}, "type": "relation",
                       "target": "part", "multiple": True}]}
    assert api.post("modeler", "/api/v1/record-types", json=PART).status_code == 201
    assert api.post("modeler", "/api/v1/record-types", json=kit).status_code == 201
    part = api.post("admin", "/api/v1/records/part", json={"fields": {"code": "P"}}).get_json()
    made = api.post("admin", "/api/v1/records/kit", json={"fields": {"title": "K", "parts": [part["id"]]}})
    assert made.status_code == 201, made.get_json()
    assert api.client.delete(f"/api/v1/records/kit/{made.get_json()['id']}",
                             headers=api.headers("admin")).status_code == 204
    assert _has_table(api, "lnk_kit_parts")
    deleted = api.client.delete("/api/v1/record-types/kit", headers=api.headers("admin"))
    assert deleted.status_code == 200, deleted.get_json()
    assert not _has_table(api, "lnk_kit_parts") and not _has_table(api, "rec_kit")  # its link table went too
    assert api.get("admin", "/api/v1/record-types/kit").status_code == 404
    # the part type is used by nothing now, and the kit key saves again with its relation
    assert api.client.delete("/api/v1/records/part/" + str(part["id"]), headers=api.headers("admin")).status_code == 204
    assert api.client.delete("/api/v1/record-types/part", headers=api.headers("admin")).status_code == 200
    assert api.post("modeler", "/api/v1/record-types", json=PART).status_code == 201
    assert api.post("modeler", "/api/v1/record-types", json=kit).status_code == 201


# 4. a type change drops every index over the column first (SQLite 500 with a dashboard's covering index)

STOCK: dict[str, Any] = {
    "key": "stock", "name": {"en": "Stock", "zh": "库存"},
    "fields": [
        {"key": "region", "label": {"en": "Region", "zh": "区域"}, "type": "select",
         "options": [{"value": r, "label": {"en": r, "zh": r}} for r in ("north", "south")]},
        {"key": "qty", "label": {"en": "Quantity", "zh": "数量"}, "type": "integer"},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read"]}],
}


def _stock_indexes(api: Api) -> dict[str, dict[str, Any]]:
    from sqlalchemy import inspect

    with api.app.extensions["boms_db"].read() as session:
        return {i["name"]: i for i in inspect(session.connection()).get_indexes("rec_stock")}


def test_a_field_under_a_dashboards_covering_index_changes_type(api: Api) -> None:
    assert api.post("modeler", "/api/v1/record-types", json=STOCK).status_code == 201
    for region, qty in (("north", 3), ("south", 4), ("north", 5)):
        made = api.post("admin", "/api/v1/records/stock", json={"fields": {"region": region, "qty": qty}})
        assert made.status_code == 201, made.get_json()
    board = {"key": "stock", "title": {"en": "Stock", "zh": "库存"}, "viewers": {"roles": ["staff"]},
             "charts": [{"key": "q", "type": "bar", "title": {"en": "q", "zh": "q"},
                         "source": {"kind": "records", "type": "stock"},
                         "dimensions": [{"field": "region"}], "measures": [{"agg": "sum", "field": "qty"}]},
                        {"key": "g", "type": "bar", "title": {"en": "g", "zh": "g"},
                         "source": {"kind": "records", "type": "stock"},
                         "dimensions": [{"field": "qty"}], "measures": [{"agg": "count"}]}]}
    saved = api.client.put("/api/v1/dashboards/stock", headers=api.headers("modeler"), json=board)
    assert saved.status_code == 201, saved.get_json()
    over_qty = [n for n, i in _stock_indexes(api).items() if n.startswith("ixa_")
                and ("qty" in i["column_names"] or "qty" in i.get("include_columns", []))]
    assert over_qty, _stock_indexes(api)  # the premise: a covering index holds the column
    retyped = copy.deepcopy(STOCK)
    retyped["fields"][1]["type"] = "decimal"
    response = api.client.put("/api/v1/record-types/stock", headers=api.headers("modeler"), json=retyped)
    assert response.status_code == 201, response.get_json()
    items = api.get("admin", "/api/v1/records/stock", query_string={"sort": "id"}).get_json()["items"]
    assert [str(r["fields"]["qty"]).rstrip("0").rstrip(".") for r in items] == ["3", "4", "5"]
    data = api.get("admin", "/api/v1/dashboards/stock/charts/q/data")
    assert data.status_code == 200, data.get_json()
    board["title"] = {"en": "Stock levels", "zh": "库存"}  # the next save makes the dashboard's indexes again
    saved = api.client.put("/api/v1/dashboards/stock", headers=api.headers("modeler"), json=board)
    assert saved.status_code in (200, 201), saved.get_json()
    assert set(over_qty) <= set(_stock_indexes(api)), _stock_indexes(api)


# 5. two files under one part name are refused, not half-taken

def test_two_files_under_one_part_name_are_refused(api: Api) -> None:
    api.user("sam", roles=("staff",))
    assert api.post("modeler", "/api/v1/record-types", json=WORK_ORDER).status_code == 201
    response = api.client.post("/api/v1/records/job/files", headers=api.headers("sam"),
                               data={"photos": [(io.BytesIO(PNG), "a.png", "image/png"),
                                                (io.BytesIO(PNG), "b.png", "image/png")]},
                               content_type="multipart/form-data")
    assert response.status_code == 400, response.get_json()
    assert "exactly one file" in response.get_json()["error"]["message"]
    assert files_of(api, None) == []  # nothing stored, not the first of the two


# 6. a record's processes list shows only the instances the reader may see

ASSIGNED = (Path(__file__).parent.parent / "fixtures" / FIXTURES / "wo_from_record.bpmn").read_text().replace(
    '<bpmn:userTask id="report" name="Report the step">',
    '<bpmn:userTask id="report" name="Report the step" camunda:assignee="${initiator}">').replace(
    '<bpmn:startEvent id="start" ', '<bpmn:startEvent id="start" camunda:initiator="initiator" ')


def test_a_records_processes_show_only_the_instances_the_reader_may_see(api: Api, tmp_path: Path,
                                                                       browser: Any) -> None:
    api.user("wang", roles=("staff",))
    api.user("li", roles=("staff",))
    assert 'camunda:assignee="${initiator}"' in ASSIGNED  # the task is the starter's, not an open pool's
    bpmn = tmp_path / "wo_report.bpmn"
    bpmn.write_text(ASSIGNED)
    api.deploy("modeler", f"{FIXTURES}/work_order.record.json", bpmn)
    made = api.post("wang", "/api/v1/records/work_order", json={"fields": {"title": "Chair"}}).get_json()
    started = api.post("li", f"/api/v1/records/work_order/{made['id']}/start", json={"process": "wo_report"})
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instanceId"]
    assert _task(api, "li", instance_id)  # li's task, not wang's
    assert not [t for t in api.open_tasks("wang") if t["instanceId"] == instance_id]
    url = f"/api/v1/records/work_order/{made['id']}/processes"
    assert [i["id"] for i in api.get("li", url).get_json()["instances"]] == [instance_id]
    assert [i["id"] for i in api.get("admin", url).get_json()["instances"]] == [instance_id]
    seen = api.get("wang", url)
    assert seen.status_code == 200, seen.get_json()  # wang reads the record ...
    assert seen.get_json()["instances"] == []  # ... but not li's instance
    assert api.get("wang", f"/api/v1/process-instances/{instance_id}").status_code in (403, 404)
    page = f"/records/work_order/{made['id']}"
    assert instance_id in browser("li").get(page).get_data(as_text=True)  # the record page, likewise
    shown = browser("wang").get(page)
    assert shown.status_code == 200 and instance_id not in shown.get_data(as_text=True)
