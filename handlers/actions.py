"""Buttons and menus: edit a triage or start a plan from its recommendation, Done / Snooze / Not applicable
on a nudge, the per-plan menu of `/fit plans`, and the App Home's "Diagnose an engagement"."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import plans as plan_flow
from bot.presentation.diagnosis import diagnosis_modal
from bot.presentation.history import read_button
from bot.presentation.ids import (
    HISTORY_ACTION_ID,
    HOME_DIAGNOSE_ACTION_ID,
    ITEM_DONE_ACTION_ID,
    ITEM_NA_ACTION_ID,
    ITEM_SNOOZE_ACTION_ID,
    PLAN_MANAGE_ACTION_ID,
    PLAN_START_ACTION_ID,
    TRIAGE_EDIT_ACTION_ID,
)
from bot.presentation.plans import move_start_modal
from bot.record_triage import EDIT_RULE, may_edit
from bot.services import Services, workspace_of
from bot.slack_users import is_workspace_admin
from bot.triage.revisions import prefill
from handlers.replies import after_ack, direct_message, open_modal, open_plan_modal, show_history, tell_user
from storage import plans, triages


def register(app: App) -> None:
    app.action(TRIAGE_EDIT_ACTION_ID)(edit_triage)
    app.action(PLAN_START_ACTION_ID)(start_plan_from_triage)
    app.action(ITEM_DONE_ACTION_ID)(item_done)
    app.action(ITEM_NA_ACTION_ID)(item_not_applicable)
    app.action(ITEM_SNOOZE_ACTION_ID)(item_snooze)
    app.action(PLAN_MANAGE_ACTION_ID)(manage_plan)
    app.action(HOME_DIAGNOSE_ACTION_ID)(diagnose_from_home)
    app.action(HISTORY_ACTION_ID)(history_page)


def _number(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def edit_triage(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
                respond: Respond) -> None:
    """Edit answers: the questionnaire again, prefilled with the triage's latest revision."""
    ack()
    triage_id, user_id = _number(action.get("value")), body["user"]["id"]
    clicked_in = (body.get("channel") or {}).get("id")

    def open_form() -> None:
        services: Services = context["services"]
        workspace = workspace_of(context)
        with services.db.unit_of_work() as session:
            triage = triages.get(session, workspace, triage_id) if triage_id is not None else None
        if triage is None:
            tell_user(respond, "That triage no longer exists.")
            return
        if not may_edit(triage, user_id, clicked_in=clicked_in,
                        is_admin=lambda: is_workspace_admin(client, user_id, workspace)):
            tell_user(respond, EDIT_RULE)
            return
        form = prefill(services.questionnaire, triage.answers)
        view = services.triage_modal.render_edit(
            prefill=form, flagged_labels=form.flagged, company=triage.company,
            metadata={"channel_id": triage.channel_id, "triage_id": triage.id, "base": triage.revision})
        open_modal(client, body["trigger_id"], view, respond, "the triage form")

    after_ack(context, open_form)


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


def item_done(ack: Ack, body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
    _close(ack, body, action, context, respond, plans.DONE)


def item_not_applicable(ack: Ack, body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
    _close(ack, body, action, context, respond, plans.NOT_APPLICABLE)


def _clicked_message(body: dict) -> tuple[str, str]:
    """(channel, ts) of the message whose button was clicked: the nudge to edit."""
    container = body.get("container") or {}
    return container.get("channel_id") or (body.get("channel") or {}).get("id", ""), container.get("message_ts", "")


def _close(ack: Ack, body: dict, action: dict, context: BoltContext, respond: Respond, status: str) -> None:
    ack()
    item_id = _number(action.get("value"))
    _click(context, respond, lambda s: plan_flow.close_item(s.db, workspace_of(context), item_id, status,
                                                              body["user"]["id"], _clicked_message(body)), item_id)


def item_snooze(ack: Ack, body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
    ack()
    item, _, choice = ((action.get("selected_option") or {}).get("value") or "").partition(":")
    item_id = _number(item)
    _click(context, respond, lambda s: plan_flow.snooze_item(s.db, workspace_of(context), item_id, choice,
                                                               body["user"]["id"], _clicked_message(body)), item_id)


def manage_plan(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
                respond: Respond) -> None:
    """Pause, resume, cancel or move, from `/fit plans`. Runs after the ack: checking for a workspace admin
    is a Slack call. If fitbot stops before it runs, the user sees no confirmation and can ask again."""
    ack()
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


def history_page(ack: Ack, action: dict, context: BoltContext, respond: Respond) -> None:
    """A company picked from `/fit history`, or another page of its story: the message is replaced."""
    ack()
    services: Services = context["services"]
    asked = read_button(action.get("value"))
    if asked is None:
        tell_user(respond, "That button no longer matches anything fitbot knows.")
        return
    after_ack(context, lambda: show_history(services, context, respond, asked[0], asked[1], replace=True))
