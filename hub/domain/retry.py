"""Retry policy: exponential backoff with jitter, and a circuit breaker per partner."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


def backoff_seconds(attempt: int, base: float, cap: float = 3600.0,
                    rand: random.Random | None = None) -> float:
    """Delay before retry number ``attempt`` (1-based): base * 2^(attempt-1), capped, ±50 % jitter.

    Jitter spreads retries of many documents so a recovering server is not hit all at once;
    the cap holds after jitter too.
    """
    delay = min(cap, base * (2.0 ** min(max(0, attempt - 1), 64)))
    return min(cap, delay * (rand or random).uniform(0.5, 1.5))


@dataclass
class CircuitBreaker:
    """Stops calling a partner after repeated failures, then lets one call probe again.

    closed: calls go through; ``threshold`` consecutive failures open it. open: calls are
    refused until ``reset_seconds`` have passed; then half-open: one call may probe, and its
    success closes the circuit while its failure opens it again.
    """

    threshold: int = 5
    reset_seconds: float = 60.0
    failures: int = 0
    opened_at: float | None = None
    probing: bool = field(default=False)

    @property
    def state(self) -> str:
        """"closed", "open" or "half-open" (as of the last check)."""
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.probing else "open"

    def allow(self, now: float) -> bool:
        """True if a call may be made now."""
        if self.opened_at is None:
            return True
        if now - self.opened_at >= self.reset_seconds and not self.probing:
            self.probing = True
            return True
        return False

    def succeeded(self) -> None:
        """Record a successful call: the circuit closes."""
        self.failures, self.opened_at, self.probing = 0, None, False

    def failed(self, now: float) -> None:
        """Record a failed call: open after ``threshold`` in a row, or at once when probing."""
        self.failures += 1
        if self.probing or self.failures >= self.threshold:
            self.opened_at, self.probing = now, False
