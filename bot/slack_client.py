"""The Web API clients fitbot builds: slack_sdk's WebClient with its retry handlers, pointed at SLACK_API_URL.

One place builds them for serve (Bolt's listeners, and Socket Mode, which uses the app's client), for
the dispatcher and for `fitbot dispatch`. Two rules slack_sdk's stock handlers don't have are added
here as handlers of their own:

- A request that may have reached Slack is never sent again, so a post can't go out twice and a
  views.open can't fail on its used trigger_id after the first opened the modal. Only a request that
  surely never left (the connection was refused, or the name didn't resolve) is retried. The stock
  ConnectionErrorRetryHandler also retries a reset or closed connection, which may come after Slack
  acted on the request.
- A 500 or 503 may come after Slack acted on the request too, so the interactive client retries one only
  for a call that is safe to repeat (REPEATABLE: reads, and calls that set a state rather than add
  one); a DM or a views.open that failed that way is reported, not sent again.
- While a user waits (views.open, views.update: the trigger_id dies 3 s after the click), a 429 asking
  for longer than INTERACTIVE_MAX_WAIT is answered at once instead of slept on.

The dispatcher's client retries nothing else: a row that gets 429 or 5xx is rescheduled by the outbox
(honouring Retry-After and holding its channel), rather than slept on by a sender thread.

Both log through a logger whose level is LOG_LEVEL: slack_sdk formats its debug line (the whole request
body) whenever its logger's own level is unset, whatever the level in effect, which cost about a sixth
of each `views.open`'s CPU (docs/performance.md). With LOG_LEVEL=DEBUG every call is logged.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryHandler,
    RetryState,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.config import Settings
from bot.slack_errors import retry_after_seconds_of

REQUEST_TIMEOUT = 10
INTERACTIVE_MAX_WAIT = 2.0
# Web API methods whose second call leaves Slack as the first did.
REPEATABLE = frozenset({"auth.test", "users.info", "conversations.info", "views.update", "views.publish",
                        "chat.update"})


class UnsentRequestRetryHandler(ConnectionErrorRetryHandler):
    """Retries only a request that never reached Slack: a refused connection or a name that didn't resolve."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        reason = error.reason if isinstance(error, URLError) else error
        return response is None and isinstance(reason, (ConnectionRefusedError, socket.gaierror))


class CappedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """slack_sdk's 429 handler (it sleeps Retry-After), but only when Retry-After is at most `max_wait` seconds."""

    def __init__(self, max_wait: float, max_retry_count: int = 1) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        headers = {k: v[0] if isinstance(v, list) else v for k, v in response.headers.items()}
        return retry_after_seconds_of(headers) <= self.max_wait


class RepeatableServerErrorRetryHandler(ServerErrorRetryHandler):
    """slack_sdk's 500/503 handler, for REPEATABLE methods only."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        method = request.url.rstrip("/").rsplit("/", 1)[-1]
        return method in REPEATABLE and super()._can_retry(state=state, request=request, response=response,
                                                           error=error)


def interactive_handlers() -> list[RetryHandler]:
    """For calls a user waits on: one retry of an unsent request, of a short 429, and of a 500 or 503 where
    repeating the call is safe."""
    return [UnsentRequestRetryHandler(), CappedRateLimitRetryHandler(INTERACTIVE_MAX_WAIT),
            RepeatableServerErrorRetryHandler()]


def interactive_client(settings: Settings) -> WebClient:
    """Bolt's client (listeners, and the Socket Mode connection); Bolt copies its handlers and logger to each
    request's."""
    return WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=REQUEST_TIMEOUT,
                     retry_handlers=interactive_handlers(), logger=web_api_logger(settings.log_level))


def delivery_client(settings: Settings) -> WebClient:
    """The dispatcher's: only a request that never left is tried again; the outbox reschedules the rest."""
    return WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=REQUEST_TIMEOUT,
                     retry_handlers=[UnsentRequestRetryHandler()], logger=web_api_logger(settings.log_level))


WEB_API_LOGGER = "slack_sdk.web.fitbot"


def web_api_logger(level: str) -> logging.Logger:
    logger = logging.getLogger(WEB_API_LOGGER)
    logger.setLevel(level)
    return logger


@contextmanager
def attempts_unlogged() -> Iterator[None]:
    """Without slack_sdk's own lines for each failed attempt (an ERROR, and an INFO for its retry), for a caller
    that says what failed in a line of its own. With LOG_LEVEL=DEBUG they are kept."""
    logger = logging.getLogger(WEB_API_LOGGER)

    def keep(_record: logging.LogRecord) -> bool:
        return logger.getEffectiveLevel() <= logging.DEBUG

    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)
