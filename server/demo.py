"""Demo content for `make run`: users with generated passwords, and the processes in bpmn/ and dmn/."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import analytics as _analytics  # noqa: F401  (registers *.dashboard.json files for deploy)
from server import connectors
from server import records as _records  # noqa: F401  (registers *.record.json files for deploy)
from server import rules as _rules  # noqa: F401  (registers *.rule.json files for deploy)
from server.audit import Publisher
from server.config import Config
from server.db import Database, utcnow
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
# What the purchase request's level-by-level approval (from 20,000) reads: mike signs up to 50,000 alone,
# above that it goes on to fiona, the top of the line.
APPROVAL_LIMITS = {"mike": Decimal(50_000), "fiona": Decimal(1_000_000)}


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
                add_user(session, name, password, roles=roles, groups=groups, manager=manager, actor="demo",
                         approval_limit=APPROVAL_LIMITS.get(name))
                lines.append(f"{name:<6} {password}   ({role_text}; roles {', '.join(roles)})")
            earlier = credentials.read_text() if existing and credentials.exists() else ""
            write_private(credentials, earlier + "\n".join(lines) + "\n")
            print("Demo users (passwords generated now, shown once; kept in instance/demo-credentials.txt):")
            print("\n".join("  " + line for line in lines))
        else:
            print(f"Demo users exist; their passwords are in {credentials}")
        folders = ("dmn", "bpmn", "records", "rules", "dashboards")
        files = [UploadedFile(p.name, p.read_bytes())
                 for folder in folders for p in sorted((root / folder).glob("*")) if p.is_file()]
        summary = deploy(session, files, "demo", config.allow_python_scripts)
        seeded = seed_records(session)
    for item in summary["decisions"] + summary["processes"] + summary.get("recordTypes", []) \
            + summary.get("rules", []) + summary.get("dashboards", []):
        print(f"  deployed {item['key']} version {item['version']}" + ("" if item["created"] else " (unchanged)"))
    if seeded:
        print(f"  created {seeded} demo contract and project records (for the dashboards)")
    if records > 0:
        from server.records.demo_data import generate

        made = generate(database.write, records)
        print("  generated records: " + ", ".join(f"{n} {key}" for key, n in made.items()))
    database.dispose()


def seed_records(session: Session, contracts: int = 240, projects: int = 60) -> int:
    """Demo contracts and projects for the CEO cockpit, once (when there are none): two years of signings,
    so "this quarter" and "the previous quarter" both have figures. Written through the records service
    (validated, audited) as the demo administrator."""
    from server.auth.permissions import Principal
    from server.records import service
    from server.records.storage import table_of
    from server.records.types import latest

    types = {key: latest(session, key) for key in ("contract", "project")}
    if any(row is None for row in types.values()) or any(
            session.execute(select(table_of(row.definition).c.id).limit(1)).first() for row in types.values()):
        return 0
    demo = Principal(0, "demo", frozenset({"admin"}), frozenset())
    rng = random.Random(2026)
    today = utcnow().date()
    regions, lines = ["north", "east", "south", "west"], ["sofa", "table", "cabinet"]
    customers = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Soylent",
                 "Wonka", "Gringotts"]
    for i in range(contracts):
        signed_on = today - timedelta(days=rng.randrange(730))
        amount = Decimal(rng.randrange(5_000, 500_000))
        collected = (amount * Decimal(rng.choice(["0", "0.3", "0.5", "0.8", "1"]))).quantize(Decimal("1"))
        service.create(session, demo, "contract", {
            "number": f"HT-{signed_on.year}-{i + 1:04d}", "customer": rng.choice(customers),
            "amount": f"{amount}.00", "collected": f"{collected}.00",
            "target": f"{(amount * Decimal('1.1')).quantize(Decimal('1'))}.00", "region": rng.choice(regions),
            "product_lines": rng.sample(lines, rng.randint(1, 2)), "signed_on": signed_on.isoformat(),
            "signed": True})
    for i in range(projects):
        revenue = Decimal(rng.randrange(50_000, 800_000))
        material, labour, other = (revenue * Decimal(share) for share in (
            rng.choice(["0.3", "0.4", "0.5"]), rng.choice(["0.15", "0.2", "0.25"]), "0.05"))
        costs = [c.quantize(Decimal("1")) for c in (material, labour, other)]
        service.create(session, demo, "project", {
            "name": f"Project {i + 1}", "region": rng.choice(regions), "product_line": rng.choice(lines),
            "revenue": f"{revenue}.00", "material_cost": f"{costs[0]}.00", "labour_cost": f"{costs[1]}.00",
            "other_cost": f"{costs[2]}.00", "margin": f"{revenue - sum(costs)}.00",
            "finished_on": (today - timedelta(days=rng.randrange(365))).isoformat()})
    return contracts + projects
