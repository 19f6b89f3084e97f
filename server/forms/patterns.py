"""Regular expressions from forms (JSON-Schema `pattern`, `patternProperties`) on RE2, a linear-time engine.

Python's `re` backtracks: `^(a+)+$` against 27 characters takes seconds and doubles per character, so a
form could stall a worker. RE2 never backtracks; the price is that it lacks look-around and
back-references, so a pattern using them is refused at deploy (naming the field) instead of being run
on an engine that can explode. JSON Schema's meaning is kept: a pattern *searches* (it is not anchored).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import re2

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # a refused pattern is reported to the modeller, not to stderr


class PatternError(ValueError):
    """A pattern RE2 cannot run; `field` is the field path once known."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.field = message, field


@lru_cache(maxsize=1024)
def compiled(pattern: str) -> Any:
    try:
        return re2.compile(pattern, _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(f"pattern {pattern!r} cannot be used: {detail} (look-around and back-references "
                           "are not supported)") from None


@lru_cache(maxsize=1024)
def _finder(pattern: str) -> Any:
    # A one-pattern RE2 set answers only "does it match anywhere": the wrapper's search would also turn every
    # group's byte offsets back into character offsets, most of the cost of checking a short value.
    compiled(pattern)  # refuses what RE2 cannot run, with the message
    found = re2.Set.SearchSet(_OPTIONS)
    found.Add(pattern)
    found.Compile()
    return found


def search(pattern: str, text: str) -> bool:
    return _finder(pattern).Match(text) is not None


def _schemas(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every (sub)schema in `node` with its field path (property names, `items`, ...)."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _schemas(item, (*path, str(index)))
        return
    if not isinstance(node, dict):
        return
    yield path, node
    for key, value in node.items():
        if key in ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas"):
            if isinstance(value, dict):
                for name, sub in value.items():
                    yield from _schemas(sub, (*path, name))
        elif key not in ("enum", "const", "default", "examples", "required") and isinstance(value, dict | list):
            yield from _schemas(value, (*path, key))


def check_patterns(schema: Any, source: str) -> None:
    """Refuse a schema whose patterns RE2 cannot run, naming the field (PatternError)."""
    uses_pattern_properties = False
    for path, node in _schemas(schema):
        field = ".".join(path) or source
        patterns = [node["pattern"]] if isinstance(node.get("pattern"), str) else []
        if isinstance(node.get("patternProperties"), dict):
            uses_pattern_properties = True
            patterns += list(node["patternProperties"])
        for pattern in patterns:
            try:
                compiled(pattern)
            except PatternError as exc:
                raise PatternError(exc.message, field) from None
        if "unevaluatedProperties" in node and uses_pattern_properties:
            # jsonschema evaluates patternProperties for this keyword with Python's re itself.
            raise PatternError("unevaluatedProperties cannot be combined with patternProperties", field)


def pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema import ValidationError

    if validator.is_type(instance, "string") and not search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def pattern_properties_keyword(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        for key, value in instance.items():
            if search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


def additional_properties_keyword(base: Any) -> Any:
    """jsonschema's additionalProperties, with the keys patternProperties claims found by RE2."""
    original = base.VALIDATORS["additionalProperties"]

    def keyword(validator: Any, allowed: Any, instance: Any, schema: Any) -> Iterator[Any]:
        patterns = schema.get("patternProperties") or {}
        if patterns and validator.is_type(instance, "object"):
            claimed = {key for key in instance if any(search(p, key) for p in patterns)}
            schema = {**{k: v for k, v in schema.items() if k != "patternProperties"},
                      "properties": {**(schema.get("properties") or {}), **dict.fromkeys(claimed, True)}}
        yield from original(validator, allowed, instance, schema)

    return keyword
