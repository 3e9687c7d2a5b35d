"""Malformed or forged requests get a 4xx and cause no Slack call; health reflects the database."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

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
    ({**sr.sign("wrong-secret", COMMAND)}, 401),                                     # badly signed
    ({**sr.sign(SIGNING_SECRET, COMMAND, timestamp=int(time.time()) - 301)}, 401),   # stale
    ({**sr.sign(SIGNING_SECRET, COMMAND + "&text=tampered")}, 401),                  # body changed after signing
], ids=["unsigned", "timestamp not a number", "empty timestamp", "superscript digit", "wrong secret", "stale",
        "tampered"])
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
