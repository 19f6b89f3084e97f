"""The store of files uploaded through forms: on disk under ``<instance_path>/files/``, one row each.

A submission's files are written before its transaction (the variables must already name them), and
recorded in that same transaction; if anything fails (validation, the engine, the commit) the caller
wraps the transaction in ``discarded_on_error`` so no file outlives a submission that did not happen.
On disk a file is ``files/<first two hex of its id>/<id>``: the user's file name is only metadata.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage, MultiDict

from server import thumbnails
from server.auth.permissions import Principal
from server.config import Config
from server.db import Database
from server.errors import NotFound
from server.forms.files import file_fields
from server.models import StoredFile
from server.plugins import plugins_of
from server.private_files import clean_name, files_root, stored_file, write_stream
from server.services.instances import get_instance

logger = logging.getLogger(__name__)

# A file is written before the transaction that records it; younger files may still be in flight.
ORPHAN_AGE_SECONDS = 3600
SWEEP_BATCH = 500


@dataclass
class Upload:
    """A file written for a submission that is not committed yet."""

    id: str
    field: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    path: Path

    @property
    def stored_path(self) -> str:
        return f"{self.id[:2]}/{self.id}"

    def value(self) -> dict[str, Any]:
        """The process variable's value (server/forms/files.py describes it)."""
        return {"fileId": self.id, "name": self.file_name, "size": self.size, "contentType": self.content_type}


def _size(upload: FileStorage) -> int:
    stream = upload.stream
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _chosen(files: MultiDict[str, FileStorage], name: str) -> FileStorage | None:
    upload = files.get(name)
    # An empty file input still sends a part, with no file name: the field was left empty.
    return upload if upload is not None and upload.filename else None


def too_large(schema: Mapping[str, Any] | None, files: MultiDict[str, FileStorage], limit: int) -> list[str]:
    """The file fields whose upload is over the limit; checked before anything is written."""
    return [name for name in file_fields(schema) if (u := _chosen(files, name)) is not None and _size(u) > limit]


def _write(upload: FileStorage, target: Path) -> tuple[int, str]:
    return write_stream(upload.stream, target)


def store_uploads(root: Path, schema: Mapping[str, Any] | None, files: MultiDict[str, FileStorage]) -> list[Upload]:
    """Write the upload of each file field of the form; the caller has checked the sizes (``too_large``)."""
    written: list[Upload] = []
    try:
        for name in file_fields(schema):
            upload = _chosen(files, name)
            if upload is None:
                continue
            file_id = str(uuid.uuid4())
            path = root / file_id[:2] / file_id
            size, sha = _write(upload, path)
            content_type = (upload.mimetype or "application/octet-stream")[:255]
            written.append(Upload(file_id, name, clean_name(upload.filename), content_type, size, sha, path))
    except BaseException:
        discard(written)
        raise
    return written


def discard(uploads: Sequence[Upload]) -> None:
    for upload in uploads:
        upload.path.unlink(missing_ok=True)


@contextmanager
def discarded_on_error(uploads: Sequence[Upload]) -> Iterator[None]:
    """Around the submission's transaction: on any failure the files written for it are removed."""
    try:
        yield
    except BaseException:
        discard(uploads)
        raise


def record(session: Session, uploads: Sequence[Upload], instance_id: str, task_id: str | None,
           uploaded_by: str) -> None:
    """The rows of a submission's files, in the submission's own transaction."""
    if not uploads:
        return
    session.flush()  # a new instance (start form) must exist before rows refer to it
    for upload in uploads:
        session.add(StoredFile(
            id=upload.id, instance_id=instance_id, task_id=task_id, field=upload.field,
            file_name=upload.file_name, content_type=upload.content_type, size=upload.size,
            sha256=upload.sha256, stored_path=upload.stored_path, uploaded_by=uploaded_by,
        ))


def get_file(session: Session, who: Principal, root: Path, file_id: str) -> tuple[StoredFile, Path]:
    """The file row and its path, for whoever may see its instance; NotFound / Forbidden otherwise."""
    try:
        uuid.UUID(file_id)
    except ValueError:
        raise NotFound(f"file '{file_id}' does not exist") from None
    row = session.get(StoredFile, file_id)
    if row is None or row.instance_id is None:  # a record's attachment: its record's route checks access
        raise NotFound(f"file '{file_id}' does not exist")
    get_instance(session, who, row.instance_id)  # raises Forbidden for anyone who may not see the instance
    return row, path_of(root, row)


def path_of(root: Path, row: StoredFile) -> Path:
    path = stored_file(root, row.stored_path)
    if path is None:
        raise NotFound(f"file '{row.id}' is missing from the store")
    return path


def _old_files(root: Path, cutoff: float) -> Iterator[tuple[str, Path]]:
    """(id, path) of the store's files last written before ``cutoff``; anything not named like ours is skipped."""
    if not root.is_dir():
        return
    for shard in root.iterdir():
        if not shard.is_dir() or len(shard.name) != 2:
            continue
        for path in shard.iterdir():
            try:
                if uuid.UUID(path.name) and path.name[:2] == shard.name and path.is_file() \
                        and path.stat().st_mtime < cutoff:
                    yield path.name, path
            except (ValueError, OSError):
                continue  # not a stored file's name, or gone meanwhile


def sweep_orphan_files(database: Database, config: Config) -> int:
    """Remove stored files with no StoredFile row that are older than an hour; returns how many.

    They are what a crash between writing a submission's files and committing it leaves behind. A row
    keeps its file whatever became of its task or instance: history may still point at it."""
    root = files_root(config.instance_path)
    candidates: list[tuple[str, Path]] = []
    removed = 0

    def remove_unrecorded() -> int:
        with database.read() as session:
            known = set(session.scalars(select(StoredFile.id).where(StoredFile.id.in_([i for i, _ in candidates]))))
        count = 0
        for file_id, path in candidates:
            if file_id not in known:
                path.unlink(missing_ok=True)
                thumbnails.forget(path)
                count += 1
        candidates.clear()
        return count

    cutoff = time.time() - ORPHAN_AGE_SECONDS
    partials = sum(thumbnails.sweep_partials(shard, cutoff) for shard in root.iterdir()
                   if shard.is_dir() and len(shard.name) == 2) if root.is_dir() else 0
    if partials:
        logger.info("removed %d half-written thumbnail(s) from %s", partials, root)
    for item in _old_files(root, cutoff):
        candidates.append(item)
        if len(candidates) >= SWEEP_BATCH:
            removed += remove_unrecorded()
    if candidates:
        removed += remove_unrecorded()
    if removed:
        logger.info("removed %d orphaned upload(s) from %s", removed, root)
    return removed


def init_app(app: Flask) -> None:
    """Uploaded files plug in: the poller removes orphaned files once a minute."""
    plugins_of(app).add_sweep(sweep_orphan_files)
