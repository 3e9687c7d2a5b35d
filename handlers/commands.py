"""`/fit [company]` opens the questionnaire; `/fit diagnose [company]` looks back at an engagement that went
wrong; `/fit onboard [company]` starts a plan; `/fit plans` lists them; `/fit history [company]` tells a
company's story; `/fit help`. bot.command_words decides which."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import command_words as words
from bot.presentation.diagnosis import diagnosis_modal
from bot.presentation.mrkdwn import escape, unescape
from bot.presentation.plans import plans_list
from bot.presentation.triage import help_message
from bot.services import Services, workspace_of
from bot.user_text import clean
from handlers.replies import after_ack, open_modal, open_plan_modal, reply, show_history, tell_user
from storage import plans, triages


def register(app: App) -> None:
    app.command("/fit")(fit_command)


def fit_command(ack: Ack, command: dict, client: WebClient, context: BoltContext, respond: Respond) -> None:
    asked = words.parse(clean(unescape(command.get("text") or "")))
    if asked.action == words.HELP:
        ack(response_type="ephemeral", **help_message())
        return
    if asked.action == words.DID_YOU_MEAN:
        ack(response_type="ephemeral", text=(
            f"Did you mean `/fit {asked.suggestion}`? To triage a company called “{escape(asked.company)}”, "
            f"type `/fit \"{escape(asked.company)}\"`."))
        return
    ack()
    services: Services = context["services"]
    channel_id = command["channel_id"]
    if asked.action == words.ONBOARD:
        after_ack(context, lambda: _open_plan_form(services, context, client, command["trigger_id"], respond,
                                                   channel_id, asked.company))
    elif asked.action == words.PLANS:
        after_ack(context, lambda: list_plans(services, context, respond))
    elif asked.action == words.HISTORY:
        after_ack(context, lambda: show_history(services, context, respond, asked.company))
    elif asked.action == words.DIAGNOSE:
        view = diagnosis_modal(services.diagnosis, services.questionnaire, company=asked.company,
                               metadata={"channel_id": channel_id})
        after_ack(context, lambda: open_modal(client, command["trigger_id"], view, respond, "the diagnosis form"))
    else:
        view = services.triage_modal.render(company=asked.company, metadata={"channel_id": channel_id})
        after_ack(context, lambda: open_modal(client, command["trigger_id"], view, respond, "the questionnaire"))


def _open_plan_form(services: Services, context: BoltContext, client: WebClient, trigger_id: str, respond: Respond,
                    channel_id: str, company: str) -> None:
    """`/fit onboard Acme` starts from Acme's latest triage, as the button on its recommendation would; with
    no triage of that name the form starts blank, and says why."""
    triage = None
    if company:
        with services.db.unit_of_work() as session:
            triage = triages.latest_for_company(session, workspace_of(context), company)
    open_plan_modal(services, client, trigger_id, respond, channel_id=channel_id, triage=triage)
    if company and triage is None:
        tell_user(respond, f"fitbot has no triage of “{escape(company)}”, so the plan isn't linked to one and "
                           "gets no extra checklist items from its answers. `/fit history` lists the companies "
                           "triaged lately.")


def list_plans(services: Services, context: BoltContext, respond: Respond) -> None:
    with services.db.unit_of_work() as session:
        message = plans_list(plans.active_plans(session, workspace_of(context)))
    reply(respond, **message)

