"""The approval trace on the instance page's diagram: beside each step, who sent the request back to it,
transferred or delegated it, added signers to it or copied people from it, in the reader's language.

The same events and wording as the history (inbox/_history.html); diagram.js draws each element's
lines as a badge on its shape (data-trace)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from server.events import EventKind


def _names(value: Any) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value or "")


def _text(event: dict[str, Any]) -> str | None:
    kind, actor, name, data = event["kind"], event["actor"], event["name"], event["data"]
    if kind == EventKind.TASK_RETURNED:
        return _("%(actor)s sent the request back to %(name)s", actor=actor, name=name)
    if kind == EventKind.TASK_TRANSFERRED:
        return _("%(actor)s transferred %(name)s to %(who)s", actor=actor, name=name, who=data.get("assignee"))
    if kind == EventKind.TASK_DELEGATED:
        return _("%(actor)s delegated %(name)s to %(who)s", actor=actor, name=name, who=data.get("assignee"))
    if kind == EventKind.TASK_SIGNER_ADDED:
        return _("%(actor)s added signers to %(name)s: %(who)s", actor=actor, name=name,
                 who=_names(data.get("users")))
    if kind == EventKind.TASK_CC:
        return _("%(actor)s copied %(who)s", actor=actor, who=_names(data.get("users")))
    return None


def diagram_trace(events: list[dict[str, Any]]) -> dict[str, list[str]]:
    """element id -> the trace lines on it, oldest first (the history's events, already access-checked)."""
    trace: dict[str, list[str]] = {}
    for event in events:
        text = _text(event) if event.get("element_id") else None
        if text:
            trace.setdefault(event["element_id"], []).append(text)
    return trace
