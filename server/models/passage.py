"""Each time an instance's token entered an element: the history the diagram heatmap aggregates.

Append-only (Camunda's ACT_HI_ACTINST, narrower): the runner inserts, nothing updates. A passage that
ends in the step it began in is one row with both times. One that is still there when its step ends
(a waiting user task, timer, message) first gets an *open* row (``left_at`` NULL); when it ends, a
second, closed row for the same engine task says so. Readers count a task's closed row if there is
one, else its open row (server/analytics/heatmap.py). ``flow_id`` is the sequence flow the token came in
through (NULL for a start event, a boundary event, or an element entered some other way).

No foreign keys: the rows are written in the instance's own transaction, and a per-row check would
only slow the hot path down.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

# How a passage ended; NULL on an open row. "merged": a token that reached a parallel or inclusive join
# and was absorbed when the join fired (its time there is the wait for the other branches).
OUTCOMES = ("completed", "cancelled", "merged")


class ElementPassage(Base):
    __tablename__ = "element_passage"
    __table_args__ = (
        # The heatmap's one scan: ended passages grouped by element, flow and outcome, read from the index
        # alone (PostgreSQL: INCLUDE; SQLite: trailing key columns).
        Index("ix_element_passage_ended", "version_id", "element_id", "flow_id", "outcome",
              postgresql_include=["seconds", "entered_at"], postgresql_where=text("outcome IS NOT NULL"),
              sqlite_where=text("outcome IS NOT NULL")),
        # The p90: each element's durations in order, walked from the longest (heatmap_sql.py).
        Index("ix_element_passage_seconds", "version_id", "element_id", "seconds",
              postgresql_where=text("seconds IS NOT NULL"), sqlite_where=text("seconds IS NOT NULL")),
        Index("ix_element_passage_version_entered", "version_id", "entered_at"),
        Index("ix_element_passage_instance", "instance_id"),
        # The open rows of a live instance (what it waits in now): a few per instance, so the planner reads
        # them per live instance instead of scanning every open row of the version.
        Index("ix_element_passage_open", "instance_id", postgresql_where=text("left_at IS NULL"),
              sqlite_where=text("left_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(36))
    version_id: Mapped[int]
    element_id: Mapped[str] = mapped_column(String(255))
    element_type: Mapped[str] = mapped_column(String(40))
    flow_id: Mapped[str | None] = mapped_column(String(255))
    task_id: Mapped[str] = mapped_column(String(36))  # the engine task: pairs an open row with its closed one
    entered_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(9))
    # left_at - entered_at of a completed or merged passage; NULL while open and when cancelled (the time
    # a cancelled passage stayed is not time the element took).
    seconds: Mapped[float | None] = mapped_column(Float)
