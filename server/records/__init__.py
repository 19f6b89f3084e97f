"""The data engine: record types designed by admins and modelers, records worked by staff.

- definition.py  a record type's JSON read strictly; its JSON Schema
- fields.py      the field kinds: column, schema, JSON <-> database values
- storage.py     one real table per type (SQLAlchemy Core DDL at save)
- types.py       save (versions), list, read, schema
- values.py      the one validator of record values
- listing.py     filter (JEXL -> SQL), multi-key sort, offset and keyset pages
- attachments.py the attachment kind; files.py: uploads, binding, downloads of record files
- service.py     records: list, create, read, update, delete, history (audit events)
- deploy.py      ``*.record.json`` files in `boms deploy` / POST /deployments
- imports/       spreadsheet import (a background job) and export

The REST routes are server/api/records.py (the API layer sits above the engines).
"""

from __future__ import annotations

from flask import Flask

from server.plugins import add_deployer, plugins_of
from server.records import attachments as _attachments  # noqa: F401  (registers the attachment kind)
from server.records import kinds_extra as _kinds  # noqa: F401  (registers the field kinds beyond plain values)
from server.records import row_scopes as _row_scopes  # noqa: F401  (registers the row scope 'condition')
from server.records.deploy import SUFFIX, deploy_files

# At import, not in init_app: `boms deploy` deploys without creating a Flask app.
add_deployer(SUFFIX, deploy_files)


def init_app(app: Flask) -> None:
    """The import job kind, the sweep of uploads no record took and SQLite's statistics sweep; the routes and
    OpenAPI paths come with server.api."""
    from server.records.files import sweep_pending
    from server.records.imports import JOB_KIND, handle_job
    from server.records.statistics import sweep_statistics

    plugins_of(app).add_job(JOB_KIND, handle_job)
    plugins_of(app).add_sweep(sweep_pending)
    plugins_of(app).add_sweep(sweep_statistics)
