"""What one user's App Home shows: their open triages, their plans, and the checklist items that wait on them.

Each list is read with a limit and counted apart, so the tab costs the same however many rows are stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from storage import plans, pulses
from storage.models import Plan, PlanItem, PulseWarning, Triage
from storage.triages import Workspace


@dataclass(frozen=True)
class Desk:
    open_triages: list[Triage]  # newest first
    open_triage_count: int
    plans: list[tuple[Plan, int, int]]  # active or paused, with (closed items, items)
    plan_count: int
    plan_items: dict[int, list[PlanItem]]  # the open items of the plans shown, by plan id
    warnings: dict[int, list[PulseWarning]]  # the pulse's early warnings of the plans shown, by plan id
    assigned: list[tuple[PlanItem, Plan]]  # nudged, still open, oldest nudge first
    assigned_count: int


def _owned_by(user_id: str):
    """Items whose owner is `user_id`, by bot.presentation.plans.owner_user_id's rule: a buddy
    item falls to the manager when there is no buddy, an engineer's to the manager until the engineer is in Slack."""
    return or_(
        and_(PlanItem.owner_role == "manager", Plan.manager_user_id == user_id),
        and_(PlanItem.owner_role == "buddy", func.coalesce(Plan.buddy_user_id, Plan.manager_user_id) == user_id),
        and_(PlanItem.owner_role == "engineer",
             func.coalesce(Plan.engineer_user_id, Plan.manager_user_id) == user_id),
        and_(PlanItem.owner_role == "firm", Plan.created_by == user_id),
    )


def desk(session: Session, workspace: Workspace, user_id: str, *, limit: int) -> Desk:
    team = workspace.team_id
    no_plan = ~exists().where(Plan.triage_id == Triage.id)
    mine = and_(Triage.team_id == team, Triage.user_id == user_id, no_plan)
    open_triages = list(session.scalars(select(Triage).where(mine)
                                        .order_by(Triage.updated_at.desc(), Triage.id.desc()).limit(limit)))
    open_count = session.scalar(select(func.count(Triage.id)).where(mine)) or 0

    my_plans = and_(Plan.created_by == user_id, Plan.status.in_([plans.ACTIVE, plans.PAUSED]))
    shown = plans.with_progress(session, workspace, my_plans, limit=limit)
    plan_count = session.scalar(select(func.count(Plan.id)).where(Plan.team_id == team, my_plans)) or 0
    items: dict[int, list[PlanItem]] = {plan.id: [] for plan, _, _ in shown}
    if items:
        for item in session.scalars(select(PlanItem).where(PlanItem.plan_id.in_(list(items)),
                                                           PlanItem.status == plans.OPEN)):
            items[item.plan_id].append(item)

    waiting = and_(Plan.team_id == team, Plan.status == plans.ACTIVE, PlanItem.status == plans.OPEN,
                   PlanItem.nudged_at.is_not(None), _owned_by(user_id))
    joined = select(PlanItem, Plan).join(Plan, PlanItem.plan_id == Plan.id)
    assigned = [(item, plan) for item, plan in session.execute(
        joined.where(waiting).order_by(PlanItem.nudged_at, PlanItem.id).limit(limit)).all()]
    assigned_count = session.scalar(select(func.count(PlanItem.id)).join(Plan, PlanItem.plan_id == Plan.id)
                                    .where(waiting)) or 0
    warnings = pulses.warnings_of(session, workspace, list(items))
    return Desk(open_triages, open_count, shown, plan_count, items, warnings, assigned, assigned_count)
