"""Answers every surface gives the same way: open a modal, or tell the user why something didn't work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.presentation.history import companies_message, history_message, no_history_message
from bot.presentation.plans import plan_modal
from bot.services import Services, workspace_of
from bot.slack_errors import TRANSPORT_ERRORS, error_code
from bot.triage.overlap import REGIONS
from storage import history
from storage.company_names import company_key
from storage.models import Triage

log = logging.getLogger(__name__)


def after_ack(context: BoltContext, work: Callable[[], None]) -> None:
    """Run `work` on the after-ack pool, so the listener returns and Slack gets its answer without
    waiting for it (see bot.app.build_app).

    For what may take a while: Web API calls, sending outbox rows. Failures are logged; `work` tells
    the user itself where that matters.
    """
    services: Services = context["services"]

    def run() -> None:
        services.acks.wait()
        try:
            work()
        except Exception:
            log.exception("work after the ack failed")

    services.after_ack.submit(run)


def open_modal(client: WebClient, trigger_id: str, view: Any, respond: Respond | Callable[..., None],
               what: str) -> None:
    """views.open right away (the trigger_id dies 3 s after the click); failures reach the user."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        tell_user(respond, f"Sorry, Slack didn't let me open {what} (`{error_code(exc)}`). Please try again.")
    except TRANSPORT_ERRORS as exc:
        log.warning("views.open failed: %s", exc)
        tell_user(respond, f"Sorry, I couldn't reach Slack to open {what}. Please try again.")


def open_plan_modal(services: Services, client: WebClient, trigger_id: str, respond: Respond, *, channel_id: str,
                    triage: Triage | None = None) -> None:
    """The onboarding plan form, prefilled from the triage it starts from (if any)."""
    zones = [(o.value, o.label) for o in services.questionnaire.question("timezone").options]
    zones += [(r.timezone, r.name) for r in REGIONS if r.nearshore]  # teams may sit in Latin America too
    meta = {"triage_id": triage.id} if triage else {}
    view = plan_modal(timezones=zones, metadata=meta, company=triage.company if triage else None,
                      channel_id=channel_id, timezone=(triage.answers.get("timezone") if triage else None),
                      start=date.today() + timedelta(days=7))
    open_modal(client, trigger_id, view, respond, "the onboarding plan form")


def direct_message(client: WebClient, user_id: str) -> Callable[..., None]:
    """A stand-in for `respond` where Slack gives no response_url (App Home clicks): a DM to the user."""
    def send(text: str, **_: Any) -> None:
        client.chat_postMessage(channel=user_id, text=text)

    return send


def tell_user(respond: Respond | Callable[..., None], text: str) -> None:
    reply(respond, text=text)


def reply(respond: Respond | Callable[..., None], *, replace: bool = False, **message: Any) -> None:
    """An ephemeral answer through the request's response_url (`replace`: instead of the message whose button
    was clicked); if even that fails, it is logged."""
    log.info("answering the user: %s", message.get("text"))
    try:
        respond(response_type="ephemeral", replace_original=replace, **message)
    except Exception:  # the response_url is Slack too; nothing more to try
        log.exception("could not reach the user through response_url")


def history_modal(services: Services, context: BoltContext, key: str, page: int) -> dict[str, Any]:
    """A company's history as a modal (from the App Home, which has nowhere to post an ephemeral message)."""
    with services.db.read() as session:
        found = history.company_history(session, workspace_of(context), key)
        message = history_message(found, key, page) if found else no_history_message(key, [])
    return {"type": "modal", "title": {"type": "plain_text", "text": "Company history"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": message["blocks"]}


def show_history(services: Services, context: BoltContext, respond: Respond, company: str, page: int = 0, *,
                 replace: bool = False) -> None:
    """A company's story, or the companies triaged lately when none is named (ephemeral; `replace` swaps
    the message a history button was clicked in)."""
    workspace = workspace_of(context)
    with services.db.read() as session:
        if not company:
            message = companies_message(history.recent_companies(session, workspace, limit=20))
        elif (found := history.company_history(session, workspace, company)) is None:
            message = no_history_message(company, history.recent_companies(session, workspace, limit=5,
                                                                           containing=company))
        else:
            message = history_message(found, company_key(company), page)
    reply(respond, replace=replace, **message)
