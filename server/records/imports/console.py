"""`boms records import TYPE FILE`: the import run in this process with a progress bar (rich)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from server.db import Database
from server.errors import BomsError
from server.models import RecordImport
from server.records.imports import run, service


def import_file(database: Database, instance_path: Path, username: str, type_key: str, path: Path,
                options: dict[str, Any]) -> int:
    """Import ``path``; prints the summary (and the first errors); returns the exit code."""
    console = Console()
    with database.read() as session:
        who = run.principal_of(session, username)
    with open(path, "rb") as stream:
        body = service.start(database, instance_path, who, type_key, path.name, stream, options, queue=False)
    if body.get("ignored"):
        console.print(f"columns ignored (no field): {', '.join(body['ignored'])}")
    worker = threading.Thread(target=run.run_import, args=(database, instance_path, body["id"]), daemon=True)
    worker.start()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("checking" if options.get("dryRun") else "importing", total=body["totalRows"])
        while worker.is_alive():
            worker.join(0.5)
            with database.read() as session:
                row = session.get(RecordImport, body["id"])
                if row is not None:
                    progress.update(task, completed=row.rows_done, total=row.total_rows,
                                    description=row.status)
    with database.read() as session:
        final = service.get(session, who, body["id"])
    console.print(f"{final['status']}: {final['inserted']} inserted, {final['updated']} updated, "
                  f"{final['invalid']} invalid, {final['valid']} valid (import {final['id']})")
    if final["message"]:
        console.print(final["message"])
    for error in final["errors"][:20]:
        console.print(f"  row {error['row']} {error['column'] or ''} {error['header'] or ''}: {error['message']}")
    if final["invalid"] and final["status"] != "failed":
        console.print(f"refused rows: GET /api/v1/imports/{final['id']}/errors.xlsx")
    if final["status"] == "previewed":
        for line in final["preview"][:5]:
            console.print(line)
    return 0 if final["status"] in ("done", "previewed") and not (options.get("dryRun") and final["invalid"]) \
        else 1


__all__ = ["BomsError", "import_file"]
