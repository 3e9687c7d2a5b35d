"""Triage rows and their revisions: store a submission once, add a revision under a row lock, read them back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from storage.company_names import company_key
from storage.models import Triage, TriageRevision, utcnow
from storage.upsert import insert_unless_exists
from storage.writes import Write

# The columns a revision and the triage's latest state share.
DECIDED = ("answers", "questionnaire_version", "model", "confidence", "reasons", "risks", "next_steps", "overlap",
           "explanation")


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
        "company_key": company_key(values["company"]),
        "created_at": now,
        "updated_at": now,
    }
    triage_id = insert_unless_exists(session, Triage.__table__, row, ["team_id", "view_id"])
    if triage_id is not None:
        session.add(TriageRevision(triage_id=triage_id, team_id=workspace.team_id, number=1, view_id=view_id,
                                   user_id=values["user_id"], changes=[], created_at=now,
                                   **{c: values.get(c) for c in DECIDED}))
        session.flush()
    return triage_id


def for_update(session: Session, workspace: Workspace, triage_id: int) -> Triage | None:
    """The triage, locked until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE already is)."""
    return session.scalars(
        select(Triage).where(Triage.id == triage_id, Triage.team_id == workspace.team_id).with_for_update()
    ).one_or_none()


def revision(session: Session, triage: Triage, number: int) -> TriageRevision | None:
    return session.scalars(select(TriageRevision).where(TriageRevision.triage_id == triage.id,
                                                        TriageRevision.number == number)).one_or_none()


def revision_of_view(session: Session, workspace: Workspace, view_id: str) -> TriageRevision | None:
    """The revision a modal already stored (Slack sent its submission twice, or it was submitted twice)."""
    return session.scalars(select(TriageRevision).where(TriageRevision.team_id == workspace.team_id,
                                                        TriageRevision.view_id == view_id)).one_or_none()


def add_revision(session: Session, triage: Triage, *, view_id: str, user_id: str, values: Mapping[str, Any],
                 changes: list[dict[str, str]]) -> TriageRevision:
    """The next revision of a triage locked by `for_update`; the triage row then shows it."""
    now = utcnow()
    added = TriageRevision(triage_id=triage.id, team_id=triage.team_id, number=triage.revision + 1,
                           view_id=view_id, user_id=user_id, changes=changes, created_at=now,
                           **{c: values[c] for c in DECIDED})
    session.add(added)
    for column in DECIDED:
        setattr(triage, column, values[column])
    triage.company, triage.company_key, triage.contact = values["company"], company_key(values["company"]), \
        values["contact"]
    triage.revision, triage.updated_at = added.number, now
    session.flush()
    return added


_RECORD_MESSAGE = update(Triage).where(Triage.id == bindparam("triage")).values(
    message_channel_id=bindparam("channel"), message_ts=bindparam("ts"))


def record_message(triage_id: int, channel: str, ts: str | None) -> Write:
    """Where the recommendation message now is, written when the dispatcher marks its row sent."""
    return Write(_RECORD_MESSAGE, {"triage": triage_id, "channel": channel, "ts": ts})


def get(session: Session, workspace: Workspace, triage_id: int) -> Triage | None:
    return session.scalars(
        select(Triage).where(Triage.id == triage_id, Triage.team_id == workspace.team_id)
    ).one_or_none()


def latest_for_company(session: Session, workspace: Workspace, company: str) -> Triage | None:
    """The workspace's latest triage of `company`, matched regardless of case and accents."""
    return session.scalars(
        select(Triage).where(Triage.team_id == workspace.team_id, Triage.company_key == company_key(company))
        .order_by(Triage.created_at.desc(), Triage.id.desc()).limit(1)
    ).first()
