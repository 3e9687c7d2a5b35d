"""Sending a triage's outbox rows: its recommendation, the in-place update of a revision, and the note
in the message's thread saying what the revision changed.

A revision's rows wait while the recommendation itself is still to be posted: they edit and reply to
that message, so they need its ts.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.message_kinds import MESSAGE_GONE, POST, UPDATE, Later, MessageKind, Postponed, SlackCall, StoredMessage
from bot.presentation.delivery import fallback_dm
from bot.record_triage import RECOMMENDATION, TRIAGE_NOTE, TRIAGE_UPDATE, triage_subject
from storage import outbox, triages
from storage.models import Triage, utcnow
from storage.outbox import Claimed
from storage.triages import Workspace
from storage.writes import Write

WAIT_FOR_POST = timedelta(seconds=5)


def _posted(session: Session, row: Claimed, *, latest_only: bool) -> tuple[Triage, str | None] | Later | None:
    """The row's triage and the ts of its message (None if it never got posted); Later while the
    recommendation is still to be posted; None when the triage is gone or, with `latest_only`, when a later
    revision's rows supersede this one."""
    workspace = Workspace(row.team_id)
    triage = triages.get(session, workspace, row.payload["triage_id"])
    if triage is None or (latest_only and triage.revision > row.payload["revision"]):
        return None
    if triage.message_ts is None and outbox.is_waiting(session, workspace, kind=RECOMMENDATION,
                                                         subject=triage_subject(triage.id)):
        return Later(utcnow() + WAIT_FOR_POST, "waiting: the recommendation is still to be posted")
    return triage, triage.message_ts


class RecommendationPost(StoredMessage):
    """The first post; where it lands (its channel, or the requester's DM if the channel was closed to
    fitbot) is where revisions edit it."""

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        if not row.subject:
            return []
        return [triages.record_message(int(row.subject.removeprefix("triage:")), channel, ts)]


class TriageUpdate:
    """The recommendation message edited to show the latest revision; posted again if it was deleted."""

    reads_database = True

    def preload(self, session: Session, rows: list[Claimed]) -> None:
        pass

    def render(self, session: Session, row: Claimed) -> SlackCall | Later | None:
        found = _posted(session, row, latest_only=True)
        if not isinstance(found, tuple):
            return found
        triage, ts = found
        message = row.payload["message"]
        if ts is None:  # the first post failed for good: this one takes its place
            return SlackCall(POST, {"channel": triage.channel_id, **message})
        return SlackCall(UPDATE, {"channel": triage.message_channel_id, "ts": ts, **message})

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | Postponed | None:
        if error not in MESSAGE_GONE:
            return None  # the channel is closed to fitbot: the note's fallback tells the editor
        triage = triages.get(session, Workspace(row.team_id), row.payload["triage_id"])
        channel = triage.message_channel_id if triage and triage.message_channel_id else row.channel_id
        return SlackCall(POST, {"channel": channel, **row.payload["message"]})

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        return [triages.record_message(row.payload["triage_id"], channel, ts)]


class TriageNote:
    """What the revision changed, in the recommendation's thread; the editor gets it by DM if the
    channel is closed to fitbot."""

    reads_database = True

    def preload(self, session: Session, rows: list[Claimed]) -> None:
        pass

    def render(self, session: Session, row: Claimed) -> SlackCall | Later | None:
        found = _posted(session, row, latest_only=False)  # every revision's note is part of the thread's story
        if not isinstance(found, tuple):
            return found
        triage, ts = found
        if ts is None:
            if outbox.is_waiting(session, Workspace(row.team_id), kind=TRIAGE_UPDATE, subject=row.subject or ""):
                # The first post failed for good and the update is posting the message anew: reply to that.
                return Later(utcnow() + WAIT_FOR_POST, "waiting: the message is being posted again")
            return SlackCall(POST, {"channel": triage.channel_id, **row.payload["message"]})
        return SlackCall(POST, {"channel": triage.message_channel_id, "thread_ts": ts, **row.payload["message"]})

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | Postponed | None:
        if not row.fallback_user_id:
            return None
        return SlackCall(POST, {"channel": row.fallback_user_id,
                                **fallback_dm(row.channel_id, error, row.payload["message"])})

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        return []


TRIAGE_KINDS: dict[str, MessageKind] = {
    RECOMMENDATION: RecommendationPost(),
    TRIAGE_UPDATE: TriageUpdate(),
    TRIAGE_NOTE: TriageNote(),
}
