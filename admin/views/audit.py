"""The audit log: every event, filtered by instance, actor, kind and time; the chain check; exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, flash, request, stream_with_context
from flask_admin import BaseView, expose
from flask_babel import gettext as _

from admin.access import RoleGuard, database, principal
from server.audit import Event, publish
from server.auth.client import client_info
from server.auth.permissions import AUDIT_READERS, Principal, require_can_read_audit
from server.events import EventKind
from server.models import AuditEvent
from server.queries import QueryArgs, day_end, day_start
from server.services.audit_log import AuditFilter, event_json, every_event, newest_events, verify_chain
from server.services.audit_log import kinds as audit_kinds

PAGE_SIZE = 100
EXPORT_BATCH = 2000
COLUMNS = ("seq", "at", "actor", "kind", "instance_id", "task_id", "element_id", "data", "prev_hash", "hash",
           "subject_type", "subject_id", "chain", "chain_seq", "hash_version")


@dataclass
class AuditQuery:
    """The admin list's filters as the URL spells them (whole days); the filter itself is AuditFilter."""

    instance: str = ""
    actor: str = ""
    kind: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def from_args(cls, args: Any) -> tuple[AuditQuery, list[str]]:
        read = QueryArgs(args, strict=False)
        query = cls(*(read.text(n, "") or "" for n in ("instance", "actor", "kind")), read.day("since"),
                    read.day("until"))
        return query, [problem.message for problem in read.problems]

    def args(self) -> dict[str, str]:
        values = {"instance": self.instance, "actor": self.actor, "kind": self.kind,
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in values.items() if v}

    def filter(self) -> AuditFilter:
        return AuditFilter(instance=self.instance, actor=self.actor, kind=self.kind, after=day_start(self.since),
                           before=day_end(self.until))  # until: inclusive, the whole last day


def _events(who: Principal, query: AuditQuery) -> Iterator[AuditEvent]:
    require_can_read_audit(who)  # asked now, not when streaming starts: a refusal is still a 403

    def batches() -> Iterator[AuditEvent]:
        with database().read() as session:
            yield from every_event(session, who, query.filter(), EXPORT_BATCH)

    return batches()


def _csv_lines(rows: Iterator[AuditEvent]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        # The data column keeps the stored canonical JSON, so each row's hash can be recomputed from the file.
        writer.writerow([row.seq, row.at.isoformat(), row.actor, row.kind, row.instance_id or "",
                         row.task_id or "", row.element_id or "", row.data, row.linked_prev_hash, row.hash,
                         row.subject_type or "", row.full_subject_id or "", row.chain, row.chain_seq, row.hash_version])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _json_chunks(query: AuditQuery, rows: Iterator[AuditEvent]) -> Iterator[str]:
    yield '{"filters": ' + json.dumps(query.args()) + ', "events": ['
    for index, row in enumerate(rows):
        yield ("," if index else "") + "\n" + json.dumps(event_json(row), ensure_ascii=False)
    yield "\n]}\n"


def _log_export(query: AuditQuery, fmt: str) -> None:
    """An export copies the log out of BOMS: who took which part of it, from where, is itself logged."""
    with database().write() as session:
        publish(session, Event(EventKind.AUDIT_EXPORTED, principal().username,
                               data={"format": fmt, "filters": query.args(), **client_info()}))


def kind_choices(kinds: list[str]) -> list[tuple[str, str]]:
    """The kind filter: each family ("auth.", "task.") first, then every kind seen."""
    families = sorted({kind.split(".", 1)[0] + "." for kind in kinds if "." in kind})
    return [(family, f"{family}* (all)") for family in families] + [(kind, kind) for kind in kinds]


class AuditView(RoleGuard, BaseView):
    read_roles = AUDIT_READERS
    write_roles = ()  # the log is append-only: nothing here changes anything

    @expose("/")
    def index(self) -> Any:
        query, problems = AuditQuery.from_args(request.args)
        for problem in problems:
            flash(_("Filter ignored: %(problem)s.", problem=problem), "warning")
        page_number = QueryArgs(request.args, strict=False).integer("page", 1) or 1
        with database().read() as session:
            page = newest_events(session, principal(), query.filter(), page_number, PAGE_SIZE)
            kinds = audit_kinds(session)
        return self.render("admin/boms/audit.html", rows=page.items, total=page.total, page=page.page,
                           pages=page.pages, query=query, kinds=kind_choices(kinds), result=None)

    @expose("/verify")
    def verify_chain(self) -> Any:
        with database().read() as session:
            result = verify_chain(session, principal())
        return self.render("admin/boms/audit_verify.html", result=result)

    @expose("/export.csv")
    def export_csv(self) -> Any:
        query, _problems = AuditQuery.from_args(request.args)
        _log_export(query, "csv")
        return Response(stream_with_context(_csv_lines(_events(principal(), query))), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=audit-events.csv"})

    @expose("/export.json")
    def export_json(self) -> Any:
        query, _problems = AuditQuery.from_args(request.args)
        _log_export(query, "json")
        return Response(stream_with_context(_json_chunks(query, _events(principal(), query))),
                        mimetype="application/json",
                        headers={"Content-Disposition": "attachment; filename=audit-events.json"})
