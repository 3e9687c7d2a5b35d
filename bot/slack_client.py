"""Web API clients. Every client fitbot builds points at SLACK_API_URL and keeps its connections open."""

from __future__ import annotations

import json
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.config import Settings
from bot.http_connection import Connection, Unanswered
from bot.slack_errors import retry_after_seconds_of

REQUEST_TIMEOUT = 10
# A user is waiting (and a trigger_id dies after 3 s): a rate limit asking for longer is answered at once.
INTERACTIVE_MAX_WAIT = 2.0
JSON_BODY = "application/json;charset=utf-8"
FORM_BODY = "application/x-www-form-urlencoded"


class KeepAliveWebClient(WebClient):
    """slack_sdk's WebClient with persistent connections (one per thread) and a short path per call.

    The stock client opens a new connection through urllib for every call and runs each answer
    through several layers; under a burst of `/fit` commands that CPU competes with the acks
    themselves for the interpreter lock, and it bounds how fast the dispatcher can send. Here a
    JSON or form call is one request on a kept-alive connection (`bot.http_connection`), answered
    as the same SlackResponse (raising the same SlackApiError) slack_sdk returns. Files, `data=` bodies and proxies take
    slack_sdk's own path.

    `retries` failed attempts are tried again (429 after Retry-After, 5xx, and a request that never
    reached Slack): 1 for calls a user waits on, 0 for the dispatcher, which reschedules a row instead
    of sleeping on it. A request that may have reached Slack (a timeout) is never sent again: a second
    views.open would fail on its used trigger_id after the first had opened the modal.
    """

    def __init__(self, *, token: str, base_url: str, timeout: int = REQUEST_TIMEOUT, retries: int = 0,
                 max_wait: float = 60.0) -> None:
        super().__init__(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])
        self.retries, self.max_wait = retries, max_wait
        self._base = urlsplit(self.base_url if self.base_url.endswith("/") else self.base_url + "/")
        self._connections = threading.local()

    def api_call(self, api_method: str, *, http_verb: str = "POST", files: dict | None = None,
                 data: dict | None = None, params: dict | None = None, json: dict | None = None,
                 headers: dict | None = None, auth: dict | None = None) -> SlackResponse:
        if files or data or auth or headers or self.proxy or (json is not None and "token" in json) \
                or (params is not None and "token" in params):
            return super().api_call(api_method, http_verb=http_verb, files=files, data=data, params=params,
                                    json=json, headers=headers, auth=auth)
        if json is not None:
            args, body, content_type = json, _dumps({**self.default_params, **json}), JSON_BODY
        else:
            args = {k: _form_value(v) for k, v in {**self.default_params, **(params or {})}.items() if v is not None}
            body, content_type = urlencode(args).encode(), FORM_BODY
        path = self._base.path + api_method.lstrip("/")
        attempt = 0
        while True:
            try:
                status, reply_headers, raw = self._post(path, body, content_type)
            except Unanswered:  # nothing happened: safe to send again (a timeout, say, is not)
                if attempt >= self.retries:
                    raise
                attempt += 1
                continue
            answer = _parse(raw)
            if (status == 429 or status >= 500) and attempt < self.retries:
                wait = retry_after_seconds_of(reply_headers) if status == 429 else 0.5
                if wait <= self.max_wait:
                    attempt += 1
                    time.sleep(wait)
                    continue
            return SlackResponse(client=self, http_verb="POST", api_url=f"{self.base_url}{api_method}",
                                 req_args={"json" if json is not None else "params": args}, data=answer,
                                 headers=reply_headers, status_code=status).validate()

    def _post(self, path: str, body: bytes, content_type: str) -> tuple[int, dict[str, str], bytes]:
        return self._connection().post(path, {**self.headers, "Authorization": f"Bearer {self.token}",
                                              "Content-Type": content_type}, body)

    def _connection(self) -> Connection:
        conn: Connection | None = getattr(self._connections, "conn", None)
        if conn is None:
            tls = (self.ssl or ssl.create_default_context()) if self._base.scheme == "https" else None
            port = self._base.port or (443 if tls else 80)
            conn = self._connections.conn = Connection(self._base.hostname, port, timeout=self.timeout, tls=tls)
        return conn


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _form_value(value: Any) -> Any:
    """Slack reads booleans in form bodies as "1"/"0", and lists/dicts (blocks) as JSON strings."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _parse(raw: bytes) -> dict[str, Any]:
    """Slack's JSON answer; anything else (a proxy's or load balancer's error page) as a readable error."""
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = None
    if isinstance(answer, dict):
        return answer
    snippet = raw[:200].decode("utf-8", "replace")
    return {"ok": False, "error": f"Received a response in a non-JSON format: {snippet}"}


def interactive_client(settings: Settings) -> WebClient:
    """For calls made while a user waits (views.open, views.update): one retry on 429, 5xx and unsent requests."""
    return KeepAliveWebClient(token=settings.bot_token, base_url=settings.api_url, retries=1,
                              max_wait=INTERACTIVE_MAX_WAIT)


def delivery_client(settings: Settings) -> WebClient:
    """For the dispatcher: no retries, because a failed row is rescheduled rather than slept on."""
    return KeepAliveWebClient(token=settings.bot_token, base_url=settings.api_url)
