"""Process instances, tasks and audit events as chart sources, checked against SQL; their visibility applies."""

from __future__ import annotations

from typing import Any

from tests.analytics.conftest import data, put, sql


def _dashboard() -> dict[str, Any]:
    def c(key: str, kind: str, source: dict[str, Any], dims: list[Any], measures: list[Any], **extra: Any) -> Any:
        return {"key": key, "type": kind, "title": {"en": key, "zh": key}, "source": source, "dimensions": dims,
                "measures": measures, **extra}

    instances = {"kind": "process_instances", "process": "purchase_request", "variables": {"amount": "number"}}
    tasks = {"kind": "tasks", "process": "purchase_request"}
    return {"key": "process", "title": {"en": "Process", "zh": "流程"}, "viewers": {"roles": ["staff", "auditor"]},
            "charts": [
                c("per_month", "column", instances, [{"field": "started_at", "bucket": "month"}], [{"agg": "count"}]),
                c("amounts", "kpi", instances, [], [{"agg": "sum", "field": "var_amount"}]),
                c("by_step", "bar", tasks, [{"field": "element_id"}], [{"agg": "count"},
                                                                        {"agg": "avg", "field": "age_hours"}]),
                c("by_group", "column", tasks, [{"field": "candidate_group"}], [{"agg": "count"}],
                  filter="overdue == false"),
                c("events", "column", {"kind": "audit_events"}, [{"field": "kind"}], [{"agg": "count"}])]}


def test_process_task_and_audit_sources(api: Any) -> None:
    api.user("alice", roles=("staff",), groups=("employees",))
    api.user("bea", roles=("staff",), groups=("employees",))
    api.deploy("admin", "dmn/approval_route.dmn", "bpmn/purchase_request.bpmn")
    for who, amount in (("alice", 5), ("alice", 700), ("bea", 40)):
        api.start(who, "purchase_request", {"item": "Pen", "amount": amount, "reason": "all gone"})
    put(api, _dashboard())
    months = sql(api, "SELECT COUNT(*) FROM process_instance WHERE process_key = 'purchase_request'")[0][0]
    rows = data(api, "auditor", "process", "per_month")["rows"]
    assert sum(r["count"] for r in rows) == months == 3
    assert data(api, "auditor", "process", "amounts")["kpi"]["value"] == 745
    assert data(api, "alice", "process", "amounts")["kpi"]["value"] == 705  # her own instances only
    steps = {r[0]: r[1] for r in sql(api, "SELECT element_id, COUNT(*) FROM human_task WHERE process_key = "
                                          "'purchase_request' GROUP BY element_id")}
    assert {r["element_id"]: r["count"] for r in data(api, "auditor", "process", "by_step")["rows"]} == steps
    groups = {r[0]: r[1] for r in sql(api, "SELECT c.name, COUNT(*) FROM human_task t LEFT JOIN task_candidate c "
                                           "ON c.task_id = t.id AND c.kind = 'group' WHERE t.process_key = "
                                           "'purchase_request' GROUP BY c.name")}
    by_group = {r["candidate_group"]: r["count"] for r in data(api, "auditor", "process", "by_group")["rows"]}
    assert by_group == groups
    data(api, "alice", "process", "by_group")  # her visible tasks: the EXISTS scope beside the group join
    kinds = {r[0]: r[1] for r in sql(api, "SELECT kind, COUNT(*) FROM audit_event GROUP BY kind")}
    events = {r["kind"]: r["count"] for r in data(api, "auditor", "process", "events")["rows"]}
    assert all(events[k] <= kinds[k] for k in events) and events["instance.started"] == 3
    refused = api.get("alice", "/api/v1/dashboards/process/charts/events/data")
    assert refused.status_code == 403
