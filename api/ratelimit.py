"""Request rate limits for one server process: a sliding window per key.

Sign-in is limited per client address and per username; public pages use
the same limiter. Keys are pruned as their windows pass, and the number of
keys is capped, so a flood of made-up usernames cannot grow memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from memorials.errors import DomainError


class RateLimited(DomainError):
    """Too many requests; try again after ``retry_after`` seconds (429)."""

    def __init__(self, what: str, retry_after: int) -> None:
        self.what = what
        self.retry_after = retry_after
        super().__init__(f"too many {what}; try again in {retry_after} s")


@dataclass(frozen=True)
class Rate:
    count: int
    per_seconds: float


class SlidingWindow:
    """At most ``rate.count`` events per key in any ``rate.per_seconds``.

    >>> clock = [0.0]
    >>> limiter = SlidingWindow(Rate(2, 60), clock=lambda: clock[0])
    >>> limiter.hit("a"), limiter.hit("a"), limiter.hit("a")
    (0, 0, 60)
    >>> clock[0] = 61.0
    >>> limiter.hit("a")
    0
    """

    def __init__(self, rate: Rate, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        """Record one event for ``key``; 0 if allowed, else the seconds to wait (not recorded)."""
        now = self._clock()
        horizon = now - self.rate.per_seconds
        with self._lock:
            events = self._events.get(key)
            if events is None:
                if len(self._events) >= self.max_keys:
                    self._prune(horizon)
                events = self._events[key] = deque()
            while events and events[0] <= horizon:
                events.popleft()
            if len(events) >= self.rate.count:
                return max(1, math.ceil(events[0] - horizon))
            events.append(now)
            return 0

    def _prune(self, horizon: float) -> None:
        for key in [k for k, ev in self._events.items() if not ev or ev[-1] <= horizon]:
            del self._events[key]
        while len(self._events) >= self.max_keys:
            self._events.pop(next(iter(self._events)))
