"""Processes that work on records: a user task whose form is a record type's, and starting a process from
a record.

A record-form task (``camunda:formKey="record:<type>"``) shows the type's form narrowed to the fields the
person completing it may write, filled with the referenced record's values when the instance has one.
Completing it goes through the records service as that person (the pages' validator and permissions): it
creates a record (and the instance now references it) or updates the referenced one, in the completion's
transaction, and sets the instance variable ``record`` to what they may read of it. A refused value is
the task's 422 with a message per field, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_can_start
from server.auth.permissions.records import Action
from server.engine.runner import Runner
from server.errors import BadRequest, FormInvalid
from server.forms import registry
from server.forms.limits import check_business_key
from server.forms.validation import FieldMessage
from server.models import HumanTask, ProcessInstance, ProcessVersion
from server.records import money, workspace
from server.records import service as records
from server.records.process_links import (
    RECORD_VARIABLE,
    LinkedInstance,
    bound_processes,
    bound_start,
    link,
    linked_instances,
    record_variable,
    referenced,
)
from server.services.processes import find_version


def record_type_of(task: HumanTask) -> str | None:
    return task.element.get("recordForm")


def record_form(session: Session, who: Principal, task: HumanTask) -> dict[str, Any]:
    """The task's form: the record type's JSON Schema for a create or an update of the referenced record."""
    type_key = task.element["recordForm"]
    record_id = referenced(session, task.instance_id, type_key)
    values = records.get(session, who, type_key, record_id)["fields"] if record_id is not None else {}
    view = workspace.type_view(session, who, type_key, values=values)  # its relations shown by their label
    schema = view.schema(Action.UPDATE if record_id is not None else Action.CREATE)
    if record_id is not None:
        schema["properties"] = {k: {**p, "default": values[k]} if values.get(k) is not None else p
                                for k, p in schema["properties"].items()}
    schema["x-order"] = list(schema["properties"])
    schema["x-record"] = {"type": type_key, "id": record_id, "fields": view.fields}
    return money.flat_form(schema, view.fields)


def with_emptied(schema: dict[str, Any] | None, variables: dict[str, Any]) -> dict[str, Any]:
    """A record-form task that updates its record: an input the person emptied clears that field (null), as
    on the record's own edit page; the form does not send what it shows read-only, nor files kept as they were."""
    record = (schema or {}).get("x-record")
    if not record or record.get("id") is None:
        return variables
    emptied = {key: None for key, prop in schema["properties"].items()  # type: ignore[index]
               if not prop.get("readOnly") and not registry.of(prop).uploaded}
    return {**emptied, **variables}


def submit(session: Session, who: Principal, task: HumanTask, values: dict[str, Any]) -> dict[str, Any]:
    """Write the submitted values to the record (create, or update the referenced one); the task's variables."""
    type_key = task.element["recordForm"]
    access = task.element.get("fieldAccess") or {}
    blocked = sorted(set(values) & {*(access.get("hidden") or []), *(access.get("readOnly") or [])})
    if blocked:  # the step does not show them, or shows them read-only
        raise FormInvalid({k: FieldMessage("cannot be changed in this step", "read_only") for k in blocked})
    record_id = referenced(session, task.instance_id, type_key)
    fields = workspace.type_view(session, who, type_key).fields
    values = money.joined_form(values, fields)  # the form's amount and currency inputs as one value
    try:
        if record_id is None:
            record = records.create(session, who, type_key, values)
            link(session, task.instance_id, type_key, record["id"], who.username)
        else:
            record = records.update_record(session, who, type_key, record_id, {"fields": values})
    except FormInvalid as exc:
        raise FormInvalid(money.form_messages(exc.details.get("fields", {}))) from None
    return {RECORD_VARIABLE: record_variable(record)}


def start_from_record(session: Session, runner: Runner, who: Principal, type_key: str, record_id: Any,
                      process_key: Any, business_key: Any = None) -> ProcessInstance:
    """Start the latest version of a process bound to ``type_key`` from one of its records (which ``who``
    must be able to read); the instance references the record and gets it as the variable ``record``."""
    if not isinstance(process_key, str) or not process_key:
        raise BadRequest("name the process to start ('process')", field="process")
    if business_key is not None and not isinstance(business_key, str):
        raise BadRequest("'businessKey' must be text", field="businessKey")
    record = records.get(session, who, type_key, record_id)
    version = find_version(session, process_key)
    if bound_start(version) != type_key:
        raise BadRequest(f"process '{process_key}' is not started from {type_key} records (its start event "
                         f"has no camunda:formKey=\"record:{type_key}\")", field="process")
    require_can_start(who, version)
    check_business_key(business_key)
    instance = runner.start(session, version, {RECORD_VARIABLE: record_variable(record)}, business_key,
                            who.username, version.initiator_variable)
    link(session, instance.id, type_key, record["id"], who.username)
    return instance


def record_processes(session: Session, who: Principal, type_key: str, record_id: Any
                     ) -> tuple[list[LinkedInstance], list[ProcessVersion]]:
    """The instances working on a record ``who`` may read, and the processes ``who`` may start from it."""
    record = records.get(session, who, type_key, record_id)
    return linked_instances(session, who, type_key, record["id"]), bound_processes(session, who, type_key)


@dataclass(frozen=True)
class Started:
    instance_id: str
    name: str
    next_task_id: str | None  # the starter's first task in the instance, where the page goes on


def start_from_record_page(session: Session, runner: Runner, who: Principal, type_key: str, record_id: Any,
                           process_key: Any) -> Started:
    """``start_from_record`` for the record page: where to go next."""
    from server.services.tasks import next_tasks  # tasks imports this module for its record forms

    instance = start_from_record(session, runner, who, type_key, record_id, process_key)
    following = next_tasks(session, who, instance.id)
    return Started(instance.id, instance.version.name or instance.process_key,
                   following[0].id if following else None)
