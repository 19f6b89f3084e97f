"""Staff pages: notifications (being written)."""

from server.inbox import bp  # noqa: F401
