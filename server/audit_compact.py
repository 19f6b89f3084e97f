"""Audit rows of hash version 3 store less than they hash (issue 17: bytes per instance).

Two values a v3 row would repeat are left out of its stored columns, and are still covered by its HMAC:
- `prev_hash` is stored as '' : it is by definition the `hash` of the row before it in its chain
  (`chain`, `chain_seq` - 1; GENESIS for the first), so the verifier, which walks the chain, already
  has it, and readers get it back through `AuditEvent.linked_prev_hash`;
- `subject_id` is stored as NULL when it is the event's default subject (its task id for subject type
  task, its instance id for instance), the subject of most workflow events.

So a v3 row still proves what v2 proved: the HMAC is over the full values, an edited, deleted or
reordered row breaks its own hash or its successor's, and the export carries the full values so each
hash can be recomputed from the file alone.
"""

from __future__ import annotations

from typing import Any

from server.events import SubjectType

COMPACT_VERSION = 3
IMPLIED_PREV = ""
_DEFAULT_SUBJECT = {SubjectType.TASK: "task_id", SubjectType.INSTANCE: "instance_id"}


def default_subject(subject_type: str | None, instance_id: str | None, task_id: str | None) -> str | None:
    column = _DEFAULT_SUBJECT.get(subject_type)  # type: ignore[call-overload]
    return {"task_id": task_id, "instance_id": instance_id}.get(column) if column else None


def stored(fields: dict[str, Any]) -> dict[str, Any]:
    """The columns to insert for a v3 row whose full (hashed) values are `fields`."""
    row = dict(fields, prev_hash=IMPLIED_PREV)
    subject = default_subject(fields["subject_type"], fields["instance_id"], fields["task_id"])
    if subject is not None and fields["subject_id"] == subject:
        row["subject_id"] = None
    return row


def full_values(row: Any, names: tuple[str, ...], prev_hash: str | None = None) -> dict[str, Any]:
    """The hashed values of a stored v3 row (`prev_hash`: the previous row's hash, when the caller walks
    the chain; else the row's own, as an export or `linked_prev_hash` gives it)."""
    values = {name: getattr(row, name) for name in names}
    if values["prev_hash"] == IMPLIED_PREV:
        values["prev_hash"] = prev_hash if prev_hash is not None else getattr(row, "linked_prev_hash", None)
    values["subject_id"] = row.full_subject_id
    return values
