"""Error types of the domain; the API maps each to one HTTP status in one place."""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException


class BomsError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if isinstance(details.get("fields"), list | tuple):
            # The API's error schema says `fields` maps field paths to messages.
            details["fields"] = {str(name): message for name in details["fields"]}
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.details}}


class BadRequest(BomsError):
    status, code = 400, "bad_request"


class Unauthorized(BomsError):
    status, code = 401, "unauthorized"


class Forbidden(BomsError):
    status, code = 403, "forbidden"


class NotFound(BomsError):
    status, code = 404, "not_found"


class Conflict(BomsError):
    status, code = 409, "conflict"


class StateUnreadable(Conflict):
    """An instance's saved engine state cannot be loaded; only cancel and variable repair still work."""

    code = "state_unreadable"


class PayloadTooLarge(BomsError):
    status, code = 413, "payload_too_large"


class Unprocessable(BomsError):
    status, code = 422, "unprocessable"


class DeployError(Unprocessable):
    """A file cannot be deployed; details name the file, element and line where known."""

    code = "deploy_error"


class FormInvalid(Unprocessable):
    code = "validation_error"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("The submitted variables are not valid for this form.", fields=errors)


class EngineError(Unprocessable):
    """The engine could not carry out a step (bad expression at run time, failed decision)."""

    code = "engine_error"


class ValueRefused(FormInvalid):
    """A value cannot be accepted anywhere (too deep, too large, not storable); see server/forms/limits.py."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__({path: message})
        self.message = f"{path}: {message}" if path else message
        self.details["field"] = path


def http_error_json(exc: HTTPException) -> tuple[dict[str, Any], int, list[tuple[str, str]]]:
    """A routing or protocol error (404, 405, 413, ...) in the API's error shape, with the headers it
    must keep (Allow on a 405, Retry-After on a 429)."""
    code = (exc.name or "error").lower().replace(" ", "_")
    headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
    return {"error": {"code": code, "message": exc.description}}, exc.code or 500, headers
