"""The outbox: Slack calls fitbot owes, claimed by one dispatcher at a time.

A claim sets status 'sending' with a lease. On PostgreSQL the candidate rows are locked with
FOR UPDATE SKIP LOCKED, so replicas claiming at the same moment take disjoint rows; the UPDATE
re-checks claimability, which is what keeps SQLite's single process honest across threads. A
dispatcher that dies mid-send leaves its rows 'sending'; once the lease passes they are claimable again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Select, String, Update, and_, bindparam, exists, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from storage.models import OutboxMessage, utcnow
from storage.triages import Workspace
from storage.upsert import Executor, among_parameter, is_postgres

PENDING, SENDING, SENT, FAILED, CANCELLED = "pending", "sending", "sent", "failed", "cancelled"


@dataclass(frozen=True)
class Claimed:
    id: int
    team_id: str
    kind: str
    channel_id: str
    payload: Mapping[str, Any]
    fallback_user_id: str | None
    attempts: int
    due_at: datetime
    subject: str | None


def enqueue(
    session: Session,
    workspace: Workspace,
    *,
    dedupe_key: str,
    kind: str,
    channel_id: str,
    payload: Mapping[str, Any],
    fallback_user_id: str | None = None,
    due_at: datetime | None = None,
    subject: str | None = None,
) -> int | None:
    """Add a row in the caller's transaction; None if `dedupe_key` was already queued in this workspace.

    A row with the same key that was cancelled comes back to life with the new due time and payload:
    rescheduling cancels a plan's pending rows and queues them again, often unchanged.
    """
    now = utcnow()
    return session.execute(_ENQUEUE, {
        "team_id": workspace.team_id, "enterprise_id": workspace.enterprise_id, "dedupe_key": dedupe_key,
        "kind": kind, "channel_id": channel_id, "payload": dict(payload), "fallback_user_id": fallback_user_id,
        "subject": subject, "due_at": due_at or now, "created_at": now,
    }).scalar_one_or_none()


# Plain SQL, the same on SQLite and PostgreSQL: a plan queues dozens of rows at once, and SQLAlchemy does
# not cache the compiled form of its dialects' INSERT … ON CONFLICT, whose compiling cost more than running it.
_ENQUEUE = text(
    "INSERT INTO outbox (team_id, enterprise_id, dedupe_key, kind, channel_id, payload, fallback_user_id, subject,"
    " status, due_at, attempts, created_at) VALUES (:team_id, :enterprise_id, :dedupe_key, :kind, :channel_id,"
    f" :payload, :fallback_user_id, :subject, '{PENDING}', :due_at, 0, :created_at)"
    f" ON CONFLICT (team_id, dedupe_key) DO UPDATE SET status = '{PENDING}', due_at = excluded.due_at,"
    " payload = excluded.payload, channel_id = excluded.channel_id, attempts = 0, last_error = NULL"
    f" WHERE outbox.status = '{CANCELLED}' RETURNING id"
).bindparams(*(bindparam(name, type_=OutboxMessage.__table__.c[name].type) for name in ("payload", "due_at",
                                                                                        "created_at")))


def claim(
    session: Executor,
    *,
    owner: str,
    lease: timedelta,
    limit: int,
    ids: Iterable[int] | None = None,
    due_by: datetime | None = None,
) -> list[Claimed]:
    """Claim up to `limit` rows due by `due_by` (default now), or just `ids`, for `owner` until now + `lease`.

    Expired leases and due pending rows are looked up separately: each is then a plain scan of
    ix_outbox_claimable in due order, where one OR query made the database read and sort every due row.
    """
    postgres, only = is_postgres(session), None if ids is None else list(ids)
    params = {"now": due_by or utcnow(), **({} if only is None else {"ids": only})}
    chosen = list(session.scalars(_pick(SENDING, postgres, only is not None), {**params, "n": limit}))
    chosen += session.scalars(_pick(PENDING, postgres, only is not None), {**params, "n": limit - len(chosen)})
    if not chosen:
        return []
    rows = session.execute(_claim_statement(postgres), {"ids": chosen, "now": params["now"], "owner": owner,
                                                        "lease_until": utcnow() + lease}).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: (c.due_at, c.id))


# The claim's statements are built once per variant, so a tick only binds parameters: building them
# cost the dispatcher as much as running them.
def _ready(status: str):
    """Rows in `status` that may be claimed at "now": pending ones due, "sending" ones whose lease ended."""
    now = bindparam("now", type_=_T.due_at.type)
    return and_(_T.status == status, _T.lease_until < now if status == SENDING else _T.due_at <= now)


@functools.cache
def _pick(status: str, postgres: bool, with_ids: bool) -> Select:
    """Ids of up to "n" rows in `status` ready to claim, in due order."""
    query = select(_T.id).where(_ready(status)).order_by(_T.due_at).limit(bindparam("n", type_=Integer))
    if with_ids:
        query = query.where(among_parameter(postgres, _T.id, "ids"))
    return query.with_for_update(skip_locked=True) if postgres else query


@functools.cache
def _claim_statement(postgres: bool) -> Update:
    return (update(OutboxMessage.__table__).where(among_parameter(postgres, _T.id, "ids"),
                                                  or_(_ready(PENDING), _ready(SENDING)))
            .values(status=SENDING, lease_until=bindparam("lease_until", type_=_T.lease_until.type),
                    claimed_by=bindparam("owner"), attempts=_T.attempts + 1)
            .returning(_T.id, _T.team_id, _T.kind, _T.channel_id, _T.payload, _T.fallback_user_id, _T.attempts,
                       _T.due_at, _T.subject))


def release_all_claims(session: Executor) -> int:
    """Make every 'sending' row claimable now. Only for a single-process database (SQLite) at start-up,
    where no other dispatcher can be mid-send, so a crash does not wait out the lease."""
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.status == SENDING).values(status=PENDING, lease_until=None)
    )
    return result.rowcount


def mark_cancelled(session: Executor, owner: str, reasons: Mapping[int, str]) -> None:
    """Cancel claimed rows that no longer apply ({row id: why})."""
    session.execute(_ENDED, [{"row_id": row_id, "owner": owner, "end": CANCELLED, "error": reason}
                             for row_id, reason in reasons.items()])


def cancel_pending(session: Session, workspace: Workspace, *, subject_prefix: str, reason: str) -> int:
    """Cancel rows not yet claimed whose subject starts with `subject_prefix`."""
    return session.execute(
        update(OutboxMessage).where(
            OutboxMessage.team_id == workspace.team_id,
            OutboxMessage.subject.startswith(subject_prefix, autoescape=True),
            OutboxMessage.status == PENDING,
        ).values(status=CANCELLED, last_error=reason)
    ).rowcount


def is_waiting(session: Session, workspace: Workspace, *, kind: str, subject: str) -> bool:
    """Whether a row of `kind` about `subject` is still to be sent (pending, or being sent)."""
    return _any_to_send(session, workspace, kind, subject)


def later_one_due(session: Session, workspace: Workspace, *, kind: str, subject: str, after: datetime) -> bool:
    """Whether a row of `kind` about `subject` due later than `after` is due already and still to be sent
    (after downtime, several weekly digests of one plan come due together)."""
    return _any_to_send(session, workspace, kind, subject, OutboxMessage.due_at > after,
                        OutboxMessage.due_at <= utcnow())


def _any_to_send(session: Session, workspace: Workspace, kind: str, subject: str, *also) -> bool:
    return session.scalar(select(exists().where(
        OutboxMessage.team_id == workspace.team_id, OutboxMessage.subject == subject, OutboxMessage.kind == kind,
        OutboxMessage.status.in_((PENDING, SENDING)), *also))) or False


def fail_workspace(session: Executor, team_id: str, *, error: str) -> int:
    """Stop sending for a workspace whose token Slack no longer accepts: its pending rows fail with `error`."""
    return session.execute(
        update(OutboxMessage).where(OutboxMessage.team_id == team_id, OutboxMessage.status == PENDING)
        .values(status=FAILED, last_error=f"{error} (workspace token no longer valid)")
    ).rowcount


# The dispatcher finishes every row it claimed with one of these, built once so each use is a cache hit,
# on the Core table so that a list of parameters is a plain executemany, in a Session too.
# A row changes only while `owner` still holds its claim: a stale dispatcher changes nothing.
_T = OutboxMessage.__table__.c
_OWNED = (_T.id == bindparam("row_id"), _T.claimed_by == bindparam("owner"), _T.status == SENDING)
_SENT = update(OutboxMessage.__table__).where(*_OWNED).values(
    status=SENT, lease_until=None, sent_channel_id=bindparam("to_channel"), sent_ts=bindparam("ts"),
    sent_at=bindparam("at"), last_error=bindparam("note"))
_ENDED = update(OutboxMessage.__table__).where(*_OWNED).values(status=bindparam("end"), lease_until=None,
                                                               last_error=bindparam("error"))
_RESCHEDULED = update(OutboxMessage.__table__).where(*_OWNED).values(
    status=PENDING, lease_until=None, due_at=bindparam("due"), last_error=bindparam("error"))
_RESCHEDULED_REFUNDED = _RESCHEDULED.values(attempts=_T.attempts - 1)
_HELD = select(_T.id).where(_T.id.in_(bindparam("ids", expanding=True)), _T.claimed_by == bindparam("owner"),
                            _T.status == SENDING)
# PostgreSQL marks a whole group sent in one statement, its rows passed as arrays; it returns the ids it changed.
_SENT_ROWS = func.unnest(bindparam("ids", type_=ARRAY(Integer)), bindparam("channels", type_=ARRAY(String)),
                         bindparam("tss", type_=ARRAY(String)), bindparam("notes", type_=ARRAY(String))
                         ).table_valued("row_id", "to_channel", "ts", "note").render_derived(name="sent")
_SENT_ARRAYS = update(OutboxMessage.__table__).where(
    _T.id == _SENT_ROWS.c.row_id, _T.claimed_by == bindparam("owner"), _T.status == SENDING).values(
    status=SENT, lease_until=None, sent_channel_id=_SENT_ROWS.c.to_channel, sent_ts=_SENT_ROWS.c.ts,
    sent_at=bindparam("at"), last_error=_SENT_ROWS.c.note).returning(_T.id)


def _finish(session: Executor, statement: Any, row_id: int, owner: str, **params: Any) -> bool:
    return session.execute(statement, {"row_id": row_id, "owner": owner, **params}).rowcount == 1


@dataclass(frozen=True)
class Delivered:
    row_id: int
    channel_id: str
    ts: str | None
    note: str | None  # e.g. "channel_not_found: sent to U0777 instead"


def mark_sent(session: Executor, owner: str, rows: list[Delivered]) -> set[int]:
    """Mark rows sent; returns the ids `owner` still held, the only ones changed (a stale claim changes nothing)."""
    now = utcnow()
    if is_postgres(session):
        return set(session.scalars(_SENT_ARRAYS, {
            "ids": [r.row_id for r in rows], "channels": [r.channel_id for r in rows], "tss": [r.ts for r in rows],
            "notes": [r.note for r in rows], "owner": owner, "at": now}))
    # SQLite: one process, whose transactions hold the database's write lock, so nothing changes in between.
    ids = set(session.scalars(_HELD, {"ids": [r.row_id for r in rows], "owner": owner}))
    if ids:
        session.execute(_SENT, [{"row_id": r.row_id, "owner": owner, "to_channel": r.channel_id, "ts": r.ts,
                                 "at": now, "note": r.note} for r in rows if r.row_id in ids])
    return ids


def reschedule(
    session: Executor, row_id: int, owner: str, *, due_at: datetime, error: str, refund_attempt: bool = False
) -> bool:
    """Back to pending until `due_at`; `refund_attempt` when the claim never got a real try (a rate limit)."""
    return _finish(session, _RESCHEDULED_REFUNDED if refund_attempt else _RESCHEDULED, row_id, owner, due=due_at,
                   error=error)


def release(session: Executor, row_ids: list[int], owner: str) -> None:
    """Hand claimed rows back untouched (their attempt is refunded), e.g. when the lease is running out."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(row_ids), OutboxMessage.claimed_by == owner, OutboxMessage.status == SENDING)
        .values(status=PENDING, lease_until=None, attempts=OutboxMessage.attempts - 1)
    )


def mark_failed(session: Executor, row_id: int, owner: str, *, error: str) -> bool:
    return _finish(session, _ENDED, row_id, owner, end=FAILED, error=error)
