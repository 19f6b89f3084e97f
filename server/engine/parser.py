"""SpiffWorkflow's Camunda parser, extended to read the files of every modeler BOMS accepts.

One parser serves Camunda Modeler 7 (`camunda:`), bpmn.io (plain BPMN) and SpiffArena
(`spiffworkflow:`) files; unknown extensions such as `zeebe:` are ignored by construction
because only the attributes below are ever read.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser.CamundaParser import NSMAP as CAMUNDA_NSMAP
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import BusinessRuleTaskParser
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin

from server.engine.decisions import RESULT_MAPPINGS, DecisionEngine, DecisionError, map_result
from server.engine.dmn_parser import BomsDMNParser
from server.engine.task_parsers import BOMS_PARSERS

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NSMAP = {**CAMUNDA_NSMAP, "spiffworkflow": SPIFF_NS}


class DecisionTask(BusinessRuleTask):
    """A business rule task whose table is evaluated by BOMS (FEEL unary tests, JEXL, hit policies)."""

    decision_ref: str = ""
    result_variable: str | None = None
    result_mapping: str = "resultList"

    def _run_hook(self, my_task: Any) -> bool:
        try:
            result = self.dmnEngine.evaluate(my_task.data)
            # Only the referenced decision's result becomes variables; required decisions are in the audit.
            if self.result_variable:
                my_task.data[self.result_variable] = map_result(result, self.result_mapping)
            else:
                my_task.data.update(result.outputs)
        except DecisionError as exc:
            raise WorkflowTaskException(str(exc), task=my_task, exception=exc) from exc
        my_task.internal_data["boms_decision"] = {
            "decision": self.decision_ref,
            "outputs": result.outputs,
            "matched": [m["rule"] for m in result.matched],
            "required": {r.decision: r.outputs for r in result.required},
        }
        # Skip the mixin's Python evaluation, keep the rest of the chain.
        return super(BusinessRuleTaskMixin, self)._run_hook(my_task)


class DecisionTaskParser(BusinessRuleTaskParser):
    def create_task(self) -> DecisionTask:
        decision_ref = self.get_decision_ref(self.node)
        task = DecisionTask(
            self.spec,
            self.bpmn_id,
            dmnEngine=self.process_parser.parser.get_engine(decision_ref, self.node),
            **self.bpmn_attributes,
        )
        task.decision_ref = decision_ref
        # Camunda 7: the result goes into one variable, shaped by mapDecisionResult (default resultList).
        task.result_variable = (self.node.get(f"{{{CAMUNDA_NS}}}resultVariable") or "").strip() or None
        task.result_mapping = self.node.get(f"{{{CAMUNDA_NS}}}mapDecisionResult") or "resultList"
        if task.result_mapping not in RESULT_MAPPINGS:
            raise ValidationException(f"Unknown camunda:mapDecisionResult '{task.result_mapping}' (one of "
                                      f"{', '.join(RESULT_MAPPINGS)})", node=self.node, file_name=self.filename)
        return task

    @staticmethod
    def get_decision_ref(node: etree._Element) -> str:
        ref = node.get(f"{{{CAMUNDA_NS}}}decisionRef")
        if ref is None:
            found = node.xpath(".//spiffworkflow:calledDecisionId", namespaces={"spiffworkflow": SPIFF_NS})
            ref = found[0].text.strip() if found and found[0].text else None
        if not ref:
            raise ValidationException(
                "A business rule task must name its decision (camunda:decisionRef)", node=node
            )
        return ref


class BomsParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        **BOMS_PARSERS,
        full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask),
    }

    def __init__(self) -> None:
        super().__init__(namespaces=NSMAP)

    def add_dmn_xml(self, node: etree._Element, filename: str | None = None) -> None:
        """Register every decision of the file (the library registers only the first)."""
        namespaces = {**self.namespaces, **node.nsmap}
        if None in namespaces:
            namespaces["dmn"] = namespaces.pop(None)
        dmn_parser = BomsDMNParser(self, node, namespaces, filename=filename)
        for element in dmn_parser.decision_elements():
            self.dmn_parsers[element.get("id")] = dmn_parser
            self.dmn_parsers_by_name[element.get("name") or element.get("id")] = dmn_parser

    def get_engine(self, decision_ref: str, node: etree._Element) -> DecisionEngine:
        if decision_ref not in self.dmn_parsers:
            known = ", ".join(sorted(self.dmn_parsers)) or "none"
            raise ValidationException(f"No decision with id '{decision_ref}' is deployed (known: {known})",
                                      node=node, file_name="")
        dmn_parser = self.dmn_parsers[decision_ref]
        dmn_parser.parse()
        return DecisionEngine(dmn_parser.decisions, decision_ref)
