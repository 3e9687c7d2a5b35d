"""Submission of the /fit questionnaire: validate, store with its outbox message, answer, deliver."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext
from sqlalchemy.exc import SQLAlchemyError

from bot.presentation.ids import TRIAGE_CALLBACK_ID
from bot.presentation.triage import parse_submission, submitted_view
from bot.record_triage import record_triage
from bot.services import Services, workspace_of
from bot.triage.engine import recommend

log = logging.getLogger(__name__)

SAVE_FAILED = "fitbot couldn't save this just now. Your answers are still here: press Recommend again in a minute."


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
    try:
        outbox_id = record_triage(services.db, questionnaire, workspace_of(context), view_id=view["id"],
                                  channel_id=channel_id, user_id=body["user"]["id"], answers=answers,
                                  recommendation=recommendation)
    except SQLAlchemyError:
        log.exception("could not store triage for view %s", view["id"])
        ack(response_action="errors", errors={"company": SAVE_FAILED})
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
