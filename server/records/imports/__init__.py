"""Import and export of records: spreadsheets in, spreadsheets out (README "Records: import and export").

- files.py      the upload read safely (calamine for workbooks, csv), every bad file a 4xx naming it
- convert.py    cell -> record value, one converter per field type (a registry new types plug into)
- mapping.py    columns -> fields (key or label, either language), mode and key
- chunks.py     one chunk: convert, validate (records validator), match, write, audit
- run.py        the import job: validation pass, chunked writing pass, resume point, cancel, progress
- service.py    start, read, cancel, refused rows (permission-checked)
- workbooks.py  the error workbook and a type's template
- export.py     streamed .xlsx / .csv export, audited
"""

from __future__ import annotations

from typing import Any

from server.records.imports.service import JOB_KIND


def handle_job(ctx: Any) -> None:
    """The job kind ``record_import`` (server/services/jobs.py JobContext): run or resume one import."""
    from server.records.imports.run import run_import

    run_import(ctx.database, ctx.config.instance_path, ctx.payload["import"], finish=ctx.finish)


__all__ = ["JOB_KIND", "handle_job"]
