"""Demo content for `make run`: users with generated passwords, and the processes in bpmn/ and dmn/."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import select

from server import analytics as _analytics  # noqa: F401  (registers *.dashboard.json files for deploy)
from server import connectors
from server import records as _records  # noqa: F401  (registers *.record.json files for deploy)
from server.audit import Publisher
from server.config import Config
from server.db import Database
from server.models import User
from server.private_files import write_private
from server.services.deployments import UploadedFile, deploy
from server.services.identity import add_user

# name, roles, groups, manager, who they are
DEMO_USERS = [
    ("admin", ["admin"], [], None, "administrator"),
    ("fiona", ["staff"], ["finance", "employees"], None, "finance director"),
    ("mike", ["staff"], ["managers", "employees"], "fiona", "department manager"),
    ("alice", ["staff"], ["employees"], "mike", "employee"),
    ("ada", ["auditor"], [], None, "auditor"),
    ("mo", ["modeler", "staff"], ["employees"], None, "process analyst"),
]


def install_demo(config: Config, root: Path) -> None:
    connectors.init_app(None)  # the parser reads service tasks through the connectors' reader
    database = Publisher(config.audit_key).attach(Database(config.database_url))
    credentials = config.instance_path / "demo-credentials.txt"
    with database.write() as session:
        if session.execute(select(User.id).where(User.username == "admin")).first() is None:
            lines = []
            for name, roles, groups, manager, role_text in DEMO_USERS:
                password = secrets.token_urlsafe(12)
                add_user(session, name, password, roles=roles, groups=groups, manager=manager, actor="demo")
                lines.append(f"{name:<6} {password}   ({role_text}; roles {', '.join(roles)})")
            write_private(credentials, "\n".join(lines) + "\n")
            print("Demo users (passwords generated now, shown once; kept in instance/demo-credentials.txt):")
            print("\n".join("  " + line for line in lines))
        else:
            print(f"Demo users exist; their passwords are in {credentials}")
        folders = ("dmn", "bpmn", "records", "dashboards")
        files = [UploadedFile(p.name, p.read_bytes())
                 for folder in folders for p in sorted((root / folder).glob("*")) if p.is_file()]
        summary = deploy(session, files, "demo", config.allow_python_scripts)
    for item in summary["decisions"] + summary["processes"] + summary.get("recordTypes", []) \
            + summary.get("dashboards", []):
        print(f"  deployed {item['key']} version {item['version']}" + ("" if item["created"] else " (unchanged)"))
    database.dispose()
