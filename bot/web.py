"""The WSGI application: POST /slack/events to Bolt, GET /healthz, and a gate for malformed requests.

Bolt verifies signatures itself, but answers 500 to a non-numeric timestamp and has no 400 for a
signed body it cannot parse. The gate answers those cases (401 / 400) before Bolt sees them, and
checks the shape of the body Bolt parsed (parsing it once), repairing one Bolt misreading. The shape
check covers what listeners rely on (objects, lists, ids), so a signed payload Slack could never send
is a 400 rather than a listener crash that Bolt would answer with 500.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context

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
        self.signing_secret = signing_secret.encode()

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
        request = _bolt_request(raw, environ.get("QUERY_STRING", ""), headers)
        if request is None:
            return _reply(start_response, 400, "unreadable Slack payload\n")
        response = self.bolt.dispatch(request)
        out_headers = [(k, v) for k, values in response.headers.items() for v in values
                       if k.lower() != "content-length"]
        return _reply(start_response, response.status, response.body, out_headers)

    def gate(self, raw: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """(200, "") when the request is signed and fresh; otherwise 401 and why.

        Slack's v0 signature covers the raw bytes, so they are checked before any decoding: a signed
        body that is not UTF-8 is Slack's (or a bug's) and gets a 400 later, not a 401 here.
        """
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not _DIGITS.fullmatch(timestamp) or not signature or not signature.isascii():  # compare_digest needs ASCII
            return 401, "missing or malformed Slack signature headers"
        if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
            return 401, "stale request"
        digest = hmac.new(self.signing_secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
        if not hmac.compare_digest("v0=" + digest.hexdigest(), signature):
            return 401, "invalid signature"
        return 200, ""


def _bolt_request(raw: bytes, query: str, headers: dict[str, str]) -> BoltRequest | None:
    """The request as Bolt will route it, or None when the (signed) body is not a Slack payload."""
    try:
        body = raw.decode()
        request = BoltRequest(body=body, query=query, headers={k: [v] for k, v in headers.items()})
    except (ValueError, TypeError, AttributeError):  # not UTF-8, JSON that doesn't parse or isn't an object
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
        return _is_dict(body, "command", "team_id", "channel_id", "user_id", "trigger_id")
    return _interaction_shape_ok(body)  # a form's `payload` field, which Bolt has parsed


# Fields of the events fitbot handles that Slack always sends, as strings.
_EVENT_TEXT = {"app_mention": ("channel", "ts"), "app_home_opened": ("user",)}


def _is_dict(value: Any, *keys: str) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(k), str) for k in keys)


def _event_shape_ok(data: Any) -> bool:
    if _is_dict(data, "type", "challenge") and data["type"] == "url_verification":
        return True
    if not _is_dict(data, "type", "team_id", "event_id") or not _is_dict(data.get("event"), "type"):
        return False
    return _is_dict(data["event"], *_EVENT_TEXT.get(data["event"]["type"], ()))


def _interaction_shape_ok(data: Any) -> bool:
    """Checks what listeners walk through or use as is: objects and lists, ids, the modal's metadata and
    a chosen option's value. Other fields of the wrong type (a number where Slack sends text) are left to
    the listeners, which read them as unanswered."""
    if not _is_dict(data, "type") or not _is_dict(data.get("user"), "id"):
        return False
    if data["type"] in ("view_submission", "view_closed"):
        return _view_shape_ok(data.get("view"))
    if data["type"] == "block_actions":
        actions = data.get("actions")
        return (_is_dict(data, "trigger_id") and all(_is_dict_or_none(data.get(k)) for k in ("container", "channel"))
                and isinstance(actions, list) and all(_is_dict(a, "action_id") and _element_ok(a) for a in actions))
    return True


def _view_shape_ok(view: Any) -> bool:
    """A modal with text metadata and `state.values` as {block_id: {action_id: element state}}."""
    if not _is_dict(view, "id", "type") or not isinstance(view.get("private_metadata", ""), str):
        return False
    values = view["state"].get("values") if isinstance(view.get("state"), dict) else None
    return isinstance(values, dict) and all(
        isinstance(block, dict) and all(_element_ok(element) for element in block.values())
        for block in values.values()
    )


def _element_ok(element: Any) -> bool:
    """An element's state, or a clicked element: an object, whose chosen option (if any) has a text value."""
    return isinstance(element, dict) and (
        element.get("selected_option") is None or _is_dict(element["selected_option"], "value"))


def _is_dict_or_none(value: Any) -> bool:
    return value is None or isinstance(value, dict)
