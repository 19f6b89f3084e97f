"""The staff inbox's reads: the tabs over the human_task projection (the instance page is instance_page.py).

Nothing here loads a workflow: the inbox must stay fast with 100,000 tasks, so every list is a query
on `human_task` (joined to `process_instance` only to match a variable's value).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, any_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session

from server.auth.permissions import Principal, can_claim, can_work_on
from server.events import ENDED_STATUSES, InstanceStatus, TaskStatus
from server.forms.render import fields
from server.models import HumanTask, InstanceCc, ProcessInstance, ProcessVersion, TaskCandidate
from server.models.instance import VARIABLE_NAME, variable_text
from server.models.task import ANYONE_KIND, ANYONE_NAME, CLAIMABLE
from server.queries import Sorting, offset_page
from server.queries.args import INT64_MAX
from server.queries.plans import serial_plans
from server.services.inbox_counts import BADGE_CAP, badge_counts, bounded, capped, claimable, count_to, task_rows

NOT_ENDED = tuple(status for status in InstanceStatus if status not in ENDED_STATUSES)
TABS = ("mine", "groups", "completed", "started", "cc", "delegated")
PAGE_SIZE = 25
INBOX_SORTING = Sorting({"created": HumanTask.created_at, "due": HumanTask.due_at, "name": HumanTask.name},
                        HumanTask.id, default="-created")
SORTS = INBOX_SORTING.keys


@dataclass
class InboxQuery:
    tab: str = "mine"
    process: str | None = None
    q: str | None = None
    var: str | None = None
    value: str | None = None
    sort: str = "created"
    descending: bool = True
    page: int = 1

    def __post_init__(self) -> None:
        # Page parameters come from a URL anyone can edit: fall back instead of failing.
        self.tab = self.tab if self.tab in TABS else "mine"
        self.sort = self.sort if self.sort in SORTS else "created"
        self.page = max(1, self.page)
        if self.var is not None and not VARIABLE_NAME.match(self.var):
            self.var = None

    @property
    def filtered(self) -> bool:
        return bool(self.process or self.q or self.var)


@dataclass
class InboxPage:
    query: InboxQuery
    rows: list[HumanTask]
    total: int  # exact when `exact`, else "at least" (bounded counts: inbox_counts.py)
    counts: dict[str, int]  # the badges; BADGE_CAP means "BADGE_CAP or more" (`capped`)
    pages: int
    has_form: dict[str, bool] = field(default_factory=dict)
    exact: bool = True
    capped: frozenset[str] = frozenset()
    elements: dict[str, dict] = field(default_factory=dict)  # open row id -> its element's metadata


def _candidate_keys(who: Principal, groups: Any = None) -> list[ColumnElement[bool]]:
    """The candidate rows that make an unassigned task claimable by `who`: task_visibility's candidate
    rule, which is all of it for unassigned tasks. Admins and auditors may read every task, but the
    groups tab lists only what they are a candidate for. `groups`: a parameter standing for who.groups."""
    names = sorted(who.groups) or [""] if groups is None else groups
    named = [((TaskCandidate.kind == "group") & TaskCandidate.name.in_(names)),
             ((TaskCandidate.kind == "user") & (TaskCandidate.name == who.username))]
    if who.has("staff", "admin"):
        # Nobody named: any staff member may pick it up (see permissions._is_candidate). It is a candidate
        # row like the others, so this is one index lookup rather than a NOT EXISTS per open task.
        named.append((TaskCandidate.kind == ANYONE_KIND) & (TaskCandidate.name == ANYONE_NAME))
    return named


def tab_clauses(session: Session, who: Principal, tab: str, many: bool = False) -> list[ColumnElement[bool]]:
    return _tab_clauses(session.get_bind().dialect.name, who, tab, many)


def _tab_clauses(dialect: str, who: Principal, tab: str, many: bool = False) -> list[ColumnElement[bool]]:
    """The WHERE clauses of one tab. Each is a subset of what `who` may see (the started tab through
    the instance rule: a requester may follow their own request). `many`: the tab holds at least
    BADGE_CAP rows, so walking all open tasks in the page's order finds a page soon."""
    if tab == "mine":
        return [HumanTask.status == TaskStatus.OPEN, HumanTask.assignee == who.username]
    if tab == "completed":
        return [HumanTask.status == TaskStatus.COMPLETED, HumanTask.completed_by == who.username]
    if tab == "started":
        # Only instances still going can have open tasks: the (started_by, status, id) index skips the rest
        # and answers without reading an instance row.
        live = (ProcessInstance.started_by == who.username, ProcessInstance.status.in_(NOT_ENDED))
        if many:
            # Thousands of open tasks of one's own requests: reading them all to sort out a page of 25 cost
            # 42 ms at a million tasks; newest first with a key lookup per task finds the page in ~500.
            return [HumanTask.status == TaskStatus.OPEN,
                    exists().where(ProcessInstance.id == HumanTask.instance_id, *live)]
        started = select(ProcessInstance.id).where(*live)
        if dialect == "postgresql":
            # As a semi-join PostgreSQL walked all open tasks in date order (150 ms at 100,000 tasks);
            # as an array it looks the few tasks up by instance id (2 ms).
            return [HumanTask.status == TaskStatus.OPEN,
                    HumanTask.instance_id == any_(func.array(started.scalar_subquery()))]
        return [HumanTask.status == TaskStatus.OPEN, HumanTask.instance_id.in_(started)]
    if tab == "cc":
        # The step at which `who` was copied on a request (抄送), whatever became of it.
        return [HumanTask.id.in_(select(InstanceCc.task_id).where(InstanceCc.username == who.username))]
    if tab == "delegated":
        # Delegated by `who`, or waiting on signers they added before them (加签): it comes back to them.
        return [HumanTask.status == TaskStatus.OPEN, HumanTask.owner == who.username]
    # Per task, in the page's order: the databases walk the open unassigned tasks newest first and stop
    # at the page (a list of every claimable id first made SQLite sort 25,000 rows per page).
    return [HumanTask.status == TaskStatus.OPEN, HumanTask.assignee.is_(None),
            exists().where(TaskCandidate.task_id == HumanTask.id, TaskCandidate.state == CLAIMABLE,
                           or_(*_candidate_keys(who)))]


def _filters(session: Session, query: InboxQuery) -> tuple[list[ColumnElement[bool]], bool]:
    """The page's filters, and whether they need the join to process_instance."""
    clauses: list[ColumnElement[bool]] = []
    if query.process:
        clauses.append(HumanTask.process_key == query.process)
    if query.q:
        clauses.append(or_(*(column.icontains(query.q.strip(), autoescape=True)
                             for column in (HumanTask.name, HumanTask.business_key, HumanTask.process_key))))
    if query.var:
        text = variable_text(session, query.var)
        # A name without a value asks which instances have the variable at all.
        clauses.append(text == query.value if query.value else text.is_not(None))
    return clauses, bool(query.var)


def tab_counts(session: Session, who: Principal) -> dict[str, int]:
    """The badges, without the page's filters: how much work is waiting, each counted up to BADGE_CAP, in
    one statement (inbox_counts.py). The groups badge counts the open candidate index alone (its rows say
    open and unassigned, a task named twice once), not the task rows."""
    serial_plans(session)
    statement = _badges(session.get_bind().dialect.name, who.has("staff", "admin"))
    return badge_counts(session, statement, {WHO.key: who.username, GROUPS.key: sorted(who.groups) or [""]})


WHO, GROUPS = bindparam("badge_who"), bindparam("badge_groups", expanding=True)


@cache
def _badges(dialect: str, staff: bool) -> Select[Any]:
    """The badge statement for users with or without the staff role, built once per process (building it
    per page cost 3 ms of CPU, as much as running it): who asks goes in as the parameters WHO and GROUPS."""
    shape = Principal(0, WHO, frozenset({"staff"} if staff else ()), frozenset())  # type: ignore[arg-type]
    return select(*(
        (claimable(_candidate_keys(shape, GROUPS), BADGE_CAP) if tab == "groups"
         else bounded(task_rows(_tab_clauses(dialect, shape, tab)), BADGE_CAP)).label(tab) for tab in TABS))


def _total(session: Session, query: InboxQuery, clauses: list[ColumnElement[bool]], join: bool, filtered: bool,
           badge: int) -> tuple[int, bool]:
    """The page's total and whether it is exact: counted just past the page asked for (so it exists, and
    whether one follows), no further than a badge counts unless the page is deeper than that."""
    # A page number anyone can type: past what the databases' LIMIT holds it means "count them all".
    limit = min(max(BADGE_CAP, query.page * PAGE_SIZE + 1), INT64_MAX)
    if not filtered and (badge < BADGE_CAP or limit == BADGE_CAP):
        return badge, badge < BADGE_CAP
    total = count_to(session, task_rows(clauses, join), limit)
    return total, total < limit


def inbox_page(session: Session, who: Principal, query: InboxQuery) -> InboxPage:
    counts = tab_counts(session, who)
    filters, join = _filters(session, query)
    many = counts[query.tab] >= BADGE_CAP
    clauses = tab_clauses(session, who, query.tab, many=many) + filters
    total, exact = _total(session, query, clauses, join, bool(filters), counts[query.tab])
    statement = select(HumanTask)
    if join:
        statement = statement.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    order = INBOX_SORTING.order(query.sort, query.descending)
    page = offset_page(session, statement.where(*clauses), order.clauses(), query.page, PAGE_SIZE, total=total,
                       clamp=True)
    query.page = page.page or 1
    elements = _elements_of(session, [row for row in page.items if row.status == TaskStatus.OPEN])
    has_form = {task_id: bool((element.get("form") or {}).get("properties")) for task_id, element in elements.items()}
    return InboxPage(query, page.items, total, counts, page.pages, has_form, exact, capped(counts), elements)


def batch_decisions(who: Principal, page: InboxPage) -> dict[str, list[tuple[str, str]]]:
    """Per open task `who` may complete: the options of its decision field, for the inbox's batch approval,
    from the element metadata the page read."""
    candidates = [row for row in page.rows if row.status == TaskStatus.OPEN
                  and row.delegation not in ("delegated", "before") and can_work_on(who, row)]
    elements = page.elements
    result = {}
    for row in candidates:
        element = elements.get(row.id) or {}
        if element.get("actions", {}).get("batch") is False:
            continue
        decision = next((f for f in fields(element.get("form")) if f.decision), None)
        if decision is not None:
            result[row.id] = decision.options
    return result


def _elements_of(session: Session, rows: list[HumanTask]) -> dict[str, dict]:
    """Task id -> its element's deploy-time metadata (tasks of called processes: their own version), read
    from the page's few versions in two queries, never from a workflow. Whether a task asks for input (one
    click completes it otherwise) and its batch decisions come from it."""
    if not rows:
        return {}
    versions = dict(session.execute(
        select(HumanTask.id, func.coalesce(HumanTask.version_id, ProcessInstance.version_id))
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.id.in_([row.id for row in rows]))
    ).all())
    elements = dict(session.execute(
        select(ProcessVersion.id, ProcessVersion.elements).where(ProcessVersion.id.in_(set(versions.values())))
    ).all())
    return {row.id: elements.get(versions.get(row.id), {}).get(row.element_id, {}) for row in rows}


def row_actions(who: Principal, task: HumanTask, has_form: bool) -> dict[str, bool]:
    """Which one-click buttons a row offers; the endpoints check again, this only avoids dead buttons."""
    if task.status != TaskStatus.OPEN:
        return {"claim": False, "unclaim": False, "complete": False}
    return {
        "claim": task.assignee is None and can_claim(who, task),
        "unclaim": task.assignee == who.username,
        "complete": not has_form and can_work_on(who, task),
    }


def process_names(session: Session) -> dict[str, str]:
    """Process key -> display name of its latest version: the filter's choices and the process column."""
    rows = session.execute(select(ProcessVersion.key, ProcessVersion.name).where(ProcessVersion.is_latest)
                           .order_by(ProcessVersion.key))
    return {key: name or key for key, name in rows}
