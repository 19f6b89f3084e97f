"""All mapped tables; importing this package registers them on Base.metadata."""

from server.models.audit import AuditEvent, AuditHead
from server.models.dashboard import Dashboard
from server.models.external_task import ExternalTask
from server.models.file import StoredFile
from server.models.identity import ROLES, ApiToken, Group, User, membership
from server.models.instance import STATUSES, ProcessInstance
from server.models.instance_record import InstanceRecord
from server.models.instance_state import InstanceStateChunk
from server.models.job import JOB_STATUSES, EventSubscription, Job
from server.models.notification import Notification
from server.models.passage import ElementPassage
from server.models.process import DecisionVersion, Deployment, ProcessVersion
from server.models.record import RecordCounter, RecordType
from server.models.record_import import RecordImport, RecordImportError
from server.models.record_view import RecordView
from server.models.rule import Rule, RuleRun, RuleSchedule
from server.models.task import HumanTask, InstanceCc, TaskCandidate

__all__ = [
    "InstanceRecord",
    "InstanceStateChunk",
    "JOB_STATUSES",
    "ROLES",
    "STATUSES",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Dashboard",
    "DecisionVersion",
    "Deployment",
    "ElementPassage",
    "EventSubscription",
    "ExternalTask",
    "Group",
    "HumanTask",
    "Job",
    "Notification",
    "ProcessInstance",
    "ProcessVersion",
    "RecordCounter",
    "RecordImport",
    "RecordImportError",
    "RecordType",
    "RecordView",
    "Rule",
    "RuleRun",
    "RuleSchedule",
    "StoredFile",
    "InstanceCc",
    "TaskCandidate",
    "User",
    "membership",
]
