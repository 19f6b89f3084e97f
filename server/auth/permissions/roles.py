"""Who is asking (Principal) and the rules that are a role and nothing else.

Each rule is a named function, so the API, the staff pages, the admin UI, exports and the CLI ask the
same question in the service they call, and a route that forgot a check still cannot do more.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from server.errors import Forbidden
from server.models import User

# Who may deploy process and decision files.
DEPLOYERS = ("admin", "modeler")
# Who may read the whole audit log, verify its chain and export it.
AUDIT_READERS = ("admin", "auditor")
# Who may change users, groups, passwords and API tokens.
PEOPLE_ADMINS = ("admin",)
# Who may open the admin UI (each view narrows it down) and see the company-wide overview.
ADMIN_UI_ROLES = ("admin", "modeler", "auditor")


@dataclass(frozen=True)
class Principal:
    """The asking user, flattened once per request so checks never lazy-load."""

    id: int
    username: str
    roles: frozenset[str]
    groups: frozenset[str]
    # What ``$me.<attribute>`` reads in record filters and row-scope conditions (server/records/me.py).
    department: str | None = None
    display_name: str | None = None
    email: str | None = None
    manager: str | None = None  # the manager's username
    approval_limit: Decimal | None = None
    # A rule's actions: the person whose change or click ran it, whom `$me` in their record filters reads.
    acting_for: Principal | None = None

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(user.id, user.username, frozenset(user.roles), frozenset(g.name for g in user.groups),
                   user.department, user.display_name, user.email,
                   user.manager.username if user.manager_id is not None and user.manager is not None else None,
                   user.approval_limit)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def reads_everything(self) -> bool:
        return self.has("admin", "auditor")


def require_role(who: Principal, *roles: str) -> None:
    if not who.has(*roles):
        raise Forbidden(f"this needs one of the roles: {', '.join(roles)}")


def can_deploy(who: Principal) -> bool:
    return who.has(*DEPLOYERS)


def require_can_deploy(who: Principal) -> None:
    require_role(who, *DEPLOYERS)


def can_read_audit(who: Principal) -> bool:
    return who.has(*AUDIT_READERS)


def require_can_read_audit(who: Principal) -> None:
    require_role(who, *AUDIT_READERS)


def require_can_manage_people(who: Principal) -> None:
    require_role(who, *PEOPLE_ADMINS)


# Who may fetch, lock and complete external tasks (Camunda 7 workers' accounts).
EXTERNAL_WORKERS = ("worker",)  # a service account's role; an admin grants it, also to themselves


def require_can_work_external_tasks(who: Principal) -> None:
    require_role(who, *EXTERNAL_WORKERS)
