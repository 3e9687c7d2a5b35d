"""Rendering a plan's outbox rows at send time: nudges, reminders, edits, digests, completion."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import plans as plan_flow
from bot.message_kinds import POST, UPDATE, Later, MessageKind, Postponed, SlackCall
from bot.onboarding.schedule import earliest_escalation, earliest_follow_up
from bot.presentation import plans as views
from bot.presentation.delivery import fallback_dm
from storage import home_tabs, outbox, plans
from storage.models import Plan, PlanItem, utcnow
from storage.outbox import Claimed
from storage.triages import Workspace
from storage.writes import Write

LATE_AFTER = timedelta(days=1)


def _load(session: Session, row: Claimed) -> tuple[Plan | None, PlanItem | None]:
    workspace, item_id = Workspace(row.team_id), row.payload.get("item_id")
    item = plans.find(session, PlanItem, workspace, item_id) if item_id is not None else None
    plan = plans.find(session, Plan, workspace, row.payload["plan_id"])
    return (plan, item) if item is None or plan is None or item.plan_id == plan.id else (None, None)


def _open_item(session: Session, row: Claimed) -> tuple[Plan, PlanItem] | None:
    """The row's plan and item while the item is still open in an active plan (else the row no longer applies)."""
    plan, item = _load(session, row)
    if plan is None or item is None or plan.status != plans.ACTIVE or item.status != plans.OPEN:
        return None
    return plan, item


def _still_to_send(session: Session, row: Claimed, kind: str) -> bool:
    """Whether the step before this row (its item's nudge, or reminder) may still go out. When it failed for
    good, a reminder or escalation waiting for it would wait forever: it goes out on its own instead."""
    subject = plan_flow.item_subject(row.payload["plan_id"], row.payload["item_id"])
    return outbox.is_waiting(session, Workspace(row.team_id), kind=kind, subject=subject)


def _not_before(earliest: datetime, reason: str) -> Later | None:
    return Later(earliest, reason) if earliest > utcnow() else None


class _PlanKind:
    """A plan message whose channel is closed to fitbot pauses the plan; its creator is told separately."""

    reads_database = True

    def preload(self, session: Session, rows: list[Claimed]) -> None:
        plans.preload(session, [(row.team_id, row.payload["plan_id"], row.payload.get("item_id")) for row in rows])

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | Postponed | None:
        plan_flow.pause_for_channel_problem(session, Workspace(row.team_id), row.payload["plan_id"], error)
        return Postponed(f"plan paused: {error}")

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        return []


class Nudge(_PlanKind):
    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        if (found := _open_item(session, row)) is None:
            return None
        plan, item = found
        # The time it was scheduled for, not the row's due time, which retries move.
        due = datetime.fromisoformat(row.payload["due"])
        return SlackCall(POST, {"channel": plan.channel_id,
                                **views.nudge_message(plan, item, due_at=due, late=utcnow() - due > LATE_AFTER)})

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        """The item's live nudge; it now waits on its owner, whose App Home lists it."""
        return [plans.record_sent(row.payload["item_id"], nudge_channel_id=channel, nudge_ts=ts, nudged_at=utcnow()),
                *home_tabs.refresh(Workspace(row.team_id), {row.payload.get("owner")})]


class FollowUp(_PlanKind):
    """One reminder in the live nudge's thread (or on its own if the nudge never reached Slack)."""

    def render(self, session: Session, row: Claimed) -> SlackCall | Later | None:
        if (found := _open_item(session, row)) is None:
            return None
        plan, item = found
        if item.nudged_at is not None or _still_to_send(session, row, plan_flow.NUDGE):
            earliest = earliest_follow_up(item.nudged_at, utcnow(), plan_flow.nudge_time_of(plan), plan.timezone)
            if later := _not_before(earliest, "waiting: reminders come two working days after the nudge went out"):
                return later
        args = {"channel": plan.channel_id, **views.follow_up_message(plan, item)}
        if item.nudge_ts:
            args.update(channel=item.nudge_channel_id, thread_ts=item.nudge_ts)
        return SlackCall(POST, args)

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        return [plans.record_sent(row.payload["item_id"], reminded_at=utcnow())]


class Escalation(_PlanKind):
    """A direct message to the manager about an item still open after its reminder."""

    def render(self, session: Session, row: Claimed) -> SlackCall | Later | None:
        if (found := _open_item(session, row)) is None:
            return None
        plan, item = found
        if item.reminded_at is not None or _still_to_send(session, row, plan_flow.FOLLOW_UP):
            earliest = earliest_escalation(item.nudged_at, item.reminded_at, utcnow(),
                                           plan_flow.nudge_time_of(plan), plan.timezone)
            if later := _not_before(earliest, "waiting: the manager hears two working days after the reminder"):
                return later
        return SlackCall(POST, {"channel": plan.manager_user_id, **views.escalation_message(plan, item)})

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | Postponed | None:
        return None  # a DM that fails says nothing about the plan's channel

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        return [plans.record_sent(row.payload["item_id"], escalated_at=utcnow())]


class ItemUpdate(_PlanKind):
    """Edits the clicked nudge in place after Done / Snooze / Not applicable."""

    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        plan, item = _load(session, row)
        if plan is None or item is None:
            return None
        message = views.closed_nudge(plan, item, snoozed_by=row.payload.get("snoozed_by"))
        return SlackCall(UPDATE, {"channel": row.channel_id, "ts": row.payload["ts"], **message})

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | Postponed | None:
        return None


class Digest(_PlanKind):
    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        plan, _ = _load(session, row)
        if plan is None or plan.status != plans.ACTIVE:
            return None
        if outbox.later_one_due(session, Workspace(row.team_id), kind=plan_flow.DIGEST, subject=row.subject,
                                after=row.due_at):
            return None  # fitbot was down for weeks: only the latest digest goes out, not one per missed week
        items = plans.items_of(session, Workspace(row.team_id), plan.id)
        open_items = [i for i in items if i.status == plans.OPEN]
        overdue = plan_flow.overdue(plan, open_items, utcnow())
        return SlackCall(POST, {"channel": plan.channel_id, **views.digest_message(
            plan, done=len(items) - len(open_items), open_=len(open_items), overdue=overdue, total=len(items))})


class Complete(_PlanKind):
    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        plan, _ = _load(session, row)
        if plan is None:
            return None
        return SlackCall(POST, {"channel": plan.channel_id, **self._message(session, row, plan)})

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | Postponed | None:
        """The plan is over, so there is nothing to pause: its creator gets the news by DM, with the reason."""
        plan, _ = _load(session, row)
        if plan is None:
            return None
        return SlackCall(POST, {"channel": plan.created_by,
                                **fallback_dm(plan.channel_id, error, self._message(session, row, plan))})

    @staticmethod
    def _message(session: Session, row: Claimed, plan: Plan) -> dict:
        return views.complete_message(plan, len(plans.items_of(session, Workspace(row.team_id), plan.id)))


PLAN_KINDS: dict[str, MessageKind] = {
    plan_flow.NUDGE: Nudge(),
    plan_flow.FOLLOW_UP: FollowUp(),
    plan_flow.ESCALATION: Escalation(),
    plan_flow.ITEM_UPDATE: ItemUpdate(),
    plan_flow.DIGEST: Digest(),
    plan_flow.COMPLETE: Complete(),
}
