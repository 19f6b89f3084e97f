"""The login rate limit: attempts per user name (any address) and per client address (any user name).

Counting per address stops password spraying (one address, many user names); counting per user name
stops a slow attack on one account from many addresses. The counters live in the store named by
`ratelimit_storage_url`: Redis shares them between gunicorn workers and nodes; `memory://` suits the
embedded single-process server only. Built on `limits` (the library under Flask-Limiter), one limiter
per app, so two apps in one process keep their own counters unless they share a store.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)


class LoginThrottle:
    def __init__(self, storage_url: str, prefix: str) -> None:
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_url))
        self.prefix = prefix

    def check(self, address: str, username: str, per_user: str, per_address: str) -> None:
        """Count one attempt; raise TooManyRequests (with Retry-After) when either limit is spent."""
        checks = [(parse(per_address), ("login-address", address)),
                  (parse(per_user), ("login-user", username.strip().casefold()))]
        try:
            for limit, key in checks:
                if not self.limiter.hit(limit, self.prefix, *key):
                    reset = self.limiter.get_window_stats(limit, self.prefix, *key).reset_time
                    raise TooManyRequests(retry_after=max(1, int(reset - time.time()) + 1))
        except TooManyRequests:
            raise
        except Exception:  # the store is down: logins keep working (Argon2 still slows guessing), loudly
            log.exception("login rate limit store unreachable; attempt not counted")


def init_throttle(app: Flask) -> None:
    config = app.config["BOMS"]
    app.extensions["boms_login_throttle"] = LoginThrottle(config.ratelimit_storage_url, config.ratelimit_prefix)


def count_login_attempt(username: str) -> None:
    config = current_app.config["BOMS"]
    current_app.extensions["boms_login_throttle"].check(request.remote_addr or "", username,
                                                        config.login_rate_limit, config.login_address_rate_limit)
