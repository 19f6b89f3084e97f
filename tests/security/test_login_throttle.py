"""The login rate limit counts per user name and per address (password spraying from one address hits the
address limit), and the counters live in Redis when there is one, shared by every process."""

from __future__ import annotations

import dataclasses
import os
import uuid
from typing import Any

import pytest
from redis import Redis

from server import create_app
from server.config import Config

REDIS = "redis://127.0.0.1:6379/0"


def _with(app: Any, **changes: Any) -> None:
    app.config["BOMS"] = dataclasses.replace(app.config["BOMS"], **changes)


def _attempts(app: Any, names: list[str], address: str = "10.0.0.1") -> list[int]:
    client = app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    return [client.post("/login", data={"username": name, "password": "guess", "csrf_token": token},
                        environ_base={"REMOTE_ADDR": address}).status_code for name in names]


def test_one_address_cannot_spray_many_user_names(api: Any) -> None:
    _with(api.app, login_rate_limit="10 per minute", login_address_rate_limit="30 per minute")
    codes = _attempts(api.app, [f"user{i}" for i in range(31)])
    assert codes[:30] == [401] * 30 and codes[30] == 429
    # Another address is not affected, and a 429 says when to come back.
    assert _attempts(api.app, ["user0"], address="10.0.0.2") == [401]


def test_one_user_name_is_limited_across_addresses(api: Any) -> None:
    _with(api.app, login_rate_limit="3 per minute", login_address_rate_limit="100 per minute")
    codes = [_attempts(api.app, ["alice"], address=f"10.0.1.{i}")[0] for i in range(4)]
    assert codes == [401, 401, 401, 429]


def test_a_429_has_retry_after(api: Any) -> None:
    _with(api.app, login_rate_limit="1 per minute")
    client = api.app.test_client()
    token = client.get("/login").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    for _ in range(2):
        response = client.post("/login", data={"username": "bob", "password": "x", "csrf_token": token})
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 60


def test_the_storage_follows_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOMS_RATELIMIT_STORAGE_URL", "BOMS_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    assert Config.from_env(secret_key="k" * 40).ratelimit_storage_url == "memory://"
    monkeypatch.setenv("BOMS_BROKER_URL", "redis://cache:6379/1")
    assert Config.from_env(secret_key="k" * 40).ratelimit_storage_url == "redis://cache:6379/1"
    monkeypatch.setenv("BOMS_RATELIMIT_STORAGE_URL", "redis://other:6379/2")
    assert Config.from_env(secret_key="k" * 40).ratelimit_storage_url == "redis://other:6379/2"


def test_two_app_processes_share_the_counters_in_redis(database_url: str, tmp_path: Any) -> None:
    try:
        Redis.from_url(REDIS).ping()
    except Exception as exc:  # noqa: BLE001 (any failure to reach it: skip and say why)
        if os.environ.get("BOMS_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis not reachable at {REDIS} (BOMS_REQUIRE_REDIS=1: CI must test it)")
        pytest.skip(f"Redis not reachable at {REDIS}: {exc.__class__.__name__}")
    prefix = f"boms-test-{uuid.uuid4().hex}"
    apps = [create_app(Config.from_env(instance_path=tmp_path / f"i{n}", database_url=database_url,
                                       secret_key="test", testing=True, ratelimit_storage_url=REDIS,
                                       ratelimit_prefix=prefix, login_rate_limit="4 per minute",
                                       login_address_rate_limit="100 per minute")) for n in range(2)]
    try:
        codes = [_attempts(apps[n % 2], ["carol"])[0] for n in range(5)]
        assert codes == [401, 401, 401, 401, 429]  # four between the two apps, not four each
        assert any(prefix.encode() in key for key in Redis.from_url(REDIS).scan_iter(f"*{prefix}*"))
    finally:
        redis = Redis.from_url(REDIS)
        for key in redis.scan_iter(f"*{prefix}*"):
            redis.delete(key)
        for app in apps:
            app.extensions["boms_db"].dispose()
