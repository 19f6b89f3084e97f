"""The audit log: query and verify. Read-only for everyone; auditors and admins only (checked in the service)."""

from __future__ import annotations

from typing import Any

from flask import request

from server.api import api
from server.api.common import principal, reading
from server.queries import QueryArgs, page_request
from server.services.audit_log import AuditFilter, event_json, list_events, verify_chain


@api.get("/audit")
def list_audit() -> Any:
    args = QueryArgs(request.args)
    f = AuditFilter(instance=args.text("instance"), actor=args.text("actor"), kind=args.text("kind"),
                    task=args.text("task"), after=args.moment("after"), before=args.moment("before"))
    paging = page_request(args)
    with reading() as session:
        return list_events(session, principal(), f, paging).to_json(event_json)


@api.get("/audit/verify")
def verify_audit() -> Any:
    with reading() as session:
        return verify_chain(session, principal()).to_dict()
