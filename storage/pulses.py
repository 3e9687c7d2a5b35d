"""Pulse rows (one per plan, checkpoint and person asked) and the early warnings their answers raised."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from storage.models import Pulse, PulseWarning, utcnow
from storage.triages import Workspace
from storage.upsert import among, insert_unless_exists
from storage.writes import Write


def add_pulses(session: Session, workspace: Workspace, plan_id: int, rows: Iterable[Mapping[str, Any]]) -> list[Pulse]:
    """The plan's pulses (checkpoint, role, user_id, version), created with the plan."""
    added = [Pulse(team_id=workspace.team_id, plan_id=plan_id, answers={}, created_at=utcnow(), **row)
             for row in rows]
    session.add_all(added)
    session.flush()
    return added


def of_plan(session: Session, workspace: Workspace, plan_id: int) -> list[Pulse]:
    return list(session.scalars(select(Pulse).where(Pulse.team_id == workspace.team_id, Pulse.plan_id == plan_id)
                                .order_by(Pulse.checkpoint, Pulse.id)))


def get(session: Session, workspace: Workspace, pulse_id: int, *, lock: bool = False) -> Pulse | None:
    query = select(Pulse).where(Pulse.id == pulse_id, Pulse.team_id == workspace.team_id)
    return session.scalars(query.with_for_update() if lock else query).one_or_none()


def at_checkpoint(session: Session, plan_id: int, checkpoint: int) -> list[Pulse]:
    return list(session.scalars(select(Pulse).where(Pulse.plan_id == plan_id, Pulse.checkpoint == checkpoint)))


def add_warning(session: Session, workspace: Workspace, *, plan_id: int, checkpoint: int,
                signals: list[dict[str, Any]]) -> int | None:
    """The checkpoint's warning; None when it was raised already (one per plan and checkpoint)."""
    return insert_unless_exists(session, PulseWarning.__table__, {
        "team_id": workspace.team_id, "plan_id": plan_id, "checkpoint": checkpoint, "signals": signals,
        "created_at": utcnow()}, ["plan_id", "checkpoint"])


def warnings_of(session: Session, workspace: Workspace, plan_ids: Iterable[int]) -> dict[int, list[PulseWarning]]:
    """Warnings by plan id, latest checkpoint first."""
    ids = list(plan_ids)
    found: dict[int, list[PulseWarning]] = {i: [] for i in ids}
    if ids:
        for w in session.scalars(select(PulseWarning).where(PulseWarning.team_id == workspace.team_id,
                                                            among(session, PulseWarning.plan_id, ids))
                                 .order_by(PulseWarning.checkpoint.desc())):
            found[w.plan_id].append(w)
    return found


def answered_of(session: Session, workspace: Workspace, plan_ids: Iterable[int]) -> list[Pulse]:
    """The pulses of these plans that someone answered, for a company's history."""
    ids = list(plan_ids)
    if not ids:
        return []
    return list(session.scalars(select(Pulse).where(Pulse.team_id == workspace.team_id,
                                                    among(session, Pulse.plan_id, ids),
                                                    Pulse.answered_at.is_not(None))))


_ASKED = update(Pulse).where(Pulse.id == bindparam("pulse")).values(
    dm_channel_id=bindparam("channel"), dm_ts=bindparam("ts"), asked_at=bindparam("at"))


def record_asked(pulse_id: int, channel: str, ts: str | None) -> Write:
    """Where the pulse's DM is, written when the dispatcher marks it sent: answers edit that message."""
    return Write(_ASKED, {"pulse": pulse_id, "channel": channel, "ts": ts, "at": utcnow()})
