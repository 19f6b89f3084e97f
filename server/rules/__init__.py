"""The rule engine: IF-THEN automations on records, processes, schedules, dates, webhooks.

- definition.py  a rule's JSON read strictly (trigger, condition, actions)
- checks.py      what it names checked against the database at save
- store.py       versions: save, enable, disable, delete
- triggers.py    the audit subscriber: events -> runs, in the writing transaction
- runs.py        offering an event to a rule: condition, loop depth, rate limit, run + job
- executor.py    the `rule_run` / `rule_call` jobs: actions in order, retries, failures
- batch_runs.py  many `rule_run` jobs of one rule at once (update actions through the batch write path)
- actions.py     the actions; context.py what their values read
- schedule.py    cron and date-relative firings (`rule_schedule`); sweep.py fires them
- dry_run.py     POST /rules/{key}/test
- service.py     the API's calls (permission-checked); deploy.py ``*.rule.json``

Routes: server/api/rules.py; admin views: admin/rules.py.
"""

from __future__ import annotations

from flask import Flask

from server.audit import subscribe
from server.plugins import add_deployer, plugins_of
from server.rules.deploy import SUFFIX, deploy_files

add_deployer(SUFFIX, deploy_files, summary="rules")


def init_app(app: Flask) -> None:
    from server.rules.batch_runs import run_rule_group
    from server.rules.executor import call_rule, run_rule
    from server.rules.runs import CALL_JOB, RUN_JOB
    from server.rules.sweep import sweep_schedules
    from server.rules.triggers import listener

    subscribe(app, listener(app))
    plugins = plugins_of(app)
    plugins.add_job(RUN_JOB, run_rule, batch=True, group=run_rule_group)
    plugins.add_job(CALL_JOB, call_rule, slow=True)
    plugins.add_sweep(sweep_schedules)
