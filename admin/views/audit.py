"""The audit log: every event, filtered by instance, actor, kind and time; the chain check; exports."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import Response, flash, request, stream_with_context
from flask_admin import BaseView, expose
from sqlalchemy import ColumnElement, func, select

from admin.access import RoleGuard, database, principal
from server.auth.client import client_info
from server.models import AuditEvent
from server.services.audit import record, verify

PAGE_SIZE = 100
EXPORT_BATCH = 2000
COLUMNS = ("seq", "at", "actor", "kind", "instance_id", "task_id", "element_id", "data", "prev_hash", "hash")


@dataclass
class AuditQuery:
    instance: str = ""
    actor: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args: Any) -> tuple[AuditQuery, list[str]]:
        query, problems = cls(*(args.get(n, "").strip() for n in ("instance", "actor", "kind"))), []
        for name in ("since", "until"):
            text = args.get(name, "").strip()
            try:
                setattr(query, name, date.fromisoformat(text) if text else None)
            except ValueError:
                problems.append(f"{name} must be a date (YYYY-MM-DD)")
        return query, problems

    def args(self) -> dict[str, str]:
        values = {"instance": self.instance, "actor": self.actor, "kind": self.kind,
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in values.items() if v}

    def clauses(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.instance:
            clauses.append(AuditEvent.instance_id == self.instance)
        if self.actor:
            clauses.append(AuditEvent.actor == self.actor)
        if self.kind:
            # "task." matches every task event; a full kind matches itself.
            clauses.append(AuditEvent.kind.startswith(self.kind, autoescape=True) if self.kind.endswith(".")
                           else AuditEvent.kind == self.kind)
        if self.since:
            clauses.append(AuditEvent.at >= datetime.combine(self.since, datetime.min.time()))
        if self.until:  # inclusive: the whole last day
            clauses.append(AuditEvent.at < datetime.combine(self.until + timedelta(days=1), datetime.min.time()))
        return clauses


def event_dict(row: AuditEvent) -> dict[str, Any]:
    return {"seq": row.seq, "at": row.at.isoformat() + "Z", "actor": row.actor, "kind": row.kind,
            "instanceId": row.instance_id, "taskId": row.task_id, "elementId": row.element_id,
            "data": json.loads(row.data or "{}"), "prevHash": row.prev_hash, "hash": row.hash}


def _events(query: AuditQuery) -> Iterator[AuditEvent]:
    """Every matching event in seq order, in batches, so an export of the whole log stays small in memory."""
    last = 0
    with database().read() as session:
        while True:
            chunk = session.scalars(select(AuditEvent).where(AuditEvent.seq > last, *query.clauses())
                                    .order_by(AuditEvent.seq).limit(EXPORT_BATCH)).all()
            if not chunk:
                return
            yield from chunk
            last = chunk[-1].seq
            session.expunge_all()


def _csv_lines(query: AuditQuery) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in _events(query):
        # The data column keeps the stored canonical JSON, so each row's hash can be recomputed from the file.
        writer.writerow([row.seq, row.at.isoformat(), row.actor, row.kind, row.instance_id or "",
                         row.task_id or "", row.element_id or "", row.data, row.prev_hash, row.hash])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _json_chunks(query: AuditQuery) -> Iterator[str]:
    yield '{"filters": ' + json.dumps(query.args()) + ', "events": ['
    for index, row in enumerate(_events(query)):
        yield ("," if index else "") + "\n" + json.dumps(event_dict(row), ensure_ascii=False)
    yield "\n]}\n"


def _log_export(query: AuditQuery, fmt: str) -> None:
    """An export copies the log out of BOMS: who took which part of it, from where, is itself logged."""
    with database().write() as session:
        record(session, "audit.exported", principal().username,
               data={"format": fmt, "filters": query.args(), **client_info()})


def kind_choices(kinds: list[str]) -> list[tuple[str, str]]:
    """The kind filter: each family ("auth.", "task.") first, then every kind seen."""
    families = sorted({kind.split(".", 1)[0] + "." for kind in kinds if "." in kind})
    return [(family, f"{family}* (all)") for family in families] + [(kind, kind) for kind in kinds]


class AuditView(RoleGuard, BaseView):
    read_roles = ("admin", "auditor")
    write_roles = ()  # the log is append-only: nothing here changes anything

    @expose("/")
    def index(self) -> Any:
        query, problems = AuditQuery.from_args(request.args)
        for problem in problems:
            flash(f"Filter ignored: {problem}.", "warning")
        page = int(request.args["page"]) if request.args.get("page", "").isdigit() else 1
        with database().read() as session:
            total = session.scalar(select(func.count()).select_from(AuditEvent).where(*query.clauses())) or 0
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(page, 1), pages)
            rows = list(session.scalars(select(AuditEvent).where(*query.clauses()).order_by(AuditEvent.seq.desc())
                                        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)))
            kinds = list(session.scalars(select(AuditEvent.kind).distinct().order_by(AuditEvent.kind)))
        return self.render("admin/boms/audit.html", rows=rows, total=total, page=page, pages=pages, query=query,
                           kinds=kind_choices(kinds), result=None)

    @expose("/verify")
    def verify_chain(self) -> Any:
        with database().read() as session:
            result = verify(session)
        return self.render("admin/boms/audit_verify.html", result=result)

    @expose("/export.csv")
    def export_csv(self) -> Any:
        query, _problems = AuditQuery.from_args(request.args)
        _log_export(query, "csv")
        return Response(stream_with_context(_csv_lines(query)), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=audit-events.csv"})

    @expose("/export.json")
    def export_json(self) -> Any:
        query, _problems = AuditQuery.from_args(request.args)
        _log_export(query, "json")
        return Response(stream_with_context(_json_chunks(query)), mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=audit-events.json"})
