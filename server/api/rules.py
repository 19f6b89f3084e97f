"""Rules over the API: each route translates HTTP into one server.rules call."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from server.api import api
from server.api.common import database, json_body, principal, reading, runner, writing
from server.api.openapi import ANY_OBJECT, BOOLEAN, INTEGER, STRING, Schema, nullable, obj, op, param, query, ref
from server.errors import BadRequest
from server.queries import QueryArgs
from server.rules import dry_run, service

KEY = param("key", "path", {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,59}$"}, "The rule's key")
RUN_ID = param("run_id", "path", {"type": "integer", "minimum": 1}, "The rule run's id")


def _config() -> Any:
    return current_app.config["BOMS"]


@api.get("/rules")
def list_rules() -> Any:
    who = principal()
    with reading() as session:
        return service.list_rules(session, who)


@api.post("/rules")
def create_rule() -> Any:
    who = principal()
    body = json_body()
    with writing() as session:
        answer, created = service.save(session, who, body)
    return answer, 201 if created else 200


@api.get("/rules/<key>")
def get_rule(key: str) -> Any:
    who = principal()
    with reading() as session:
        return service.get(session, who, key)


@api.put("/rules/<key>")
def put_rule(key: str) -> Any:
    who = principal()
    body = json_body()
    with writing() as session:
        answer, created = service.save(session, who, body, key)
    return answer, 201 if created else 200


@api.delete("/rules/<key>")
def delete_rule(key: str) -> Any:
    who = principal()
    with writing() as session:
        service.delete(session, who, key)
    return "", 204


@api.post("/rules/<key>/enable")
def enable_rule(key: str) -> Any:
    who = principal()
    with writing() as session:
        return service.set_enabled(session, who, key, True)


@api.post("/rules/<key>/disable")
def disable_rule(key: str) -> Any:
    who = principal()
    with writing() as session:
        return service.set_enabled(session, who, key, False)


@api.post("/rules/<key>/test")
def test_rule(key: str) -> Any:
    who = principal()
    body = json_body()
    return dry_run.test(database(), runner(), _config(), who, key, body)


@api.post("/rules/<key>/trigger")
def trigger_rule(key: str) -> Any:
    who = principal()
    body = json_body()
    with writing() as session:
        return service.trigger(session, _config(), who, key, body), 202


def _runs_args() -> tuple[str | None, int, int | None]:
    args = QueryArgs(request.args)
    unknown = sorted(set(request.args) - {"status", "limit", "before"})
    if unknown:
        raise BadRequest(f"unknown query parameter(s) {', '.join(unknown)}", field=unknown[0])
    return args.text("status") or None, args.integer("limit", 100, 1, 500), args.integer("before", None)


@api.get("/rules/<key>/runs")
def list_rule_runs(key: str) -> Any:
    who = principal()
    status, limit, before = _runs_args()
    with reading() as session:
        return service.list_runs(session, who, key, status, limit, before)


@api.get("/rule-runs")
def list_all_rule_runs() -> Any:
    who = principal()
    status, limit, before = _runs_args()
    with reading() as session:
        return service.list_runs(session, who, None, status, limit, before)


@api.get("/rule-runs/<run_id>")
def get_rule_run(run_id: str) -> Any:
    who = principal()
    with reading() as session:
        return service.get_run(session, who, run_id)


@api.post("/rule-runs/<run_id>/retry")
def retry_rule_run(run_id: str) -> Any:
    who = principal()
    with writing() as session:
        return service.retry(session, who, run_id), 202


@api.post("/hooks/<key>")
def rule_webhook(key: str) -> Any:
    raw = request.get_data(cache=True)
    with writing() as session:
        return service.webhook(session, _config(), key, raw, request.headers), 202


SCHEMAS: dict[str, Schema] = {
    "RuleDefinition": {**ANY_OBJECT, "description": "key, name, trigger {type: record|process|schedule|date|manual|"
                       "webhook, ...; process on: ... task.overdue}, condition (JEXL; $me where someone acts), edge, "
                       "rateLimit, actions [...; send_message: correlationKeys] (README, 'Rules')"},
    "Rule": {**ANY_OBJECT, "description": "The definition as saved, with version, enabled, createdAt, createdBy; "
             "webhookSecret for designers of a webhook rule"},
    "RuleList": obj({"items": {"type": "array", "items": obj({
        "key": STRING, "name": STRING, "version": INTEGER, "enabled": BOOLEAN, "trigger": ANY_OBJECT,
        "lastRunAt": nullable(STRING), "failures24h": INTEGER})}}),
    "RuleRun": obj({"id": INTEGER, "rule": STRING, "ruleVersion": INTEGER, "trigger": STRING, "eventKey": STRING,
                    "status": STRING, "depth": INTEGER, "chain": {"type": "array", "items": STRING},
                    "actor": STRING, "error": nullable(STRING), "failedAction": nullable(STRING),
                    "createdAt": STRING, "finishedAt": nullable(STRING),
                    "steps": {"type": "array", "items": ANY_OBJECT}, "context": ANY_OBJECT, "results": ANY_OBJECT},
                   optional=("steps", "context", "results")),
    "RuleRunPage": obj({"items": {"type": "array", "items": ref("RuleRun")}, "nextBefore": nullable(INTEGER)}),
    "RuleTest": obj({"record": ANY_OBJECT, "old": ANY_OBJECT, "recordId": INTEGER, "payload": ANY_OBJECT},
                    optional=("record", "old", "recordId", "payload")),
    "RuleTestResult": {**ANY_OBJECT, "description": "conditionMet, status, steps [{action, type, result|input, "
                       "note, ms}], error, failedAction; written: false"},
    "RuleTrigger": obj({"recordId": INTEGER, "recordIds": {"type": "array", "items": INTEGER},
                        "recordType": {**STRING, "description": "if given, must be the rule's record type"},
                        "payload": ANY_OBJECT}, optional=("recordId", "recordIds", "recordType", "payload")),
    "RuleTriggered": obj({"runs": {"type": "array", "items": INTEGER}, "conditionFalse": {"type": "array"}}),
    "WebhookAccepted": obj({"accepted": BOOLEAN, "run": nullable(INTEGER), "delivery": STRING}),
}


def _json(schema: str, required: bool = True) -> Schema:
    return {"required": required, "content": {"application/json": {"schema": ref(schema)}}}


def _unauthenticated(operation: Schema) -> Schema:
    """No bearer token: the HMAC signature is the caller's proof."""
    return {**operation, "security": []}


def paths() -> dict[str, dict[str, Any]]:
    saved = {201: ("A new version was saved", "Rule"), 200: ("Unchanged: the same as the latest version", "Rule")}
    runs_params = [query("status", "Only runs in this status (pending, running, waiting, done, stopped, failed, "
                         "limited)"), query("limit", "At most this many (1..500, default 100)", INTEGER),
                   query("before", "Runs with an id below this (the previous page's nextBefore)", INTEGER)]
    return {
        "/api/v1/rules": {
            "get": op("listRules", "rules", "Rules with their last run and failures in the last 24 h (admin, "
                      "modeler, auditor)", {200: ("The rules", "RuleList")}, (401, 403)),
            "post": op("createRule", "rules", "Save a rule (admin, modeler); checked against what it names", saved,
                       (400, 401, 403, 413, 422), request=_json("RuleDefinition")),
        },
        "/api/v1/rules/{key}": {
            "get": op("getRule", "rules", "A rule's latest version", {200: ("The rule", "Rule")}, (401, 403, 404),
                      [KEY]),
            "put": op("putRule", "rules", "Save a new version of a rule (admin, modeler)", saved,
                      (400, 401, 403, 413, 422), [KEY], request=_json("RuleDefinition")),
            "delete": op("deleteRule", "rules", "Delete a rule (its runs stay in the log)", {204: ("Deleted", {})},
                         (401, 403, 404), [KEY]),
        },
        "/api/v1/rules/{key}/enable": {"post": op("enableRule", "rules", "Enable a rule", {200: ("The rule", "Rule")},
                                                  (401, 403, 404), [KEY])},
        "/api/v1/rules/{key}/disable": {"post": op("disableRule", "rules", "Disable a rule",
                                                   {200: ("The rule", "Rule")}, (401, 403, 404), [KEY])},
        "/api/v1/rules/{key}/test": {"post": op(
            "testRule", "rules", "Dry run: what the rule would do with this record, step by step; writes nothing",
            {200: ("What would happen", "RuleTestResult")}, (401, 403, 404, 413, 422), [KEY],
            request=_json("RuleTest", required=False))},
        "/api/v1/rules/{key}/trigger": {"post": op(
            "triggerRule", "rules", "Run a rule now: designers any rule, for records or none; others an enabled manual "
            "rule for records they may update (audited as rule.triggered)",
            {202: ("Runs queued", "RuleTriggered")}, (401, 403, 404, 409, 413, 422), [KEY],
            request=_json("RuleTrigger", required=False))},
        "/api/v1/rules/{key}/runs": {"get": op("listRuleRuns", "rules", "A rule's runs, newest first",
                                               {200: ("Runs", "RuleRunPage")}, (401, 403, 404), [KEY, *runs_params])},
        "/api/v1/rule-runs": {"get": op("listAllRuleRuns", "rules", "Every rule's runs, newest first",
                                        {200: ("Runs", "RuleRunPage")}, (401, 403), runs_params)},
        "/api/v1/rule-runs/{run_id}": {"get": op("getRuleRun", "rules", "A run with its steps, inputs, results, "
                                                 "durations and error", {200: ("The run", "RuleRun")},
                                                 (401, 403, 404), [RUN_ID])},
        "/api/v1/rule-runs/{run_id}/retry": {"post": op(
            "retryRuleRun", "rules", "Run a failed run again from the action that failed",
            {202: ("Queued again", "RuleRun")}, (401, 403, 404, 409), [RUN_ID])},
        "/api/v1/hooks/{key}": {"post": _unauthenticated(op(
            "ruleWebhook", "rules", "Inbound webhook of a rule: verified by X-BOMS-Signature "
            "(sha256=HMAC-SHA256 of the raw body, hex, with the rule's webhookSecret); X-BOMS-Delivery makes a "
            "resent call run once", {202: ("Accepted", "WebhookAccepted")}, (401, 404, 409, 413, 422), [KEY],
            request={"required": False, "content": {"application/json": {"schema": ANY_OBJECT}}}))},
    }
