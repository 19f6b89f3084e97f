"""The approval trace on the instance page's diagram: each step's returns, transfers, signers and CCs,
in the reader's language, from the same history the page lists."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from tests.conftest import Api
from tests.engine.test_task_return import post, setup, submitted


def trace(text: str) -> dict[str, list[str]]:
    match = re.search(r"data-trace='([^']*)'", text)
    assert match, "the diagram has no data-trace"
    return json.loads(html.unescape(match.group(1)))


def test_the_diagram_carries_each_steps_trace(api: Api, browser: Any) -> None:
    flow = setup(api)
    api.user("helper")
    instance = submitted(api, flow)
    clerk = browser("clerk")
    assert trace(clerk.get(f"/instances/{instance}").get_data(as_text=True)) == {}
    task = flow.task(instance, "manager_review")
    assert post(api, "boss", f"/api/v1/tasks/{task['id']}/cc", users=["other"]).status_code == 200
    assert post(api, "boss", f"/api/v1/tasks/{task['id']}/transfer", user="helper").status_code == 200
    assert post(api, "helper", f"/api/v1/tasks/{task['id']}/return", to="initiator",
                comment="receipt").status_code == 200
    marks = trace(clerk.get(f"/instances/{instance}").get_data(as_text=True))
    assert marks["manager_review"] == ["boss copied other", "boss transferred Manager review to helper"]
    assert marks["submit"] == ["helper sent the request back to Submit the claim"]
    zh = trace(clerk.get(f"/instances/{instance}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True))
    assert all(line not in zh["manager_review"] for line in marks["manager_review"])
    # The task page of the step sent back shows the same diagram and trace.
    again = flow.task(instance, "submit")
    text = clerk.get(f"/tasks/{again['id']}").get_data(as_text=True)
    assert 'data-testid="diagram"' in text and trace(text) == marks
    assert clerk.get(f"/instances/{instance}/diagram.xml").status_code == 200
    # Who may not see the instance gets no page, so no trace either.
    api.user("stranger")
    assert browser("stranger").get(f"/instances/{instance}").status_code == 403
