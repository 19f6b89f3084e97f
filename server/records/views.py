"""Saved views of a record list: name, filter, sort and columns; each user's own, and the shared ones.

A view holds no data and grants nothing: whoever opens one sees only what their own permissions show.
Its filter and sort are checked against the saver's readable fields when it is saved (a 400 naming the
field), and again against the reader's when it is applied, so a shared view cannot reveal a hidden field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit import Event, publish
from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.db import utcnow
from server.errors import BadRequest, Forbidden, NotFound
from server.events import EventKind, SubjectType
from server.models import RecordView
from server.records import listing, me
from server.records.service import access

MAX_NAME = 100
MAX_SORT = 400


@dataclass(frozen=True)
class SavedView:
    id: int
    name: str
    owner: str
    filter: str
    sort: str
    columns: tuple[str, ...]
    shared: bool
    mine: bool


def _saved(row: RecordView, who: Principal) -> SavedView:
    return SavedView(row.id, row.name, row.owner, row.filter, row.sort, tuple(row.columns), row.shared,
                     row.owner == who.username)


def list_views(session: Session, who: Principal, type_key: str) -> list[SavedView]:
    """``who``'s own views of the type and the ones others shared, by name."""
    access(session, who, type_key, Action.READ)
    rows = session.scalars(select(RecordView).where(
        RecordView.type_key == type_key, or_(RecordView.owner == who.username, RecordView.shared.is_(True)))
        .order_by(RecordView.name, RecordView.id))
    return [_saved(r, who) for r in rows]


def get_view(session: Session, who: Principal, type_key: str, view_id: int) -> SavedView:
    access(session, who, type_key, Action.READ)
    row = session.get(RecordView, view_id)
    if row is None or row.type_key != type_key or not (row.shared or row.owner == who.username):
        raise NotFound(f"no saved view {view_id} of '{type_key}'")
    return _saved(row, who)


def _columns(columns: Iterable[str], readable: frozenset[str]) -> list[str]:
    chosen = list(dict.fromkeys(columns))
    unknown = [c for c in chosen if c not in readable]
    if unknown:
        raise BadRequest(f"columns: no field '{unknown[0]}' you can show", field="columns")
    return chosen


def save_view(session: Session, who: Principal, type_key: str, name: str, filter_text: str, sort: str,
              columns: Iterable[str], shared: bool) -> SavedView:
    """Saves (or replaces, by name) one of ``who``'s views, after checking its filter, sort and columns."""
    a = access(session, who, type_key, Action.READ)
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or "\x00" in name:
        raise BadRequest(f"the view's name must be 1 to {MAX_NAME} characters", field="name")
    filter_text, sort = (filter_text or "").strip(), (sort or "").strip()
    if len(sort) > MAX_SORT:
        raise BadRequest(f"sort is longer than {MAX_SORT} characters", field="sort")
    columns_of = a.columns()
    if filter_text:
        listing.filter_clause(filter_text, columns_of)
    if sort:
        listing.order_of(sort, {k: v for k, v in columns_of.items() if not me.is_me(k)}, a.table)
    chosen = _columns(columns, a.readable())
    row = session.scalar(select(RecordView).where(RecordView.type_key == type_key,
                                                  RecordView.owner == who.username, RecordView.name == name))
    values = {"filter": filter_text, "sort": sort, "columns": chosen, "shared": bool(shared), "updated_at": utcnow()}
    if row is None:
        row = RecordView(type_key=type_key, owner=who.username, name=name, **values)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:  # the same user saved the same name at the same moment
            raise BadRequest(f"you already have a view named '{name}'; save again to replace it",
                             field="name") from None
    else:
        for key, value in values.items():
            setattr(row, key, value)
        session.flush()
    publish(session, Event(EventKind.RECORD_VIEW_SAVED, who.username, subject_type=SubjectType.RECORD,
                           subject_id=f"{type_key}:view:{row.id}",
                           data={"type": type_key, "view": row.id, "name": name, **{k: v for k, v in values.items()
                                                                                      if k != "updated_at"}}))
    return _saved(row, who)


def delete_view(session: Session, who: Principal, type_key: str, view_id: int) -> None:
    """Its owner (or an admin) deletes a view."""
    access(session, who, type_key, Action.READ)
    row = session.get(RecordView, view_id)
    if row is None or row.type_key != type_key or not (row.shared or row.owner == who.username):
        raise NotFound(f"no saved view {view_id} of '{type_key}'")
    if row.owner != who.username and not who.has("admin"):
        raise Forbidden("only its owner or an admin may delete a saved view")
    session.delete(row)
    session.flush()
    publish(session, Event(EventKind.RECORD_VIEW_DELETED, who.username, subject_type=SubjectType.RECORD,
                           subject_id=f"{type_key}:view:{view_id}",
                           data={"type": type_key, "view": view_id, "name": row.name}))
