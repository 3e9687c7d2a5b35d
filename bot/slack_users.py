"""Who someone is in the workspace, as far as fitbot needs to know."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_errors import TRANSPORT_ERRORS, error_code

log = logging.getLogger(__name__)


def is_workspace_admin(client: WebClient, user_id: str) -> bool:
    """Admins and owners (users.info, scope users:read). If Slack can't say, the answer is no."""
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, error_code(exc))
        return False
    except TRANSPORT_ERRORS as exc:
        log.warning("users.info failed for %s: %s", user_id, exc)
        return False
    return bool(user.get("is_admin") or user.get("is_owner"))
