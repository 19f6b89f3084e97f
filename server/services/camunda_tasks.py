"""engine-rest `/task`: the user-task calls Camunda 7 tasklists and clients make.

Each call is the BOMS task service of the same meaning (the same visibility, claim and completion
rules, the same form validation) with Camunda's shapes: typed variables in and out, Camunda's task
fields. A query parameter or body field BOMS does not implement is a 400 naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from server.auth.permissions import Principal
from server.engine.runner import Runner
from server.errors import BadRequest, NotFound
from server.models import HumanTask
from server.queries import PageRequest
from server.services import tasks
from server.services.camunda_engine import definition_id
from server.services.camunda_requests import body_of, bool_param, camunda_time, int_param, query_of, text
from server.services.camunda_variables import from_typed, to_typed

LIST_PARAMS = {"assignee", "candidateGroup", "candidateUser", "processInstanceId", "processDefinitionKey",
               "taskDefinitionKey", "unassigned", "assigned", "firstResult", "maxResults", "sortBy", "sortOrder"}
SORTS = {"created": "created", "dueDate": "due"}
MAX_RESULTS = 1000


@dataclass
class _Filter(tasks.TaskFilter):
    element: str | None = None
    unassigned: bool = False
    assigned: bool = False

    def clauses(self, who: Principal) -> list[ColumnElement[bool]]:
        clauses = super().clauses(who)
        if self.element:
            clauses.append(HumanTask.element_id == self.element)
        if self.unassigned:
            clauses.append(HumanTask.assignee.is_(None))
        if self.assigned:
            clauses.append(HumanTask.assignee.is_not(None))
        return clauses


def task_dto(task: HumanTask) -> dict[str, Any]:
    version = task.instance.version
    link = task.element.get("formLink") or {}
    return {
        "id": task.id, "name": task.name, "assignee": task.assignee, "owner": task.owner,
        "created": camunda_time(task.created_at), "due": camunda_time(task.due_at), "followUp": None,
        "lastUpdated": None, "delegationState": task.delegation.upper() if task.delegation else None,
        "description": task.element.get("instructions"), "executionId": task.instance_id,
        "parentTaskId": None, "priority": 50, "processDefinitionId": definition_id(version),
        "processInstanceId": task.instance_id, "taskDefinitionKey": task.element_id, "caseExecutionId": None,
        "caseInstanceId": None, "caseDefinitionId": None, "suspended": False,
        "formKey": link.get("formKey"), "camundaFormRef": link.get("camundaFormRef"), "tenantId": None,
    }


def list_tasks(session: Session, who: Principal, params: dict[str, str]) -> list[dict[str, Any]]:
    """GET /task: open tasks `who` may see, with Camunda's filters."""
    query_of(params, LIST_PARAMS)
    sort = params.get("sortBy", "created")
    if sort not in SORTS:
        raise BadRequest(f"'sortBy' must be one of {', '.join(SORTS)}", field="sortBy")
    if params.get("sortOrder", "asc") not in ("asc", "desc"):
        raise BadRequest("'sortOrder' must be asc or desc", field="sortOrder")
    first, size = int_param(params, "firstResult", 0), int_param(params, "maxResults", MAX_RESULTS)
    if size > MAX_RESULTS:
        raise BadRequest(f"'maxResults' must be at most {MAX_RESULTS}", field="maxResults")
    f = _Filter(assignee=params.get("assignee"), candidate_group=params.get("candidateGroup"),
                candidate_user=params.get("candidateUser"), process_key=params.get("processDefinitionKey"),
                instance_id=params.get("processInstanceId"), sort=SORTS[sort],
                descending=params.get("sortOrder") == "desc", element=params.get("taskDefinitionKey"),
                unassigned=bool_param(params, "unassigned"), assigned=bool_param(params, "assigned"))
    page = tasks.list_tasks(session, who, f, PageRequest(page=1, size=first + size))
    return [task_dto(t) for t in page.items[first:first + size]]


def get_task(session: Session, who: Principal, task_id: str) -> dict[str, Any]:
    return task_dto(tasks.get_task(session, who, task_id))


def claim(session: Session, runner: Runner, who: Principal, task_id: str, body: Any) -> None:
    """POST /task/{id}/claim {"userId"}: BOMS lets people claim for themselves only."""
    body = body_of(body if body is not None else {}, {"userId"})
    user = text(body, "userId", required=True)
    if user != who.username:
        raise BadRequest(f"'userId' must be the caller ({who.username}): BOMS does not claim tasks for someone "
                         "else (an admin reassigns with POST /api/v1/tasks/{id}/assign)", field="userId")
    tasks.claim(session, runner, who, task_id)


def unclaim(session: Session, runner: Runner, who: Principal, task_id: str) -> None:
    tasks.unclaim(session, runner, who, task_id)


def complete(session: Session, runner: Runner, who: Principal, task_id: str, body: Any) -> dict[str, Any] | None:
    """POST /task/{id}/complete {"variables", "withVariablesInReturn"}: validated by the task's form."""
    body = body_of(body if body is not None else {}, {"variables", "withVariablesInReturn"})
    want = body.get("withVariablesInReturn", False)
    if not isinstance(want, bool):
        raise BadRequest("'withVariablesInReturn' must be true or false", field="withVariablesInReturn")
    task = tasks.complete(session, runner, who, task_id, from_typed(body.get("variables")))
    return to_typed(dict(task.instance.variables or {})) if want else None


def form_variables(session: Session, who: Principal, task_id: str, params: dict[str, str]) -> dict[str, Any]:
    """GET /task/{id}/form-variables: the form's fields with their current (or default) values, typed."""
    query_of(params, {"variableNames"})
    task = tasks.get_task(session, who, task_id)
    form = tasks.task_form(task, who)
    variables = task.instance.variables or {}
    wanted = set(params["variableNames"].split(",")) if params.get("variableNames") else None
    values = {name: variables.get(name, prop.get("default")) for name, prop in form.get("properties", {}).items()
              if wanted is None or name in wanted}
    return to_typed(values)


def deployed_form(session: Session, who: Principal, task_id: str) -> tuple[str, str]:
    """GET /task/{id}/deployed-form: the Camunda Form file (form-js JSON) the task links, as deployed."""
    task = tasks.get_task(session, who, task_id)
    name = (task.element.get("formLink") or {}).get("file")
    content = (task.instance.version.resources or {}).get(name) if name else None
    if content is None:
        raise NotFound(f"task '{task_id}' (element '{task.element_id}') has no deployed Camunda Form: its form is "
                       "generated (camunda:formData), a record type's form, or none", field="formKey")
    return name, content
