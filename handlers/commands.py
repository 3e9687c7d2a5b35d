"""`/fit [company]` opens the questionnaire; `/fit help` explains."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.presentation.triage import help_message, questionnaire_modal
from bot.services import Services

log = logging.getLogger(__name__)

HELP_WORDS = {"help", "?", "-h", "--help"}


def register(app: App) -> None:
    app.command("/fit")(fit_command)


def fit_command(ack: Ack, command: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
    text = (command.get("text") or "").strip()
    if text.lower() in HELP_WORDS:
        ack(response_type="ephemeral", **help_message())
        return
    ack()
    services: Services = context["services"]
    modal = questionnaire_modal(
        services.questionnaire,
        company=text,
        metadata={"channel_id": command["channel_id"]},
    )
    try:
        client.views_open(trigger_id=command["trigger_id"], view=modal)
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else exc.response.status_code
        log.warning("views.open failed: %s", error)
        respond(response_type="ephemeral",
                text=f"Sorry, Slack didn't let me open the questionnaire (`{error}`). Please run `/fit` again.")
