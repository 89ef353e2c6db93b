"""Fault injection for reliability tests: scripted failures and random ones.

A fault replaces the normal handling of one request. Kinds:

* an error answer (any status, e.g. 429 with ``retry_after``, 500, 502);
* ``"drop"``: the connection is closed without an answer and the request is
  not performed (lost on the way in);
* ``"drop_after"``: the request *is* performed, then the connection is closed
  without an answer (lost on the way out: the classic duplicate-send trap).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Fault:
    kind: str  # "error", "drop" or "drop_after"
    status: int = 0
    description: str = ""
    retry_after: int | None = None

    def payload(self) -> dict:
        body: dict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def error_fault(status: int, description: str | None, retry_after: int | None) -> Fault:
    if status == 429:
        retry_after = retry_after if retry_after is not None else 1
        description = description or f"Too Many Requests: retry after {retry_after}"
    description = description or _DEFAULT_DESCRIPTIONS.get(status, "Error")
    return Fault("error", status, description, retry_after)


class FaultPlan:
    """Which requests fail: queued one-shot faults first, then the random rate."""

    def __init__(self) -> None:
        self._queued: list[tuple[str, Fault]] = []  # (lowercased method or "*", fault)
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._methods: frozenset[str] | None = None
        self._random = random.Random()

    def queue(self, method: str, fault: Fault, count: int) -> None:
        self._queued.extend([(method.lower(), fault)] * count)

    def set_rate(
        self, p: float, kinds: tuple[str, ...], methods: tuple[str, ...] | None, seed: int | None
    ) -> None:
        for kind in kinds:
            if kind not in ("drop", "drop_after") and not kind.isdigit():
                raise ValueError(f"unknown fault kind {kind!r}")
        self._rate = p
        self._kinds = kinds
        self._methods = frozenset(m.lower() for m in methods) if methods else None
        self._random = random.Random(seed)

    def pick(self, method: str) -> Fault | None:
        name = method.lower()
        for index, (target, fault) in enumerate(self._queued):
            if target in ("*", name):
                del self._queued[index]
                return fault
        if self._rate <= 0 or not self._kinds:
            return None
        # Random faults spare getUpdates unless asked: polling itself should keep working.
        eligible = name in self._methods if self._methods else name != "getupdates"
        if not eligible or self._random.random() >= self._rate:
            return None
        kind = self._random.choice(self._kinds)
        if kind in ("drop", "drop_after"):
            return Fault(kind)
        return error_fault(int(kind), None, None)
