"""Sorting from a whitelist: `sort=created`, `sort=-created` (descending), always ended by a unique column.

The tie-breaker makes the order total, so offset pages never repeat or skip a row between requests and a
keyset cursor (server/queries/paging.py) can say exactly where a page ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute

from server.errors import BadRequest


@dataclass(frozen=True)
class SortKey:
    """One sortable column. A nullable column sorts its NULLs last in both directions."""

    column: InstrumentedAttribute[Any]
    nullable: bool = False

    @property
    def attribute(self) -> str:
        return self.column.key


def _nullable(attribute: InstrumentedAttribute[Any]) -> bool:
    return any(column.nullable for column in attribute.property.columns)


class Sorting:
    """The sort keys a list offers, by public name, and the unique column that breaks ties (ascending)."""

    def __init__(self, keys: dict[str, SortKey | InstrumentedAttribute[Any]], tiebreaker: InstrumentedAttribute[Any],
                 default: str) -> None:
        self.keys = {name: key if isinstance(key, SortKey) else SortKey(key, _nullable(key))
                     for name, key in keys.items()}
        self.tiebreaker = SortKey(tiebreaker)
        self.default = default
        self.order(default)  # a typo in the default fails at import, not on a request

    def names(self) -> list[str]:
        """Every accepted value of the sort argument, ascending and descending."""
        return [f"{sign}{name}" for name in self.keys for sign in ("", "-")]

    def order(self, text: str | None, descending: bool | None = None, field: str = "sort") -> Order:
        """`name` or `-name`; `descending` (e.g. from `order=desc`) overrides the sign when given."""
        text = self.default if text in (None, "") else text
        name = text.removeprefix("-")
        if name not in self.keys:
            raise BadRequest(f"{field} must be one of {', '.join(self.names())}", field=field)
        return Order(self, name, text.startswith("-") if descending is None else descending)


@dataclass(frozen=True)
class Order:
    sorting: Sorting
    name: str
    descending: bool

    @property
    def token(self) -> str:
        return ("-" if self.descending else "") + self.name

    def sort_keys(self) -> list[tuple[SortKey, bool]]:
        """(key, descending) from first to last; the tie-breaker always ascending (as the lists always were)."""
        key = self.sorting.keys[self.name]
        if key.column is self.sorting.tiebreaker.column:
            return [(key, self.descending)]
        return [(key, self.descending), (self.sorting.tiebreaker, False)]

    def clauses(self) -> list[ColumnElement[Any]]:
        """ORDER BY clauses."""
        result = []
        for key, descending in self.sort_keys():
            clause = key.column.desc() if descending else key.column.asc()
            result.append(clause.nulls_last() if key.nullable else clause)
        return result
