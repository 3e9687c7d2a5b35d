"""Plans and their checklist items."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Update, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from storage.models import Plan, PlanItem, utcnow
from storage.triages import Workspace
from storage.upsert import among, insert_unless_exists
from storage.writes import Write

Model = TypeVar("Model", Plan, PlanItem)
ACTIVE, PAUSED, CANCELLED, COMPLETED = "active", "paused", "cancelled", "completed"
OPEN, DONE, NOT_APPLICABLE = "open", "done", "not_applicable"


def insert_plan(session: Session, workspace: Workspace, *, view_id: str, values: Mapping[str, Any]) -> int | None:
    """Store a plan; None when this modal was already submitted."""
    now = utcnow()
    row = {**values, "team_id": workspace.team_id, "enterprise_id": workspace.enterprise_id, "view_id": view_id,
           "status": ACTIVE, "created_at": now, "updated_at": now}
    return insert_unless_exists(session, Plan.__table__, row, ["team_id", "view_id"])


def add_items(session: Session, plan_id: int, team_id: str, items: Iterable[Mapping[str, Any]]) -> list[PlanItem]:
    rows = [PlanItem(plan_id=plan_id, team_id=team_id, status=OPEN, **item) for item in items]
    session.add_all(rows)
    session.flush()
    return rows


def get_plan(session: Session, workspace: Workspace, plan_id: int, *, lock: bool = False) -> Plan | None:
    query = select(Plan).where(Plan.id == plan_id, Plan.team_id == workspace.team_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def preload(session: Session, refs: Iterable[tuple[str, int, int | None]]) -> None:
    """Load these (team, plan, item) into the session in two queries; `find()` then finds them there.

    The dispatcher renders a batch of plan messages this way instead of querying once per row. The
    session only holds objects weakly, so it keeps the loaded ones in `session.info` until it closes.
    """
    refs = list(refs)
    teams = {team for team, _, _ in refs}
    loaded = list(session.scalars(select(Plan).where(Plan.team_id.in_(teams),
                                                     among(session, Plan.id, {plan for _, plan, _ in refs}))))
    if item_ids := {item for _, _, item in refs if item is not None}:
        loaded += session.scalars(select(PlanItem).where(PlanItem.team_id.in_(teams),
                                                         among(session, PlanItem.id, item_ids)))
    session.info.setdefault("preloaded", []).extend(loaded)


def find(session: Session, model: type[Model], workspace: Workspace, ident: int) -> Model | None:
    """A plan or item of this workspace: from the session when it has it (see preload), else one scoped query."""
    found = session.identity_map.get(session.identity_key(model, ident))
    if found is None:
        return session.scalars(select(model).where(model.id == ident, model.team_id == workspace.team_id)).one_or_none()
    return found if found.team_id == workspace.team_id else None


def items_of(session: Session, workspace: Workspace, plan_id: int) -> list[PlanItem]:
    return list(session.scalars(
        select(PlanItem).where(PlanItem.plan_id == plan_id, PlanItem.team_id == workspace.team_id)
        .order_by(PlanItem.offset_days, PlanItem.id)
    ))


def close_item(session: Session, item: PlanItem, status: str, user_id: str) -> bool:
    """Mark an open item done / not applicable; False if someone closed it first."""
    result = session.execute(
        update(PlanItem).where(PlanItem.id == item.id, PlanItem.status == OPEN)
        .values(status=status, closed_by=user_id, closed_at=utcnow(), snoozed_until=None)
    )
    session.refresh(item)
    return result.rowcount == 1


def snooze_item(item: PlanItem, until: datetime) -> None:
    """The item waits until `until`; its current nudge loses its buttons, so a new cycle starts then."""
    item.snoozed_until = until
    item.nudge_channel_id = item.nudge_ts = None
    item.nudged_at = item.reminded_at = item.escalated_at = None


def record_sent(item_id: int, **values: Any) -> Write:
    """What a message sent about an item means for it (its live nudge, a reminder sent…)."""
    return Write(_record_sent_statement(tuple(sorted(values))), {"item": item_id,
                                                                  **{f"new_{k}": v for k, v in values.items()}})


@functools.cache
def _record_sent_statement(columns: tuple[str, ...]) -> Update:
    """One statement per set of columns, so the dispatcher's per-row updates hit SQLAlchemy's cache."""
    table = PlanItem.__table__
    return update(table).where(table.c.id == bindparam("item")).values({c: bindparam(f"new_{c}") for c in columns})


def locked_plans_in(session: Session, workspace: Workspace, status: str) -> list[Plan]:
    """The workspace's plans in `status`, locked for the rest of the transaction."""
    return list(session.scalars(select(Plan).where(Plan.team_id == workspace.team_id, Plan.status == status)
                                .order_by(Plan.id).with_for_update()))


def set_status(session: Session, plan: Plan, status: str, reason: str | None = None) -> None:
    plan.status = status
    plan.status_reason = reason
    plan.updated_at = utcnow()


def active_plans(session: Session, workspace: Workspace) -> list[tuple[Plan, int, int]]:
    """Active and paused plans of the workspace with (done-or-n/a count, item count), newest first."""
    return with_progress(session, workspace, Plan.status.in_([ACTIVE, PAUSED]))


def plans_of_triages(session: Session, workspace: Workspace, triage_ids: Iterable[int]) -> list[tuple[Plan, int, int]]:
    """Every plan started from these triages, whatever its status, with its progress, newest first."""
    return with_progress(session, workspace, among(session, Plan.triage_id, triage_ids))


def with_progress(session: Session, workspace: Workspace, where: Any, *,
                  limit: int | None = None) -> list[tuple[Plan, int, int]]:
    """Plans matching `where`, newest first, each with (closed items, items)."""
    closed = func.sum(case((PlanItem.status != OPEN, 1), else_=0))
    rows = session.execute(
        select(Plan, func.coalesce(closed, 0), func.count(PlanItem.id))
        .join(PlanItem, PlanItem.plan_id == Plan.id)
        .where(Plan.team_id == workspace.team_id, where)
        .group_by(Plan.id).order_by(Plan.created_at.desc(), Plan.id.desc()).limit(limit)
    ).all()
    return [(plan, int(done), int(total)) for plan, done, total in rows]
