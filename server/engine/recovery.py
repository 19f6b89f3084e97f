"""Instances whose saved engine state cannot be loaded: every action answers 409 instead of failing, and an
admin can still cancel them (without loading the state) or repair them by setting the variable that broke
the load (the state is edited as JSON, then must load).

How a state becomes unreadable: written before values were limited (a variable nested 500 levels deep
made SpiffWorkflow's deserializer recurse past Python's stack), by a library upgrade, or by hand.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.audit import Event
from server.db import utcnow
from server.engine import store
from server.engine.cache import LoadedVersion
from server.errors import StateUnreadable
from server.events import EventKind, InstanceStatus, TaskStatus
from server.models import HumanTask, InstanceStateChunk, ProcessInstance

if TYPE_CHECKING:
    from server.engine.runner import Runner

logger = logging.getLogger(__name__)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    return f"{exc.__class__.__name__}: {text[:200]}" if text else exc.__class__.__name__


def chunk_rows(session: Session, instance_id: str) -> list[tuple[str, str]]:
    query = select(InstanceStateChunk.chunk_id, InstanceStateChunk.body).where(
        InstanceStateChunk.instance_id == instance_id)
    return [(chunk_id, body) for chunk_id, body in session.execute(query)]


def _unreadable(instance: ProcessInstance, exc: BaseException) -> StateUnreadable:
    # Without the traceback: a RecursionError's is a thousand frames of the same line.
    logger.warning("the saved state of process instance %s cannot be loaded: %s", instance.id, _reason(exc))
    return StateUnreadable(
        f"the saved state of process instance '{instance.id}' cannot be loaded ({_reason(exc)}); an "
        "administrator can cancel it, or set the variable that broke it (PATCH .../variables)",
        instance=instance.id, reason=_reason(exc))


def load_state(session: Session, instance: ProcessInstance, loaded: LoadedVersion, script_engine: Any) -> Any:
    """The instance's workflow and what is stored of it (store.Stored), or StateUnreadable (409) saying
    what an admin can do."""
    try:
        header = store.parse_header(instance.state)
        rows = chunk_rows(session, instance.id) if store.chunk_count(header) else []
        return store.load_split(header, loaded.spec, loaded.subprocess_specs, script_engine, rows)
    except Exception as exc:  # noqa: BLE001 - whatever the state holds, the answer is the same 409
        raise _unreadable(instance, exc) from None


def _task_dicts(dct: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from dct.get("tasks", {}).values()
    for sub in dct.get("subprocesses", {}).values():
        yield from sub.get("tasks", {}).values()


def repaired_state(session: Session, instance: ProcessInstance, variables: dict[str, Any]) -> str:
    """The saved state (header and chunks joined) with `variables` set wherever task data holds them (and on
    the root), as JSON text."""
    try:
        dct = store.full_state(instance.state, chunk_rows(session, instance.id))
        for task in _task_dicts(dct):
            data, updates = task.get("data"), (task.get("delta") or {}).get("updates")
            for values in (data, updates):
                if isinstance(values, dict):
                    values.update({name: value for name, value in variables.items() if name in values})
        dct["tasks"][dct["root"]]["data"].update(variables)
        return json.dumps(dct, separators=(",", ":"))
    except Exception as exc:  # noqa: BLE001 - not even JSON of the expected shape
        raise StateUnreadable(
            f"the saved state of process instance '{instance.id}' cannot be repaired ({_reason(exc)}); cancel "
            "it instead (an administrator's cancel does not need to load it)",
            instance=instance.id, reason=_reason(exc)) from None


class RecoveryMixin:
    def cancel_unreadable(self: Runner, session: Session, instance: ProcessInstance, actor: str,
                          reason: str | None, error: StateUnreadable) -> None:
        """Cancel without the engine: close open tasks, jobs and subscriptions; audit what could not load."""
        events = []
        for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                           HumanTask.status == TaskStatus.OPEN)):
            row.status, row.completed_at = TaskStatus.CANCELLED, utcnow()
            events.append(Event(kind=EventKind.TASK_CANCELLED, actor=actor, instance_id=instance.id, task_id=row.id,
                                element_id=row.element_id, data={"name": row.name}))
        instance.status, instance.ended_at, instance.error = InstanceStatus.CANCELLED, utcnow(), None
        instance.active_elements = []
        self.drop_waits(session, instance)
        session.execute(delete(InstanceStateChunk).where(InstanceStateChunk.instance_id == instance.id))
        cancelled = Event(kind=EventKind.INSTANCE_CANCELLED, actor=actor, instance_id=instance.id, task_id=None,
                          element_id=None, data={"reason": reason, "stateUnreadable": True,
                                                 "loadError": error.details.get("reason")})
        self._emit(session, [cancelled, *events])

    def repaired_workflow(self: Runner, session: Session, instance: ProcessInstance, loaded: LoadedVersion,
                          variables: dict[str, Any]) -> tuple[Any, Any]:
        """The workflow of an unreadable state once `variables` are set in it, and what is stored of it;
        StateUnreadable if still not."""
        state = repaired_state(session, instance, variables)
        try:
            try:
                # The chunk rows are in `state` now; the save replaces them all.
                return store.load_split(state, loaded.spec, loaded.subprocess_specs, self.script_engine,
                                        complete=False)
            except Exception as exc:  # noqa: BLE001 - as load_state
                raise _unreadable(instance, exc) from None
        except StateUnreadable as exc:
            raise StateUnreadable(
                f"the saved state of process instance '{instance.id}' still cannot be loaded after setting "
                f"{', '.join(sorted(variables))} ({exc.details['reason']}); cancel it instead",
                instance=instance.id, reason=exc.details["reason"]) from None
