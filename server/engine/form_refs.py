"""Which Camunda Form (`.form` file deployed beside the BPMN) a user task or start event links to.

`camunda:formRef="invoiceForm"` names the form's id (binding `latest` or `deployment`: the form deployed
with the BPMN); `camunda:formKey="camunda-forms:deployment:invoice.form"` names the file. Other form
keys (embedded HTML forms, external apps) and version bindings cannot be rendered here and are refused.
"""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from server.engine.parser import CAMUNDA_NS
from server.errors import DeployError
from server.forms.camunda_forms import form_id, schema_from_camunda_form
from server.forms.schema import FormDefinitionError

DEPLOYMENT_KEY = "camunda-forms:deployment:"


def _refuse(node: etree._Element, file_name: str, message: str) -> DeployError:
    element = node.get("id")
    return DeployError(f"{file_name}: element '{element}' (line {node.sourceline}): {message}", file=file_name,
                       element=element, line=node.sourceline)


def _forms(resources: dict[str, bytes], node: etree._Element, file_name: str) -> dict[str, Any]:
    forms = {}
    for name, content in resources.items():
        if name.lower().endswith(".form"):
            try:
                forms[name] = json.loads(content)
            except ValueError as exc:
                raise DeployError(f"{name}: not valid JSON: {exc}", file=name) from exc
    return forms


def _linked(node: etree._Element, resources: dict[str, bytes], file_name: str) -> tuple[str, dict[str, Any]] | None:
    """The linked `.form` file's name and JSON, or None when the element links none."""
    ref, key = node.get(f"{{{CAMUNDA_NS}}}formRef"), node.get(f"{{{CAMUNDA_NS}}}formKey")
    if key is not None and key.strip().startswith("record:"):
        key = None  # a record type's form: server/engine/record_forms.py
    if ref is None and key is None:
        return None
    binding = node.get(f"{{{CAMUNDA_NS}}}formRefBinding") or "latest"
    if binding not in ("latest", "deployment"):
        raise _refuse(node, file_name, f"camunda:formRefBinding '{binding}' is not supported (the form deployed "
                                       "with the BPMN is used: latest or deployment)")
    if node.find(f"{{{CAMUNDA_NS}}}formData") is not None or node.find(f".//{{{CAMUNDA_NS}}}formData") is not None:
        raise _refuse(node, file_name, "give the form once: camunda:formData or a Camunda Form, not both")
    forms = _forms(resources, node, file_name)
    if key is not None:
        if ref is not None:
            raise _refuse(node, file_name, "give the form once: camunda:formKey or camunda:formRef")
        if not key.startswith(DEPLOYMENT_KEY):
            raise _refuse(node, file_name, f"camunda:formKey '{key}' is not supported: BOMS renders Camunda Forms "
                                           f"deployed with the BPMN ({DEPLOYMENT_KEY}NAME.form or camunda:formRef)")
        name = key.removeprefix(DEPLOYMENT_KEY).rsplit("/", 1)[-1]
        found = {name: forms[name]} if name in forms else {}
    else:
        found = {n: f for n, f in forms.items() if form_id(f) == ref}
    if not found:
        wanted = f"the form '{ref}'" if ref is not None else f"the form file '{key}'"
        raise _refuse(node, file_name, f"{wanted} is not in this deployment: deploy the .form file with the BPMN")
    return list(found.items())[0]


def linked_form(node: etree._Element, resources: dict[str, bytes], file_name: str) -> dict[str, Any] | None:
    """The linked Camunda Form as JSON Schema, or None when the element links none."""
    linked = _linked(node, resources, file_name)
    if linked is None:
        return None
    name, form = linked
    try:
        return schema_from_camunda_form(form, name)
    except FormDefinitionError as exc:
        raise DeployError(f"{name}: component '{exc.field}' (linked from element '{node.get('id')}' in "
                          f"{file_name}): {exc.message}", file=name, element=node.get("id"),
                          field=exc.field) from exc


def form_link(node: etree._Element, resources: dict[str, bytes], file_name: str) -> dict[str, Any] | None:
    """How the element names its form, as engine-rest answers it (`formKey`, `camundaFormRef`), and the
    deployed file (`file`, kept with the version for GET /task/{id}/deployed-form)."""
    key = (node.get(f"{{{CAMUNDA_NS}}}formKey") or "").strip() or None
    ref = node.get(f"{{{CAMUNDA_NS}}}formRef")
    linked = _linked(node, resources, file_name)
    if key is None and ref is None:
        return None
    return {"formKey": key, "file": linked[0] if linked else None,
            "camundaFormRef": {"key": ref, "binding": node.get(f"{{{CAMUNDA_NS}}}formRefBinding") or "latest",
                               "version": None} if ref is not None else None}
