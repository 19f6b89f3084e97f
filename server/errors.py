"""Error types of the domain; the API maps each to one HTTP status in one place."""

from __future__ import annotations

from typing import Any


class BomsError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
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
