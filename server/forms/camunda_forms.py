"""Camunda Forms (`.form` files from Camunda Modeler, form-js JSON) as BOMS's JSON Schema forms.

Each input component becomes one property, so the task page renders it with BOMS's form renderer and
the API validates a submission with the same rules: `validate.required`, `minLength`, `maxLength`,
`pattern`, `min`, `max`, `validationType: email`, the options of selects, radios, checklists and tag
lists, `defaultValue`, `readonly`/`disabled`. Text components become the form's description; spacers,
separators and buttons are layout (BOMS's page has its own submit button). Everything else (groups,
dynamic lists, tables, file pickers, iframes, HTML, images, expression fields, conditional visibility,
options loaded from a variable, custom validation) is refused naming the component, never dropped.
"""

from __future__ import annotations

from typing import Any

from server.forms.schema import FormDefinitionError, check_json_schema

LAYOUT = frozenset({"spacer", "separator", "button"})
# Properties that only change how a component looks, never what is accepted.
# `decimalDigits`, `increment` and `disallowPassedDates` restrict what form-js accepts, so they are refused
# with the rest rather than shown and not enforced.
COSMETIC = frozenset({"id", "type", "key", "label", "description", "layout", "appearance", "properties",
                      "subtype", "validate", "values", "defaultValue", "readonly", "disabled", "text",
                      "dateLabel", "timeLabel", "searchable", "placeholder"})
VALIDATE = frozenset({"required", "minLength", "maxLength", "pattern", "min", "max", "validationType"})
TEXT_TYPES = frozenset({"textfield", "textarea"})


def _fail(component: dict[str, Any], message: str) -> FormDefinitionError:
    name = component.get("key") or component.get("id") or component.get("type") or "?"
    return FormDefinitionError(str(name), message)


def _options(component: dict[str, Any]) -> tuple[list[Any], list[str]]:
    values = component.get("values")
    if not isinstance(values, list) or not values:
        raise _fail(component, "needs static options ('values'); options from a variable or an expression "
                               "are not supported")
    for option in values:
        if not isinstance(option, dict) or "value" not in option:
            raise _fail(component, "each option needs a 'value'")
    return [o["value"] for o in values], [str(o.get("label", o["value"])) for o in values]


def _validation(component: dict[str, Any], prop: dict[str, Any]) -> bool:
    rules = component.get("validate") or {}
    if not isinstance(rules, dict):
        raise _fail(component, "'validate' must be an object")
    unknown = sorted(set(rules) - VALIDATE)
    if unknown:
        raise _fail(component, f"validation '{unknown[0]}' is not supported "
                               f"(BOMS enforces {', '.join(sorted(VALIDATE))})")
    kind = component["type"]
    for rule, keyword, applies in (("minLength", "minLength", TEXT_TYPES), ("maxLength", "maxLength", TEXT_TYPES),
                                   ("pattern", "pattern", TEXT_TYPES), ("min", "minimum", {"number"}),
                                   ("max", "maximum", {"number"})):
        if rules.get(rule) is not None:
            if kind not in applies:
                raise _fail(component, f"validation '{rule}' does not apply to a {kind}")
            prop[keyword] = rules[rule]
    if rules.get("validationType"):
        if rules["validationType"] != "email" or kind != "textfield":
            raise _fail(component, f"validationType '{rules['validationType']}' is not supported (email only)")
        prop["format"] = "email"
    return bool(rules.get("required"))


def _property(component: dict[str, Any]) -> dict[str, Any]:
    kind = component["type"]
    prop: dict[str, Any] = {"title": str(component.get("label") or component["key"])}
    if kind in TEXT_TYPES:
        prop["type"] = "string"
        if kind == "textarea":
            prop["x-properties"] = {"widget": "textarea"}
    elif kind == "number":
        prop["type"] = "number"
    elif kind == "checkbox":
        prop["type"] = "boolean"
    elif kind in ("select", "radio"):
        prop["enum"], prop["x-enumNames"] = _options(component)
        prop["x-properties"] = {"widget": "select" if kind == "select" else "radio"}
    elif kind in ("checklist", "taglist"):
        enum, names = _options(component)
        prop.update(type="array", uniqueItems=True, items={"enum": enum, "x-enumNames": names})
    elif kind == "datetime":
        subtype = component.get("subtype") or "date"
        if subtype not in ("date", "datetime"):
            raise _fail(component, f"a datetime of subtype '{subtype}' is not supported (date or datetime)")
        prop.update(type="string", format="date" if subtype == "date" else "date-time")
    else:
        raise _fail(component, f"the form component '{kind}' is not supported by BOMS")
    if component.get("description"):
        prop["description"] = str(component["description"])
    if component.get("defaultValue") is not None:
        prop["default"] = component["defaultValue"]
    if component.get("readonly") is True or component.get("disabled") is True:
        prop["readOnly"] = True
    return prop


def schema_from_camunda_form(form: Any, source: str) -> dict[str, Any]:
    """The `.form` file's JSON Schema (with `x-order`), or FormDefinitionError naming the component."""
    if not isinstance(form, dict) or not isinstance(form.get("components"), list):
        raise FormDefinitionError(source, "not a Camunda form: it has no 'components' list")
    properties: dict[str, Any] = {}
    required: list[str] = []
    texts: list[str] = []
    for component in form["components"]:
        if not isinstance(component, dict) or not isinstance(component.get("type"), str):
            raise FormDefinitionError(source, "each component needs a 'type'")
        kind = component["type"]
        if kind in LAYOUT:
            continue
        unknown = sorted(set(component) - COSMETIC)
        if unknown:
            raise _fail(component, f"'{unknown[0]}' is not supported (conditions, expressions and dynamic "
                                   "options would not be applied)")
        if kind == "text":
            texts.append(str(component.get("text") or ""))
            continue
        key = component.get("key")
        if not isinstance(key, str) or not key.isidentifier():
            raise _fail(component, "needs a 'key' that is a variable name")
        if key in properties:
            raise _fail(component, "the key is used by two components")
        prop = _property(component)
        if _validation(component, prop) and not prop.get("readOnly"):
            required.append(key)
        properties[key] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties, "required": required,
                              "additionalProperties": False, "x-order": list(properties)}
    if texts:
        schema["description"] = "\n\n".join(t for t in texts if t)
    return check_json_schema(schema, source)


def form_id(form: Any) -> str | None:
    """The id `camunda:formRef` names."""
    return form.get("id") if isinstance(form, dict) and isinstance(form.get("id"), str) else None
