"""Files on records: who may upload to an attachment field, what a write may name, and who may download.

The bytes are written by the file store (server/services/files.py, called by the API and the pages, which
sit above this engine); here is what BOMS knows about them, in ``stored_file`` rows with ``record_type``:

- an upload is *pending* (``record_id`` null) until a create or edit names it; only its uploader may name
  it, and only in the field it was uploaded for;
- a write resolves each ``{"fileId": ...}`` to the stored reference (name, size, type come from the store,
  never from the client), and binds new files to the record in the writing transaction;
- a file taken off a record, or the files of a deleted record, lose their rows in that transaction; the
  store's sweep removes the unrecorded bytes an hour after they were written (a rolled-back delete keeps both);
- an upload no write names within a day is forgotten (``sweep_pending``, run by the job poller);
- a download needs the record (its row scope) and the field (a hidden attachment never leaves the server).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from server import thumbnails
from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.config import Config
from server.db import Database, utcnow
from server.errors import BadRequest, Forbidden, FormInvalid, NotFound, PayloadTooLarge, Unprocessable
from server.forms.validation import FieldMessage
from server.models import StoredFile
from server.private_files import clean_name, stored_file, write_stream
from server.records.access import Access, access
from server.records.attachments import THUMBNAIL_TYPES, accepts, max_files

PENDING_FOR = timedelta(days=1)


@dataclass(frozen=True)
class UploadTarget:
    """An attachment field the caller may fill, with its limits."""

    type_key: str
    field: Mapping[str, Any]
    max_size: int


def _attachments(definition: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f["key"]: f for f in definition["fields"] if f["type"] == "attachment"}


def upload_target(session: Session, who: Principal, type_key: str, field_key: str, limit: int) -> UploadTarget:
    """The field ``who`` uploads to (they may create or edit records and write that field), or 4xx naming it."""
    try:
        a = access(session, who, type_key, Action.CREATE)
    except Forbidden:  # may not create: perhaps edit
        a = access(session, who, type_key, Action.UPDATE)
    writable = set()
    for action in (Action.CREATE, Action.UPDATE):
        if a.policy.allows(who, action):
            writable |= a.fields(action)
    attachments = _attachments(a.definition)
    fields = {k: f for k, f in attachments.items() if k in writable or k in a.readable()}
    if field_key not in fields:
        names = ", ".join(sorted(fields)) or "none"
        raise BadRequest(f"record type '{type_key}' has no attachment field '{field_key}' (its attachment fields: "
                         f"{names})", field=field_key)
    if field_key not in writable:
        raise Forbidden(f"you may not attach files to {type_key} field '{field_key}'")
    field = fields[field_key]
    return UploadTarget(type_key, field, min(limit, int(field.get("maxSize", limit))))


def check_upload(target: UploadTarget, file_name: str, content_type: str, size: int) -> None:
    """Before the bytes are written: the field's size and kind limits (413 / 422 naming the field)."""
    key = target.field["key"]
    where = f"{target.type_key} field '{key}'"
    if size > target.max_size:
        text = f"{where}: '{file_name}' has {size} bytes, more than the {target.max_size} allowed"
        raise PayloadTooLarge(text, field=key, fields={key: FieldMessage(
            text, "file_too_large", {"name": file_name, "value": target.max_size})})
    if size == 0:
        text = f"{where}: '{file_name}' is empty"
        raise Unprocessable(text, field=key, fields={key: FieldMessage(text, "file_empty", {"name": file_name})})
    if not accepts(target.field, file_name, content_type):
        text = (f"{where}: '{file_name}' ({content_type}) is not a kind of file this field takes "
                f"({', '.join(target.field['accept'])})")
        raise Unprocessable(text, field=key, fields={key: FieldMessage(
            text, "file_kind", {"name": file_name, "options": target.field["accept"]})})


@dataclass(frozen=True)
class Incoming:
    """An uploaded file not written yet: its bytes, and what the browser said about it."""

    stream: BinaryIO
    file_name: str | None
    content_type: str | None

    def size(self) -> int:
        self.stream.seek(0, 2)
        size = self.stream.tell()
        self.stream.seek(0)
        return size


def upload(session: Session, who: Principal, root: Path, type_key: str, field_key: str, incoming: Incoming,
           limit: int) -> dict[str, Any]:
    """Store one file for an attachment field (checked first: nothing is written for a refused one); the
    pending upload's reference, which a create or edit then names. If the caller's transaction fails, the
    bytes are unrecorded and the store's sweep removes them."""
    target = upload_target(session, who, type_key, field_key, limit)
    name = clean_name(incoming.file_name)
    content_type = (incoming.content_type or "application/octet-stream")[:255]
    check_upload(target, name, content_type, incoming.size())
    file_id = str(uuid.uuid4())
    stored_path = f"{file_id[:2]}/{file_id}"
    size, sha256 = write_stream(incoming.stream, root / stored_path)
    session.add(StoredFile(id=file_id, instance_id=None, task_id=None, record_type=type_key, record_id=None,
                           field=field_key, file_name=name, content_type=content_type, size=size,
                           sha256=sha256, stored_path=stored_path, uploaded_by=who.username))
    return reference(file_id, name, size, content_type)


def reference(file_id: str, name: str, size: int, content_type: str) -> dict[str, Any]:
    return {"fileId": file_id, "name": name, "size": size, "contentType": content_type}


def resolve(session: Session, a: Access, stored: dict[str, Any], record_id: int | None) -> dict[str, Any]:
    """``stored`` with each attachment's ``{"fileId"}`` items replaced by the store's references, or a 422
    naming the field: a file that is not this caller's pending upload for this field, nor already on the record."""
    fields = _attachments(a.definition)
    wanted = {key: value for key, value in stored.items() if key in fields and value}
    if not wanted:
        return stored
    ids = {item["fileId"] for value in wanted.values() for item in value if _is_uuid(item.get("fileId"))}
    rows = {r.id: r for r in session.execute(select(StoredFile).where(StoredFile.id.in_(sorted(ids)))).scalars()}
    errors: dict[str, FieldMessage] = {}
    resolved = dict(stored)
    for key, value in wanted.items():
        refs = []
        for item in value:
            row = rows.get(item.get("fileId"))
            ours = row is not None and row.record_type == a.row.key and row.field == key and (
                (row.record_id is None and row.uploaded_by == a.who.username)
                or (record_id is not None and row.record_id == record_id))
            if not ours:
                errors[key] = FieldMessage(f"no file {item.get('fileId')} uploaded for this field", "unknown_file",
                                           {"id": item.get("fileId")})
                break
            refs.append(reference(row.id, row.file_name, row.size, row.content_type))
        if key not in errors and len({r["fileId"] for r in refs}) != len(refs):
            errors[key] = FieldMessage("names the same file twice", "duplicate_file")
        if key not in errors and len(refs) > max_files(fields[key]):
            errors[key] = FieldMessage(f"must have at most {max_files(fields[key])} file(s)", "maxItems",
                                       {"value": max_files(fields[key])})
        resolved[key] = refs
    if errors:
        raise FormInvalid(errors)
    return resolved


def _is_uuid(text: Any) -> bool:
    try:
        uuid.UUID(str(text))
    except ValueError:
        return False
    return True


def _ids(value: Any) -> set[str]:
    return {item["fileId"] for item in value or ()}


def bind(session: Session, type_key: str, definition: Mapping[str, Any], record_id: int,
         old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> None:
    """After a write: the record's new files become its own, the files it no longer holds are let go."""
    for key in _attachments(definition):
        if key not in new:
            continue
        before, after = _ids(old.get(key) if old else None), _ids(new[key])
        if after - before:
            session.execute(update(StoredFile).where(StoredFile.id.in_(sorted(after - before)),
                                                     StoredFile.record_type == type_key)
                            .values(record_id=record_id))
        if before - after:
            session.execute(delete(StoredFile).where(StoredFile.id.in_(sorted(before - after)),
                                                     StoredFile.record_type == type_key,
                                                     StoredFile.record_id == record_id))


def drop(session: Session, type_key: str, record_id: int) -> None:
    """A deleted record's files (in the deleting transaction)."""
    session.execute(delete(StoredFile).where(StoredFile.record_type == type_key, StoredFile.record_id == record_id))


def file_path(root: Path, row: StoredFile) -> Path:
    path = stored_file(root, row.stored_path)
    if path is None:
        raise NotFound(f"file '{row.id}' is missing from the store")
    return path


def readable_file(session: Session, who: Principal, type_key: str, record_id: int | None,
                  file_id: str) -> StoredFile:
    """The row of a file ``who`` may download: on a record in their rows, in a field they may read, or their
    own pending upload (``record_id`` None). Anything else reads as missing."""
    missing = NotFound(f"no file '{file_id}' on {type_key} record {record_id}" if record_id is not None
                       else f"no pending upload '{file_id}'")
    if not _is_uuid(file_id):
        raise missing
    row = session.get(StoredFile, file_id)
    if row is None or row.record_type != type_key or row.record_id != record_id:
        raise missing
    a = access(session, who, type_key, Action.READ)
    if record_id is None:
        if row.uploaded_by != who.username:
            raise missing
        return row
    if row.field not in a.readable():
        raise missing
    found = session.execute(select(a.table.c.id).where(a.table.c.id == record_id, a.scope(Action.READ))).first()
    if found is None:
        raise missing
    return row


def download(session: Session, who: Principal, root: Path, type_key: str, record_id: int | None,
             file_id: str) -> tuple[str, str, Path]:
    """(file name, content type, path) of a file ``who`` may download (``readable_file``)."""
    row = readable_file(session, who, type_key, record_id, file_id)
    return row.file_name, row.content_type, file_path(root, row)


def thumbnail(session: Session, who: Principal, root: Path, type_key: str, record_id: int,
              file_id: str) -> Path | None:
    """The bounded thumbnail of an image on a record, for who may download the file (``readable_file``);
    None when the file is not an image BOMS shrinks or cannot be decoded safely (server/thumbnails.py)."""
    row = readable_file(session, who, type_key, record_id, file_id)
    if row.content_type.lower() not in THUMBNAIL_TYPES:
        return None
    return thumbnails.thumbnail(file_path(root, row))


def sweep_pending(database: Database, config: Config) -> int:
    """Forget uploads no record took within a day (the file store's own sweep then removes their bytes)."""
    cutoff = utcnow() - PENDING_FOR
    with database.write() as session:
        result = session.execute(delete(StoredFile).where(StoredFile.record_type.is_not(None),
                                                          StoredFile.record_id.is_(None),
                                                          StoredFile.created_at < cutoff))
    return int(result.rowcount or 0)
