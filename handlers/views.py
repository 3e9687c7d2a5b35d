"""Submission of the /fit questionnaire: validate, store with its outbox message, answer, deliver."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext
from sqlalchemy.exc import SQLAlchemyError

from bot.presentation.ids import TRIAGE_CALLBACK_ID
from bot.presentation.triage import parse_submission, recommendation_message, submitted_view
from bot.services import Services
from bot.triage.engine import Recommendation, recommend
from storage import outbox, triages
from storage.triages import Workspace

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.view(TRIAGE_CALLBACK_ID)(submit_triage)


def submit_triage(ack: Ack, body: dict, view: dict, context: BoltContext) -> None:
    services: Services = context["services"]
    questionnaire = services.questionnaire
    answers = parse_submission(questionnaire, view["state"]["values"])
    errors = questionnaire.check_answers(answers)
    channel_id = _channel_from(view.get("private_metadata"))
    if channel_id is None:
        errors.setdefault("company", "This form lost track of its channel. Close it and run /fit again.")
    if errors:
        ack(response_action="errors", errors=errors)
        return

    zone = answers.get("timezone") or "America/New_York"
    recommendation = recommend(questionnaire, answers, on=datetime.now(ZoneInfo(zone)).date())
    workspace = Workspace(team_id=view.get("team_id") or body["team"]["id"],
                          enterprise_id=(body.get("enterprise") or {}).get("id"))
    user_id = body["user"]["id"]
    try:
        outbox_id = _store(services, workspace, view["id"], channel_id, user_id, answers, recommendation)
    except SQLAlchemyError:
        log.exception("could not store triage for view %s", view["id"])
        ack(response_action="errors",
            errors={"company": "fitbot couldn't save this just now. Your answers are still here: press "
                               "Recommend again in a minute."})
        return
    ack(response_action="update",
        view=submitted_view(company=answers["company"] or "", recommendation=recommendation, channel_id=channel_id))
    if outbox_id is not None:
        services.dispatcher.send_now([outbox_id])


def _channel_from(private_metadata: str | None) -> str | None:
    try:
        channel = json.loads(private_metadata or "").get("channel_id")
    except (ValueError, AttributeError):
        return None
    return channel if isinstance(channel, str) and channel else None


def _store(
    services: Services,
    workspace: Workspace,
    view_id: str,
    channel_id: str,
    user_id: str,
    answers: dict[str, str | None],
    r: Recommendation,
) -> int | None:
    """Triage and its channel message in one transaction; None when this view was already stored."""
    questionnaire = services.questionnaire
    with services.db.unit_of_work() as session:
        triage_id = triages.insert_triage(session, workspace, view_id=view_id, values={
            "channel_id": channel_id,
            "user_id": user_id,
            "company": answers["company"],
            "contact": answers.get("contact"),
            "answers": answers,
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
        timezone = questionnaire.question("timezone").option(answers.get("timezone") or "")
        message = recommendation_message(
            company=answers["company"] or "",
            contact=answers.get("contact"),
            skills=answers.get("skills"),
            requested_by=user_id,
            timezone_label=timezone.label if timezone else answers.get("timezone") or "",
            recommendation=r,
            triage_id=triage_id,
            questionnaire_version=questionnaire.version,
        )
        return outbox.enqueue(session, workspace, dedupe_key=f"triage:{triage_id}", kind="recommendation",
                              channel_id=channel_id, payload=message, fallback_user_id=user_id)
