"""Reading Slack's failures the same way everywhere: what went wrong, and whether trying again can help."""

from __future__ import annotations

import http.client
import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError

# Slack's own "try again later" error codes, next to HTTP 429 and 5xx.
TRANSIENT_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout",
                              "ratelimited"})
# What a call can raise when the network, not Slack, failed (URLError and timeouts are OSErrors).
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)
_SECONDS = re.compile(r"\d{1,6}", re.ASCII)


def error_code(exc: SlackApiError) -> str:
    """Slack's error code, or http_<status> when the answer was not Slack JSON (a 5xx page)."""
    if exc.response.status_code >= 500:
        return f"http_{exc.response.status_code}"
    data = exc.response.data
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"http_{exc.response.status_code}"


def is_transient(exc: SlackApiError) -> bool:
    return exc.response.status_code == 429 or exc.response.status_code >= 500 or error_code(exc) in TRANSIENT_ERRORS


def retry_after_seconds(exc: SlackApiError, default: int = 1) -> int:
    """Slack's Retry-After header in whole seconds (at least 1)."""
    return retry_after_seconds_of(exc.response.headers, default)


def retry_after_seconds_of(headers: Mapping[str, Any], default: int = 1) -> int:
    value = str(headers.get("Retry-After") or headers.get("retry-after") or "")
    return max(int(value), 1) if _SECONDS.fullmatch(value) else default
