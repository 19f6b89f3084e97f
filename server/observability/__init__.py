"""What an operator watches: health and readiness probes, Prometheus metrics, request ids in logs.

Each part is its own module; `init_app` wires them into the app in the order they need: the request
id first (so every later log line of a request carries it), then the probes and the metrics.
"""

from __future__ import annotations

from flask import Flask

from server.observability import health, logging_setup, metrics


def init_app(app: Flask) -> None:
    logging_setup.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
