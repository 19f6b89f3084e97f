"""Parsed process specs, one per deployed version, kept per worker process.

A version never changes once deployed, so parsing it once is enough; the engine state saved with
each instance then needs no copy of the spec.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from server.engine.decisions import DecisionResult, evaluate_table
from server.engine.definitions import build_specs
from server.engine.parser import BomsParser
from server.engine.xml import parse_xml


@dataclass(frozen=True)
class LoadedVersion:
    spec: Any
    subprocess_specs: dict[str, Any]
    # (source element, target element) -> sequence flow id, to record the flows an instance took
    flows: dict[tuple[str, str], str]


class SpecCache:
    def __init__(self, size: int = 256) -> None:
        self._items: OrderedDict[int, LoadedVersion] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, version: Any, decision_xmls: Callable[[], list[str]]) -> LoadedVersion:
        with self._lock:
            if version.id in self._items:
                self._items.move_to_end(version.id)
                return self._items[version.id]
        spec, subprocess_specs = build_specs(version.bpmn_xml, version.file_name, decision_xmls())[version.key]
        flows = {
            (info["source"], info["target"]): flow_id
            for flow_id, info in version.elements.items()
            if info.get("kind") == "sequenceFlow"
        }
        loaded = LoadedVersion(spec, subprocess_specs, flows)
        with self._lock:
            self._items[version.id] = loaded
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return loaded


specs = SpecCache()


_tables: dict[int, Any] = {}


def evaluate_deployed(decision_id: int, dmn_xml: str, context: Mapping[str, Any]) -> DecisionResult:
    """Evaluate a stored decision version; its parsed table is cached (versions never change)."""
    table = _tables.get(decision_id)
    if table is None:
        parser = BomsParser()
        parser.add_dmn_xml(parse_xml(dmn_xml.encode(), "decision"), None)
        dmn = next(iter(parser.dmn_parsers.values()))
        dmn.parse()
        table = _tables.setdefault(decision_id, dmn.decision.decisionTables[0])
    return evaluate_table(table, context)
