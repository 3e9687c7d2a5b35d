"""The WSGI application: GET /healthz, and POST /slack/events through Bolt's own WSGI adapter.

Bolt checks the signature (its request verification) and routes. In front of it, `guard` answers the
requests Bolt would answer with a 500 or a crash, with a 4xx instead: a body too large, a Content-Length
or X-Slack-Request-Timestamp that isn't a number; and a body that isn't UTF-8 or that Bolt cannot parse
(its adapter raises on those) gets a 400. These are header and encoding checks, not a second signature
check. Behind it, two Bolt middlewares
(`register_middleware`) see only signed requests: one repairs Bolt's reading of some form bodies, the
other turns a signed payload Slack could never send into a 400 instead of a listener crash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import build_context

from bot.acks_first import AcksFirst
from storage.db import Database

EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024
_DIGITS = re.compile(r"\d{1,12}", re.ASCII)
UNREADABLE = "unreadable Slack payload\n"


def _reply(start_response: Callable, status: int, body: str, headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    data = body.encode()
    reasons = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
               413: "Payload Too Large", 200: "OK", 503: "Service Unavailable"}
    start_response(f"{status} {reasons[status]}", [("Content-Type", "text/plain; charset=utf-8"),
                                                    ("Content-Length", str(len(data))), *headers])
    return [data]


class WebApp:
    """Serves from the start; Slack's requests reach Bolt once `attach` gives it (after Slack accepted the token)."""

    def __init__(self, bolt: App | None, db: Database, acks: AcksFirst | None = None) -> None:
        self.slack = SlackRequestHandler(bolt, path=EVENTS_PATH) if bolt is not None else None
        self.db = db
        self.acks = acks or AcksFirst()
        self.waiting_for = "Slack to accept the bot token"

    def attach(self, bolt: App) -> None:
        self.slack = SlackRequestHandler(bolt, path=EVENTS_PATH)

    def waiting(self, reason: str) -> None:
        self.waiting_for = f"Slack, which can't be reached ({reason})"

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return _reply(start_response, 405, "GET only\n", [("Allow", "GET, HEAD")])
            if not self.db.ping():
                return _reply(start_response, 503, "database unreachable\n")
            if self.slack is None:
                return _reply(start_response, 503, f"waiting for {self.waiting_for}\n")
            return _reply(start_response, 200, "ok\n")
        if path != EVENTS_PATH:
            return _reply(start_response, 404, "Not Found\n")
        if method != "POST":
            return _reply(start_response, 405, "POST only\n", [("Allow", "POST")])
        if self.slack is None:
            return _reply(start_response, 503, "fitbot is starting; try again in a moment\n")
        problem = guard(environ)
        if problem is not None:
            return _reply(start_response, *problem)
        with self.acks.answering():
            try:
                return self.slack(environ, start_response)
            except (ValueError, TypeError, AttributeError):
                # Bolt's adapter decodes and parses the body before anything else, and raises on one that isn't
                # UTF-8, or JSON that doesn't parse or isn't an object; its dispatch catches everything after.
                return _reply(start_response, 400, UNREADABLE)


def guard(environ: dict[str, Any]) -> tuple[int, str] | None:
    """(status, message) for a request whose headers Bolt would fail on, else None."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 400, "bad Content-Length\n"
    if length > MAX_BODY:
        return 413, "request too large\n"
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    # slack_sdk's verifier calls int() on the timestamp and compares the signature as ASCII: either raises.
    if not _DIGITS.fullmatch(timestamp) or not signature or not signature.isascii():
        return 401, "missing or malformed Slack signature headers\n"
    return None


def register_middleware(app: App) -> None:
    """Bolt middlewares that run after Bolt verified the signature, before any listener."""
    app.middleware(repair_payload_misreading)
    app.middleware(reject_impossible_payloads)


def repair_payload_misreading(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
    """slack_bolt takes any form body that merely contains the text "payload" for an interactive payload and,
    finding no payload field, parses it to {}: `/fit payload systems`, or any command sent from a channel named
    #payload-team, would reach no listener. Such a body is given back its fields."""
    if not req.body and req.raw_body and not req.raw_body.startswith("{"):
        form = dict(parse_qsl(req.raw_body, keep_blank_values=True))
        if form and "payload" not in form:
            req.body = form
            req.context = build_context(req.context, form)
    return next()


def reject_impossible_payloads(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
    if not isinstance(req.body, dict) or not _shape_ok(req.body, req.raw_body.startswith("{")):
        return BoltResponse(status=400, body=UNREADABLE)
    return next()


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
