"""File fields: an upload, kept by server/services/files.py; the variable holds a reference to it
(server/forms/files.py says which schemas are file fields and what the reference looks like)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from server.forms.files import is_file_field
from server.forms.registry import FieldType, register


@register
class FileField(FieldType):
    name = "file"
    order = 10  # before text: a data-url string is a file, and before objects (unsupported)
    cell = False
    uploaded = True

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return is_file_field(prop)


SHOWN = "__shown"  # the hidden input saying an attachment field was on the form


@register
class AttachmentField(FieldType):
    """A record's attachment field: the files it keeps (ticked) and new uploads (request.files, added by the
    records pages: server/inbox/record_forms.py). The value the form gives is the kept files' references."""

    name = "attachment"
    order = 11
    cell = False
    macro = "records/_attachment.html:attachment"

    def recognises(self, prop: Mapping[str, Any]) -> bool:
        return prop.get("type") == "array" and prop.get("x-widget") == "attachment"

    def attrs(self, widget: str, prop: Mapping[str, Any], hints: Mapping[str, Any]) -> dict[str, Any]:
        attrs: dict[str, Any] = {}
        if prop.get("maxItems", 1) > 1:
            attrs["multiple"] = True
        if prop.get("x-accept"):
            attrs["accept"] = ",".join(prop["x-accept"])
        return attrs

    def parse(self, prop: Mapping[str, Any], form: MultiDict[str, str], key: str) -> tuple[bool, Any]:
        kept = [{"fileId": file_id} for file_id in form.getlist(key) if file_id]
        return key + SHOWN in form, kept
