"""Never a task nobody can see: a rule that finds nobody goes to the task's fallback group or is an incident.

Checked when the rule is an expression (a reporting line or group look-up can come back empty) or
when the task names a fallback group. A literal `candidateGroups="finance"` without a fallback keeps
waiting for the group's members, as before: naming a group is the modeller's explicit choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from server.engine.assignment import Assignment, AssignmentError
from server.engine.directory import Directory, current
from server.engine.templates import has_expression

RULES = ("assignee", "candidateUsers", "candidateGroups")


def _active(directory: Directory, name: str) -> bool:
    person = directory.user(name)
    return person is not None and person.active


def anyone(directory: Directory, who: Assignment) -> bool:
    if who.assignee and _active(directory, who.assignee):
        return True
    if any(_active(directory, u) for u in who.users):
        return True
    return any(directory.group_members(g) for g in who.groups)


def describe(info: Mapping[str, Any]) -> str:
    return ", ".join(f"camunda:{k}=\"{info[k]}\"" for k in RULES if info.get(k))


def ensure_reachable(info: Mapping[str, Any], who: Assignment) -> tuple[Assignment, str | None]:
    """The assignment, or the fallback group's (with the reason); AssignmentError when nobody at all."""
    rules = [info[k] for k in RULES if info.get(k)]
    fallback = info.get("fallbackGroup")
    if not rules or not (fallback or any(has_expression(r) for r in rules)):
        return who, None
    directory = current()
    if anyone(directory, who):
        return who, None
    reason = f"the assignment rule {describe(info)} found nobody who can act on the task"
    if fallback and directory.group_members(fallback):
        return replace(who, assignee=None, users=[], groups=[fallback]), reason
    if fallback:
        raise AssignmentError(f"{reason}, and the fallback group '{fallback}' has no active members")
    raise AssignmentError(f"{reason} (a fallbackGroup property on the task would send it to a group)")
