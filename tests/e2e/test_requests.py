"""Malformed or forged requests get a 4xx and cause no Slack call; health reflects the database."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import parse_qs, quote

import pytest
from sqlalchemy import func, select

from storage.models import OutboxMessage, Plan, Triage
from tests.e2e import triage_payloads as tp
from tests.e2e.fitbot_process import SIGNING_SECRET
from tests.support import slack_requests as sr

COMMAND = sr.slash_command("Acme")


def _now() -> str:
    return str(int(time.time()))


@pytest.mark.parametrize(("headers", "status"), [
    ({}, 401),                                                                       # unsigned
    ({"X-Slack-Request-Timestamp": "now", "X-Slack-Signature": "v0=abc"}, 401),      # non-numeric timestamp
    ({"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=abc"}, 401),
    ({"X-Slack-Request-Timestamp": "\u00b2", "X-Slack-Signature": "v0=abc"}, 401),    # a digit, but not ASCII
    ({"X-Slack-Request-Timestamp": _now(), "X-Slack-Signature": "v0=\u00e9"}, 401),    # not ASCII
    ({**sr.sign("wrong-secret", COMMAND)}, 401),                                     # badly signed
    ({**sr.sign(SIGNING_SECRET, COMMAND, timestamp=int(time.time()) - 301)}, 401),   # stale
    ({**sr.sign(SIGNING_SECRET, COMMAND + "&text=tampered")}, 401),                  # body changed after signing
], ids=["unsigned", "timestamp not a number", "empty timestamp", "superscript digit", "signature not ascii",
        "wrong secret", "stale", "tampered"])
def test_forged_requests_are_refused(fitbot, slack, headers, status):
    response = fitbot.post(COMMAND, sign_request=False, headers=headers)
    assert response.status == status
    slack.assert_no_call("views.open", during=0.3)


@pytest.mark.parametrize(("body", "content_type"), [
    ("%%%not-a-form", "application/x-www-form-urlencoded"),
    ("payload=%7Bbroken-json", "application/x-www-form-urlencoded"),
    ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
    ("{not json", "application/json"),
    ("[1, 2, 3]", "application/json"),
    ("hello=world", "application/x-www-form-urlencoded"),
    ("payload=" + quote(json.dumps({"type": "view_submission", "user": {"id": "U1"},
                                       "view": {"id": "V1", "state": {"values": {}}}})),
     "application/x-www-form-urlencoded"),
    ("payload=" + quote(json.dumps({"type": "view_submission", "user": {"id": "U1"},
                                       "view": {"id": "V1", "type": "modal"}})),
     "application/x-www-form-urlencoded"),
    ("payload=" + quote(json.dumps({"type": "block_actions", "user": {"id": "U1"}, "actions": "x"})),
     "application/x-www-form-urlencoded"),
    (json.dumps({"type": "event_callback", "team_id": "T0001", "event_id": "Ev1"}), "application/json"),
], ids=["bad form", "bad payload json", "payload not an object", "bad json", "json not an object", "no fields",
        "view without type", "view without state", "actions not a list", "event without event"])
def test_signed_garbage_is_a_bad_request(fitbot, slack, body, content_type):
    response = fitbot.post(body, content_type=content_type)
    assert response.status == 400
    slack.assert_no_call("views.open", during=0.3)
    assert slack.calls() == []


def _interactive(body: str, change: Callable[[dict], object]) -> str:
    """A real interactivity body from the builders, its payload changed by `change`."""
    payload = json.loads(parse_qs(body)["payload"][0])
    change(payload)
    return "payload=" + quote(json.dumps(payload))


def _event(drop: str) -> str:
    event = sr.app_mention_event("what can you do?")
    del event[drop]
    return sr.event_callback(event)


SUBMISSION = tp.submission(tp.AUGMENTATION)
SNOOZE = sr.block_actions(action_id="plan_item_snooze", value="", block_id="plan_item_1", channel_id="C0001",
                          message_ts=sr.new_ts(), selected=("1:tomorrow", "Tomorrow"))


@pytest.mark.parametrize("body", [
    _interactive(SUBMISSION, lambda p: p["view"]["state"]["values"].update(company="Acme")),
    _interactive(SUBMISSION, lambda p: p["view"]["state"]["values"]["leadership"]["answer"].update(
        selected_option="nobody")),
    _interactive(SUBMISSION, lambda p: p["view"].update(private_metadata=42)),
    _interactive(SUBMISSION, lambda p: p["view"].update(state="filled in")),
    _interactive(SNOOZE, lambda p: p["actions"][0].update(selected_option="1:tomorrow")),
    _interactive(SNOOZE, lambda p: p.update(channel="C0001", container=None)),
    _event(drop="channel"),
    _event(drop="ts"),
], ids=["state block not an object", "selected_option not an object", "private_metadata a number",
        "state not an object", "clicked option not an object", "channel not an object", "mention without channel",
        "mention without ts"])
def test_signed_payload_with_impossible_field_types_is_a_bad_request(fitbot, slack, db, body):
    """Slack never sends these; each used to crash a listener, which Bolt answers with 500."""
    response = fitbot.post(body)
    assert response.status == 400
    assert response.text == "unreadable Slack payload\n"
    slack.assert_no_call("chat.postMessage", during=0.5)
    assert slack.calls() == []
    with db.unit_of_work() as s:
        assert [s.scalar(select(func.count()).select_from(t)) for t in (Triage, OutboxMessage, Plan)] == [0, 0, 0]


def _post_bytes(url: str, raw: bytes, secret: str) -> int:
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    request = urllib.request.Request(url, data=raw, method="POST", headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.mark.parametrize(("secret", "status"), [(SIGNING_SECRET, 400), ("wrong-secret", 400)],
                         ids=["signed", "badly signed"])
def test_body_that_is_not_utf8_is_a_bad_request(fitbot, slack, secret, status):
    """Slack sends UTF-8 only; a body that isn't is refused before Bolt, whose adapter would fail decoding it."""
    body = json.loads(sr.event_callback(sr.app_mention_event("caf\u00e9 au lait?")))
    raw = json.dumps(body, ensure_ascii=False).encode("latin-1")  # a Slack event, but in Latin-1
    assert _post_bytes(f"{fitbot.url}/slack/events", raw, secret) == status
    slack.assert_no_call("chat.postMessage", during=0.3)
    assert slack.calls() == []


def test_unknown_routes_and_methods(fitbot):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{fitbot.url}/slack/events", timeout=5)
    assert info.value.code == 405
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{fitbot.url}/nope", timeout=5)
    assert info.value.code == 404


def test_healthz(fitbot):
    with urllib.request.urlopen(f"{fitbot.url}/healthz", timeout=5) as response:
        assert (response.status, response.read()) == (200, b"ok\n")
