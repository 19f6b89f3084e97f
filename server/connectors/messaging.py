"""Connectors that reach people: `sms` through a provider, `email` over SMTP.

SMS providers differ in API; BOMS talks to one through the `SmsProvider` interface. The built-in
`HttpSmsProvider` POSTs {"to", "text", "id"} as JSON to BOMS_SMS_URL (with BOMS_SMS_TOKEN as a bearer
token), which fits a small adapter in front of any provider, and the tests' local fake provider.
Another provider plugs in with `set_sms_provider`. The `id` (the caller's idempotency key: a rule
run and action, or an instance and element, plus the attempt-independent part) lets a provider drop
a resend after a lost answer.
"""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage
from typing import Any, Protocol

import httpx

from server.connectors import ConnectorContext, ConnectorError, register

SMS_TIMEOUT = 10.0
SMTP_TIMEOUT = 10.0
MAX_SMS = 1000


class SmsProvider(Protocol):
    def send(self, to: str, text: str, message_id: str) -> dict[str, Any]: ...


class HttpSmsProvider:
    """POST JSON to a URL; 2xx is sent, 5xx/429/timeouts are retried, other 4xx are refused."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url, self.token = url, token

    def send(self, to: str, text: str, message_id: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.post(self.url, json={"to": to, "text": text, "id": message_id}, headers=headers,
                                  timeout=SMS_TIMEOUT)
        except httpx.TimeoutException:
            raise ConnectorError(f"sms: {self.url} did not answer within {SMS_TIMEOUT:g} s", retryable=True) from None
        except httpx.TransportError as exc:
            raise ConnectorError(f"sms: {self.url}: {type(exc).__name__}: {exc}", retryable=True) from None
        if not response.is_success:
            retryable = response.status_code >= 500 or response.status_code == 429
            raise ConnectorError(f"sms: the provider answered HTTP {response.status_code}: "
                                 f"{response.text[:200]}", retryable=retryable)
        try:
            body = response.json()
        except ValueError:
            body = {}
        return {"sent": True, "to": to, "provider": body if isinstance(body, dict) else {}}


_provider: SmsProvider | None = None


def set_sms_provider(provider: SmsProvider | None) -> None:
    """Install a provider (None: back to BOMS_SMS_URL)."""
    global _provider
    _provider = provider


def sms_provider() -> SmsProvider:
    if _provider is not None:
        return _provider
    url = os.environ.get("BOMS_SMS_URL")
    if not url:
        raise ConnectorError("sms: no provider configured (set BOMS_SMS_URL, or install one with set_sms_provider)")
    return HttpSmsProvider(url, os.environ.get("BOMS_SMS_TOKEN") or None)


def _text(params: dict[str, Any], name: str, limit: int) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ConnectorError(f"'{name}' must be non-empty text, got {value!r}")
    if len(value) > limit:
        raise ConnectorError(f"'{name}' is longer than {limit} characters")
    return value.strip()


@register("sms", parameters={"to", "text"}, required={"to", "text"})
def sms_connector(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
    to, text = _text(params, "to", 40), _text(params, "text", MAX_SMS)
    return sms_provider().send(to, text, f"{context.instance_id}/{context.element_id}")


@register("email", parameters={"to", "subject", "body"}, required={"to", "subject"})
def email_connector(params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]:
    to, subject = _text(params, "to", 320), _text(params, "subject", 500)
    body = params.get("body") or ""
    config = context.config
    if config is None or not config.smtp_host:
        raise ConnectorError("email: no mail server configured (BOMS_SMTP_HOST)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = config.mail_from, to, subject
    message["Message-ID"] = f"<{context.instance_id.replace(':', '-')}.{context.element_id}@boms>"
    message.set_content(str(body))
    try:
        with smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=SMTP_TIMEOUT) as smtp:
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise ConnectorError(f"email: the server refused {to}: {exc.recipients}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ConnectorError(f"email: {type(exc).__name__}: {exc}", retryable=True) from None
    return {"sent": True, "to": to}
