"""The record-type designer in the admin UI: create a type, add a field (a new version through the deploy
path), a bad definition refused naming the field, and only designers may use it."""

from __future__ import annotations

from typing import Any


def _rows(*fields: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"rows": str(len(fields))}
    for i, f in enumerate(fields):
        for name, value in f.items():
            data[f"{name}-{i}"] = value
    return data


def test_designer_creates_and_versions_a_type(api: Any, browser: Any) -> None:
    api.user("sam", roles=("staff",))
    web = browser("modeler")
    created = web.post("/admin/record-types/new", {
        "key": "lead", "name_en": "Lead", "name_zh": "线索", "grant-staff-read": "on", "grant-staff-create": "on",
        **_rows({"key": "title", "label_en": "Title", "label_zh": "标题", "type": "text", "required": "on",
                 "list": "on"},
                {"key": "stage", "label_en": "Stage", "label_zh": "阶段", "type": "select", "list": "on",
                 "options": "new | New | 新\nwon | Won | 赢单"},
                {"key": "", "label_en": "", "label_zh": ""})})
    assert created.status_code == 302, created.get_data(as_text=True)
    saved = api.get("admin", "/api/v1/record-types/lead").get_json()
    assert saved["version"] == 1 and [f["key"] for f in saved["fields"]] == ["title", "stage"]
    assert saved["fields"][1]["options"][1] == {"value": "won", "label": {"en": "Won", "zh": "赢单"}}
    assert saved["permissions"] == [{"roles": ["staff"], "actions": ["create", "read"]}]

    with_help = {**saved, "fields": [{**saved["fields"][0], "help": {"en": "Short", "zh": "简短"}}, saved["fields"][1]]}
    for key in ("version", "createdAt", "createdBy", "removedFields"):
        with_help.pop(key, None)
    assert api.client.put("/api/v1/record-types/lead", json=with_help, headers=api.headers("admin")).status_code == 201
    page = web.get("/admin/record-types/lead/").get_data(as_text=True)
    assert 'value="title"' in page and "new | New | 新" in page
    added = web.post("/admin/record-types/lead/", {
        "name_en": "Lead", "name_zh": "线索", "grant-staff-read": "on", "grant-staff-create": "on",
        **_rows({"key": "title", "label_en": "Title", "label_zh": "标题", "type": "text", "required": "on",
                 "list": "on", "existing": "1", "position": "2"},
                {"key": "stage", "label_en": "Stage", "label_zh": "阶段", "type": "select", "list": "on",
                 "options": "new | New | 新\nwon | Won | 赢单", "existing": "1", "position": "3"},
                {"key": "value", "label_en": "Value", "label_zh": "金额", "type": "money", "currency": "cny",
                 "position": "1"})}, from_page="/admin/record-types/lead/")
    assert added.status_code == 302, added.get_data(as_text=True)
    again = api.get("admin", "/api/v1/record-types/lead").get_json()
    assert again["version"] == 3 and [f["key"] for f in again["fields"]] == ["value", "title", "stage"]
    assert again["fields"][1]["help"] == {"en": "Short", "zh": "简短"}  # not on the form: kept
    assert again["fields"][0]["currency"] == "CNY"
    listing = web.get("/admin/record-types/").get_data(as_text=True)
    assert 'data-key="lead"' in listing


def test_designer_refuses_bad_definitions_naming_the_field(api: Any, browser: Any) -> None:
    web = browser("modeler")
    bad = web.post("/admin/record-types/new", {
        "key": "lead", "name_en": "Lead", "name_zh": "线索",
        **_rows({"key": "amount", "label_en": "Amount", "label_zh": "金额", "type": "money", "currency": "x"})})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "field &#39;amount&#39;" in text and "currency" in text and 'value="amount"' in text
    options = web.post("/admin/record-types/new", {
        "key": "lead", "name_en": "Lead", "name_zh": "线索",
        **_rows({"key": "stage", "label_en": "Stage", "label_zh": "阶段", "type": "select", "options": "new"})})
    assert options.status_code == 400 and "field &#39;stage&#39;: option line 1" in options.get_data(as_text=True)
    assert api.get("admin", "/api/v1/record-types/lead").status_code == 404


def test_only_designers_open_the_designer(api: Any, browser: Any) -> None:
    api.user("sam", roles=("staff",))
    assert browser("sam").get("/admin/record-types/").status_code == 403
    assert browser("auditor").get("/admin/record-types/").status_code == 403


def test_designer_in_chinese(api: Any, browser: Any) -> None:
    page = browser("modeler").get("/admin/record-types/new", headers={"Accept-Language": "zh-CN"})
    text = page.get_data(as_text=True)
    assert "新建记录类型" in text and "标签（中文）" in text and "按角色的权限" in text


def test_designer_shows_the_records_a_type_change_would_not_convert(api: Any, browser: Any) -> None:
    definition = {"key": "part", "name": {"en": "Part", "zh": "零件"},
                  "fields": [{"key": "size", "label": {"en": "Size", "zh": "尺寸"}, "type": "text"}]}
    assert api.post("modeler", "/api/v1/record-types", json=definition).status_code == 201
    ids = [api.post("admin", "/api/v1/records/part", json={"fields": {"size": v}}).get_json()["id"]
           for v in ("12", "large")]
    web = browser("modeler")
    row = {"key": "size", "label_en": "Size", "label_zh": "尺寸", "type": "integer", "existing": "1"}
    form = {"name_en": "Part", "name_zh": "零件", **_rows(row)}
    refused = web.post("/admin/record-types/part/", form, from_page="/admin/record-types/part/")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'data-testid="unconvertible"' in page
    assert "large" in page and f"<td>{ids[1]}</td>" in page and 'name="clear_unconvertible"' in page
    assert api.get("admin", "/api/v1/record-types/part").get_json()["version"] == 1
    cleared = web.post("/admin/record-types/part/", {**form, "clear_unconvertible": "1"},
                       from_page="/admin/record-types/part/")
    assert cleared.status_code == 302, cleared.get_data(as_text=True)
    values = {r["id"]: r["fields"].get("size") for r in api.get("admin", "/api/v1/records/part").get_json()["items"]}
    assert values == {ids[0]: 12, ids[1]: None}


def test_designer_deletes_an_unused_type_and_refuses_a_used_one(api: Any, browser: Any) -> None:
    definition = {"key": "bin", "name": {"en": "Bin", "zh": "料箱"},
                  "fields": [{"key": "code", "label": {"en": "Code", "zh": "编码"}, "type": "text"}]}
    assert api.post("modeler", "/api/v1/record-types", json=definition).status_code == 201
    made = api.post("admin", "/api/v1/records/bin", json={"fields": {"code": "B1"}}).get_json()
    assert 'data-testid="delete-record-type"' not in browser("modeler").get("/admin/record-types/bin/").get_data(
        as_text=True)  # admins only
    web = browser("admin")
    page = "/admin/record-types/bin/"
    refused = web.post("/admin/record-types/bin/delete", from_page=page, follow_redirects=True)
    assert "still has 1 record(s)" in refused.get_data(as_text=True)
    api.client.delete(f"/api/v1/records/bin/{made['id']}", headers=api.headers("admin"))
    done = web.post("/admin/record-types/bin/delete", from_page=page, follow_redirects=True)
    assert "deleted" in done.get_data(as_text=True)
    assert api.get("admin", "/api/v1/record-types/bin").status_code == 404


def test_palette_offers_only_kinds_the_form_configures(api: Any, browser: Any) -> None:
    """Every palette kind is a real field kind the form can save as it stands (no hidden settings needed),
    and the page carries the row template the palette clones, with the index left to fill."""
    from admin.record_palette import PALETTE
    from server.records.fields import KINDS

    assert set(PALETTE) <= set(KINDS)
    assert not {"relation", "formula", "lookup", "rollup", "auto_number", "sub_table"} & set(PALETTE)
    web = browser("modeler")
    page = web.get("/admin/record-types/new").get_data(as_text=True)
    for kind in PALETTE:
        assert f'data-testid="palette-{kind}"' in page
    template = page[page.index('<template id="field-row-template">'):page.index("</template>")]
    assert 'name="key-__i__"' in template and 'name="position-__i__"' in template
    assert "admin/record_designer.js" in page
    # What the script posts for a palette field added to a form of 3 rows: row 3, the count raised to 4,
    # and positions renumbered; every kind on the palette saves with just the inputs the form has.
    fields = [{"key": f"f_{kind}", "label_en": kind, "label_zh": kind, "type": kind, "list": "on",
               "position": str(len(PALETTE) - i)} for i, kind in enumerate(PALETTE)]
    for f in fields:
        if f["type"] == "money":
            f["currency"] = "usd"
        if f["type"] in ("select", "multi_select"):
            f["options"] = "a | A | 甲"
    saved = web.post("/admin/record-types/new", {"key": "every", "name_en": "Every", "name_zh": "全部",
                                                 **_rows(*fields)})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    keys = [f["key"] for f in api.get("admin", "/api/v1/record-types/every").get_json()["fields"]]
    assert keys == [f"f_{kind}" for kind in reversed(PALETTE)]


def test_designer_sets_a_currency_chosen_per_record(api: Any, browser: Any) -> None:
    web = browser("modeler")
    saved = web.post("/admin/record-types/new", {"key": "deal", "name_en": "Deal", "name_zh": "交易", **_rows(
        {"key": "price", "label_en": "Price", "label_zh": "价格", "type": "money", "currency": "cny, usd EUR",
         "per_record": "on", "list": "on"},
        {"key": "fee", "label_en": "Fee", "label_zh": "费用", "type": "money", "currency": "cny", "list": "on"})})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    fields = api.get("admin", "/api/v1/record-types/deal").get_json()["fields"]
    assert fields[0]["currencies"] == ["CNY", "USD", "EUR"] and "currency" not in fields[0]
    assert fields[1]["currency"] == "CNY" and "currencies" not in fields[1]
    page = web.get("/admin/record-types/deal/").get_data(as_text=True)
    assert 'value="CNY, USD, EUR"' in page and 'name="per_record-0" checked' in page
    refused = web.post("/admin/record-types/new", {"key": "bad", "name_en": "Bad", "name_zh": "坏", **_rows(
        {"key": "price", "label_en": "Price", "label_zh": "价格", "type": "money", "currency": "CNY, CNY",
         "per_record": "on"})})
    assert refused.status_code == 400 and "names a currency twice" in refused.get_data(as_text=True)
