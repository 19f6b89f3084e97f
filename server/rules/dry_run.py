"""POST /rules/{key}/test: what the rule would do with this record, action by action, writing nothing.

The condition and every transactional action really run, in a transaction that is rolled back at the
end (so a created record shows its id and a query its rows, and nothing stays); external calls and
waits are described, not made. A record given inline (not saved) is acted on only in description.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from server.auth.permissions import Principal, require_role
from server.config import Config
from server.db import Database
from server.errors import BadRequest
from server.events import RuleRunStatus
from server.models import RuleRun
from server.records.types import latest as latest_type
from server.rules import store
from server.rules.context import ActionFailed, evaluate_value
from server.rules.executor import advance, step_for
from server.rules.manual import DESIGNERS, record_context
from server.rules.runs import matches


class _RollBack(Exception):
    pass


def _context(session: Session, who: Principal, rule: Any, body: dict[str, Any]) -> dict[str, Any]:
    if "recordId" in body:
        context = record_context(session, who, rule, body["recordId"])
    elif "record" in body:
        if not isinstance(body["record"], dict):
            raise BadRequest("record must be an object of field values", field="record")
        record = dict(body["record"])
        old = body.get("old")
        if old is not None and not isinstance(old, dict):
            raise BadRequest("old must be an object of field values", field="old")
        changed = sorted(k for k in record if old is None or old.get(k) != record.get(k))
        context = {"record": record, "old": {**record, **old} if old else None, "new": record, "changed": changed}
    else:
        context = {}
    payload = body.get("payload", {})
    if not isinstance(payload, dict):
        raise BadRequest("payload must be an object", field="payload")
    return {**context, "payload": payload, "actor": who.username}


def test(database: Database, runner: Any, config: Config, who: Principal, key: str,
         body: dict[str, Any]) -> dict[str, Any]:
    require_role(who, *DESIGNERS)
    answer: dict[str, Any] = {}
    try:
        with database.write() as session:
            rule = store.require(session, key)
            context = _context(session, who, rule, body)
            trigger = rule.definition["trigger"]
            type_row = latest_type(session, trigger["recordType"]) if trigger.get("recordType") else None
            ok, error = matches(rule, context, type_row.definition if type_row else None)
            answer.update(rule=key, version=rule.version, condition=rule.definition.get("condition"),
                          conditionMet=ok, steps=[])
            if error is not None:
                answer.update(status=RuleRunStatus.FAILED, error=f"condition: {error}")
            elif ok:
                _actions(session, runner, config, rule, context, answer)
            else:
                answer["status"] = "not matched"
            raise _RollBack
    except _RollBack:
        pass
    answer["written"] = False
    return answer


def _actions(session: Session, runner: Any, config: Config, rule: Any, context: dict[str, Any],
             answer: dict[str, Any]) -> None:
    run = RuleRun(id=None, rule_key=rule.key, rule_version=rule.version, context=context, cursor=0, steps=[],
                  results={}, chain=[], depth=0, status=RuleRunStatus.RUNNING)
    step = step_for(session, runner, config, rule, run, dry=True)
    inline = "id" not in (context.get("record") or {"id": None})
    actions = rule.definition["actions"]
    started = time.perf_counter()
    try:
        if inline:
            _describe_inline(step, run, actions)
        else:
            advance(session, step, rule, run)
        answer["status"] = run.status
    except ActionFailed as exc:
        answer.update(status=RuleRunStatus.FAILED, failedAction=exc.action, error=exc.message, input=exc.given)
    answer["steps"] = run.steps
    answer["ms"] = round((time.perf_counter() - started) * 1000, 2)


def _describe_inline(step: Any, run: RuleRun, actions: list[dict[str, Any]]) -> None:
    """A record that is not saved: describe each action with its evaluated input."""
    for action in actions:
        step.action = action
        given = {k: evaluate_value(v, step.scope, action["id"]) for k, v in action.items() if k not in ("id", "type")}
        run.steps = [*run.steps, {"action": action["id"], "type": action["type"], "input": given,
                                  "note": "would run (the record is not saved, so nothing is tried)"}]
        if action["type"] == "stop_if":
            from server.rules.actions import stop_if

            if stop_if(step)["stop"]:
                run.status = RuleRunStatus.STOPPED
                return
    run.status = RuleRunStatus.DONE
