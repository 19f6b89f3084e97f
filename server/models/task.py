"""Human tasks: the inbox projection, written by the runner in the same transaction as the state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow
from server.events import TaskStatus
from server.models.instance import ProcessInstance
from server.models.process import ProcessVersion


class HumanTask(Base):
    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_status_created", "status", "created_at"),
        # The inbox's tabs: badge and page in date order (0016, 0019); a step's open rows of its instance.
        Index("ix_human_task_assignee_status_created", "assignee", "status", "created_at"),
        Index("ix_human_task_completed_by_status_created", "completed_by", "status", "created_at"),
        Index("ix_human_task_owner_status", "owner", "status", postgresql_where=text("owner IS NOT NULL"),
              sqlite_where=text("owner IS NOT NULL")),
        # ...and a completion's nextTasks: the oldest open rows of the instance, read in order (migration 0024).
        Index("ix_human_task_instance_status", "instance_id", "status", "created_at", "id"),
        # The task charts of a process dashboard: its steps' times and due dates, index-only (migration 0026).
        Index("ix_human_task_process_status_name", "process_key", "status", "name",
              postgresql_include=["created_at", "completed_at", "due_at", "id"]),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id"))
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    business_key: Mapped[str | None] = mapped_column(String(255))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(255))
    assignee: Mapped[str | None] = mapped_column(String(150))
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(150))
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # Set when the task belongs to a called process: the version whose elements describe it.
    version_id: Mapped[int | None] = mapped_column(ForeignKey("process_version.id"))
    # Approval actions (server/services/approval_actions.py). `owner` holds the task while a delegate or a
    # signer added before works it (`delegation` says which); they hand it back with resolve.
    owner: Mapped[str | None] = mapped_column(String(150))
    delegation: Mapped[str | None] = mapped_column(String(20))
    # Signers added (加签) still to act on this step, in order (`delegation` "before" or "after" says when).
    signers: Mapped[list[Any] | None] = mapped_column(default=None)
    urged_at: Mapped[datetime | None]
    # A signer added beside the assignee (加签 "parallel") works a row of their own: the id of the step's
    # row (the engine's task) they sign for. The engine never sees these rows (server/services/cosigners.py).
    signs_for: Mapped[str | None] = mapped_column(String(36), index=True)

    instance: Mapped[ProcessInstance] = relationship()
    called_version: Mapped[ProcessVersion | None] = relationship()
    candidates: Mapped[list[TaskCandidate]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def element(self) -> dict[str, Any]:
        """The element's deploy-time metadata: form, assignment expressions, instructions."""
        version = self.called_version if self.version_id is not None else self.instance.version
        return version.elements.get(self.element_id, {})

    @property
    def candidate_groups(self) -> list[str]:
        return sorted(c.name for c in self.candidates if c.kind == "group")

    @property
    def candidate_users(self) -> list[str]:
        return sorted(c.name for c in self.candidates if c.kind == "user")


# The candidate row of a task nobody is named for, which any staff member may claim: stored as a row
# like the others so "tasks I may claim" is one indexed lookup, not a NOT EXISTS over every open task.
ANYONE_KIND, ANYONE_NAME = "anyone", "staff"
# task_candidate.state: the task is open and nobody holds it / open and assigned; NULL once it is closed.
CLAIMABLE, ASSIGNED = "c", "a"


class TaskCandidate(Base):
    """One row per candidate group or user, so "tasks I may see" is an indexed join, not a JSON scan.

    A task nobody is named for has the one row (ANYONE_KIND, ANYONE_NAME); `candidate_groups` and
    `candidate_users` leave it out.

    `state` mirrors the task (CLAIMABLE, ASSIGNED, NULL when closed). Database triggers (migration 0019)
    keep it in step with human_task.status and assignee in the writing transaction, whatever path changes
    them; code never sets it. The partial index over open rows answers the groups badge and "open tasks of
    group G" from the index alone, however many completed tasks a group has.
    """

    __tablename__ = "task_candidate"
    __table_args__ = (
        Index("ix_task_candidate_kind_name", "kind", "name"),
        Index("ix_task_candidate_open", "kind", "name", "state", "task_id",
              postgresql_where=text("state IS NOT NULL"), sqlite_where=text("state IS NOT NULL")),
    )

    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(150), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(1))


class InstanceCc(Base):
    """A user copied (抄送) on a request: they may read the instance and see it under "CC me"."""

    __tablename__ = "instance_cc"
    __table_args__ = (Index("ix_instance_cc_user_created", "username", "created_at"),)

    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                             primary_key=True)
    username: Mapped[str] = mapped_column(String(150), primary_key=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    added_by: Mapped[str] = mapped_column(String(150))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
