"""A person's submission of a web form (a task's or a process's start form) as one use case.

The staff pages call one function per submission and get back what the page needs: where to go next,
or the values and messages to show the form again with. Inside, in order:
1. read the form's schema (a read transaction: uploads are written before the write transaction, which
   must already name them, and writing files must not hold SQLite's one writer lock);
2. type the HTML inputs (server/forms/render.py) and write the uploads (refused with nothing written if a
   file is over the limit);
3. in one write transaction: validate, run the engine, record the files, find the user's next task; if
   anything fails the uploads are deleted again;
4. if the engine refused the step, record that evidence in a transaction of its own (the first rolled back).
Whatever stops the form from being read at all is raised as usual (server/errors.py), and so is a
conflict on a task (two people completing it); the start form comes back with any other refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from server.auth.permissions import Principal
from server.db import Database
from server.engine.runner import Runner
from server.errors import BomsError, EngineError, FormInvalid
from server.events import InstanceStatus
from server.forms.render import parse_submission, shown_again
from server.services import files as file_store
from server.services import processes, record_tasks
from server.services import tasks as task_service
from server.services.cosigners import waiting_for


@dataclass(frozen=True)
class UploadPolicy:
    """Where a submission's files go and how large each may be."""

    root: Path
    max_bytes: int


@dataclass
class Submitted:
    """What became of a submission. ``done`` is False when the form must be shown again."""

    done: bool
    values: dict[str, Any] = field(default_factory=dict)  # as typed, for the form shown again
    errors: Mapping[str, str] = field(default_factory=dict)  # field path -> message (with its code)
    too_large: list[str] = field(default_factory=list)  # file fields over the limit; nothing was stored
    failure: BomsError | None = None  # refused for another reason (the engine: its evidence is recorded)
    name: str = ""  # the task's name (or element id), or the started instance's business key
    instance_id: str | None = None
    next_task_id: str | None = None  # the user's next task in the instance, where the page goes on
    stopped: bool = False  # the instance went into error after the step (an incident)
    waiting_for: list[str] = field(default_factory=list)  # a countersigned step waits for these signers


def _typed(schema: Mapping[str, Any] | None, form: MultiDict[str, str], files: MultiDict[str, FileStorage],
           policy: UploadPolicy) -> tuple[dict[str, Any], dict[str, Any], list[file_store.Upload], list[str]]:
    variables = record_tasks.with_emptied(schema, parse_submission(schema, form))  # type: ignore[arg-type]
    typed = shown_again(variables, form)  # if the form comes back
    over = file_store.too_large(schema, files, policy.max_bytes)
    if over:
        return variables, typed, [], over
    return variables, typed, file_store.store_uploads(policy.root, schema, files), []


def complete_from_form(db: Database, runner: Runner, who: Principal, task_id: str, form: MultiDict[str, str],
                       files: MultiDict[str, FileStorage], policy: UploadPolicy) -> Submitted:
    """Complete a task from its web form."""
    with db.read() as session:
        schema = task_service.task_form(task_service.get_task(session, who, task_id), who)
    variables, typed, uploads, over = _typed(schema, form, files, policy)
    if over:
        return Submitted(False, typed, too_large=over)
    try:
        # The files are recorded in the completion's transaction; if it fails they are deleted.
        with file_store.discarded_on_error(uploads), db.write() as session:
            done = task_service.complete(session, runner, who, task_id,
                                         {**variables, **{u.field: u.value() for u in uploads}}, with_files=True)
            file_store.record(session, uploads, done.instance_id, done.id, who.username)
            following = task_service.next_tasks(session, who, done.instance_id)
            return Submitted(True, name=done.name or done.element_id, instance_id=done.instance_id,
                             next_task_id=following[0].id if following else None,
                             stopped=done.instance.status == InstanceStatus.ERROR,
                             waiting_for=waiting_for(session, done))
    except FormInvalid as exc:
        return Submitted(False, typed, errors=exc.details["fields"])
    except EngineError as exc:
        with db.write() as session:
            task_service.record_failed_completion(session, who, task_id, exc)
        return Submitted(False, typed, failure=exc)


def start_from_form(db: Database, runner: Runner, who: Principal, key: str, form: MultiDict[str, str],
                    files: MultiDict[str, FileStorage], policy: UploadPolicy) -> Submitted:
    """Start the latest version of a process from its start form (``businessKey`` is one of the inputs)."""
    with db.read() as session:
        schema = processes.find_version(session, key).start_form
    variables, typed, uploads, over = _typed(schema, form, files, policy)
    if over:
        return Submitted(False, typed, too_large=over)
    business_key = form.get("businessKey", "").strip() or None
    try:
        # The files are recorded in the start's transaction; if it fails they are deleted.
        with file_store.discarded_on_error(uploads), db.write() as session:
            instance = processes.start(session, runner, who, key,
                                       {**variables, **{u.field: u.value() for u in uploads}}, business_key,
                                       with_files=True)
            file_store.record(session, uploads, instance.id, None, who.username)
            mine = task_service.next_tasks(session, who, instance.id)
            return Submitted(True, name=instance.business_key or key, instance_id=instance.id,
                             next_task_id=mine[0].id if mine else None)
    except FormInvalid as exc:
        return Submitted(False, typed, errors=exc.details["fields"])
    except BomsError as exc:
        return Submitted(False, typed, failure=exc)
