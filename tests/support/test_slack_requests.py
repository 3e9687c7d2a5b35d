"""The request builders and signer work against slack_sdk's verifier and a real Bolt app over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from tests.support import slack_requests as sr
from tests.support.fake_slack import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def test_sign_matches_slack_sdk() -> None:
    body, ts = sr.slash_command("hello world"), int(time.time())
    headers = sr.sign(SECRET, body, ts)
    verifier = SignatureVerifier(SECRET)
    assert headers["X-Slack-Signature"] == verifier.generate_signature(timestamp=str(ts), body=body)
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])


def test_slash_command_has_slacks_fields() -> None:
    fields = {k: v[0] for k, v in parse_qs(sr.slash_command("a b", enterprise_id="E1"), True).items()}
    assert list(fields) == [
        "token", "team_id", "team_domain", "enterprise_id", "enterprise_name", "channel_id", "channel_name",
        "user_id", "user_name", "command", "text", "api_app_id", "is_enterprise_install", "response_url",
        "trigger_id",
    ]  # fmt: skip
    assert (fields["text"], fields["is_enterprise_install"]) == ("a b", "false")
    assert sr.slash_command()[-60:] != sr.slash_command()[-60:]  # fresh trigger_id each time


@pytest.fixture(scope="module")
def bot() -> Iterator[tuple[str, FakeSlack, list[Any]]]:
    """A minimal Bolt app behind a stdlib WSGI server, calling a FakeSlack; yields (url, fake, what handlers saw)."""
    seen: list[Any] = []
    with FakeSlack() as fake:
        app = App(signing_secret=SECRET, client=WebClient(token="xoxb-test", base_url=fake.url))

        @app.command("/fit")
        def open_form(ack, body, client):
            ack()
            client.views_open(trigger_id=body["trigger_id"], view={"type": "modal", "callback_id": "fit", "blocks": []})

        @app.view("fit")
        def submitted(ack, view):
            ack()
            seen.append(view["state"]["values"])

        @app.action("pick")
        def picked(ack, action):
            ack()
            seen.append(action["value"])

        @app.event("app_mention")
        def mentioned(event, say):
            say(f"you said: {event['text']}")

        server = make_server(
            "127.0.0.1", 0, SlackRequestHandler(app), _ThreadingWSGIServer, handler_class=_QuietHandler
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_port}/slack/events", fake, seen
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_requests_reach_a_bolt_app(bot: tuple[str, FakeSlack, list[Any]]) -> None:
    url, fake, seen = bot
    body = sr.slash_command("new")
    assert sr.post(url, body, secret=SECRET).status == 200
    [call] = fake.wait_for("views.open")
    assert call.params["trigger_id"] == parse_qs(body)["trigger_id"][0]

    values = {"who": sr.users_select_value("u", "U0002"), "when": sr.datepicker_value("d", "2025-01-31")}
    assert sr.post(url, sr.view_submission(callback_id="fit", values=values), secret=SECRET).status == 200
    assert seen[-1] == values

    click = sr.block_actions(action_id="pick", value="v1", block_id="b", channel_id="C0001", message_ts=sr.new_ts())
    assert sr.post(url, click, secret=SECRET).status == 200
    assert seen[-1] == "v1"

    assert sr.post(url, sr.event_callback(sr.app_mention_event("hi")), secret=SECRET).status == 200
    [message] = fake.wait_for("chat.postMessage")
    assert message.params["channel"] == "C0001"

    challenge = sr.post(url, sr.url_verification("abc"), secret=SECRET)
    assert challenge.json() == {"challenge": "abc"}


def test_bad_or_stale_signatures_are_rejected(bot: tuple[str, FakeSlack, list[Any]]) -> None:
    url, _, _ = bot
    assert sr.post(url, sr.slash_command(), secret="wrong").status == 401
    assert sr.post(url, sr.slash_command(), secret=SECRET, timestamp=int(time.time()) - 600).status == 401
    assert sr.post(url, sr.slash_command(), secret=SECRET, sign_request=False).status == 401
