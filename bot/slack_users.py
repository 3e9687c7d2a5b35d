"""Who someone is in the workspace, as far as fitbot needs to know."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_errors import TRANSPORT_ERRORS, error_code
from storage.triages import Workspace

log = logging.getLogger(__name__)


def is_workspace_admin(client: WebClient, user_id: str, workspace: Workspace) -> bool:
    """An admin or owner of fitbot's own workspace (users.info, scope users:read). If Slack can't say, no.

    In a Slack Connect channel the clicker may be an admin of another organization (the client's):
    that makes them nobody special here.
    """
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, error_code(exc))
        return False
    except TRANSPORT_ERRORS as exc:
        log.warning("users.info failed for %s: %s", user_id, exc)
        return False
    ours = user.get("team_id") == workspace.team_id or (
        workspace.enterprise_id is not None
        and (user.get("enterprise_user") or {}).get("enterprise_id") == workspace.enterprise_id)
    return ours and bool(user.get("is_admin") or user.get("is_owner"))
