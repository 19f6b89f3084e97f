"""The Celery app, the job poller, and the embedded single-process setup.

`create_app` makes each Flask app's Celery app (`make_celery`, kept as `celery_app(app)`) from the tasks
the engines registered (server/plugins.py); nothing is built from the environment at import time. The
worker command finds it as `server.worker.celery`, which builds the app from the environment on first use
(`celery -A server.worker worker`, `boms worker`).

Embedded default (`boms serve`): a broker in a SQLite file, a worker thread and a poller thread inside
the server process, sharing its Flask app. Production: BOMS_BROKER_URL=redis://... or amqp://..., `boms
worker` processes (or `celery -A server.worker worker`) and one or more `boms poller` processes (claims
are atomic, so several pollers never hand out the same job).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery.signals import worker_process_init
from flask import Flask

from server.config import Config
from server.plugins import CeleryTask, plugins_of
from server.private_files import private_sqlite
from server.services import JOBS_TASK

logger = logging.getLogger(__name__)
BATCH = 50  # jobs per Celery message: 10,000 due timers are 200 messages, not 10,000
SWEEP_SECONDS = 60.0
EXTENSION = "boms_celery"
_env_app: Flask | None = None
_served: weakref.WeakSet[Flask] = weakref.WeakSet()  # Flask apps with a Celery app in this process


def make_celery(app: Flask, broker_url: str | None = None) -> Celery:
    """A Celery app running the tasks `app`'s engines registered, each inside `app`'s context."""
    broker_url = broker_url or app.config["BOMS"].broker_url
    private_sqlite(broker_url)  # the embedded broker's file holds job payloads
    celery = Celery("boms", broker=broker_url, set_as_current=True)
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    for name, task in plugins_of(app).tasks.items():
        celery.task(name=name, shared=False, **task.options)(_bound(app, name, task))
    celery.flask_app = app  # type: ignore[attr-defined]  (the poller and the embedded worker find it here)
    _served.add(app)
    return celery


def _bound(app: Flask, name: str, task: CeleryTask) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        with app.app_context():
            return task.body(app, *args, **kwargs)

    run.__name__ = run.__qualname__ = name.rsplit(".", 1)[-1]
    run.__doc__ = task.body.__doc__
    return run


def init_app(app: Flask) -> Celery:
    """The factory's last step: the app's Celery app, and the sender engines queue tasks through."""
    celery = app.extensions[EXTENSION] = make_celery(app)
    plugins_of(app).sender = lambda name, args, options: celery.send_task(name, args=list(args), **options)
    return celery


def celery_app(app: Flask) -> Celery:
    return app.extensions[EXTENSION]


def __getattr__(name: str) -> Any:
    # `celery -A server.worker` looks for `celery`: the app of a Flask app built from the environment,
    # made when the worker asks for it rather than whenever this module is imported.
    if name != "celery":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    global _env_app
    if _env_app is None:
        from server import create_app

        _env_app = create_app(Config.from_env())
    return celery_app(_env_app)


@worker_process_init.connect
def _fresh_pool(**_: Any) -> None:
    # A prefork child must not reuse connections its parent opened.
    for app in list(_served):
        app.extensions["boms_db"].engine.dispose(close=False)


def poll(app: Flask, send: Callable[[list[int]], Any], stop: threading.Event, interval: float = 0.2) -> None:
    """Hand due jobs to workers until `stop` is set; sleeps until the next due job, at most `interval`.

    Once a minute it also runs the sweeps the engines registered (notification retries, orphaned uploads).
    A commit that queues a job due now wakes it at once (server/services/job_wake.py).
    """
    from server.services.job_wake import Waiter

    waiter = Waiter(app.extensions["boms_db"])
    try:
        _poll(app, send, stop, interval, waiter)
    finally:
        waiter.close()


def _poll(app: Flask, send: Callable[[list[int]], Any], stop: threading.Event, interval: float, waiter: Any) -> None:
    from server.services.jobs import claim_due, next_due_in

    database, config = app.extensions["boms_db"], app.config["BOMS"]
    last_sweep = 0.0
    while not stop.is_set():
        try:
            ids = claim_due(database)
            for start in range(0, len(ids), BATCH):
                send(ids[start:start + BATCH])
            if time.monotonic() - last_sweep > SWEEP_SECONDS:
                last_sweep = time.monotonic()
                for sweep in plugins_of(app).sweeps:
                    sweep(database, config)
            if ids:
                continue
            wait = next_due_in(database)
            waiter.wait(interval if wait is None else min(interval, wait))
        except Exception:  # noqa: BLE001 - a database blip must not end the poller
            logger.exception("the job poller failed; retrying in 1 s")
            stop.wait(1.0)


def start_poller(celery: Celery, app: Flask | None = None) -> tuple[threading.Thread, threading.Event]:
    """A poller thread sending due jobs to `celery`'s workers (for the Flask app `celery` was made for)."""
    stop = threading.Event()
    task = celery.tasks[JOBS_TASK]
    flask_app = app or celery.flask_app  # type: ignore[attr-defined]
    thread = threading.Thread(target=poll, args=(flask_app, lambda ids: task.delay(ids), stop),
                              name="boms-poller", daemon=True)
    thread.start()
    return thread, stop


def start_embedded_worker(app: Celery) -> threading.Thread:
    """A worker thread for the single-process default, so `make run` needs no broker server."""
    worker = app.Worker(pool="solo", concurrency=1, loglevel="WARNING", quiet=True, without_heartbeat=True,
                        without_mingle=True, without_gossip=True, redirect_stdouts=False)
    thread = threading.Thread(target=worker.start, name="boms-worker", daemon=True)
    thread.start()
    return thread
