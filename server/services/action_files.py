"""Files attached to an approval action (return, transfer, delegate, resolve, add signers, CC, urge).

They go to the task forms' store (server/services/files.py): written before the action's transaction,
recorded in it (field ``action:<name>``, the task's id), deleted again if the action fails. The action's
trace in the history gets a ``task.files_attached`` event naming them; they download through
/files/<id>, for whoever may see the instance.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from server.audit import Event
from server.auth.permissions import Principal
from server.engine.runner import Runner
from server.errors import BadRequest, PayloadTooLarge
from server.models import HumanTask, StoredFile
from server.private_files import clean_name, write_stream
from server.services.files import Upload, discard, record

MAX_FILES = 4
FILES_ATTACHED = "task.files_attached"
# An API client uploads first (POST /api/v1/tasks/{id}/files, a part of this name), then names the files
# in the action's body ("attachments": [fileId, ...]); until then the row's field is this.
PENDING = "attachments"


def _size(upload: FileStorage) -> int:
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    return size


def store_attachments(root: Path, field: str, files: list[FileStorage], max_bytes: int) -> list[Upload]:
    """Write the chosen files (their rows will say `field`); PayloadTooLarge (nothing written) if there are
    too many or one is too large."""
    chosen = [f for f in files if f.filename]  # an empty file input still sends a part with no name
    if len(chosen) > MAX_FILES:
        raise PayloadTooLarge(f"at most {MAX_FILES} files may be attached to an action", field="attachments")
    for upload in chosen:
        if _size(upload) > max_bytes:
            raise PayloadTooLarge(f"attachment '{clean_name(upload.filename)}' is larger than {max_bytes} bytes",
                                  field="attachments")
    written: list[Upload] = []
    try:
        for upload in chosen:
            file_id = str(uuid.uuid4())
            path = root / file_id[:2] / file_id
            size, sha = write_stream(upload.stream, path)
            written.append(Upload(file_id, field, clean_name(upload.filename),
                                  (upload.mimetype or "application/octet-stream")[:255], size, sha, path))
    except BaseException:
        discard(written)
        raise
    return written


def attach(session: Session, runner: Runner, who: Principal, task_id: str, action: str,
           uploads: list[Upload]) -> None:
    """In the action's transaction, after it succeeded: the files' rows and their trace."""
    if not uploads:
        return
    task = session.get(HumanTask, task_id)
    record(session, uploads, task.instance_id, task.id, who.username)
    _trace(session, runner, who, task, action, [u.value() for u in uploads])


def _trace(session: Session, runner: Runner, who: Principal, task: HumanTask, action: str,
           files: list[dict[str, object]]) -> None:
    runner.emit(session, [Event(kind=FILES_ATTACHED, actor=who.username, instance_id=task.instance_id,
                                task_id=task.id, element_id=task.element_id,
                                data={"action": action, "name": task.name, "files": files})])


def bind(session: Session, runner: Runner, who: Principal, task_id: str, action: str, file_ids: object) -> None:
    """In the action's transaction (an API call): the files `who` uploaded for this task as attachments
    become the action's. Anything else is a 400 naming it, and the caller's transaction (the action too)
    is rolled back."""
    if file_ids is None:
        return
    if not isinstance(file_ids, list) or not all(isinstance(i, str) for i in file_ids) \
            or len(set(file_ids)) != len(file_ids):
        raise BadRequest('"attachments" must be a list of distinct file ids', field="attachments")
    if len(file_ids) > MAX_FILES:
        raise BadRequest(f"at most {MAX_FILES} files may be attached to an action", field="attachments")
    if not file_ids:
        return
    rows = {row.id: row for row in session.scalars(select(StoredFile).where(StoredFile.id.in_(file_ids)))}
    for file_id in file_ids:
        row = rows.get(file_id)
        if row is None or row.task_id != task_id or row.uploaded_by != who.username or row.field != PENDING:
            raise BadRequest(f"file '{file_id}' is not an attachment you uploaded for task '{task_id}' "
                             f"(POST /api/v1/tasks/{task_id}/files with a part named '{PENDING}')",
                             field="attachments")
    for file_id in file_ids:
        rows[file_id].field = f"action:{action}"
    task = session.get(HumanTask, task_id)
    _trace(session, runner, who, task, action, [
        {"fileId": r.id, "name": r.file_name, "size": r.size, "contentType": r.content_type}
        for r in (rows[i] for i in file_ids)])
