"""Which column of the file fills which field: by key or by label in either language, or as the user said.

Only fields the importer may write (the record type's ``import`` grant) can be mapped; a header naming any
other field is treated as unknown, exactly like a header naming nothing, so hidden fields do not leak. The
columns left unmapped are listed in the answer ("ignored"), never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from server.errors import BadRequest, Unprocessable
from server.records.fields import KINDS
from server.records.imports.convert import CONVERTERS
from server.records.imports.files import column_letter

MODES = ("insert", "update", "upsert")


@dataclass(frozen=True)
class Plan:
    """The confirmed mapping of one import: column index -> field, and the key for update and upsert."""

    columns: tuple[tuple[int, Mapping[str, Any]], ...]
    header: tuple[str, ...]
    ignored: tuple[str, ...]
    mode: str
    key: str | None = None
    key_index: int | None = None
    fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"mapping": {self.header[i]: f["key"] for i, f in self.columns}, "ignored": list(self.ignored),
                "mode": self.mode, "key": self.key}


def _names(field_def: Mapping[str, Any]) -> set[str]:
    return {field_def["key"].casefold(), field_def["label"]["en"].casefold(), field_def["label"]["zh"].casefold()}


def auto_mapping(header: list[str], fields: list[Mapping[str, Any]]) -> dict[str, str | None]:
    by_name: dict[str, str] = {}
    for field_def in fields:
        for name in _names(field_def):
            by_name.setdefault(name, field_def["key"])
    return {h: by_name.get(h.casefold()) for h in header}


def make_plan(header: list[str], definition: Mapping[str, Any], writable: frozenset[str],
              options: Mapping[str, Any]) -> Plan:
    # Computed fields (auto-numbers, formulas, lookups, rollups) are filled by the batch write, never mapped.
    computed = {f["key"] for f in definition["fields"] if not KINDS[f["type"]].writable}
    fields = [f for f in definition["fields"] if f["key"] in writable and f["key"] not in computed]
    known = {f["key"]: f for f in fields}
    mapping = options.get("mapping")
    if mapping is None:
        mapping = auto_mapping(header, fields)
    elif not isinstance(mapping, Mapping) or not all(isinstance(v, str | type(None)) for v in mapping.values()):
        raise BadRequest("options.mapping must be an object of column header -> field key (or null to ignore)",
                         field="mapping")
    unknown = sorted(set(mapping) - set(header))
    if unknown:
        raise BadRequest(f"options.mapping names column(s) the file does not have: {', '.join(unknown)}",
                         field="mapping")
    columns: list[tuple[int, Mapping[str, Any]]] = []
    used: dict[str, str] = {}
    for index, name in enumerate(header):
        target = mapping.get(name)
        if target is None:
            continue
        if target in computed:
            raise BadRequest(f"column {column_letter(index)} '{name}': the field '{target}' is computed on every "
                             "write; it cannot be imported", field="mapping")
        if target not in known:
            raise BadRequest(f"column {column_letter(index)} '{name}': no field '{target}' you may import into "
                             f"(fields: {', '.join(known)})", field="mapping")
        if target in used:
            raise BadRequest(f"columns '{used[target]}' and '{name}' both map to the field '{target}'",
                             field="mapping")
        if known[target]["type"] not in CONVERTERS:  # attachments: files are written by the single path only
            raise Unprocessable(f"field '{target}' ({known[target]['type']}) cannot be imported yet",
                                field=target)
        used[target] = name
        columns.append((index, known[target]))
    if not columns:
        raise Unprocessable("no column of the file matches a field you may import into: name the columns by "
                            f"field key or label ({', '.join(known)}), or map them", field="mapping")
    mode = options.get("mode", "insert")
    if mode not in MODES:
        raise BadRequest(f"options.mode must be one of {', '.join(MODES)}, not {mode!r}", field="mode")
    key, key_index = options.get("key"), None
    if mode != "insert":
        if not isinstance(key, str) or key not in known or not known[key]["unique"]:
            uniques = [f["key"] for f in fields if f["unique"]]
            raise BadRequest(f"mode {mode} needs options.key: a unique field to match records by (unique fields: "
                             f"{', '.join(uniques) or 'none'})", field="key")
        if key not in used:
            raise BadRequest(f"mode {mode}: no column maps to the key field '{key}'", field="key")
        key_index = next(i for i, f in columns if f["key"] == key)
    elif key is not None:
        raise BadRequest("options.key is for mode update or upsert; insert matches nothing", field="key")
    ignored = tuple(h for h in header if mapping.get(h) is None)
    return Plan(tuple(columns), tuple(header), ignored, mode, key if mode != "insert" else None, key_index,
                {f["key"]: f for _, f in columns})
