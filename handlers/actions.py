"""Buttons and menus: start a plan from a recommendation, Done / Snooze / Not applicable on a nudge,
and the per-plan menu of `/fit plans`."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import plans as plan_flow
from bot.presentation.ids import (
    ITEM_DONE_ACTION_ID,
    ITEM_NA_ACTION_ID,
    ITEM_SNOOZE_ACTION_ID,
    PLAN_MANAGE_ACTION_ID,
    PLAN_START_ACTION_ID,
)
from bot.presentation.plans import move_start_modal
from bot.services import Services, workspace_of
from bot.slack_users import is_workspace_admin
from handlers.replies import after_ack, open_modal, open_plan_modal, tell_user
from storage import plans, triages


def register(app: App) -> None:
    app.action(PLAN_START_ACTION_ID)(start_plan_from_triage)
    app.action(ITEM_DONE_ACTION_ID)(item_done)
    app.action(ITEM_NA_ACTION_ID)(item_not_applicable)
    app.action(ITEM_SNOOZE_ACTION_ID)(item_snooze)
    app.action(PLAN_MANAGE_ACTION_ID)(manage_plan)


def _number(value: object) -> int | None:
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


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
    _apply(context, respond, lambda s: plan_flow.close_item(s.db, workspace_of(context), item_id, status,
                                                              body["user"]["id"], _clicked_message(body)), item_id)


def item_snooze(ack: Ack, body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
    ack()
    item, _, choice = ((action.get("selected_option") or {}).get("value") or "").partition(":")
    item_id = _number(item)
    _apply(context, respond, lambda s: plan_flow.snooze_item(s.db, workspace_of(context), item_id, choice,
                                                               body["user"]["id"], _clicked_message(body)), item_id)


def manage_plan(ack: Ack, body: dict, action: dict, client: WebClient, context: BoltContext,
                respond: Respond) -> None:
    ack()
    what, _, plan = ((action.get("selected_option") or {}).get("value") or "").partition(":")
    plan_id = _number(plan)
    user_id = body["user"]["id"]
    if what == "move" and plan_id is not None:
        after_ack(context, lambda: _open_move_form(context, client, respond, plan_id, user_id, body["trigger_id"]))
        return
    workspace = workspace_of(context)
    _apply(context, respond, lambda s: plan_flow.change_plan(
        s.db, workspace, plan_id, user_id, is_admin=lambda: is_workspace_admin(client, user_id, workspace),
        action=what), plan_id, show=True)


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


def _apply(context: BoltContext, respond: Respond, change, target: int | None, *, show: bool = False) -> None:
    """Run a plan change for a click, after the ack; refusals and results reach the clicker, rows due now go out."""
    after_ack(context, lambda: _change(context, respond, change, target, show=show))


def _change(context: BoltContext, respond: Respond, change, target: int | None, *, show: bool) -> None:
    services: Services = context["services"]
    if target is None:
        tell_user(respond, "That button no longer matches anything fitbot knows.")
        return
    try:
        changed = change(services)
    except plan_flow.PlanError as exc:
        tell_user(respond, str(exc))
        return
    if changed.message and (show or not changed.send_now):
        tell_user(respond, changed.message)
    if changed.send_now:
        services.dispatcher.send_now(changed.send_now)

