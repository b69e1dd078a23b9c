"""When to try a notice again: exponential backoff with ±20 % jitter, capped."""

from __future__ import annotations

import random
from dataclasses import dataclass

JITTER = 0.2
"""Each delay is the backoff times a uniform factor in [1 - JITTER, 1 + JITTER]."""


@dataclass(frozen=True)
class RetryPolicy:
    """The delay before the next attempt, after ``attempts`` failed ones.

    The n-th delay is ``first_s * factor ** (n - 1)`` (n counting from 1) with ±20 %
    jitter, never above ``cap_s``; after ``give_up_after`` failed attempts there is none.
    The defaults try 12 times over about 5 hours: 30 s, 1 min, 2 min ... 32 min, then 1 h.
    """

    first_s: float = 30
    factor: float = 2
    cap_s: float = 3600
    give_up_after: int = 12

    def __post_init__(self) -> None:
        if not 0 < self.first_s <= self.cap_s:
            raise ValueError("need 0 < first_s <= cap_s")
        if self.factor < 1:
            raise ValueError("need factor >= 1")
        if self.give_up_after < 1:
            raise ValueError("need give_up_after >= 1")

    def next_delay(self, attempts: int, rng: random.Random | None = None) -> float | None:
        """Seconds to wait after ``attempts`` (>= 1) failed attempts, or None: give up.

        ``rng`` makes the jitter reproducible; without it a fresh, randomly seeded
        generator is used.
        """
        if attempts < 1:
            raise ValueError("attempts counts the failed attempts so far: at least 1")
        if attempts >= self.give_up_after:
            return None
        try:
            backoff = min(self.cap_s, self.first_s * float(self.factor) ** (attempts - 1))
        except OverflowError:
            backoff = self.cap_s
        rng = rng if rng is not None else random.Random()
        return min(self.cap_s, backoff * rng.uniform(1 - JITTER, 1 + JITTER))
