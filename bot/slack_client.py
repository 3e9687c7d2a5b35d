"""Web API clients. Every client fitbot builds points at SLACK_API_URL."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings

REQUEST_TIMEOUT = 10


def interactive_client(settings: Settings) -> WebClient:
    """For calls made while a user waits (views.open, views.update): retry once on 429, 5xx, resets.

    slack_sdk only retries connection errors unless told otherwise.
    """
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        timeout=REQUEST_TIMEOUT,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def delivery_client(settings: Settings) -> WebClient:
    """For the dispatcher: no built-in retries, because a failed row is rescheduled rather than slept on."""
    return WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=REQUEST_TIMEOUT, retry_handlers=[])
