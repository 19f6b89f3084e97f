"""The Celery app. Embedded default: a broker in a SQLite file and a worker thread inside `boms serve`;
production: BOMS_BROKER_URL=redis://... or amqp://... with `boms worker` / `celery -A server.worker worker`.

The due-job poller and the job kinds (timers, service tasks, notifications, rules) arrive with the
engine-depth issue; this module is where they register.
"""

from __future__ import annotations

import threading

from celery import Celery

from server.config import Config


def make_celery(config: Config) -> Celery:
    app = Celery("boms", broker=config.broker_url, set_as_current=True)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name="boms.audit.verify")
    def verify_audit() -> dict[str, object]:
        """Verify the audit chain off the request path (the admin UI's button will queue it)."""
        from server.db import Database
        from server.services.audit import verify

        database = Database(config.database_url)
        with database.read() as session:
            result = verify(session).to_dict()
        database.dispose()
        return result

    @app.task(name="boms.notifications.deliver")
    def deliver_notifications() -> int:
        """Email pending notifications; queued after the commit that created them, never inside it."""
        from server.db import Database
        from server.services.notifications import deliver_pending

        database = Database(config.database_url)
        try:
            return deliver_pending(database, config)
        finally:
            database.dispose()

    return app


celery = make_celery(Config.from_env())


def start_embedded_worker(app: Celery) -> threading.Thread:
    """A worker thread for the single-process default, so `make run` needs no broker server."""
    worker = app.Worker(pool="solo", concurrency=1, loglevel="WARNING", quiet=True, without_heartbeat=True,
                        without_mingle=True, without_gossip=True, redirect_stdouts=False)
    thread = threading.Thread(target=worker.start, name="boms-worker", daemon=True)
    thread.start()
    return thread
