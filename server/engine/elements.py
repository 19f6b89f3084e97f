"""What BOMS needs to know about each element of a process, read from the XML at deploy time.

Assignment, due dates, forms and lanes are stored with the process version as plain data, so the
inbox and the API never touch SpiffWorkflow objects to show them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from server.engine.form_refs import form_link, linked_form
from server.engine.parser import CAMUNDA_NS, SPIFF_NS
from server.engine.record_forms import record_form
from server.engine.service_config import read_service_config
from server.engine.templates import compile_template, has_expression
from server.errors import DeployError
from server.expressions import ExpressionError
from server.forms.schema import FormDefinitionError, check_json_schema, schema_from_camunda_fields

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS}
FLOW_NODES = {
    "task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "scriptTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway", "sequenceFlow",
}


def camunda(node: etree._Element, name: str) -> str | None:
    value = node.get(f"{{{CAMUNDA_NS}}}{name}")
    return value.strip() if value and value.strip() else None


def camunda_properties(node: etree._Element) -> dict[str, str]:
    """`camunda:properties` of an element's extensionElements (what Camunda Modeler's panel writes)."""
    props = node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
    return {p.get("name"): (p.get("value") or "").strip() for p in props if p.get("name")}


# Approval actions a user task allows unless its property says "false" (issue 14).
ACTIONS = {"transfer": "allowTransfer", "return": "allowReturn", "add_signers": "allowAddSigner",
           "delegate": "allowDelegate", "urge": "allowUrge", "cc": "allowCc", "withdraw": "allowWithdraw",
           "batch": "allowBatch"}


def _property_error(node: etree._Element, file_name: str, name: str, message: str) -> DeployError:
    return DeployError(f"{file_name}: element '{node.get('id')}' (line {node.sourceline}): property '{name}' "
                       f"{message}", file=file_name, element=node.get("id"), line=node.sourceline, field=name)


def task_actions(node: etree._Element, file_name: str) -> dict[str, bool]:
    props = camunda_properties(node)
    known = set(ACTIONS.values())
    # A misspelt switch (allowReturns) would otherwise be ignored and the action stay allowed.
    for name in props:
        if name.startswith("allow") and name not in known:
            raise _property_error(node, file_name, name, f"is not an action switch BOMS knows (it knows "
                                  f"{', '.join(sorted(known))})")
    allowed = {}
    for action, name in ACTIONS.items():
        value = props.get(name, "true").lower()
        if value not in ("true", "false"):
            raise _property_error(node, file_name, name, f"must be true or false, not '{value}'")
        allowed[action] = value == "true"
    return allowed


FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def field_access(node: etree._Element, file_name: str) -> dict[str, list[str]]:
    """Field permissions of one step (as Jiandaoyun sets them per approval node): the properties hiddenFields
    and readOnlyFields, comma-separated variable names; every other field stays as its form says."""
    props = camunda_properties(node)
    access = {"hidden": split_list(props.get("hiddenFields")), "readOnly": split_list(props.get("readOnlyFields"))}
    for key, name in (("hidden", "hiddenFields"), ("readOnly", "readOnlyFields")):
        bad = [field for field in access[key] if not FIELD_NAME.match(field)]
        if bad:
            raise _property_error(node, file_name, name, f"lists '{bad[0]}', which is not a variable name")
    both = sorted(set(access["hidden"]) & set(access["readOnly"]))
    if both:
        raise _property_error(node, file_name, "hiddenFields", f"and readOnlyFields both list '{both[0]}'")
    return access


DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
MIN_DEADLINE, MAX_DEADLINE = 60, 366 * 86400


def _seconds(node: etree._Element, file_name: str, name: str, text: str) -> int:
    match = DURATION.match(text.strip().upper())
    if not match or text.strip().upper() in ("P", "PT") or text.strip().upper().endswith("T"):
        raise _property_error(node, file_name, name, f"must be an ISO 8601 duration such as PT4H or P3D, not '{text}'")
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if not MIN_DEADLINE <= total <= MAX_DEADLINE:
        raise _property_error(node, file_name, name, "must be between one minute and 366 days")
    return total


def deadlines(node: etree._Element, file_name: str, form: dict[str, Any] | None) -> dict[str, Any]:
    """Reminders and timeout actions of a step, as properties instead of drawn boundary events:
    remindEvery (remind the assignees every so long), escalateAfter (hand the task to the assignee's
    manager), timeoutAfter with timeoutAction (an option of the step's decision field: auto-approve or
    -reject). services/task_deadlines.py puts them on the job table when the task is created."""
    props = camunda_properties(node)
    found: dict[str, Any] = {name: _seconds(node, file_name, name, props[name])
                             for name in ("remindEvery", "escalateAfter", "timeoutAfter") if props.get(name)}
    action = props.get("timeoutAction")
    if bool(action) != ("timeoutAfter" in found):
        raise _property_error(node, file_name, "timeoutAction" if action else "timeoutAfter",
                              "needs timeoutAfter and timeoutAction together")
    if action:
        decision = next((name for name, prop in ((form or {}).get("properties") or {}).items()
                         if "enum" in prop and (name.endswith("Decision") or str(
                             (prop.get("x-properties") or {}).get("decision", "")).lower() == "true")), None)
        options = ((form or {}).get("properties") or {}).get(decision or "", {}).get("enum") or []
        if action not in options and action != "return":  # "return": sent back to the previous step
            raise _property_error(node, file_name, "timeoutAction", f"'{action}' is not an option of the step's "
                                  f"decision field ({', '.join(map(str, options)) or 'it has none'}) nor return")
        found.update(timeoutAction=action, decisionField=decision)
    return found


CC_WHEN = ("reached", "completed")


def cc_config(node: etree._Element, file_name: str) -> dict[str, Any]:
    """Who is copied (抄送) by the step, and when: ccUsers / ccGroups, names or `${...}` expressions giving a
    name or a list of names (evaluated over the step's variables), ccWhen "reached" (default) or "completed"."""
    props = camunda_properties(node)
    when = props.get("ccWhen") or "reached"
    if when not in CC_WHEN:
        raise _property_error(node, file_name, "ccWhen", f"must be reached or completed, not '{when}'")
    found: dict[str, Any] = {"when": when}
    for key, name in (("users", "ccUsers"), ("groups", "ccGroups")):
        value = props.get(name)
        if value and has_expression(value):
            try:
                compile_template(value)
            except ExpressionError as exc:
                raise _property_error(node, file_name, name, f"is not a valid expression: {exc}") from exc
            found[key], found[f"{key}Expression"] = [], value
        else:
            found[key] = split_list(value)
    return found


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def lane_group(lane: str | None) -> str | None:
    """Lane "Finance Department" is candidate group `finance_department`."""
    return "_".join(lane.lower().split()) if lane else None


def _camunda_fields(node: etree._Element, file_name: str) -> list[dict[str, Any]]:
    fields = []
    for field in node.xpath("./bpmn:extensionElements/camunda:formData/camunda:formField", namespaces=NS):
        fields.append({
            "id": field.get("id"),
            "label": field.get("label"),
            "type": field.get("type") or "string",
            "default": field.get("defaultValue"),
            "enum": [
                {"id": v.get("id"), "name": v.get("name") or v.get("id")}
                for v in field.xpath("./camunda:value", namespaces=NS)
            ] or None,
            "validation": [
                {"name": c.get("name"), "config": c.get("config")}
                for c in field.xpath("./camunda:validation/camunda:constraint", namespaces=NS)
            ],
            "properties": {
                p.get("id"): p.get("value")
                for p in field.xpath("./camunda:properties/camunda:property", namespaces=NS)
            },
        })
    return fields + _camunda_form_properties(node, file_name)


# camunda:formProperty (the older form of Camunda 7 and Activiti): the attributes BOMS can honour.
FORM_PROPERTY_ATTRIBUTES = {"id", "name", "type", "required", "default", "readable", "writable"}


def _camunda_form_properties(node: etree._Element, file_name: str) -> list[dict[str, Any]]:
    fields = []
    for prop in node.xpath("./bpmn:extensionElements/camunda:formProperty", namespaces=NS):
        unsupported = sorted(set(prop.attrib) - FORM_PROPERTY_ATTRIBUTES)
        hidden = [a for a in ("readable", "writable") if prop.get(a, "true") != "true"]
        if unsupported or hidden:
            what = (unsupported or hidden)[0]
            raise DeployError(
                f"{file_name}: element '{node.get('id')}' (line {prop.sourceline}): "
                f"camunda:formProperty '{prop.get('id')}' uses '{what}', which BOMS does not support "
                "(it reads id, name, type, required and default)",
                file=file_name, element=node.get("id"), field=prop.get("id"), line=prop.sourceline)
        fields.append({
            "id": prop.get("id"),
            "label": prop.get("name"),
            "type": prop.get("type") or "string",
            "default": prop.get("default"),
            "enum": [{"id": v.get("id"), "name": v.get("name") or v.get("id")}
                     for v in prop.xpath("./camunda:value", namespaces=NS)] or None,
            "validation": [{"name": "required", "config": None}] if prop.get("required") == "true" else [],
            "properties": {},
        })
    return fields


def _spiff_properties(node: etree._Element) -> dict[str, str]:
    props = node.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS)
    return {p.get("name"): p.get("value") for p in props}


def _resource_json(resources: dict[str, bytes], name: str, file_name: str, element: str) -> dict[str, Any]:
    if name not in resources:
        raise DeployError(
            f"{file_name}: element '{element}' refers to form file '{name}', which is not in this deployment",
            file=file_name, element=element,
        )
    try:
        return json.loads(resources[name])
    except ValueError as exc:
        raise DeployError(f"{name}: not valid JSON: {exc}", file=name, element=element) from exc


def _with_row_order(properties: dict[str, Any]) -> dict[str, Any]:
    """Give each list-of-rows field's items an `x-order` too, so the table's columns keep their order."""
    result = {}
    for name, prop in properties.items():
        items = prop.get("items") if isinstance(prop, dict) else None
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            prop = {**prop, "items": {**items, "x-order": list(items["properties"])}}
        result[name] = prop
    return result


def read_form(node: etree._Element, resources: dict[str, bytes], file_name: str) -> dict[str, Any] | None:
    """The element's form as JSON Schema: camunda:formData, or a SpiffArena schema file.

    `x-order` keeps the modeler's field order: object key order does not survive JSONB storage.
    """
    element = node.get("id")
    props = _spiff_properties(node)
    linked = linked_form(node, resources, file_name)  # a Camunda Form (.form) deployed beside the BPMN
    if linked is not None:
        return linked
    try:
        if props.get("formJsonSchemaFilename"):
            name = props["formJsonSchemaFilename"]
            schema = check_json_schema(_resource_json(resources, name, file_name, element), name)
        else:
            fields = _camunda_fields(node, file_name)
            if not fields:
                return None
            schema = schema_from_camunda_fields(fields, title=node.get("name"))
        return {**schema, "x-order": list(schema.get("properties", {})),
                "properties": _with_row_order(schema.get("properties", {}))}
    except FormDefinitionError as exc:
        raise DeployError(
            f"{file_name}: form of element '{element}', field '{exc.field}': {exc.message}",
            file=file_name, element=element, field=exc.field, line=node.sourceline,
        ) from exc


def user_task_info(node: etree._Element, lane: str | None, resources: dict[str, bytes],
                   file_name: str) -> dict[str, Any]:
    props = _spiff_properties(node)
    # SpiffArena's instructions, else the task's documentation (Camunda's task description).
    instructions = node.xpath("./bpmn:extensionElements/spiffworkflow:instructionsForEndUser", namespaces=NS) \
        or node.xpath("./bpmn:documentation", namespaces=NS)
    ui_schema = None
    if props.get("formUiSchemaFilename"):
        ui_schema = _resource_json(resources, props["formUiSchemaFilename"], file_name, node.get("id"))
    form = read_form(node, resources, file_name)
    return {
        "assignee": camunda(node, "assignee"),
        "candidateGroups": camunda(node, "candidateGroups"),
        "candidateUsers": camunda(node, "candidateUsers"),
        "dueDate": camunda(node, "dueDate"),
        "laneGroup": lane_group(lane),
        # Where a task whose assignment rule finds nobody goes (an incident without it).
        "fallbackGroup": camunda_properties(node).get("fallbackGroup") or None,
        "actions": task_actions(node, file_name),
        "fieldAccess": field_access(node, file_name),
        "cc": cc_config(node, file_name),
        "form": form,
        "recordForm": record_form(node, file_name),
        "formLink": form_link(node, resources, file_name),
        "deadlines": deadlines(node, file_name, form),
        "uiSchema": ui_schema,
        # else a Camunda Form's text components
        "instructions": instructions[0].text if instructions else (form or {}).get("description"),
    }


def process_elements(process: etree._Element, lanes: dict[str, str | None], resources: dict[str, bytes],
                     file_name: str) -> dict[str, dict[str, Any]]:
    """Every flow element of the process (nested sub-processes included), keyed by id."""
    elements: dict[str, dict[str, Any]] = {}
    for node in process.iter(etree.Element):
        kind = etree.QName(node).localname
        if kind not in FLOW_NODES or etree.QName(node).namespace != NS["bpmn"]:
            continue
        element_id = node.get("id")
        info: dict[str, Any] = {"kind": kind, "name": node.get("name"), "lane": lanes.get(element_id)}
        if kind == "userTask":
            info.update(user_task_info(node, lanes.get(element_id), resources, file_name))
        elif kind == "startEvent" and record_form(node, file_name):
            info["recordForm"] = record_form(node, file_name)
        elif kind == "sequenceFlow":
            info.update(source=node.get("sourceRef"), target=node.get("targetRef"))
        elif kind in ("serviceTask", "sendTask", "intermediateThrowEvent", "endEvent"):
            service = read_service_config(node, file_name)
            if service is not None or kind == "serviceTask":
                info["service"] = service
        elements[element_id] = info
    return elements


def start_event(process: etree._Element) -> etree._Element | None:
    """The process's none start event: the one a user starts by hand."""
    for node in process.xpath("./bpmn:startEvent", namespaces=NS):
        if not any(etree.QName(c).localname.endswith("EventDefinition") for c in node):
            return node
    return None
