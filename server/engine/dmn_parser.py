"""SpiffWorkflow's DMN parser, extended to read what BOMS evaluates.

The library reads one decision per file, one hit policy attribute and nothing else.  This subclass
reads every decision of a file with its information requirements (the DRD), literal-expression
decisions, the COLLECT aggregation, the allowed values of outputs (PRIORITY and OUTPUT ORDER order by
them), rule annotations, and output entries without the library's check that they are Python.
"""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.dmn.specs.model import Decision, DecisionTable, InputEntry, OutputEntry, Rule

from server.expressions import parse_literal_list


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _text(node: etree._Element | None) -> str | None:
    if node is None:
        return None
    found = [c for c in node if _local(c) == "text"]
    return found[0].text if found else None


class BomsDMNParser(DMNParser):
    """One parser per DMN file; `decisions` holds every decision in it, by id, in file order."""

    def __init__(self, p: Any, node: etree._Element, nsmap: dict[str, str], svg: Any = None,
                 filename: str | None = None) -> None:
        super().__init__(p, node, nsmap, svg=svg, filename=filename)
        self.decisions: dict[str, Decision] = {}

    def decision_elements(self) -> list[etree._Element]:
        return [node for node in self.node if _local(node) == "decision"]

    def parse(self) -> None:
        if self.decisions:
            return  # a file is parsed once however many decisions of it are referenced
        decisions: dict[str, Decision] = {}
        for element in self.decision_elements():
            decision = self._read_decision(element)
            if decision.id in decisions:
                raise ValidationException(f"Decision id '{decision.id}' is used twice", node=element,
                                          file_name=self.filename)
            decisions[decision.id] = decision
        if not decisions:
            raise ValidationException("No decisions found", node=self.node, file_name=self.filename)
        self.decisions = decisions
        self.decision = next(iter(decisions.values()))

    def _read_decision(self, element: etree._Element) -> Decision:
        if not element.get("id"):
            raise ValidationException("A decision needs an id", node=element, file_name=self.filename)
        decision = Decision(element.get("id"), element.get("name", ""))
        variable = [c for c in element if _local(c) == "variable"]
        decision.variable = (variable[0].get("name") if variable else None) or decision.name or decision.id
        decision.line = element.sourceline
        decision.required = []
        for requirement in element:
            if _local(requirement) != "informationRequirement":
                continue
            for ref in requirement:
                if _local(ref) == "requiredDecision":
                    href = ref.get("href") or ""
                    decision.required.append((href.split("#", 1)[-1], requirement.get("id") or decision.id, href))
        literal = [c for c in element if _local(c) == "literalExpression"]
        decision.literal_expression = _text(literal[0]) if literal else None
        decision.literal_id = literal[0].get("id") if literal else None
        self._parse_decision_tables(decision, element)
        return decision

    def _parse_decision_tables(self, decision: Decision, decision_element: etree._Element) -> None:
        for element in decision_element:
            if _local(element) != "decisionTable":
                continue
            table = DecisionTable(element.get("id") or decision.id, element.get("name", ""),
                                  " ".join((element.get("hitPolicy") or "UNIQUE").upper().split()))
            table.aggregation = (element.get("aggregation") or "").upper() or None
            table.line = element.sourceline
            decision.decisionTables.append(table)
            self._parse_inputs_outputs(table, element)

    def _parse_inputs_outputs(self, table: DecisionTable, table_element: etree._Element) -> None:
        # DMN 1.3 also allows a table description and annotation columns; the library rejects both.
        for element in table_element:
            kind = _local(element)
            if kind == "input":
                table.inputs.append(self._parse_input(element))
            elif kind == "output":
                table.outputs.append(self._parse_output(element))
            elif kind == "rule":
                table.rules.append(self._parse_rule(table, element, len(table.rules) + 1))
            elif kind not in ("description", "annotation", "extensionElements", ""):
                raise ValidationException(f"Unknown element in decision table: {kind}", node=element,
                                          file_name=self.filename)

    def _parse_output(self, element: etree._Element) -> Any:
        output = super()._parse_output(element)
        allowed = [c for c in element if _local(c) == "outputValues"]
        text = _text(allowed[0]) if allowed else None
        output.allowed_values = None
        if text and text.strip():
            values = parse_literal_list(text)
            if values is None:
                raise ValidationException(
                    f"Output '{output.name or output.id}': its output values '{text}' are not a list of literals",
                    node=allowed[0], file_name=self.filename)
            output.allowed_values = values
        return output

    def _parse_rule(self, table: DecisionTable, element: etree._Element, row: int) -> Any:
        inputs = [c for c in element if _local(c) == "inputEntry"]
        outputs = [c for c in element if _local(c) == "outputEntry"]
        if len(inputs) != len(table.inputs) or len(outputs) != len(table.outputs):
            raise ValidationException(
                f"Rule {row} has {len(inputs)} input and {len(outputs)} output entries; the table has "
                f"{len(table.inputs)} inputs and {len(table.outputs)} outputs", node=element, file_name=self.filename)
        rule = Rule(element.get("id") or f"{table.id}_rule_{row}")
        rule.row_number = row
        rule.line = element.sourceline
        descriptions = [c for c in element if _local(c) == "description"]
        rule.description = ((descriptions[0].text if descriptions else None) or "").strip()
        rule.inputEntries = [self._parse_input_output_element(table, e, InputEntry, i) for i, e in enumerate(inputs)]
        rule.outputEntries = [self._parse_input_output_element(table, e, OutputEntry, i)
                              for i, e in enumerate(outputs)]
        rule.annotations = [(_text(c) or "").strip() for c in element if _local(c) == "annotationEntry"]
        return rule

    def _parse_input_output_element(self, table: DecisionTable, element: etree._Element, cls: type,
                                    idx: int) -> Any:
        column = (table.inputs if cls is InputEntry else table.outputs)[idx]
        entry = cls(element.get("id") or "", column)
        entry.text = _text(element)
        entry.line = element.sourceline
        if cls is InputEntry:
            entry.lhs.append(None if entry.text is None or entry.text.strip() in ("", "-") else entry.text)
        elif cls is not OutputEntry:
            raise TypeError(cls)
        return entry
