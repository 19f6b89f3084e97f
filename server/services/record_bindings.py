"""At deploy: every record type a process names (a record form, a ``records.*`` connector) exists, and so do
the fields its connectors write. Checked after the upload's own record types are saved, in the deploying
transaction, so a refusal names the file and element and leaves nothing deployed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from server.engine.definitions import ProcessDefinition
from server.errors import DeployError
from server.records.types import latest

RECORD_CONNECTORS = ("records.create", "records.update", "records.query")


def _refuse(process: ProcessDefinition, element: str, message: str, field: str | None = None) -> DeployError:
    details: dict[str, Any] = {"file": process.file_name, "element": element}
    if field:
        details["field"] = field
    return DeployError(f"{process.file_name}: element '{element}': {message}", **details)


def _fields_named(spec: Mapping[str, Any] | None) -> list[str]:
    """The field keys a ``fields`` parameter writes, when the BPMN spells them out (a map or a JSON object)."""
    if not spec:
        return []
    if "map" in spec:
        return list(spec["map"])
    value = spec.get("value")
    return list(value) if isinstance(value, Mapping) else []


def _check_type(session: Session, process: ProcessDefinition, element: str, type_key: Any,
                what: str) -> dict[str, Any]:
    row = latest(session, type_key) if isinstance(type_key, str) and len(type_key) <= 40 else None
    if row is None:
        raise _refuse(process, element, f"{what} names the record type '{type_key}', which is not deployed "
                      "(deploy its .record.json first or in the same upload)", "type")
    return row.definition


def check_record_bindings(session: Session, processes: list[ProcessDefinition]) -> None:
    for process in processes:
        for element, info in process.elements.items():
            if info.get("recordForm"):
                _check_type(session, process, element, info["recordForm"], "camunda:formKey")
            service = info.get("service") or {}
            if service.get("connector") not in RECORD_CONNECTORS:
                continue
            params = service.get("params") or {}
            type_spec = params.get("type") or {}
            if "value" not in type_spec:
                raise _refuse(process, element, f"connector '{service['connector']}': 'type' must be a record "
                              "type key written out, not an expression (it is checked here)", "type")
            definition = _check_type(session, process, element, type_spec["value"],
                                     f"connector '{service['connector']}'")
            known = {f["key"] for f in definition["fields"]}
            unknown = [k for k in _fields_named(params.get("fields")) if k not in known]
            if unknown:
                raise _refuse(process, element, f"connector '{service['connector']}': record type "
                              f"'{definition['key']}' has no field '{unknown[0]}' (fields: "
                              f"{', '.join(sorted(known))})", unknown[0])
