"""Sending a pulse's outbox rows: the check-in DM, its reminders in the DM's thread, and its edit after a
click. The lead's early warning is a stored message (bot.message_kinds.StoredMessage)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.message_kinds import POST, UPDATE, Later, MessageKind, Postponed, SlackCall, StoredMessage
from bot.onboarding.pulse import Pulse as PulseDefinition
from bot.presentation.pulse import pulse_message, pulse_reminder
from bot.pulses import PULSE, PULSE_REMINDER, PULSE_UPDATE, PULSE_WARNING, pulse_subject
from storage import outbox, plans, pulses
from storage.models import Plan, Pulse, utcnow
from storage.outbox import Claimed
from storage.triages import Workspace
from storage.writes import Write

WAIT_FOR_ASK = timedelta(seconds=5)


def _load(session: Session, row: Claimed) -> tuple[Pulse, Plan] | None:
    workspace = Workspace(row.team_id)
    pulse = pulses.get(session, workspace, row.payload["pulse_id"])
    plan = plans.get_plan(session, workspace, pulse.plan_id) if pulse else None
    return (pulse, plan) if pulse and plan else None


def _ask_waiting(session: Session, row: Claimed, pulse: Pulse) -> bool:
    return outbox.is_waiting(session, Workspace(row.team_id), kind=PULSE,
                             subject=pulse_subject(pulse.plan_id, pulse.id))


class _PulseKind:
    reads_database = True

    def __init__(self, definition: PulseDefinition) -> None:
        self.definition = definition

    def preload(self, session: Session, rows: list[Claimed]) -> None:
        pass

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | Postponed | None:
        return None  # a DM that fails says nothing about the plan's channel

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        return []


# A completed checklist doesn't end the check-ins; a paused or cancelled plan does.
ASKING = (plans.ACTIVE, plans.COMPLETED)


class PulseAsk(_PulseKind):
    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        found = _load(session, row)
        if found is None or found[1].status not in ASKING or found[0].answered_at is not None:
            return None
        pulse, plan = found
        return SlackCall(POST, {"channel": pulse.user_id, **pulse_message(self.definition, plan, pulse)})

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        return [pulses.record_asked(row.payload["pulse_id"], channel, ts)]


class PulseReminder(_PulseKind):
    def render(self, session: Session, row: Claimed) -> SlackCall | Later | None:
        found = _load(session, row)
        if found is None or found[1].status not in ASKING or found[0].answered_at is not None:
            return None
        pulse, _ = found
        if pulse.dm_ts is None:
            if _ask_waiting(session, row, pulse):
                return Later(utcnow() + WAIT_FOR_ASK, "waiting: the check-in is still to be sent")
            return None
        return SlackCall(POST, {"channel": pulse.dm_channel_id, "thread_ts": pulse.dm_ts, **pulse_reminder(pulse)})


class PulseUpdate(_PulseKind):
    """The check-in DM edited to show the answers given and the questions left."""

    def render(self, session: Session, row: Claimed) -> SlackCall | Later | None:
        found = _load(session, row)
        if found is None:
            return None
        pulse, plan = found
        if pulse.dm_ts is None:
            return Later(utcnow() + WAIT_FOR_ASK, "waiting: the check-in's ts") if _ask_waiting(
                session, row, pulse) else None
        return SlackCall(UPDATE, {"channel": pulse.dm_channel_id, "ts": pulse.dm_ts,
                                  **pulse_message(self.definition, plan, pulse)})


def pulse_kinds(definition: PulseDefinition) -> dict[str, MessageKind]:
    return {PULSE: PulseAsk(definition), PULSE_REMINDER: PulseReminder(definition),
            PULSE_UPDATE: PulseUpdate(definition), PULSE_WARNING: StoredMessage()}
