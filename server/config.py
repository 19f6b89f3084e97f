"""Every setting BOMS reads, from BOMS_* environment variables, with embedded defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from server.private_files import private_dir, private_file, write_private

DEFAULT_INSTANCE_PATH = Path.cwd() / "instance"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path, name: str = "secret_key") -> str:
    # A generated key kept in the instance folder: stable across restarts, never a fixed default.
    key_file = instance_path / name
    if key_file.exists():
        private_file(key_file)
        return key_file.read_text().strip()
    private_dir(instance_path)
    key = secrets.token_urlsafe(48)
    write_private(key_file, key)
    return key


class ConfigError(Exception):
    """A setting BOMS refuses to start with; the message says which and what to do."""


MIN_SECRET_KEY = 32


def check_secret_key(key: str) -> None:
    """Refuse a secret key that could be guessed: it signs every session cookie and CSRF token."""
    distinct = len(set(key))
    # A short unit repeated ("changeme" * 5) is as guessable as the unit.
    periodic = any(key == (key[:p] * (len(key) // p + 1))[:len(key)] for p in range(1, len(key) // 2 + 1))
    if len(key) < MIN_SECRET_KEY or distinct < 10 or periodic:
        raise ConfigError(
            f"BOMS_SECRET_KEY is too weak: it needs at least {MIN_SECRET_KEY} random characters (it has "
            f"{len(key)}, {distinct} distinct). Generate one with `openssl rand -hex 32`, or unset it to use the "
            "key generated into the instance folder.")


def _ratelimit_storage() -> str:
    # A Redis broker is a store every web process reaches: use it unless told otherwise.
    if os.environ.get("BOMS_RATELIMIT_STORAGE_URL"):
        return os.environ["BOMS_RATELIMIT_STORAGE_URL"]
    broker = os.environ.get("BOMS_BROKER_URL", "")
    return broker if broker.startswith(("redis://", "rediss://")) else "memory://"


@dataclass(frozen=True)
class Config:
    instance_path: Path
    database_url: str
    broker_url: str
    secret_key: str
    # Keys the audit chain's HMAC (server/audit.py); keep it off the database host where you can.
    audit_key: str = ""
    allow_python_scripts: bool = False
    max_upload_bytes: int = 10 * 1024 * 1024
    login_rate_limit: str = "10 per minute"  # per user name, whatever the address
    login_address_rate_limit: str = "30 per minute"  # per client address, whatever the user names
    # Where the login counters live: Redis shares them between processes and nodes; memory is per process.
    ratelimit_storage_url: str = "memory://"
    ratelimit_prefix: str = "boms"
    # Session cookies only over HTTPS; `boms serve` (plain HTTP on loopback) turns it off unless set.
    secure_cookies: bool = True
    smtp_host: str | None = None
    smtp_port: int = 25
    mail_from: str = "boms@localhost"
    # Rules (server/rules): how deep a chain of rules triggering rules is followed, and each rule's
    # default rate limit (runs per minute; a rule's own `rateLimit` overrides it).
    rule_max_depth: int = 8
    rule_runs_per_minute: int = 600
    # How long another process's rule change may take to reach this one's rule cache (server/rules/cache.py).
    rule_cache_seconds: float = 2.0
    # How long another process's user or group change may take to reach this one's notification recipients
    # (server/services/recipients.py); 0: looked up on every step.
    directory_cache_seconds: float = 2.0
    # Dashboard chart rows cached per process, keyed on the audit chain heads (server/analytics/cache.py); 0: off.
    analytics_cache_bytes: int = 64 * 1024 * 1024
    testing: bool = False

    @classmethod
    def from_env(cls, instance_path: Path | None = None, **overrides: object) -> Config:
        path = private_dir(Path(os.environ.get("BOMS_INSTANCE_PATH", instance_path or DEFAULT_INSTANCE_PATH)).resolve())
        values: dict[str, object] = {
            "instance_path": path,
            "database_url": os.environ.get("BOMS_DATABASE_URL", f"sqlite:///{path / 'boms.db'}"),
            "broker_url": os.environ.get("BOMS_BROKER_URL", f"sqla+sqlite:///{path / 'broker.db'}"),
            "secret_key": os.environ.get("BOMS_SECRET_KEY") or _secret_key(path),
            "audit_key": os.environ.get("BOMS_AUDIT_KEY") or _secret_key(path, "audit_key"),
            "allow_python_scripts": _flag("BOMS_ALLOW_PYTHON_SCRIPTS"),
            "max_upload_bytes": int(os.environ.get("BOMS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
            "login_rate_limit": os.environ.get("BOMS_LOGIN_RATE_LIMIT", "10 per minute"),
            "login_address_rate_limit": os.environ.get("BOMS_LOGIN_ADDRESS_RATE_LIMIT", "30 per minute"),
            "ratelimit_storage_url": _ratelimit_storage(),
            "ratelimit_prefix": os.environ.get("BOMS_RATELIMIT_PREFIX", "boms"),
            "secure_cookies": _flag("BOMS_SECURE_COOKIES") if "BOMS_SECURE_COOKIES" in os.environ else True,
            "smtp_host": os.environ.get("BOMS_SMTP_HOST") or None,
            "smtp_port": int(os.environ.get("BOMS_SMTP_PORT", 25)),
            "mail_from": os.environ.get("BOMS_MAIL_FROM", "boms@localhost"),
            "rule_max_depth": int(os.environ.get("BOMS_RULE_MAX_DEPTH", 8)),
            "rule_runs_per_minute": int(os.environ.get("BOMS_RULE_RUNS_PER_MINUTE", 600)),
            "rule_cache_seconds": float(os.environ.get("BOMS_RULE_CACHE_SECONDS", 2)),
            "directory_cache_seconds": float(os.environ.get("BOMS_DIRECTORY_CACHE_SECONDS", 2)),
            "analytics_cache_bytes": int(os.environ.get("BOMS_ANALYTICS_CACHE_BYTES", 64 * 1024 * 1024)),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
