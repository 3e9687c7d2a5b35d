"""Build the requests Slack sends to an app, sign them with the v0 scheme, and POST them over real HTTP.

Builders return the exact body Slack sends: slash commands and interactivity payloads are
``application/x-www-form-urlencoded`` (interactivity wraps JSON in ``payload=``); Events API requests are
JSON. Shapes follow api.slack.com (slash-commands, interaction-payloads, events-api)::

    body = slash_command("new", channel_id="C0001")
    response = post(f"{bot_url}/slack/events", body, secret=SIGNING_SECRET)
    assert response.status == 200
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from tests.support.fake_slack import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

VERIFICATION_TOKEN = "fakeVerificationToken0001"  # the deprecated `token` field Slack still sends
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"
_counter = itertools.count(1)
_ts_lock = threading.Lock()
_last_micros = 0


# -- signing and sending ------------------------------------------------------------------------------


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature headers: HMAC-SHA256 of "v0:{timestamp}:{body}" keyed by the signing secret."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-cased names
    text: str
    elapsed: float  # seconds

    def json(self) -> Any:
        return json.loads(self.text)


def post(
    url: str,
    body: str,
    *,
    secret: str,
    content_type: str | None = None,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
    sign_request: bool = True,
    timeout: float = 10,
) -> Response:
    """POST `body` like Slack does (signed unless sign_request=False). Never raises on 4xx/5xx."""
    if content_type is None:
        is_json = body.lstrip().startswith("{")
        content_type = "application/json" if is_json else "application/x-www-form-urlencoded"
    all_headers = {"Content-Type": content_type, "User-Agent": USER_AGENT}
    if sign_request:
        all_headers.update(sign(secret, body, timestamp))
    all_headers.update(headers or {})
    request = urllib.request.Request(url, data=body.encode("utf-8"), headers=all_headers, method="POST")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            status, resp_headers, data = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, resp_headers, data = err.code, err.headers, err.read()
    elapsed = time.monotonic() - started
    return Response(status, {k.lower(): v for k, v in resp_headers.items()}, data.decode("utf-8"), elapsed)


# -- ids ----------------------------------------------------------------------------------------------


def new_trigger_id() -> str:
    """A unique id in Slack's trigger_id form, e.g. 13345224609.738474920.8088930838d88f008e0."""
    return f"{10**12 + next(_counter)}.{secrets.randbelow(10**10):010d}.{secrets.token_hex(16)}"


def new_ts() -> str:
    """A unique, increasing message timestamp string ("1732800000.000100")."""
    global _last_micros
    with _ts_lock:
        _last_micros = max(int(time.time() * 1_000_000), _last_micros + 1)
        micros = _last_micros
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _response_url(kind: str, team_id: str) -> str:
    return f"https://hooks.slack.com/{kind}/{team_id}/{secrets.randbelow(10**13)}/{secrets.token_urlsafe(18)}"


def _channel_name(channel_id: str) -> str:
    if channel_id.startswith("D"):
        return "directmessage"
    return "privategroup" if channel_id.startswith("G") else "fitbot-test"


def _team(team_id: str) -> dict[str, str]:
    return {"id": team_id, "domain": TEAM_DOMAIN}


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {
        "id": user_id,
        "username": f"user.{user_id.lower()}",
        "name": f"user.{user_id.lower()}",
        "team_id": team_id,
    }


def _interactive(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


# -- slash commands -----------------------------------------------------------------------------------


def slash_command(
    text: str = "",
    *,
    command: str = "/fit",
    team_id: str = TEAM_ID,
    channel_id: str = "C0001",
    user_id: str = "U0001",
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str | None = None,
    channel_name: str | None = None,
    user_name: str | None = None,
    response_url: str | None = None,
    is_enterprise_install: bool = False,
) -> str:
    """The form-encoded body of a slash command invocation (every value is a string)."""
    fields = {"token": VERIFICATION_TOKEN, "team_id": team_id, "team_domain": TEAM_DOMAIN}
    if enterprise_id:
        fields |= {"enterprise_id": enterprise_id, "enterprise_name": enterprise_name or "Fitbot Grid"}
    fields |= {
        "channel_id": channel_id,
        "channel_name": channel_name or _channel_name(channel_id),
        "user_id": user_id,
        "user_name": user_name or f"user.{user_id.lower()}",
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "true" if is_enterprise_install else "false",
        "response_url": response_url or _response_url("commands", team_id),
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urlencode(fields, quote_via=quote)


# -- view_submission and its element states -----------------------------------------------------------


def _option(value: str | None, text: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "text": {"type": "plain_text", "text": value if text is None else text, "emoji": True},
        "value": value,
    }


def text_value(action_id: str, value: str | None) -> dict[str, Any]:
    """plain_text_input state; an empty optional input arrives as None (JSON null), not ""."""
    return {action_id: {"type": "plain_text_input", "value": value}}


def radio_value(action_id: str, value: str | None, text: str | None = None) -> dict[str, Any]:
    return {action_id: {"type": "radio_buttons", "selected_option": _option(value, text)}}


def select_value(action_id: str, value: str | None, text: str | None = None) -> dict[str, Any]:
    return {action_id: {"type": "static_select", "selected_option": _option(value, text)}}


def checkboxes_value(action_id: str, options: list[tuple[str, str]]) -> dict[str, Any]:
    """checkboxes state: every ticked (value, text); nothing ticked arrives as an empty list."""
    return {action_id: {"type": "checkboxes", "selected_options": [_option(v, t) for v, t in options]}}


def users_select_value(action_id: str, user: str | None) -> dict[str, Any]:
    return {action_id: {"type": "users_select", "selected_user": user}}


def datepicker_value(action_id: str, date: str | None) -> dict[str, Any]:
    """datepicker state; `date` must be "YYYY-MM-DD" (or None when left empty)."""
    if date is not None:
        datetime.date.fromisoformat(date)
    return {action_id: {"type": "datepicker", "selected_date": date}}


def _input_blocks(values: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Input blocks matching a state.values dict, for when the caller gives no blocks."""
    return [
        {
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": block_id, "emoji": True},
            "optional": False,
            "dispatch_action": False,
            "element": {"type": state["type"], "action_id": action_id},
        }
        for block_id, actions in values.items()
        for action_id, state in actions.items()
    ]


def view_submission(
    *,
    callback_id: str,
    values: dict[str, dict[str, Any]],
    private_metadata: str = "",
    view_id: str | None = None,
    team_id: str = TEAM_ID,
    user_id: str = "U0001",
    hash: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
) -> str:
    """The form-encoded body (payload=<json>) Slack sends when a modal is submitted.

    `values` is Slack's view.state.values: {block_id: {action_id: element_state}}, e.g.
    {"name_block": text_value("name", "Ann"), "when_block": datepicker_value("when", "2025-01-31")}.
    """
    view_id = view_id or "V" + secrets.token_hex(5).upper()
    view = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": _input_blocks(values) if blocks is None else blocks,
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": values},
        "hash": hash or f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": {"type": "plain_text", "text": "fitbot", "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }
    return _interactive(
        {
            "type": "view_submission",
            "team": _team(team_id),
            "user": _user(user_id, team_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": new_trigger_id(),
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
    )


# -- block_actions ------------------------------------------------------------------------------------


def block_actions(
    *,
    action_id: str,
    value: str,
    block_id: str,
    channel_id: str,
    message_ts: str,
    team_id: str = TEAM_ID,
    user_id: str = "U0001",
    message: dict[str, Any] | None = None,
    response_url: str | None = None,
    selected: tuple[str, str] | None = None,
    element_type: str = "static_select",
    user_team_id: str | None = None,
) -> str:
    """The form-encoded body (payload=<json>) for a click on a message the bot posted (`user_team_id`: the
    clicker's own organization, for a guest in a Slack Connect channel).

    A button click by default; with `selected=(value, text)` a choice in a select or overflow menu
    (`element_type`), which Slack reports as `selected_option` instead of `value`.
    """
    button_text = {"type": "plain_text", "text": value, "emoji": True}
    if message is None:
        button = {"type": "button", "action_id": action_id, "text": button_text, "value": value}
        message = {
            "type": "message",
            "text": "",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": team_id,
            "ts": message_ts,
            "blocks": [{"type": "actions", "block_id": block_id, "elements": [button]}],
        }
    return _interactive(
        {
            "type": "block_actions",
            "user": _user(user_id, user_team_id or team_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "trigger_id": new_trigger_id(),
            "team": _team(team_id),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": _channel_name(channel_id)},
            "message": message,
            "state": {"values": {}},
            "response_url": response_url or _response_url("actions", team_id),
            "actions": [_action(action_id, block_id, value, button_text, selected, element_type)],
        }
    )


def home_block_actions(*, action_id: str, block_id: str, team_id: str = TEAM_ID, user_id: str = "U0001",
                       view_id: str = "VHOME0001", value: str | None = None, selected: tuple[str, str] | None = None,
                       element_type: str = "overflow") -> str:
    """A click on the App Home tab: the container is the view, and there is no channel, message or
    response_url (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload). A button
    (with its `value`) by default; with `selected=(value, text)`, a choice in an overflow or select menu."""
    button_text = {"type": "plain_text", "text": action_id, "emoji": True}
    action = _action(action_id, block_id, value or "", button_text, selected, element_type)
    if value is None and selected is None:
        del action["value"]
    return _interactive(
        {
            "type": "block_actions",
            "user": _user(user_id, team_id),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": new_trigger_id(),
            "team": _team(team_id),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": {
                "id": view_id, "team_id": team_id, "type": "home", "blocks": [], "private_metadata": "",
                "callback_id": "", "state": {"values": {}}, "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
                "title": {"type": "plain_text", "text": "View Title", "emoji": True}, "clear_on_close": False,
                "notify_on_close": False, "close": None, "submit": None, "previous_view_id": None,
                "root_view_id": view_id, "app_id": APP_ID, "external_id": "", "app_installed_team_id": team_id,
                "bot_id": BOT_ID,
            },
            "actions": [action],
        }
    )


def _action(action_id: str, block_id: str, value: str, button_text: dict[str, Any],
            selected: tuple[str, str] | None, element_type: str) -> dict[str, Any]:
    if selected is None:
        return {"action_id": action_id, "block_id": block_id, "text": button_text, "value": value,
                "type": "button", "action_ts": new_ts()}
    option = {"text": {"type": "plain_text", "text": selected[1], "emoji": True}, "value": selected[0]}
    action = {"type": element_type, "action_id": action_id, "block_id": block_id, "selected_option": option,
              "action_ts": new_ts()}
    if element_type == "static_select":
        action["placeholder"] = {"type": "plain_text", "text": "Snooze", "emoji": True}
    return action


# -- Events API ---------------------------------------------------------------------------------------


def event_callback(event: dict[str, Any], *, event_id: str | None = None, team_id: str = TEAM_ID) -> str:
    """The JSON body of an Events API delivery wrapping `event`."""
    context = {"et": event.get("type"), "tid": team_id, "aid": APP_ID, "cid": event.get("channel")}
    event_context = base64.urlsafe_b64encode(json.dumps(context).encode()).decode().rstrip("=")
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + event_context,
        }
    )


def app_mention_event(text: str, channel: str = "C0001", user: str = "U0001", ts: str | None = None) -> dict:
    """An app_mention event; `text` gets the bot's "<@U…>" mention prepended unless it already has it."""
    mention = f"<@{BOT_USER_ID}>"
    ts = ts or new_ts()
    return {
        "type": "app_mention",
        "user": user,
        "text": text if mention in text else f"{mention} {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }


def app_home_opened_event(user: str = "U0001", *, tab: str = "home", view: dict | None = None) -> dict:
    """An app_home_opened event; `view` is only present once a Home tab has been published."""
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": tab,
        "event_ts": new_ts(),
    }
    if view is not None:
        event["view"] = view
    return event


def url_verification(challenge: str | None = None) -> str:
    """The JSON body Slack sends once to verify the Events request URL; the app must echo `challenge`."""
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "challenge": challenge or secrets.token_urlsafe(32),
            "type": "url_verification",
        }
    )
