"""The catalogue: event kinds, subject types and the statuses of instances, tasks, jobs and emails.

StrEnum members are their string values (`InstanceStatus.RUNNING == "running"`), so rows, JSON and the
audit hash hold the same text as before; code names them instead of repeating literals.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    INSTANCE_STARTED = "instance.started"
    INSTANCE_COMPLETED = "instance.completed"
    INSTANCE_CANCELLED = "instance.cancelled"
    INSTANCE_SUSPENDED = "instance.suspended"
    INSTANCE_RESUMED = "instance.resumed"
    INSTANCE_RETRIED = "instance.retried"
    INSTANCE_MIGRATED = "instance.migrated"
    INSTANCE_VARIABLES_CHANGED = "instance.variables_changed"
    INSTANCE_STEP_FAILED = "instance.step_failed"
    INSTANCE_STATE_REPAIRED = "instance.state_repaired"
    INCIDENT_CREATED = "incident.created"
    TASK_CREATED = "task.created"
    TASK_COMPLETED = "task.completed"
    TASK_CANCELLED = "task.cancelled"
    TASK_CLAIMED = "task.claimed"
    TASK_UNCLAIMED = "task.unclaimed"
    TASK_REASSIGNED = "task.reassigned"
    TASK_DUE_CHANGED = "task.due_changed"
    TASK_TRANSFERRED = "task.transferred"
    TASK_FALLBACK = "task.fallback"  # nobody matched the assignment rule: the task went to its fallback group
    SERVICE_COMPLETED = "service.completed"
    EXTERNAL_TASK_FAILED = "external_task.failed"  # a worker reported a failure (retries left or an incident)
    EXTERNAL_TASK_ERROR = "external_task.bpmn_error"  # a worker reported a BPMN error
    GATEWAY_DECIDED = "gateway.decided"
    DECISION_EVALUATED = "decision.evaluated"
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_THROWN = "message.thrown"
    SIGNAL_RECEIVED = "signal.received"
    SIGNAL_THROWN = "signal.thrown"
    DEPLOYMENT_CREATED = "deployment.created"
    USER_CREATED = "user.created"
    USER_UPDATED = "user.updated"
    USER_PASSWORD_SET = "user.password_set"
    USER_ROLES_CHANGED = "user.roles_changed"
    USER_GROUPS_CHANGED = "user.groups_changed"
    USER_ACTIVATED = "user.activated"
    USER_DEACTIVATED = "user.deactivated"
    GROUP_CREATED = "group.created"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    AUDIT_SEALED = "audit.sealed"
    AUDIT_EXPORTED = "audit.exported"


class SubjectType(StrEnum):
    """What an audit event is about (audit_event.subject_type)."""

    INSTANCE = "instance"
    TASK = "task"
    PROCESS = "process"
    DEPLOYMENT = "deployment"
    USER = "user"
    GROUP = "group"
    TOKEN = "token"
    RECORD = "record"
    RULE = "rule"
    DASHBOARD = "dashboard"
    AUDIT = "audit"


class InstanceStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ERROR = "error"  # an incident: waits for someone to fix and retry
    SUSPENDED = "suspended"


# An instance in error still runs its other branches: timers, messages and tasks go on.
LIVE_STATUSES = (InstanceStatus.RUNNING, InstanceStatus.ERROR)
ENDED_STATUSES = (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED)


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class JobStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class EmailStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
