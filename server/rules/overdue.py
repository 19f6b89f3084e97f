"""Task-overdue triggers: a process rule with "task.overdue" in `on` fires once per user task of its
process that is still open past its due date.

The rule has one `rule_schedule` row (record_id 0, record_type "task.overdue") whose due_at is a
watermark: the sweep reads the open tasks that fell due since it, through the `human_task.due_at`
index (so the cost follows the tasks falling due, not the task table), offers each, and moves the
watermark, in one transaction. After an outage the first sweep covers the whole gap. A due date
moved into the past is offered at once by the trigger subscriber (server/rules/triggers.py); the event
key (task, due date) makes the two paths one run. Tasks already overdue when the rule is saved do
not fire: the rule watches for tasks *becoming* overdue.
"""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.config import Config
from server.db import utcnow
from server.events import TaskStatus
from server.models import HumanTask, ProcessInstance, RuleSchedule
from server.rules.cache import RuleVersion
from server.rules.definition import OVERDUE, overdue_key
from server.rules.runs import offer
from server.rules.triggers import process_context

BATCH = 2000


def watch(session: Session, rule_key: str) -> None:
    session.execute(insert(RuleSchedule).values(rule_key=rule_key, record_type=OVERDUE, record_id=0,
                                                due_at=utcnow(), fired=0))


def fire(session: Session, config: Config, rule: RuleVersion, row: RuleSchedule) -> int:
    """Offer the tasks that fell overdue since the watermark; returns how many."""
    now = utcnow()
    open_of_process = (HumanTask.process_key == rule.definition["trigger"]["process"],
                       HumanTask.status == TaskStatus.OPEN)
    tasks = list(session.scalars(select(HumanTask).where(
        *open_of_process, HumanTask.due_at > row.due_at, HumanTask.due_at <= now)
        .order_by(HumanTask.due_at).limit(BATCH)))
    if len(tasks) == BATCH:  # the watermark moves to the last due date: take every task due then now
        seen = {t.id for t in tasks}
        tasks += [t for t in session.scalars(select(HumanTask).where(
            *open_of_process, HumanTask.due_at == tasks[-1].due_at)) if t.id not in seen]
    instances = {i.id: i for i in session.scalars(select(ProcessInstance).where(
        ProcessInstance.id.in_({t.instance_id for t in tasks})))} if tasks else {}
    for task in tasks:
        instance = instances.get(task.instance_id)
        if instance is not None:
            offer(session, config, rule, overdue_key(task), OVERDUE,
                  process_context(instance, task, f"rule:{rule.key}"), f"rule:{rule.key}")
    # A full batch: go on from its last due date at the next sweep (the rest are due too).
    row.due_at = tasks[-1].due_at if len(tasks) >= BATCH else now
    row.fired += len(tasks)
    return len(tasks)
