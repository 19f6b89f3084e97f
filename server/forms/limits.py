"""Limits on values that enter an instance, a decision or a record: depth, size, and what a database can store.

Every entry point (API start/complete/variables, HTML forms, messages, signals, connector results,
decision inputs, record values) calls `check_variables` or `check_value` before the value reaches the
engine or the database. Why each limit exists:
- depth: SpiffWorkflow's deserializer recurses several frames per nesting level; a value nested a few
  hundred levels deep saved fine and then made every later load of the instance raise RecursionError;
- size: the whole state is rewritten on every step, so one huge value slows every later step;
- NUL characters: PostgreSQL cannot store U+0000 in text or JSON (SQLite can: refuse them on both);
- lone surrogates: not encodable as UTF-8, so the audit hash and the database driver fail on them;
- NaN and Infinity: not JSON; PostgreSQL's JSON types refuse them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from server.errors import BomsError, DeployError, ValueRefused
from server.forms.validation import FieldMessage

MAX_DEPTH = 32  # nesting levels of one value (a scalar is depth 0, {"a": 1} is depth 1)
MAX_BYTES = 1_000_000  # serialized JSON of all the variables of one request
MAX_STRING = 100_000  # characters of one string
MAX_KEYS = 1_000  # keys of one object
MAX_ITEMS = 10_000  # items of one list
MAX_KEY_LENGTH = 255  # characters of one object key (a variable name)
MAX_BUSINESS_KEY = 255  # the column's length on every database
MAX_DB_INTEGER = 2**31 - 1  # an INTEGER column (ids, version numbers) on PostgreSQL


def _text_problem(text: str) -> tuple[str, str] | None:
    """(code, English text) if `text` cannot be stored as it is, else None."""
    if "\x00" in text:
        return "nul_character", "must not contain NUL characters (U+0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "lone_surrogate", "must not contain lone surrogates (U+D800 to U+DFFF) — not valid Unicode"
    return None


def text_problem(text: str) -> str | None:
    """The English reason `text` cannot be stored (NUL, lone surrogate), or None: for ids and query values."""
    problem = _text_problem(text)
    return problem[1] if problem else None


def _refuse(path: str, code: str, text: str, **params: Any) -> ValueRefused:
    # Variables are named by their own path ("amount", "items.0.price"), as form errors are; a problem
    # with the set of them as a whole (a bad name at the top) is the field "variables".
    return ValueRefused(path or "variables", FieldMessage(text, code, params))


def _join(path: str, part: str | int) -> str:
    return f"{path}.{part}" if path else str(part)


def check_value(value: Any, field_path: str, max_depth: int = MAX_DEPTH) -> None:
    """Refuse (422, naming `field_path` and below) a value nested too deeply, too large, or not storable.

    Walks without recursion, so a value nested deeper than Python's stack is refused rather than crashing.
    """
    stack: list[tuple[Any, str, int]] = [(value, field_path, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if len(item) > MAX_STRING:
                raise _refuse(path, "string_too_long", f"must be at most {MAX_STRING} characters", value=MAX_STRING)
            problem = _text_problem(item)
            if problem:
                raise _refuse(path, *problem)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise _refuse(path, "not_finite", "must be a finite number (NaN and Infinity are not JSON)")
        elif isinstance(item, Mapping | list | tuple):
            if depth >= max_depth:
                raise _refuse(path, "too_deep", f"is nested more than {max_depth} levels deep", value=max_depth)
            if isinstance(item, Mapping):
                if len(item) > MAX_KEYS:
                    raise _refuse(path, "too_many_keys", f"must have at most {MAX_KEYS} keys", value=MAX_KEYS)
                for key, child in item.items():
                    key_path = _join(path, key)
                    if not isinstance(key, str):
                        raise _refuse(key_path, "other", "keys must be strings")
                    if len(key) > MAX_KEY_LENGTH:
                        raise _refuse(path, "key_too_long", f"keys must be at most {MAX_KEY_LENGTH} characters",
                                      value=MAX_KEY_LENGTH)
                    problem = _text_problem(key)
                    if problem:
                        raise _refuse(path, problem[0], "keys " + problem[1])
                    stack.append((child, key_path, depth + 1))
            else:
                if len(item) > MAX_ITEMS:
                    raise _refuse(path, "too_many_items", f"must have at most {MAX_ITEMS} items", value=MAX_ITEMS)
                stack.extend((child, _join(path, index), depth + 1) for index, child in enumerate(item))


def check_variables(variables: Mapping[str, Any], field_path: str = "") -> None:
    """`check_value` for each variable (the path is the variable's name), then the size of them all."""
    if len(variables) > MAX_KEYS:
        raise _refuse(field_path, "too_many_keys", f"must have at most {MAX_KEYS} keys", value=MAX_KEYS)
    for name, value in variables.items():
        check_value({name: None}, field_path)  # the name itself
        check_value(value, _join(field_path, name))
    size = len(json.dumps(variables, separators=(",", ":"), ensure_ascii=False, default=str).encode())
    if size > MAX_BYTES:
        name = max(variables, key=lambda k: len(json.dumps(variables[k], ensure_ascii=False, default=str)))
        raise _refuse(_join(field_path, name), "too_large",
                      f"the variables take {size} bytes as JSON; at most {MAX_BYTES} are accepted",
                      value=MAX_BYTES)


def check_body(body: Mapping[str, Any]) -> None:
    """A JSON request body: `variables` as `check_variables` does, every other member as a value."""
    for key, value in body.items():
        if key == "variables" and isinstance(value, Mapping):
            check_variables(value)
        else:
            check_value({key: None}, "")
            check_value(value, key)


def check_business_key(value: str | None, field: str = "businessKey") -> None:
    if value is None:
        return
    if len(value) > MAX_BUSINESS_KEY:
        raise _refuse(field, "maxLength", f"must be at most {MAX_BUSINESS_KEY} characters", value=MAX_BUSINESS_KEY)
    check_value(value, field)


def read_json_file(name: str, content: bytes, label: str) -> Any:
    """A deployed JSON file's content, storable as `check_value` requires; else a DeployError naming the file."""
    try:
        raw = json.loads(content)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DeployError(f"{name}: not valid JSON: {exc}", file=name) from None
    except RecursionError:
        raise DeployError(f"{name}: nested too deeply", file=name) from None
    try:
        check_value(raw, label)  # NUL characters, lone surrogates, depth: what the API's body check does
    except BomsError as exc:
        raise DeployError(f"{name}: {exc.message}", file=name, **exc.details) from None
    return raw
