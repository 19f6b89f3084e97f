"""The script engine SpiffWorkflow calls for every expression: JEXL, never Python `eval`."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from server.engine import juel_context, timers
from server.expressions import ExpressionError, compile_expression


class JexlScriptEngine(PythonScriptEngine):
    """Evaluates conditions and other expressions with pyjexl.

    Python script tasks run only when the deployment allows them (BOMS_ALLOW_PYTHON_SCRIPTS=1);
    deploy already refuses them otherwise, this is the second lock on the door.
    """

    def __init__(self, allow_python_scripts: bool = False) -> None:
        super().__init__(environment=TaskDataEnvironment({}))
        self.allow_python_scripts = allow_python_scripts

    def validate(self, expression: str) -> None:
        try:
            compile_expression(expression)
        except ExpressionError as exc:
            raise SyntaxError(str(exc)) from exc

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        if expression is None:
            # A Camunda message throw without a payload expression: the message carries the variables.
            return dict(task.data)
        literal = timers.literal_value(task, expression)
        if literal is not None:
            return literal
        context = task.data if not external_context else {**task.data, **external_context}
        try:
            with juel_context.at(task):
                return compile_expression(expression).evaluate(context)
        except ExpressionError as exc:
            raise WorkflowTaskException(str(exc), task=task, exception=exc) from exc

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> Any:
        if not self.allow_python_scripts:
            raise WorkflowTaskException(
                "Python scripts are disabled on this server (BOMS_ALLOW_PYTHON_SCRIPTS is not set)", task=task
            )
        return super().execute(task, script, external_context)
