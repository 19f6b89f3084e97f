"""Plain Python checks for the simplest property schemas a record type draws (text with a length and a
pattern, whole numbers with bounds, options, booleans), so a batch's unique values (codes, names, amounts)
are not each walked through jsonschema.

Each check only ever says "passes" when jsonschema would: anything it does not recognise, it leaves to the
compiled validator (``quick(...) or slow(...)``), so the messages and the edge cases (5.0 is an integer to
JSON Schema) stay the validator's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from server.forms.patterns import search

Check = Callable[[Any], bool]
_ANNOTATIONS = frozenset({"title", "description", "$comment", "default", "examples"})


def _checked(prop: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in prop.items() if k not in _ANNOTATIONS and not k.startswith("x-")}


def _text(rules: dict[str, Any]) -> Check | None:
    if rules.get("format") == "decimal":  # no format checker knows it: for jsonschema a mere annotation
        rules = {k: v for k, v in rules.items() if k != "format"}
    if not set(rules) <= {"type", "maxLength", "minLength", "pattern"}:
        return None
    low, high, pattern = rules.get("minLength", 0), rules.get("maxLength"), rules.get("pattern")
    if not isinstance(low, int) or not (high is None or isinstance(high, int)) or not (
            pattern is None or isinstance(pattern, str)):
        return None

    def check(value: Any) -> bool:
        # len() counts code points, as JSON Schema's lengths do
        return type(value) is str and low <= len(value) and (high is None or len(value) <= high) and (
            pattern is None or search(pattern, value))
    return check


def _integer(rules: dict[str, Any]) -> Check | None:
    if not set(rules) <= {"type", "minimum", "maximum"}:
        return None
    low, high = rules.get("minimum"), rules.get("maximum")
    if not all(bound is None or type(bound) is int for bound in (low, high)):
        return None
    return lambda value: type(value) is int and (low is None or value >= low) and (high is None or value <= high)


def quick_check(prop: Any) -> Check | None:
    """A check passing only values that ``prop`` accepts, or None when ``prop`` is not that simple."""
    if not isinstance(prop, Mapping):
        return None
    rules = _checked(prop)
    kind = rules.get("type")
    if kind == "string" and set(rules) == {"type", "enum"} and isinstance(rules["enum"], list):
        options = frozenset(o for o in rules["enum"] if isinstance(o, str))
        return lambda value: type(value) is str and value in options
    if kind == "string":
        return _text(rules)
    if kind == "integer":
        return _integer(rules)
    if kind == "boolean" and set(rules) == {"type"}:
        return lambda value: type(value) is bool
    return None
