"""Process definitions: lookup, and starting instances."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_can_start
from server.engine.runner import Runner
from server.errors import BadRequest, NotFound
from server.forms.limits import check_business_key, check_variables
from server.forms.validation import validate_form
from server.models import ProcessInstance, ProcessVersion
from server.records.process_links import bound_start

# Built once: every start looks its version up, and building the select cost more than running it.
_VERSION_BY_KEY = select(ProcessVersion).where(ProcessVersion.key == bindparam("key"))
_LATEST = _VERSION_BY_KEY.where(ProcessVersion.is_latest)
_NUMBERED = _VERSION_BY_KEY.where(ProcessVersion.version == bindparam("version"))


def find_version(session: Session, key: str, version: int | None = None) -> ProcessVersion:
    if version:
        row = session.execute(_NUMBERED, {"key": key, "version": version}).scalar_one_or_none()
    else:
        row = session.execute(_LATEST, {"key": key}).scalar_one_or_none()
    if row is None:
        suffix = f" version {version}" if version else ""
        raise NotFound(f"process definition '{key}'{suffix} does not exist")
    return row


def list_versions(session: Session, key: str | None, latest_only: bool) -> list[ProcessVersion]:
    query = select(ProcessVersion).order_by(ProcessVersion.key, ProcessVersion.version)
    if key:
        query = query.where(ProcessVersion.key == key)
    if latest_only:
        query = query.where(ProcessVersion.is_latest)
    return list(session.scalars(query))


def instance_counts(session: Session, version_ids: list[int]) -> dict[int, int]:
    if not version_ids:
        return {}
    rows = session.execute(
        select(ProcessInstance.version_id, func.count())
        .where(ProcessInstance.version_id.in_(version_ids))
        .group_by(ProcessInstance.version_id)
    )
    return {version_id: count for version_id, count in rows}


def start(session: Session, runner: Runner, who: Principal, key: str, variables: dict[str, Any],
          business_key: str | None, version: int | None = None, with_files: bool = False) -> ProcessInstance:
    row = find_version(session, key, version)
    require_can_start(who, row)
    bound = bound_start(row)
    if bound:  # its instances work on a record: there must be one (server/services/record_tasks.py)
        raise BadRequest(f"process '{key}' is started from a {bound} record: POST /api/v1/records/{bound}/{{id}}/start "
                         "or the record's page", field="process")
    check_business_key(business_key)
    check_variables(variables)
    clean = validate_form(row.start_form, variables, with_files) if row.start_form else variables
    return runner.start(session, row, clean, business_key, who.username, row.initiator_variable)
