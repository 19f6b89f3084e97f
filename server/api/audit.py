"""The audit log: query and verify. Read-only for everyone; auditors and admins only."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from sqlalchemy import func, select

from server.api import api
from server.api.common import iso, paging, principal, reading, time_arg
from server.auth.permissions import require_role
from server.models import AuditEvent
from server.services.audit import verify


def event_json(row: AuditEvent) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": iso(row.at),
        "actor": row.actor,
        "kind": row.kind,
        "instanceId": row.instance_id,
        "taskId": row.task_id,
        "elementId": row.element_id,
        "subjectType": row.subject_type,
        "subjectId": row.subject_id,
        "chain": row.chain,
        "chainSeq": row.chain_seq,
        "hashVersion": row.hash_version,
        "data": json.loads(row.data),
        "hash": row.hash,
        "prevHash": row.prev_hash,
    }


@api.get("/audit")
def list_audit() -> Any:
    require_role(principal(), "admin", "auditor")
    page, size = paging()
    query = select(AuditEvent)
    for arg, column in (("instance", AuditEvent.instance_id), ("actor", AuditEvent.actor),
                        ("kind", AuditEvent.kind), ("task", AuditEvent.task_id)):
        if request.args.get(arg):
            query = query.where(column == request.args[arg])
    after, before = time_arg("after"), time_arg("before")
    if after:
        query = query.where(AuditEvent.at >= after)
    if before:
        query = query.where(AuditEvent.at < before)
    with reading() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(AuditEvent.seq).offset((page - 1) * size).limit(size))
        return {"items": [event_json(r) for r in rows], "total": total, "page": page, "pageSize": size}


@api.get("/audit/verify")
def verify_audit() -> Any:
    require_role(principal(), "admin", "auditor")
    with reading() as session:
        return verify(session).to_dict()
