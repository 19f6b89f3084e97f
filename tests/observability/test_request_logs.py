"""Request ids: taken from X-Request-Id or generated, returned, and in every log line (JSON format)."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest

from server.observability.logging_setup import configure_logging


@pytest.fixture
def json_log(app: Any) -> Any:
    stream = io.StringIO()
    handler = configure_logging("json", stream=stream)

    @app.get("/_test/log")
    def _log_something() -> dict[str, str]:
        logging.getLogger("boms.test").info("working on it")
        return {"ok": "yes"}

    yield stream
    logging.getLogger().removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_incoming_request_id_is_kept_logged_and_returned(app: Any, json_log: io.StringIO) -> None:
    response = app.test_client().get("/_test/log", headers={"X-Request-Id": "edge-42.a"})
    assert response.headers["X-Request-Id"] == "edge-42.a"
    line = next(item for item in _lines(json_log) if item["message"] == "working on it")
    assert line["request_id"] == "edge-42.a"
    assert line["level"] == "INFO" and line["logger"] == "boms.test" and line["time"]


def test_request_id_generated_when_missing_or_unsafe(app: Any, json_log: io.StringIO) -> None:
    client = app.test_client()
    first = client.get("/_test/log").headers["X-Request-Id"]
    unsafe = client.get("/_test/log", headers={"X-Request-Id": "a b\"<script>"}).headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", unsafe)
    assert first != unsafe
    ids = [item["request_id"] for item in _lines(json_log) if item["message"] == "working on it"]
    assert ids == [first, unsafe]


def test_refused_requests_have_an_id_too(app: Any) -> None:
    # request_guard answers 400 before any route; the id hook runs before it.
    response = app.test_client().get("/api/v1/tasks?x=%00")
    assert response.status_code == 400
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])


def test_text_format_carries_the_id_and_a_wrong_format_is_refused(app: Any) -> None:
    stream = io.StringIO()
    handler = configure_logging("text", stream=stream)
    try:
        logging.getLogger("boms.test").warning("outside any request")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "[-] outside any request" in stream.getvalue()
    with pytest.raises(ValueError, match="BOMS_LOG_FORMAT"):
        configure_logging("xml")
