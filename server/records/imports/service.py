"""Imports as the API, the pages and the CLI call them: start, read, cancel, download the refused rows.

Starting checks everything it can at once (the ``import`` permission, the file, its header, the mapping,
the options) and answers a 4xx naming what is wrong before anything is stored; then the file is kept
under the instance folder, an import row and a job are written in one transaction, and the job does the
rest (server/records/imports/run.py). Only the importer (and admins) can see an import.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.db import Database, utcnow
from server.errors import BadRequest, Conflict, NotFound
from server.events import JobStatus
from server.models import Job, RecordImport, RecordImportError
from server.private_files import private_dir
from server.records.imports.convert import zone_of
from server.records.imports.files import open_table, suffix_of
from server.records.imports.mapping import auto_mapping, make_plan
from server.records.imports.run import TERMINAL, imports_root, rate_of, run_import
from server.records.service import access

JOB_KIND = "record_import"
OPTION_KEYS = frozenset({"mapping", "mode", "key", "onError", "dryRun", "fireRules", "sheet", "encoding",
                         "timezone"})
SHOWN_ERRORS = 100
INLINE_BYTES = 256 * 1024  # a dry run of a file this small answers at once (200) instead of as a job


def read_options(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise BadRequest("options must be a JSON object", field="options")
    unknown = sorted(set(raw) - OPTION_KEYS)
    if unknown:
        raise BadRequest(f"options: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(OPTION_KEYS))})",
                         field=unknown[0])
    if raw.get("onError", "abort") not in ("abort", "skip"):
        raise BadRequest("options.onError must be abort or skip", field="onError")
    for flag in ("dryRun", "fireRules"):
        if not isinstance(raw.get(flag, False), bool):
            raise BadRequest(f"options.{flag} must be true or false", field=flag)
    for name in ("sheet", "encoding"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise BadRequest(f"options.{name} must be text", field=name)
    if raw.get("timezone") is not None:
        zone_of(raw["timezone"])
    return dict(raw)


def start(database: Database, instance_path: Path, who: Principal, type_key: str, file_name: str,
          stream: IO[bytes], raw_options: Any, queue: bool = True) -> dict[str, Any]:
    """Check and store an upload and queue its job; returns the import as ``describe`` shows it.

    ``queue=False``: no job; the caller runs it (the CLI, in its own process, with a progress bar)."""
    options = read_options(raw_options)
    options.setdefault("mode", "insert")
    options.setdefault("onError", "abort")
    if not isinstance(file_name, str) or not file_name.strip():
        raise BadRequest("send the file as a multipart part named 'file', with its file name", field="file")
    file_name = Path(file_name.replace("\\", "/")).name[:255]
    suffix_of(file_name)
    with database.read() as session:
        a = access(session, who, type_key, Action.IMPORT)
        writable, definition = a.fields(Action.IMPORT), a.definition
    import_id = str(uuid.uuid4())
    root = private_dir(imports_root(instance_path))
    path = root / import_id
    with open(path, "wb") as out:
        shutil.copyfileobj(stream, out, 1 << 20)
    try:
        table = open_table(path, file_name, sheet=options.get("sheet"), encoding=options.get("encoding"))
        plan = make_plan(table.header, definition, writable, options)
        options["mapping"] = plan.as_json()["mapping"]
        options.setdefault("sheet", table.sheet)
        options["header"] = table.header
        with database.write() as session:
            row = RecordImport(id=import_id, type_key=type_key, status="pending", dry_run=bool(options.get("dryRun")),
                               options=options, file_name=file_name, stored_path=import_id,
                               size=path.stat().st_size, total_rows=table.total, created_by=who.username)
            session.add(row)
            session.flush()
            inline = row.dry_run and row.size <= INLINE_BYTES
            if queue and not inline:
                job = Job(kind=JOB_KIND, payload={"import": import_id}, due_at=utcnow(), status=JobStatus.PENDING)
                session.add(job)
                session.flush()
                row.job_id = job.id
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if queue and inline:  # no job: nobody else can pick it up while it runs here
        run_import(database, instance_path, import_id)
    with database.read() as session:
        return describe(session, _own(session, who, import_id), plan.ignored)


def restart(database: Database, instance_path: Path, who: Principal, import_id: str, raw_options: Any
            ) -> dict[str, Any]:
    """Import for real a previewed file (the page's "import" after its preview), with the confirmed options."""
    options = read_options(raw_options)
    with database.read() as session:
        old = _own(session, who, import_id)
        source, type_key, file_name = old.stored_path, old.type_key, old.file_name
        merged = {k: v for k, v in {**old.options, **options, "dryRun": False}.items() if k in OPTION_KEYS}
    with open(imports_root(instance_path) / source, "rb") as stream:
        return start(database, instance_path, who, type_key, file_name, stream, merged)


def _own(session: Session, who: Principal, import_id: str) -> RecordImport:
    row = session.get(RecordImport, import_id) if isinstance(import_id, str) and len(import_id) <= 36 else None
    if row is None or (row.created_by != who.username and not who.has("admin")):
        raise NotFound(f"no import '{import_id}'")
    return row


def describe(session: Session, row: RecordImport, ignored: tuple[str, ...] | None = None) -> dict[str, Any]:
    rate, left = rate_of(row) if row.status in ("validating", "writing") else (None, None)
    errors = session.execute(select(RecordImportError).where(RecordImportError.import_id == row.id)
                             .order_by(RecordImportError.row_number).limit(SHOWN_ERRORS)).scalars()
    header = row.options.get("mapping", {})
    body: dict[str, Any] = {
        "id": row.id, "type": row.type_key, "status": row.status, "dryRun": row.dry_run, "file": row.file_name,
        "mode": row.options.get("mode"), "key": row.options.get("key"), "onError": row.options.get("onError"),
        "mapping": header, "header": row.options.get("header", []), "sheet": row.options.get("sheet"),
        "totalRows": row.total_rows, "rowsDone": row.rows_done, "valid": row.valid, "invalid": row.invalid,
        "inserted": row.inserted, "updated": row.updated,
        "rate": round(rate, 1) if rate else None, "secondsLeft": round(left, 1) if left is not None else None,
        "message": row.message, "createdBy": row.created_by, "createdAt": row.created_at.isoformat() + "Z",
        "finishedAt": row.finished_at.isoformat() + "Z" if row.finished_at else None,
        "preview": row.preview or [],
        # abort mode's auto-numbers not used by an import that stopped early: given back, or skipped for good
        "numbers": {k: row.numbers[k] for k in ("returned", "skipped") if k in row.numbers} if row.numbers else {},
        "errors": [{"row": e.row_number, **p} for e in errors for p in e.problems][:SHOWN_ERRORS],
    }
    if ignored is not None:
        body["ignored"] = list(ignored)
    return body


def get(session: Session, who: Principal, import_id: str) -> dict[str, Any]:
    return describe(session, _own(session, who, import_id))


def cancel(session: Session, who: Principal, import_id: str) -> dict[str, Any]:
    row = _own(session, who, import_id)
    if row.status in TERMINAL:
        raise Conflict(f"import '{import_id}' is already {row.status}")
    session.execute(update(RecordImport).where(RecordImport.id == row.id).values(cancel_requested=True))
    session.flush()
    session.refresh(row)
    return describe(session, row)


def error_rows(session: Session, who: Principal, import_id: str) -> tuple[RecordImport, Any]:
    """The import and its refused rows, in file order (a query the workbook writer streams)."""
    row = _own(session, who, import_id)
    count = session.scalar(select(func.count()).select_from(RecordImportError)
                           .where(RecordImportError.import_id == row.id)) or 0
    if not count:
        raise NotFound(f"import '{import_id}' refused no rows")
    rows = session.execute(select(RecordImportError).where(RecordImportError.import_id == row.id)
                           .order_by(RecordImportError.row_number).execution_options(yield_per=1000)).scalars()
    return row, rows


def suggested_mapping(header: list[str], definition: Mapping[str, Any]) -> dict[str, str | None]:
    return auto_mapping(header, definition["fields"])
