"""Syntax trees of filters, parsed once per text: a list's filter comes again with every page it is read by
(parsing it is most of the CPU a filter costs), and the SQL compiler only reads the tree."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from server.expressions import jexl


@lru_cache(maxsize=1024)
def filter_tree(text: str) -> Any:
    jexl.compile_expression(text)  # syntax, depth and constant bounds, with the usual messages
    return jexl.parse(text)
