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

from server.engine.decisions import DecisionEngine, DecisionResult
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
        # Keyed by id and checksum: ids alone repeat across databases (tests, a restored backup).
        self._items: OrderedDict[tuple[int, str], LoadedVersion] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, version: Any, decision_xmls: Callable[[], list[str]]) -> LoadedVersion:
        key = (version.id, version.checksum)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        spec, subprocess_specs = build_specs(version.bpmn_xml, version.file_name, decision_xmls())[version.key]
        flows = {
            (info["source"], info["target"]): flow_id
            for flow_id, info in version.elements.items()
            if info.get("kind") == "sequenceFlow"
        }
        loaded = LoadedVersion(spec, subprocess_specs, flows)
        with self._lock:
            self._items[key] = loaded
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return loaded


specs = SpecCache()


_decision_engines: dict[tuple[int, str], DecisionEngine] = {}


def evaluate_deployed(decision: Any, context: Mapping[str, Any]) -> DecisionResult:
    """Evaluate a stored decision version (with the decisions it requires from the same file).

    The parsed file is cached per version: versions never change.
    """
    key = (decision.id, decision.checksum)
    engine = _decision_engines.get(key)
    if engine is None:
        parser = BomsParser()
        parser.add_dmn_xml(parse_xml(decision.dmn_xml.encode(), decision.file_name), decision.file_name)
        engine = _decision_engines.setdefault(key, parser.get_engine(decision.key, None))
    return engine.evaluate(context)
