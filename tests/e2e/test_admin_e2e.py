"""The admin UI in Chromium, as an analyst and an auditor would use it: upload a model with an error and
read the message, upload the fixed one, start it, see the active element on the instance's diagram,
verify the audit chain. Screenshots go to tests/e2e/screenshots/."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server import create_app
from server.config import Config
from server.migrate import upgrade
from tests.e2e.conftest import screenshot

ADMIN_PASSWORD = "e2e-admin-password"

# A Camunda-style model with its diagram; CONDITION is the gateway's condition on the "big order" flow.
ORDER_CHECK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs_order_check" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="order_check" name="Order check" isExecutable="true">
    <bpmn:startEvent id="start" name="Order received"><bpmn:outgoing>f_start</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="gw_size" name="Big order?" default="f_small">
      <bpmn:incoming>f_start</bpmn:incoming><bpmn:outgoing>f_big</bpmn:outgoing><bpmn:outgoing>f_small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:userTask id="review" name="Review order" camunda:candidateGroups="reviewers">
      <bpmn:incoming>f_big</bpmn:incoming><bpmn:outgoing>f_done</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end_reviewed" name="Reviewed"><bpmn:incoming>f_done</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small" name="Accepted"><bpmn:incoming>f_small</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="gw_size" />
    <bpmn:sequenceFlow id="f_big" name="big" sourceRef="gw_size" targetRef="review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">CONDITION</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="gw_size" targetRef="end_small" />
    <bpmn:sequenceFlow id="f_done" sourceRef="review" targetRef="end_reviewed" />
  </bpmn:process>
  DIAGRAM
</bpmn:definitions>
"""

# Where the diagram draws each element: shapes (x, y, width, height) and flows (waypoints).
SHAPES = {"start": (152, 102, 36, 36), "gw_size": (245, 95, 50, 50), "review": (350, 80, 100, 80),
          "end_reviewed": (512, 102, 36, 36), "end_small": (512, 212, 36, 36)}
EDGES = {"f_start": [(188, 120), (245, 120)], "f_big": [(295, 120), (350, 120)],
         "f_small": [(270, 145), (270, 230), (512, 230)], "f_done": [(450, 120), (512, 120)]}


def model(condition: str) -> str:
    shapes = "".join(f'<bpmndi:BPMNShape id="s_{e}" bpmnElement="{e}"><dc:Bounds x="{x}" y="{y}" width="{w}" '
                     f'height="{h}" /></bpmndi:BPMNShape>' for e, (x, y, w, h) in SHAPES.items())
    edges = "".join(f'<bpmndi:BPMNEdge id="e_{e}" bpmnElement="{e}">'
                    + "".join(f'<di:waypoint x="{x}" y="{y}" />' for x, y in points) + "</bpmndi:BPMNEdge>"
                    for e, points in EDGES.items())
    diagram = (f'<bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="order_check">'
               f"{shapes}{edges}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>")
    return ORDER_CHECK.replace("CONDITION", condition).replace("DIAGRAM", diagram)


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A BOMS of its own with one admin, so this module's deployments do not touch the shared server."""
    from waitress import create_server

    from server.services.identity import add_user

    folder = tmp_path_factory.mktemp("e2e-admin")
    url = f"sqlite:///{folder / 'boms.db'}"
    upgrade(url)
    app = create_app(Config.from_env(instance_path=folder / "instance", database_url=url,
                                     secret_key=secrets.token_urlsafe(32), secure_cookies=False))
    with app.extensions["boms_db"].write() as session:
        add_user(session, "root", ADMIN_PASSWORD, roles=["admin"], groups=["reviewers"])
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


@pytest.fixture
def admin_page(chromium: Any, admin_server: str) -> Iterator[Any]:
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{admin_server}/login?next=/admin/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{admin_server}/admin/")
    yield page
    context.close()


def _upload(page: Any, path: Path) -> None:
    page.set_input_files("[data-testid=deploy-file]", str(path))
    page.click("[data-testid=deploy-submit]")
    page.wait_for_load_state()


def test_deploy_start_inspect_and_verify(admin_page: Any, admin_server: str, tmp_path: Path) -> None:
    page = admin_page
    broken, fixed = tmp_path / "broken" / "order_check.bpmn", tmp_path / "fixed" / "order_check.bpmn"
    broken.parent.mkdir()
    fixed.parent.mkdir()
    broken.write_text(model("${amount &gt;&lt; 100}"))
    fixed.write_text(model("${amount &gt; 100}"))

    page.goto(f"{admin_server}/admin/models/")
    _upload(page, broken)
    alert = page.locator(".alert-danger").inner_text()
    assert "nothing was deployed" in alert and "order_check.bpmn" in alert and "f_big" in alert
    screenshot(page, "admin-deploy-error")

    _upload(page, fixed)
    assert "Deployed order_check version 1." in page.locator(".alert-success").inner_text()
    page.click("[data-key=order_check] >> text=Diagram · start")
    page.wait_for_selector("[data-testid=diagram][data-rendered=true]")
    assert page.locator("[data-testid=diagram] [data-element-id=review]").count() == 1
    page.fill("#business_key", "ORDER-1")
    page.fill("#variables", '{"amount": 250}')
    screenshot(page, "admin-model-version")
    page.click("[data-testid=start-submit]")
    page.wait_for_url(re.compile(r".*/admin/instances/[0-9a-f-]{36}$"))

    page.wait_for_selector("[data-testid=diagram][data-rendered=true]")
    active = page.locator("[data-testid=diagram] g.djs-element.active")
    assert active.count() == 1 and active.get_attribute("data-element-id") == "review"
    assert page.locator("[data-testid=diagram] g.djs-element.completed[data-element-id=start]").count() == 1
    assert page.locator("[data-testid=diagram] g.djs-element.taken[data-element-id=f_big]").count() == 1
    assert page.locator("[data-testid=diagram] g.djs-element.taken[data-element-id=f_small]").count() == 0
    assert "Review order" in page.locator("[data-testid=open-tasks]").inner_text()
    screenshot(page, "admin-instance")

    page.goto(f"{admin_server}/admin/audit/")
    assert "instance.started" in page.locator("[data-testid=audit-events]").inner_text()
    page.click("[data-testid=verify]")
    result = page.locator("[data-testid=verify-result]").inner_text()
    assert result.startswith("The audit chain is intact")
    screenshot(page, "admin-audit-verify")
