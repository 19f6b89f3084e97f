"""Staff pages: task (being written)."""

from server.inbox import bp  # noqa: F401
