"""Bounded exponential backoff with jitter, shared by every retry loop of promotion."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Sleep = Callable[[float], None]


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """At most ``attempts`` tries; waits grow ``base * factor**n`` up to ``cap`` seconds.

    Each wait is drawn from the upper half of its step (``[step/2, step]``, "equal
    jitter"): concurrent runs that failed together spread out, and no wait collapses
    to nothing.
    """

    attempts: int = 5
    base: float = 0.5
    factor: float = 2.0
    cap: float = 8.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("Backoff.attempts must be at least 1")
        if self.base < 0 or self.cap < 0 or self.factor < 1:
            raise ValueError("Backoff.base and cap must not be negative and factor must be at least 1")

    def step(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (0 for the first retry)."""
        return float(min(self.cap, self.base * self.factor**retry))

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """The wait before retry number ``retry``, jittered."""
        step = self.step(retry)
        if not self.jitter:
            return step
        return (rng or _RNG).uniform(step / 2, step)

    def total_max(self) -> float:
        """The longest the waits of all retries can add up to."""
        return sum(self.step(i) for i in range(self.attempts - 1))


_RNG = random.Random()


@dataclass
class Clock:
    """Time and sleeping, replaceable in tests (``monotonic`` and ``sleep``)."""

    monotonic: Callable[[], float] = time.monotonic
    sleep: Sleep = time.sleep
    rng: random.Random = field(default_factory=random.Random)
