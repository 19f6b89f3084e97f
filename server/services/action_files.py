"""Files attached to an approval action (return, transfer, delegate, resolve, add signers, CC, urge).

They go to the task forms' store (server/services/files.py): written before the action's transaction,
recorded in it (field ``action:<name>``, the task's id), deleted again if the action fails. The action's
trace in the history gets a ``task.files_attached`` event naming them; they download through
/files/<id>, for whoever may see the instance.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from server.audit import Event
from server.auth.permissions import Principal
from server.engine.runner import Runner
from server.errors import PayloadTooLarge
from server.models import HumanTask
from server.private_files import clean_name, write_stream
from server.services.files import Upload, discard, record

MAX_FILES = 4
FILES_ATTACHED = "task.files_attached"


def _size(upload: FileStorage) -> int:
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    return size


def store_attachments(root: Path, action: str, files: list[FileStorage], max_bytes: int) -> list[Upload]:
    """Write the chosen files; PayloadTooLarge (nothing written) if there are too many or one is too large."""
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
            written.append(Upload(file_id, f"action:{action}", clean_name(upload.filename),
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
    runner.emit(session, [Event(kind=FILES_ATTACHED, actor=who.username, instance_id=task.instance_id,
                                task_id=task.id, element_id=task.element_id,
                                data={"action": action, "name": task.name,
                                      "files": [u.value() for u in uploads]})])
