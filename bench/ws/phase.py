"""One measured phase: posts at a fixed rate for a few seconds, and what the boards saw of them."""

from __future__ import annotations

import math
from dataclasses import dataclass

LATENCY_RATE = 20.0
P99_LIMIT = 0.250


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Phase:
    rate: float
    posted: int
    ok: int
    errors: int
    unfinished: int
    aborted: bool
    latencies: list[float]
    answered: list[float]
    lost: int
    gaps: int
    repeats: int
    extra: int
    closed: dict[str, int]
    server_cpu: float
    load_cpu: float
    other_cpu: float
    size: int

    @property
    def complete(self) -> bool:
        """Every post that got 201 reached every board exactly once, in seq order, and nothing else came."""
        return self.lost == 0 and self.gaps == 0 and self.repeats == 0 and self.extra == 0 and not self.closed

    @property
    def delivered(self) -> bool:
        """Complete, and the server kept up: every planned post was sent and answered 201."""
        return self.complete and self.errors == 0 and self.unfinished == 0 and not self.aborted

    @property
    def sustained(self) -> bool:
        return self.delivered and percentile(self.latencies, 0.99) < P99_LIMIT

    def ms(self, q: float) -> str:
        value = percentile(self.latencies, q) if q <= 1 else max(self.latencies, default=math.nan)
        return f"{value * 1000:.1f}"

    def check(self) -> str:
        if self.delivered:
            return f"ok ({self.ok} events x every board)"
        problems = []
        for label, value in (
            ("lost", self.lost),
            ("gaps", self.gaps),
            ("doubled", self.repeats),
            ("extra", self.extra),
            ("errors", self.errors),
            ("unfinished", self.unfinished),
        ):
            if value:
                problems.append(f"{label} {value}")
        if self.closed:
            problems.append(f"closed {self.closed}")
        if self.aborted:
            problems.append("loader aborted")
        return ", ".join(problems)
