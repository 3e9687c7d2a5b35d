"""`/fit [company]` opens the questionnaire; `/fit diagnose [company]` looks back at an engagement that went
wrong; `/fit onboard` starts a plan; `/fit plans` lists them; `/fit help`."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.presentation.diagnosis import diagnosis_modal
from bot.presentation.mrkdwn import clean, unescape
from bot.presentation.plans import plans_list
from bot.presentation.triage import help_message
from bot.services import Services, workspace_of
from handlers.replies import after_ack, open_modal, open_plan_modal, reply
from storage import plans

HELP_WORDS = {"help", "?", "-h", "--help"}
DIAGNOSE_WORD = "diagnose"


def register(app: App) -> None:
    app.command("/fit")(fit_command)


def fit_command(ack: Ack, command: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
    text = clean(unescape(command.get("text") or ""))
    word = text.lower()
    if word in HELP_WORDS:
        ack(response_type="ephemeral", **help_message())
        return
    ack()
    services: Services = context["services"]
    if word == "onboard":
        after_ack(context, lambda: open_plan_modal(services, client, command["trigger_id"], respond,
                                                   channel_id=command["channel_id"]))
    elif word == "plans":
        after_ack(context, lambda: list_plans(services, context, respond))
    elif word.split(maxsplit=1)[:1] == [DIAGNOSE_WORD]:
        company = text[len(DIAGNOSE_WORD):].strip()
        view = diagnosis_modal(services.diagnosis, services.questionnaire, company=company,
                               metadata={"channel_id": command["channel_id"]})
        after_ack(context, lambda: open_modal(client, command["trigger_id"], view, respond, "the diagnosis form"))
    else:
        view = services.triage_modal.render(company=text, metadata={"channel_id": command["channel_id"]})
        after_ack(context, lambda: open_modal(client, command["trigger_id"], view, respond, "the questionnaire"))


def list_plans(services: Services, context: BoltContext, respond: Respond) -> None:
    with services.db.unit_of_work() as session:
        message = plans_list(plans.active_plans(session, workspace_of(context)))
    reply(respond, **message)

