"""Deploy-time checks of message and signal references: a catch that names no message would wait forever."""

from __future__ import annotations

from lxml import etree

from server.engine.implementations import implementation
from server.errors import DeployError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}
# element tag -> (attribute naming it, the root-level element it must name)
REFERENCES = {
    "messageEventDefinition": ("messageRef", "message"),
    "receiveTask": ("messageRef", "message"),
    "signalEventDefinition": ("signalRef", "signal"),
}


def check_event_references(process: etree._Element, file_name: str) -> None:
    root = process.getroottree().getroot()
    named = {kind: {node.get("id"): (node.get("name") or "").strip()
                    for node in root.xpath(f"./bpmn:{kind}", namespaces=NS)}
             for kind in ("message", "signal")}
    for tag, (attribute, kind) in REFERENCES.items():
        for node in process.xpath(f".//bpmn:{tag}", namespaces=NS):
            if tag == "messageEventDefinition" and implementation(node.getparent()) is not None:
                continue  # runs its implementation instead of throwing a message, as in Camunda
            ref = node.get(attribute)
            if tag == "receiveTask" and ref is None:
                problem = "is a receive task without a message (messageRef)"
            elif ref is None:
                problem = f"has a {kind} event without a {kind} ({attribute})"
            elif ref not in named[kind]:
                problem = f"refers to {kind} '{ref}', which the file does not define"
            elif not named[kind][ref]:
                problem = f"refers to {kind} '{ref}', which has no name (messages and signals are matched by name)"
            else:
                continue
            element = node if tag == "receiveTask" else node.getparent()
            raise DeployError(f"{file_name}: element '{element.get('id')}' (line {node.sourceline}) {problem}",
                              file=file_name, element=element.get("id"), line=node.sourceline)
