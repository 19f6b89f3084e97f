"""The attachment field kind: files on a record (a drawing on a work order), kept by the file store.

The value is always a list of file references, as the task forms' files are (server/forms/files.py)::

    [{"fileId": "<uuid>", "name": "drawing.pdf", "size": 1234, "contentType": "application/pdf"}]

A client uploads first (``POST /api/v1/records/<type>/files``, server/records/files.py) and writes the
references it got; a write may name a file by ``{"fileId": ...}`` alone, the rest is read from the store.
The configuration says how many files (``multiple``, ``maxFiles``), how large (``maxSize`` bytes, never
above the server's BOMS_MAX_UPLOAD_BYTES) and which kinds (``accept``: ``.pdf``, ``image/png``, ``image/*``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.types import TypeEngine

from server.errors import BadRequest
from server.records.fields import KINDS, Kind

MAX_FILES = 20
DEFAULT_FILES = 10
MAX_SIZE = 1024 * 1024 * 1024
ACCEPT = re.compile(r"(\.[a-z0-9]{1,10}|[a-z]+/(\*|[a-z0-9][a-z0-9.+-]{0,60}))", re.ASCII)
#: raster images a browser shows safely inline (never SVG: it may carry script)
THUMBNAIL_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

FILE_REFERENCE = {
    "type": "object", "required": ["fileId"], "additionalProperties": False,
    "properties": {"fileId": {"type": "string", "format": "uuid"}, "name": {"type": "string"},
                   "size": {"type": "integer", "minimum": 0}, "contentType": {"type": "string"}},
}


def _bad(message: str, key: str) -> BadRequest:
    return BadRequest(message, field=key)


def max_files(field: Mapping[str, Any]) -> int:
    return int(field.get("maxFiles", DEFAULT_FILES)) if field.get("multiple") else 1


def accepts(field: Mapping[str, Any], file_name: str, content_type: str) -> bool:
    """Whether a file of this name and content type may be attached (no ``accept``: any file)."""
    rules = field.get("accept")
    if not rules:
        return True
    name, kind = file_name.lower(), content_type.lower().split(";", 1)[0].strip()
    for rule in rules:
        if rule.startswith("."):
            if name.endswith(rule):
                return True
        elif rule.endswith("/*"):
            if kind.startswith(rule[:-1]):
                return True
        elif kind == rule:
            return True
    return False


class AttachmentKind(Kind):
    name = "attachment"
    extra = frozenset({"multiple", "maxFiles", "maxSize", "accept"})
    can_unique = False
    can_filter = False

    def configure(self, raw: Mapping[str, Any], where: str) -> dict[str, Any]:
        key = raw["key"]
        config: dict[str, Any] = {}
        multiple = raw.get("multiple", False)
        if not isinstance(multiple, bool):
            raise _bad(f"{where}: 'multiple' must be true or false", key)
        config["multiple"] = multiple
        if "maxFiles" in raw:
            count = raw["maxFiles"]
            if not multiple or not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_FILES:
                raise _bad(f"{where}: 'maxFiles' needs \"multiple\": true and a whole number from 1 to "
                           f"{MAX_FILES}", key)
            config["maxFiles"] = count
        if "maxSize" in raw:
            size = raw["maxSize"]
            if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_SIZE:
                raise _bad(f"{where}: 'maxSize' must be a number of bytes from 1 to {MAX_SIZE}", key)
            config["maxSize"] = size
        if "accept" in raw:
            rules = raw["accept"]
            if not isinstance(rules, list) or not rules or len(rules) > 20 or not all(
                    isinstance(r, str) and ACCEPT.fullmatch(r.lower()) for r in rules):
                raise _bad(f"{where}: 'accept' must be a list of 1 to 20 file kinds such as \".pdf\", "
                           "\"image/png\" or \"image/*\"", key)
            config["accept"] = sorted({r.lower() for r in rules})
        if raw.get("unique") or raw.get("default") is not None:
            raise _bad(f"{where}: an attachment has no default and cannot be unique", key)
        return config

    def column(self, field: Mapping[str, Any]) -> TypeEngine[Any]:
        return JSON()

    def schema(self, field: Mapping[str, Any]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "maxItems": max_files(field), "items": FILE_REFERENCE,
                                  "x-widget": "attachment"}
        if field.get("accept"):
            schema["x-accept"] = field["accept"]
        if field.get("maxSize"):
            schema["x-maxSize"] = field["maxSize"]
        return schema

    def to_db(self, field: Mapping[str, Any], value: Any) -> Any:
        return None if value is None else [dict(item) for item in value] or None


KINDS[AttachmentKind.name] = AttachmentKind()
