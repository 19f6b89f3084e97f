"""A money field with a currency per record in files: exported as one text cell "1200.50 USD" (exact, and
no spreadsheet sums two currencies), imported from the same cell (or "USD 1,200.50"); a cell without its
currency or with one outside the field's list is refused naming the cell, and nothing is written."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import python_calamine

from tests.imports.conftest import csv_bytes, finished, upload
from tests.records.test_record_money_currencies import DEAL

IMPORTABLE = {**DEAL, "permissions": [{"roles": ["staff"], "actions": ["read", "create", "update", "import",
                                                                       "export"]}]}


@pytest.fixture
def deals(api: Any) -> Any:
    api.user("sam", roles=("staff",))
    assert api.post("modeler", "/api/v1/record-types", json=IMPORTABLE).status_code == 201
    return api


def _titles_and_prices(api: Any) -> list[tuple[str, Any]]:
    items = api.get("sam", "/api/v1/records/deal?sort=title").get_json()["items"]
    return [(r["fields"]["title"], r["fields"]["price"]) for r in items]


def test_export_and_reimport_round_trip(deals: Any, tmp_path: Path) -> None:
    for title, price in [("a", {"amount": "1200.50", "currency": "USD"}), ("b", {"amount": "7.00", "currency": "CNY"}),
                         ("c", None)]:
        assert deals.post("sam", "/api/v1/records/deal", json={"fields": {"title": title, "price": price}}
                          ).status_code == 201
    exported = deals.get("sam", "/api/v1/records/deal/export", query_string={"format": "csv", "sort": "title"})
    assert exported.status_code == 200, exported.get_json()
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    price = rows[0].index("Price")
    assert [r[price] for r in rows[1:]] == ["1200.50 USD", "7.00 CNY", ""]
    sheet = deals.get("sam", "/api/v1/records/deal/export", query_string={"format": "xlsx", "sort": "title"})
    path = tmp_path / "deals.xlsx"
    path.write_bytes(sheet.data)
    cells = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert [r[cells[0].index("Price")] for r in cells[1:]] == ["1200.50 USD", "7.00 CNY", ""]

    before = _titles_and_prices(deals)
    again = [[r[rows[0].index("Title")] + "2", r[price]] for r in rows[1:]]
    again.append(["d2", "EUR 1,000.25"])
    body = upload(deals, csv_bytes([["Title", "Price"], *again]), type_key="deal").get_json()
    done = finished(deals, body["id"])
    assert done["status"] == "done", done
    after = dict(_titles_and_prices(deals))
    assert [after[t + "2"] for t, _ in before] == [p for _, p in before]
    assert after["d2"] == {"amount": "1000.25", "currency": "EUR"}


@pytest.mark.parametrize("cell, why", [
    ("1200.50", "needs its currency"), ("1200.50 GBP", "GBP is not one of"),
    ("USD 1.005", "more than 2 decimal places"), ("USD 1 EUR", "needs its currency")])
def test_a_cell_without_a_known_currency_is_refused(deals: Any, cell: str, why: str) -> None:
    body = upload(deals, csv_bytes([["Title", "Price"], ["ok", "1 USD"], ["bad", cell]]), type_key="deal").get_json()
    done = finished(deals, body["id"])
    assert done["status"] == "failed" and "nothing was written" in done["message"], done
    [error] = done["errors"]
    assert (error["row"], error["column"]) == (3, "B") and why in error["message"], error
    assert _titles_and_prices(deals) == []
