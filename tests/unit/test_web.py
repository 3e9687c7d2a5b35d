"""bot.web's pieces around Bolt: the guard in front of it and the middlewares behind its signature check."""

import io
from urllib.parse import urlencode

from slack_bolt import BoltRequest, BoltResponse

from bot.web import MAX_BODY, guard, reject_impossible_payloads, repair_payload_misreading

COMMAND = urlencode({"command": "/fit", "text": "payload systems", "team_id": "T1", "channel_id": "C1",
                     "user_id": "U1", "trigger_id": "1.2.x", "response_url": "https://hooks.slack.com/x"})


def test_bolt_reads_a_form_body_that_mentions_payload_as_an_empty_interactive_payload():
    # The bug this middleware works around: no listener would match this /fit command.
    request = BoltRequest(body=COMMAND, headers={"content-type": "application/x-www-form-urlencoded"})
    assert request.body == {}
    repair_payload_misreading(request, lambda: BoltResponse(status=200))
    assert request.body["command"] == "/fit" and request.body["text"] == "payload systems"
    assert (request.context.team_id, request.context.channel_id, request.context.user_id) == ("T1", "C1", "U1")


def test_a_real_interactive_payload_is_left_alone():
    body = urlencode({"payload": '{"type": "block_actions", "user": {"id": "U1"}}'})
    request = BoltRequest(body=body, headers={"content-type": "application/x-www-form-urlencoded"})
    repair_payload_misreading(request, lambda: BoltResponse(status=200))
    assert request.body == {"type": "block_actions", "user": {"id": "U1"}}


def test_a_signed_payload_slack_could_never_send_is_a_400_before_any_listener():
    request = BoltRequest(body='{"type": "event_callback", "team_id": "T1", "event_id": "Ev1"}',
                          headers={"content-type": "application/json"})
    reached = []
    response = reject_impossible_payloads(request, lambda: reached.append(1) or BoltResponse(status=200))
    assert (response.status, reached) == (400, [])


def _environ(body: bytes, **headers: str) -> dict:
    return {"CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json", "wsgi.input": io.BytesIO(body),
            "HTTP_X_SLACK_REQUEST_TIMESTAMP": "1700000000", "HTTP_X_SLACK_SIGNATURE": "v0=abc", **headers}


def test_the_guard_answers_headers_bolt_would_answer_with_a_500():
    assert guard(_environ(b"{}", HTTP_X_SLACK_REQUEST_TIMESTAMP="soon"))[0] == 401
    assert guard(_environ(b"{}", HTTP_X_SLACK_SIGNATURE="v0=\u00e9"))[0] == 401
    assert guard({**_environ(b"{}"), "CONTENT_LENGTH": "ten"})[0] == 400
    assert guard({**_environ(b"{}"), "CONTENT_LENGTH": str(MAX_BODY + 1)})[0] == 413
    environ = _environ(b'{"type": "url_verification"}')
    assert guard(environ) is None
    assert environ["wsgi.input"].read() == b'{"type": "url_verification"}'  # left for Bolt's adapter to read
