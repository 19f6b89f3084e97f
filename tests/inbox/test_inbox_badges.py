"""The inbox's bounded counts (server/services/inbox_counts.py): exact below 1,000, "999+" from there, a pager
that says "or more" until the last page is near, and the started tab's two plans selecting the same rows."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from server.db import utcnow
from server.models import HumanTask, TaskCandidate
from server.services.inbox_counts import BADGE_CAP
from tests.inbox.test_inbox_pages import count, html, rows


def badge(text: str, tab: str) -> str:
    match = re.search(rf'data-testid="count-{tab}">([^<]+)<', text)
    assert match, f"no count badge for {tab}"
    return match.group(1)


def add_tasks(api: Any, instance_id: str, n: int, **values: Any) -> list[str]:
    """`n` open task rows in one instance, written as the runner writes them (the candidate row's state
    comes from the triggers), oldest first."""
    start = utcnow() - timedelta(days=1)
    tasks = [{"id": str(uuid.uuid4()), "instance_id": instance_id, "process_key": "two_tasks",
              "element_id": "task_a", "name": f"Bulk {i:04d}", "status": "open",
              "created_at": start + timedelta(seconds=i), **values} for i in range(n)]
    with api.app.extensions["boms_db"].write() as session:
        session.execute(insert(HumanTask.__table__), tasks)
        session.execute(insert(TaskCandidate.__table__),
                        [{"task_id": t["id"], "kind": "group", "name": "employees"} for t in tasks])
    return [t["id"] for t in tasks]


def test_badges_stop_at_999_plus_and_the_pager_counts_past_the_page(api: Any, browser: Any) -> None:
    api.user("worker", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    instance = api.start("worker", "two_tasks")["id"]  # one task for the group
    add_tasks(api, instance, BADGE_CAP + 4, assignee="worker")
    add_tasks(api, instance, BADGE_CAP + 1)  # claimable by the group
    worker = browser("worker")

    first = html(worker.get("/inbox?tab=mine"))
    assert badge(first, "mine") == "999+" and badge(first, "groups") == "999+" and count(first, "completed") == 0
    assert len(rows(first)) == 25 and "Page 1 of 40 or more" in first
    assert re.search(r'rel="next" href="[^"]*page=2', first)
    # Deeper than the badge counts: counted just past the page, so the last page is exact again.
    last = html(worker.get("/inbox?tab=mine&page=41"))
    assert len(rows(last)) == 4 and "Page 41 of 41" in last and "or more" not in last
    assert len(rows(html(worker.get("/inbox?tab=mine&page=90")))) == 4  # past the end: the last page
    assert len(rows(html(worker.get(f"/inbox?tab=mine&page={2**63 - 1}")))) == 4  # no LIMIT overflows
    near = html(worker.get("/inbox?tab=mine&page=40"))
    assert "Page 40 of 41" in near  # counted to 1,001: exact, 1,004 rows

    # A filter's match count is bounded the same way.
    matched = html(worker.get("/inbox?tab=groups&q=Bulk"))
    assert "999+ tasks match the filter." in matched and badge(matched, "groups") == "999+"


def test_a_badge_below_the_cap_is_exact(api: Any, browser: Any) -> None:
    api.user("worker", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    instance = api.start("worker", "two_tasks")["id"]
    add_tasks(api, instance, BADGE_CAP - 2)  # with the started task: 999 claimable
    page = html(browser("worker").get("/inbox?tab=groups"))
    assert badge(page, "groups") == "999" and "Page 1 of 40" in page and "or more" not in page


def test_started_tab_plans_select_the_same_rows(api: Any) -> None:
    """Past BADGE_CAP the started tab walks open tasks newest first; it must mean what the lookup by
    instance means."""
    from server.auth.permissions import Principal
    from server.services.inbox import tab_clauses

    api.user("worker", groups=("employees",))
    api.user("other", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    mine = api.start("worker", "two_tasks")
    api.start("other", "two_tasks")
    done = api.start("worker", "two_tasks")
    assert api.post("admin", f"/api/v1/process-instances/{done['id']}/cancel").status_code in (200, 204)
    add_tasks(api, mine["id"], 3)
    who = Principal(1, "worker", frozenset({"staff"}), frozenset({"employees"}))
    with api.app.extensions["boms_db"].read() as session:
        def ids(many: bool) -> set[str]:
            return set(session.scalars(select(HumanTask.id).where(*tab_clauses(session, who, "started", many))))

        assert len(ids(False)) == 4 and ids(True) == ids(False)


def test_an_inbox_page_is_eight_statements(api: Any, browser: Any) -> None:
    """User with groups and bell, badges, page, candidates, element metadata (two), process names: the page
    issued 16 before its badges became one statement (bench/inbox_scale.py --explain)."""
    from sqlalchemy import event

    api.user("worker", groups=("employees",))
    api.deploy("modeler", "camunda/two_user_tasks.bpmn")
    for _ in range(3):
        api.start("worker", "two_tasks")
    worker = browser("worker")
    worker.get("/inbox?tab=groups")  # warm: nothing cached is counted below
    engine = api.app.extensions["boms_db"].engine
    seen: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        page = html(worker.get("/inbox?tab=groups"))
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert len(rows(page)) == 3 and count(page, "groups") == 3
    assert len(seen) <= 8, "\n".join(" ".join(s.split())[:120] for s in seen)
