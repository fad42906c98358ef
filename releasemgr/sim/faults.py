"""Seeded fault injection: errors, latency, dropped connections, rate limits, corrupt blobs.

Spec syntax (``--faults``, ``Simulator(faults=...)``, ``sim.faults.set(...)``): comma-separated
items ``KIND[=VALUE][@[METHOD:]PATTERN]``. PATTERN is an fnmatch glob on the request path
(without the query) of any origin; METHOD limits the item to one HTTP method.

    5xx=P          answer 500, 502 or 503 with probability P (0..1)
    500=P, 502=P, 503=P, 504=P   that status with probability P
    latency=D      delay every matching request by D: ``200ms``, ``0.5s``, ``50ms..300ms``
    drop=P         send the headers and part of the body, then close the connection
    reset=P        close the connection before answering
    secondary=P    a secondary rate limit: 403 or 429 with ``Retry-After``
    corrupt=P      flip one byte of a blob download (artifact zip or log)
    exhausted      the primary rate limit of every user is used up (until its reset)
    limit=N        the primary limit per user is N requests an hour (default 5000)

Examples: ``5xx=0.1,latency=200ms,drop=0.05,secondary=0.02``,
``502=1@POST:/repos/*/pending_deployments``, ``drop=0.5@/artifacts/*``.
Tests use ``sim.faults.once(pattern, kind)`` to inject exactly one fault into the next matching
request; ``landed=True`` applies the request first, then answers with the error.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

PROBABILITY_KINDS = ("5xx", "500", "502", "503", "504", "drop", "reset", "secondary", "corrupt")
KINDS = (*PROBABILITY_KINDS, "latency", "exhausted", "limit")


class FaultSpecError(ValueError):
    """A fault spec that cannot be parsed; the message names the item."""


@dataclass(frozen=True)
class FaultRule:
    """One parsed item of a fault spec."""

    kind: str
    value: float = 1.0
    high: float = 0.0  # latency range upper bound (0: fixed)
    pattern: str | None = None
    method: str | None = None
    once: bool = False
    landed: bool = False

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        if self.method and self.method != method:
            return False
        return self.pattern is None or fnmatch.fnmatchcase(path, self.pattern)


@dataclass
class Decision:
    """What to do to one request."""

    latency: float = 0.0
    status: int | None = None  # an error status to answer with
    secondary: bool = False
    drop: bool = False
    reset: bool = False
    corrupt: bool = False
    landed: bool = False


def _duration(text: str, item: str) -> float:
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s)?\s*", text)
    if not m:
        raise FaultSpecError(f"fault {item!r}: {text!r} is not a duration like 200ms or 0.5s")
    value = float(m.group(1))
    return value / 1000 if m.group(2) == "ms" else value


def parse_spec(spec: str | None) -> list[FaultRule]:
    """Parse a fault spec; ``FaultSpecError`` names the bad item."""
    rules: list[FaultRule] = []
    for raw in (spec or "").split(","):
        item = raw.strip()
        if not item:
            continue
        body, _, where = item.partition("@")
        kind, has_value, value = body.partition("=")
        kind = kind.strip().lower()
        if kind not in KINDS:
            raise FaultSpecError(
                f"fault {item!r}: unknown kind {kind!r} (known: {', '.join(KINDS)})"
            )
        method = None
        pattern = where.strip() or None
        if pattern and re.match(r"^[A-Z]+:", pattern):
            method, _, pattern = pattern.partition(":")
        if kind == "latency":
            if not has_value:
                raise FaultSpecError(
                    f"fault {item!r}: latency needs a duration, like latency=200ms"
                )
            low_text, _, high_text = value.partition("..")
            low = _duration(low_text, item)
            high = _duration(high_text, item) if high_text else 0.0
            rules.append(FaultRule(kind, low, high, pattern, method))
        elif kind == "limit":
            if not value.strip().isdigit():
                raise FaultSpecError(f"fault {item!r}: limit needs a whole number, like limit=100")
            rules.append(FaultRule(kind, float(value), 0.0, pattern, method))
        elif kind == "exhausted":
            rules.append(FaultRule(kind, 1.0, 0.0, pattern, method))
        else:
            try:
                p = float(value) if has_value else 1.0
            except ValueError:
                raise FaultSpecError(f"fault {item!r}: {value!r} is not a probability") from None
            if not 0.0 <= p <= 1.0:
                raise FaultSpecError(f"fault {item!r}: probability must be between 0 and 1")
            rules.append(FaultRule(kind, p, 0.0, pattern, method))
    return rules


class Faults:
    """The fault rules in force; seeded, thread-safe, changeable while the simulator runs."""

    def __init__(self, seed: int, spec: str | None = None) -> None:
        self._rng = random.Random(f"faults:{seed}")
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self.on_change: list[Callable[[], None]] = []  # called after every change of rules
        self.set(spec)

    @property
    def rules(self) -> list[FaultRule]:
        """The current rules (a copy)."""
        with self._lock:
            return list(self._rules)

    def set(self, spec: str | None) -> None:
        """Replace every rule with those of ``spec`` (``None`` or ``""``: no faults)."""
        rules = parse_spec(spec)
        with self._lock:
            self._rules = rules
        self._changed()

    def add(self, spec: str) -> None:
        """Add the rules of ``spec`` to those in force."""
        rules = parse_spec(spec)
        with self._lock:
            self._rules.extend(rules)
        self._changed()

    def clear(self) -> None:
        """No faults any more."""
        self.set(None)

    def once(
        self, pattern: str, kind: str, *, method: str | None = None, landed: bool = False
    ) -> None:
        """Inject ``kind`` (``502``, ``drop``, ``reset``, ``secondary``, ...) into the next
        request whose path matches ``pattern`` (and ``method``), exactly once."""
        if kind not in PROBABILITY_KINDS:
            raise FaultSpecError(f"fault kind {kind!r} cannot be injected once")
        with self._lock:
            self._rules.append(
                FaultRule(kind, 1.0, 0.0, pattern, method.upper() if method else None, True, landed)
            )

    def _changed(self) -> None:
        for hook in self.on_change:
            hook()

    def limit(self) -> int | None:
        """The primary limit per user set by ``limit=N``, if any."""
        with self._lock:
            found = [r for r in self._rules if r.kind == "limit"]
        return int(found[-1].value) if found else None

    def exhausted(self) -> bool:
        """Whether the spec asks for an exhausted primary limit."""
        with self._lock:
            return any(r.kind == "exhausted" for r in self._rules)

    def decide(self, method: str, path: str) -> Decision:
        """Roll the dice for one request."""
        decision = Decision()
        with self._lock:
            for rule in list(self._rules):
                if not rule.matches(method, path) or rule.kind in ("exhausted", "limit"):
                    continue
                if rule.kind == "latency":
                    extra = rule.value
                    if rule.high > rule.value:
                        extra = self._rng.uniform(rule.value, rule.high)
                    decision.latency += extra
                    continue
                if self._rng.random() >= rule.value:
                    continue
                if rule.once:
                    self._rules.remove(rule)
                    decision.landed = rule.landed
                self._apply(rule.kind, decision)
        return decision

    def _apply(self, kind: str, decision: Decision) -> None:
        if kind == "5xx" and decision.status is None:
            decision.status = self._rng.choice((500, 502, 503))
        elif kind.isdigit() and decision.status is None:
            decision.status = int(kind)
        elif kind == "secondary" and decision.status is None:
            decision.status = self._rng.choice((403, 429))
            decision.secondary = True
        elif kind == "drop":
            decision.drop = True
        elif kind == "reset":
            decision.reset = True
        elif kind == "corrupt":
            decision.corrupt = True
