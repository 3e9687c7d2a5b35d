"""Storing a completed triage together with the channel message that announces it."""

from __future__ import annotations

from collections.abc import Mapping

from bot.presentation.triage import recommendation_message
from bot.triage.engine import Recommendation
from bot.triage.questionnaire import Questionnaire
from bot.triage.serialize import explanation, recommendation_dict
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
    stored = recommendation_dict(r)
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
            "reasons": stored["reasons"],
            "risks": stored["risks"],
            "next_steps": stored["next_steps"],
            "overlap": stored["overlap"],
            "explanation": explanation(r),
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
