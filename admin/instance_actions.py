"""Instance operations as the admin pages offer them, each a call to a service in its own write
transaction; bulk runs collect what failed per instance instead of stopping at the first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from admin.access import database, principal, runner
from admin.feedback import describe
from server.auth.permissions import Principal
from server.engine.runner import Runner
from server.errors import BomsError
from server.services import instance_admin as ops
from server.services import instances as instance_service

MAX_BULK = 500

Operation = Callable[[Session, Runner, Principal, str], Any]


def _cancel(session: Session, run: Runner, who: Principal, instance_id: str) -> Any:
    return instance_service.cancel(session, run, who, instance_id, "cancelled in the admin UI")


def _migrate_latest(session: Session, run: Runner, who: Principal, instance_id: str) -> Any:
    return ops.migrate(session, run, who, instance_id, None)


OPERATIONS: dict[str, tuple[Operation, str]] = {
    "cancel": (_cancel, "cancelled"),
    "suspend": (ops.suspend, "suspended"),
    "resume": (ops.resume, "resumed"),
    "retry": (ops.retry, "retried"),
    "migrate": (_migrate_latest, "migrated to the latest version"),
}


@dataclass
class BulkResult:
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def run_bulk(action: str, instance_ids: list[str]) -> BulkResult:
    operation, _label = OPERATIONS[action]
    who, run, result = principal(), runner(), BulkResult()
    for instance_id in dict.fromkeys(instance_ids):
        try:
            with database().write() as session:
                operation(session, run, who, instance_id)
            result.done.append(instance_id)
        except BomsError as exc:
            result.failed.append((instance_id, describe(exc)))
        except Exception as exc:  # one instance the engine cannot handle must not stop the rest of the batch
            current_app.logger.exception("admin bulk %s failed for instance %s", action, instance_id)
            result.failed.append((instance_id, f"internal error ({exc.__class__.__name__}); nothing was changed, "
                                               "see the server log"))
    return result


def run_one(operation: Callable[[Session], Any]) -> str | None:
    """Run `operation(session)` in one write transaction; the error's text if it was refused."""
    try:
        with database().write() as session:
            operation(session)
    except BomsError as exc:
        return describe(exc)
    return None
