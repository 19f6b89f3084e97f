"""The type changes BOMS does not make — to or from a relation, a computed field, a sub-table, an attachment,
money with a currency per record — are refused saying which and what to do instead: over the API (with the
reason as data) and in the designer, in English and Chinese; nothing changes."""

from __future__ import annotations

import copy
import html
from typing import Any

import pytest

from tests.records.linked import label

PART: dict[str, Any] = {
    "key": "part", "name": label("Part"),
    "fields": [
        {"key": "code", "label": label("Code"), "type": "text"},
        {"key": "maker", "label": label("Maker"), "type": "relation", "target": "part", "onDelete": "set_null"},
        {"key": "twice", "label": label("Twice"), "type": "formula", "expression": "code + code",
         "resultType": "text"},
        {"key": "lines", "label": label("Lines"), "type": "sub_table",
         "fields": [{"key": "what", "label": label("What"), "type": "text"}]},
        {"key": "drawing", "label": label("Drawing"), "type": "attachment"},
        {"key": "price", "label": label("Price"), "type": "money", "currencies": ["CNY", "USD"]},
    ],
}


def _changed(key: str, **change: Any) -> dict[str, Any]:
    body = copy.deepcopy(PART)
    for field in body["fields"]:
        if field["key"] == key:
            for name in ("target", "onDelete", "expression", "resultType", "fields", "currencies"):
                field.pop(name, None)
            field.update(change)
    return body


@pytest.fixture
def parts(api: Any) -> Any:
    created = api.post("modeler", "/api/v1/record-types", json=PART)
    assert created.status_code == 201, created.get_json()
    return api


@pytest.mark.parametrize("key, to, reason, words", [
    ("maker", "integer", "relation", "a relation keeps its type and its target"),
    ("code", "relation", "relation", "a relation keeps its type"),
    ("twice", "text", "computed", "a computed field (formula, lookup, rollup, auto-number) keeps its type"),
    ("lines", "long_text", "sub_table", "a sub-table keeps its type"),
    ("drawing", "text", "attachment", "an attachment keeps its type"),
    ("price", "decimal", "money", "currency per record cannot change"),
])
def test_an_unsupported_change_of_type_says_which_and_what_to_do(parts: Any, key: str, to: str, reason: str,
                                                                 words: str) -> None:
    body = _changed(key, type=to, **({"target": "part", "onDelete": "set_null"} if to == "relation" else {}))
    refused = parts.client.put("/api/v1/record-types/part", headers=parts.headers("modeler"), json=body)
    assert refused.status_code == 400, refused.get_json()
    error = refused.get_json()["error"]
    assert error["field"] == key and words in error["message"], error["message"]
    assert error["retype"] == {"field": key, "from": PART["fields"][[f["key"] for f in PART["fields"]].index(key)]
                               ["type"], "to": to, "reason": reason}
    if reason != "money":
        assert "add a new field" in error["message"]
    assert parts.get("admin", "/api/v1/record-types/part").get_json()["version"] == 1
    preview = parts.post("modeler", "/api/v1/record-types/part/preview", json=body)
    if preview.status_code == 200:
        [change] = preview.get_json()["retyped"]
        assert "keeps its type" in change["refused"]


def test_the_designer_says_the_refusal_in_english_and_chinese(parts: Any, browser: Any) -> None:
    web = browser("modeler")
    fields = [{"key": "code", "label_en": "Code", "label_zh": "编码", "type": "text", "existing": "1"},
              {"key": "maker", "label_en": "Maker", "label_zh": "制造商", "type": "integer", "existing": "1"}]
    form: dict[str, Any] = {"name_en": "Part", "name_zh": "零件", "rows": str(len(fields))}
    for i, f in enumerate(fields):
        form.update({f"{name}-{i}": value for name, value in f.items()})
    for language, words in (("en", ["changing the type from relation to integer is not supported",
                                    "a relation keeps its type and its target", "Add a new field"]),
                            ("zh-CN", ["不支持把类型从 relation 改为 integer", "关联字段的类型和目标不能更改",
                                       "请新增一个所需类型的字段"])):
        page = web.post("/admin/record-types/part/", form, from_page="/admin/record-types/part/",
                        headers={"Accept-Language": language})
        text = html.unescape(page.get_data(as_text=True))
        assert page.status_code == 400 and all(w in text for w in words), text[:4000]
    assert parts.get("admin", "/api/v1/record-types/part").get_json()["version"] == 1
