"""A deployed decision as plain data for an HTML table: inputs, outputs, rules, hit policy.

Reads the stored DMN text with lxml (entities and network off, as at deploy time); it never runs
anything. Namespaces differ between DMN 1.1 and 1.3, so elements are matched by local name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass
class DecisionTable:
    key: str
    name: str
    hit_policy: str = "UNIQUE"
    aggregation: str | None = None
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    rules: list[dict[str, Any]] = field(default_factory=list)
    literal: str | None = None  # a literal-expression decision has no table
    required: list[str] = field(default_factory=list)


def _local(element: Any) -> str:
    return etree.QName(element).localname


def _children(element: Any, name: str) -> list[Any]:
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _text(element: Any | None) -> str:
    if element is None:
        return ""
    texts = [c for c in element.iter() if isinstance(c.tag, str) and _local(c) == "text"]
    return (texts[0].text or "").strip() if texts else ""


def decision_table(dmn_xml: str, key: str) -> DecisionTable:
    root = etree.fromstring(dmn_xml.encode(), _PARSER)
    decision = next((d for d in root.iter() if isinstance(d.tag, str) and _local(d) == "decision"
                     and d.get("id") == key), None)
    if decision is None:
        return DecisionTable(key, key, literal="(the decision is not in its file)")
    result = DecisionTable(key, decision.get("name") or key)
    for requirement in _children(decision, "informationRequirement"):
        for ref in _children(requirement, "requiredDecision"):
            result.required.append((ref.get("href") or "").lstrip("#"))
    literal = _children(decision, "literalExpression")
    if literal:
        result.literal = _text(literal[0])
        return result
    tables = _children(decision, "decisionTable")
    if not tables:
        return result
    table = tables[0]
    result.hit_policy = table.get("hitPolicy") or "UNIQUE"
    result.aggregation = table.get("aggregation")
    for entry in _children(table, "input"):
        expression = _text(next(iter(_children(entry, "inputExpression")), None))
        label = entry.get("label") or ""
        result.inputs.append(f"{label} ({expression})" if label and expression else label or expression)
    result.outputs = [o.get("label") or o.get("name") or "" for o in _children(table, "output")]
    for rule in _children(table, "rule"):
        notes = _children(rule, "description")
        result.rules.append({
            "inputs": [_text(e) or "-" for e in _children(rule, "inputEntry")],
            "outputs": [_text(e) for e in _children(rule, "outputEntry")],
            "description": (notes[0].text or "").strip() if notes else "",
        })
    return result
