"""Who a human task goes to and when it is due, evaluated when the task becomes ready."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from server.engine.elements import split_list
from server.engine.templates import evaluate_template
from server.expressions import ExpressionError


class AssignmentError(Exception):
    pass


@dataclass
class Assignment:
    assignee: str | None = None
    groups: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    due_at: datetime | None = None
    name: str | None = None


def _value(text: str | None, data: Mapping[str, Any], what: str) -> Any:
    # `${...}` anywhere in the text: `kermit_${loopCounter}` is evaluated as Camunda does.
    try:
        return evaluate_template(text, data)
    except ExpressionError as exc:
        raise AssignmentError(f"{what}: {exc}") from exc


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v).strip() for v in value if str(v).strip()]
    return split_list(str(value))


def due_date(value: Any, now: datetime) -> datetime | None:
    """An ISO 8601 date-time, or a duration (P3D, PT4H) counted from now; naive UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            if text.upper().startswith("P"):
                parsed = TimerEventDefinition.parse_iso_duration(text)
                moment = now.replace(tzinfo=UTC) + TimerEventDefinition.get_timedelta_from_start(
                    parsed, now.replace(tzinfo=UTC)
                )
            else:
                moment = TimerEventDefinition.get_datetime(text.replace("Z", "+00:00"))
        except (ValueError, TypeError, KeyError) as exc:
            raise AssignmentError(f"due date '{text}' is not an ISO 8601 date-time or duration") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def assign(info: Mapping[str, Any], data: Mapping[str, Any], now: datetime) -> Assignment:
    assignee = _value(info.get("assignee"), data, "camunda:assignee")
    groups = _names(_value(info.get("candidateGroups"), data, "camunda:candidateGroups"))
    users = _names(_value(info.get("candidateUsers"), data, "camunda:candidateUsers"))
    if not (assignee or groups or users) and info.get("laneGroup"):
        groups = [info["laneGroup"]]
    due = due_date(_value(info.get("dueDate"), data, "camunda:dueDate"), now)
    name = _value(info.get("name"), data, "the task name")
    return Assignment(str(assignee) if assignee else None, groups, users, due,
                      str(name) if name is not None else None)
