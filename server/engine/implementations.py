"""Where a Camunda 7 element says what it calls: the same choices as a service task.

Camunda runs send tasks, and message intermediate throw and end events that carry an
implementation, exactly like service tasks (Java class, expression, external task, connector);
such an event does not throw its message. BOMS gives them the service task's path: connectors run
by the worker, Java refused at deploy. Without an implementation a send task or message event keeps
BOMS's own meaning (it throws the message to waiting instances).
"""

from __future__ import annotations

from lxml import etree

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
IMPLEMENTATION_ATTRIBUTES = ("class", "expression", "delegateExpression", "type", "topic")
MESSAGE_EVENTS = ("intermediateThrowEvent", "endEvent")
EXPRESSION_TASKS = frozenset({"serviceTask", "sendTask"})  # run in the engine: server/engine/expression_tasks.py
KIND_NAMES = {"serviceTask": "service task", "sendTask": "send task",
              "intermediateThrowEvent": "message throw event", "endEvent": "message end event"}


def _implements(node: etree._Element) -> bool:
    if any(node.get(f"{{{CAMUNDA_NS}}}{attr}") for attr in IMPLEMENTATION_ATTRIBUTES):
        return True
    return node.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}connector") is not None


def implementation(node: etree._Element) -> etree._Element | None:
    """The element holding the implementation (the task, or its messageEventDefinition), or None."""
    kind = etree.QName(node).localname
    if kind == "serviceTask":
        return node
    if kind == "sendTask":
        return node if _implements(node) else None
    if kind in MESSAGE_EVENTS:
        definition = node.find(f"{{{BPMN_NS}}}messageEventDefinition")
        if definition is not None and _implements(definition):
            return definition
        if definition is not None and node.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}connector") \
                is not None:
            return node  # Camunda Modeler writes a message event's connector on the event itself
    return None


def expression_of(node: etree._Element) -> str | None:
    """A service or send task's camunda:expression, or None."""
    if etree.QName(node).localname not in EXPRESSION_TASKS:
        return None
    return (node.get(f"{{{CAMUNDA_NS}}}expression") or "").strip() or None
