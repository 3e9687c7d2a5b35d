"""App Home, @mentions, and losing the workspace (uninstall, revoked bot token). Slack retries events;
replies are deduplicated on the event id, and stopping a workspace twice changes nothing."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import plans as plan_flow
from bot.home import render_home
from bot.presentation.triage import help_message
from bot.services import Services, workspace_of
from bot.slack_errors import TRANSPORT_ERRORS, error_code
from handlers.replies import after_ack
from storage import home_tabs, outbox

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)
    app.event("app_mention")(reply_to_mention)
    app.event("app_uninstalled")(workspace_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)


def workspace_uninstalled(context: BoltContext) -> None:
    _stop(context, "fitbot was uninstalled from this workspace")


def tokens_revoked(event: dict, context: BoltContext) -> None:
    """Only the bot token matters: a user revoking their own token changes nothing for fitbot."""
    if (event.get("tokens") or {}).get("bot"):
        _stop(context, "this workspace revoked fitbot's token")


def _stop(context: BoltContext, reason: str) -> None:
    services: Services = context["services"]
    team_id = workspace_of(context).team_id
    stopped = plan_flow.stop_workspace(services.db, team_id, reason)
    log.warning("workspace %s: %s; paused its plans and stopped %d pending message(s)", team_id, reason, stopped)


def publish_home(event: dict, client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") == "home":
        after_ack(context, lambda: _publish_home(event["user"], client, context))


def _publish_home(user_id: str, client: WebClient, context: BoltContext) -> None:
    """The viewer's desk, published now; being a viewer also means it is published again when it changes."""
    services: Services = context["services"]
    workspace = workspace_of(context)
    with services.db.unit_of_work() as session:
        home_tabs.record_viewer(session, workspace, user_id)
        view = render_home(session, workspace, user_id)
    try:
        client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:  # the next visit to the tab publishes again
        log.warning("views.publish failed: %s", error_code(exc))
    except TRANSPORT_ERRORS as exc:
        log.warning("views.publish failed: %s", exc)


def reply_to_mention(event: dict, body: dict, context: BoltContext) -> None:
    services: Services = context["services"]
    workspace = workspace_of(context)
    with services.db.unit_of_work() as session:
        outbox_id = outbox.enqueue(
            session, workspace,
            dedupe_key=f"event:{body['event_id']}",
            kind="mention_reply",
            channel_id=event["channel"],
            payload={**help_message(), "thread_ts": event.get("thread_ts") or event["ts"]},
        )
    if outbox_id is not None:
        after_ack(context, lambda: services.dispatcher.send_now([outbox_id]))
