"""Who is on the other end of a request, for the operation log: the address and the user agent.

Audit events of sign-ins, password and permission changes, tokens and exports carry these (never a
password or a token). Outside a request (the CLI) there is nothing to add.
"""

from __future__ import annotations

from flask import has_request_context, request

MAX_AGENT = 300  # a user agent is the client's to choose: keep the log's rows small


def client_info() -> dict[str, str | None]:
    if not has_request_context():
        return {}
    agent = request.headers.get("User-Agent")
    return {"address": request.remote_addr, "userAgent": agent[:MAX_AGENT] if agent else None}
