"""Files and folders only the server's user may read: the instance folder, the secret key, the SQLite
database (and its -wal/-shm files, which SQLite creates with the database file's mode), uploads.

Each is created with its final mode (os.open / mkdir with a mode), never created readable and narrowed
afterwards, and existing ones are narrowed when BOMS opens them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
CHUNK = 1024 * 1024
NAME_LIMIT = 255
# Control characters and path separators: a name is shown and sent back in a header, never used as a path.
UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def private_dir(path: Path) -> Path:
    """`path` (and any parents it creates) as a folder of mode 0700."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    if path not in missing:
        _narrow(path, DIR_MODE)
    return path


def _narrow(path: Path, mode: int) -> None:
    # An existing path someone else owns (a mounted volume) cannot be changed: say so, do not stop.
    try:
        os.chmod(path, mode)
    except PermissionError:
        log.warning("cannot restrict %s to mode %o: it belongs to another user", path, mode)


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if missing, or narrow an existing one to 0600."""
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    _narrow(path, FILE_MODE)
    return path


def write_private(path: Path, content: str) -> None:
    """Write a secret: the file never exists with a wider mode, not even for a moment."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w") as out:
        out.write(content)
    os.chmod(path, FILE_MODE)


def private_sqlite(url: str) -> None:
    """Before SQLite creates a database file: make it (and its folder) private; in-memory URLs are left alone."""
    prefix = "sqlite:///"
    url = url.removeprefix("sqla+")  # Kombu's SQLAlchemy transport (the embedded broker)
    if not url.startswith(prefix):
        return
    name = url[len(prefix):].split("?", 1)[0]
    if not name or name == ":memory:":
        return
    path = Path(name)
    if not path.parent.exists():
        private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm"):
        journal = path.with_name(path.name + suffix)
        if journal.exists():
            _narrow(journal, FILE_MODE)


def files_root(instance_path: Path) -> Path:
    """Where uploaded files are kept (task forms' files and records' attachments): ``<id[:2]>/<id>``."""
    return instance_path / "files"


def clean_name(name: str | None) -> str:
    """An uploaded file's name as shown and sent back: its last path part, no control characters."""
    # Browsers on Windows may send a full path; only the last part is the file's name.
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = UNSAFE_NAME.sub("_", base).strip() or "file"
    if len(base) <= NAME_LIMIT:
        return base
    stem, dot, ext = base.rpartition(".")
    if dot and 0 < len(ext) < 16:  # keep the extension: it tells the downloader what the file is
        return stem[: NAME_LIMIT - len(ext) - 1] + "." + ext
    return base[:NAME_LIMIT]


def write_stream(stream: BinaryIO, target: Path) -> tuple[int, str]:
    """Copy an upload into a new private file; (size, sha256 hex)."""
    private_dir(target.parent)
    digest, size = hashlib.sha256(), 0
    # O_EXCL: a uuid never collides, and if it ever did, an existing file must not be overwritten;
    # 0600 from the start: uploads are readable by the server only.
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as out:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def stored_file(root: Path, stored_path: str) -> Path | None:
    """An upload's path inside ``root``, or None when it is missing or (a row edited by hand) outside it."""
    path = (root / stored_path).resolve()
    return path if path.is_relative_to(root.resolve()) and path.is_file() else None
