"""Storing a completed triage together with the channel message that announces it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.presentation.triage import recommendation_message
from bot.triage.engine import Recommendation
from bot.triage.questionnaire import Questionnaire
from storage import outbox, triages
from storage.db import Database
from storage.triages import Workspace


def record_triage(
    db: Database,
    questionnaire: Questionnaire,
    workspace: Workspace,
    *,
    view_id: str,
    channel_id: str,
    user_id: str,
    answers: Mapping[str, str | None],
    recommendation: Recommendation,
) -> int | None:
    """Triage row and outbox row in one transaction; returns the outbox id, or None for a duplicate view."""
    r = recommendation
    company = answers.get("company") or ""
    with db.unit_of_work() as session:
        triage_id = triages.insert_triage(session, workspace, view_id=view_id, values={
            "channel_id": channel_id,
            "user_id": user_id,
            "company": company,
            "contact": answers.get("contact"),
            "answers": dict(answers),
            "questionnaire_version": questionnaire.version,
            "model": r.model,
            "confidence": r.confidence,
            "reasons": list(r.reasons),
            "risks": [{"key": k.key, "title": k.title, "detail": k.detail} for k in r.risks],
            "next_steps": list(r.next_steps),
            "overlap": [{"region": o.region, "timezone": o.timezone, "nearshore": o.nearshore, "hours": o.hours}
                        for o in r.overlap],
        })
        if triage_id is None:
            return None
        zone = answers.get("timezone") or ""
        zone_option = questionnaire.question("timezone").option(zone)
        message = recommendation_message(
            company=company,
            contact=answers.get("contact"),
            skills=answers.get("skills"),
            requested_by=user_id,
            timezone_label=zone_option.label if zone_option else zone,
            recommendation=r,
            triage_id=triage_id,
            questionnaire_version=questionnaire.version,
        )
        return outbox.enqueue(session, workspace, dedupe_key=f"triage:{triage_id}", kind="recommendation",
                              channel_id=channel_id, payload=message, fallback_user_id=user_id)
