"""Writing a save's chunk rows (server/engine/state_chunks.py) and keeping its working set for the next step."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.orm import Session

from server.engine.step import Step
from server.engine.working_sets import Entry, WorkingSets
from server.models import InstanceStateChunk

_BATCH = 500  # ids per IN (...): well under SQLite's bound-parameter limit
_table = InstanceStateChunk.__table__


def _text(chunk_id: int) -> str:
    return str(UUID(int=chunk_id))


def write_chunks(session: Session, instance_id: str, saved: Any, new: bool = False) -> None:
    """Apply a save (store.Saved) to instance_state_chunk; `saved` None: the instance ended, drop its rows."""
    if saved is None or saved.replace_all:
        session.execute(delete(InstanceStateChunk).where(InstanceStateChunk.instance_id == instance_id))
        if saved is None:
            return
    if saved.deletes and not saved.replace_all:
        ids = sorted(_text(chunk_id) for chunk_id in saved.deletes)
        for at in range(0, len(ids), _BATCH):
            session.execute(delete(InstanceStateChunk).where(InstanceStateChunk.instance_id == instance_id,
                                                             InstanceStateChunk.chunk_id.in_(ids[at:at + _BATCH])))
    inserts = dict(saved.inserts)
    if saved.replace_all:
        inserts.update(saved.updates)
    elif saved.updates:
        session.execute(update(_table).where(_table.c.instance_id == bindparam("i"),
                                             _table.c.chunk_id == bindparam("c")).values(body=bindparam("b")),
                        [{"i": instance_id, "c": _text(chunk_id), "b": body}
                         for chunk_id, body in saved.updates.items()])
    if inserts:
        if new:
            session.flush()  # the instance row first: the rows refer to it
        session.execute(insert(_table), [{"instance_id": instance_id, "chunk_id": _text(chunk_id), "body": body}
                                         for chunk_id, body in inserts.items()])


def keep_working_set(sets: WorkingSets, step: Step) -> None:
    """Keep the saved workflow for the next step of this instance, once this transaction commits."""
    specs = step.workflow.subprocess_specs
    if getattr(specs, "pins", None) or getattr(specs, "versions", None):
        sets.drop(step.session, step.instance.id)  # callee specs belong to this step's session
        return
    size = len(step.workflow.tasks) + sum(len(sub.tasks) for sub in step.workflow.subprocesses.values())
    sets.keep(step.session, step.instance.id,
              Entry(step.instance.state, step.workflow.spec, step.workflow, step.stored, size))
