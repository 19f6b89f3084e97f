"""Every permission rule, in one package that every path asks (API, staff pages, admin, exports, CLI):

- roles.py: who is asking (Principal) and the rules that are a role (deploy, audit, people);
- tasks.py: tasks and instances: who may see, claim and work on a task, see an instance, start a process;
- records.py: record types: actions, fields, and row scopes as WHERE clauses.

The services call these; routes and views only ask them to decide what to show.
"""

from server.auth.permissions.records import Action, Grant, RecordPolicy, RowScope, scope
from server.auth.permissions.roles import (
    ADMIN_UI_ROLES,
    AUDIT_READERS,
    DEPLOYERS,
    PEOPLE_ADMINS,
    Principal,
    can_deploy,
    can_read_audit,
    require_can_deploy,
    require_can_manage_people,
    require_can_read_audit,
    require_can_work_external_tasks,
    require_role,
)
from server.auth.permissions.tasks import (
    can_claim,
    can_see_task,
    can_start,
    can_work_on,
    instance_visibility,
    require_can_start,
    require_instance_access,
    require_task_access,
    task_visibility,
)

__all__ = [
    "ADMIN_UI_ROLES",
    "AUDIT_READERS",
    "DEPLOYERS",
    "PEOPLE_ADMINS",
    "Action",
    "Grant",
    "Principal",
    "RecordPolicy",
    "RowScope",
    "can_claim",
    "can_deploy",
    "can_read_audit",
    "can_see_task",
    "can_start",
    "can_work_on",
    "instance_visibility",
    "require_can_deploy",
    "require_can_manage_people",
    "require_can_read_audit",
    "require_can_work_external_tasks",
    "require_can_start",
    "require_instance_access",
    "require_role",
    "require_task_access",
    "scope",
    "task_visibility",
]
