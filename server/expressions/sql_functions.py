"""SQL for the filter compiler whose spelling differs by dialect, with Python's meaning on each.

Python compares and searches strings by code point. SQLite's default BINARY collation compares
UTF-8 bytes, which orders exactly like code points; PostgreSQL orders by the database's collation
(`en_US` puts 'a' before 'B'), so ordering there uses `COLLATE "C"` (bytes again). Substring tests
use `instr`/`strpos`, not LIKE: SQLite's LIKE ignores ASCII case, and LIKE needs escaping.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class by_code_point(FunctionElement[str]):  # noqa: N801 - SQLAlchemy's convention for SQL functions
    """``text`` ordered by code point on every dialect."""

    type = String()
    name = "by_code_point"
    inherit_cache = True


class text_contains(FunctionElement[bool]):  # noqa: N801
    """``part`` occurs in ``text`` (case-sensitive); both arguments non-null."""

    type = Boolean()
    name = "text_contains"
    inherit_cache = True


class text_ends_with(FunctionElement[bool]):  # noqa: N801
    """``text`` ends with ``suffix`` of ``length`` characters (length > 0)."""

    type = Boolean()
    name = "text_ends_with"
    inherit_cache = True


def _args(element: Any, compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(by_code_point)
def _by_code_point(element: Any, compiler: Any, **kw: Any) -> str:
    return f"({_args(element, compiler, **kw)[0]})"


@compiles(by_code_point, "sqlite")
def _by_code_point_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"({_args(element, compiler, **kw)[0]}) COLLATE BINARY"


@compiles(by_code_point, "postgresql")
def _by_code_point_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f'({_args(element, compiler, **kw)[0]}) COLLATE "C"'


@compiles(text_contains)
def _contains(element: Any, compiler: Any, **kw: Any) -> str:
    text, part = _args(element, compiler, **kw)
    return f"(instr({text}, {part}) > 0)"


@compiles(text_contains, "postgresql")
def _contains_pg(element: Any, compiler: Any, **kw: Any) -> str:
    text, part = _args(element, compiler, **kw)
    return f"(strpos({text}, {part}) > 0)"


@compiles(text_ends_with)
def _ends_with(element: Any, compiler: Any, **kw: Any) -> str:
    text, suffix, length = _args(element, compiler, **kw)
    return f"(substr({text}, -{length}) = {suffix})"


@compiles(text_ends_with, "postgresql")
def _ends_with_pg(element: Any, compiler: Any, **kw: Any) -> str:
    text, suffix, length = _args(element, compiler, **kw)
    return f"(right({text}, {length}) = {suffix})"


class json_list_has(FunctionElement[bool]):  # noqa: N801
    """A JSON list column holds ``item`` (given as its JSON text, ``'"red"'``); null when the column is."""

    type = Boolean()
    name = "json_list_has"
    inherit_cache = True


@compiles(json_list_has)
def _json_list_has(element: Any, compiler: Any, **kw: Any) -> str:
    column, item = _args(element, compiler, **kw)
    return f"EXISTS (SELECT 1 FROM json_each({column}) AS item WHERE item.value = json_extract({item}, '$'))"


@compiles(json_list_has, "postgresql")
def _json_list_has_pg(element: Any, compiler: Any, **kw: Any) -> str:
    column, item = _args(element, compiler, **kw)
    return f"(CAST({column} AS JSONB) @> jsonb_build_array(CAST({item} AS JSONB)))"
