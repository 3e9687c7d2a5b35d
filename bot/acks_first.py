"""Acks before the work they hand off: Slack's requests and the after-ack pool share one interpreter lock.

In a burst of 32 `/fit` commands, each ack is a little CPU and each `views.open` after it (through slack_sdk's
stock client: a new connection per call) is more. Run side by side, the opens slow the acks still being
answered, and Slack gives an ack 3 s. So work handed off after an ack first waits, at most MAX_WAIT, until
no Slack request is being answered; a modal that opens a few milliseconds later is still well inside the
trigger_id's 3 s. docs/performance.md has the measurements.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

MAX_WAIT = 0.25


class AcksFirst:
    def __init__(self, max_wait: float = MAX_WAIT) -> None:
        self.max_wait = max_wait
        self._answering = 0
        self._idle = threading.Condition()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around each Slack request the web server answers."""
        with self._idle:
            self._answering += 1
        try:
            yield
        finally:
            with self._idle:
                self._answering -= 1
                if not self._answering:
                    self._idle.notify_all()

    def wait(self) -> None:
        """Until no Slack request is being answered, or MAX_WAIT has passed."""
        with self._idle:
            self._idle.wait_for(lambda: not self._answering, timeout=self.max_wait)
