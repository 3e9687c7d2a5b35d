"""`/fit [company]` opens the questionnaire; `/fit help` explains."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.presentation.mrkdwn import clean, unescape
from bot.presentation.triage import help_message
from bot.services import Services
from bot.slack_errors import TRANSPORT_ERRORS, error_code

log = logging.getLogger(__name__)

HELP_WORDS = {"help", "?", "-h", "--help"}


def register(app: App) -> None:
    app.command("/fit")(fit_command)


def fit_command(ack: Ack, command: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
    text = clean(unescape(command.get("text") or ""))
    if text.lower() in HELP_WORDS:
        ack(response_type="ephemeral", **help_message())
        return
    ack()
    services: Services = context["services"]
    modal = services.triage_modal.render(company=text, metadata={"channel_id": command["channel_id"]})
    try:
        client.views_open(trigger_id=command["trigger_id"], view=modal)
    except SlackApiError as exc:
        tell_user(respond, f"Sorry, Slack didn't let me open the questionnaire (`{error_code(exc)}`). "
                           "Please run `/fit` again.")
    except TRANSPORT_ERRORS as exc:
        log.warning("views.open failed: %s", exc)
        tell_user(respond, "Sorry, I couldn't reach Slack to open the questionnaire. Please run `/fit` again.")


def tell_user(respond: Respond, text: str) -> None:
    """An ephemeral answer through the command's response_url; if even that fails, it is logged."""
    log.warning("telling the user: %s", text)
    try:
        respond(response_type="ephemeral", text=text)
    except Exception:  # the response_url is Slack too; nothing more to try
        log.exception("could not reach the user through response_url")
