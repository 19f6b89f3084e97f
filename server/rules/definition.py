"""A rule's JSON read strictly: its shape only. What it names (types, fields, processes, users,
connectors) is checked against the database by server/rules/checks.py.

    {"key": "stock_low", "name": "Stock below safety", "enabled": true,
     "trigger": {"type": "record", "recordType": "material", "on": ["updated"], "fields": ["stock"]},
     "condition": "record.stock < record.safety_stock", "edge": true,
     "rateLimit": {"runs": 100, "perMinutes": 1},
     "actions": [{"id": "start", "type": "start_process", "process": "purchase_request", ...}]}

A value in an action is literal, unless it is a string starting with '=': then it is a JEXL
expression over the run's context (README, "Rules").
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from server.errors import BadRequest

KEY = re.compile(r"[a-z][a-z0-9_]{0,59}", re.ASCII)
ACTION_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,59}", re.ASCII)
TOP_KEYS = frozenset({"key", "name", "description", "enabled", "trigger", "condition", "edge", "rateLimit",
                      "actions"})
RECORD_EVENTS = ("created", "updated", "deleted")
OVERDUE = "task.overdue"  # a user task still open past its due date (server/rules/overdue.py)
PROCESS_EVENTS = ("instance.started", "instance.completed", "instance.cancelled", "incident.created",
                  "task.created", "task.completed", OVERDUE)
TRIGGER_KEYS: dict[str, frozenset[str]] = {
    "record": frozenset({"type", "recordType", "on", "fields"}),
    "process": frozenset({"type", "process", "on"}),
    "schedule": frozenset({"type", "cron", "timezone", "start", "end", "count"}),
    "date": frozenset({"type", "recordType", "field", "offset", "unit"}),
    "manual": frozenset({"type", "recordType"}),
    "webhook": frozenset({"type"}),
}
UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
MAX_ACTIONS = 50
MAX_WAIT_MINUTES = 60 * 24 * 366


def overdue_key(task: Any) -> str:
    """One run per task and due date: a task whose due date moves later can be overdue again."""
    return f"overdue:{task.id}:{task.due_at.isoformat()}"


def expression_text(value: Any) -> str | None:
    """The JEXL of an '=' value, else None (a literal)."""
    return value[1:] if isinstance(value, str) and value.startswith("=") else None


def checksum(definition: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _refuse(message: str, field: str) -> BadRequest:
    return BadRequest(message, field=field)


def _text(raw: Mapping[str, Any], name: str, where: str, required: bool = True, limit: int = 255) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _refuse(f"{where}: '{name}' must be a non-empty string of at most {limit} characters", name)
    return value.strip()


def _names(raw: Mapping[str, Any], name: str, where: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    value = raw.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _refuse(f"{where}: '{name}' must be a list of names", name)
    if allowed is not None:
        bad = [v for v in value if v not in allowed]
        if bad:
            raise _refuse(f"{where}: '{name}' has {', '.join(bad)}; allowed: {', '.join(allowed)}", name)
    return list(dict.fromkeys(value))


def _unknown(raw: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    extra = sorted(set(raw) - known)
    if extra:
        raise _refuse(f"{where}: unknown key(s) {', '.join(extra)}", extra[0])


def read_trigger(raw: Any) -> dict[str, Any]:
    where = "trigger"
    if not isinstance(raw, Mapping):
        raise _refuse("trigger must be an object with a 'type'", "trigger")
    kind = raw.get("type")
    if kind not in TRIGGER_KEYS:
        raise _refuse(f"trigger type must be one of {', '.join(TRIGGER_KEYS)}", "trigger.type")
    _unknown(raw, TRIGGER_KEYS[kind], f"{where} ({kind})")
    trigger: dict[str, Any] = {"type": kind}
    if kind == "record":
        trigger["recordType"] = _text(raw, "recordType", where)
        trigger["on"] = _names(raw, "on", where, RECORD_EVENTS) or list(RECORD_EVENTS)
        trigger["fields"] = _names(raw, "fields", where)
        if trigger["fields"] and "updated" not in trigger["on"]:
            raise _refuse("trigger: 'fields' narrows updates; add 'updated' to 'on'", "trigger.fields")
    elif kind == "process":
        trigger["process"] = _text(raw, "process", where)
        trigger["on"] = _names(raw, "on", where, PROCESS_EVENTS)
        if not trigger["on"]:
            raise _refuse(f"trigger: 'on' must name some of {', '.join(PROCESS_EVENTS)}", "trigger.on")
    elif kind == "schedule":
        trigger["cron"] = _text(raw, "cron", where, limit=120)
        trigger["timezone"] = _text(raw, "timezone", where, required=False) or "UTC"
        for name in ("start", "end"):
            if raw.get(name) is not None:
                trigger[name] = _text(raw, name, where, limit=40)
        if raw.get("count") is not None:
            count = raw["count"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise _refuse("trigger: 'count' must be a positive whole number of runs", "trigger.count")
            trigger["count"] = count
    elif kind == "date":
        trigger["recordType"] = _text(raw, "recordType", where)
        trigger["field"] = _text(raw, "field", where, limit=63)
        offset = raw.get("offset", 0)
        if isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > 100_000:
            raise _refuse("trigger: 'offset' must be a whole number (negative: before the date)", "trigger.offset")
        unit = raw.get("unit", "days")
        if unit not in UNITS:
            raise _refuse(f"trigger: 'unit' must be one of {', '.join(UNITS)}", "trigger.unit")
        trigger.update(offset=offset, unit=unit)
    elif kind == "manual" and raw.get("recordType") is not None:
        trigger["recordType"] = _text(raw, "recordType", where)
    return trigger


def read_action(raw: Any, index: int, seen: set[str]) -> dict[str, Any]:
    from server.rules.actions import ACTIONS

    where = f"action {index + 1}"
    if not isinstance(raw, Mapping):
        raise _refuse(f"{where}: must be an object with 'type'", f"actions[{index}]")
    kind = raw.get("type")
    if kind not in ACTIONS:
        raise _refuse(f"{where}: type must be one of {', '.join(sorted(ACTIONS))}", f"actions[{index}].type")
    action_id = raw.get("id", f"{kind}_{index + 1}")
    if not isinstance(action_id, str) or not ACTION_ID.fullmatch(action_id):
        raise _refuse(f"{where}: 'id' must be a name (letters, digits, _)", f"actions[{index}].id")
    if action_id in seen:
        raise _refuse(f"{where}: id '{action_id}' is used twice", f"actions[{index}].id")
    seen.add(action_id)
    spec = ACTIONS[kind]
    _unknown(raw, spec.keys | {"id", "type"}, f"{where} ({action_id})")
    missing = sorted(k for k in spec.required if raw.get(k) is None)
    if missing:
        raise _refuse(f"{where} ({action_id}): needs {', '.join(missing)}", f"actions[{index}].{missing[0]}")
    return {**raw, "id": action_id, "type": kind}


def read_definition(raw: Any, key: str | None = None) -> dict[str, Any]:
    """The normalized definition, or a 400 naming the key that is wrong."""
    if isinstance(raw, Mapping) and set(raw) == {"rule"}:
        raw = raw["rule"]
    if not isinstance(raw, Mapping):
        raise _refuse("a rule must be a JSON object", "rule")
    _unknown(raw, TOP_KEYS, "rule")
    rule_key = raw.get("key", key)
    if not isinstance(rule_key, str) or not KEY.fullmatch(rule_key):
        raise _refuse("rule key must be lower case letters, digits and _ (at most 60), starting with a letter", "key")
    if key is not None and rule_key != key:
        raise _refuse(f"the body's key '{rule_key}' is not the key in the address '{key}'", "key")
    name = _text(raw, "name", "rule", required=False) or rule_key
    condition = raw.get("condition")
    if condition is not None and (not isinstance(condition, str) or not condition.strip()):
        raise _refuse("condition must be a JEXL expression (text) or absent", "condition")
    for flag in ("enabled", "edge"):
        if not isinstance(raw.get(flag, False), bool):
            raise _refuse(f"'{flag}' must be true or false", flag)
    actions = raw.get("actions")
    if not isinstance(actions, list) or not actions or len(actions) > MAX_ACTIONS:
        raise _refuse(f"actions must be a list of 1 to {MAX_ACTIONS} actions", "actions")
    seen: set[str] = set()
    definition: dict[str, Any] = {
        "key": rule_key, "name": name, "description": raw.get("description") or "",
        "enabled": raw.get("enabled", True), "trigger": read_trigger(raw.get("trigger")),
        "condition": condition.strip() if condition else None, "edge": raw.get("edge", False),
        "actions": [read_action(a, i, seen) for i, a in enumerate(actions)],
    }
    if not isinstance(definition["description"], str):
        raise _refuse("description must be text", "description")
    if definition["edge"] and definition["trigger"]["type"] != "record":
        raise _refuse("'edge' (only when the condition becomes true) needs a record trigger: it compares the "
                      "record before and after the change", "edge")
    if definition["edge"] and not definition["condition"]:
        raise _refuse("'edge' needs a condition", "edge")
    limit = raw.get("rateLimit")
    if limit is not None:
        if not isinstance(limit, Mapping) or set(limit) - {"runs", "perMinutes"} or not all(
                isinstance(limit.get(k), int) and not isinstance(limit.get(k), bool) and limit.get(k) > 0
                for k in ("runs", "perMinutes")):
            raise _refuse("rateLimit must be {\"runs\": N, \"perMinutes\": M} with positive whole numbers",
                          "rateLimit")
        definition["rateLimit"] = {"runs": limit["runs"], "perMinutes": limit["perMinutes"]}
    return definition
