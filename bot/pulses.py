"""The 30/60/90 pulse of a plan: who is asked when, storing a click, and raising the early warning.

The pulses are created with the plan and their DMs are outbox rows under the plan's subject, so pausing
or cancelling the plan stops them, and resuming or moving it queues them again, like its nudges.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, time

from sqlalchemy.orm import Session

from bot.onboarding import schedule
from bot.onboarding.pulse import Pulse as PulseDefinition
from bot.onboarding.pulse import signs, warrants_warning
from bot.presentation.pulse import warning_message
from storage import home_tabs, outbox, plans, pulses, triages
from storage.db import Database
from storage.models import Plan, Pulse, utcnow
from storage.triages import Workspace
from storage.writes import run_together

PULSE, PULSE_REMINDER, PULSE_UPDATE, PULSE_WARNING = "pulse", "pulse_reminder", "pulse_update", "pulse_warning"
REMINDER_DAYS = (2, 5)  # working days after the check-in: reminders until answered, then fitbot lets it be


class PulseRefused(ValueError):
    """Why a click on a check-in changed nothing, in words for the clicker."""


def pulse_subject(plan_id: int, pulse_id: int) -> str:
    return f"plan:{plan_id}:pulse:{pulse_id}:"  # under the plan's subject: pausing the plan stops it


def create(session: Session, definition: PulseDefinition, workspace: Workspace, plan: Plan) -> list[Pulse]:
    """A pulse per checkpoint for the manager, and for the engineer once they are in Slack."""
    people = [("manager", plan.manager_user_id), ("engineer", plan.engineer_user_id)]
    return pulses.add_pulses(session, workspace, plan.id, [
        {"checkpoint": day, "role": role, "user_id": user, "version": definition.version}
        for day in definition.checkpoints for role, user in people if user])


def schedule_pulses(session: Session, plan: Plan, at: time, now: datetime, add: Callable[..., None]) -> None:
    """Queue each unanswered pulse's DM (on its day, at the plan's nudge time) and its reminders;
    `add(kind, key, due, subject, channel, **payload)` is the plan scheduler's.

    A plan scheduled late (started in the past, resumed, moved back) asks only the latest check-in that is
    due, not every one it missed, and its reminders count from the day it really goes out."""
    today = schedule.local_day(now, plan.timezone)
    found = pulses.of_plan(session, Workspace(plan.team_id), plan.id)
    due_days = {p.checkpoint: schedule.due_day(plan.start_date, p.checkpoint) for p in found}
    latest_due = max((c for c, day in due_days.items() if day <= today), default=None)
    for pulse in found:
        if pulse.answered_at is not None:
            continue
        day = due_days[pulse.checkpoint]
        if pulse.asked_at is None and latest_due is not None and pulse.checkpoint < latest_due:
            continue  # missed, and a later check-in is due already
        subject = pulse_subject(plan.id, pulse.id)
        if pulse.asked_at is None:
            add(PULSE, f"pulse:{pulse.id}", schedule.at_local(day, at, plan.timezone), subject, pulse.user_id,
                pulse_id=pulse.id)
        base = max(schedule.local_day(pulse.asked_at, plan.timezone) if pulse.asked_at else day, today)
        for n, days in enumerate(REMINDER_DAYS, 1):
            add(PULSE_REMINDER, f"pulse:{pulse.id}:reminder:{n}",
                schedule.at_local(schedule.add_working_days(base, days), at, plan.timezone), subject,
                pulse.user_id, pulse_id=pulse.id, reminder=n)


def answer(db: Database, definition: PulseDefinition, workspace: Workspace, *, pulse_id: int, question: str,
           value: str, user_id: str, now: datetime | None = None) -> list[int]:
    """Store one click; returns the outbox rows due now (the DM's edit, perhaps the lead's warning)."""
    now = now or utcnow()
    with db.unit_of_work() as session:
        found = pulses.get(session, workspace, pulse_id)
        # The plan row first: the manager and the engineer answering at once are stored one after the other,
        # so the second sees the first's answers when it counts the signs for the warning.
        plan = plans.get_plan(session, workspace, found.plan_id, lock=True) if found else None
        pulse = pulses.get(session, workspace, pulse_id, lock=True) if found else None
        if pulse is None:
            raise PulseRefused("This check-in no longer exists.")
        session.refresh(pulse)
        if pulse.user_id != user_id:
            raise PulseRefused(f"This check-in is for <@{pulse.user_id}>.")
        q = definition.question(pulse.role, question)
        if q is None or q.option(value) is None:
            raise PulseRefused("That answer no longer matches this check-in.")
        if plan is None or plan.status == plans.CANCELLED:
            raise PulseRefused("This onboarding plan was cancelled; its check-ins are closed.")
        if pulse.answers.get(question) == value:
            return []  # a second click on the same answer
        pulse.answers = {**pulse.answers, question: value}
        asked = {q.id for q in definition.questions.get(pulse.role, ())}
        if pulse.answered_at is None and asked <= set(pulse.answers):
            pulse.answered_at = now
            outbox.cancel_pending(session, workspace, subject_prefix=pulse_subject(plan.id, pulse.id),
                                  reason="check-in answered")
        session.flush()
        # Outside the plan's subject: an answer given is shown even if the plan is paused meanwhile.
        due = [outbox.enqueue(session, workspace, dedupe_key=f"pulse:{pulse.id}:update:{uuid.uuid4().hex}",
                              kind=PULSE_UPDATE, channel_id=pulse.dm_channel_id or pulse.user_id,
                              payload={"pulse_id": pulse.id}, subject=f"pulse:{pulse.id}")]
        due.append(_warn_if_needed(session, definition, workspace, plan, pulse.checkpoint))
    return [i for i in due if i is not None]


def _warn_if_needed(session: Session, definition: PulseDefinition, workspace: Workspace, plan: Plan,
                    checkpoint: int) -> int | None:
    """Once a checkpoint's answers show enough signs of contractor-style treatment, the engagement lead hears
    it once, with the fixes, and it shows on their Home tab."""
    answers = {p.role: p.answers for p in pulses.at_checkpoint(session, plan.id, checkpoint)}
    seen = signs(definition, answers)
    if not warrants_warning(definition, seen):
        return None
    if pulses.add_warning(session, workspace, plan_id=plan.id, checkpoint=checkpoint,
                          signals=[{"id": s.signal.id, "title": s.signal.title, "roles": list(s.roles)}
                                   for s in seen]) is None:
        return None
    triage = triages.get(session, workspace, plan.triage_id) if plan.triage_id else None
    run_together(session, home_tabs.refresh(workspace, {plan.created_by}))
    return outbox.enqueue(session, workspace, dedupe_key=f"plan:{plan.id}:warning:{checkpoint}", kind=PULSE_WARNING,
                          channel_id=plan.created_by,
                          payload=warning_message(plan, checkpoint, seen, triage.company if triage else None),
                          subject=f"warning:{plan.id}")
