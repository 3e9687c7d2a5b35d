"""A company's whole story, read back: its triages with every revision, its diagnoses, its plans.

Everything is found through the company key (storage.company_names), indexed with the workspace, so
reading one company's history costs the same however many other companies are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import plans, pulses
from storage.company_names import company_key
from storage.models import Diagnosis, Plan, Pulse, PulseWarning, Triage, TriageRevision
from storage.triages import Workspace
from storage.upsert import among


@dataclass(frozen=True)
class CompanyHistory:
    name: str  # as its latest triage spells it
    triages: list[Triage]  # newest first
    revisions: dict[int, list[TriageRevision]]  # by triage id, newest first
    diagnoses: list[Diagnosis]  # newest first
    plans: list[tuple[Plan, int, int]]  # with (closed items, items), newest first
    check_ins: list[Pulse]  # the answered 30/60/90 pulses of those plans
    warnings: list[PulseWarning]  # the early warnings they raised


@dataclass(frozen=True)
class Company:
    name: str
    key: str
    triages: int
    last_at: datetime


def company_history(session: Session, workspace: Workspace, company: str) -> CompanyHistory | None:
    key = company_key(company)
    found = list(session.scalars(select(Triage).where(Triage.team_id == workspace.team_id, Triage.company_key == key)
                                 .order_by(Triage.created_at.desc(), Triage.id.desc())))
    diagnoses = list(session.scalars(select(Diagnosis).where(Diagnosis.team_id == workspace.team_id,
                                                            Diagnosis.company_key == key)
                                     .order_by(Diagnosis.created_at.desc(), Diagnosis.id.desc())))
    if not found and not diagnoses:
        return None
    ids = [t.id for t in found]
    revisions: dict[int, list[TriageRevision]] = {i: [] for i in ids}
    if ids:
        for revision in session.scalars(select(TriageRevision).where(among(session, TriageRevision.triage_id, ids))
                                        .order_by(TriageRevision.number.desc())):
            revisions[revision.triage_id].append(revision)
    named = found[0] if found else diagnoses[0]  # a triage names the company with care; a diagnosis in passing
    started = plans.plans_of_triages(session, workspace, ids) if ids else []
    plan_ids = [plan.id for plan, _, _ in started]
    warned = [w for ws in pulses.warnings_of(session, workspace, plan_ids).values() for w in ws]
    return CompanyHistory(named.company, found, revisions, diagnoses, started,
                          pulses.answered_of(session, workspace, plan_ids), warned)


def recent_companies(session: Session, workspace: Workspace, *, limit: int, containing: str = "") -> list[Company]:
    """Companies triaged most recently first; with `containing`, those whose key contains its key."""
    last = func.max(Triage.created_at)
    query = (select(Triage.company_key, func.count(Triage.id), last)
             .where(Triage.team_id == workspace.team_id).group_by(Triage.company_key))
    if containing:
        pattern = "".join("\\" + c if c in "\\%_" else c for c in company_key(containing))
        query = query.where(Triage.company_key.like(f"%{pattern}%", escape="\\"))
    rows = session.execute(query.order_by(last.desc()).limit(limit)).all()
    names = dict(session.execute(
        select(Triage.company_key, Triage.company).where(Triage.team_id == workspace.team_id,
                                                         Triage.company_key.in_([r[0] for r in rows]))
        .order_by(Triage.created_at)).all()) if rows else {}
    return [Company(names.get(key, key), key, count, at) for key, count, at in rows]

