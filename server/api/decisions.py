"""POST /decisions/{key}/evaluate."""

from __future__ import annotations

from typing import Any

from server.api import api
from server.api.common import json_body, principal, reading, variables_of, version_value
from server.services import decisions


@api.post("/decisions/<key>/evaluate")
def evaluate_decision(key: str) -> Any:
    principal()
    body = json_body()
    version = version_value(body.get("version"))
    with reading() as session:
        return decisions.evaluate(session, key, variables_of(body), version)
