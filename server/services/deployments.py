"""Deploy BPMN/DMN files as new versions: all files of one upload succeed together or not at all."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal, require_can_deploy
from server.engine.definitions import (
    DecisionDefinition,
    ProcessDefinition,
    check_calls,
    read_decision_file,
    read_process_file,
)
from server.errors import DeployError
from server.events import EventKind, SubjectType
from server.forms.limits import text_problem
from server.models import DecisionVersion, Deployment, ProcessVersion
from server.plugins import DEPLOYER_SUMMARY, DEPLOYERS
from server.services.record_bindings import check_record_bindings
from server.services.timers import schedule_start_timers

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")
MAX_FILE_NAME = 255  # the file_name columns


@dataclass
class UploadedFile:
    name: str
    content: bytes


def _sha(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _latest(session: Session, model: Any, key: str) -> Any:
    return session.execute(select(model).where(model.key == key, model.is_latest.is_(True))).scalar_one_or_none()


def _file_name(f: UploadedFile) -> str:
    """The upload's base name, refused (naming it, made printable) if no column could store it."""
    name = Path(f.name).name
    problem = text_problem(name) or (f"is longer than {MAX_FILE_NAME} characters"
                                     if len(name) > MAX_FILE_NAME else None)
    if problem:
        shown = name[:80].encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")
        raise DeployError(f"the file name {shown!r} {problem}", file=shown)
    return name


def _classify(files: list[UploadedFile]) -> tuple[list[UploadedFile], list[UploadedFile], dict[str, bytes]]:
    bpmn, dmn, resources = [], [], {}
    for f in files:
        name = _file_name(f)
        lower = name.lower()
        if lower.endswith(BPMN_SUFFIXES):
            bpmn.append(UploadedFile(name, f.content))
        elif lower.endswith(".dmn"):
            dmn.append(UploadedFile(name, f.content))
        elif lower.endswith((".json", ".form")):  # form schemas (SpiffArena) and Camunda Forms
            resources[name] = f.content
        else:
            raise DeployError(f"{name}: only .bpmn, .dmn, .form and .json (form schema) files can be deployed",
                              file=name)
    if not bpmn and not dmn:
        raise DeployError("no .bpmn or .dmn file in the upload")
    return bpmn, dmn, resources


def read_files(session: Session, files: list[UploadedFile],
               allow_scripts: bool) -> tuple[list[ProcessDefinition], list[DecisionDefinition], dict[str, bytes]]:
    """Parse and check every file; raises DeployError before anything is written."""
    bpmn_files, dmn_files, resources = _classify(files)
    decisions: dict[str, DecisionDefinition] = {}
    for f in dmn_files:
        # One DecisionVersion per decision id; each row keeps the whole file, so required decisions
        # (the DRD) are evaluated from the same content the decision was deployed with.
        for decision in read_decision_file(f.content, f.name):
            if decision.key in decisions:
                raise DeployError(f"{f.name}: decision '{decision.key}' is also in "
                                  f"{decisions[decision.key].file_name}", file=f.name, element=decision.key)
            decisions[decision.key] = decision

    def find_decisions(keys: set[str]) -> dict[str, DecisionDefinition]:
        found = {k: decisions[k] for k in keys if k in decisions}
        for key in keys - set(found):
            row = _latest(session, DecisionVersion, key)
            if row is not None:
                found[key] = DecisionDefinition(row.key, row.name, row.file_name, row.dmn_xml)
        return found

    processes: dict[str, ProcessDefinition] = {}
    for f in bpmn_files:
        for process in read_process_file(f.content, f.name, find_decisions, resources, allow_scripts):
            if process.key in processes:
                raise DeployError(f"{f.name}: process '{process.key}' is also in {processes[process.key].file_name}",
                                  file=f.name, element=process.key)
            processes[process.key] = process

    def deployed(key: str, version: int | None) -> bool:
        query = select(ProcessVersion.id).where(ProcessVersion.key == key)
        return session.execute(query.where(ProcessVersion.version == version) if version else query).first() is not None

    check_calls(list(processes.values()), deployed)
    return list(processes.values()), list(decisions.values()), resources


def _plugged(files: list[UploadedFile]) -> tuple[dict[str, list[tuple[str, bytes]]], list[UploadedFile]]:
    """The files another engine deploys (server/plugins.py DEPLOYERS, by suffix), and the rest."""
    plugged: dict[str, list[tuple[str, bytes]]] = {}
    rest = []
    for f in files:
        name = _file_name(f)
        suffix = next((s for s in DEPLOYERS if name.lower().endswith(s)), None)
        if suffix is None:
            rest.append(f)
        else:
            plugged.setdefault(suffix, []).append((name, f.content))
    return plugged, rest


def deploy(session: Session, files: list[UploadedFile], actor: str, allow_scripts: bool) -> dict[str, Any]:
    plugged, workflow_files = _plugged(files)
    processes, decisions, resources = (read_files(session, workflow_files, allow_scripts)
                                       if workflow_files or not plugged else ([], [], {}))
    deployment = Deployment(deployed_by=actor, files=[f.name for f in files])
    session.add(deployment)
    session.flush()
    decision_rows: dict[str, DecisionVersion] = {}
    summary: dict[str, Any] = {"id": deployment.id, "processes": [], "decisions": []}
    for d in decisions:
        row, created = _store_decision(session, deployment, d, actor)
        decision_rows[d.key] = row
        summary["decisions"].append({"key": row.key, "version": row.version, "created": created})
    for p in processes:
        used = [decision_rows.get(k) or _latest(session, DecisionVersion, k) for k in p.decision_keys]
        row, created = _store_process(session, deployment, p, used, resources, actor)
        if created:
            schedule_start_timers(session, row, [d.dmn_xml for d in used if d is not None])
        summary["processes"].append({"key": row.key, "version": row.version, "name": row.name, "created": created})
    plugged_keys = []
    for suffix in [s for s in DEPLOYERS if s in plugged]:  # in registration order: record types first
        key = DEPLOYER_SUMMARY.get(suffix, "recordTypes")
        plugged_keys.append(key)
        summary.setdefault(key, []).extend(DEPLOYERS[suffix](session, actor, plugged[suffix]))
    check_record_bindings(session, processes)  # after this upload's record types are saved
    summary["changed"] = any(i["created"] for i in summary["processes"] + summary["decisions"]
                             + [i for k in plugged_keys for i in summary[k]])
    if not summary["changed"]:
        session.delete(deployment)
        summary["id"] = None
    else:
        session.flush()  # the deployment id is its subject
        publish(session, Event(EventKind.DEPLOYMENT_CREATED, actor, subject_type=SubjectType.DEPLOYMENT,
                               subject_id=str(deployment.id), data=summary))
    return summary


def deploy_by(session: Session, who: Principal, files: list[UploadedFile], allow_scripts: bool) -> dict[str, Any]:
    """``deploy`` for a person (API, admin UI): only deployers may. The CLI and the demo call ``deploy``
    with an actor name: whoever runs them already has the database."""
    require_can_deploy(who)
    return deploy(session, files, who.username, allow_scripts)


def _next_version(session: Session, model: Any, key: str) -> int:
    current = session.scalars(select(model.version).where(model.key == key).order_by(model.version.desc())).first()
    return (current or 0) + 1


def _store_decision(session: Session, deployment: Deployment, d: DecisionDefinition,
                    actor: str) -> tuple[DecisionVersion, bool]:
    checksum = _sha(d.xml)
    latest = _latest(session, DecisionVersion, d.key)
    if latest is not None and latest.checksum == checksum:
        return latest, False
    session.execute(update(DecisionVersion).where(DecisionVersion.key == d.key).values(is_latest=False))
    row = DecisionVersion(key=d.key, version=_next_version(session, DecisionVersion, d.key), name=d.name,
                          checksum=checksum, file_name=d.file_name, dmn_xml=d.xml, is_latest=True,
                          deployment_id=deployment.id, deployed_by=actor)
    session.add(row)
    session.flush()
    return row, True


def _store_process(session: Session, deployment: Deployment, p: ProcessDefinition, used: list[Any],
                   resources: dict[str, bytes], actor: str) -> tuple[ProcessVersion, bool]:
    # A version pins the decisions it was deployed with, so the checksum covers them too.
    # JSON may be UTF-8, -16 or -32 (the form was read with json.loads, which detects which).
    # A Camunda Form linked by id (camunda:formRef) is kept too: engine-rest's deployed-form serves it.
    linked = {(info.get("formLink") or {}).get("file") for info in p.elements.values()}
    referenced = {n: resources[n].decode(json.detect_encoding(resources[n])) for n in sorted(resources)
                  if n.encode() in p.xml.encode() or n in linked}
    checksum = _sha(p.xml, *[d.checksum for d in used], *referenced.values())
    latest = _latest(session, ProcessVersion, p.key)
    if latest is not None and latest.checksum == checksum:
        return latest, False
    session.execute(update(ProcessVersion).where(ProcessVersion.key == p.key).values(is_latest=False))
    elements = dict(p.elements)
    row = ProcessVersion(key=p.key, version=_next_version(session, ProcessVersion, p.key), name=p.name,
                         checksum=checksum, file_name=p.file_name, bpmn_xml=p.xml,
                         decision_ids=[d.id for d in used], resources=referenced, elements=elements,
                         start_form=p.start_form, candidate_starters=p.candidate_starters,
                         initiator_variable=p.initiator_variable, is_latest=True,
                         deployment_id=deployment.id, deployed_by=actor)
    session.add(row)
    session.flush()
    return row, True
