"""Specs of called processes: found in the database when a call activity first needs them.

A caller's own file supplies its embedded sub-processes (and any process of the same file it
calls). Other processes are looked up by key: `key@N` (calledElementBinding="version") is version
N; plain `key` is the latest version *when this instance first calls it*, and that version is then
pinned in the instance's saved state (`boms_callees`), so a call that is running, and every later
call of the same instance, keeps the callee version it started with even if a newer one is deployed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine.cache import LoadedVersion, specs
from server.models import DecisionVersion, ProcessVersion

Resolver = Callable[[str, "CalleeSpecs"], Any]


class CalleeSpecs(dict):
    """A process's sub-process specs, extended on demand with called processes' specs."""

    def __init__(self, own: dict[str, Any], resolve: Resolver | None = None) -> None:
        super().__init__(own)
        self.resolve = resolve
        self.pins: dict[str, int] = {}
        # Called process versions by spec name: their elements describe the tasks run in them.
        self.versions: dict[str, ProcessVersion] = {}

    def __missing__(self, name: str) -> Any:
        spec = self.resolve(name, self) if self.resolve is not None else None
        if spec is None:
            raise KeyError(name)
        return spec

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __bool__(self) -> bool:
        return True  # SpiffWorkflow replaces a falsy mapping with {}


def loaded_version(session: Session, version: ProcessVersion) -> LoadedVersion:
    def decision_xmls() -> list[str]:
        if not version.decision_ids:
            return []
        rows = session.scalars(select(DecisionVersion).where(DecisionVersion.id.in_(version.decision_ids)))
        return [row.dmn_xml for row in rows]

    return specs.get(version, decision_xmls)


def database_resolver(session: Session) -> Resolver:
    def resolve(name: str, mapping: CalleeSpecs) -> Any:
        key, _, number = name.partition("@")
        query = select(ProcessVersion).where(ProcessVersion.key == key)
        if number:
            query = query.where(ProcessVersion.version == int(number))
        elif key in mapping.pins:
            query = query.where(ProcessVersion.id == mapping.pins[key])
        else:
            query = query.where(ProcessVersion.is_latest.is_(True))
        row = session.execute(query).scalar_one_or_none()
        if row is None:
            return None
        if not number:
            mapping.pins[key] = row.id
        callee = loaded_version(session, row)
        mapping.versions[callee.spec.name] = row
        for sub_name, sub_spec in callee.subprocess_specs.items():
            dict.setdefault(mapping, sub_name, sub_spec)
        dict.__setitem__(mapping, name, callee.spec)
        return callee.spec

    return resolve


def with_callees(session: Session, loaded: LoadedVersion) -> LoadedVersion:
    """The version's specs, able to find the processes it calls (a new mapping per action)."""
    return replace(loaded, subprocess_specs=CalleeSpecs(loaded.subprocess_specs, database_resolver(session)))
