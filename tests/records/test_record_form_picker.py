"""The record form's relation inputs (one and many) are the search-as-you-type picker, not a drop-down of the
newest 200 records: any record the reader may see can be given (by its number without script), the records a
field holds are shown by their label, an unknown or unreadable record is refused naming the field with what
was typed kept; a record task's form (camunda:formKey="record:...") draws the same picker."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests.records.linked import label
from tests.records.test_record_bulk_edit import _made

SUPPLIER: dict[str, Any] = {
    "key": "supplier", "name": label("Supplier"),
    "fields": [{"key": "name", "label": label("Name"), "type": "text", "required": True}],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create"],
                     "rows": {"kind": "own", "field": "created_by"}}, {"roles": ["staff"], "actions": ["bulk"]}],
}
DEAL: dict[str, Any] = {
    "key": "deal", "name": label("Deal"),
    "fields": [
        {"key": "title", "label": label("Title"), "type": "text", "required": True},
        {"key": "supplier", "label": label("Supplier"), "type": "relation", "target": "supplier",
         "onDelete": "set_null"},
        {"key": "backups", "label": label("Backups"), "type": "relation", "target": "supplier", "multiple": True,
         "onDelete": "set_null"},
    ],
    "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update"]}],
}
PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="deal_new" name="New deal" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="fill" name="Fill the deal" camunda:formKey="record:deal" camunda:assignee="sam" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fill" />
    <bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def deals(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    api.user("ann", roles=("staff",))
    for body in (SUPPLIER, DEAL):
        assert api.post("modeler", "/api/v1/record-types", json=body).status_code == 201
    return api


def _deal(api: Any, title: str) -> dict[str, Any]:
    items = api.get("admin", "/api/v1/records/deal", query_string={"filter": f"title == '{title}'"}).get_json()
    return items["items"][0]["fields"]


def test_the_form_searches_instead_of_listing_and_takes_any_record_by_number(deals: Any, browser: Any) -> None:
    oldest = _made(deals, "sam", "supplier", name="Oldest Oak")
    created = deals.post("sam", "/api/v1/records/supplier/bulk",
                         json={"create": [{"fields": {"name": f"Filler {n}"}} for n in range(205)]})
    assert created.status_code == 200, created.get_json()
    web = browser("sam")
    page = web.get("/records/deal/new").get_data(as_text=True)
    form = page[page.index('data-testid="record-form"'):page.index("</form>", page.index('data-testid="record-form"'))]
    assert "<option" not in form and "Filler" not in form and "record_picker.js" in page  # no list of the newest 200
    assert 'data-record-picker="/records/deal/fields/supplier/choices"' in form
    assert 'data-record-picker="/records/deal/fields/backups/choices"' in form
    assert re.search(r'<input id="f-supplier" name="supplier"[^>]*type="text"', form)
    # the picker finds the oldest one by what one types, and the form takes it as a number (no script)
    found = web.get("/records/deal/fields/supplier/choices?q=oldest").get_json()["items"]
    assert found == [{"id": oldest, "label": f"#{oldest} Oldest Oak"}]
    saved = web.post("/records/deal/new", {"title": "Old", "supplier": f"#{oldest}",
                                           "backups": f"{oldest}, {oldest + 1}"}, from_page="/records/deal/new")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert _deal(deals, "Old")["supplier"] == oldest and _deal(deals, "Old")["backups"] == [oldest, oldest + 1]
    # what the picker posts: one input per chosen record
    picked = web.post("/records/deal/new", {"title": "Picked", "supplier": str(oldest),
                                            "backups": [str(oldest + 2), str(oldest + 3)]},
                      from_page="/records/deal/new")
    assert picked.status_code == 302 and _deal(deals, "Picked")["backups"] == [oldest + 2, oldest + 3]


def test_the_edit_form_names_what_the_fields_hold(deals: Any, browser: Any) -> None:
    oak, pine = _made(deals, "sam", "supplier", name="Oak Timber"), _made(deals, "sam", "supplier", name="Pine")
    deal = _made(deals, "sam", "deal", title="Held", supplier=oak, backups=[oak, pine])
    page = html.unescape(browser("sam").get(f"/records/deal/{deal}/edit").get_data(as_text=True))
    assert f'data-picker-held="{oak}">#{oak} Oak Timber<' in page and f'data-picker-held="{pine}">#{pine} Pine<' in page
    assert f'value="{oak}, {pine}"' in page  # without script: the numbers, named below the input
    assert f"#{oak} Oak Timber, #{pine} Pine" in page
    cleared = browser("sam").post(f"/records/deal/{deal}/edit", {"title": "Held", "version": "1", "supplier": "",
                                                                 "backups": [str(pine)]},
                                  from_page=f"/records/deal/{deal}/edit")
    assert cleared.status_code == 302, cleared.get_data(as_text=True)
    assert _deal(deals, "Held").get("supplier") is None and _deal(deals, "Held")["backups"] == [pine]


@pytest.mark.parametrize("typed", ["999999", "oak", "12, 13", "2147483648", "#99999999999999999999", "-3"])
def test_a_wrong_record_is_refused_naming_the_field_and_kept(deals: Any, browser: Any, typed: str) -> None:
    oak = _made(deals, "sam", "supplier", name="Oak Timber")
    web = browser("sam")
    refused = web.post("/records/deal/new", {"title": "Bad", "supplier": typed, "backups": [str(oak)]},
                       from_page="/records/deal/new")
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422, page[:2000]
    feedback = page[page.index('data-field="supplier"'):page.index('data-field="backups"')]
    assert "invalid-feedback" in feedback and f'data-typed="{typed}"' in feedback  # kept, with its message
    backups = page[page.index('data-field="backups"'):]
    assert f'data-picker-held="{oak}">#{oak} Oak Timber<' in backups  # the valid one still named
    assert deals.get("admin", "/api/v1/records/deal").get_json()["total"] == 0  # nothing written


def test_a_record_the_reader_may_not_see_is_refused_and_not_named(deals: Any, browser: Any) -> None:
    theirs = _made(deals, "ann", "supplier", name="Ann's Secret Yard")  # outside sam's rows
    refused = browser("sam").post("/records/deal/new", {"title": "Sneak", "backups": [str(theirs)]},
                                  from_page="/records/deal/new")
    page = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and "Secret Yard" not in page
    backups = page[page.index('data-field="backups"'):]
    assert "invalid-feedback" in backups and f'data-typed="{theirs}"' in backups


def test_a_record_task_form_draws_the_same_picker(deals: Any, browser: Any,
                                                                    tmp_path: Path) -> None:
    oak = _made(deals, "sam", "supplier", name="Oak Timber")
    (tmp_path / "deal_new.bpmn").write_text(PROCESS)
    deals.deploy("modeler", tmp_path / "deal_new.bpmn")
    started = deals.start("sam", "deal_new")
    [task] = [t for t in deals.open_tasks("sam") if t["instanceId"] == started["id"]]
    web = browser("sam")
    page = web.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert page.count("data-record-picker=") == 2 and "<option" not in page.split('data-field="supplier"')[1][:2000]
    assert "record_picker.js" in page
    done = web.post(f"/tasks/{task['id']}/complete", {"title": "From a task", "supplier": str(oak)},
                    from_page=f"/tasks/{task['id']}")
    assert done.status_code in (302, 303), done.get_data(as_text=True)[:3000]
    assert _deal(deals, "From a task")["supplier"] == oak
