"""Process models: upload and deploy (errors named), versions, diagram and XML, decision tables, start."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from server.models import Deployment, ProcessInstance, ProcessVersion
from tests.admin.conftest import flashes
from tests.conftest import FIXTURES, ROOT, Api


def upload(browser: Any, *paths: Path, content: bytes | None = None) -> Any:
    page = browser.get("/admin/models/").get_data(as_text=True)
    files = [(io.BytesIO(content if content is not None else p.read_bytes()), p.name) for p in paths]
    return browser.client.post("/admin/models/deploy", data={"csrf_token": browser.csrf(page), "file": files},
                               content_type="multipart/form-data", follow_redirects=True)


def deployments(app: Any) -> int:
    with app.extensions["boms_db"].read() as session:
        return session.scalar(select(func.count()).select_from(Deployment)) or 0


def test_models_list_shows_latest_version_and_counts(team: Api, web: Any) -> None:
    team.start("alice", "purchase_request", {"item": "Pen", "amount": 5, "reason": "out of ink"})
    html = web("modeler").get("/admin/models/").get_data(as_text=True)
    row = html[html.index('data-key="purchase_request"'):]
    row = row[:row.index("</tr>")]
    assert "<td>1</td>" in row and "modeler" in row  # version 1, deployed by modeler, one instance
    assert "approval_route" in html  # the decision


def test_bad_bpmn_is_refused_naming_file_and_element_and_nothing_changes(team: Api, web: Any) -> None:
    before = deployments(team.app)
    response = upload(web("modeler"), FIXTURES / "bad/bad_expression.bpmn")
    assert response.status_code == 200
    (kind, text), = flashes(response.get_data(as_text=True))
    assert kind == "danger" and "nothing was deployed" in text
    assert "bad_expression.bpmn" in text and "flow_bad" in text
    assert deployments(team.app) == before


def test_malformed_and_wrong_type_uploads_are_named(team: Api, web: Any) -> None:
    browser = web("admin")
    text = flashes(upload(browser, FIXTURES / "bad/malformed.bpmn").get_data(as_text=True))[0][1]
    assert "malformed.bpmn" in text and "line" in text
    text = flashes(upload(browser, Path("notes.txt"), content=b"hello").get_data(as_text=True))[0][1]
    assert "notes.txt" in text and ".bpmn" in text
    page = browser.get("/admin/models/").get_data(as_text=True)
    response = browser.client.post("/admin/models/deploy", data={"csrf_token": browser.csrf(page)},
                                   follow_redirects=True)
    assert "Choose one or more" in flashes(response.get_data(as_text=True))[0][1]


def test_deploy_a_new_version_then_the_same_again(team: Api, web: Any) -> None:
    browser = web("modeler")
    source = (ROOT / "bpmn/purchase_request.bpmn").read_text().replace("Purchase request", "Purchase request v2", 1)
    response = upload(browser, Path("purchase_request.bpmn"), content=source.encode())
    assert flashes(response.get_data(as_text=True)) == [("success", "Deployed purchase_request version 2.")]
    response = upload(browser, Path("purchase_request.bpmn"), content=source.encode())
    assert "Nothing changed" in flashes(response.get_data(as_text=True))[0][1]
    html = browser.get("/admin/models/purchase_request/").get_data(as_text=True)
    assert html.count("/admin/models/version/") == 2 and "latest" in html


def test_version_page_has_diagram_xml_and_decisions(team: Api, web: Any) -> None:
    with team.app.extensions["boms_db"].read() as session:
        version_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.key == "purchase_request"))
    browser = web("modeler")
    html = browser.get(f"/admin/models/version/{version_id}").get_data(as_text=True)
    assert f'data-xml-url="/admin/models/version/{version_id}/xml"' in html
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in html
    assert "&lt;bpmn:definitions" in html or "&lt;definitions" in html  # the XML, escaped
    xml = browser.get(f"/admin/models/version/{version_id}/xml")
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and b"purchase_request" in xml.data
    assert browser.get("/admin/models/version/9999").status_code == 404
    assert browser.get("/admin/models/version/9999/xml").status_code == 404
    assert "/admin/models/decision/" in html


def test_decision_table_is_rendered_as_html(team: Api, web: Any) -> None:
    html = web("modeler").get("/admin/models/").get_data(as_text=True)
    link = html[html.index("/admin/models/decision/"):].split('"')[0]
    page = web("modeler").get(link).get_data(as_text=True)
    assert 'data-testid="decision-table"' in page and "UNIQUE" in page
    assert "&lt; 5000" in page and "[5000..20000)" in page and "&gt;= 20000" in page and "Amount (amount)" in page
    assert "the finance director must approve too" in page


def test_admin_starts_an_instance_with_variables(team: Api, web: Any) -> None:
    with team.app.extensions["boms_db"].read() as session:
        version_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.key == "purchase_request"))
    browser = web("admin")
    url = f"/admin/models/version/{version_id}/start"
    response = browser.post(url, {"business_key": "PR-77", "variables": '{"item": "Desk", "amount": 300, '
                                  '"reason": "standing"}'}, from_page=f"/admin/models/version/{version_id}")
    assert response.status_code == 302 and "/admin/instances/" in response.headers["Location"]
    with team.app.extensions["boms_db"].read() as session:
        instance = session.scalars(select(ProcessInstance).where(ProcessInstance.business_key == "PR-77")).one()
        assert instance.variables["item"] == "Desk" and instance.started_by == "admin"


def test_bad_start_variables_are_named_and_nothing_starts(team: Api, web: Any) -> None:
    with team.app.extensions["boms_db"].read() as session:
        version_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.key == "purchase_request"))
    browser = web("admin")
    page = f"/admin/models/version/{version_id}"
    for variables, expected in (('{"item": ', "not valid JSON"), ("[1]", "must be a JSON object"),
                                ('{"item": "Desk"}', "amount")):
        response = browser.post(f"{page}/start", {"variables": variables}, from_page=page, follow_redirects=True)
        (kind, text), = flashes(response.get_data(as_text=True))
        assert kind == "danger" and "not started" in text and expected in text, text
    with team.app.extensions["boms_db"].read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_modeler_without_staff_role_is_told_why_start_is_refused(team: Api, web: Any) -> None:
    with team.app.extensions["boms_db"].read() as session:
        version_id = session.scalar(select(ProcessVersion.id).where(ProcessVersion.key == "purchase_request"))
    page = f"/admin/models/version/{version_id}"
    response = web("modeler").post(f"{page}/start", {"variables": "{}"}, from_page=page, follow_redirects=True)
    assert "staff role" in flashes(response.get_data(as_text=True))[0][1]
