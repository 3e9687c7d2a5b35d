"""Rendering a plan's outbox rows at send time: nudges, reminders, edits, digests, notices."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot import plans as plan_flow
from bot.message_kinds import POST, UPDATE, MessageKind, SlackCall
from bot.onboarding.schedule import nudge_at
from bot.presentation import plans as views
from storage import outbox, plans
from storage.models import Plan, PlanItem, utcnow
from storage.outbox import Claimed
from storage.triages import Workspace

LATE_AFTER = timedelta(days=1)


def _load(session: Session, row: Claimed) -> tuple[Plan | None, PlanItem | None]:
    workspace = Workspace(row.team_id)
    plan = plans.get_plan(session, workspace, row.payload["plan_id"])
    item_id = row.payload.get("item_id")
    item = plans.get_item(session, workspace, item_id) if item_id is not None else None
    return plan, item


class _PlanKind:
    """Shared rule: a plan message whose channel is closed to fitbot pauses the plan and tells its creator."""

    def unreachable(self, session: Session, row: Claimed, error: str) -> SlackCall | None:
        plan = plan_flow.pause_for_channel_problem(session, Workspace(row.team_id), row.payload["plan_id"], error)
        if plan is None:
            return None
        return SlackCall(POST, {"channel": plan.created_by,
                                **views.notice_message(views.channel_problem_notice(plan.channel_id, error))})


def _open_in_active_plan(plan: Plan | None, item: PlanItem | None) -> bool:
    return plan is not None and item is not None and plan.status == plans.ACTIVE and item.status == plans.OPEN


class Nudge(_PlanKind):
    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        plan, item = _load(session, row)
        if not _open_in_active_plan(plan, item):
            return None
        late = utcnow() - row.due_at > LATE_AFTER
        return SlackCall(POST, {"channel": plan.channel_id,
                                **views.nudge_message(plan, item, due_at=row.due_at, late=late)})


class FollowUp(_PlanKind):
    """One reminder in the nudge's thread (or on its own if the nudge never reached Slack)."""

    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        plan, item = _load(session, row)
        if not _open_in_active_plan(plan, item):
            return None
        nudge = outbox.latest_sent(session, Workspace(row.team_id), subject=row.subject or "", kind=plan_flow.NUDGE)
        args = {"channel": plan.channel_id, **views.follow_up_message(plan, item)}
        if nudge is not None and nudge.sent_ts:
            args.update(channel=nudge.sent_channel_id, thread_ts=nudge.sent_ts)
        return SlackCall(POST, args)


class Escalation(_PlanKind):
    """A direct message to the manager about an item still open after its reminder."""

    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        plan, item = _load(session, row)
        if not _open_in_active_plan(plan, item):
            return None
        return SlackCall(POST, {"channel": plan.manager_user_id, **views.escalation_message(plan, item)})


class ItemUpdate(_PlanKind):
    """Edits the nudge in place after Done / Snooze / Not applicable."""

    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        plan, item = _load(session, row)
        nudge = outbox.latest_sent(session, Workspace(row.team_id), subject=row.subject or "", kind=plan_flow.NUDGE)
        if plan is None or item is None or nudge is None or not nudge.sent_ts:
            return None
        message = views.closed_nudge(plan, item, snoozed_by=row.payload.get("snoozed_by"))
        return SlackCall(UPDATE, {"channel": nudge.sent_channel_id, "ts": nudge.sent_ts, **message})


class Digest(_PlanKind):
    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        plan, _ = _load(session, row)
        if plan is None or plan.status != plans.ACTIVE:
            return None
        items = plans.items_of(session, plan.id)
        done = sum(i.status != plans.OPEN for i in items)
        now = utcnow()
        at = plan_flow.nudge_time_of(plan)
        overdue = sum(i.status == plans.OPEN and nudge_at(plan.start_date, i.offset_days, at, plan.timezone) < now
                      for i in items)
        return SlackCall(POST, {"channel": plan.channel_id, **views.digest_message(
            plan, done=done, open_=len(items) - done, overdue=overdue, total=len(items))})


class Complete(_PlanKind):
    def render(self, session: Session, row: Claimed) -> SlackCall | None:
        plan, _ = _load(session, row)
        if plan is None:
            return None
        return SlackCall(POST, {"channel": plan.channel_id,
                                **views.complete_message(plan, len(plans.items_of(session, plan.id)))})


PLAN_KINDS: dict[str, MessageKind] = {
    plan_flow.NUDGE: Nudge(),
    plan_flow.FOLLOW_UP: FollowUp(),
    plan_flow.ESCALATION: Escalation(),
    plan_flow.ITEM_UPDATE: ItemUpdate(),
    plan_flow.DIGEST: Digest(),
    plan_flow.COMPLETE: Complete(),
}
