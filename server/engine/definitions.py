"""Read uploaded BPMN/DMN into definitions: parse, check every expression, extract metadata.

Everything that can be wrong with a file is found here, before anything is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from server.engine import (
    directory,  # noqa: F401 - registers the people functions that deploy checks compile
    juel_context,  # noqa: F401 - registers currentUser() and `execution`, which deploy checks compile
    listeners,
    timers,
)
from server.engine import elements as el
from server.engine.decision_checks import check_decisions
from server.engine.event_checks import check_event_references
from server.engine.multi_instance import BomsMultiInstance, connect_merge
from server.engine.normalize import normalize
from server.engine.parser import BPMN_NS, SPIFF_NS, BomsParser, DecisionTaskParser
from server.engine.shape_checks import check_key, check_shape
from server.engine.supported import check_supported_constructs
from server.engine.templates import compile_template, has_expression
from server.engine.xml import parse_xml, xml_text
from server.errors import DeployError
from server.expressions import ExpressionError, compile_expression, is_expression

EXPRESSION_ATTRS = ("assignee", "candidateGroups", "candidateUsers", "dueDate", "collection")
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)


@dataclass
class DecisionDefinition:
    key: str
    name: str | None
    file_name: str
    xml: str


@dataclass
class ProcessDefinition:
    key: str
    name: str | None
    file_name: str
    xml: str
    elements: dict[str, dict[str, Any]]
    start_form: dict[str, Any] | None
    initiator_variable: str | None
    candidate_starters: list[str]
    decision_keys: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)


def _element_line(root: etree._Element, element_id: str | None) -> int | None:
    if not element_id:
        return None
    found = root.xpath("//*[@id=$id]", id=element_id)
    return found[0].sourceline if found else None


def _from_validation(exc: SpiffWorkflowException, root: etree._Element, file_name: str) -> DeployError:
    element = getattr(exc, "id", None) or None
    line = getattr(exc, "line_number", None) or _element_line(root, element)
    where = f" (element '{element}'" + (f", line {line}" if line else "") + ")" if element else ""
    return DeployError(f"{file_name}: {exc}{where}", file=file_name, element=element, line=line)


def _check_expression(text: str | None, node: etree._Element, what: str, file_name: str,
                      template: bool = False) -> None:
    if not text or not text.strip():
        return
    try:
        compile_template(text) if template else compile_expression(text)
    except ExpressionError as exc:
        element = node.get("id")
        raise DeployError(
            f"{file_name}: {what} of element '{element}' (line {node.sourceline}) is not a valid expression: {exc}",
            file=file_name, element=element, line=node.sourceline,
        ) from exc


def _check_timer(node: etree._Element, kind: str, file_name: str) -> None:
    event = node.getparent().getparent()
    problem = timers.check(kind, node.text, start_event=etree.QName(event).localname == "startEvent")
    if problem:
        raise DeployError(f"{file_name}: element '{event.get('id')}' (line {node.sourceline}): {problem}",
                          file=file_name, element=event.get("id"), line=node.sourceline)


# What SpiffWorkflow 3.2 parses but runs wrongly: refused at deploy rather than run silently wrong.
UNSUPPORTED = (
    (".//bpmn:linkEventDefinition/..", "link events are not supported (the engine would stop at the throw "
     "event without reaching the catch event); connect the flow with a sequence flow instead"),
    (".//bpmn:subProcess//bpmn:subProcess[@triggeredByEvent='true']",
     "an event sub-process inside a sub-process is not supported; move it to the process level"),
    (".//bpmn:subProcess[@triggeredByEvent='true']/bpmn:startEvent[bpmn:timerEventDefinition]",
     "an event sub-process started by a timer is not supported (it would start with the process); "
     "use a timer boundary event on a sub-process"),
)


def _check_supported(process: etree._Element, file_name: str) -> None:
    for path, why in UNSUPPORTED:
        for node in process.xpath(path, namespaces={"bpmn": BPMN_NS}):
            element = node.get("id")
            raise DeployError(f"{file_name}: element '{element}' (line {node.sourceline}): {why}",
                              file=file_name, element=element, line=node.sourceline)


def called_processes(process: etree._Element) -> list[dict[str, Any]]:
    """The call activities of a process: element, line, called key and pinned version (or None)."""
    calls = []
    for node in process.xpath(".//bpmn:callActivity", namespaces={"bpmn": BPMN_NS}):
        version = el.camunda(node, "calledElementVersion") if el.camunda(node, "calledElementBinding") == "version" \
            else None
        calls.append({"element": node.get("id"), "line": node.sourceline, "key": node.get("calledElement"),
                      "version": int(version) if version and version.isdigit() else None})
    return calls


def check_calls(processes: list[ProcessDefinition], deployed: Callable[[str, int | None], bool]) -> None:
    """Every call activity must call a process of this deployment or one already deployed.

    `deployed(key, version)` says whether that version (None: any) of a process is in the database.
    """
    here = {p.key for p in processes}
    for process in processes:
        for call in process.calls:
            key, version = call["key"], call["version"]
            if (key in here and version is None) or deployed(key, version):
                continue
            what = f"version {version} of process '{key}'" if version else f"process '{key}'"
            raise DeployError(
                f"{process.file_name}: call activity '{call['element']}' (line {call['line']}) calls {what}, "
                "which is neither deployed nor in this deployment",
                file=process.file_name, element=call["element"], line=call["line"])


def check_process_xml(process: etree._Element, file_name: str, allow_scripts: bool) -> None:
    check_shape(process, file_name)
    check_event_references(process, file_name)
    ns = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
    for flow in process.xpath(".//bpmn:sequenceFlow", namespaces=ns):
        for cond in flow.xpath("./bpmn:conditionExpression", namespaces=ns):
            _check_expression(cond.text, flow, "the condition", file_name)
    _check_supported(process, file_name)
    for node in process.iter(etree.Element):
        for attr in EXPRESSION_ATTRS:
            value = el.camunda(node, attr)
            if attr == "collection" and is_expression(value):
                _check_expression(value, node, f"camunda:{attr}", file_name)
            elif attr != "collection" and has_expression(value):
                _check_expression(value, node, f"camunda:{attr}", file_name, template=True)
        local = etree.QName(node).localname
        if local == "userTask" and has_expression(node.get("name")):
            _check_expression(node.get("name"), node, "the name", file_name, template=True)
        if local in ("documentation", "instructionsForEndUser") and has_expression(node.text):
            owner = node.getparent() if local == "documentation" else node.getparent().getparent()
            if etree.QName(owner).localname == "userTask":  # shown on the task page, evaluated
                _check_expression(node.text, owner, local, file_name, template=True)
        if local in ("timeDate", "timeDuration", "timeCycle", "completionCondition", "loopCardinality") \
                and is_expression(node.text):
            _check_expression(node.text, node.getparent().getparent(), local, file_name)
        if local in ("timeDate", "timeDuration", "timeCycle"):
            _check_timer(node, local, file_name)
    if allow_scripts:
        return
    scripted = process.xpath(
        ".//bpmn:scriptTask | .//spiffworkflow:preScript/ancestor::*[@id][1]"
        " | .//spiffworkflow:postScript/ancestor::*[@id][1]", namespaces=ns,
    )
    if scripted:
        node = scripted[0]
        raise DeployError(
            f"{file_name}: element '{node.get('id')}' (line {node.sourceline}) runs a Python script, and Python "
            "scripts are disabled on this server. Use expressions, or start the server with "
            "BOMS_ALLOW_PYTHON_SCRIPTS=1.",
            file=file_name, element=node.get("id"), line=node.sourceline,
        )


def read_decision_file(content: bytes, file_name: str) -> list[DecisionDefinition]:
    """Every decision of one DMN file, checked; each keeps the whole file so its DRD travels with it."""
    root = parse_xml(content, file_name)
    if etree.QName(root).localname != "definitions" or etree.QName(root).namespace not in DMN_NAMESPACES:
        raise DeployError(f"{file_name}: not a DMN file (root element is {root.tag})", file=file_name)
    parser = BomsParser()
    try:
        parser.add_dmn_xml(root, file_name)
        dmn = next(iter(parser.dmn_parsers.values()), None)
        if dmn is None:
            raise DeployError(f"{file_name}: contains no decision", file=file_name)
        dmn.parse()
    except (SpiffWorkflowException, KeyError, IndexError) as exc:
        if isinstance(exc, SpiffWorkflowException):
            raise _from_validation(exc, root, file_name) from exc
        raise DeployError(f"{file_name}: cannot read the decisions: {exc!r}", file=file_name) from exc
    for element, message in check_decisions(dmn.decisions):
        line = _element_line(root, element)
        raise DeployError(f"{file_name}: element '{element}' (line {line}): {message}",
                          file=file_name, element=element, line=line)
    for node in root.iter("{*}decision"):
        check_key(node, "decision", file_name)
    xml = xml_text(content, root, file_name)
    return [DecisionDefinition(d.id, d.name or None, file_name, xml) for d in dmn.decisions.values()]


def _decision_refs(root: etree._Element) -> dict[str, etree._Element]:
    refs: dict[str, etree._Element] = {}
    for node in root.xpath("//bpmn:businessRuleTask", namespaces={"bpmn": BPMN_NS}):
        try:
            refs.setdefault(DecisionTaskParser.get_decision_ref(node), node)
        except ValidationException as exc:
            raise _from_validation(exc, root, "") from exc
    return refs


def read_process_file(content: bytes, file_name: str,
                      find_decisions: Callable[[set[str]], dict[str, DecisionDefinition]],
                      resources: dict[str, bytes], allow_scripts: bool) -> list[ProcessDefinition]:
    """Every executable process in one BPMN file, checked as far as deploy time can.

    `find_decisions` returns the decisions (of this deployment, else the latest deployed) by key.
    """
    root = normalize(parse_xml(content, file_name))
    if etree.QName(root).localname != "definitions" or etree.QName(root).namespace != BPMN_NS:
        raise DeployError(f"{file_name}: not a BPMN 2.0 file (root element is {root.tag})", file=file_name)
    processes = root.xpath("./bpmn:process[@isExecutable='true']", namespaces={"bpmn": BPMN_NS})
    if not processes:
        raise DeployError(
            f"{file_name}: contains no executable process (set isExecutable=\"true\" on the process to deploy)",
            file=file_name,
        )
    check_supported_constructs(root, file_name)
    for process in processes:
        check_process_xml(process, file_name, allow_scripts)
    refs = _decision_refs(root)
    decisions = find_decisions(set(refs))
    for key, node in refs.items():
        if key not in decisions:
            raise DeployError(
                f"{file_name}: element '{node.get('id')}' (line {node.sourceline}) uses decision '{key}', which is "
                "neither deployed nor in this deployment",
                file=file_name, element=node.get("id"), line=node.sourceline,
            )
    xml = xml_text(content, root, file_name)
    specs = build_specs(xml, file_name, [d.xml for d in decisions.values()], root=root)
    result = []
    for process in processes:
        key = process.get("id")
        spec, _ = specs[key]
        lanes = {name: getattr(ts, "lane", None) for name, ts in spec.task_specs.items()}
        start = el.start_event(process)
        used = sorted({getattr(ts, "decision_ref", None) for ts in spec.task_specs.values()} - {None})
        starters = [f"group:{g}" for g in el.split_list(el.camunda(process, "candidateStarterGroups"))]
        starters += [f"user:{u}" for u in el.split_list(el.camunda(process, "candidateStarterUsers"))]
        result.append(ProcessDefinition(
            key=key,
            name=process.get("name"),
            file_name=file_name,
            xml=xml,
            elements=el.process_elements(process, lanes, resources, file_name),
            start_form=el.read_form(start, resources, file_name) if start is not None else None,
            initiator_variable=el.camunda(start, "initiator") if start is not None else None,
            candidate_starters=starters,
            decision_keys=used,
            calls=called_processes(process),
        ))
    return result


def build_specs(bpmn_xml: str, file_name: str, decision_xmls: list[str],
                root: etree._Element | None = None) -> dict[str, tuple[Any, dict[str, Any]]]:
    """Parse a file into SpiffWorkflow specs, keyed by process id: (spec, sub-process specs)."""
    root = root if root is not None else normalize(parse_xml(bpmn_xml.encode(), file_name))
    parser = BomsParser()
    try:
        for dmn in decision_xmls:
            parser.add_dmn_xml(parse_xml(dmn.encode(), "decision"), None)
        parser.add_bpmn_xml(root, file_name)
        result = {}
        for key in parser.get_process_ids():
            spec = parser.get_spec(key)
            # Processes of other files are found when first called (server/engine/callees.py).
            subs = parser.get_subprocess_specs(key, require_call_activity_specs=False)
            subs = {name: sub for name, sub in subs.items() if sub is not None}
            for each in (spec, *subs.values()):
                _prepare(each)
            result[key] = (spec, subs)
        unique = {id(s): s for spec, subs in result.values() for s in (spec, *subs.values())}
        listeners.attach(root, list(unique.values()))
        return result
    except SpiffWorkflowException as exc:
        raise _from_validation(exc, root, file_name) from exc


def _prepare(spec: Any) -> None:
    """Finish at parse time what SpiffWorkflow would otherwise do to the (shared, cached) spec at run time.

    Triggering an event sub-process connected it to the process's start, so every later instance
    started it at once; multi-instance children are wired to their activity at first use only.
    """
    start = getattr(spec, "start", None)
    for name in getattr(start, "trigger_specs", []):
        event_sub = spec.task_specs[name]
        if start not in event_sub.inputs:
            event_sub.inputs = [*event_sub.inputs, start]  # a start input, without being one of start's outputs
            event_sub.connect(spec.end)
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, BomsMultiInstance):
            connect_merge(task_spec, spec.task_specs[task_spec.task_spec])
