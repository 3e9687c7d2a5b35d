"""Onboarding plans: starting one, scheduling its nudges in the outbox, and every change to it.

The application layer over storage and the pure schedule (bot.onboarding). Slack only appears as
outbox kinds that bot.plan_messages renders when the dispatcher sends them, so a message always shows
the plan as it is then.

Outbox keys carry the time a row is due: rescheduling cancels an item's or a plan's pending rows and
queues them again, and a row queued again for the same time is the same row (revived), never a second one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot import pulses as pulse_flow
from bot.onboarding import schedule
from bot.onboarding.checklist import Checklist
from bot.onboarding.pulse import Pulse as PulseDefinition
from bot.presentation.plans import channel_problem_notice, notice_message, owner_user_id
from bot.user_text import BROKEN, is_broken
from storage import home_tabs, outbox, plans, triages
from storage.db import Database
from storage.models import Plan, PlanItem, utcnow
from storage.triages import Workspace
from storage.writes import Write, run_together

# Outbox kinds a plan produces; bot.plan_messages renders each.
NUDGE, FOLLOW_UP, ESCALATION, ITEM_UPDATE, DIGEST, COMPLETE = (
    "nudge", "follow_up", "escalation", "item_update", "digest", "plan_complete")
NOTICE = "plan_notice"  # a finished message to the plan's creator (sent as stored)
SNOOZE_CHOICES = ("day", "week")
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_PAST_START = timedelta(days=120)
MAX_FUTURE_START = timedelta(days=365)


class PlanError(Exception):
    """A change fitbot refuses, with the sentence to show the user."""


class NotAllowed(PlanError):
    """The user may not change this plan; the message names who may."""


@dataclass(frozen=True)
class PlanRequest:
    engineer_user_id: str | None
    engineer_name: str | None
    manager_user_id: str
    buddy_user_id: str | None
    channel_id: str
    start_date: date
    timezone: str
    nudge_time: str


@dataclass
class Changed:
    """What a change produced: outbox rows to send right away, and a line for the user."""

    send_now: list[int] = field(default_factory=list)
    message: str = ""


def plan_subject(plan_id: int) -> str:
    return f"plan:{plan_id}:"


def item_subject(plan_id: int, item_id: int) -> str:
    """Ends with ':' so that cancelling item 1's rows never touches item 10's."""
    return f"plan:{plan_id}:item:{item_id}:"


def edit_subject(plan_id: int, item_id: int) -> str:
    """Edits of clicked nudges sit outside the plan's subject: completing, pausing or cancelling the plan
    cancels what it would still send, never the edit that takes a clicked nudge's buttons away."""
    return f"edit:plan:{plan_id}:item:{item_id}:"


def check_request(raw: Mapping[str, Any], today: date) -> tuple[PlanRequest | None, dict[str, str]]:
    """Validate the plan form; errors are keyed by the modal's block ids."""
    errors: dict[str, str] = {}
    engineer_user, engineer_name = raw.get("engineer_user"), (raw.get("engineer_name") or "").strip()
    manager, buddy = raw.get("manager_user"), raw.get("buddy_user")
    if not engineer_user and not engineer_name:
        errors["engineer_user"] = "Pick the engineer, or type their name below if they are not in Slack yet."
    if is_broken(engineer_name):
        errors["engineer_name"] = BROKEN
    elif len(engineer_name) > 120:
        errors["engineer_name"] = f"Keep this to 120 characters (it has {len(engineer_name)})."
    if not manager:
        errors["manager_user"] = "Pick the client's engineering manager."
    elif manager == engineer_user:
        errors["manager_user"] = "The manager and the engineer must be different people."
    if buddy and buddy in (engineer_user, manager):
        errors["buddy_user"] = "The buddy is a third person: leave it empty if there is none."
    if not raw.get("channel"):
        errors["channel"] = "Pick the channel for the nudges."
    start = _parse_date(raw.get("start_date"))
    start_problem = check_start(start, today)
    if start_problem:
        errors["start_date"] = start_problem
    zone = raw.get("timezone") or ""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = "Pick the team's timezone."
    nudge_time = raw.get("nudge_time") or ""
    if not TIME_PATTERN.match(nudge_time):
        errors["nudge_time"] = "Pick the time of day for nudges."
    if errors or start is None:
        return None, errors
    return PlanRequest(
        engineer_user_id=engineer_user or None,
        engineer_name=engineer_name or None,
        manager_user_id=manager,
        buddy_user_id=buddy or None,
        channel_id=raw["channel"],
        start_date=start,
        timezone=zone,
        nudge_time=nudge_time,
    ), {}


def check_start(start: date | None, today: date) -> str | None:
    if start is None:
        return "Pick the engineer's first day."
    if not today - MAX_PAST_START <= start <= today + MAX_FUTURE_START:
        return "Pick a first day within the past four months or the coming year."
    return None


def _parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def start_plan(
    db: Database,
    checklist: Checklist,
    workspace: Workspace,
    *,
    check_ins: PulseDefinition,
    view_id: str,
    created_by: str,
    request: PlanRequest,
    triage_id: int | None,
) -> Changed:
    """Create the plan, its items, its 30/60/90 check-ins and their schedule in one transaction (once, however
    often it is submitted).

    A plan started from a triage is linked to it, and the triage's answers may add checklist items.
    """
    with db.unit_of_work() as session:
        triage = triages.get(session, workspace, triage_id) if triage_id is not None else None
        plan_id = plans.insert_plan(session, workspace, view_id=view_id, values={
            "triage_id": triage.id if triage else None, "created_by": created_by,
            "checklist_version": checklist.version,
            "engineer_user_id": request.engineer_user_id, "engineer_name": request.engineer_name,
            "manager_user_id": request.manager_user_id, "buddy_user_id": request.buddy_user_id,
            "channel_id": request.channel_id, "start_date": request.start_date, "timezone": request.timezone,
            "nudge_time": request.nudge_time,
        })
        if plan_id is None:
            return Changed(message="This plan was already started.")
        items = plans.add_items(session, plan_id, workspace.team_id, [
            {"key": t.key, "phase_title": t.phase_title, "offset_days": t.offset, "owner_role": t.owner,
             "text": t.text} for t in checklist.items_for(triage.answers if triage else None)
        ])
        plan = plans.get_plan(session, workspace, plan_id)
        assert plan is not None
        pulse_flow.create(session, check_ins, workspace, plan)
        due = _schedule(session, workspace, plan, items, utcnow(), digests=True, check_ins=True)
        run_together(session, home_tabs.refresh(workspace, {created_by, triage.user_id if triage else None}))
    return Changed(due, f"Onboarding plan started with {len(items)} checklist items. "
                        f"Nudges will appear in <#{request.channel_id}> on their days.")


def nudge_time_of(plan: Plan) -> time:
    hours, minutes = map(int, plan.nudge_time.split(":"))
    return time(hours, minutes)


def overdue(plan: Plan, open_items: list[PlanItem], now: datetime) -> int:
    """Open items past their day and time, not counting those snoozed for later."""
    at = nudge_time_of(plan)
    return sum(schedule.nudge_at(plan.start_date, i.offset_days, at, plan.timezone) < now
               and not (i.snoozed_until and i.snoozed_until > now) for i in open_items)


def _schedule(session: Session, workspace: Workspace, plan: Plan, items: list[PlanItem], now: datetime,
              *, digests: bool, check_ins: bool = False) -> list[int]:
    """Queue each open item's next step (nudge, reminder, escalation), with `digests` the weekly digests
    still ahead, and with `check_ins` the 30/60/90 pulse's; returns the ids of rows already due."""
    at, zone = nudge_time_of(plan), plan.timezone
    today = schedule.local_day(now, zone)
    queued: list[tuple[int | None, datetime]] = []

    def add(kind: str, key: str, due: datetime, subject: str, channel: str, **payload: Any) -> None:
        # An overdue row is due now: its key then differs from any earlier row for the same step, which
        # may have been sent already; the payload keeps the time it was meant for (for "late" notes).
        send_at = max(due, now)
        row_id = outbox.enqueue(
            session, workspace, dedupe_key=f"plan:{plan.id}:{key}:{send_at:%Y%m%dT%H%M%S}", kind=kind,
            channel_id=channel, payload={"plan_id": plan.id, "due": due.isoformat(), **payload},
            fallback_user_id=plan.created_by, due_at=send_at, subject=subject)
        queued.append((row_id, send_at))

    for item in items:
        if item.status != plans.OPEN:
            continue
        subject = item_subject(plan.id, item.id)
        if item.nudge_ts is None:  # no nudge with live buttons: (re)nudge on its day, or now if overdue
            if item.snoozed_until and item.snoozed_until > now:
                nudge = item.snoozed_until
            else:
                nudge = schedule.nudge_at(plan.start_date, item.offset_days, at, zone)
            add(NUDGE, f"nudge:{item.id}", nudge, subject, plan.channel_id, item_id=item.id,
                owner=owner_user_id(plan, item.owner_role))
            # Reminders count from the day the nudge really goes out, so a late plan doesn't nag at once.
            base = max(schedule.local_day(nudge, zone), today)
        else:
            base = schedule.local_day(item.nudged_at or now, zone)
        if item.reminded_at is None:
            add(FOLLOW_UP, f"follow_up:{item.id}", schedule.follow_up_at(base, at, zone), subject,
                plan.channel_id, item_id=item.id)
        if item.escalated_at is None:
            add(ESCALATION, f"escalation:{item.id}", schedule.escalate_at(base, at, zone), subject,
                plan.manager_user_id, item_id=item.id)
    if check_ins:
        pulse_flow.schedule_pulses(session, plan, at, now, add)
    if digests:
        last_offset = max((item.offset_days for item in items), default=0)
        for day in schedule.digest_days(plan.start_date, last_offset):
            due = schedule.at_local(day, at, zone)
            if due > now:
                add(DIGEST, "digest", due, plan_subject(plan.id), plan.channel_id)
    return [row_id for row_id, due in queued if row_id is not None and due <= now]


def _homes(workspace: Workspace, plan: Plan, item: PlanItem | None = None) -> list[Write]:
    """Home refreshes for who sees the change: the plan's creator, and the item's owner (or, for the whole
    plan, everyone its items wait on)."""
    roles = [item.owner_role] if item else ["manager", "buddy", "engineer"]
    return home_tabs.refresh(workspace, {plan.created_by, *(owner_user_id(plan, r) for r in roles)})


def can_manage(plan: Plan, user_id: str, *, is_admin: Callable[[], bool]) -> bool:
    """The plan's creator, its manager, or a workspace admin (asked only when needed: it costs a Slack call)."""
    return user_id in (plan.created_by, plan.manager_user_id) or is_admin()


def refusal(plan: Plan) -> str:
    return (f"Only <@{plan.created_by}> (who started it), <@{plan.manager_user_id}> (the manager) or a "
            "workspace admin can change this plan.")


def _locked_item(session: Session, workspace: Workspace, item_id: int) -> tuple[PlanItem, Plan]:
    """The item and its plan, with the plan row locked for the rest of the transaction.

    Clicks on a plan's last two items can arrive together: taking the plan row first means the second
    sees the first's item closed, so exactly one of them completes the plan.
    """
    item = plans.find(session, PlanItem, workspace, item_id)
    plan = plans.get_plan(session, workspace, item.plan_id, lock=True) if item else None
    if item is None or plan is None:
        raise PlanError("This checklist item no longer exists.")
    session.refresh(item)
    if plan.status in (plans.CANCELLED, plans.COMPLETED):
        raise PlanError(f"This onboarding plan is {plan.status}; its checklist can't change any more.")
    return item, plan


def close_item(db: Database, workspace: Workspace, item_id: int, status: str, user_id: str,
               message: tuple[str, str] | None) -> Changed:
    """Done or not applicable, from the nudge's buttons (or the App Home's, `message` None): stops its reminders
    and edits the clicked nudge `message` (channel, ts), or the item's live nudge."""
    with db.unit_of_work() as session:
        item, plan = _locked_item(session, workspace, item_id)
        if not plans.close_item(session, item, status, user_id):
            return Changed(message="Someone already closed this item.")
        outbox.cancel_pending(session, workspace, subject_prefix=item_subject(plan.id, item.id),
                              reason=f"item {status} by {user_id}")
        run_together(session, _homes(workspace, plan, item))
        ids = [_enqueue_item_update(session, workspace, item, message, live=(item.nudge_channel_id, item.nudge_ts))]
        if all(i.status != plans.OPEN for i in plans.items_of(session, workspace, plan.id)):
            plans.set_status(session, plan, plans.COMPLETED)
            outbox.cancel_pending(session, workspace, subject_prefix=plan_subject(plan.id), reason="plan complete")
            # The checklist is done, but how the engineer is treated is still worth asking at day 60 and 90.
            ids += _schedule(session, workspace, plan, [], utcnow(), digests=False, check_ins=True)
            ids.append(outbox.enqueue(session, workspace, dedupe_key=f"plan:{plan.id}:complete", kind=COMPLETE,
                                      channel_id=plan.channel_id, payload={"plan_id": plan.id},
                                      subject=plan_subject(plan.id), fallback_user_id=plan.created_by))
    return Changed([i for i in ids if i is not None])


def snooze_item(db: Database, workspace: Workspace, item_id: int, choice: str, user_id: str,
                message: tuple[str, str] | None) -> Changed:
    if choice not in SNOOZE_CHOICES:
        raise PlanError("Pick how long to snooze for.")
    now = utcnow()
    with db.unit_of_work() as session:
        item, plan = _locked_item(session, workspace, item_id)
        if item.status != plans.OPEN:
            return Changed(message="This item is already closed.")
        live = (item.nudge_channel_id, item.nudge_ts)  # the snooze clears them
        plans.snooze_item(item, schedule.snoozed_until(now, choice, nudge_time_of(plan), plan.timezone))
        outbox.cancel_pending(session, workspace, subject_prefix=item_subject(plan.id, item.id),
                              reason=f"snoozed by {user_id}")
        run_together(session, _homes(workspace, plan, item))
        ids = [_enqueue_item_update(session, workspace, item, message, snoozed_by=user_id, live=live)]
        ids += _schedule(session, workspace, plan, [item], now, digests=False)
    return Changed([i for i in ids if i is not None])


def _enqueue_item_update(session: Session, workspace: Workspace, item: PlanItem, message: tuple[str, str] | None,
                         snoozed_by: str | None = None, live: tuple[str | None, str | None] = (None, None)
                         ) -> int | None:
    """An edit of the clicked nudge (or, for a click elsewhere, of the item's `live` nudge, if it has one);
    every click is its own edit, hence the unique key."""
    channel, ts = message or live
    if not channel or not ts:
        return None
    return outbox.enqueue(session, workspace, dedupe_key=f"plan:{item.plan_id}:update:{item.id}:{uuid.uuid4().hex}",
                          kind=ITEM_UPDATE, channel_id=channel, subject=edit_subject(item.plan_id, item.id),
                          payload={"plan_id": item.plan_id, "item_id": item.id, "ts": ts, "snoozed_by": snoozed_by})


def change_plan(db: Database, workspace: Workspace, plan_id: int, user_id: str, *, is_admin: Callable[[], bool],
                action: str, start_date: date | None = None) -> Changed:
    """pause | resume | cancel | move (to `start_date`), for the plan's creator, its manager or an admin."""
    check_may_change(db, workspace, plan_id, user_id, is_admin=is_admin)  # the Slack call happens before any lock
    if action == "move" and (problem := check_start(start_date, utcnow().date())):
        raise PlanError(problem)
    now = utcnow()
    with db.unit_of_work() as session:
        plan = plans.get_plan(session, workspace, plan_id, lock=True)
        if plan is None:
            raise PlanError("That plan no longer exists.")
        if plan.status in (plans.CANCELLED, plans.COMPLETED):
            raise PlanError(f"This plan is {plan.status}; it can't be changed any more.")
        subject = plan_subject(plan.id)
        run_together(session, _homes(workspace, plan))
        if action == "pause":
            if plan.status == plans.PAUSED:
                return Changed(message="The plan is already paused.")
            _pause(session, workspace, plan, f"paused by {user_id}", cancelled=f"plan paused by {user_id}")
            return Changed(message="Plan paused: no nudges until you resume it.")
        if action == "cancel":
            plans.set_status(session, plan, plans.CANCELLED, f"cancelled by {user_id}")
            outbox.cancel_pending(session, workspace, subject_prefix=subject, reason=f"plan cancelled by {user_id}")
            return Changed(message="Plan cancelled.")
        if action == "resume":
            if plan.status != plans.PAUSED:
                return Changed(message="The plan is not paused.")
            plans.set_status(session, plan, plans.ACTIVE)
        elif action == "move":
            assert start_date is not None
            plan.start_date = start_date
        else:
            raise PlanError(f"Unknown change {action!r}.")
        outbox.cancel_pending(session, workspace, subject_prefix=subject, reason=f"rescheduled ({action})")
        due = _schedule(session, workspace, plan, plans.items_of(session, workspace, plan.id), now, digests=True,
                        check_ins=True)
        word = "resumed" if action == "resume" else f"moved to {plan.start_date:%a %d %b %Y}"
        return Changed(due, f"Plan {word}; pending nudges rescheduled.")


def check_may_change(db: Database, workspace: Workspace, plan_id: int, user_id: str, *,
                     is_admin: Callable[[], bool]) -> Plan:
    """The plan, if `user_id` may change it; PlanError with the refusal otherwise."""
    with db.unit_of_work() as session:
        plan = plans.get_plan(session, workspace, plan_id)
    if plan is None:
        raise PlanError("That plan no longer exists.")
    if not can_manage(plan, user_id, is_admin=is_admin):
        raise NotAllowed(refusal(plan))
    return plan


def pause_for_channel_problem(session: Session, workspace: Workspace, plan_id: int, error: str) -> None:
    """The plan's channel is gone or closed to fitbot: stop the plan and tell its creator how to fix it."""
    plan = plans.get_plan(session, workspace, plan_id, lock=True)
    if plan is None or plan.status != plans.ACTIVE:
        return
    _pause(session, workspace, plan, f"channel problem: {error}", cancelled=f"plan paused: {error}")
    outbox.enqueue(session, workspace, dedupe_key=f"plan:{plan.id}:notice:{uuid.uuid4().hex}", kind=NOTICE,
                   channel_id=plan.created_by,
                   payload=notice_message(channel_problem_notice(plan.channel_id, error)))


def pause_for_lost_token(session: Session, team_id: str, error: str) -> None:
    """Slack no longer takes the workspace's token (fitbot was uninstalled or its token revoked): pause every
    active plan, so its rows wait (cancelled, not failed) until fitbot is back and someone resumes it.
    Nobody can be told: nothing can be posted to that workspace any more."""
    workspace = Workspace(team_id)
    for plan in plans.locked_plans_in(session, workspace, plans.ACTIVE):
        _pause(session, workspace, plan, f"Slack refused fitbot's token: {error}", cancelled=f"plan paused: {error}")


def stop_workspace(db: Database, team_id: str, reason: str) -> int:
    """Slack said fitbot lost the workspace (app_uninstalled, or the bot token in tokens_revoked): pause its
    plans and stop what is still to be sent, before calls start failing. Everything stored stays; after a
    reinstall, resuming a plan from `/fit plans` sends what it missed. Safe to run again (Slack retries
    events): paused plans stay paused and there is nothing left to stop."""
    with db.unit_of_work() as session:
        pause_for_lost_token(session, team_id, reason)
        return outbox.fail_workspace(session, team_id, error=reason)


def _pause(session: Session, workspace: Workspace, plan: Plan, reason: str, *, cancelled: str) -> None:
    """Paused, with what it would still send cancelled (not failed), so that resuming queues it again."""
    plans.set_status(session, plan, plans.PAUSED, reason)
    outbox.cancel_pending(session, workspace, subject_prefix=plan_subject(plan.id), reason=cancelled)
    run_together(session, _homes(workspace, plan))  # paused by fitbot too: its items no longer wait on anyone
