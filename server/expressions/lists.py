"""A field holding a list, as the filter compiler (server/expressions/sql.py) sees it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.sql.elements import ColumnElement


@dataclass(frozen=True)
class ListColumn:
    """A field holding a list (multi-select options, users, the ids of related records). A filter tests what
    it holds: ``'red' in tags`` (fails on null, as in Python), ``tags|contains('red')``,
    ``tags|containsAny(['red', 'blue'])``, ``tags|containsAll([...])`` (null holds nothing), ``tags == null``."""

    item_kind: str  # "string" or "number": what the list holds
    has: Callable[[Any], ColumnElement[bool]]  # never null: the list holds this constant
    present: ColumnElement[bool]  # the field is not null
