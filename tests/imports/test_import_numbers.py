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


def _cancelling_after(api: Any, monkeypatch: pytest.MonkeyPatch, chunks: int, meanwhile: Any = None) -> None:
    """Cancel the import between two chunks of its writing pass (the spool's second reader: the first is
    the reservation of the numbers)."""
    from sqlalchemy import update

    class Cancelling(run.Spool):
        readers = 0

        def read(self) -> Any:
            self.readers += 1
            writing = self.readers == 2
            for number, chunk in enumerate(super().read()):
                if writing and number == chunks:
                    if meanwhile is not None:
                        meanwhile()
                    with api.app.extensions["boms_db"].write() as session:
                        session.execute(update(RecordImport).values(cancel_requested=True))
                yield chunk

    monkeypatch.setattr(run, "Spool", Cancelling)


def _ok_rows(count: int) -> bytes:
    return csv_bytes([["title", "qty", "unit"], *[[f"Row {i}", str(i + 1), "1"] for i in range(count)]])


def test_a_cancelled_import_gives_its_unused_numbers_back(api: Any, one_row_chunks: None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _api(api)
    _cancelling_after(api, monkeypatch, 2)
    body = finished(api, upload(api, _ok_rows(5), type_key="ticket").get_json()["id"])
    assert body["status"] == "cancelled" and body["inserted"] == 2, body
    assert body["numbers"] == {"returned": {"number": {"first": "T-0003", "last": "T-0005"}}}, body
    assert "3 auto-numbers reserved for the rows not written were given back (number T-0003 to T-0005)" \
        in body["message"], body["message"]
    made = api.post("sam", "/api/v1/records/ticket", json={"fields": {"title": "After", "qty": 1, "unit": 1}})
    assert made.get_json()["fields"]["number"] == "T-0003"  # no gap after the records written
    assert _numbers(api) == ["T-0001", "T-0002", "T-0003"]


def test_numbers_taken_after_the_reservation_leave_the_gap_and_the_import_names_it(
        api: Any, one_row_chunks: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _api(api)

    def create() -> None:
        made = api.post("sam", "/api/v1/records/ticket", json={"fields": {"title": "Meanwhile", "qty": 1, "unit": 1}})
        assert made.get_json()["fields"]["number"] == "T-0006", made.get_json()  # after the reserved T-0001..5

    _cancelling_after(api, monkeypatch, 2, create)
    body = finished(api, upload(api, _ok_rows(5), type_key="ticket").get_json()["id"])
    assert body["status"] == "cancelled" and body["inserted"] == 2, body
    assert body["numbers"] == {"skipped": {"number": {"first": "T-0003", "last": "T-0005"}}}, body
    assert "stay unused (number T-0003 to T-0005)" in body["message"], body["message"]
    made = api.post("sam", "/api/v1/records/ticket", json={"fields": {"title": "After", "qty": 1, "unit": 1}})
    assert made.get_json()["fields"]["number"] == "T-0007"  # never a number given twice, nor out of order
    with api.app.extensions["boms_db"].read() as session:
        from sqlalchemy import select

        from server.models import AuditEvent
        end = session.execute(select(AuditEvent.data).where(AuditEvent.kind == "record.imported")).scalar_one()
    assert '"numbersSkipped":{"number":{"first":"T-0003","last":"T-0005"}}' in end
