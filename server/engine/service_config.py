"""Where the parser gets a service task's call configuration at deploy time.

The engine parses BPMN but does not know what a service task calls: the package that runs the calls
(server/connectors) installs its reader here from its `init_app`, so the engine never imports the layer
above it. The reader is process-wide, like the spec cache it feeds. Without one, parsing a service task
fails loudly rather than treating it as calling nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

Reader = Callable[[etree._Element, str], dict[str, Any] | None]
_reader: Reader | None = None


def install_reader(reader: Reader) -> None:
    global _reader
    _reader = reader


def read_service_config(node: etree._Element, file_name: str = "") -> dict[str, Any] | None:
    """The configuration the installed reader finds on `node`, or None for a task that calls nothing."""
    if _reader is None:
        raise RuntimeError("no service task reader is installed (server.connectors.init_app installs it)")
    return _reader(node, file_name)
