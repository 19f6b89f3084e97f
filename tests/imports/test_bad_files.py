"""Bad files: each a clear 4xx naming the file (sheet, row, column), and nothing stored or written."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from tests.imports.conftest import csv_bytes, records, upload, xlsx_bytes


def _imports_dir(api: Any) -> list[Path]:
    folder = Path(api.app.config["BOMS"].instance_path) / "imports"
    return list(folder.iterdir()) if folder.exists() else []


def _refused(api: Any, content: bytes, name: str, status: int, *words: str, **options: Any) -> None:
    response = upload(api, content, name, **options)
    assert response.status_code == status, response.get_json()
    message = response.get_json()["error"]["message"]
    for word in (name, *words):
        assert word in message, message
    assert records(api) == [] and _imports_dir(api) == []


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_csv_renamed_xlsx_is_refused(items_api: Any) -> None:
    _refused(items_api, b"code,name\na,b\n", "items.xlsx", 400, "renamed")


def test_a_workbook_renamed_csv_is_refused(items_api: Any, tmp_path: Path) -> None:
    _refused(items_api, xlsx_bytes([["code"], ["a"]], tmp_path / "a.xlsx"), "items.csv", 400, "binary")


def test_a_truncated_workbook_is_refused(items_api: Any, tmp_path: Path) -> None:
    content = xlsx_bytes([["code", "name"], *[[f"c{i}", "n"] for i in range(200)]], tmp_path / "a.xlsx")
    _refused(items_api, content[: len(content) // 2], "cut.xlsx", 400, "corrupt")


def test_a_zip_bomb_is_refused_before_it_is_unpacked(items_api: Any) -> None:
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"<a>" + b"0" * 50_000_000})
    _refused(items_api, bomb, "bomb.xlsx", 422, "zip bomb")


def test_entity_declarations_inside_a_workbook_are_refused(items_api: Any) -> None:
    evil = _zip({"[Content_Types].xml": b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Types/>'})
    _refused(items_api, evil, "evil.xlsx", 422, "DOCTYPE")


def test_16384_columns_are_refused_naming_the_sheet(items_api: Any, tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Wide")
    sheet.write_row(0, 0, [f"c{i}" for i in range(16384)])
    book.close()
    _refused(items_api, path.read_bytes(), "wide.xlsx", 422, "sheet 'Wide'", "16384 columns")


@pytest.mark.parametrize(("content", "words"), [
    (b"\n\nx\n", ("row 1 is empty",)),
    (b"code,name,code\na,b,c\n", ("'code' appears twice", "columns A and C")),
    (b"code,,name\na,b,c\n", ("column B has no header",)),
    (b"", ("empty",)),
    (b"\xff\xfe\x00\x00garbage", ("binary",)),
])
def test_bad_headers_are_refused_naming_row_and_column(items_api: Any, content: bytes, words: tuple[str]) -> None:
    response = upload(items_api, content, "bad.csv")
    assert response.status_code in (400, 422), response.get_json()
    message = response.get_json()["error"]["message"]
    assert all(w in message for w in words), message
    assert _imports_dir(items_api) == []


def test_bad_options_are_refused(items_api: Any) -> None:
    content = csv_bytes([["code", "name"], ["a", "b"]])
    assert "unknown key" in upload(items_api, content, nope=1).get_json()["error"]["message"]
    assert "needs options.key" in upload(items_api, content, mode="update").get_json()["error"]["message"]
    assert "fireRules" in upload(items_api, content, fireRules="yes").get_json()["error"]["message"]
    hidden = upload(items_api, content, mapping={"code": "cost"})
    assert hidden.status_code == 400 and "no field 'cost' you may import" in hidden.get_json()["error"]["message"]
    assert upload(items_api, content, "items.txt").status_code == 422
    assert _imports_dir(items_api) == [] and records(items_api) == []


def test_a_sheet_with_no_header_row_is_refused(items_api: Any, tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Nothing")
    book.close()
    _refused(items_api, path.read_bytes(), "empty.xlsx", 422, "sheet 'Nothing'")


def test_bad_requests_are_4xx_never_500(items_api: Any) -> None:
    headers = items_api.headers("sam")
    assert items_api.get("sam", "/api/v1/imports/nope").status_code == 404
    assert items_api.get("sam", "/api/v1/imports/nope/errors.xlsx").status_code == 404
    assert items_api.post("sam", "/api/v1/imports/nope/cancel").status_code == 404
    assert items_api.client.post("/api/v1/records/item/imports", headers=headers).status_code == 400
    bad_json = items_api.client.post("/api/v1/records/item/imports", headers=headers,
                                     content_type="multipart/form-data",
                                     data={"file": (io.BytesIO(b"code\n1\n"), "a.csv"), "options": "{nope"})
    assert bad_json.status_code == 400 and "options" in bad_json.get_json()["error"]["message"]
    assert upload(items_api, b"code\n1\n", mapping={"code": 5}).status_code == 400
    assert upload(items_api, b"code\n1\n", type_key="nothing").status_code == 404
    for query in ({"filter": "code =="}, {"sort": "cost"}, {"fields": "nope"}):
        assert items_api.get("sam", "/api/v1/records/item/export", query_string=query).status_code == 400
    assert _imports_dir(items_api) == []
