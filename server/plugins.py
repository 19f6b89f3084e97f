"""The plug-in registry: what each engine adds to the app, filled by the engines' `init_app(app)`.

`create_app` puts one `Plugins` in `app.extensions["boms"]` and then calls each engine's `init_app(app)`
(connectors, the workflow services, notifications, files, the API, the pages, the admin UI). An engine
registers its job kinds, periodic sweeps, Celery tasks, OpenAPI parts and admin views here; the job
runner, the poller, the Celery factory, the OpenAPI document and the admin UI read them from here.
So the lower layers never import the modules that plug into them, and a new engine (records, rules,
analytics) plugs in by writing an `init_app` instead of editing lists in five places.

This module imports nothing of BOMS (it sits below everything) and no Celery or Flask-Admin either:
entries are plain callables, typed loosely where a precise type would need those imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

EXTENSION = "boms"

# A job handler receives the job's context (server.services.jobs.JobContext).
JobHandler = Callable[[Any], None]
# Runs many claimed jobs of one batched kind at once in the batch's transaction (their contexts, `shared`
# set); returns the contexts it left for `handler`, one by one in savepoints.
GroupHandler = Callable[[list[Any]], list[Any]]
# A sweep gets (Database, Config) and returns how many rows it handled; the poller runs each once a minute.
Sweep = Callable[[Any, Any], int]
# A Celery task body: called as fn(flask_app, *args, **kwargs) inside the app's context.
TaskBody = Callable[..., Any]
# Admin views: given Flask-SQLAlchemy's `db` (admin/session.py), returns Flask-Admin views to add.
AdminViews = Callable[[Any], Iterable[Any]]
# Sends a Celery task by name: (name, args, options). Installed by the Celery factory (server/worker.py).
TaskSender = Callable[[str, tuple[Any, ...], dict[str, Any]], Any]


# A deployable file kind beyond BPMN and DMN (a record type's ``*.record.json``): given the session, the
# actor and every such file of one upload as (name, content), it saves them and returns one summary each.
Deployer = Callable[[Any, str, list[tuple[str, bytes]]], list[dict[str, Any]]]
# By file-name suffix. Module-level, not per app: `boms deploy` deploys without a Flask app.
DEPLOYERS: dict[str, Deployer] = {}
# The key of the deployment summary each suffix's results go under ("recordTypes", "dashboards").
DEPLOYER_SUMMARY: dict[str, str] = {}


def add_deployer(suffix: str, deployer: Deployer, summary: str = "recordTypes") -> None:
    """Let `boms deploy` and POST /deployments take files ending in `suffix` (lower case), beside BPMN/DMN.
    Deployers run in the order they were registered (dashboards after the record types they chart)."""
    if DEPLOYERS.get(suffix, deployer) is not deployer:
        raise RegistryError(f"deployable suffix '{suffix}' is registered twice")
    DEPLOYERS[suffix] = deployer
    DEPLOYER_SUMMARY[suffix] = summary


class RegistryError(ValueError):
    """Two engines registered the same name: a programming error, found at start-up."""


@dataclass(frozen=True)
class JobKind:
    """How the job runner treats a kind of row in the `job` table.

    slow:  the handler calls out (HTTP) before its transaction, so its attempt is recorded first.
    batch: the handler does everything in `ctx.transaction()`, so a worker runs a batch of such jobs in
           one transaction with a savepoint each (one commit for 50 due timers).
    group: (batch kinds) first offered all of a batch's jobs of the kind together, to do many in one set
           of statements; what it leaves, or all of them if it raises, goes through `handler`.
    """

    handler: JobHandler
    slow: bool = False
    batch: bool = False
    group: GroupHandler | None = None


@dataclass(frozen=True)
class CeleryTask:
    body: TaskBody
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenApiPart:
    """Paths (a function, so building them waits until the document is first asked for) and schemas."""

    paths: Callable[[], dict[str, dict[str, Any]]]
    schemas: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass
class Plugins:
    jobs: dict[str, JobKind] = field(default_factory=dict)
    sweeps: list[Sweep] = field(default_factory=list)
    tasks: dict[str, CeleryTask] = field(default_factory=dict)
    openapi: list[OpenApiPart] = field(default_factory=list)
    admin_views: list[AdminViews] = field(default_factory=list)
    sender: TaskSender | None = None

    def add_job(self, kind: str, handler: JobHandler, *, slow: bool = False, batch: bool = False,
                group: GroupHandler | None = None) -> None:
        if kind in self.jobs:
            raise RegistryError(f"job kind '{kind}' is registered twice")
        if group is not None and not batch:
            raise RegistryError(f"job kind '{kind}': a group handler needs batch=True")
        self.jobs[kind] = JobKind(handler, slow=slow, batch=batch, group=group)

    def add_sweep(self, sweep: Sweep) -> None:
        self.sweeps.append(sweep)

    def add_task(self, name: str, body: TaskBody, **options: Any) -> None:
        """A Celery task `name` running `body(flask_app, *args)`; options go to Celery's task decorator."""
        if name in self.tasks:
            raise RegistryError(f"Celery task '{name}' is registered twice")
        self.tasks[name] = CeleryTask(body, options)

    def add_openapi(self, paths: Callable[[], dict[str, dict[str, Any]]], schemas: Mapping[str, Any] | None = None,
                    tags: Iterable[str] = ()) -> None:
        self.openapi.append(OpenApiPart(paths, schemas or {}, tuple(tags)))

    def add_admin_views(self, views: AdminViews) -> None:
        self.admin_views.append(views)

    def send_task(self, name: str, *args: Any, **options: Any) -> Any:
        """Queue Celery task `name` (by name: the caller needs no Celery app, nor to import the worker)."""
        if self.sender is None:
            raise RuntimeError("this app has no Celery app to send tasks with (create_app installs one)")
        return self.sender(name, args, options)


def init_app(app: Flask) -> Plugins:
    plugins = app.extensions[EXTENSION] = Plugins()
    return plugins


def plugins_of(app: Flask | None = None) -> Plugins:
    """The registry of `app`, or of the current app."""
    return (app or current_app).extensions[EXTENSION]
