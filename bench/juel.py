"""What a JUEL method call costs next to the JEXL spelling of the same test and a plain comparison.

A Camunda 7 condition such as `${clarified.equals('no') and items.size() gt 1}` is compiled once
(per process, at deploy and when a version is loaded) into the same closures as JEXL, the method calls
becoming transforms. This prints the per-evaluation cost of a few such expressions against a floor
measured in the same run (`${a == 1}`), and the compile cost, which is paid once per text.

    .venv/bin/python bench/juel.py [--rounds N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine  # noqa: E402
from server.expressions import compile_expression  # noqa: E402
from server.expressions.jexl import parse  # noqa: E402

CONTEXT = {"a": 1, "clarified": "no", "items": [1, 2, 3], "name": "Ann", "amount": 2500, "s": "  Hi "}
CASES = {
    "floor: ${a == 1}": "${a == 1}",
    "JEXL transforms": "${clarified == 'no' && items|length > 1}",
    "JUEL methods": "${clarified.equals('no') and items.size() gt 1}",
    "JUEL chain": "${s.trim().toLowerCase().startsWith('h')}",
    "compareTo + ternary": "${amount.compareTo(1000) ge 0 ? 'big' : 'small'}",
    "date helper": "${dateTime().plusDays(2).isAfter(now())}",
}


def per_call_us(text: str, rounds: int) -> float:
    expression = compile_expression(text)
    best = float("inf")
    for _ in range(5):  # the best of five batches: least disturbed by the shared machine
        started = time.perf_counter()
        for _ in range(rounds):
            expression.evaluate(CONTEXT)
        best = min(best, (time.perf_counter() - started) / rounds)
    return best * 1e6


def compile_us(text: str) -> float:
    started = time.perf_counter()
    for _ in range(200):
        parse(text)  # uncached: what compile_expression pays once per text
    return (time.perf_counter() - started) / 200 * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20_000)
    args = parser.parse_args()
    print(machine())
    floor = per_call_us(CASES["floor: ${a == 1}"], args.rounds)
    print(f"{'expression':<22} {'µs/eval':>8} {'× floor':>8} {'compile µs':>11}")
    for label, text in CASES.items():
        cost = floor if text == CASES["floor: ${a == 1}"] else per_call_us(text, args.rounds)
        print(f"{label:<22} {cost:8.2f} {cost / floor:8.1f} {compile_us(text):11.0f}")


if __name__ == "__main__":
    main()
