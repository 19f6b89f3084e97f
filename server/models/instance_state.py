"""The engine state of a parallel multi-instance, one row per instance of it (server/engine/state_chunks.py).

`process_instance.state` holds the rest of the working tree; a completion rewrites the row of the
instance it completes, not its siblings'.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class InstanceStateChunk(Base):
    __tablename__ = "instance_state_chunk"

    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                             primary_key=True)
    chunk_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine task id of the instance
    body: Mapped[str] = mapped_column(Text)
