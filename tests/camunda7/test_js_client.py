"""Camunda's official JavaScript worker (npm camunda-external-task-client-js), unchanged, against BOMS over
HTTP with the machine's Node.js: complete with variables, a failure without retries (an incident), a BPMN
error caught by the boundary event. `make install` installs the client (tests/camunda7/js)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.camunda7.conftest import instance, open_by_element
from tests.camunda7.live import serving
from tests.conftest import Api

HERE = Path(__file__).parent / "js"
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None or not (HERE / "node_modules" / "camunda-external-task-client-js")
                                .exists(), reason="needs Node.js and `make install` (tests/camunda7/js)")


def test_official_js_worker(team: Api, app: Any) -> None:
    team.user("worker", roles=("worker",))
    team.deploy("modeler", "camunda7/external_tasks.bpmn")
    ok = team.start("staff", "payment", {"amount": 3}, businessKey="ok")
    failing = team.start("staff", "payment", {"amount": 1}, businessKey="fail")
    declined = team.start("staff", "payment", {"amount": 2}, businessKey="decline")
    with serving(app) as base:
        run = subprocess.run([NODE, "worker.mjs", base, team.tokens["worker"], "3"], cwd=HERE, capture_output=True,
                             text=True, timeout=90)
    assert run.returncode == 0, run.stdout + run.stderr
    body = instance(team, ok["id"])
    assert body["status"] == "completed" and body["variables"]["receipt"] == "R-300"
    assert body["variables"]["items"] == {"lines": [1, 2]}
    body = instance(team, failing["id"])
    assert body["status"] == "error" and "gateway down" in body["error"]["message"]
    assert open_by_element(team, declined["id"])["fixPayment"]
    assert instance(team, declined["id"])["variables"]["reason"] == "expired"
