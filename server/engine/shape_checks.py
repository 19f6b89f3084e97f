"""Deploy-time checks of a process's ids and shape that SpiffWorkflow would not make, or would crash on.

- Keys: a process id (or decision id) becomes a key in URLs and in the database; BPMN declares ids as
  XML NCNames, and `x<y` (written `x&lt;y` in the file) or `a/b` broke the routes built from them.
- Chains: SpiffWorkflow parses a process by recursing from each element into the targets of its
  outgoing flows, so a long chain of elements recursed past Python's stack (RecursionError at deploy
  for ~450 elements in a row); and its task iterator silently stops at a tree depth of 1,000, so an
  instance running one long automatic chain in one step would stop advancing without an error.
  Both are bounded here by walking the same flows without recursion and refusing chains longer than
  MAX_CHAIN, naming the element where the limit is crossed.
"""

from __future__ import annotations

import re

from lxml import etree

from server.errors import DeployError

MAX_KEY = 255  # the database columns holding process and decision keys
MAX_CHAIN = 300  # elements in a row, as SpiffWorkflow's parser walks them
# An NCName restricted to what stays one readable URL path segment: no colon, no spaces, no '/', no '<'.
_KEY = re.compile(r"[^\W\d][\w.-]*\Z")

_FLOW_NODES = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
               "task", "userTask", "serviceTask", "sendTask", "receiveTask", "scriptTask", "manualTask",
               "businessRuleTask", "callActivity", "subProcess", "transaction", "exclusiveGateway",
               "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}


def check_key(node: etree._Element, what: str, file_name: str) -> None:
    """A process or decision id that can serve as a key: an XML NCName, URL-safe, short enough."""
    key = node.get("id") or ""
    if _KEY.match(key) and len(key) <= MAX_KEY:
        return
    raise DeployError(
        f"{file_name}: {what} id {key[:80]!r} (line {node.sourceline}) is not a valid key: it must start with a "
        f"letter or '_' and hold only letters, digits, '_', '-' and '.', at most {MAX_KEY} characters "
        "(BPMN ids are XML NCNames, and the key appears in URLs)",
        file=file_name, element=key[:MAX_KEY], line=node.sourceline)


def _chain_depth(container: etree._Element, file_name: str) -> None:
    nodes = {}
    for child in container:
        if isinstance(child.tag, str) and etree.QName(child).localname in _FLOW_NODES and child.get("id"):
            nodes[child.get("id")] = child
    outgoing: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for child in container:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "sequenceFlow" and child.get("sourceRef") in outgoing:
            outgoing[child.get("sourceRef")].append(child.get("targetRef"))
        elif name == "boundaryEvent" and child.get("attachedToRef") in outgoing:
            outgoing[child.get("attachedToRef")].append(child.get("id"))
    seen: set[str] = set()
    roots = [i for i, n in nodes.items() if etree.QName(n).localname == "startEvent" or n.get("triggeredByEvent")]
    for root in roots + list(nodes):
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(outgoing[root]))]
        while stack:
            if len(stack) > MAX_CHAIN:
                node = nodes[stack[-1][0]]
                raise DeployError(
                    f"{file_name}: element '{node.get('id')}' (line {node.sourceline}) comes after more than "
                    f"{MAX_CHAIN} elements in a row; BOMS runs at most {MAX_CHAIN} in a row — split the process "
                    "with call activities or sub-processes",
                    file=file_name, element=node.get("id"), line=node.sourceline)
            target = next(stack[-1][1], None)
            if target is None:
                stack.pop()
            elif target in nodes and target not in seen:
                seen.add(target)
                stack.append((target, iter(outgoing[target])))


def check_shape(process: etree._Element, file_name: str) -> None:
    check_key(process, "process", file_name)
    for container in (process, *process.iter("{*}subProcess", "{*}transaction")):
        _chain_depth(container, file_name)
