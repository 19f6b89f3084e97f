"""JUEL method calls, `execution` and Camunda's date helpers, compiled (never evaluated as Java or Python)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.expressions import ExpressionError, compile_expression
from tests.camunda7.conftest import complete, instance, open_by_element
from tests.conftest import Api

CONTEXT = {"name": "Ann", "clarified": "no", "items": [1, 2], "amount": 5, "s": "  Hi ", "m": {"k": 1},
           "flag": True, "due": "2026-01-31T10:00:00+00:00"}


@pytest.mark.parametrize(("text", "expected"), [
    ("${clarified.equals('no')}", True),
    ("${clarified.equalsIgnoreCase('NO')}", True),
    ("${name.startsWith('A') && name.endsWith('n')}", True),
    ("${items.contains(2) and not items.contains(3)}", True),
    ("${items.size() == 2}", True),
    ("${name.length()}", 3),
    ("${items.isEmpty() or m.isEmpty()}", False),
    ("${amount.compareTo(3) > 0}", True),
    ("${s.trim().toLowerCase()}", "hi"),
    ("${name.substring(1)}", "nn"),
    ("${name.indexOf('n')}", 1),
    ("${m.containsKey('k') ? m.get('k') : 0}", 1),
    ("${items.get(1)}", 2),
    ("${flag.equals(1)}", False),  # Java's Boolean.TRUE.equals(1)
    ("${'a-b'.replace('-', '+')}", "a+b"),
    ("${dateTime().plusYears(1).isAfter(now())}", True),
    ("${dateTime().minusDays(1).isBeforeNow()}", True),
    ("${dateTime().plusMonths(1).isAfter(due)}", True),  # a Date variable is ISO text
])
def test_methods(text: str, expected: object) -> None:
    assert compile_expression(text).evaluate(CONTEXT) == expected


def test_dates_leave_an_expression_as_iso_text() -> None:
    value = compile_expression("${dateTime().plusDays(2).toDate()}").evaluate({})
    moment = datetime.fromisoformat(value)
    assert abs(moment - (datetime.now(UTC) + timedelta(days=2))) < timedelta(minutes=1)
    assert compile_expression("${now()}").evaluate({}).endswith("+00:00")


@pytest.mark.parametrize(("text", "message"), [
    ("${myBean.pickApprover(execution)}", "'.pickApprover(' is not supported"),
    ("${execution.getActivityInstanceId()}", "'.getActivityInstanceId(' is not supported"),
    ("${execution.parent}", "execution has no field 'parent'"),
])
def test_unsupported_constructs_are_refused_when_compiled(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        compile_expression(text)


@pytest.mark.parametrize(("text", "message"), [
    ("${name.size()}", "expects a list or map, got string"),
    ("${items.get(5)}", "outside the list"),
    ("${execution.getVariable('x')}", "Unknown variable 'execution'"),  # outside a process
])
def test_run_time_failures_are_clear(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        compile_expression(text).evaluate(CONTEXT)


def test_methods_route_name_and_date_tasks_in_a_process(team: Api) -> None:
    team.deploy("modeler", "camunda7/juel_methods.bpmn")
    variables = {"clarified": "no", "items": [1, 2], "requester": " Bob ", "amount": 2500}
    started = team.start("staff", "juelMethods", variables, businessKey="PO-7")
    [clarify] = open_by_element(team, started["id"])["clarify"]
    assert clarify["assignee"] == "bob" and clarify["name"] == "Clarify PO-7 ( BOB )"
    due = datetime.fromisoformat(clarify["dueAt"]).replace(tzinfo=UTC)
    assert abs(due - (datetime.now(UTC) + timedelta(days=2))) < timedelta(minutes=5)
    complete(team, "bob", clarify["id"])
    [approve] = open_by_element(team, started["id"])["approve"]
    assert approve["candidateGroups"] == ["warehouse"]
    complete(team, "bob", approve["id"])
    assert instance(team, started["id"])["status"] == "completed"
    other = team.start("staff", "juelMethods", {**variables, "clarified": "yes", "amount": 10})
    [approve] = open_by_element(team, other["id"])["approve"]
    assert approve["candidateGroups"] == ["staff"] and "clarify" not in instance(team, other["id"])["visitedElements"]


def test_unsupported_method_is_refused_at_deploy_naming_element_and_line(team: Api) -> None:
    error = team.deploy("modeler", "camunda7/bad_juel_method.bpmn", expect=422).get_json()["error"]
    assert error["element"] == "task" and error["line"] == 7
    assert "camunda:assignee" in error["message"] and "'.pickApprover(' is not supported" in error["message"]


def test_a_timer_date_from_the_date_helpers(team: Api, app: Any) -> None:
    from sqlalchemy import select

    from server.models import Job

    team.deploy("modeler", "camunda7/juel_timer.bpmn")
    started = team.start("staff", "juelTimer", {"hours": 3})
    with app.extensions["boms_db"].read() as session:
        [job] = session.scalars(select(Job).where(Job.instance_id == started["id"], Job.kind == "timer")).all()
        due = job.due_at.replace(tzinfo=UTC)
    assert abs(due - (datetime.now(UTC) + timedelta(hours=3))) < timedelta(minutes=5)
    assert instance(team, started["id"])["status"] == "running"
