"""Reading every triage or plan for reporting, streamed: rows come from the database in batches of
BATCH, so an export of 100,000 rows holds about one batch in memory (bench/export.py measures it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from storage.models import Plan, PlanItem, Triage
from storage.plans import DONE, NOT_APPLICABLE, OPEN

BATCH = 1000

TRIAGE_COLUMNS = ("id", "created_at", "team_id", "channel_id", "user_id", "company", "contact",
                  "questionnaire_version", "model", "confidence", "answers")
PLAN_COLUMNS = ("id", "created_at", "team_id", "triage_id", "company", "engineer_user_id", "engineer_name",
                "manager_user_id", "buddy_user_id", "channel_id", "start_date", "timezone", "nudge_time", "status",
                "status_reason", "checklist_version", "items", "items_done", "items_not_applicable", "items_open")


def triages(session: Session, *, since: datetime | None = None, team_id: str | None = None) -> Iterator[Any]:
    stmt = select(*(getattr(Triage, c) for c in TRIAGE_COLUMNS))
    yield from _stream(session, _filtered(stmt, Triage, since, team_id).order_by(Triage.id))


def plans(session: Session, *, since: datetime | None = None, team_id: str | None = None) -> Iterator[Any]:
    counts = (select(PlanItem.plan_id,
                     func.count().label("items"),
                     *(func.sum(case((PlanItem.status == status, 1), else_=0)).label(name)
                       for status, name in ((DONE, "items_done"), (NOT_APPLICABLE, "items_not_applicable"),
                                            (OPEN, "items_open"))))
              .group_by(PlanItem.plan_id).subquery())
    stmt = (select(*(getattr(Plan, c) for c in PLAN_COLUMNS if hasattr(Plan, c)), Triage.company,
                   *(func.coalesce(counts.c[c], 0).label(c) for c in PLAN_COLUMNS[-4:]))
            .outerjoin(Triage, Triage.id == Plan.triage_id).outerjoin(counts, counts.c.plan_id == Plan.id))
    yield from _stream(session, _filtered(stmt, Plan, since, team_id).order_by(Plan.id))


def _filtered(stmt: Select, model: Any, since: datetime | None, team_id: str | None) -> Select:
    if since is not None:
        stmt = stmt.where(model.created_at >= since)
    if team_id is not None:
        stmt = stmt.where(model.team_id == team_id)
    return stmt


def _stream(session: Session, stmt: Select) -> Iterator[Any]:
    for row in session.execute(stmt.execution_options(yield_per=BATCH)):
        yield row._mapping
