"""The Celery app, the job poller, and the embedded single-process setup.

Embedded default (`boms serve`): a broker in a SQLite file, a worker thread and a poller thread inside
the server process. Production: BOMS_BROKER_URL=redis://... or amqp://..., `boms worker` processes
(or `celery -A server.worker worker`) and one or more `boms poller` processes (claims are atomic, so
several pollers never hand out the same job).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import Any

from celery import Celery

from server.config import Config
from server.db import current_database

logger = logging.getLogger(__name__)
BATCH = 50  # jobs per Celery message: 10,000 due timers are 200 messages, not 10,000
SWEEP_SECONDS = 60.0


@cache
def _app(config: Config) -> Any:
    """One Flask app per worker process: the same runner, listeners and database as the web server."""
    from server import create_app

    return create_app(config)


def make_celery(config: Config) -> Celery:
    app = Celery("boms", broker=config.broker_url, set_as_current=True)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name="boms.jobs.run", shared=False)
    def run_jobs(job_ids: list[int]) -> int:
        """Run claimed jobs; a job already finished by an earlier delivery is skipped."""
        from server.services.jobs import run_jobs as run

        flask_app = _app(config)
        return run(current_database(flask_app), flask_app.extensions["boms_runner"], config, job_ids)

    @app.task(name="boms.audit.verify", shared=False)
    def verify_audit() -> dict[str, object]:
        """Verify the audit chain off the request path (the admin UI's button may queue it)."""
        from server.services.audit import verify

        with current_database(_app(config)).read() as session:
            return verify(session).to_dict()

    @app.task(name="boms.notifications.deliver", shared=False)
    def deliver_notifications() -> int:
        """Email pending notifications; queued after the commit that created them, never inside it."""
        from server.services.notifications import deliver_pending

        return deliver_pending(current_database(_app(config)), config)

    return app


celery = make_celery(Config.from_env())


def _sweeps() -> list[Callable[[Any, Config], int]]:
    """Periodic clean-ups other modules offer (notification retries, orphaned uploads)."""
    found = []
    for module, name in (("server.services.notifications", "sweep_notifications"),
                         ("server.services.files", "sweep_orphan_files")):
        fn = getattr(__import__(module, fromlist=[name]), name, None)
        if fn is not None:
            found.append(fn)
    return found


def poll(config: Config, send: Callable[[list[int]], Any], stop: threading.Event, interval: float = 0.2) -> None:
    """Hand due jobs to workers until `stop` is set; sleeps until the next due job, at most `interval`."""
    from server.services.jobs import claim_due, next_due_in

    database = current_database(_app(config))
    last_sweep = 0.0
    while not stop.is_set():
        try:
            ids = claim_due(database)
            for start in range(0, len(ids), BATCH):
                send(ids[start:start + BATCH])
            if time.monotonic() - last_sweep > SWEEP_SECONDS:
                last_sweep = time.monotonic()
                for sweep in _sweeps():
                    sweep(database, config)
            if ids:
                continue
            wait = next_due_in(database)
            stop.wait(interval if wait is None else min(interval, wait))
        except Exception:  # noqa: BLE001 - a database blip must not end the poller
            logger.exception("the job poller failed; retrying in 1 s")
            stop.wait(1.0)


def start_poller(app: Celery, config: Config) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    task = app.tasks["boms.jobs.run"]
    thread = threading.Thread(target=poll, args=(config, lambda ids: task.delay(ids), stop),
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
