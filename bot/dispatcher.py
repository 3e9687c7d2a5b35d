"""Sends due outbox rows to Slack, retrying with backoff and recording what happened.

Outcomes per row: sent (with the message ts, so it can be edited later), rescheduled (429 honours
Retry-After; 5xx, Slack's transient errors and connection failures back off exponentially), or failed
with Slack's error after MAX_ATTEMPTS or on an error retrying cannot fix.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.presentation.delivery import fallback_dm
from storage import outbox
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 10
MAX_ATTEMPTS = 10
MAX_BACKOFF = timedelta(minutes=10)
TRANSIENT_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
# The bot cannot post there; the requester hears about it by DM instead.
UNREACHABLE_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


class Retry(Exception):
    """Try the row again later: after `delay` (Retry-After) or, when None, after the backoff."""

    def __init__(self, error: str, delay: timedelta | None = None) -> None:
        super().__init__(error)
        self.error, self.delay = error, delay


@dataclass
class PassResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


class Dispatcher:
    def __init__(self, db: Database, client: WebClient, *, owner: str | None = None) -> None:
        self.db = db
        self.client = client
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def run_pass(self, limit: int | None = None) -> PassResult:
        """Send everything due when the pass starts, a batch at a time; `limit` caps the rows handled.

        Rows rescheduled during the pass wait for a later one, so a pass always ends.
        """
        result = PassResult()
        started = utcnow()
        handled = 0
        while limit is None or handled < limit:
            batch = self._claim(BATCH if limit is None else min(BATCH, limit - handled), due_by=started)
            if not batch:
                break
            self._deliver_batch(batch, result)
            handled += len(batch)
        return result

    def send_now(self, ids: list[int]) -> PassResult:
        """Deliver specific rows right away (used just after a handler acks)."""
        result = PassResult()
        batch = self._claim(len(ids), ids)
        self._deliver_batch(batch, result)
        return result

    def _claim(self, limit: int, ids: list[int] | None = None, due_by: datetime | None = None) -> list[outbox.Claimed]:
        with self.db.unit_of_work() as session:
            return outbox.claim(session, owner=self.owner, lease=LEASE, limit=limit, ids=ids, due_by=due_by)

    def _deliver_batch(self, batch: list[outbox.Claimed], result: PassResult) -> None:
        # A 429 for one channel holds that channel's other rows too, instead of spending calls on more 429s.
        held: dict[str, Retry] = {}
        for row in batch:
            if row.channel_id in held:
                self._retry_later(row, held[row.channel_id], result)
                continue
            limited = self._deliver(row, result)
            if limited is not None:
                held[row.channel_id] = limited

    def _deliver(self, row: outbox.Claimed, result: PassResult) -> Retry | None:
        """Send one row and record the outcome; returns the Retry when Slack rate-limited the channel."""
        try:
            channel, ts, note = self._send(row)
        except Retry as retry:
            self._retry_later(row, retry, result)
            return retry if retry.error == "ratelimited" else None
        except SlackApiError as exc:
            self._record_failure(row, _error_code(exc), result)
            return None
        with self.db.unit_of_work() as session:
            outbox.mark_sent(session, row.id, self.owner, channel_id=channel, ts=ts, note=note)
        result.sent += 1
        return None

    def _retry_later(self, row: outbox.Claimed, retry: Retry, result: PassResult) -> None:
        # Rate limits are Slack pacing us, not a failure: they never use up the row's attempts.
        if retry.error != "ratelimited" and row.attempts >= MAX_ATTEMPTS:
            self._record_failure(row, f"{retry.error} (gave up after {row.attempts} attempts)", result)
            return
        delay = retry.delay or backoff(row.attempts)
        with self.db.unit_of_work() as session:
            outbox.reschedule(session, row.id, self.owner, due_at=utcnow() + delay, error=retry.error)
        result.retried += 1
        log.info("outbox %s: %s, retrying in %ss", row.id, retry.error, delay.total_seconds())

    def _record_failure(self, row: outbox.Claimed, error: str, result: PassResult) -> None:
        with self.db.unit_of_work() as session:
            outbox.mark_failed(session, row.id, self.owner, error=error)
        result.failed += 1
        result.errors.append(error)
        log.warning("outbox %s (%s to %s) failed: %s", row.id, row.kind, row.channel_id, error)

    def _send(self, row: outbox.Claimed) -> tuple[str, str | None, str | None]:
        """Post the row; returns (channel, ts, note). Raises Retry or a terminal SlackApiError."""
        try:
            return (*self._post(row.channel_id, row.payload), None)
        except SlackApiError as exc:
            error = _error_code(exc)
            if error == "not_in_channel" and self._join(row.channel_id):
                return (*self._post(row.channel_id, row.payload), None)
            if error in UNREACHABLE_CHANNEL and row.fallback_user_id:
                dm = fallback_dm(row.channel_id, error, row.payload)
                return (*self._post(row.fallback_user_id, dm), f"{error}: sent to the requester by DM")
            raise

    def _post(self, channel: str, payload: Any) -> tuple[str, str | None]:
        try:
            response = self.client.chat_postMessage(channel=channel, **payload)
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429:
                retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
                delay = int(retry_after) if str(retry_after).isdigit() else 1
                raise Retry("ratelimited", timedelta(seconds=max(delay, 1))) from exc
            error = _error_code(exc)
            if status >= 500 or error in TRANSIENT_ERRORS:
                raise Retry(error) from exc
            raise
        except (OSError, TimeoutError) as exc:  # URLError is an OSError
            raise Retry(f"connection error: {exc}") from exc
        return response.get("channel", channel), response.get("ts")

    def _join(self, channel: str) -> bool:
        try:
            self.client.conversations_join(channel=channel)
        except SlackApiError as exc:
            log.info("could not join %s: %s", channel, _error_code(exc))
            return False
        return True


def _error_code(exc: SlackApiError) -> str:
    """Slack's error code, or http_<status> when the answer was not Slack JSON (a 5xx page)."""
    if exc.response.status_code >= 500:
        return f"http_{exc.response.status_code}"
    data = exc.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{exc.response.status_code}"
