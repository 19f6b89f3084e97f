"""Security headers for every response, and how stored uploads are served.

Pages get a Content-Security-Policy without inline script: every script is a file under /static or
Flask-Admin's static folder; Flask-Admin's few inline <script> blocks carry the per-request nonce it
asks for (`csp_nonce_generator`), its inert `onclick="return false;"` is admitted by hash, and its
`href="javascript:void(0)"` links become "#" links (static/admin/csp.js). Styles need no
'unsafe-inline' either: bpmn-js styles its SVG through the CSSOM (element.style), which style-src does
not govern, and the templates have no style attributes (tests/e2e/test_csp_e2e.py checks in Chromium).

Bokeh (the analytics engine, to come): BokehJS served from this server as files is covered by
script-src 'self'; `bokeh.embed.components()` emits an inline <script> per chart, so render it with
the nonce (`<script nonce="{{ csp_nonce() }}">`) or use `json_item` + a static loader; BokehJS also
builds functions from strings in some widgets (CustomJS, some tools) — that would need 'unsafe-eval',
so prefer charts without CustomJS rather than widening script-src, and it injects <style> elements,
which need style-src 'nonce-...' (or 'unsafe-inline' for styles only). Decide it with a browser test
that checks the console for CSP violations, as tests/e2e/test_csp_e2e.py does.

Stored content (BPMN/DMN XML, form JSON, uploaded files) was uploaded by someone else: it is sent as
an attachment, never as a type a browser renders actively, with nosniff and a CSP that forbids
everything and sandboxes the document even if a browser did show it. JavaScript reading it with
fetch() (bpmn-js) is unaffected: fetch ignores Content-Disposition.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

from flask import Flask, Response, g

STORED_CSP = "default-src 'none'; sandbox"
# Types a browser would run or render with scripts if it displayed them.
_ACTIVE_TYPES = ("html", "xml", "svg", "javascript", "ecmascript", "xsl", "x-shockwave", "wasm")


def csp_nonce() -> str:
    """The nonce of this request's inline scripts (one per request, unguessable)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _handler_hash(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode() + "'"


# Flask-Admin's filter menu items carry onclick="return false;" (admin/model/layout.html). Chromium refuses
# an inline handler when it parses the attribute, so it is allowed by hash ('unsafe-hashes' admits exactly
# these handler texts, nothing else).
ALLOWED_HANDLERS = " ".join(["'unsafe-hashes'", _handler_hash("return false;")])


def page_policy(nonce: str | None) -> str:
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "") + " " + ALLOWED_HANDLERS
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self'",
        "img-src 'self' data:",  # Bootstrap's and bpmn-js's icons are data: URLs in their CSS
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def safe_download_type(content_type: str | None) -> str:
    """The type to send a stored file with: its own, unless a browser could run it as a document."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if not kind or any(marker in kind for marker in _ACTIVE_TYPES) or kind.startswith("text/") and kind not in (
            "text/plain", "text/csv"):
        return "application/octet-stream"
    return kind


def harden_stored(response: Response, filename: str | None = None) -> Response:
    """Make `response` (stored content) an attachment that no browser executes."""
    if "Content-Disposition" not in response.headers:
        response.headers["Content-Disposition"] = "attachment" + (f'; filename="{filename}"' if filename else "")
    response.headers["Content-Security-Policy"] = STORED_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def stored_xml(xml: str, filename: str, **headers: Any) -> Response:
    """Stored BPMN/DMN XML as a download; bpmn-js reads it with fetch()."""
    return harden_stored(Response(xml, mimetype="application/xml", headers=headers), filename)


def init_security_headers(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # A response that set its own policy (stored content) keeps it.
        response.headers.setdefault("Content-Security-Policy", page_policy(g.get("csp_nonce")))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response
