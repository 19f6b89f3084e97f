"""Chart results cached in the process, never stale: keyed on everything the rows are computed from.

A chart's rows are a function of (the chart's definition, the viewer's effective source: row scope, readable
fields and the SQL of the columns it charts, the request's filters and drill-down, the locale, today's date
for period KPIs, and the committed data). The first parts are compiled SQL and JSON, hashed into the key.
The committed data is named by the audit chain heads (`audit_head`: each chain's id, length and hash), read
in the request before any data is read, and stored beside the rows: an entry is (the heads it was computed
at, its rows).

Why the heads and not max(audit_event.seq): on PostgreSQL `seq` comes from a sequence, allocated before
commit, so seq 100 can become visible after seq 101 has been (a reader seeing max 101 would cache rows that
miss 100, for good). A chain's length is different: a writer holds its chain's head row (`FOR UPDATE`) from
its first event until it commits, so each chain grows in commit order, one committed writer at a time, and
PostgreSQL releases that lock only after the commit is visible. The heads therefore name exactly which
writes a snapshot holds; every BOMS write publishes an event in its own transaction (server/audit.py).
The head hash makes the comparison exact across databases and restored backups too.

An entry whose heads are the request's is a hit. One computed at older heads is re-validated
(cache_writes.py): the events committed since (per chain, between the entry's length and the current one,
read by the unique (chain, chain_seq) index, at most 500) are checked against the tables the chart's SQL
reads, and when none of them may have written one of those tables (a sign-in, another record type, a task
under a records chart) the entry is a hit and is stored again at the current heads; otherwise, or when
the events cannot tell (too many, a chain that shrank or has another hash), it is a miss, computed afresh.

On PostgreSQL (READ COMMITTED, one snapshot per statement) the heads are read first: the data read after it
holds at least those writes, so an entry is never older than its heads (at worst newer, which is no
staleness), and the events up to the current heads are visible when they are read. On SQLite the read
transaction is one snapshot. Each node keeps its own cache and computes the key from the shared database,
so nodes never serve each other stale rows; a miss is today's path plus the key (~1 ms).

Writes made outside BOMS (SQL by hand, a bulk load) publish nothing: they are not seen until a BOMS write
that touches the chart's tables, or a restart. BOMS_ANALYTICS_CACHE_BYTES=0 turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from server.analytics.cache_writes import Heads, still_valid, tables_read
from server.analytics.figures import chart_where, require_fields
from server.analytics.sources import Source
from server.db import Database, utcnow
from server.models import AuditHead

_CACHE = "boms_analytics_cache"
DEFAULT_BYTES = 64 * 1024 * 1024


class ResultCache:
    """Least recently used first out, bounded by the pickled size of the entries; thread-safe."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.revalidated = 0  # hits whose entry was older than the request's heads (cache_writes.py)

    def get(self, key: str) -> Any | None:
        with self._lock:
            data = self._entries.get(key)
            if data is None:
                return None
            self._entries.move_to_end(key)
        return pickle.loads(data)  # a fresh copy: callers add drill-down URLs to the rows they get

    def count(self, hit: bool, revalidated: bool = False) -> None:
        with self._lock:
            if hit:
                self.hits += 1
                self.revalidated += revalidated
            else:
                self.misses += 1

    def put(self, key: str, value: Any) -> None:
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        if len(data) > self.max_bytes // 4:  # one huge chart must not empty the cache for everyone else
            return
        with self._lock:
            old = self._entries.pop(key, None)
            self._size -= len(old) if old is not None else 0
            self._entries[key] = data
            self._size += len(data)
            while self._size > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    @property
    def size(self) -> int:
        return self._size


def attach(database: Database, max_bytes: int) -> ResultCache | None:
    """Every session of ``database`` caches chart rows in one cache (none when ``max_bytes`` is 0)."""
    return install(database, ResultCache(max_bytes) if max_bytes > 0 else None)


def install(database: Database, cache: ResultCache | None) -> ResultCache | None:
    """``cache`` (None: no cache) for every session of ``database`` from now on."""
    database.session_info[_CACHE] = cache
    return cache


def cache_of(session: Session) -> ResultCache | None:
    return session.info.get(_CACHE)


def data_version(session: Session) -> Heads | None:
    """The chain heads as this request's snapshot holds them, or None when the cache is off (read first,
    before any data: see the module's docstring)."""
    if cache_of(session) is None:
        return None
    rows = session.execute(select(AuditHead.id, AuditHead.seq, AuditHead.hash).order_by(AuditHead.id))
    return tuple((r[0], r[1], r[2]) for r in rows)


def _sql(session: Session, clause: ColumnElement[Any]) -> str:
    compiled = clause.compile(dialect=session.get_bind().dialect)
    return compiled.string + repr(sorted(compiled.params.items()))


def _charted(chart: Mapping[str, Any]) -> list[str]:
    names = [d["field"] for d in chart["dimensions"]] + [m["field"] for m in chart["measures"] if "field" in m]
    return names + ([chart["compare"]["field"]] if "compare" in chart else [])


@dataclass(frozen=True)
class Keyed:
    key: str
    tables: frozenset[str]  # what the chart's SQL reads: the writes that can change its rows


def chart_key(session: Session, chart: Mapping[str, Any], source: Source, where: list[ColumnElement[bool]],
              locale: str) -> Keyed | None:
    """The key of one chart's rows for this viewer and request; None where the figure itself must answer
    (a field the viewer may not read: its refusal is the figure's to give)."""
    try:
        require_fields(chart, source)
        clauses = [source.scope, *chart_where(chart, source), *where]
    except Exception:  # noqa: BLE001  (the uncached path raises the same error, with its message)
        return None
    # A column's SQL carries the related types' row scopes of a lookup or rollup, and "now" for a task's age
    # (so such a chart is computed afresh each time, as it must be).
    charted = [source.columns[name].expr for name in _charted(chart)]
    parts = [utcnow().date().isoformat(), locale, json.dumps(chart, sort_keys=True, default=str),
             source.kind, source.name, repr(sorted(source.columns)), repr(sorted(source.hidden)),
             *[_sql(session, c) for c in clauses], *[_sql(session, c) for c in charted]]
    # Every join the source may add: reading more tables than the query does only costs a hit, never a stale row.
    tables = tables_read([source.from_clause(set(source.columns)), *clauses, *charted])
    return Keyed(hashlib.sha256("\x1f".join(parts).encode()).hexdigest(), tables)


def lookup(session: Session, store: ResultCache, keyed: Keyed, version: Heads) -> Any | None:
    """The cached rows of ``keyed`` as of ``version`` (the request's heads), or None (a miss)."""
    entry = store.get(keyed.key)
    if entry is None:
        store.count(False)
        return None
    heads, body = entry
    if heads == version:
        store.count(True)
        return body
    if not still_valid(session, heads, version, keyed.tables):
        store.count(False)
        return None
    store.count(True, revalidated=True)
    store.put(keyed.key, (version, body))  # the next read at these heads needs no events
    return body


def remember(store: ResultCache, keyed: Keyed, version: Heads, body: Any) -> None:
    store.put(keyed.key, (version, body))
