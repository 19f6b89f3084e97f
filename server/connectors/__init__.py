"""Connectors: what a service task calls.  A registry keyed by name, filled by `@register`.

A connector is a plain callable `(params, context) -> result`: `params` are the task's input
parameters, already evaluated against the instance's variables; the result is a JSON-serializable
dict that the task's output mapping turns into variables.  Connectors run in a worker, outside any
database transaction, and signal failure by raising ConnectorError.

    from server.connectors import ConnectorContext, ConnectorError, register

    @register("echo", parameters={"text"}, required={"text"})
    def echo(params: dict, context: ConnectorContext) -> dict:
        return {"text": params["text"]}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.config import Config
from server.connectors.values import ValueSpec


@dataclass(frozen=True)
class ConnectorContext:
    """Where a call comes from, for messages and for connectors that need to know (idempotency keys)."""

    instance_id: str
    element_id: str
    attempt: int = 1
    config: Config | None = None  # the server's settings, for connectors that need one (mail host)
    session: Any = None  # a transactional connector's database session (the task's completing transaction)


class ConnectorError(Exception):
    """A connector call failed.  `retryable` failures (timeouts, 5xx) are tried again with backoff;
    the others (4xx, a bad URL) go straight to an incident, because trying again cannot help."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class Connector(Protocol):
    def __call__(self, params: dict[str, Any], context: ConnectorContext) -> dict[str, Any]: ...


# Deploy-time check of the parameters as written in the BPMN; raises ValueError with a readable message.
ParameterCheck = Callable[[Mapping[str, ValueSpec]], None]


@dataclass(frozen=True)
class Registration:
    name: str
    connector: Connector
    parameters: frozenset[str] | None = None  # None: any parameter name is accepted
    required: frozenset[str] = field(default_factory=frozenset)
    check: ParameterCheck | None = None
    # Runs inside the transaction that completes the task (BOMS's own data, such as records), not between
    # transactions: its writes commit with the task or not at all, and a redelivered job never repeats them.
    transactional: bool = False


class UnknownConnector(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown connector '{name}' (known: {', '.join(names()) or 'none'})")
        self.name = name


_REGISTRY: dict[str, Registration] = {}


def register(name: str, *, parameters: set[str] | frozenset[str] | None = None,
             required: set[str] | frozenset[str] = frozenset(),
             check: ParameterCheck | None = None, transactional: bool = False) -> Callable[[Connector], Connector]:
    """Register a connector under `name`.  `parameters` lists the names it accepts and `required`
    those it needs, so that a typo in the BPMN is rejected at deploy time, not at 3 a.m."""
    if not name or not name.strip():
        raise ValueError("a connector needs a name")
    if parameters is not None and not set(required) <= set(parameters):
        raise ValueError(f"connector '{name}': required parameters must be among the accepted ones")

    def decorate(connector: Connector) -> Connector:
        _REGISTRY[name] = Registration(
            name, connector, frozenset(parameters) if parameters is not None else None, frozenset(required), check,
            transactional,
        )
        return connector

    return decorate


def registration(name: str) -> Registration:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownConnector(name) from None


def get(name: str) -> Connector:
    return registration(name).connector


def is_registered(name: str) -> bool:
    return name in _REGISTRY


def names() -> list[str]:
    return sorted(_REGISTRY)


# The built-in connectors register themselves on import.
from server.connectors import http as _http  # noqa: E402, F401
from server.connectors import messaging as _messaging  # noqa: E402, F401
from server.connectors import records as _records  # noqa: E402, F401


def init_app(_app: Any) -> None:
    """Connectors plug in: the parser reads service tasks' call configuration with their reader."""
    from server.connectors.config import read_service_config
    from server.engine.service_config import install_reader

    install_reader(read_service_config)
