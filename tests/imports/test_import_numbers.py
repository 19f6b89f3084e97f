"""Abort mode with auto-numbers read by formulas: the numbers are settled before the first chunk is written
(server/records/imports/numbers.py), so a formula failing on a row's real number writes nothing at all."""

from __future__ import annotations

from typing import Any

import pytest

from server.models import RecordImport
from server.records.imports import run
from tests.imports.conftest import csv_bytes, finished, upload
from tests.imports.test_import_batch import TICKET

# Passes with the sample number the validation pass uses (T-0001), fails on any later number when unit is 0.
PICKY = {**TICKET, "fields": [*TICKET["fields"], {"key": "check", "label": {"en": "Check", "zh": "校验"},
                                                  "type": "formula", "resultType": "integer",
                                                  "expression": "number == 'T-0001' ? 1 : 100 / unit"}]}


def _api(api: Any) -> Any:
    response = api.post("modeler", "/api/v1/record-types", json=PICKY)
    assert response.status_code == 201, response.get_json()
    api.user("sam", roles=("staff",))
    return api


def _numbers(api: Any) -> list[str]:
    body = api.get("sam", "/api/v1/records/ticket", query_string={"sort": "id", "pageSize": 100}).get_json()
    return [item["fields"]["number"] for item in body["items"]]


@pytest.fixture
def one_row_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "CHUNK", 1)  # so the failing row is in a later chunk than rows written before it


def test_a_formula_failing_on_its_real_number_writes_nothing(api: Any, one_row_chunks: None) -> None:
    _api(api)
    rows = [["title", "qty", "unit"], ["First", "1", "0"], ["Second", "2", "1"], ["Third", "1", "0"]]
    body = finished(api, upload(api, csv_bytes(rows), type_key="ticket").get_json()["id"])
    # row 2 gets T-0001 (fine with unit 0), row 4 gets T-0003 and divides by its unit 0
    assert body["status"] == "failed" and body["inserted"] == 0, body
    assert "nothing was written" in body["message"] and "auto-numbers" in body["message"]
    assert [(e["row"], e["header"]) for e in body["errors"]] == [(4, None)], body["errors"]
    assert "check" in body["errors"][0]["message"]
    assert _numbers(api) == []
    made = api.post("sam", "/api/v1/records/ticket", json={"fields": {"title": "After", "qty": 1, "unit": 1}})
    assert made.get_json()["fields"]["number"] == "T-0001"  # the failed import took no number


def test_the_reserved_numbers_are_the_ones_written_in_file_order(api: Any, one_row_chunks: None) -> None:
    _api(api)
    assert api.post("sam", "/api/v1/records/ticket", json={"fields": {"title": "Before", "qty": 1, "unit": 1}}
                    ).status_code == 201
    rows = [["title", "qty", "unit"], *[[f"Row {i}", str(i + 1), "1"] for i in range(4)]]
    body = finished(api, upload(api, csv_bytes(rows), type_key="ticket").get_json()["id"])
    assert body["status"] == "done" and body["inserted"] == 4, body
    with api.app.extensions["boms_db"].read() as session:
        reservation = session.get(RecordImport, body["id"]).numbers
    assert reservation["first"] == {"number": 2} and reservation["count"] == 4
    assert _numbers(api) == ["T-0001", "T-0002", "T-0003", "T-0004", "T-0005"]
    made = api.post("sam", "/api/v1/records/ticket", json={"fields": {"title": "After", "qty": 1, "unit": 1}})
    assert made.get_json()["fields"]["number"] == "T-0006"  # no gap, none given twice


def test_without_the_reservation_the_file_would_be_half_written(api: Any, one_row_chunks: None,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The case the reservation exists for (what happened before it): chunks committed, then the failure."""
    monkeypatch.setattr(run.reserving, "needed", lambda definition: False)
    _api(api)
    rows = [["title", "qty", "unit"], ["First", "1", "0"], ["Second", "2", "1"], ["Third", "1", "0"]]
    body = finished(api, upload(api, csv_bytes(rows), type_key="ticket").get_json()["id"])
    assert body["status"] == "failed" and body["inserted"] == 2, body
