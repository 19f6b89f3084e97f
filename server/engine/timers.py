"""Timer values: checked at deploy, read literally at run time, and turned into due times for jobs.

Modelers write timers as ISO 8601 literals (`PT2S`, `2026-12-01T09:00:00Z`, `R3/PT10M`) or as
expressions (`${reminderAt}`) that yield one. SpiffWorkflow hands every timer text to the script
engine, which would read a bare `PT2S` as an unknown variable, so literals are recognised here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from croniter import croniter
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

EXPRESSION = re.compile(r"^\s*(\$\{.*\}|#\{.*\}|=.*)\s*$", re.S)


def is_literal(text: str) -> bool:
    return not EXPRESSION.match(text)


def _quartz(text: str) -> str:
    """Camunda's cron (Quartz: seconds first, `?` for either day field, optional year) for croniter."""
    fields = text.split()
    return " ".join(fields[:6]).replace("?", "*")


def is_cron(text: str) -> bool:
    fields = text.split()
    return len(fields) in (6, 7) and not text.strip().upper().startswith(("R", "P"))


def cron_next(text: str, after: datetime) -> datetime:
    """The first moment after `after` (naive UTC) that the cron expression names, in UTC."""
    return croniter(_quartz(text), after, second_at_beginning=True).get_next(datetime)


def check(kind: str, text: str | None, start_event: bool = False) -> str | None:
    """Why `text` is not a valid value for a timeDate/timeDuration/timeCycle, or None.

    ISO 8601 everywhere; a start event's cycle may also be a cron expression (Camunda's Quartz form,
    `0 0 9 ? * MON-FRI`), which BOMS schedules itself.
    """
    if text is None or not text.strip():
        return f"the timer's {kind} is empty"
    if not is_literal(text):
        return None  # an expression: checked as one, its value at run time
    if kind == "timeCycle" and is_cron(text):
        if not start_event:
            return "a cron cycle is only supported on a timer start event; use ISO 8601 (R3/PT10M) here"
        if not croniter.is_valid(_quartz(text), second_at_beginning=True):
            return f"'{text.strip()}' is not a valid cron expression (seconds minutes hours day month weekday)"
        return None
    try:
        parse(kind, text.strip())
    except Exception:  # noqa: BLE001 - SpiffWorkflow's parsers raise plain Exception
        examples = {"timeDate": "2026-12-01T09:00:00Z", "timeDuration": "PT15M or P2D",
                    "timeCycle": "R3/PT10M or R/2026-12-01T09:00:00Z/P1D"}
        return f"'{text.strip()}' is not an ISO 8601 {kind} (for example {examples.get(kind, '')})"
    return None


def parse(kind: str, text: str) -> Any:
    if kind == "timeDate":
        return TimerEventDefinition.get_datetime(text.replace("Z", "+00:00"))
    if kind == "timeDuration":
        return TimerEventDefinition.parse_iso_duration(text)
    if not text.upper().startswith("R"):
        raise ValueError("a cycle starts with R")
    return TimerEventDefinition.parse_iso_recurring_interval(text)


def literal_value(task: Any, expression: str) -> str | None:
    """The literal timer text if `expression` is one of `task`'s timer values, else None."""
    definition = getattr(task.task_spec, "event_definition", None)
    definitions = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    for item in definitions:
        if isinstance(item, TimerEventDefinition) and item.expression == expression and is_literal(expression):
            return expression.strip().strip("\"'").replace("Z", "+00:00")
    return None


def _due(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("next")
    try:
        due = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    return due.astimezone(UTC).replace(tzinfo=None)


def waiting_timers(tasks: list[Any]) -> list[tuple[Any, datetime]]:
    """(task, due time in naive UTC) for each task waiting on a timer."""
    found = []
    for task in tasks:
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MultipleEventDefinition):
            definitions = [d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)]
        elif isinstance(definition, TimerEventDefinition):
            definitions = [definition]
        else:
            continue
        for item in definitions:
            value = task.internal_data.get("event_value")
            if isinstance(item, CycleTimerEventDefinition) and isinstance(value, dict) and value.get("cycles") == 0:
                continue
            due = _due(value)
            if due is not None:
                found.append((task, due))
                break
    return found
