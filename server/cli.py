"""The `boms` command: db upgrade, deploy, user add, token create, audit verify, demo, serve, worker."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from server.config import Config, ConfigError
from server.db import Database
from server.errors import BomsError

DEPLOYABLE = ("*.bpmn", "*.bpmn20.xml", "*.dmn", "*.json")


def _files(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for pattern in DEPLOYABLE for p in path.glob(pattern))
        elif path.is_file():
            found.append(path)
        else:
            raise SystemExit(f"boms deploy: {raw}: no such file or directory")
    return found


def _database(config: Config) -> Database:
    """The database with the audit publisher attached (what create_app does for the web)."""
    from server.audit import Publisher

    return Publisher(config.audit_key).attach(Database(config.database_url))


def cmd_db_upgrade(config: Config, _args: argparse.Namespace) -> int:
    from server.audit import seal_legacy
    from server.migrate import upgrade

    upgrade(config.database_url)
    with _database(config).write() as session:
        if seal_legacy(session, actor="boms db upgrade"):
            print("audit log: the rows from before the keyed chain are sealed by a keyed row")
    print("database is up to date")
    return 0


def _deploying() -> None:
    """What create_app plugs in for deployments: the connectors' service-task reader, record-type files."""
    import server.analytics  # noqa: F401  (registers *.dashboard.json files)
    import server.records  # noqa: F401  (registers *.record.json files)
    from server import connectors

    connectors.init_app(None)


def cmd_deploy(config: Config, args: argparse.Namespace) -> int:
    _deploying()
    from server.services.deployments import UploadedFile, deploy

    files = [UploadedFile(p.name, p.read_bytes()) for p in _files(args.paths)]
    with _database(config).write() as session:
        summary = deploy(session, files, args.actor, config.allow_python_scripts)
    for kind, label in (("decisions", "decision"), ("processes", "process")):
        for item in summary[kind]:
            state = "deployed" if item["created"] else "unchanged"
            print(f"{label} {item['key']} version {item['version']} ({state})")
    for kind, label in (("recordTypes", "record type"), ("rules", "rule"), ("dashboards", "dashboard")):
        for item in summary.get(kind, []):
            print(f"{label} {item['key']} version {item['version']} "
                  f"({'deployed' if item['created'] else 'unchanged'})")
    return 0


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount") from None


def cmd_user_add(config: Config, args: argparse.Namespace) -> int:
    from server.services.identity import add_user

    groups = [g.strip() for g in (args.groups or "").split(",") if g.strip()]
    with _database(config).write() as session:
        add_user(session, args.name, args.password, groups=groups, roles=args.role or ["staff"],
                 manager=args.manager, department=args.department, approval_limit=args.approval_limit)
    print(f"user {args.name} created")
    return 0


def cmd_token_create(config: Config, args: argparse.Namespace) -> int:
    from server.audit import Event, publish
    from server.auth.tokens import create_token
    from server.services.identity import find_user

    with _database(config).write() as session:
        user = find_user(session, args.name)
        token = create_token(session, user, args.label)
        # As from the admin UI: logged, never with the token.
        publish(session, Event("token.created", "cli", subject_type="user", subject_id=str(user.id),
                               data={"username": user.username, "name": args.label}))
    print(token)
    return 0


def cmd_audit_verify(config: Config, _args: argparse.Namespace) -> int:
    from server.services.audit import verify

    with _database(config).read() as session:
        result = verify(session)
    if result.ok:
        print(f"audit chain intact: {result.checked} events verified")
        return 0
    print(f"audit chain BROKEN ({len(result.problems)} problem(s) in {result.checked} events):")
    for problem in result.problems:
        print(f"  seq {problem['seq']}: {problem['problem']}")
    return 1


def cmd_demo(config: Config, args: argparse.Namespace) -> int:
    from server.demo import install_demo

    _deploying()
    if args.records < 0 or args.records > 10_000_000:
        print("boms demo: --records must be 0 to 10,000,000", file=sys.stderr)
        return 2
    install_demo(config, Path(args.root), args.records)
    return 0


def embedded_http(config: Config) -> Config:
    """`boms serve` speaks plain HTTP: a Secure cookie would never come back, so it is off unless set."""
    if "BOMS_SECURE_COOKIES" in os.environ:
        return config
    return dataclasses.replace(config, secure_cookies=False)


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    from waitress import serve

    from server import create_app
    from server.migrate import upgrade
    from server.worker import celery_app, start_embedded_worker, start_poller

    config = embedded_http(config)
    upgrade(config.database_url)
    app = create_app(config)
    from server.audit import seal_legacy

    with app.extensions["boms_db"].write() as session:
        seal_legacy(session, actor="boms serve")
    if not args.no_worker:
        # The worker and poller threads share the server's app: one database pool, one registry.
        start_embedded_worker(celery_app(app))
        start_poller(celery_app(app))
    print(f"BOMS is serving on http://{args.host}:{args.port}/  (API: /api/v1, contract: /api/v1/openapi.json)\n"
          f"Log in to the API with a token: .venv/bin/boms token create USER  (demo users and passwords: "
          f"{config.instance_path / 'demo-credentials.txt'})", flush=True)
    serve(app, host=args.host, port=args.port, threads=args.threads)
    return 0


def cmd_worker(config: Config, args: argparse.Namespace) -> int:
    from server import create_app
    from server.worker import celery_app

    celery = celery_app(create_app(config))
    celery.conf.task_default_queue = args.queue
    options = ["worker", "--loglevel=INFO", f"--queues={args.queue}"]
    if args.concurrency:
        options.append(f"--concurrency={args.concurrency}")
    celery.worker_main(options)
    return 0


def cmd_poller(config: Config, args: argparse.Namespace) -> int:
    import contextlib
    import threading

    from server import create_app
    from server.services import JOBS_TASK
    from server.worker import celery_app, poll

    app = create_app(config)
    celery = celery_app(app)
    celery.conf.task_default_queue = args.queue
    task = celery.tasks[JOBS_TASK]
    print("boms poller: handing due jobs to the workers (Ctrl-C stops)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        poll(app, lambda ids: task.delay(ids), threading.Event())
    return 0


def cmd_backup(config: Config, args: argparse.Namespace) -> int:
    from server.backup import backup

    manifest = backup(config, Path(args.path))
    print(f"backed up the {manifest['database']} database and {manifest['files']} instance files to {args.path}")
    return 0


def cmd_restore(config: Config, args: argparse.Namespace) -> int:
    from server.backup import restore

    manifest = restore(config, Path(args.path))
    print(f"restored the {manifest['database']} database of {manifest['created']} and "
          f"{manifest['restored_files']} instance files from {args.path}")
    return 0


def cmd_check(config: Config, _args: argparse.Namespace) -> int:
    from server.checks import run_checks

    findings = run_checks(config)
    for finding in findings:
        print(finding.line())
    problems = sum(not f.ok for f in findings)
    print(f"{problems} problem(s)" if problems else "all checks passed")
    return 1 if problems else 0


def cmd_jobs_run(config: Config, _args: argparse.Namespace) -> int:
    from server import create_app
    from server.services.jobs import run_due

    app = create_app(config)
    with app.app_context():  # notifications the jobs write queue their emails through the app
        done = run_due(app)
    print(f"{done} due jobs run")
    return 0


def cmd_records_import(config: Config, args: argparse.Namespace) -> int:
    from server import create_app
    from server.records.imports.console import import_file

    app = create_app(config)
    options = {"mode": args.mode, "onError": "skip" if args.skip_invalid else "abort", "dryRun": args.dry_run}
    if args.key:
        options["key"] = args.key
    if args.sheet:
        options["sheet"] = args.sheet
    if args.encoding:
        options["encoding"] = args.encoding
    with app.app_context():
        return import_file(app.extensions["boms_db"], config.instance_path, args.user, args.type, Path(args.file),
                           options)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="boms", description="BOMS workflow server")
    sub = root.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="migrate the database to the latest schema").set_defaults(run=cmd_db_upgrade)

    deploy = sub.add_parser("deploy", help="deploy .bpmn/.dmn files (one deployment)")
    deploy.add_argument("paths", nargs="+")
    deploy.add_argument("--actor", default="cli")
    deploy.set_defaults(run=cmd_deploy)

    user = sub.add_parser("user", help="users").add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="create a user")
    add.add_argument("name")
    add.add_argument("--password", required=True)
    add.add_argument("--groups")
    add.add_argument("--role", action="append", help="admin, modeler, staff or auditor (repeatable)")
    add.add_argument("--manager")
    add.add_argument("--department", help="read by assignment rules: user(name).department")
    add.add_argument("--approval-limit", type=_amount, help="read by level-by-level approval: user(name).approvalLimit")
    add.set_defaults(run=cmd_user_add)

    token = sub.add_parser("token", help="API tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="create an API token for a user; prints only the token")
    create.add_argument("name")
    create.add_argument("--label", default="cli")
    create.set_defaults(run=cmd_token_create)

    audit = sub.add_parser("audit", help="audit log").add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify", help="verify the hash chain").set_defaults(run=cmd_audit_verify)

    demo = sub.add_parser("demo", help="create demo users and deploy bpmn/ and dmn/")
    demo.add_argument("--root", default=".")
    demo.add_argument("--records", type=int, default=0, metavar="N",
                      help="also generate N sample records of each demo record type")
    demo.set_defaults(run=cmd_demo)

    serve = sub.add_parser("serve", help="migrate, then serve the web app with an in-process worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--threads", type=int, default=8)
    serve.add_argument("--no-worker", action="store_true")
    serve.set_defaults(run=cmd_serve)

    worker = sub.add_parser("worker", help="run a Celery worker")
    worker.add_argument("--queue", default="celery", help="the broker queue to take jobs from (default: celery)")
    worker.add_argument("--concurrency", type=int, help="worker processes (default: one per CPU)")
    worker.set_defaults(run=cmd_worker)
    poller = sub.add_parser("poller", help="hand due jobs (timers, service tasks) to the workers")
    poller.add_argument("--queue", default="celery", help="the broker queue the workers take jobs from")
    poller.set_defaults(run=cmd_poller)
    backup = sub.add_parser("backup", help="write the database and the instance folder's files to one archive")
    backup.add_argument("path")
    backup.set_defaults(run=cmd_backup)
    restore = sub.add_parser("restore", help="replace the database and instance files with a backup's (nodes stopped)")
    restore.add_argument("path")
    restore.set_defaults(run=cmd_restore)
    sub.add_parser("check", help="check settings, file modes, secrets, database, broker and migrations; "
                   "exit 1 on a problem").set_defaults(run=cmd_check)
    jobs = sub.add_parser("jobs", help="background jobs").add_subparsers(dest="jobs_command", required=True)
    jobs.add_parser("run", help="run every due job now, in this process").set_defaults(run=cmd_jobs_run)
    records = sub.add_parser("records", help="records").add_subparsers(dest="records_command", required=True)
    imports = records.add_parser("import", help="import a .xlsx/.xls/.xlsb/.ods/.csv file into a record type")
    imports.add_argument("type")
    imports.add_argument("file")
    imports.add_argument("--mode", choices=("insert", "update", "upsert"), default="insert")
    imports.add_argument("--key", help="the unique field update and upsert match records by")
    imports.add_argument("--skip-invalid", action="store_true", help="import the valid rows, list the others")
    imports.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
    imports.add_argument("--sheet")
    imports.add_argument("--encoding", help="utf-8 or gb18030 (default: detected)")
    imports.add_argument("--user", default="admin", help="who imports (their permissions apply; default admin)")
    imports.set_defaults(run=cmd_records_import)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(Config.from_env(), args)
    except BomsError as exc:
        print(f"boms: {exc.message}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"boms: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
