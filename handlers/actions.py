"""Buttons and menus: edit a triage or start a plan from its recommendation; Done / Snooze / Not applicable
on a nudge (or on the App Home); the per-plan menu of `/fit plans`; the App Home's buttons and triage menu;
pages of a company's history; and the answers of a 30/60/90 check-in."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import plans as plan_flow
from bot import pulses as pulse_flow
from bot.presentation.diagnosis import diagnosis_modal
from bot.presentation.history import read_button
from bot.presentation.ids import (
    HISTORY_ACTION_ID,
    HOME_DIAGNOSE_ACTION_ID,
    HOME_PLAN_ACTION_ID,
    HOME_TRIAGE_ACTION_ID,
    HOME_TRIAGE_MENU_ACTION_ID,
    ITEM_DONE_ACTION_ID,
    ITEM_NA_ACTION_ID,
    ITEM_SNOOZE_ACTION_ID,
    PLAN_MANAGE_ACTION_ID,
    PLAN_START_ACTION_ID,
    PULSE_ACTION_ID,
    TRIAGE_EDIT_ACTION_ID,
)
from bot.presentation.plans import move_start_modal
from bot.record_triage import EDIT_RULE, may_edit
from bot.services import Services, workspace_of
from bot.slack_errors import TRANSPORT_ERRORS, error_code
from bot.slack_users import is_workspace_admin
from bot.triage.revisions import prefill
from handlers.replies import (
    after_ack,
    direct_message,
    history_modal,
    open_modal,
    open_plan_modal,
    show_history,
    tell_user,
)
from storage import plans, triages

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(TRIAGE_EDIT_ACTION_ID)(edit_triage)
    app.action(HOME_TRIAGE_ACTION_ID)(new_triage_from_home)
    app.action(HOME_PLAN_ACTION_ID)(new_plan_from_home)
    app.action(HOME_TRIAGE_MENU_ACTION_ID)(home_triage_menu)
    app.action(PLAN_START_ACTION_ID)(start_plan_from_triage)
    app.action(ITEM_DONE_ACTION_ID)(item_done)
    app.action(ITEM_NA_ACTION_ID)(item_not_applicable)
    app.action(ITEM_SNOOZE_ACTION_ID)(item_snooze)
    app.action(PLAN_MANAGE_ACTION_ID)(manage_plan)
    app.action(HOME_DIAGNOSE_ACTION_ID)(diagnose_from_home)
    app.action(re.compile(rf"^{HISTORY_ACTION_ID}:\w+$"))(history_page)
    app.action(re.compile(rf"^{PULSE_ACTION_ID}:\d+$"))(answer_pulse)


def _number(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def edit_triage(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
                respond: Respond) -> None:
    """Edit answers on a recommendation: the questionnaire again, prefilled with the triage's latest revision."""
    ack()
    clicked_in = (body.get("channel") or {}).get("id")
    after_ack(context, lambda: _open_edit_form(context, client, body, respond, _number(action.get("value")),
                                               clicked_in))


def _open_edit_form(context: BoltContext, client: WebClient, body: dict, tell: Respond | Callable[..., None],
                    triage_id: int | None, clicked_in: str | None) -> None:
    services: Services = context["services"]
    workspace, user_id = workspace_of(context), body["user"]["id"]
    with services.db.unit_of_work() as session:
        triage = triages.get(session, workspace, triage_id) if triage_id is not None else None
    if triage is None:
        tell_user(tell, "That triage no longer exists.")
        return
    if not may_edit(triage, user_id, clicked_in=clicked_in, user_team=body["user"].get("team_id"),
                    is_admin=lambda: is_workspace_admin(client, user_id, workspace)):
        tell_user(tell, EDIT_RULE)
        return
    form = prefill(services.questionnaire, triage.answers)
    view = services.triage_modal.render_edit(
        prefill=form, flagged_labels=form.flagged, company=triage.company,
        metadata={"channel_id": triage.channel_id, "triage_id": triage.id, "base": triage.revision})
    open_modal(client, body["trigger_id"], view, tell, "the triage form")


def new_triage_from_home(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The questionnaire, asking where to post the recommendation (the App Home has no channel)."""
    ack()
    services: Services = context["services"]
    view = services.triage_modal.render(company="", metadata={}, ask_channel=True)
    user_id = body["user"]["id"]
    after_ack(context, lambda: open_modal(client, body["trigger_id"], view, direct_message(client, user_id),
                                          "the questionnaire"))


def new_plan_from_home(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    services: Services = context["services"]
    user_id = body["user"]["id"]
    after_ack(context, lambda: open_plan_modal(services, client, body["trigger_id"], direct_message(client, user_id),
                                               channel_id=""))


def home_triage_menu(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext) -> None:
    """A triage on the App Home: edit its answers, or its company's history in a modal."""
    ack()
    what, _, triage = ((action.get("selected_option") or {}).get("value") or "").partition(":")
    triage_id, tell = _number(triage), direct_message(client, body["user"]["id"])
    if what == "edit":
        after_ack(context, lambda: _open_edit_form(context, client, body, tell, triage_id, None))
    elif what == "history":
        after_ack(context, lambda: _open_history(context, client, body["trigger_id"], tell, triage_id))


def _open_history(context: BoltContext, client: WebClient, trigger_id: str, tell: Callable[..., None],
                  triage_id: int | None) -> None:
    services: Services = context["services"]
    with services.db.unit_of_work() as session:
        triage = triages.get(session, workspace_of(context), triage_id) if triage_id is not None else None
    if triage is None:
        tell_user(tell, "That triage no longer exists.")
        return
    open_modal(client, trigger_id, history_modal(services, context, triage.company_key, 0), tell, "the history")


def start_plan_from_triage(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
                           respond: Respond) -> None:
    ack()
    after_ack(context, lambda: _open_plan_form(context, client, respond, body, _number(action.get("value"))))


def _open_plan_form(context: BoltContext, client: WebClient, respond: Respond, body: dict,
                    triage_id: int | None) -> None:
    """The plan form, prefilled from the recommendation whose button was clicked."""
    services: Services = context["services"]
    with services.db.unit_of_work() as session:
        triage = triages.get(session, workspace_of(context), triage_id) if triage_id is not None else None
    channel_id = (body.get("channel") or {}).get("id") or (triage.channel_id if triage else "")
    open_plan_modal(services, client, body["trigger_id"], respond, channel_id=channel_id, triage=triage)


def item_done(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
              respond: Respond) -> None:
    _close(ack, body, action, context, _answer(body, respond, client), plans.DONE)


def item_not_applicable(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
                        respond: Respond) -> None:
    _close(ack, body, action, context, _answer(body, respond, client), plans.NOT_APPLICABLE)


def _answer(body: dict, respond: Respond, client: WebClient) -> Respond | Callable[..., None]:
    """Where to tell the clicker something: the message's response_url, or a DM for an App Home click."""
    return respond if body.get("response_url") else direct_message(client, body["user"]["id"])


def _clicked_message(body: dict) -> tuple[str, str] | None:
    """(channel, ts) of the message whose button was clicked: the nudge to edit. None for a click on the
    App Home, where the item's live nudge (if any) is the one to edit."""
    container = body.get("container") or {}
    if container.get("type") == "view":
        return None
    return container.get("channel_id") or (body.get("channel") or {}).get("id", ""), container.get("message_ts", "")


def _close(ack: Ack, body: dict, action: dict, context: BoltContext, respond: Respond | Callable[..., None],
           status: str) -> None:
    ack()
    item_id = _number(action.get("value"))
    _click(context, respond, lambda s: plan_flow.close_item(s.db, workspace_of(context), item_id, status,
                                                              body["user"]["id"], _clicked_message(body)), item_id)


def item_snooze(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
                respond: Respond) -> None:
    ack()
    respond = _answer(body, respond, client)
    item, _, choice = ((action.get("selected_option") or {}).get("value") or "").partition(":")
    item_id = _number(item)
    _click(context, respond, lambda s: plan_flow.snooze_item(s.db, workspace_of(context), item_id, choice,
                                                               body["user"]["id"], _clicked_message(body)), item_id)


def manage_plan(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
                respond: Respond) -> None:
    """Pause, resume, cancel or move, from `/fit plans`. Runs after the ack: checking for a workspace admin
    is a Slack call. If fitbot stops before it runs, the user sees no confirmation and can ask again."""
    ack()
    respond = _answer(body, respond, client)
    what, _, plan = ((action.get("selected_option") or {}).get("value") or "").partition(":")
    plan_id = _number(plan)
    user_id = body["user"]["id"]
    services: Services = context["services"]
    if what == "move" and plan_id is not None:
        after_ack(context, lambda: _open_move_form(context, client, respond, plan_id, user_id, body["trigger_id"]))
        return
    workspace = workspace_of(context)

    def change(s: Services) -> plan_flow.Changed:
        return plan_flow.change_plan(s.db, workspace, plan_id, user_id, action=what,
                                     is_admin=lambda: is_workspace_admin(client, user_id, workspace))

    after_ack(context, lambda: _report(services, respond, _run(services, change, plan_id), show=True))


def _open_move_form(context: BoltContext, client: WebClient, respond: Respond, plan_id: int, user_id: str,
                    trigger_id: str) -> None:
    services: Services = context["services"]
    workspace = workspace_of(context)
    try:
        found = plan_flow.check_may_change(services.db, workspace, plan_id, user_id,
                                           is_admin=lambda: is_workspace_admin(client, user_id, workspace))
    except plan_flow.PlanError as exc:
        tell_user(respond, str(exc))
        return
    open_modal(client, trigger_id, move_start_modal(found), respond, "the form")


def _click(context: BoltContext, respond: Respond, change, target: int | None) -> None:
    """Done / Snooze / Not applicable: stored before Slack gets its answer, because Slack never sends a click
    again, so a crash just after the answer must not lose it. Telling the clicker and sending the edit of
    the nudge (already queued in the outbox) come after the answer."""
    services: Services = context["services"]
    outcome = _run(services, change, target)
    after_ack(context, lambda: _report(services, respond, outcome, show=False))


def _run(services: Services, change, target: int | None) -> plan_flow.Changed | str:
    """The change's result, or the sentence telling the user why nothing changed."""
    if target is None:
        return "That button no longer matches anything fitbot knows."
    try:
        return change(services)
    except plan_flow.PlanError as exc:
        return str(exc)


def _report(services: Services, respond: Respond, outcome: plan_flow.Changed | str, *, show: bool) -> None:
    if isinstance(outcome, str):
        tell_user(respond, outcome)
        return
    if outcome.message and (show or not outcome.send_now):
        tell_user(respond, outcome.message)
    if outcome.send_now:
        services.dispatcher.send_now(outcome.send_now)


def diagnose_from_home(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The App Home has no channel: the lesson goes to the lead's messages with fitbot, and so does any
    problem opening the form (a Home click has no response_url)."""
    ack()
    services: Services = context["services"]
    user_id = body["user"]["id"]
    view = diagnosis_modal(services.diagnosis, services.questionnaire, company="", metadata={"channel_id": user_id})
    after_ack(context, lambda: open_modal(client, body["trigger_id"], view, direct_message(client, user_id),
                                          "the diagnosis form"))


def history_page(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
                 respond: Respond) -> None:
    """A company picked from `/fit history`, or another page of its story: the message (or, from the App
    Home, the modal) is replaced."""
    ack()
    services: Services = context["services"]
    asked = read_button(action.get("value"))
    if asked is None:
        tell = _answer(body, respond, client)
        after_ack(context, lambda: tell_user(tell, "That button no longer matches anything fitbot knows."))
        return
    view = body.get("view") or {}
    if view.get("type") == "modal":
        after_ack(context, lambda: _update_modal(client, view, history_modal(services, context, *asked)))
        return
    after_ack(context, lambda: show_history(services, context, respond, asked[0], asked[1], replace=True))


def _update_modal(client: WebClient, view: dict, new: dict) -> None:
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=new)
    except SlackApiError as exc:  # hash_conflict: the user clicked again meanwhile; that click wins
        log.info("views.update failed: %s", error_code(exc))
    except TRANSPORT_ERRORS as exc:
        log.warning("views.update failed: %s", exc)


def answer_pulse(ack: Ack, body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
    """One answer in a 30/60/90 check-in DM: stored before Slack gets its answer, like a nudge's click."""
    ack()
    services: Services = context["services"]
    pulse, _, rest = (action.get("value") or "").partition(":")
    question, _, value = rest.partition(":")
    pulse_id = _number(pulse)
    try:
        if pulse_id is None:
            raise pulse_flow.PulseRefused("That button no longer matches anything fitbot knows.")
        due = pulse_flow.answer(services.db, services.check_ins, workspace_of(context), pulse_id=pulse_id,
                                question=question, value=value, user_id=body["user"]["id"])
    except pulse_flow.PulseRefused as exc:
        refusal = str(exc)
        after_ack(context, lambda: tell_user(respond, refusal))
        return
    if due:
        after_ack(context, lambda: services.dispatcher.send_now(due))
