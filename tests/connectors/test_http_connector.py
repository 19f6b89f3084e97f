"""The http connector against a real local HTTP server, and the connector registry."""

from __future__ import annotations

import time
from typing import Any

import pytest

from server import connectors
from server.connectors import ConnectorContext, ConnectorError, UnknownConnector
from server.connectors.http import MAX_RESPONSE_BYTES
from tests.connectors.conftest import LocalServer, Reply

CONTEXT = ConnectorContext("instance-1", "call", 1)


def call(**params: Any) -> dict[str, Any]:
    return connectors.get("http")(params, CONTEXT)


def test_get_json_with_query_and_headers(local_server: LocalServer) -> None:
    local_server.reply("/orders/7", Reply(200, {"id": 7, "state": "shipped"}, {"X-Served-By": "test"}))
    result = call(url=f"{local_server.url}/orders/7", headers={"Accept": "application/json", "X-Count": 3},
                  query={"expand": "lines", "page": 2})
    assert result["status"] == 200
    assert result["body"] == {"id": 7, "state": "shipped"}
    assert result["headers"]["x-served-by"] == "test"
    seen = local_server.requests_to("/orders/7")[0]
    assert seen.method == "GET"
    assert seen.query == {"expand": ["lines"], "page": ["2"]}
    assert seen.headers["accept"] == "application/json" and seen.headers["x-count"] == "3"


def test_post_json_body_and_text_body(local_server: LocalServer) -> None:
    local_server.reply("/orders", Reply(201, {"created": True}))
    result = call(url=f"{local_server.url}/orders", method="post", body={"item": "Laptop", "amount": 8000})
    assert result["status"] == 201 and result["body"] == {"created": True}
    seen = local_server.requests_to("/orders")[0]
    assert seen.method == "POST"
    assert seen.json() == {"item": "Laptop", "amount": 8000}
    assert seen.headers["content-type"] == "application/json"

    call(url=f"{local_server.url}/orders", method="PUT", body="<order/>", headers={"Content-Type": "application/xml"})
    seen = local_server.requests_to("/orders")[1]
    assert (seen.method, seen.body, seen.headers["content-type"]) == ("PUT", b"<order/>", "application/xml")


def test_text_response_and_basic_auth(local_server: LocalServer) -> None:
    local_server.reply("/ping", Reply(200, "pong"))
    result = call(url=f"{local_server.url}/ping", username="svc", password="s3cret")
    assert result["body"] == "pong"
    assert local_server.requests_to("/ping")[0].headers["authorization"] == "Basic c3ZjOnMzY3JldA=="


def test_server_error_is_retryable_and_readable(local_server: LocalServer) -> None:
    local_server.reply("/flaky", Reply(503, "down for maintenance"))
    with pytest.raises(ConnectorError) as failure:
        call(url=f"{local_server.url}/flaky?apiKey=secret")
    assert failure.value.retryable
    assert "HTTP 503" in failure.value.message and "down for maintenance" in failure.value.message
    assert "/flaky" in failure.value.message and "secret" not in failure.value.message


def test_client_error_is_not_retried(local_server: LocalServer) -> None:
    local_server.reply("/missing", Reply(404, {"error": "no order 9"}))
    with pytest.raises(ConnectorError) as failure:
        call(url=f"{local_server.url}/missing")
    assert not failure.value.retryable
    assert "HTTP 404" in failure.value.message and "no order 9" in failure.value.message
    local_server.reply("/busy", Reply(429, "slow down"))
    with pytest.raises(ConnectorError) as failure:
        call(url=f"{local_server.url}/busy")
    assert failure.value.retryable


def test_timeout(local_server: LocalServer) -> None:
    local_server.reply("/slow", Reply(200, "late", delay=3))
    started = time.monotonic()
    with pytest.raises(ConnectorError) as failure:
        call(url=f"{local_server.url}/slow", timeout=0.3)
    assert time.monotonic() - started < 2.5  # before the 3 s answer, with room for a loaded machine
    assert failure.value.retryable and "no answer within 0.3 s" in failure.value.message


def test_refused_connection_is_retryable() -> None:
    server = LocalServer()
    url = server.url
    server.close()
    with pytest.raises(ConnectorError) as failure:
        call(url=f"{url}/gone", timeout=2)
    assert failure.value.retryable


def test_response_size_is_capped(local_server: LocalServer) -> None:
    local_server.reply("/huge", Reply(200, "x" * (MAX_RESPONSE_BYTES + 10)))
    with pytest.raises(ConnectorError, match="larger than"):
        call(url=f"{local_server.url}/huge")


@pytest.mark.parametrize(("params", "message"), [
    ({"url": "ftp://example.org/file"}, "must start with http:// or https://"),
    ({"url": "file:///etc/passwd"}, "must start with http:// or https://"),
    ({"url": "http://"}, "has no host"),
    ({"url": None}, "url must be a non-empty text"),
    ({"url": "http://127.0.0.1:1/", "method": "TRACE"}, "method must be one of"),
    ({"url": "http://127.0.0.1:1/", "timeout": -1}, "timeout must be a number"),
    ({"url": "http://127.0.0.1:1/", "headers": "Accept: */*"}, "headers must be a map"),
])
def test_bad_parameters_fail_without_a_request(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConnectorError, match=message) as failure:
        call(**params)
    assert not failure.value.retryable


def test_redirect_to_another_scheme_is_refused(local_server: LocalServer) -> None:
    local_server.reply("/moved", Reply(302, "", {"Location": "ftp://example.org/x"}))
    with pytest.raises(ConnectorError) as failure:
        call(url=f"{local_server.url}/moved")
    assert not failure.value.retryable


def test_registry() -> None:
    assert "http" in connectors.names()
    with pytest.raises(UnknownConnector, match="unknown connector 'soap'.*known: .*http"):
        connectors.get("soap")

    @connectors.register("test-echo", parameters={"text"}, required={"text"})
    def echo(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
        return {"text": params["text"], "element": context.element_id}

    try:
        assert connectors.get("test-echo")({"text": "hi"}, CONTEXT) == {"text": "hi", "element": "call"}
        assert connectors.registration("test-echo").required == {"text"}
    finally:
        connectors._REGISTRY.pop("test-echo")
    with pytest.raises(ValueError, match="required parameters"):
        connectors.register("bad", parameters={"a"}, required={"b"})
