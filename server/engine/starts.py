"""The events that start new instances: timer, message and signal start events of a process spec."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from server.engine import timers


@dataclass(frozen=True)
class StartTrigger:
    element_id: str
    kind: str  # timer | message | signal
    name: str | None = None
    timer: str | None = None  # the ISO 8601 text of a timer
    timer_kind: str | None = None  # timeDate | timeDuration | timeCycle


def triggers(spec: Any) -> list[StartTrigger]:
    found = []
    for task_spec in spec.task_specs.values():
        if not isinstance(task_spec, StartEvent):
            continue
        definition = task_spec.event_definition
        if isinstance(definition, MessageEventDefinition):
            found.append(StartTrigger(task_spec.bpmn_id, "message", definition.name))
        elif isinstance(definition, SignalEventDefinition):
            found.append(StartTrigger(task_spec.bpmn_id, "signal", definition.name))
        elif isinstance(definition, TimerEventDefinition):
            kind = ("timeCycle" if isinstance(definition, CycleTimerEventDefinition)
                    else "timeDuration" if isinstance(definition, DurationTimerEventDefinition)
                    else "timeDate" if isinstance(definition, TimeDateEventDefinition) else None)
            found.append(StartTrigger(task_spec.bpmn_id, "timer", timer=definition.expression, timer_kind=kind))
    return found


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def first_due(trigger: StartTrigger, now: datetime) -> tuple[datetime, dict[str, Any]] | None:
    """When a timer start event first fires (naive UTC) and what the next firing needs; None: never."""
    text = (trigger.timer or "").strip()
    if not timers.is_literal(text):
        return None
    if trigger.timer_kind == "timeDate":
        return _naive(timers.parse("timeDate", text)), {}
    if trigger.timer_kind == "timeDuration":
        parsed = timers.parse("timeDuration", text)
        start = now.replace(tzinfo=UTC)
        return _naive(start + TimerEventDefinition.get_timedelta_from_start(parsed, start)), {}
    if timers.is_cron(text):
        return timers.cron_next(text, now), {"cron": text}
    cycles, start, duration = timers.parse("timeCycle", text)
    if cycles == 0:
        return None
    return _naive(start), {"cycles": cycles, "seconds": duration.total_seconds()}


def next_due(due: datetime, cycle: dict[str, Any], now: datetime) -> tuple[datetime, dict[str, Any]] | None:
    """The next firing of a cycle after the one due at `due`; cycles of -1 repeat forever.

    Firings missed while the server was down are not made up: after an outage a cycle fires once
    and continues from now.
    """
    if not cycle:
        return None
    if "cron" in cycle:
        return timers.cron_next(cycle["cron"], max(due, now)), cycle
    step = timedelta(seconds=cycle["seconds"])
    following, left = due + step, cycle["cycles"] - 1 if cycle["cycles"] > 0 else -1
    if following < now and step.total_seconds() > 0:
        skipped = math.ceil((now - following) / step)
        following += skipped * step
        left = left - skipped if left > 0 else left
    if left == 0 or left < -1:
        return None
    return following, {**cycle, "cycles": left}
