"""How often and how soon a failed service call is tried again.

Read from Camunda's `camunda:failedJobRetryTimeCycle`:
    R3/PT10S            3 retries after the first attempt, 10 seconds apart (4 attempts in all)
    PT10S,PT1M,PT10M    one retry after each interval (4 attempts in all)
Without one, a task gets DEFAULT_RETRY: two retries with growing delays.
Stored as {"maxAttempts": n, "delays": [seconds, ...]}; the last delay repeats.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_RETRY: dict[str, Any] = {"maxAttempts": 3, "delays": [10, 60]}
MAX_ATTEMPTS = 100
MAX_DELAY_SECONDS = 7 * 24 * 3600

_DURATION_RE = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)
_REPEAT_RE = re.compile(r"R(\d+)/(.+)")
_UNIT_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


class RetryCycleError(Exception):
    pass


def parse_duration(text: str) -> float:
    """ISO 8601 duration in seconds; years and months are refused (their length varies)."""
    value = text.strip().upper()
    match = _DURATION_RE.fullmatch(value)
    if not match or value in ("P", "PT") or value.endswith("T"):
        raise RetryCycleError(f"'{text}' is not an ISO 8601 duration such as PT10S, PT5M or P1D")
    seconds = sum(float((match.group(unit) or "0").replace(",", ".")) * factor
                  for unit, factor in _UNIT_SECONDS.items())
    if seconds > MAX_DELAY_SECONDS:
        raise RetryCycleError(f"'{text}' is longer than the longest retry delay (7 days)")
    return seconds


def parse_retry_cycle(text: str) -> dict[str, Any]:
    value = text.strip()
    if not value:
        raise RetryCycleError("the retry cycle is empty")
    if value.startswith(("${", "#{")):
        raise RetryCycleError(f"'{text}': expressions are not supported here; write a cycle such as R3/PT10S")
    repeat = _REPEAT_RE.fullmatch(value)
    if repeat:
        retries = int(repeat.group(1))
        delays = [parse_duration(repeat.group(2))]
    else:
        delays = [parse_duration(part) for part in value.split(",")]
        retries = len(delays)
    if retries + 1 > MAX_ATTEMPTS:
        raise RetryCycleError(f"'{text}' asks for more than {MAX_ATTEMPTS - 1} retries")
    return {"maxAttempts": retries + 1, "delays": delays}


def delay_after(retry: dict[str, Any], attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based)."""
    delays = retry.get("delays") or [0]
    return float(delays[min(max(attempt, 1), len(delays)) - 1])
