"""Users, groups, memberships, roles and API tokens."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, ForeignKey, Numeric, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, utcnow

ROLES = ("admin", "modeler", "staff", "auditor", "worker")

membership = Table(
    "membership",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("user_group.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of every web session's id: raising it (logout, a new password, deactivation) ends them all.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # Read by assignment expressions (`user(initiator).department`, level-by-level approval limits).
    department: Mapped[str | None] = mapped_column(String(200))
    approval_limit: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    # Out of office (issue 14): tasks assigned to this user from..until (dates, inclusive) go to `substitute`.
    substitute: Mapped[str | None] = mapped_column(String(150))
    substitute_from: Mapped[date | None]
    substitute_until: Mapped[date | None]

    manager: Mapped[User | None] = relationship(remote_side=[id])
    groups: Mapped[list[Group]] = relationship(secondary=membership, back_populates="members")

    def end_sessions(self) -> None:
        """Every web session of this user stops working at its next request (API tokens are separate)."""
        self.session_epoch = (self.session_epoch or 0) + 1

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def group_names(self) -> list[str]:
        return sorted(g.name for g in self.groups)


class Group(Base):
    __tablename__ = "user_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))

    members: Mapped[list[User]] = relationship(secondary=membership, back_populates="groups")


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Only a SHA-256 of the token is kept: tokens are 256-bit random, so a slow hash adds nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
