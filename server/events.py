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
    INSTANCE_MODIFIED = "instance.modified"  # an admin moved a token (cancel here, start before there)
    INSTANCE_WITHDRAWN = "instance.withdrawn"  # the initiator took the request back before anyone acted
    INCIDENT_CREATED = "incident.created"
    TASK_CREATED = "task.created"
    TASK_COMPLETED = "task.completed"
    TASK_CANCELLED = "task.cancelled"
    TASK_CLAIMED = "task.claimed"
    TASK_UNCLAIMED = "task.unclaimed"
    TASK_REASSIGNED = "task.reassigned"
    TASK_DUE_CHANGED = "task.due_changed"
    TASK_TRANSFERRED = "task.transferred"
    TASK_RETURNED = "task.returned"  # sent back to an earlier step or the initiator, with a comment
    TASK_DELEGATED = "task.delegated"  # the delegate works it, the owner confirms
    TASK_RESOLVED = "task.resolved"  # a delegate or added signer handed it back to its owner
    TASK_SIGNER_ADDED = "task.signer_added"  # 加签: before or after the current assignee
    TASK_URGED = "task.urged"  # a reminder to the assignees, at most once an hour
    TASK_CC = "task.cc"  # users copied on the request (read-only)
    TASK_SUBSTITUTED = "task.substituted"  # its assignee is out of office: it went to their substitute
    TASK_ESCALATED = "task.escalated"  # its escalateAfter passed: the task went to the assignee's manager
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
    USER_SUBSTITUTE_SET = "user.substitute_set"  # out of office: who takes the user's tasks, from when to when
    USER_PASSWORD_SET = "user.password_set"
    USER_ROLES_CHANGED = "user.roles_changed"
    USER_GROUPS_CHANGED = "user.groups_changed"
    USER_ACTIVATED = "user.activated"
    USER_DEACTIVATED = "user.deactivated"
    GROUP_CREATED = "group.created"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
    RULE_SAVED = "rule.saved"
    RULE_ENABLED = "rule.enabled"
    RULE_DISABLED = "rule.disabled"
    RULE_DELETED = "rule.deleted"
    RULE_RUN_FAILED = "rule.run_failed"
    RULE_RUN_RETRIED = "rule.run_retried"
    RULE_TRIGGERED = "rule.triggered"
    AUDIT_SEALED = "audit.sealed"
    AUDIT_EXPORTED = "audit.exported"
    RECORD_IMPORTED = "record.imported"  # an import ended: file, mode, counts (each record has its own event)
    RECORD_EXPORTED = "record.exported"  # who exported which filter and fields, how many rows
    # saved views of record lists
    RECORD_VIEW_SAVED = "record_view.saved"
    RECORD_VIEW_DELETED = "record_view.deleted"
    RECORD_TYPE_SAVED = "record_type.saved"
    RECORD_TYPE_FIELD_PURGED = "record_type.field_purged"
    RECORD_TYPE_DELETED = "record_type.deleted"
    RECORD_CREATED = "record.created"
    RECORD_UPDATED = "record.updated"
    RECORD_DELETED = "record.deleted"
    DASHBOARD_SAVED = "dashboard.saved"
    DASHBOARD_DELETED = "dashboard.deleted"


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
    RECORD_IMPORT = "record_import"
    RECORD_TYPE = "record_type"
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


class RuleRunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"  # a `wait` action: continues in a later job
    DONE = "done"
    STOPPED = "stopped"  # a stop_if action ended it
    FAILED = "failed"
    LIMITED = "limited"  # refused by the rule's rate limit


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
