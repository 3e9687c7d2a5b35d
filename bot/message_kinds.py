"""How the dispatcher turns an outbox row into a Slack call, per kind of row.

A row either carries its finished message (a recommendation, a mention reply) or names what it is
about (a plan's nudge) and is rendered when it is sent, so it shows the current state and is skipped
when it no longer applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.presentation.delivery import fallback_dm
from storage.outbox import Claimed
from storage.writes import Write

POST, UPDATE, PUBLISH = "chat.postMessage", "chat.update", "views.publish"
# chat.update errors meaning the message can't be edited any more (deleted, or too old to edit): the
# row's kind may post it again instead (MessageKind.unreachable).
MESSAGE_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


@dataclass(frozen=True)
class SlackCall:
    method: str  # POST, UPDATE or PUBLISH
    args: dict[str, Any]

    @property
    def channel(self) -> str:
        """Where the call goes: its channel, or for an App Home its user."""
        return self.args.get("channel") or self.args["user_id"]


@dataclass(frozen=True)
class Postponed:
    """The row waits until someone fixes its channel (its plan was paused); it is cancelled for now,
    and queued again when the plan resumes."""

    reason: str


@dataclass(frozen=True)
class Later:
    """Not yet: the row waits until `due_at` (a reminder whose nudge only just went out)."""

    due_at: datetime
    reason: str


class MessageKind(Protocol):
    reads_database: bool  # whether render() needs a Session (the dispatcher skips opening one otherwise)

    def preload(self, session: Session, rows: list[Claimed]) -> None:
        """Before a batch is rendered (kinds that read the database): load what its rows need at once."""

    def render(self, session: Session | None, row: Claimed) -> SlackCall | Later | None:
        """The call to make, Later, or None when the row no longer needs sending (it is then cancelled)."""

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | Postponed | None:
        """fitbot can't post in the row's channel, or the message an update edits is gone (MESSAGE_GONE):
        what to send instead, Postponed, or None (the row fails)."""

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        """What the sent message means for fitbot's data, written in the transaction that marks the row sent
        (with the same writes of the other rows sent alongside it). `channel` and `ts` are where it landed,
        which is the instead-call's channel when `unreachable` gave one."""


class StoredMessage:
    """The row's payload is the message; if the channel is closed to fitbot, the requester gets it by DM."""

    reads_database = False

    def preload(self, session: Session, rows: list[Claimed]) -> None:
        pass

    def render(self, session: Session | None, row: Claimed) -> SlackCall | None:
        return SlackCall(POST, {"channel": row.channel_id, **row.payload})

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | Postponed | None:
        if not row.fallback_user_id:
            return None
        return SlackCall(POST, {"channel": row.fallback_user_id, **fallback_dm(row.channel_id, error, row.payload)})

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        return []
