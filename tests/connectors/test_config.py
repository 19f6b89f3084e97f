"""Reading service task configuration from each modeler's BPMN, and the pieces it is made of."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from server.connectors.config import read_service_config
from server.connectors.retry import RetryCycleError, delay_after, parse_duration, parse_retry_cycle
from server.connectors.values import ValueSpecError, evaluate, parse_text
from server.errors import DeployError
from server.services.service_tasks import map_result

FIXTURES = Path(__file__).parent.parent / "fixtures" / "service"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def service_task(file_name: str) -> etree._Element:
    root = etree.parse(str(FIXTURES / file_name)).getroot()
    return next(root.iter(f"{BPMN}serviceTask"))


def read(file_name: str) -> dict[str, Any]:
    config = read_service_config(service_task(file_name), file_name)
    assert config is not None
    assert json.loads(json.dumps(config)) == config  # stored as JSON with the process version
    return config


def test_camunda_connector() -> None:
    config = read("camunda_connector.bpmn")
    assert config["connector"] == "http"
    assert config["retry"] == {"maxAttempts": 3, "delays": [0.0]}
    variables = {"baseUrl": "http://shop", "orderId": 7, "quantity": 2, "note": None}
    params = {name: evaluate(spec, variables) for name, spec in config["params"].items()}
    assert params == {
        "url": "http://shop/orders/7",
        "method": "POST",
        "headers": {"Content-Type": "application/json", "X-Request-Id": "order-7"},
        "body": {"quantity": 4, "note": None},  # Camunda's `payload`
        "timeout": "5",
    }
    result = {"status": 201, "headers": {"x-served-by": "shop-1"}, "body": {"state": "open"}}
    assert map_result(config, variables, result) == {"httpStatus": 201, "orderState": "open", "echoedBy": "shop-1"}


def test_camunda_external_task() -> None:
    config = read("camunda_external.bpmn")
    assert config["connector"] == "http" and config["retry"] is None
    params = {name: evaluate(spec, {"baseUrl": "http://wh", "sku": "A-1"}) for name, spec in config["params"].items()}
    assert params == {"url": "http://wh/stock", "query": {"sku": "A-1"}, "headers": {"Accept": "application/json"}}
    result = {"status": 200, "headers": {}, "body": {"available": 0}}
    assert map_result(config, {}, result) == {"inStock": False, "stockStatus": 200}


def test_spiff_operator() -> None:
    config = read("spiff_operator.bpmn")
    assert config["connector"] == "http" and config["resultVariable"] == "customer_response"
    assert config["retry"]["maxAttempts"] == 2
    assert set(config["params"]) == {"method", "url", "headers", "query"}  # empty auth values are left out
    params = {name: evaluate(spec, {"baseUrl": "http://crm", "customerId": "c9"})
              for name, spec in config["params"].items()}
    assert params == {"method": "GET", "url": "http://crm/customers/c9", "query": {"expand": "address"},
                      "headers": {"Accept": "application/json", "X-Client": "boms"}}
    result = {"status": 200, "headers": {}, "body": {"name": "Ada"}}
    assert map_result(config, {}, result) == {"customer_response": result}


def test_plain_service_task_and_other_elements_have_no_config() -> None:
    node = etree.fromstring(f'<serviceTask xmlns="{BPMN[1:-1]}" id="t"/>')
    assert read_service_config(node) is None
    user_task = etree.fromstring(f'<userTask xmlns="{BPMN[1:-1]}" id="u"/>')
    assert read_service_config(user_task) is None


@pytest.mark.parametrize(("file_name", "message", "field"), [
    ("bad_unknown_connector.bpmn", "unknown connector 'soap-http-connector' (known: email, http, "
     "records.create, records.query, records.update, sms)", None),
    ("bad_missing_url.bpmn", "connector 'http' needs the parameter 'url'", "url"),
    ("bad_expression.bpmn", "parameter 'url' is not a valid expression", "url"),
    ("bad_retry_cycle.bpmn", "camunda:failedJobRetryTimeCycle: '10 seconds' is not an ISO 8601 duration", None),
    ("bad_scheme.bpmn", "url 'file:///etc/passwd' must start with http:// or https://", None),
])
def test_rejections_name_file_element_and_line(file_name: str, message: str, field: str | None) -> None:
    node = service_task(file_name)
    with pytest.raises(DeployError) as failure:
        read_service_config(node, file_name)
    error = failure.value
    assert message in error.message
    assert error.message.startswith(f"{file_name}: service task 'call' (line ")
    assert error.details["file"] == file_name and error.details["element"] == "call"
    assert isinstance(error.details["line"], int) and error.details["line"] >= node.sourceline
    assert error.details.get("field") == field


CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def task(attributes: str = "", extensions: str = "") -> etree._Element:
    return etree.fromstring(
        f'<bpmn:serviceTask xmlns:bpmn="{BPMN[1:-1]}" {CAMUNDA} '
        f'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="call" {attributes}>'
        f"<bpmn:extensionElements>{extensions}</bpmn:extensionElements></bpmn:serviceTask>"
    )


def connector(*inputs: str) -> str:
    return ("<camunda:connector><camunda:connectorId>http-connector</camunda:connectorId><camunda:inputOutput>"
            + "".join(inputs) + "</camunda:inputOutput></camunda:connector>")


@pytest.mark.parametrize(("node", "message"), [
    (task('camunda:class="com.acme.Delegate"'), "camunda:class names Java code"),
    (task('camunda:delegateExpression="${bean}"'), "camunda:delegateExpression names Java code"),
    (task('camunda:type="external"'), "camunda:topic is empty"),
    (task('camunda:type="external" camunda:topic="${topic}"'), "must be a name, not an expression"),
    (task('camunda:type="mail"'), 'camunda:type="mail" is not supported'),
    (task(extensions=connector('<camunda:inputParameter name="ulr">http://x</camunda:inputParameter>')),
     "connector 'http' has no parameter 'ulr' (it takes body, headers"),
    (task(extensions=connector('<camunda:inputParameter name="url">'
                               '<camunda:script scriptFormat="groovy">"http://x"</camunda:script>'
                               '</camunda:inputParameter>')), "parameter 'url' is a script"),
    (task(extensions=connector('<camunda:inputParameter name="url">http://x/${id</camunda:inputParameter>')),
     "has an unclosed '${'"),
    (task(extensions=connector('<camunda:inputParameter name="url">http://x</camunda:inputParameter>',
                               '<camunda:inputParameter name="method">FETCH</camunda:inputParameter>')),
     "method must be one of"),
    (task(extensions=connector('<camunda:inputParameter name="url">http://x</camunda:inputParameter>',
                               '<camunda:outputParameter name="ok">${status ==}</camunda:outputParameter>')),
     "output parameter 'ok' is not a valid expression"),
    (task(extensions='<spiffworkflow:serviceTaskOperator id="http/GetRequest"><spiffworkflow:parameters>'
                     '<spiffworkflow:parameter id="url" value="\'http://x\'"/>'
                     '<spiffworkflow:parameter id="attempts" value="many"/>'
                     '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>'),
     "attempts must be a whole number"),
    (task(extensions='<spiffworkflow:serviceTaskOperator id="smtp/SendEmail"/>'), "unknown connector 'smtp/SendEmail'"),
])
def test_more_rejections(node: etree._Element, message: str) -> None:
    with pytest.raises(DeployError, match="^service task 'call'") as failure:
        read_service_config(node)
    assert message in failure.value.message


def test_values() -> None:
    assert parse_text("plain") == {"value": "plain"}
    assert parse_text("  ${a}  ") == {"expr": "${a}"}
    assert parse_text("${ {'a': {'b': 1}} }") == {"expr": "${ {'a': {'b': 1}} }"}
    template = parse_text("/x/${a}/'}'/#{b == '}'}")
    assert evaluate(template, {"a": 1, "b": "}"}) == "/x/1/'}'/true"
    assert evaluate(parse_text("${n}"), {"n": [1, 2]}) == [1, 2]  # one expression keeps its type
    assert evaluate(parse_text("n=${n}"), {"n": {"k": None}}) == 'n={"k": null}'
    with pytest.raises(ValueSpecError, match="unclosed"):
        parse_text("${a")


def test_retry_cycles() -> None:
    assert parse_retry_cycle("R3/PT10S") == {"maxAttempts": 4, "delays": [10.0]}
    assert parse_retry_cycle("PT1M,PT5M, PT1H") == {"maxAttempts": 4, "delays": [60.0, 300.0, 3600.0]}
    assert parse_duration("P1DT1H30M0.5S") == 86400 + 3600 + 1800 + 0.5
    assert parse_duration("P1W") == 7 * 86400
    retry = parse_retry_cycle("PT1S,PT5S")
    assert [delay_after(retry, n) for n in (1, 2, 3)] == [1.0, 5.0, 5.0]
    for bad in ("", "R3", "R/PT1S", "P1M", "PT", "P1Y", "10s", "${cycle}", "R500/PT1S", "P30D"):
        with pytest.raises(RetryCycleError):
            parse_retry_cycle(bad)
