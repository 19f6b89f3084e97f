"""File fields: an upload, kept by server/services/files.py; the variable holds a reference to it
(server/forms/files.py says which schemas are file fields and what the reference looks like)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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
