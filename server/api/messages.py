"""Messages and signals from outside: POST /api/v1/messages and /api/v1/signals."""

from __future__ import annotations

from typing import Any

from server.api import api
from server.api.common import database, json_body, principal, runner
from server.services import messages


@api.post("/messages")
def post_message() -> Any:
    return messages.send_message(database(), runner(), principal(), json_body())


@api.post("/signals")
def post_signal() -> Any:
    return messages.send_signal(database(), runner(), principal(), json_body())
