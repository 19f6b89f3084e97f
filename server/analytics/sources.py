"""What a chart may aggregate: record types, process instances, tasks and audit events, as SQL columns.

A source is resolved for one viewer: a record type offers only the fields that viewer may read, and its
row scope (server/auth/permissions) is a WHERE clause every chart query carries, so a staff user's figure
adds up only their rows and a hidden field is, to them, a field that does not exist. Process instances and
tasks carry the same visibility as the inbox and the instance pages; audit events need an audit reader.

Each column has a kind (number, text, date, datetime, boolean, list) that decides which aggregates and
buckets it allows; the kind comes from the column's SQL type, so record field types added later chart
without changes here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ColumnElement, FromClause, Label, and_, case, cast, func, literal, select, true
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, can_read_audit, instance_visibility, task_visibility
from server.auth.permissions.records import Action
from server.db import utcnow
from server.errors import BadRequest, Forbidden, NotFound
from server.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion, TaskCandidate
from server.models.audit import full_subject_column
from server.models.instance import VARIABLE_NAME
from server.records import money
from server.records.fields import KINDS as FIELD_KINDS
from server.records.links import read_through
from server.records.storage import table_of
from server.records.types import latest as latest_type
from server.records.types import policy_of, require_type

KINDS = ("records", "process_instances", "tasks", "audit_events")
NUMBER, TEXT, DATE, DATETIME, BOOLEAN, OTHER = "number", "text", "date", "datetime", "boolean", "other"


@dataclass(frozen=True)
class SourceColumn:
    key: str
    expr: ColumnElement[Any]
    kind: str
    label: Mapping[str, str] = field(default_factory=dict)
    # value -> {"en", "zh"} for select fields, so charts show option labels
    options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    join: str | None = None  # a join this column needs (tasks' candidate groups)
    # An amount whose currency is chosen per record: the key of its currency column, without which it
    # is never summed, averaged or compared (server/records/money.py).
    currency: str | None = None
    currencies: tuple[str, ...] = ()  # the codes it may be in


def filter_columns(source: Source, kinds: frozenset[str] | None = None) -> dict[str, ColumnElement[Any]]:
    """What a chart's filter may name: every column, except that an amount with a currency per record is
    compared only within one currency, as ``price.USD`` (server/records/money.py), never bare."""
    columns: dict[str, ColumnElement[Any]] = {}
    for key, c in source.columns.items():
        if kinds is not None and c.kind not in kinds:
            continue
        if c.currency is None:
            columns[key] = c.expr
            continue
        code = source.columns[c.currency].expr
        for currency in c.currencies:
            columns[f"{key}.{currency}"] = case((code == currency, c.expr), else_=None)
    return columns


@dataclass
class Source:
    kind: str
    name: str  # record type key, process key, or "" (all tasks, the audit log)
    columns: dict[str, SourceColumn]
    base: FromClause
    scope: ColumnElement[bool]
    hidden: frozenset[str] = frozenset()  # fields that exist but this viewer may not read
    joins: dict[str, Callable[[FromClause], FromClause]] = field(default_factory=dict)
    record_type: str | None = None

    def from_clause(self, used: set[str]) -> FromClause:
        result = self.base
        for name in sorted({c.join for k in used if (c := self.columns.get(k)) and c.join}):
            result = self.joins[name](result)
        return result

    def describe(self) -> str:
        return {"records": f"record type '{self.name}'", "process_instances": f"process '{self.name}' instances",
                "tasks": "tasks" + (f" of process '{self.name}'" if self.name else ""),
                "audit_events": "audit events"}[self.kind]


def mixed_currency(source: Source, agg: str, name: str, dimensions: list[str]) -> str | None:
    """Why ``agg`` of ``name`` is refused, if it would add up or compare amounts in different currencies:
    an amount with a currency per record is aggregated only grouped by its currency (a count is fine)."""
    column = source.columns.get(name)
    if agg == "count" or column is None or column.currency is None or column.currency in dimensions:
        return None
    return (f"cannot {agg} '{name}': its amounts are in several currencies, and BOMS does not add or compare "
            f"different currencies; group the chart by '{column.currency}'")


def kind_of(expr: ColumnElement[Any]) -> str:
    try:
        python = expr.type.python_type
    except NotImplementedError:
        return OTHER
    if python is bool:
        return BOOLEAN
    if python in (int, float, Decimal):
        return NUMBER
    if python is datetime:
        return DATETIME
    if python is date:
        return DATE
    if python is str:
        return TEXT
    return OTHER


def seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """`end - start` in seconds, as a float, on both databases."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    # date_part is double precision; EXTRACT has returned NUMERIC since PostgreSQL 14, several times slower
    # to divide, average and sort over a million task durations.
    return func.date_part("epoch", end - start)


def _label(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _column(key: str, expr: Any, label: dict[str, str], kind: str | None = None, **extra: Any) -> SourceColumn:
    return SourceColumn(key, expr, kind or kind_of(expr), label, **extra)


def _records(session: Session, who: Principal, spec: Mapping[str, Any], design: bool) -> Source:
    key = spec.get("type")
    if not isinstance(key, str):
        raise BadRequest("a records source names its record type: {\"kind\": \"records\", \"type\": KEY}",
                         field="source")
    row = require_type(session, key)
    policy = policy_of(row)
    table = table_of(row.definition)
    all_fields = [f["key"] for f in row.definition["fields"]]
    scope = policy.row_filter(who, Action.READ, table.c)
    if design:  # checking a definition at save: every field exists for its designer; no data is read
        readable = frozenset(all_fields)
    elif not policy.allows(who, Action.READ):
        raise NotFound(f"no record type '{key}'")
    else:
        readable = policy.fields_for(who, Action.READ, all_fields)
    columns = {
        "id": _column("id", table.c.id, _label("Id", "编号"), TEXT),
        "created_at": _column("created_at", table.c.created_at, _label("Created at", "创建时间")),
        "created_by": _column("created_by", table.c.created_by, _label("Created by", "创建人")),
        "updated_at": _column("updated_at", table.c.updated_at, _label("Updated at", "更新时间")),
        "updated_by": _column("updated_by", table.c.updated_by, _label("Updated by", "更新人")),
    }
    for f in row.definition["fields"]:
        if f["key"] in readable and money.per_record(f):
            code = f"{f['key']}.currency"
            columns[f["key"]] = SourceColumn(f["key"], table.c[f["key"]], NUMBER, f["label"], currency=code,
                                             currencies=tuple(f["currencies"]))
            columns[code] = SourceColumn(code, table.c[money.currency_column(f["key"])], TEXT,
                                         {lang: f"{text} · {_label('currency', '币种')[lang]}"
                                          for lang, text in f["label"].items()})
        elif f["key"] in readable and FIELD_KINDS[f["type"]].stored(f):
            column = table.c[f["key"]]
            kind = "list" if f["type"] == "multi_select" else kind_of(column)
            columns[f["key"]] = SourceColumn(f["key"], column, kind, f["label"], _options(f))
    # At save every field exists for the designer, also through relations (no data is read then).
    reader = Principal(who.id, who.username, frozenset({"admin"}), who.groups) if design else who
    columns.update(_through(session, reader, row.definition, table, frozenset(readable)))
    return Source("records", key, columns, table, scope, frozenset(all_fields) - readable, record_type=key)


def _options(f: Mapping[str, Any]) -> dict[str, Mapping[str, str]]:
    return {o["value"]: o["label"] for o in f.get("options", [])}


def _through(session: Session, who: Principal, definition: Mapping[str, Any], table: Any,
             readable: frozenset[str]) -> dict[str, SourceColumn]:
    """Lookups and rollups (read in SQL by server/records/links.py), and ``relation.field`` paths to the
    related type's fields: the same correlated subqueries the record lists use, so the related type's row
    scope and readable fields apply (a customer outside the viewer's rows groups as empty)."""
    through = read_through(session, who, definition, table, readable)
    own = {f["key"]: f for f in definition["fields"]}
    columns: dict[str, SourceColumn] = {}
    for key, (labelled, target) in through.computed.items():
        expr = labelled.element if isinstance(labelled, Label) else labelled
        kind = "list" if target.get("type") == "multi_select" else kind_of(expr)
        columns[key] = SourceColumn(key, expr, kind, own[key]["label"], _options(target))
    targets: dict[str, Mapping[str, Any]] = {}
    for path, labelled in through.paths.items():
        relation, name = path.split(".", 1)
        target_key = own[relation]["target"]
        if target_key not in targets:
            target_row = latest_type(session, target_key)
            targets[target_key] = {f["key"]: f for f in target_row.definition["fields"]} if target_row else {}
        target = targets[target_key].get(name, {})
        expr = labelled.element if isinstance(labelled, Label) else labelled
        kind = "list" if target.get("type") == "multi_select" else kind_of(expr)
        rel_label, name_label = own[relation]["label"], target.get("label", {})
        label = {lang: f"{rel_label.get(lang, relation)} · {name_label.get(lang, name)}" for lang in ("en", "zh")}
        columns[path] = SourceColumn(path, expr, kind, label, _options(target))
    return columns


def _process_key(session: Session, spec: Mapping[str, Any], required: bool) -> str:
    key = spec.get("process")
    if key is None and not required:
        return ""
    if not isinstance(key, str) or not key:
        raise BadRequest("this source names its process: {\"process\": KEY}", field="source")
    if session.execute(select(ProcessVersion.id).where(ProcessVersion.key == key).limit(1)).first() is None:
        raise NotFound(f"no process '{key}'")
    return key


def _variables(spec: Mapping[str, Any]) -> dict[str, str]:
    raw = spec.get("variables", {})
    if not isinstance(raw, Mapping) or not all(
            isinstance(k, str) and VARIABLE_NAME.fullmatch(k) and v in (NUMBER, TEXT) for k, v in raw.items()):
        raise BadRequest("source 'variables' maps variable names to \"number\" or \"text\"", field="variables")
    return dict(raw)


def _instances(session: Session, who: Principal, spec: Mapping[str, Any], design: bool) -> Source:
    key = _process_key(session, spec, True)
    pi = ProcessInstance.__table__
    columns = {
        "id": _column("id", pi.c.id, _label("Instance", "实例")),
        "business_key": _column("business_key", pi.c.business_key, _label("Business key", "业务键")),
        "status": _column("status", pi.c.status, _label("Status", "状态")),
        "started_at": _column("started_at", pi.c.started_at, _label("Started at", "开始时间")),
        "ended_at": _column("ended_at", pi.c.ended_at, _label("Ended at", "结束时间")),
        "started_by": _column("started_by", pi.c.started_by, _label("Started by", "发起人")),
        "duration_seconds": _column("duration_seconds", seconds_between(session, pi.c.started_at, pi.c.ended_at),
                                    _label("Duration (s)", "耗时（秒）"), NUMBER),
        "duration_hours": _column("duration_hours",
                                  seconds_between(session, pi.c.started_at, pi.c.ended_at) / 3600.0,
                                  _label("Duration (h)", "耗时（小时）"), NUMBER),
    }
    for name, kind in _variables(spec).items():
        value = ProcessInstance.variables[name]
        expr = value.as_float() if kind == NUMBER else value.as_string()
        columns[f"var_{name}"] = _column(f"var_{name}", expr, _label(name, name), kind)
    visible = instance_visibility(who)
    scope = and_(pi.c.process_key == key, true() if visible is None else visible)
    return Source("process_instances", key, columns, pi, scope)


# An alias: the viewer's task visibility is an EXISTS over task_candidate, which must not correlate to this join.
GROUPS = TaskCandidate.__table__.alias("group_candidate")


def _join_groups(base: FromClause) -> FromClause:
    return base.outerjoin(GROUPS, and_(GROUPS.c.task_id == HumanTask.__table__.c.id, GROUPS.c.kind == "group"))


def _tasks(session: Session, who: Principal, spec: Mapping[str, Any], design: bool) -> Source:
    key = _process_key(session, spec, False)
    ht = HumanTask.__table__
    now = literal(utcnow())
    end = func.coalesce(ht.c.completed_at, now)
    overdue = case((and_(ht.c.due_at.is_not(None), end > ht.c.due_at), True), else_=False)
    columns = {
        "id": _column("id", ht.c.id, _label("Task", "任务")),
        "element_id": _column("element_id", ht.c.element_id, _label("Step", "步骤")),
        "name": _column("name", ht.c.name, _label("Name", "名称")),
        "lane": _column("lane", ht.c.lane, _label("Lane", "泳道")),
        "assignee": _column("assignee", ht.c.assignee, _label("Assignee", "处理人")),
        "status": _column("status", ht.c.status, _label("Status", "状态")),
        "created_at": _column("created_at", ht.c.created_at, _label("Created at", "创建时间")),
        "due_at": _column("due_at", ht.c.due_at, _label("Due at", "到期时间")),
        "completed_at": _column("completed_at", ht.c.completed_at, _label("Completed at", "完成时间")),
        "completed_by": _column("completed_by", ht.c.completed_by, _label("Completed by", "完成人")),
        "overdue": _column("overdue", cast(overdue, Boolean), _label("Overdue", "逾期"), BOOLEAN),
        "duration_hours": _column("duration_hours",
                                  seconds_between(session, ht.c.created_at, ht.c.completed_at) / 3600.0,
                                  _label("Time to complete (h)", "完成耗时（小时）"), NUMBER),
        "age_hours": _column("age_hours", seconds_between(session, ht.c.created_at, end) / 3600.0,
                             _label("Age (h)", "已等待（小时）"), NUMBER),
        "candidate_group": _column("candidate_group", GROUPS.c.name, _label("Group", "组"), TEXT, join="groups"),
    }
    visible = task_visibility(who)
    clauses = [true() if visible is None else visible]
    if key:
        clauses.append(ht.c.process_key == key)
    return Source("tasks", key, columns, ht, and_(*clauses), joins={"groups": _join_groups})


def _audit(session: Session, who: Principal, spec: Mapping[str, Any], design: bool) -> Source:
    if not design and not can_read_audit(who):
        raise Forbidden("charting audit events needs the role admin or auditor")
    ae = AuditEvent.__table__
    # A compact audit row leaves its default subject out of subject_id: read it back as it was hashed.
    stored = {**dict(ae.c.items()), "subject_id": full_subject_column()}
    columns = {name: _column(name, stored[name], _label(en, zh)) for name, en, zh in (
        ("kind", "Event", "事件"), ("actor", "Actor", "操作人"), ("at", "At", "时间"),
        ("subject_type", "Subject type", "对象类型"), ("subject_id", "Subject", "对象"),
        ("instance_id", "Instance", "实例"), ("element_id", "Element", "元素"))}
    return Source("audit_events", "", columns, ae, true())


_RESOLVERS = {"records": _records, "process_instances": _instances, "tasks": _tasks, "audit_events": _audit}
SOURCE_KEYS = {"records": {"kind", "type"}, "process_instances": {"kind", "process", "variables"},
               "tasks": {"kind", "process"}, "audit_events": {"kind"}}


def resolve(session: Session, who: Principal, spec: Mapping[str, Any], design: bool = False) -> Source:
    """The source ``spec`` names, as ``who`` may see it (404 for a record type they may not see);
    ``design``: for checking a definition at save (every field of it, no data read)."""
    kind = spec.get("kind") if isinstance(spec, Mapping) else None
    if not isinstance(kind, str) or kind not in _RESOLVERS:  # a list or object is no kind (nor hashable)
        raise BadRequest(f"source 'kind' must be one of {', '.join(KINDS)}", field="source")
    unknown = sorted(set(spec) - SOURCE_KEYS[kind])
    if unknown:
        raise BadRequest(f"source: unknown key(s) {', '.join(unknown)}", field=unknown[0])
    return _RESOLVERS[kind](session, who, spec, design)
