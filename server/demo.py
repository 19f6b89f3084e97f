"""Demo content for `make run`: users with generated passwords, and the processes in bpmn/ and dmn/."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import select

from server import connectors
from server import records as _records  # noqa: F401  (registers *.record.json files for deploy)
from server import rules as _rules  # noqa: F401  (registers *.rule.json files for deploy)
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
    ("paul", ["staff"], ["purchasing", "employees"], "mike", "purchaser (the stock rule tells the purchasing group)"),
]


def install_demo(config: Config, root: Path, records: int = 0) -> None:
    connectors.init_app(None)  # the parser reads service tasks through the connectors' reader
    database = Publisher(config.audit_key).attach(Database(config.database_url))
    credentials = config.instance_path / "demo-credentials.txt"
    with database.write() as session:
        existing = set(session.scalars(select(User.username)))
        # Users added to the demo later (paul, whom the stock rule tells) join an existing install too.
        missing = [entry for entry in DEMO_USERS if entry[0] not in existing]
        if missing:
            lines = []
            for name, roles, groups, manager, role_text in missing:
                password = secrets.token_urlsafe(12)
                add_user(session, name, password, roles=roles, groups=groups, manager=manager, actor="demo")
                lines.append(f"{name:<6} {password}   ({role_text}; roles {', '.join(roles)})")
            earlier = credentials.read_text() if existing and credentials.exists() else ""
            write_private(credentials, earlier + "\n".join(lines) + "\n")
            print("Demo users (passwords generated now, shown once; kept in instance/demo-credentials.txt):")
            print("\n".join("  " + line for line in lines))
        else:
            print(f"Demo users exist; their passwords are in {credentials}")
        files = [UploadedFile(p.name, p.read_bytes())
                 for folder in ("dmn", "bpmn", "records", "rules")
                 for p in sorted((root / folder).glob("*")) if p.is_file()]
        summary = deploy(session, files, "demo", config.allow_python_scripts)
    for item in summary["decisions"] + summary["processes"] + summary.get("recordTypes", []):
        print(f"  deployed {item['key']} version {item['version']}" + ("" if item["created"] else " (unchanged)"))
    if records > 0:
        from server.records.demo_data import generate

        made = generate(database.write, records)
        print("  generated records: " + ", ".join(f"{n} {key}" for key, n in made.items()))
    database.dispose()
