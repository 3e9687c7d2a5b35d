"""Triage rows: store a submission once, read recent ones for a workspace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Triage, utcnow
from storage.upsert import insert_unless_exists


@dataclass(frozen=True)
class Workspace:
    team_id: str
    enterprise_id: str | None = None


def insert_triage(session: Session, workspace: Workspace, *, view_id: str, values: Mapping[str, Any]) -> int | None:
    """Store a triage; None when this view was already stored (a duplicate submission)."""
    now = utcnow()
    row = {
        **values,
        "team_id": workspace.team_id,
        "enterprise_id": workspace.enterprise_id,
        "view_id": view_id,
        "created_at": now,
        "updated_at": now,
    }
    return insert_unless_exists(session, Triage.__table__, row, ["team_id", "view_id"])


def recent(session: Session, workspace: Workspace, limit: int = 10) -> list[Triage]:
    return list(session.scalars(
        select(Triage).where(Triage.team_id == workspace.team_id)
        .order_by(Triage.created_at.desc(), Triage.id.desc()).limit(limit)
    ))


def get(session: Session, workspace: Workspace, triage_id: int) -> Triage | None:
    return session.scalars(
        select(Triage).where(Triage.id == triage_id, Triage.team_id == workspace.team_id)
    ).one_or_none()


def latest_for_company(session: Session, workspace: Workspace, company: str) -> Triage | None:
    """The workspace's latest triage of `company`, matched regardless of case."""
    return session.scalars(
        select(Triage).where(Triage.team_id == workspace.team_id,
                             func.lower(Triage.company) == func.lower(company.strip()))
        .order_by(Triage.created_at.desc(), Triage.id.desc()).limit(1)
    ).first()
