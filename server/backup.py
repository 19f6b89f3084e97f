"""`boms backup PATH` / `boms restore PATH`: the database and the instance folder in one archive.

The archive (a gzipped tar, mode 0600: it holds the secret and audit keys) has `manifest.json`, the
database — a copy by SQLite's online backup API (consistent while the server runs) or a `pg_dump -Fc`
custom-format dump — and `instance/`: the instance folder's files (uploads under files/, secret_key,
audit_key) except the database and the embedded broker. Restore is for stopped nodes: it replaces the
database's contents and writes the files back with private modes.
"""

from __future__ import annotations

import glob
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from server.config import Config
from server.errors import BadRequest
from server.private_files import DIR_MODE, FILE_MODE, private_dir

FORMAT = 1
SKIPPED = ("broker.db",)  # the embedded broker's queue: messages the poller re-sends anyway


class BackupError(BadRequest):
    """A backup or restore that cannot be done; the message says why."""


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database or "") if parsed.get_backend_name() == "sqlite" else None


def postgres_tool(name: str) -> str:
    """`pg_dump` / `pg_restore` from the PATH, else the newest in Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if not candidates:
        raise BackupError(f"{name} is not installed (install PostgreSQL's client tools)")
    return candidates[-1]


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password (that goes in PGPASSWORD, not on a command line others can read)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _skipped(path: Path, database: Path | None) -> bool:
    names = {n for n in SKIPPED} | ({database.name} if database else set())
    return any(path.name == n or path.name in (f"{n}-wal", f"{n}-shm", f"{n}-journal") for n in names)


def backup(config: Config, target: Path) -> dict[str, object]:
    database = _sqlite_path(config.database_url)
    manifest: dict[str, object] = {"format": FORMAT, "created": datetime.now(UTC).isoformat(),
                                   "database": "sqlite" if database else "postgresql"}
    with tempfile.TemporaryDirectory(prefix="boms-backup-") as tmp:
        dump = Path(tmp) / ("database.sqlite" if database else "database.pgdump")
        if database:
            source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
            copy = sqlite3.connect(dump)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
        else:
            url, env = _libpq(config.database_url)
            done = subprocess.run([postgres_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), url], env=env,
                                  capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        files = [p for p in sorted(config.instance_path.rglob("*"))
                 if p.is_file() and not _skipped(p, database) and p.resolve() != target.resolve()]
        manifest["files"] = len(files)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as archive:
            body = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mode = len(body), FILE_MODE
            archive.addfile(info, io.BytesIO(body))
            archive.add(dump, arcname=dump.name)
            for path in files:
                archive.add(path, arcname=f"instance/{path.relative_to(config.instance_path)}")
        os.chmod(target, FILE_MODE)
    return manifest


def restore(config: Config, source: Path) -> dict[str, object]:
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    database = _sqlite_path(config.database_url)
    try:
        archive = tarfile.open(source, mode="r:gz")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source}: not a BOMS backup ({exc})") from None
    with archive, tempfile.TemporaryDirectory(prefix="boms-restore-") as tmp:
        try:
            manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError):
            raise BackupError(f"{source}: not a BOMS backup (no manifest.json)") from None
        kind = "sqlite" if database else "postgresql"
        if manifest.get("format") != FORMAT or manifest.get("database") != kind:
            raise BackupError(f"{source} holds a {manifest.get('database')} backup (format {manifest.get('format')}); "
                              f"this server's database is {kind}")
        archive.extractall(tmp, filter="data")  # the data filter refuses absolute paths, .. and links out
        root = Path(tmp)
        if database:
            private_dir(database.parent)
            copy = sqlite3.connect(root / "database.sqlite")
            target = sqlite3.connect(database)
            try:
                copy.backup(target)  # into the live file, so -wal/-shm stay consistent
            finally:
                target.close()
                copy.close()
            os.chmod(database, FILE_MODE)
        else:
            url, env = _libpq(config.database_url)
            done = subprocess.run([postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                                   "--single-transaction", "-d", url, str(root / "database.pgdump")],
                                  env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()[-2000:]}")
        restored = 0
        files = root / "instance"
        for path in sorted(files.rglob("*")) if files.exists() else []:
            destination = config.instance_path / path.relative_to(files)
            if path.is_dir():
                private_dir(destination)
                continue
            private_dir(destination.parent)
            shutil.copyfile(path, destination)
            os.chmod(destination, FILE_MODE)
            restored += 1
        os.chmod(config.instance_path, DIR_MODE)
    return {**manifest, "restored_files": restored}
