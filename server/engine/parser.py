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

from server.engine.decisions import DecisionError, evaluate_table

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NSMAP = {**CAMUNDA_NSMAP, "spiffworkflow": SPIFF_NS}


class DecisionTask(BusinessRuleTask):
    """A business rule task whose table is evaluated by BOMS (FEEL unary tests, JEXL, hit policies)."""

    def _run_hook(self, my_task: Any) -> bool:
        table = self.dmnEngine.decision_table
        try:
            result = evaluate_table(table, my_task.data)
        except DecisionError as exc:
            raise WorkflowTaskException(str(exc), task=my_task, exception=exc) from exc
        my_task.data.update(result.outputs)
        my_task.internal_data["boms_decision"] = {
            "decision": self.decision_ref,
            "outputs": result.outputs,
            "matched": [m["rule"] for m in result.matched],
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
        full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask),
    }

    def __init__(self) -> None:
        super().__init__(namespaces=NSMAP)
