"""What a BPMN tree is turned into before anything reads it: the spellings Camunda 7 accepts, made one.

- A `sequenceFlow` without an `id` is valid BPMN, but SpiffWorkflow indexes only elements with an
  id: the flow was dropped and instances ran from start to end skipping every task. Each such flow
  gets a generated id, derived from its ends and its position, so the same file always gets the
  same ids (the stored XML is unchanged; the ids are generated again when it is loaded).
- Camunda 7 reads `http://activiti.org/bpmn` as another name of its own namespace (old models use
  it). Its elements and attributes are renamed into the Camunda namespace, so every `camunda:`
  code path (assignment, forms, decisions, connectors, checks) reads them too.
- An exclusive gateway's outgoing flow without a condition that is not the default: Camunda takes the
  first flow (in document order) whose condition holds and counts a missing condition as true;
  SpiffWorkflow refuses the file. Such a flow gets the condition `${true}`, which means the same.
- Camunda 7 draws data objects, data stores and their associations and executes none of them;
  SpiffWorkflow copies data along the associations (a task reading a data object nobody wrote fails)
  and refuses a data store it has no implementation for. In a Camunda file (the camunda namespace, not
  SpiffArena's) the associations and data stores are taken out of what runs; the stored XML keeps them,
  so the diagram still draws them. SpiffArena files keep SpiffWorkflow's meaning.

The tree is changed in place; elements keep their source lines, so errors still point into the file.
"""

from __future__ import annotations

import re

from lxml import etree

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Namespaces Camunda 7 reads as its own (BpmnParser.ACTIVITI_BPMN_EXTENSIONS_NS).
CAMUNDA_ALIASES = ("http://activiti.org/bpmn",)
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]")


def normalize(root: etree._Element) -> etree._Element:
    _rename_aliases(root)
    _name_flows(root)
    _unconditional_choices(root)
    _drawn_data(root)
    return root


def _camunda_name(name: str) -> str | None:
    qname = etree.QName(name)
    return f"{{{CAMUNDA_NS}}}{qname.localname}" if qname.namespace in CAMUNDA_ALIASES else None


def _rename_aliases(root: etree._Element) -> None:
    for node in root.iter(etree.Element):
        renamed = _camunda_name(node.tag)
        if renamed:
            node.tag = renamed
        for name in [n for n in node.attrib if n.startswith("{")]:
            renamed = _camunda_name(name)
            if renamed and renamed not in node.attrib:  # a camunda: spelling beside it wins
                node.set(renamed, node.attrib.pop(name))
            elif renamed:
                del node.attrib[name]


def _name_flows(root: etree._Element) -> None:
    flows = root.xpath("//bpmn:sequenceFlow[not(@id) or normalize-space(@id)='']", namespaces={"bpmn": BPMN_NS})
    if not flows:
        return
    taken = set(root.xpath("//@id"))
    for position, flow in enumerate(flows, start=1):
        ends = f"{flow.get('sourceRef') or 'none'}_{flow.get('targetRef') or 'none'}"
        base = _UNSAFE_ID.sub("_", f"Flow_{ends}")
        generated = base if base not in taken else f"{base}_{position}"
        while generated in taken:
            generated += "_"
        taken.add(generated)
        flow.set("id", generated)


def _unconditional_choices(root: etree._Element) -> None:
    ns = {"bpmn": BPMN_NS}
    for gateway in root.xpath("//bpmn:exclusiveGateway", namespaces=ns):
        flows = gateway.xpath("../bpmn:sequenceFlow[@sourceRef=$id]", id=gateway.get("id") or "", namespaces=ns)
        if len(flows) < 2:
            continue
        for flow in flows:
            if flow.get("id") != gateway.get("default") and flow.find(f"{{{BPMN_NS}}}conditionExpression") is None:
                condition = etree.SubElement(flow, f"{{{BPMN_NS}}}conditionExpression")
                condition.text = "${true}"


def _drawn_data(root: etree._Element) -> None:
    declared = {ns for node in root.iter(etree.Element) for ns in node.nsmap.values()}
    if not declared & {CAMUNDA_NS, *CAMUNDA_ALIASES} or SPIFF_NS in declared:
        return
    path = "//bpmn:dataInputAssociation | //bpmn:dataOutputAssociation | //bpmn:dataStore | //bpmn:dataStoreReference"
    for node in root.xpath(path, namespaces={"bpmn": BPMN_NS}):
        node.getparent().remove(node)
