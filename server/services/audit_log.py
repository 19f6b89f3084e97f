"""Reading the audit log, for whoever may: the API, the admin pages and the exports all start here.

Writing (the hash chain) is server/services/audit.py; this module only says who may read, verify and
export the log, and gives the query the readers filter and page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_can_read_audit
from server.models import AuditEvent
from server.services.audit import VerifyResult, verify


def events(who: Principal) -> Select[Any]:
    """The events ``who`` may read (all of them, for auditors and admins), to filter, sort and page."""
    require_can_read_audit(who)
    return select(AuditEvent)


def verify_chain(session: Session, who: Principal) -> VerifyResult:
    """Recompute the chain (``boms audit verify`` runs the same check from the command line)."""
    require_can_read_audit(who)
    return verify(session)
