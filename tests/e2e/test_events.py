"""Events API: retries never produce a second message; App Home shows the workspace's triages."""

from __future__ import annotations

import time

from sqlalchemy import select

from storage.models import OutboxMessage
from tests.support import slack_requests as sr


def test_mention_retry_posts_one_reply(fitbot, slack, db):
    event = sr.app_mention_event("hi, what can you do?", channel="C0009")
    body = sr.event_callback(event, event_id="Ev0RETRY01")
    assert fitbot.post(body).status == 200
    # Slack redelivers the same event when it thinks the first delivery timed out.
    retry = fitbot.post(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status == 200
    (reply,) = slack.wait_for("chat.postMessage")
    assert reply.params["channel"] == "C0009"
    assert reply.params["thread_ts"] == event["ts"]
    assert "/fit [company]" in reply.params["blocks"][0]["text"]["text"]
    time.sleep(2.5)  # longer than a dispatcher tick
    assert len(slack.calls("chat.postMessage")) == 1
    with db.unit_of_work() as s:
        assert s.scalars(select(OutboxMessage.dedupe_key)).all() == ["event:Ev0RETRY01"]


def test_url_verification_echoes_the_challenge(fitbot):
    response = fitbot.post(sr.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"))
    assert response.status == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
