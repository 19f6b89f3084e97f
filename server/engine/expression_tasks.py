"""Camunda 7 expression service tasks: `camunda:expression="${...}"` on a service or send task.

Camunda evaluates the expression when the task runs and stores its value in `camunda:resultVariable`
when one is given; BOMS does the same in the engine, with the compiled JUEL/JEXL evaluator every other
expression uses (never Java or Python). The expression sees the variables and `execution` (which may
`setVariable`, as a Camunda delegate may); a failure is an incident on the task. No worker and no job
are involved: the task completes in the same step, like Camunda's synchronous service task. Checked at
deploy by the connector reader (server/connectors/config.py), which refuses the expression elsewhere.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.task_parsers import TaskParser
from SpiffWorkflow.bpmn.specs.defaults import NoneTask

from server.engine import juel_context
from server.engine.implementations import expression_of
from server.expressions import ExpressionError, compile_expression

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


class ExpressionTask(NoneTask):
    """Evaluates its expression when it runs; the value goes to the result variable, if any."""

    def __init__(self, wf_spec: Any, bpmn_id: str, expression: str = "", result_variable: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.expression, self.result_variable = expression, result_variable
        self.manual = False  # SpiffWorkflow's NoneTask waits for a person

    def _run_hook(self, my_task: Any) -> bool:
        data = my_task.data
        context: dict[str, Any] = {**data}
        try:
            with juel_context.at(my_task):
                execution = juel_context.execution(data, writable=True)
                if execution is not None:
                    context["execution"] = execution
                value = compile_expression(self.expression).evaluate(context)
        except ExpressionError as exc:
            raise WorkflowTaskException(f"camunda:expression: {exc}", task=my_task, exception=exc) from exc
        if self.result_variable:
            data[self.result_variable] = value
        return True


def expression_task(parser: Any) -> ExpressionTask | None:
    """The expression task for the parser's node, or None when the node has no camunda:expression."""
    expression = expression_of(parser.node)
    if expression is None:
        return None
    result = (parser.node.get(f"{{{CAMUNDA_NS}}}resultVariable") or "").strip() or None
    return ExpressionTask(parser.spec, parser.bpmn_id, expression=expression, result_variable=result,
                          **parser.bpmn_attributes)


class ServiceTaskParser(TaskParser):
    """A service task: an expression task when it has camunda:expression, else the library's service task
    (its connector or external task runs outside the engine)."""

    def create_task(self) -> Any:
        return expression_task(self) or super().create_task()
