"""Start-up checks that tell problems apart: a token Slack rejects, and a Slack that can't be reached.

A rejected token is the operator's to fix, so it stops fitbot at once. An unreachable Slack (network,
DNS, proxy, or Slack's own 5xx) may pass: fitbot tries again with backoff for STARTUP_PATIENCE seconds,
saying so each time, before it gives up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_client import attempts_unlogged
from bot.slack_errors import TRANSPORT_ERRORS, error_code, is_transient

log = logging.getLogger(__name__)

STARTUP_PATIENCE = 300.0
REJECTED = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})
MAX_DELAY = 30.0


class StartupError(RuntimeError):
    """fitbot cannot start for a reason the operator must fix; the message says which setting."""


def wait_for_slack(client: WebClient, *, patience: float = STARTUP_PATIENCE,
                   on_retry: Callable[[str], None] = lambda reason: None,
                   sleep: Callable[[float], None] = time.sleep,
                   clock: Callable[[], float] = time.monotonic) -> None:
    """Return once Slack accepts the bot token (auth.test); raise StartupError saying which problem it is."""
    deadline, delay = clock() + patience, 1.0
    while True:
        try:
            with attempts_unlogged():  # the warning below says it once
                client.auth_test()
            return
        except SlackApiError as exc:
            if error_code(exc) in REJECTED:
                raise StartupError(
                    f"SLACK_BOT_TOKEN: Slack rejected the token ({error_code(exc)}). Copy the Bot User OAuth Token "
                    "(xoxb-…) from OAuth & Permissions, and reinstall the app if it was removed.") from exc
            if not is_transient(exc):
                raise StartupError(f"SLACK_API_URL: {client.base_url} didn't answer as Slack's Web API does "
                                   f"({error_code(exc)}).") from exc
            reason = f"Slack answered {error_code(exc)}"
        except TRANSPORT_ERRORS as exc:
            reason = _network_reason(exc)
        if clock() + delay > deadline:
            waited = f", even after {patience:g} s" if patience else ""
            raise StartupError(
                f"SLACK_API_URL: Slack can't be reached at {client.base_url} ({reason}){waited}. Check the network, "
                "DNS and any proxy (HTTPS_PROXY).")
        on_retry(reason)  # before the log line, so whoever reads the line finds /healthz already saying why
        log.warning("Slack can't be reached at %s (%s); trying again in %g s", client.base_url, reason, delay)
        sleep(delay)
        delay = min(delay * 2, MAX_DELAY)


def _network_reason(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, URLError) else exc
    return str(reason) or type(reason).__name__
