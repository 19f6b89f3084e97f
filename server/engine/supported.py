"""The allow-list of BPMN 2.0 and Camunda 7 constructs: what is not on it is refused at deploy.

Nothing is accepted and then ignored. Every BPMN element and every `camunda:` (or `activiti:`,
renamed before this runs) element and attribute of a file must be one BOMS executes, or one that
is pure diagram, documentation or tuning information whose absence changes no result (listed in
SAFELY_IGNORED). Anything else is refused naming element, attribute and line. Other dialects'
extensions (`spiffworkflow:`, `zeebe:`, modeler metadata) are read where BOMS reads them and are
not policed here.
"""

from __future__ import annotations

from lxml import etree

from server.engine import listeners
from server.engine.implementations import EXPRESSION_TASKS, MESSAGE_EVENTS, implementation
from server.engine.record_forms import RECORD_FORM_KEY
from server.errors import DeployError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"

# BPMN elements BOMS executes, or carries as structure, data or documentation.
BPMN_ELEMENTS = frozenset({
    "definitions", "import", "extension", "process", "collaboration", "participant", "messageFlow",
    "laneSet", "lane", "childLaneSet", "flowNodeRef", "documentation", "extensionElements", "incoming",
    "outgoing", "sequenceFlow", "conditionExpression", "startEvent", "endEvent", "intermediateCatchEvent",
    "intermediateThrowEvent", "boundaryEvent", "task", "userTask", "manualTask", "serviceTask", "sendTask",
    "receiveTask", "scriptTask", "script", "businessRuleTask", "callActivity", "subProcess",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "message", "signal",
    "error", "escalation", "messageEventDefinition", "signalEventDefinition", "timerEventDefinition",
    "errorEventDefinition", "escalationEventDefinition", "terminateEventDefinition", "linkEventDefinition",
    "timeDate", "timeDuration", "timeCycle", "multiInstanceLoopCharacteristics", "loopCardinality",
    "completionCondition", "loopDataInputRef", "loopDataOutputRef", "inputDataItem", "outputDataItem",
    "textAnnotation", "text", "association", "group", "category", "categoryValue", "itemDefinition",
    "dataObject", "dataObjectReference", "dataStore", "dataStoreReference", "dataState",
    "dataInputAssociation", "dataOutputAssociation", "sourceRef", "targetRef", "ioSpecification",
    "dataInput", "dataOutput", "inputSet", "outputSet", "dataInputRefs", "dataOutputRefs",
    "correlationProperty", "correlationPropertyRetrievalExpression", "messagePath", "correlationKey",
    "correlationPropertyRef",
})
# Why some BPMN elements are refused (the rest: "BOMS does not execute it").
BPMN_REFUSED_WHY = {
    "potentialOwner": "assign the task with camunda:assignee, camunda:candidateUsers or camunda:candidateGroups",
    "humanPerformer": "assign the task with camunda:assignee",
    "standardLoopCharacteristics": "use a multi-instance activity or a gateway loop",
    "conditionalEventDefinition": "use a gateway condition or a message",
    "compensateEventDefinition": "compensation is not supported",
    "complexGateway": "use exclusive, inclusive or parallel gateways",
    "adHocSubProcess": "model the order with gateways",
    "transaction": "use a sub-process with error events",
    "cancelEventDefinition": "transactions are not supported",
}

IMPLEMENTABLE = frozenset({"serviceTask", "sendTask", *MESSAGE_EVENTS, "messageEventDefinition"})
# camunda: attribute -> the elements on which BOMS reads it.
CAMUNDA_ATTRIBUTES: dict[str, frozenset[str]] = {
    "assignee": frozenset({"userTask"}), "candidateGroups": frozenset({"userTask"}),
    "candidateUsers": frozenset({"userTask"}), "dueDate": frozenset({"userTask"}),
    "initiator": frozenset({"startEvent"}),
    "candidateStarterGroups": frozenset({"process"}), "candidateStarterUsers": frozenset({"process"}),
    "decisionRef": frozenset({"businessRuleTask"}), "mapDecisionResult": frozenset({"businessRuleTask"}),
    "resultVariable": frozenset({"businessRuleTask", "serviceTask", "sendTask"}),
    "calledElementBinding": frozenset({"callActivity"}), "calledElementVersion": frozenset({"callActivity"}),
    "formRef": frozenset({"userTask", "startEvent"}), "formRefBinding": frozenset({"userTask", "startEvent"}),
    "formKey": frozenset({"userTask", "startEvent"}),  # Camunda Forms only: server/engine/form_refs.py
    "collection": frozenset({"multiInstanceLoopCharacteristics"}),
    "elementVariable": frozenset({"multiInstanceLoopCharacteristics"}),
    # Read by the connector configuration, which refuses Java code (class, expression, delegateExpression).
    "type": IMPLEMENTABLE, "topic": IMPLEMENTABLE, "class": IMPLEMENTABLE, "expression": IMPLEMENTABLE,
    "delegateExpression": IMPLEMENTABLE,
}
# Tuning and tooling information: BOMS commits at every wait state and keeps all history, so these
# change no result.
SAFELY_IGNORED = frozenset({
    "asyncBefore", "asyncAfter", "async", "exclusive", "jobPriority", "taskPriority", "versionTag",
    "historyTimeToLive", "modelerTemplate", "modelerTemplateVersion",
})
FORM_ELEMENTS = frozenset({"formData", "formField", "validation", "constraint", "value", "formProperty"})
IO_ELEMENTS = frozenset({"inputOutput", "inputParameter", "outputParameter", "map", "entry", "list",
                         "connector", "connectorId", "failedJobRetryTimeCycle"})
LISTENERS = frozenset({"taskListener", "executionListener"})
MAPPING_ATTRIBUTES = frozenset({"source", "target", "sourceExpression", "variables"})


def _owner(node: etree._Element) -> etree._Element:
    """The BPMN element a camunda: extension element belongs to."""
    parent = node.getparent()
    while parent is not None and (etree.QName(parent).namespace != BPMN_NS
                                  or etree.QName(parent).localname == "extensionElements"):
        parent = parent.getparent()
    return parent if parent is not None else node


def _refuse(file_name: str, node: etree._Element, owner: etree._Element, what: str) -> DeployError:
    element = owner.get("id") or etree.QName(owner).localname
    return DeployError(f"{file_name}: element '{element}' (line {node.sourceline}): {what}",
                       file=file_name, element=owner.get("id"), line=node.sourceline)


def _camunda_element_problem(node: etree._Element, owner: etree._Element) -> str | None:
    local = etree.QName(node).localname
    kind = etree.QName(owner).localname
    if local in LISTENERS:
        return listeners.problem(node, owner)
    if local in FORM_ELEMENTS:
        return None if kind in ("userTask", "startEvent") else f"camunda:{local} is read on user tasks and start " \
            "events only"
    if local == "properties" or (local == "property" and etree.QName(node.getparent()).localname == "properties"):
        return None  # extension properties: information for tools and forms
    if local in IO_ELEMENTS:
        task = owner.getparent() if kind == "messageEventDefinition" else owner
        if implementation(task) is not None:
            return None
        return (f"camunda:{local} is read on service tasks, send tasks and message events with an "
                f"implementation only; on a {kind} BOMS would not apply it")
    if local in ("in", "out"):
        if kind != "callActivity":
            return f"camunda:{local} is read on call activities only"
        extra = sorted(set(node.attrib) - MAPPING_ATTRIBUTES)
        if extra:
            return f"camunda:{local} with '{extra[0]}' is not supported (BOMS reads " \
                f"{', '.join(sorted(MAPPING_ATTRIBUTES))})"
        return None
    return f"camunda:{local} is not supported by BOMS"


def _camunda_attribute_problem(name: str, node: etree._Element) -> str | None:
    kind = etree.QName(node).localname
    if name in SAFELY_IGNORED:
        return None
    if name == "formKey":  # a record type's form (record_forms.py) or a Camunda Form (form_refs.py); no HTML forms
        key = node.get(f"{{{CAMUNDA_NS}}}formKey") or ""
        if kind in ("userTask", "startEvent") and (RECORD_FORM_KEY.match(key) or key.startswith("camunda-forms:")):
            return None
        return "camunda:formKey is not supported except as \"record:<record type key>\" or " \
            "\"camunda-forms:deployment:NAME.form\" on a user task or start event"
    if name == "resultVariable" and kind in EXPRESSION_TASKS and node.get(f"{{{CAMUNDA_NS}}}expression") is None:
        return f"camunda:resultVariable on a {kind} holds the value of camunda:expression, which it does not have"
    where = CAMUNDA_ATTRIBUTES.get(name)
    if where is None:
        return f"camunda:{name} is not supported by BOMS"
    if kind not in where:
        return f"camunda:{name} is not read on a {kind} (only on: {', '.join(sorted(where))})"
    return None


def check_supported_constructs(root: etree._Element, file_name: str) -> None:
    """Refuse the first element or camunda: attribute BOMS would not execute."""
    for store in root.iter(f"{{{BPMN_NS}}}dataStore"):  # left in SpiffArena files only (normalize.py)
        raise _refuse(file_name, store, store, f"bpmn:dataStore '{store.get('name') or store.get('id')}' has no "
                      "implementation in BOMS (SpiffArena's data stores are not available here)")
    for top in root:
        if not isinstance(top.tag, str):
            continue
        if etree.QName(top).localname == "process" and top.get("isExecutable") != "true":
            continue  # never run (a pool drawn for context)
        for node in top.iter(etree.Element):
            qname = etree.QName(node)
            if qname.namespace == BPMN_NS and qname.localname not in BPMN_ELEMENTS:
                why = BPMN_REFUSED_WHY.get(qname.localname, "BOMS does not execute it")
                raise _refuse(file_name, node, node if node.get("id") else _owner(node),
                              f"bpmn:{qname.localname} is not supported ({why})")
            if qname.namespace == CAMUNDA_NS:
                problem = _camunda_element_problem(node, _owner(node))
                if problem:
                    raise _refuse(file_name, node, _owner(node), problem)
                continue
            if qname.namespace != BPMN_NS:
                continue
            for attr in node.attrib:
                if etree.QName(attr).namespace == CAMUNDA_NS:
                    problem = _camunda_attribute_problem(etree.QName(attr).localname, node)
                    if problem:
                        raise _refuse(file_name, node, node if node.get("id") else _owner(node), problem)
