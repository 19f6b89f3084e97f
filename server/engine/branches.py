"""Where a token may be moved to, read from the process graph (the deployed elements and flows).

Walking the flows backwards from a token, a converging parallel or inclusive gateway leads into a
parallel section (depth + 1) and a diverging one leads out of it (depth - 1) — or, at depth 0, out of the
token's own branch, back before its branches split. A target reached at depth 0 is safe:

- without leaving the token's branch: only that token moves; the sibling branches and their join are
  untouched (the join still waits for this branch, which comes again);
- before the split, for every active token: every branch is cancelled and the token starts again before
  the target, from where the branches split again;
- anything else — a step inside a sibling branch, or inside a parallel section already joined — would leave
  a join waiting for ever for a branch that never comes, so it is refused.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

SPLITTING = ("parallelGateway", "inclusiveGateway")
MAX_DEPTH = 16  # nested parallel sections; loops cannot make the walk endless


def _flows(elements: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    incoming: dict[str, list[str]] = defaultdict(list)
    outgoing: dict[str, list[str]] = defaultdict(list)
    for info in elements.values():
        if info.get("kind") == "sequenceFlow" and info.get("source") and info.get("target"):
            incoming[info["target"]].append(info["source"])
            outgoing[info["source"]].append(info["target"])
    return incoming, outgoing


def reached(elements: dict[str, Any], start: str, target: str, forward: bool = False) -> set[bool]:
    """How `target` is reached from `start` at depth 0, going back (or forward) along the flows: {False}
    within the branch, {True} beyond where the branches split (or join), both, or the empty set (not
    safely reachable)."""
    incoming, outgoing = _flows(elements)
    behind, ahead = (outgoing, incoming) if forward else (incoming, outgoing)
    found: set[bool] = set()
    seen: set[tuple[str, int, bool]] = set()
    stack = [(start, 0, False)]
    while stack:
        node, depth, left = stack.pop()
        for source in behind.get(node, []):
            d, crossed = depth, left
            if elements.get(source, {}).get("kind") in SPLITTING:
                if len(behind.get(source, [])) > 1:
                    d += 1  # into a parallel section (going back: past its join)
                elif len(ahead.get(source, [])) > 1:
                    d, crossed = (d - 1, crossed) if d > 0 else (d, True)
            if source == target and d == 0:
                found.add(crossed)
            state = (source, d, crossed)
            if d <= MAX_DEPTH and state not in seen:
                seen.add(state)
                stack.append(state)
    return found


def reached_back(elements: dict[str, Any], start: str, target: str) -> set[bool]:
    return reached(elements, start, target)


def _either(elements: dict[str, Any], start: str, target: str) -> set[bool]:
    return reached(elements, start, target) | reached(elements, start, target, forward=True)


def move_scope(elements: dict[str, Any], token: str, others: list[str], target: str) -> str | None:
    """"branch" (move only the token at `token`), "all" (cancel every branch: `others` are the other
    active tokens' elements) or None when moving to `target` is not safe."""
    if target == token:
        return "branch"  # start the element again where it is
    mine = _either(elements, token, target)
    if not others:
        return "branch" if mine else None
    if False in mine:
        return "branch"
    if mine and all(_either(elements, other, target) for other in others):
        return "all"
    return None
