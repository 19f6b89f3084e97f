"""Staff pages: start (being written)."""

from server.inbox import bp  # noqa: F401
