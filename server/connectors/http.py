"""The built-in `http` connector: one HTTP(S) request, the response as variables.

Parameters: url (required), method (GET), headers (map), query (map), body (a string is sent as
is; anything else as JSON), timeout (seconds, default 30), username and password (basic auth).
Result: {"status": 200, "headers": {lower-cased name: value}, "body": parsed JSON or text}.
A status outside 2xx fails the call; 5xx, 408, 429, timeouts and connection errors may be retried.

httpx rather than the standard library: separate connect/read timeouts, redirects followed only
to http(s), streamed responses so an endless body can be cut off, and exceptions that tell a
timeout from a refused connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from server.connectors import ConnectorContext, ConnectorError, register
from server.connectors.values import ValueSpec, literal

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
PARAMETERS = frozenset({"url", "method", "headers", "query", "body", "timeout", "username", "password"})
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 300.0
MAX_RESPONSE_BYTES = 1 << 20  # the body becomes a process variable, stored with every step
RETRYABLE_STATUSES = {408, 425, 429}


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"url must be a non-empty text, got {value!r}")
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"url '{value}' must start with http:// or https://")
    if not parts.hostname:
        raise ValueError(f"url '{value}' has no host")
    return value.strip()


def _method(value: Any) -> str:
    method = value.strip().upper() if isinstance(value, str) else value
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {value!r}")
    return method


def _text_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a map of names to values, got {type(value).__name__}")
    result = {}
    for key, item in value.items():
        if item is None:
            continue
        result[str(key)] = item if isinstance(item, str) else json.dumps(item) if isinstance(item, bool) else str(item)
    return result


def _timeout(value: Any) -> float:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"timeout must be a number of seconds, got '{value}'") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_TIMEOUT:
        raise ValueError(f"timeout must be a number of seconds between 0 and {MAX_TIMEOUT:g}, got {value!r}")
    return float(value)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "url": _url,
    "method": _method,
    "headers": lambda v: _text_map(v, "headers"),
    "query": lambda v: _text_map(v, "query"),
    "timeout": _timeout,
}


def check_parameters(specs: Mapping[str, ValueSpec]) -> None:
    """At deploy time, check the parameters whose values are constants."""
    for name, check in _CHECKS.items():
        if name in specs:
            known, value = literal(specs[name])
            if known:
                check(value)


def _where(method: str, url: str) -> str:
    # Without the query string and credentials, which often carry secrets.
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{method} {parts.scheme}://{host}{port}{parts.path}"


def _read_body(response: httpx.Response, where: str) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ConnectorError(f"{where}: the response is larger than {MAX_RESPONSE_BYTES // 1024} KiB")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(raw: bytes, response: httpx.Response) -> Any:
    if not raw:
        return None
    text = raw.decode(response.encoding or "utf-8", errors="replace")
    if "json" in response.headers.get("content-type", "").lower():
        try:
            return json.loads(text)
        except (ValueError, RecursionError):  # nested deeper than the parser goes: the service task's
            # result check (server/forms/limits.py) refuses what is too deep or too large
            return text
    return text


def _request(params: Mapping[str, Any]) -> dict[str, Any]:
    try:
        request = {name: check(params.get(name)) for name, check in _CHECKS.items() if name != "method"}
        request["method"] = _method(params.get("method") or "GET")
    except ValueError as exc:
        raise ConnectorError(str(exc)) from exc
    body = params.get("body")
    if body is not None:
        if isinstance(body, str):
            request["content"] = body.encode()
            request["headers"].setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            request["json"] = body
    if params.get("username") is not None:
        request["auth"] = (str(params["username"]), str(params.get("password") or ""))
    return request


@register("http", parameters=PARAMETERS, required={"url"}, check=check_parameters)
def http_connector(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
    request = _request(params)
    method, url, timeout = request.pop("method"), request.pop("url"), request.pop("timeout")
    auth, query = request.pop("auth", None), request.pop("query")
    where = _where(method, url)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5, auth=auth) as client, \
                client.stream(method, url, params=query, **request) as response:
            raw = _read_body(response, where)
    except httpx.TimeoutException:
        raise ConnectorError(f"{where}: no answer within {timeout:g} s", retryable=True) from None
    except (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.TooManyRedirects) as exc:
        raise ConnectorError(f"{where}: {exc}") from None
    except httpx.TransportError as exc:
        raise ConnectorError(f"{where}: {type(exc).__name__}: {exc}", retryable=True) from None
    body = _decode(raw, response)
    result = {"status": response.status_code, "headers": dict(response.headers.items()), "body": body}
    if not response.is_success:
        snippet = (raw[:300].decode("utf-8", errors="replace").strip() + ("…" if len(raw) > 300 else "")) or "(empty)"
        retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUSES
        raise ConnectorError(
            f"{where} answered HTTP {response.status_code} {response.reason_phrase}: {snippet}", retryable=retryable,
        )
    return result
