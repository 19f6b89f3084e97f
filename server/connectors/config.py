"""Read a service task's connector configuration from the BPMN, at deploy time.

The modelers BOMS accepts write it in three ways; all become one JSON-serializable dict, stored
as `ProcessVersion.elements[element_id]["service"]`:

    {"connector": "http",
     "params": {"url": <value>, ...},          values as in server.connectors.values
     "locals": [[name, <value>], ...],         Camunda task-level inputs, visible to the params
     "outputs": [[variable, <value>], ...],    evaluated over variables + locals + the result
     "resultVariable": "response" | None,      the whole result into one variable
     "resultAliases": {"statusCode": "status"} names a dialect uses for result fields
     "retry": {"maxAttempts": 4, "delays": [10.0]} | None}

- Camunda 7 connector: <camunda:connector> with connectorId and its own camunda:inputOutput.
- Camunda 7 external task: camunda:type="external" camunda:topic="http"; the topic names the
  connector and the task-level camunda:inputOutput holds the parameters and outputs.
- SpiffArena: <spiffworkflow:serviceTaskOperator id="http/GetRequest" resultVariable="r"> with
  <spiffworkflow:parameter id|name="url" value="'https://...'"/>; values are expressions.
Camunda's camunda:failedJobRetryTimeCycle sets the retries.  Anything that cannot work (an unknown
connector, a missing or malformed parameter, a bad expression or retry cycle) is a DeployError.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from server.connectors import UnknownConnector, is_registered, registration
from server.connectors.retry import DEFAULT_RETRY, RetryCycleError, parse_retry_cycle
from server.connectors.values import ValueSpec, ValueSpecError, check, expression, literal, parse_text
from server.engine.implementations import KIND_NAMES, expression_of, implementation
from server.engine.parser import BPMN_NS, CAMUNDA_NS, SPIFF_NS
from server.errors import DeployError
from server.expressions import ExpressionError, compile_expression

NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS}
# Names other tools use for BOMS's connectors.
CONNECTOR_ALIASES = {"http-connector": "http"}
CAMUNDA_HTTP_PARAMS = {"payload": "body"}
CAMUNDA_HTTP_RESULT = {"statusCode": "status", "response": "body"}
SPIFF_HTTP_OPERATOR = re.compile(r"http/(Get|Post|Put|Patch|Delete|Head)Request", re.IGNORECASE)
SPIFF_HTTP_PARAMS = {"params": "query", "data": "body", "json": "body",
                     "basic_auth_username": "username", "basic_auth_password": "password"}
JAVA_ATTRIBUTES = ("class", "expression", "delegateExpression")


class _ConfigError(Exception):
    def __init__(self, message: str, node: etree._Element | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.node, self.field = message, node, field


def read_service_config(node: etree._Element, file_name: str = "") -> dict[str, Any] | None:
    """The connector configuration of a service task (or of a send task or message event with a
    Camunda implementation, which run the same way), or None for one that calls nothing."""
    impl = implementation(node)
    if impl is None:
        return None
    try:
        config = _read(node, impl)
        if config is not None:
            _validate(config)
        return config
    except _ConfigError as exc:
        element, line = node.get("id"), (exc.node if exc.node is not None else impl).sourceline
        where = f"{file_name}: " if file_name else ""
        details: dict[str, Any] = {"file": file_name or None, "element": element, "line": line}
        if exc.field:
            details["field"] = exc.field
        kind = KIND_NAMES[etree.QName(node).localname]
        raise DeployError(f"{where}{kind} '{element}' (line {line}): {exc.message}", **details) from None


def _read(node: etree._Element, impl: etree._Element) -> dict[str, Any] | None:
    if expression_of(node) is not None:
        return _expression_task(node)
    if impl.get(f"{{{CAMUNDA_NS}}}expression"):
        raise _ConfigError("camunda:expression runs on service and send tasks only; on a message event, "
                           "put the expression on a service task before it")
    for attr in JAVA_ATTRIBUTES:
        if impl.get(f"{{{CAMUNDA_NS}}}{attr}"):
            raise _ConfigError(f"camunda:{attr} names Java code, which BOMS cannot run; use a connector "
                               "(camunda:connector, camunda:type=\"external\" with a topic, or a SpiffArena operator)")
    connector = _first(impl, "./bpmn:extensionElements/camunda:connector")
    if connector is None:
        connector = _first(node, "./bpmn:extensionElements/camunda:connector")
    operator = _first(node, "./bpmn:extensionElements/spiffworkflow:serviceTaskOperator")
    task_type = impl.get(f"{{{CAMUNDA_NS}}}type")
    if connector is not None:
        config = _camunda_connector(node, connector)
    elif operator is not None:
        config = _spiff_operator(operator)
    elif task_type is not None:
        config = _camunda_external(node, impl, task_type)
    elif impl.get(f"{{{CAMUNDA_NS}}}topic"):
        raise _ConfigError("camunda:topic without camunda:type=\"external\" calls nothing")
    else:
        return None
    config.setdefault("retry", _retry(node))
    return config


def _expression_task(node: etree._Element) -> None:
    """A task evaluated by the engine (server/engine/expression_tasks.py): it calls no connector, so it
    takes nothing else that says what to call."""
    expression = expression_of(node) or ""
    for attr in ("class", "delegateExpression", "type", "topic"):
        if node.get(f"{{{CAMUNDA_NS}}}{attr}"):
            raise _ConfigError(f"give the implementation once: camunda:expression or camunda:{attr}")
    if _first(node, "./bpmn:extensionElements/camunda:connector") is not None \
            or _first(node, "./bpmn:extensionElements/spiffworkflow:serviceTaskOperator") is not None:
        raise _ConfigError("give the implementation once: camunda:expression or a connector")
    try:
        compile_expression(expression)
    except ExpressionError as exc:
        raise _ConfigError(f"camunda:expression is not a valid expression: {exc}", field="expression") from None
    return None


def _first(node: etree._Element, path: str) -> etree._Element | None:
    found = node.xpath(path, namespaces=NS)
    return found[0] if found else None


def _connector_name(name: str | None, source: etree._Element, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise _ConfigError(f"{what} is empty: name the connector to call", source)
    return CONNECTOR_ALIASES.get(name, name)


def _camunda_value(node: etree._Element) -> ValueSpec:
    children = [c for c in node if isinstance(c.tag, str)]
    if not children:
        return parse_text(node.text) if node.text and node.text.strip() else {"value": None}
    child, kind = children[0], etree.QName(children[0]).localname
    if kind == "map":
        entries = {}
        for entry in child.xpath("./camunda:entry", namespaces=NS):
            if not entry.get("key"):
                raise _ConfigError("a camunda:entry has no key", entry)
            entries[entry.get("key")] = _camunda_value(entry)
        return {"map": entries}
    if kind == "list":
        return {"list": [_camunda_value(value) for value in child.xpath("./camunda:value", namespaces=NS)]}
    if kind == "script":
        raise _ConfigError(f"parameter '{node.get('name')}' is a script; scripts do not run here, "
                           "use an expression such as ${amount * 2}", child, node.get("name"))
    raise _ConfigError(f"parameter '{node.get('name')}' has an unsupported value <{child.tag}>", child)


def _io(parent: etree._Element, kind: str) -> list[tuple[str, ValueSpec, etree._Element]]:
    """Input or output parameters of a camunda:connector, or of the task itself."""
    base = "." if etree.QName(parent).namespace == CAMUNDA_NS else "./bpmn:extensionElements"
    result = []
    for param in parent.xpath(f"{base}/camunda:inputOutput/camunda:{kind}", namespaces=NS):
        name = (param.get("name") or "").strip()
        if not name:
            raise _ConfigError(f"a camunda:{kind} has no name", param)
        try:
            result.append((name, _camunda_value(param), param))
        except ValueSpecError as exc:
            raise _ConfigError(f"parameter '{name}': {exc}", param, name) from None
    return result


def _camunda_connector(task: etree._Element, connector: etree._Element) -> dict[str, Any]:
    id_node = _first(connector, "./camunda:connectorId")
    name = _connector_name(id_node.text if id_node is not None else None, connector, "camunda:connectorId")
    renames = CAMUNDA_HTTP_PARAMS if name == "http" else {}
    config = {
        "connector": name,
        "params": {renames.get(n, n): spec for n, spec, _ in _io(connector, "inputParameter")},
        "locals": [[n, spec] for n, spec, _ in _io(task, "inputParameter")],
        "outputs": [[n, spec] for n, spec, _ in _io(connector, "outputParameter") + _io(task, "outputParameter")],
        "resultVariable": None,
    }
    if name == "http":
        config["resultAliases"] = CAMUNDA_HTTP_RESULT
    return config


def _camunda_external(task: etree._Element, impl: etree._Element, task_type: str) -> dict[str, Any]:
    if task_type != "external":
        raise _ConfigError(f"camunda:type=\"{task_type}\" is not supported; use camunda:type=\"external\" "
                           "with a camunda:topic naming a connector")
    name = _connector_name(impl.get(f"{{{CAMUNDA_NS}}}topic"), impl, "camunda:topic")
    if "${" in name or "#{" in name:
        raise _ConfigError(f"camunda:topic '{name}' must be a name, not an expression")
    if not is_registered(name):
        return _external_task(task, name)
    return {
        "connector": name,
        "params": {n: spec for n, spec, _ in _io(task, "inputParameter")},
        "locals": [],
        "outputs": [[n, spec] for n, spec, _ in _io(task, "outputParameter")],
        "resultVariable": None,
        "resultAliases": CAMUNDA_HTTP_RESULT if name == "http" else {},
    }


def _external_task(task: etree._Element, topic: str) -> dict[str, Any]:
    """A topic no BOMS connector serves: an external task that outside workers fetch and lock
    (server/services/external_tasks.py). Input parameters are the variables the worker sees besides the
    process's; output parameters map what it completes with back to process variables."""
    cycle = _first(task, "./bpmn:extensionElements/camunda:failedJobRetryTimeCycle")
    if cycle is not None:
        raise _ConfigError("camunda:failedJobRetryTimeCycle has no effect on an external task (its worker "
                           "sets retries and retryTimeout when it reports a failure); remove it", cycle)
    properties = {p.get("name"): p.get("value") or "" for p in
                  task.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
                  if p.get("name")}
    return {"external": True, "topic": topic, "connector": None, "params": {},
            "locals": [[n, spec] for n, spec, _ in _io(task, "inputParameter")],
            "outputs": [[n, spec] for n, spec, _ in _io(task, "outputParameter")],
            "resultVariable": None, "properties": properties, "retry": None}


def _spiff_operator(operator: etree._Element) -> dict[str, Any]:
    operator_id = (operator.get("id") or "").strip()
    http = SPIFF_HTTP_OPERATOR.fullmatch(operator_id)
    name = "http" if http else _connector_name(operator_id, operator, "the serviceTaskOperator id")
    params: dict[str, ValueSpec] = {"method": {"value": http.group(1).upper()}} if http else {}
    retry = None
    for param in operator.xpath("./spiffworkflow:parameters/spiffworkflow:parameter", namespaces=NS):
        param_name = (param.get("id") or param.get("name") or "").strip()
        value = (param.get("value") or "").strip()
        if not param_name:
            raise _ConfigError("a spiffworkflow:parameter has no id", param)
        if not value:
            continue  # SpiffArena leaves optional parameters empty
        if http and param_name == "attempts":
            retry = _spiff_attempts(value, param)
            continue
        params[SPIFF_HTTP_PARAMS.get(param_name, param_name) if http else param_name] = _spiff_value(value)
    result_variable = (operator.get("resultVariable") or "").strip() or None
    config: dict[str, Any] = {"connector": name, "params": params, "locals": [], "outputs": [],
                              "resultVariable": result_variable}
    if retry is not None:
        config["retry"] = retry
    return config


def _spiff_value(value: str) -> ValueSpec:
    """SpiffArena values are expressions; a JSON value is taken as it is, because JEXL object keys
    must be plain names and headers such as Content-Type are not."""
    try:
        return {"value": json.loads(value)}
    except (ValueError, RecursionError):  # RecursionError: hostile nesting, left to the expression check
        return expression(value)


def _spiff_attempts(value: str, param: etree._Element) -> dict[str, Any]:
    known, attempts = literal(_spiff_value(value))
    if not known or isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= 100:
        raise _ConfigError(f"attempts must be a whole number from 1 to 100, got '{value}'", param, "attempts")
    return {**DEFAULT_RETRY, "maxAttempts": attempts}


def _retry(node: etree._Element) -> dict[str, Any] | None:
    cycle = _first(node, "./bpmn:extensionElements/camunda:failedJobRetryTimeCycle")
    if cycle is None:
        return None
    try:
        return parse_retry_cycle(cycle.text or "")
    except RetryCycleError as exc:
        raise _ConfigError(f"camunda:failedJobRetryTimeCycle: {exc}", cycle) from None


def _check_value(spec: ValueSpec, what: str, field: str) -> None:
    try:
        check(spec)
    except ValueSpecError as exc:
        raise _ConfigError(f"{what} is not a valid expression: {exc}", field=field) from None


def _validate(config: dict[str, Any]) -> None:
    if config.get("external"):
        for name, spec in config["locals"]:
            _check_value(spec, f"input parameter '{name}'", name)
        for name, spec in config["outputs"]:
            _check_value(spec, f"output parameter '{name}'", name)
        return
    try:
        connector = registration(config["connector"])
    except UnknownConnector as exc:
        raise _ConfigError(str(exc)) from None
    params: dict[str, ValueSpec] = config["params"]
    if connector.parameters is not None:
        unknown = sorted(set(params) - connector.parameters)
        if unknown:
            raise _ConfigError(f"connector '{connector.name}' has no parameter '{unknown[0]}' "
                               f"(it takes {', '.join(sorted(connector.parameters))})", field=unknown[0])
    missing = sorted(connector.required - {n for n, spec in params.items() if spec != {"value": None}})
    if missing:
        raise _ConfigError(f"connector '{connector.name}' needs the parameter '{missing[0]}'", field=missing[0])
    for name, spec in params.items():
        _check_value(spec, f"parameter '{name}'", name)
    for name, spec in config["locals"]:
        _check_value(spec, f"input parameter '{name}'", name)
    for name, spec in config["outputs"]:
        _check_value(spec, f"output parameter '{name}'", name)
    if connector.check is not None:
        try:
            connector.check(params)
        except ValueError as exc:
            raise _ConfigError(str(exc)) from None
