"""The WSGI application: POST /slack/events to Bolt, GET /healthz, and a gate for malformed requests.

Bolt verifies signatures itself, but answers 500 to a non-numeric timestamp and has no 400 for a
signed body it cannot parse. The gate answers those cases (401 / 400) before Bolt sees them, and
checks the shape of the body Bolt parsed (parsing it once), repairing one Bolt misreading.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier

from storage.db import Database

EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024
MAX_CLOCK_SKEW = 60 * 5
_DIGITS = re.compile(r"\d{1,12}", re.ASCII)


def _reply(start_response: Callable, status: int, body: str, headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    data = body.encode()
    reasons = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
               405: "Method Not Allowed", 413: "Payload Too Large", 503: "Service Unavailable"}
    header_list = [("Content-Length", str(len(data)))]
    if not any(k.lower() == "content-type" for k, _ in headers):
        header_list.append(("Content-Type", "text/plain; charset=utf-8"))
    start_response(f"{status} {reasons.get(status, '')}".strip(), [*header_list, *headers])
    return [data]


class WebApp:
    def __init__(self, bolt: App, db: Database, signing_secret: str) -> None:
        self.bolt = bolt
        self.db = db
        self.verifier = SignatureVerifier(signing_secret)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return _reply(start_response, 405, "GET only\n", [("Allow", "GET, HEAD")])
            healthy = self.db.ping()
            return _reply(start_response, 200 if healthy else 503, "ok\n" if healthy else "database unreachable\n")
        if path != EVENTS_PATH:
            return _reply(start_response, 404, "Not Found\n")
        if method != "POST":
            return _reply(start_response, 405, "POST only\n", [("Allow", "POST")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reply(start_response, 400, "bad Content-Length\n")
        if length > MAX_BODY:
            return _reply(start_response, 413, "request too large\n")
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        status, message = self.gate(raw, headers)
        if status != 200:
            return _reply(start_response, status, message + "\n")
        request = _bolt_request(raw.decode(), environ.get("QUERY_STRING", ""), headers)
        if request is None:
            return _reply(start_response, 400, "unreadable Slack payload\n")
        response = self.bolt.dispatch(request)
        out_headers = [(k, v) for k, values in response.headers.items() for v in values
                       if k.lower() != "content-length"]
        return _reply(start_response, response.status, response.body, out_headers)

    def gate(self, raw: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """(200, "") when the request is signed and fresh; otherwise 401 and why."""
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not _DIGITS.fullmatch(timestamp) or not signature:
            return 401, "missing or malformed Slack signature headers"
        if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
            return 401, "stale request"
        try:
            body = raw.decode()
        except UnicodeDecodeError:
            body = None
        if body is None or not self.verifier.is_valid(body, timestamp, signature):
            return 401, "invalid signature"
        return 200, ""


def _bolt_request(body: str, query: str, headers: dict[str, str]) -> BoltRequest | None:
    """The request as Bolt will route it, or None when the (signed) body is not a Slack payload."""
    try:
        request = BoltRequest(body=body, query=query, headers={k: [v] for k, v in headers.items()})
    except (ValueError, TypeError, AttributeError):  # JSON that doesn't parse, or isn't an object
        return None
    _repair_form_body(request)
    is_json = headers["content-type"].startswith("application/json") or body.startswith("{")
    return request if isinstance(request.body, dict) and _shape_ok(request.body, is_json) else None


def _repair_form_body(request: BoltRequest) -> None:
    """slack_bolt takes any form body that merely contains the text "payload" for an interactive payload
    and, finding no payload field, parses it to {}: `/fit payload systems`, or any command sent from a
    channel named #payload-team, would reach no listener. Such a body is given back its fields."""
    if request.body or not request.raw_body or request.raw_body.startswith("{"):
        return
    form = dict(parse_qsl(request.raw_body, keep_blank_values=True))
    if form and "payload" not in form:
        request.body = form
        request.context = build_context(BoltContext(), form)


def _shape_ok(body: dict[str, Any], is_json: bool) -> bool:
    """True when the body has the shape of a Slack request Bolt can route (see Slack's payload docs)."""
    if is_json:
        return _event_shape_ok(body)
    if "ssl_check" in body:
        return True
    if "command" in body:
        return all(isinstance(body.get(k), str) for k in ("command", "team_id", "channel_id", "user_id"))
    return _interaction_shape_ok(body)  # a form's `payload` field, which Bolt has parsed


def _is_dict(value: Any, *keys: str) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(k), str) for k in keys)


def _event_shape_ok(data: Any) -> bool:
    if _is_dict(data, "type", "challenge") and data["type"] == "url_verification":
        return True
    return _is_dict(data, "type", "team_id", "event_id") and _is_dict(data.get("event"), "type")


def _interaction_shape_ok(data: Any) -> bool:
    if not _is_dict(data, "type") or not _is_dict(data.get("user"), "id"):
        return False
    if data["type"] in ("view_submission", "view_closed"):
        view = data.get("view")
        return _is_dict(view, "id", "type") and isinstance((view.get("state") or {}).get("values"), dict)
    if data["type"] == "block_actions":
        return isinstance(data.get("actions"), list) and all(_is_dict(a, "action_id") for a in data["actions"])
    return True
