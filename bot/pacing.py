"""Per-channel pacing: Slack takes about one chat.postMessage a second per channel, after a short burst.

A plan that starts in the past has a dozen nudges due in one channel at once. Sent together, they
run into Slack's 429s; paced, they arrive a second apart. Each process keeps its own pacer, so with
several replicas a channel can get a little more. A 429 holds the channel for its Retry-After, in
this pass and the ones after it (`hold`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

BURST = 3  # messages a quiet channel takes at once
MAX_CHANNELS = 10_000  # beyond this many, channels that have had time to refill are forgotten


class ChannelPacer:
    """A token bucket per channel: `per_second` messages a second, up to BURST at once."""

    def __init__(self, per_second: float, *, burst: int = BURST, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second, self.burst, self.clock = per_second, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, when counted)
        self._lock = threading.Lock()

    def wait(self, channel: str) -> float:
        """0 when `channel` may take a message now (taking its turn); otherwise the seconds until it may."""
        with self._lock:
            now = self.clock()
            tokens, counted = self._buckets.get(channel, (self.burst, now))
            tokens = min(self.burst, tokens + (now - counted) * self.per_second)
            if tokens >= 1:
                self._buckets[channel] = (tokens - 1, now)
                if len(self._buckets) > MAX_CHANNELS:
                    self._forget_idle(now)
                return 0.0
            self._buckets[channel] = (tokens, now)
            return (1 - tokens) / self.per_second

    def hold(self, channel: str, seconds: float) -> None:
        """Slack answered 429 for `channel`: its next turn is `seconds` from now (Retry-After)."""
        with self._lock:
            self._buckets[channel] = (1 - seconds * self.per_second, self.clock())

    def interval(self) -> float:
        return 1 / self.per_second

    def _forget_idle(self, now: float) -> None:
        """Keep only channels whose bucket hasn't refilled yet (a held one refills after its hold)."""
        self._buckets = {c: (tokens, counted) for c, (tokens, counted) in self._buckets.items()
                         if now - counted < (self.burst - tokens) / self.per_second}
