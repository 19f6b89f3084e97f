"""Multi-instance activities the Camunda 7 way, run in time linear in the number of instances.

SpiffWorkflow's Camunda multi-instance rewrites its own spec when `loopCardinality` yields a list
(so the next instance of the process crashes), uses the input collection as the output, counts
finished instances by scanning every child on each completion, and copies the whole parent data
(the collection included) into every child. BOMS's specs read, per activity:

- `camunda:collection` (a variable name or an expression yielding a list) and
  `camunda:elementVariable`, or `loopCardinality` (an expression yielding a whole number);
- `completionCondition`, evaluated after each completion with the Camunda counters
  `nrOfInstances`, `nrOfCompletedInstances`, `nrOfActiveInstances` and `loopCounter`, and BOMS's
  `nrOfApproved` / `nrOfRejected`: how many finished instances set the decision variable
  (`approved`, or the activity's `decisionVariable` property) to an approval or a rejection
  (see ``decision``); these two and `nrOfInstances` are left in the process variables for the
  gateway after the activity;
- an output collection from the standard `loopDataOutputRef` + `outputDataItem`: instance *i*'s
  value of the output item lands at index *i*.

Every instance sees the process variables except the collection and the output (they would make
each instance's saved data as large as the whole collection) plus its element variable and
`loopCounter`. Variables an instance sets are copied back to the parent when it completes.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.defaults import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import SequentialMultiInstanceTask as SequentialMixin
from SpiffWorkflow.util.task import TaskState

from server.engine import juel_context
from server.engine.directory import reads_directory
from server.expressions import ExpressionError, compile_expression

COUNTERS = ("nrOfInstances", "nrOfCompletedInstances", "nrOfActiveInstances", "loopCounter", "nrOfApproved",
            "nrOfRejected")
# Left in the process variables for the gateway after the activity (the next multi-instance resets them).
DECISIONS = ("nrOfInstances", "nrOfApproved", "nrOfRejected")
DEFAULT_DECISION_VARIABLE = "approved"
_APPROVE = {"approve", "approved", "yes", "true", "agree"}
_REJECT = {"reject", "rejected", "no", "false", "disagree"}
_KINDS = {"NoneType": "null", "bool": "boolean", "int": "number", "float": "number", "str": "text",
          "dict": "object"}


def _kind(value: Any) -> str:
    return _KINDS.get(type(value).__name__, type(value).__name__)


def decision(value: Any) -> bool | None:
    """True for an approval (`true`, "approve", "yes", ...), False for a rejection, None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _APPROVE else False if text in _REJECT else None
    return None


class BomsMultiInstance:
    """Shared by the parallel and the sequential activity (mixed into SpiffWorkflow's classes)."""

    bpmn_id: str
    task_spec: str
    collection: str | None
    element_variable: str | None
    cardinality: str | None
    condition: str | None
    output_collection: str | None
    output_item: Any
    decision_variable: str
    fallback_group: str | None

    def _setup(self, collection: str | None, element_variable: str | None, cardinality: str | None,
               condition: str | None, output_collection: str | None, output_item: str | None,
               decision_variable: str | None = None, fallback_group: str | None = None) -> None:
        self.decision_variable = decision_variable or DEFAULT_DECISION_VARIABLE
        self.fallback_group = fallback_group
        self.collection = collection
        self.element_variable = element_variable
        self.cardinality = cardinality
        self.condition = condition
        self.output_collection = output_collection
        # SpiffWorkflow's own attributes stay empty, so none of its data handling runs.
        self.boms_output_item = output_item
        self.data_input = self.data_output = self.input_item = None
        self.output_item = None

    # --- what to iterate ---------------------------------------------------------------------

    def _evaluate(self, my_task: Any, text: str, what: str) -> Any:
        try:
            with juel_context.at(my_task):
                return compile_expression(text).evaluate(my_task.data)
        except ExpressionError as exc:
            raise WorkflowTaskException(f"{what}: {exc}", task=my_task) from exc

    def _items(self, my_task: Any) -> list[Any]:
        if self.collection is not None:
            items = self._evaluate(my_task, self.collection, "the collection")
            if not isinstance(items, list):
                raise WorkflowTaskException(
                    f"the multi-instance collection '{self.collection}' must be a list, but it is a "
                    f"{_kind(items)}", task=my_task)
            if not items and reads_directory(self.collection):
                # A missing manager or an empty group: not "nobody needs to approve".
                if self.fallback_group:
                    return [None]  # one task; its rule finds nobody, so it goes to the fallback group
                raise WorkflowTaskException(
                    f"the multi-instance collection '{self.collection}' found nobody (a missing manager or an "
                    "empty group); a fallbackGroup property on the task would send it to a group", task=my_task)
            return items
        count = self._evaluate(my_task, self.cardinality or "", "the loop cardinality")
        if isinstance(count, float) and count.is_integer():
            count = int(count)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise WorkflowTaskException(
                f"the multi-instance loop cardinality '{self.cardinality}' must be a whole number >= 0, "
                f"but it is {_kind(count)} {count!r}", task=my_task)
        return list(range(count))

    def _hidden(self) -> set[str]:
        """Parent variables instances do not get: the collection and the output."""
        hidden = {self.output_collection} if self.output_collection else set()
        if self.collection is not None:
            try:
                names = compile_expression(self.collection)
                # `managerChain(initiator, 3)` reads `initiator` but the list is not it: keep it visible.
                if self.collection.strip().isidentifier() or (len(names.names) == 1 and "(" not in self.collection):
                    hidden |= set(names.names)
            except ExpressionError:
                pass
        return hidden

    def _start(self, my_task: Any) -> list[Any]:
        items = self._items(my_task)
        my_task.internal_data["boms_mi"] = {"total": len(items), "done": 0, "next": 0, "approved": 0, "rejected": 0}
        my_task.data.update(nrOfInstances=len(items), nrOfApproved=0, nrOfRejected=0)
        my_task.internal_data["merged"] = []
        if self.output_collection:
            my_task.data[self.output_collection] = [None] * len(items)
        return items

    def _create(self, my_task: Any, index: int, item: Any) -> None:
        spec = my_task.workflow.spec.task_specs[self.task_spec]
        connect_merge(self, spec)
        child = my_task._add_child(spec, TaskState.WAITING)
        child.triggered = True
        child.internal_data["key_or_index"] = index
        child.data["loopCounter"] = index
        if self.element_variable:
            child.data[self.element_variable] = item
        hidden = {k: my_task.data.pop(k) for k in self._hidden() if k in my_task.data}
        try:
            # The child inherits the parent's data here; without the big collections that is cheap.
            spec._update(child)
        finally:
            my_task.data.update(hidden)
        # Each instance decides for itself: an earlier instance's decision must not count again.
        child.data.pop(self.decision_variable, None)

    def _state(self, my_task: Any) -> dict[str, int]:
        return my_task.internal_data["boms_mi"]

    # --- completion ----------------------------------------------------------------------------

    def _merge(self, child: Any) -> Any:
        my_task = child.parent
        state = self._state(my_task)
        state["done"] += 1
        index = child.internal_data.get("key_or_index")
        verdict = decision(child.data.get(self.decision_variable))
        if verdict is not None:
            key = "approved" if verdict else "rejected"
            state[key] = state.get(key, 0) + 1
        skip = {"loopCounter", self.element_variable, self.boms_output_item, *DECISIONS, *self._hidden()}
        for key, value in child.data.items():
            if key in skip:
                continue
            current = my_task.data.get(key, _MISSING)
            if value is not current and value != current:
                my_task.data[key] = value
        my_task.data.update(nrOfApproved=state.get("approved", 0), nrOfRejected=state.get("rejected", 0))
        if self.output_collection:
            output = my_task.data.setdefault(self.output_collection, [None] * state["total"])
            if isinstance(output, list) and isinstance(index, int) and index < len(output):
                output[index] = child.data.get(self.boms_output_item) if self.boms_output_item else None
        return my_task

    def _condition_met(self, my_task: Any, child: Any, active: int) -> bool:
        if not self.condition:
            return False
        state = self._state(my_task)
        counters = {"nrOfInstances": state["total"], "nrOfCompletedInstances": state["done"],
                    "nrOfActiveInstances": active, "loopCounter": child.internal_data.get("key_or_index"),
                    "nrOfApproved": state.get("approved", 0), "nrOfRejected": state.get("rejected", 0)}
        try:
            with juel_context.at(my_task):
                return bool(compile_expression(self.condition).evaluate({**child.data, **counters}))
        except ExpressionError as exc:
            raise WorkflowTaskException(
                f"the completion condition: {exc}", task=child) from exc


_MISSING = object()


def connect_merge(mi_spec: Any, child_spec: Any) -> None:
    """Wire the child spec's completion to the activity. Done at parse time too: a spec parsed after a
    restart must merge children that an earlier process created."""
    if not child_spec.completed_event.is_connected(mi_spec.merge_child):
        child_spec.completed_event.connect(mi_spec.merge_child)


class BomsParallelMultiInstance(BomsMultiInstance, ParallelMultiInstanceTask):
    def __init__(self, wf_spec: Any, bpmn_id: str, task_spec: str, collection: str | None = None,
                 element_variable: str | None = None, cardinality: str | None = None,
                 condition: str | None = None, output_collection: str | None = None,
                 output_item: str | None = None, decision_variable: str | None = None,
                 fallback_group: str | None = None, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, task_spec, **kwargs)
        self._setup(collection, element_variable, cardinality, condition, output_collection, output_item,
                    decision_variable, fallback_group)

    def create_children(self, my_task: Any) -> None:
        for index, item in enumerate(self._start(my_task)):
            self._create(my_task, index, item)

    def children_complete(self, my_task: Any) -> bool:
        state = self._state(my_task)
        return state["done"] >= state["total"]

    def merge_child(self, workflow: Any, child: Any) -> None:
        my_task = self._merge(child)
        state = self._state(my_task)
        if self.children_complete(my_task):
            my_task._set_state(TaskState.READY)
        elif self._condition_met(my_task, child, state["total"] - state["done"]):
            for other in list(my_task.children):
                if other.task_spec.name == self.task_spec and not other.has_state(TaskState.FINISHED_MASK):
                    other.cancel()
            my_task._set_state(TaskState.READY)


class BomsSequentialMultiInstance(BomsMultiInstance, SequentialMultiInstanceTask):
    def __init__(self, wf_spec: Any, bpmn_id: str, task_spec: str, collection: str | None = None,
                 element_variable: str | None = None, cardinality: str | None = None,
                 condition: str | None = None, output_collection: str | None = None,
                 output_item: str | None = None, decision_variable: str | None = None,
                 fallback_group: str | None = None, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, task_spec, **kwargs)
        self._setup(collection, element_variable, cardinality, condition, output_collection, output_item,
                    decision_variable, fallback_group)

    def _update_hook(self, my_task: Any) -> bool | None:
        # The grandparent's hook: inherit data, data objects; not SpiffWorkflow's sequential set-up.
        super(SequentialMixin, self)._update_hook(my_task)
        items = self._start(my_task)
        if not items:
            return True
        my_task.internal_data["boms_items"] = items
        self._next(my_task)
        my_task._set_state(TaskState.STARTED)
        return None

    def _next(self, my_task: Any) -> None:
        state = self._state(my_task)
        index = state["next"]
        state["next"] = index + 1
        self._create(my_task, index, my_task.internal_data["boms_items"][index])

    def children_complete(self, my_task: Any) -> bool:
        state = self._state(my_task)
        return state["done"] >= state["total"]

    def merge_child(self, workflow: Any, child: Any) -> None:
        my_task = self._merge(child)
        if self.children_complete(my_task) or self._condition_met(my_task, child, 0):
            my_task.internal_data.pop("boms_items", None)
            my_task._set_state(TaskState.READY)
        else:
            self._next(my_task)
