"""`boms check`: what an operator should know before starting a node; each finding says what to do.

Settings and secret strength, private modes on the instance folder and its files (0700 / 0600),
the database and the broker reachable, and the schema at the newest migration.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from server.config import Config, ConfigError, check_secret_key
from server.private_files import private_sqlite


@dataclass
class Finding:
    ok: bool
    what: str

    def line(self) -> str:
        return f"{'ok     ' if self.ok else 'PROBLEM'}  {self.what}"


def _secrets(config: Config) -> list[Finding]:
    found = []
    for name, key in (("BOMS_SECRET_KEY", config.secret_key), ("BOMS_AUDIT_KEY", config.audit_key)):
        try:
            check_secret_key(key)
            found.append(Finding(True, f"{name} is strong ({len(key)} characters)"))
        except ConfigError as exc:
            found.append(Finding(False, str(exc).replace("BOMS_SECRET_KEY", name)))
    return found


def _modes(instance_path: Path) -> list[Finding]:
    wrong = []
    for path in [instance_path, *sorted(instance_path.rglob("*"))]:
        if path.is_symlink():
            continue
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            wrong.append(f"{path} is {mode:o} (want {'700' if path.is_dir() else '600'}: chmod go-rwx)")
    if not wrong:
        return [Finding(True, f"the instance folder {instance_path} and its files are private (0700/0600)")]
    return [Finding(False, line) for line in wrong]


def _database(config: Config) -> list[Finding]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from server.migrate import alembic_config

    engine = create_engine(config.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the finding
        return [Finding(False, f"database unreachable: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}")]
    finally:
        engine.dispose()
    heads = set(ScriptDirectory.from_config(alembic_config(config.database_url)).get_heads())
    found = [Finding(True, f"database reachable ({engine.url.render_as_string(hide_password=True)})")]
    if current == heads:
        found.append(Finding(True, f"migrations current ({', '.join(sorted(heads))})"))
    else:
        found.append(Finding(False, f"database schema at {sorted(current) or 'nothing'}, newest is {sorted(heads)}: "
                                    "run `boms db upgrade`"))
    return found


def _broker(config: Config) -> list[Finding]:
    from kombu import Connection

    private_sqlite(config.broker_url)  # the embedded broker's file would be created world-readable
    try:
        with Connection(config.broker_url, connect_timeout=5) as connection:
            connection.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the finding
        return [Finding(False, f"broker unreachable ({config.broker_url.split('@')[-1]}): {exc}")]
    return [Finding(True, f"broker reachable ({Connection(config.broker_url).as_uri()})")]


def run_checks(config: Config) -> list[Finding]:
    return [*_secrets(config), *_modes(config.instance_path), *_database(config), *_broker(config)]
