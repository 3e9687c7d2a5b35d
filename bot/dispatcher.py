"""Sends due outbox rows to Slack, retrying with backoff and recording what happened.

Outcomes per row: sent (with the message ts, so it can be edited later), rescheduled (a channel past
its pace waits its turn; 429 honours Retry-After and holds that channel's other rows for the rest of
the pass, and for later passes through the pacer; 5xx, Slack's transient errors and network failures
back off exponentially), or failed with Slack's error after MAX_ATTEMPTS or on an error retrying
cannot fix.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.message_kinds import MESSAGE_GONE, POST, UPDATE, Later, MessageKind, Postponed, SlackCall, StoredMessage
from bot.pacing import ChannelPacer
from bot.slack_errors import TRANSPORT_ERRORS, error_code, is_transient, retry_after_seconds
from storage import outbox
from storage.db import Database
from storage.models import utcnow
from storage.writes import run_together

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
# Longest one row can take (post, join, post again, each with a 10 s timeout, plus bookkeeping).
# Rows of a batch not started this long before the lease ends are handed back instead of sent late.
ROW_BUDGET = timedelta(seconds=45)
# Rows claimed at a time. Each batch costs a claim, a read and a record transaction, whatever its size.
BATCH = 100
# A batch is rendered when it starts. Rows not sent this long after (Slack answering slowly) are rendered
# again first, so a reminder for an item closed meanwhile is dropped rather than sent.
FRESH_FOR = 2.0
# A batch's channels are sent in parallel, each channel's rows in order: Slack's limits are per channel,
# and one slow channel must not hold up the others.
SENDERS = 8
MAX_ATTEMPTS = 10
# Sent rows are recorded together, one commit per group rather than per row: RECORD_AFTER seconds after
# the first of a group was sent, or at the end of the batch if sooner. A hard crash sends again what Slack
# took in that time (plus the rows in flight): with Slack's real latency a few rows; when it answers at
# once, at most the batch.
RECORD_AFTER = 0.05
MAX_BACKOFF = timedelta(minutes=10)
# The bot cannot post there; the row's kind decides what to do instead (DM the requester, pause a plan).
UNREACHABLE_CHANNEL = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}
# The workspace's token no longer works: nothing else for that workspace can be sent either.
WORKSPACE_GONE = {"token_revoked", "invalid_auth", "account_inactive", "team_not_found"}
STORED = StoredMessage()
PACED = "paced: waiting its turn in a busy channel"
NO_LONGER_NEEDED = "no longer needed when it came due"


class Retry(Exception):
    """Try the row again later: after `delay` (Retry-After) or, when None, after the backoff."""

    def __init__(self, error: str, delay: timedelta | None = None, *, rate_limited: bool = False) -> None:
        super().__init__(error)
        self.error, self.delay, self.rate_limited = error, delay, rate_limited


# Called, in the transaction that fails the workspace's pending rows, when Slack refuses its token (team id, error).
WorkspaceGone = Callable[[Session, str, str], None]
# What rendering a row gave: the call to make, None when it no longer applies, Later, or a Retry.
Rendered = SlackCall | Later | None | Retry
# A sent row: the channel and message ts Slack answered, and a note when it went somewhere else instead.
Sent = tuple[str, str | None, str | None]


@dataclass
class PassResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    # Within one pass: channels Slack rate-limited, and workspaces whose token Slack refused.
    held: dict[str, Retry] = field(default_factory=dict, repr=False)
    gone: dict[str, str] = field(default_factory=dict, repr=False)
    # Channels are delivered on several threads; every change above goes through this lock.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, outcome: str) -> None:
        with self.lock:
            setattr(self, outcome, getattr(self, outcome) + 1)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True)
class _Delivered:
    """A row Slack took, or one to cancel (`channel` None, `note` says why), waiting to be recorded."""

    row: outbox.Claimed
    channel: str | None
    ts: str | None
    note: str | None
    result: PassResult


class Dispatcher:
    def __init__(self, db: Database, client: WebClient, *, kinds: Mapping[str, MessageKind] | None = None,
                 owner: str | None = None, on_workspace_gone: WorkspaceGone | None = None,
                 pacer: ChannelPacer | None = None) -> None:
        self.db = db
        self.client = client
        self.kinds = dict(kinds or {})
        self.on_workspace_gone = on_workspace_gone
        self.pacer = pacer
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self._senders = ThreadPoolExecutor(max_workers=SENDERS, thread_name_prefix="dispatch")
        self._unrecorded: list[_Delivered] = []
        self._record_timer: threading.Timer | None = None  # the waiting group's
        self._unrecorded_lock = threading.Lock()
        self._recording = threading.Lock()

    def stop(self) -> None:
        """Finish the rows in hand, hand the rest of the batch back, and start no new batch."""
        self._stopping.set()

    def close(self) -> None:
        """After the last pass (stop() first, then wait for the scheduler): release the sender threads,
        recording whatever they sent last."""
        self._senders.shutdown(wait=True)
        self._record()

    def run_pass(self, limit: int | None = None) -> PassResult:
        """Send everything due when the pass starts, a batch at a time; `limit` caps the rows handled.

        Rows rescheduled during the pass wait for a later one, so a pass always ends.
        """
        result = PassResult()
        started = utcnow()
        handled = 0
        while not self._stopping.is_set() and (limit is None or handled < limit):
            batch = self._claim(BATCH if limit is None else min(BATCH, limit - handled), due_by=started)
            if not batch:
                break
            self._deliver_batch(batch, result)
            handled += len(batch)
        return result

    def send_now(self, ids: list[int]) -> PassResult:
        """Deliver specific rows right away (used just after a handler acks)."""
        result = PassResult()
        self._deliver_batch(self._claim(len(ids), ids), result)
        return result

    def _claim(self, limit: int, ids: list[int] | None = None, due_by: datetime | None = None) -> list[outbox.Claimed]:
        with self.db.transaction() as conn:
            return outbox.claim(conn, owner=self.owner, lease=LEASE, limit=limit, ids=ids, due_by=due_by)

    def _deliver_batch(self, batch: list[outbox.Claimed], result: PassResult) -> None:
        deadline = time.monotonic() + (LEASE - ROW_BUDGET).total_seconds()
        calls = self._render(batch)
        channels: dict[str, list[outbox.Claimed]] = {}
        for row in batch:
            channels.setdefault(row.channel_id, []).append(row)
        try:
            if len(channels) == 1:
                self._deliver_channel(batch, calls, result, deadline)
            else:
                senders = [self._senders.submit(self._deliver_channel, rows, calls, result, deadline)
                           for rows in channels.values()]
                futures.wait(senders)  # all of them, even when one fails: their rows are recorded below
                for done in senders:
                    done.result()
        finally:
            self._record()

    def _render(self, batch: list[outbox.Claimed]) -> dict[int, Rendered]:
        """Each row's call, rendered when its batch starts, from one read of the database for the batch.

        Kinds that read the database load what all their rows need at once (`preload`), where one
        session and query per row cost more than the Slack call. Rendering a row that fails makes that
        row retry; the batch goes on.
        """
        rendered: dict[int, Rendered] = {}
        by_kind: dict[str, list[outbox.Claimed]] = {}
        for row in batch:
            by_kind.setdefault(row.kind, []).append(row)
        with contextlib.ExitStack() as stack:
            session = None
            for kind_name, rows in by_kind.items():
                kind = self.kinds.get(kind_name, STORED)
                try:
                    if kind.reads_database:
                        session = session or stack.enter_context(self.db.read())
                        kind.preload(session, rows)
                    for row in rows:
                        rendered[row.id] = self._render_row(kind, session if kind.reads_database else None, row)
                except SQLAlchemyError as exc:  # the database, not one row: every row of the kind tries again
                    log.warning("could not read what %s rows need: %s", kind_name, exc)
                    for row in rows:
                        rendered[row.id] = Retry(f"database error while rendering: {exc}"[:500])
        return rendered

    @staticmethod
    def _render_row(kind: MessageKind, session: Session | None, row: outbox.Claimed) -> Rendered:
        try:
            return kind.render(session, row)
        except SQLAlchemyError:
            raise
        except Exception as exc:  # a bug in one row's rendering must not hold up the others
            log.exception("outbox %s: could not render it", row.id)
            return Retry(f"could not render: {exc!r}"[:500])

    def _deliver_channel(self, rows: list[outbox.Claimed], calls: dict[int, Rendered], result: PassResult,
                         deadline: float) -> None:
        """One channel's rows of a batch, in due order."""
        rendered_at = time.monotonic()
        for index, row in enumerate(rows):
            if self._stopping.is_set() or time.monotonic() > deadline:
                with self.db.transaction() as conn:
                    outbox.release(conn, [r.id for r in rows[index:]], self.owner)
                return
            if time.monotonic() - rendered_at > FRESH_FOR:  # Slack is slow: render what is left as things are now
                calls = self._render(rows[index:])
                rendered_at = time.monotonic()
            with result.lock:
                gone, held = result.gone.get(row.team_id), result.held.get(row.channel_id)
            if gone:
                self._drop_for_workspace(row, gone, result)
            elif held:
                self._retry_later(row, held, result)
            elif wait := self._turn(calls[row.id]):
                self._pace(rows[index:], wait, result)
                return
            else:
                retry = self._deliver(row, calls[row.id], result)
                if retry is not None and retry.rate_limited:
                    with result.lock:
                        result.held[row.channel_id] = retry
                    if self.pacer is not None and retry.delay is not None:  # and in the passes after this one
                        self.pacer.hold(row.channel_id, retry.delay.total_seconds())

    def _deliver(self, row: outbox.Claimed, call: Rendered, result: PassResult) -> Retry | None:
        """Send one row and record the outcome; returns the Retry when it has to be tried again."""
        try:
            if isinstance(call, Retry):
                raise call
            if isinstance(call, Later):  # not an attempt: the row isn't meant to go yet
                with self.db.transaction() as conn:
                    outbox.reschedule(conn, row.id, self.owner, due_at=call.due_at, error=call.reason,
                                      refund_attempt=True)
                result.count("retried")
                return None
            sent = self._send(row, call)
        except Retry as retry:
            self._retry_later(row, retry, result)
            return retry
        except SlackApiError as exc:
            error = error_code(exc)
            self._record_failure(row, error, result)
            if error in WORKSPACE_GONE:
                with result.lock:
                    result.gone[row.team_id] = error
                with self.db.unit_of_work() as session:
                    if self.on_workspace_gone is not None:
                        self.on_workspace_gone(session, row.team_id, error)
                    stopped = outbox.fail_workspace(session, row.team_id, error=error)
                log.error("workspace %s: Slack answered %s; stopped %d pending message(s)", row.team_id, error,
                          stopped)
            return None
        except Exception as exc:  # a bug must not strand the rest of the batch in 'sending'
            log.exception("outbox %s: unexpected error", row.id)
            retry = Retry(f"unexpected error: {exc!r}"[:500])
            self._retry_later(row, retry, result)
            return retry
        if sent is None or isinstance(sent, Postponed):
            self._to_record(_Delivered(row, None, None, sent.reason if sent else NO_LONGER_NEEDED, result))
        else:
            self._to_record(_Delivered(row, *sent, result))
        return None

    def _drop_for_workspace(self, row: outbox.Claimed, error: str, result: PassResult) -> None:
        """A row in hand when Slack refused its workspace's token: cancelled when it no longer applies
        (on_workspace_gone paused its plan, say), failed otherwise."""
        if self._render([row])[row.id] is None:
            self._to_record(_Delivered(row, None, None, f"not sent: {error}", result))
        else:
            self._record_failure(row, f"{error} (workspace token no longer valid)", result)

    def _to_record(self, delivered: _Delivered) -> None:
        with self._unrecorded_lock:
            self._unrecorded.append(delivered)
            if self._record_timer is None:  # a group starts: recorded in RECORD_AFTER, even if all senders wait
                self._record_timer = threading.Timer(RECORD_AFTER, self._record)
                self._record_timer.daemon = True
                self._record_timer.start()

    def _record(self) -> None:
        """Record delivered rows, one transaction for all that are waiting (group commit).

        One thread records at a time (a group's timer, or the end of a batch); rows delivered meanwhile
        pile up for its next transaction. A crash before the commit sends those rows again once their
        lease ends, as a crash between Slack's answer and any commit would.
        """
        with self._recording:
            while True:
                with self._unrecorded_lock:
                    group, self._unrecorded = self._unrecorded, []
                    if self._record_timer is not None:  # recorded now: the group's timer has nothing left to do
                        self._record_timer.cancel()
                        self._record_timer = None
                if not group:
                    return
                try:
                    self._record_group(group)
                except Exception:
                    log.exception("could not record %d sent rows together; trying them one by one", len(group))
                    for delivered in group:  # one row that can't be recorded mustn't keep the others unrecorded
                        try:
                            self._record_group([delivered])
                        except Exception:
                            log.exception("outbox %s was sent but could not be recorded: it goes out again when "
                                          "its lease ends", delivered.row.id)

    def _record_group(self, group: list[_Delivered]) -> None:
        sent = [d for d in group if d.channel is not None]
        with self.db.transaction() as conn:
            if cancelled := {d.row.id: d.note for d in group if d.channel is None}:
                outbox.mark_cancelled(conn, self.owner, cancelled)
            if sent:
                held = outbox.mark_sent(conn, self.owner, [outbox.Delivered(d.row.id, d.channel, d.ts, d.note)
                                                           for d in sent])
                run_together(conn, [write for d in sent if d.row.id in held
                                    for write in self.kinds.get(d.row.kind, STORED).after_send(d.row, d.channel, d.ts)])
        for d in sent:
            d.result.count("sent")

    def _turn(self, call: Rendered) -> float:
        """Seconds until the call's channel may take another post: 0 when it may now, or when the call is
        no post (Slack's per-channel limit is on posting, not on edits) or nothing is paced."""
        if self.pacer is None or not isinstance(call, SlackCall) or call.method != POST:
            return 0.0
        return self.pacer.wait(call.channel)

    def _pace(self, rows: list[outbox.Claimed], wait: float, result: PassResult) -> None:
        """The channel has had its share for now: its remaining rows wait their turns, a pacer interval
        apart and in order, without using an attempt."""
        assert self.pacer is not None
        now, step = utcnow(), self.pacer.interval()
        with self.db.transaction() as conn:
            for turn, row in enumerate(rows):
                outbox.reschedule(conn, row.id, self.owner, due_at=now + timedelta(seconds=wait + turn * step),
                                  error=PACED, refund_attempt=True)
        for _ in rows:
            result.count("retried")

    def _retry_later(self, row: outbox.Claimed, retry: Retry, result: PassResult) -> None:
        # Rate limits are Slack pacing us, not a failed attempt: they never use up the row's attempts.
        if not retry.rate_limited and row.attempts >= MAX_ATTEMPTS:
            self._record_failure(row, f"{retry.error} (gave up after {row.attempts} attempts)", result)
            return
        delay = retry.delay or backoff(row.attempts)
        with self.db.transaction() as conn:
            outbox.reschedule(conn, row.id, self.owner, due_at=utcnow() + delay, error=retry.error,
                              refund_attempt=retry.rate_limited)
        result.count("retried")
        log.info("outbox %s: %s, retrying in %ss", row.id, retry.error, delay.total_seconds())

    def _record_failure(self, row: outbox.Claimed, error: str, result: PassResult) -> None:
        with self.db.transaction() as conn:
            outbox.mark_failed(conn, row.id, self.owner, error=error)
        result.count("failed")
        log.warning("outbox %s (%s to %s) failed: %s", row.id, row.kind, row.channel_id, error)

    def _send(self, row: outbox.Claimed, call: SlackCall | None) -> Sent | Postponed | None:
        """Make the row's call: (channel, ts, note); None when the row no longer applies (`call` None);
        Postponed when its channel is closed to fitbot and the row waits for the fix.

        Raises Retry, or a SlackApiError that retrying cannot fix.
        """
        if call is None:
            return None
        kind = self.kinds.get(row.kind, STORED)
        try:
            return (*self._make(call), None)
        except SlackApiError as exc:
            error = error_code(exc)
            if error == "not_in_channel" and call.method == POST and self._join(call.channel):
                return (*self._make(call), None)
            if error not in UNREACHABLE_CHANNEL and not (call.method == UPDATE and error in MESSAGE_GONE):
                raise
            with self.db.unit_of_work() as session:
                instead = kind.unreachable(session, row, error)
            if instead is None:
                raise
            if isinstance(instead, Postponed):
                return instead
            return (*self._make(instead), f"{error}: sent to {instead.channel} instead")

    def _make(self, call: SlackCall) -> tuple[str, str | None]:
        # Straight to api_call: rendered messages are plain JSON already, and chat_postMessage's own
        # pass over the arguments (looking for slack_sdk model objects) costs as much as the HTTP call.
        response = _call(self.client.api_call, call.method, json=call.args)
        return response.get("channel", call.channel), response.get("ts")

    def _join(self, channel: str) -> bool:
        """Join a public channel; False when Slack refuses for good (private, archived…)."""
        try:
            _call(self.client.conversations_join, channel=channel)
        except SlackApiError as exc:
            log.info("could not join %s: %s", channel, error_code(exc))
            return False
        return True


def _call(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """One Web API call; turns whatever can succeed later into Retry, leaves Slack's refusals as they are."""
    try:
        return method(*args, **kwargs)
    except SlackApiError as exc:
        if exc.response.status_code == 429:
            raise Retry("ratelimited", timedelta(seconds=retry_after_seconds(exc)), rate_limited=True) from exc
        if is_transient(exc):
            raise Retry(error_code(exc)) from exc
        raise
    except TRANSPORT_ERRORS as exc:
        raise Retry(f"connection error: {exc}") from exc
