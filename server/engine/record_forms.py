"""A record type as an element's form: ``camunda:formKey="record:work_order"`` (SpiffArena: the property
``<spiffworkflow:property name="formKey" value="record:work_order"/>``).

On a user task the task's form is the record type's form: completing it creates a record of the type, or
updates the one the instance references (server/services/record_tasks.py). On the none start event it
binds the process to the type: it is started from a record's page, and the instance references that
record. Whether the type and its fields exist is checked when the deployment is stored
(server/services/record_bindings.py): the engine reads the XML only.
"""

from __future__ import annotations

import re

from lxml import etree

from server.engine.parser import BPMN_NS, CAMUNDA_NS, SPIFF_NS
from server.errors import DeployError

RECORD_FORM_KEY = re.compile(r"^record:([a-z][a-z0-9_]{0,39})$")
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS, "spiffworkflow": SPIFF_NS}


def _refuse(node: etree._Element, file_name: str, message: str) -> DeployError:
    return DeployError(f"{file_name}: element '{node.get('id')}' (line {node.sourceline}): {message}",
                       file=file_name, element=node.get("id"), line=node.sourceline, field="formKey")


def _spiff_form_key(node: etree._Element) -> str | None:
    found = node.xpath("./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='formKey']",
                       namespaces=NS)
    return (found[0].get("value") or "").strip() if found else None


def record_form(node: etree._Element, file_name: str) -> str | None:
    """The record type key of the element's record form, or None; a malformed or misplaced key is refused."""
    camunda = (node.get(f"{{{CAMUNDA_NS}}}formKey") or "").strip() or None
    spiff = _spiff_form_key(node)
    if camunda and spiff and camunda != spiff:
        raise _refuse(node, file_name, f"camunda:formKey '{camunda}' and the formKey property '{spiff}' differ")
    if camunda and camunda.startswith("camunda-forms:"):
        return None  # a Camunda Form deployed beside the BPMN: server/engine/form_refs.py
    key = camunda or spiff
    if key is None:
        return None
    match = RECORD_FORM_KEY.match(key)
    if match is None:
        raise _refuse(node, file_name, f"formKey '{key}' is not \"record:<record type key>\"")
    kind = etree.QName(node).localname
    if kind == "startEvent" and any(isinstance(c.tag, str) and etree.QName(c).localname.endswith("EventDefinition")
                                    for c in node):
        raise _refuse(node, file_name, "a record form binds the none start event only (a message or timer "
                      "start has no record to start from)")
    forms = node.xpath("./bpmn:extensionElements/camunda:formData | ./bpmn:extensionElements/camunda:formProperty"
                       " | ./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property"
                       "[@name='formJsonSchemaFilename']",
                       namespaces=NS)
    if forms or node.get(f"{{{CAMUNDA_NS}}}formRef") is not None:
        raise _refuse(node, file_name, f"has the record form '{key}' and a form of its own; give one of them")
    return match.group(1)
