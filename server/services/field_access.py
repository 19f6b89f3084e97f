"""Field permissions per step (issue 14): a user task's hiddenFields never leave the server for that step
(not in its form, its JSON, its page or the history shown with it) and its readOnlyFields are shown but
dropped from submissions, as every read-only field is (server/forms/validation.py).

People who see an instance only through a step with hidden fields get the instance without them too;
the initiator, admins and auditors see everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.auth.permissions import Principal, can_see_task
from server.models import HumanTask, ProcessInstance


def hidden_fields(task: HumanTask) -> set[str]:
    return set((task.element.get("fieldAccess") or {}).get("hidden") or [])


def step_form(task: HumanTask, form: dict[str, Any] | None) -> dict[str, Any] | None:
    """The task's form as this step may show it: hidden fields gone, read-only ones marked so."""
    access = task.element.get("fieldAccess") or {}
    hidden, read_only = set(access.get("hidden") or []), set(access.get("readOnly") or [])
    if form is None or not (hidden or read_only):
        return form
    properties = {name: {**prop, "readOnly": True} if name in read_only else prop
                  for name, prop in (form.get("properties") or {}).items() if name not in hidden}
    shaped = {**form, "properties": properties}
    if "x-order" in form:
        shaped["x-order"] = [name for name in form["x-order"] if name not in hidden]
    if isinstance(form.get("required"), list):
        shaped["required"] = [name for name in form["required"] if name in properties and name not in read_only]
    return shaped


def without(values: dict[str, Any] | None, hidden: set[str]) -> dict[str, Any] | None:
    if not values or not hidden:
        return values
    return {name: value for name, value in values.items() if name not in hidden}


def hidden_for(who: Principal, instance: ProcessInstance, tasks: Iterable[HumanTask]) -> set[str]:
    """What `who` may not see of the instance: the hidden fields of every step through which they see it."""
    if who.reads_everything or instance.started_by == who.username:
        return set()
    hidden: set[str] = set()
    for task in tasks:
        if can_see_task(who, task):
            hidden |= hidden_fields(task)
    return hidden
