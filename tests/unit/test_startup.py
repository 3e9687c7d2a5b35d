"""Start-up tells a token Slack rejects from a Slack that can't be reached, and waits out the second."""

import pytest
from slack_sdk import WebClient

from bot.startup import StartupError, wait_for_slack
from tests.support.fake_slack import FakeSlack, Reply


class Clock:
    def __init__(self) -> None:
        self.now, self.slept = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_rejected_token_stops_at_once_naming_the_setting():
    with FakeSlack() as slack:
        slack.revoked_tokens.add("xoxb-gone")
        clock = Clock()
        with pytest.raises(StartupError) as info:
            wait_for_slack(WebClient(token="xoxb-gone", base_url=slack.url), sleep=clock.sleep, clock=lambda: clock.now)
    assert str(info.value).startswith("SLACK_BOT_TOKEN: Slack rejected the token (token_revoked).")
    assert clock.slept == []


def test_an_unreachable_slack_is_tried_again_with_backoff_then_named_as_such():
    clock, reasons = Clock(), []
    client = WebClient(token="xoxb-1", base_url="http://127.0.0.1:9/api/", retry_handlers=[])
    with pytest.raises(StartupError) as info:
        wait_for_slack(client, patience=40, on_retry=reasons.append, sleep=clock.sleep, clock=lambda: clock.now)
    assert clock.slept == [1, 2, 4, 8, 16]
    assert "Connection refused" in reasons[0]
    assert str(info.value).startswith("SLACK_API_URL: Slack can't be reached at http://127.0.0.1:9/api/ (")
    assert "rejected" not in str(info.value)


def test_slack_5xx_is_waited_out_like_the_network():
    with FakeSlack() as slack:
        slack.script("auth.test", Reply(503), Reply(503))
        clock = Clock()
        wait_for_slack(WebClient(token="xoxb-1", base_url=slack.url, retry_handlers=[]), sleep=clock.sleep,
                       clock=lambda: clock.now)
    assert clock.slept == [1, 2]


def test_an_answer_that_is_not_slacks_is_a_wrong_api_url_not_a_rejected_token():
    with FakeSlack() as slack:
        slack.script("auth.test", {"ok": False, "error": "unknown_method"})
        with pytest.raises(StartupError) as info:
            wait_for_slack(WebClient(token="xoxb-1", base_url=slack.url, retry_handlers=[]))
    assert str(info.value).startswith("SLACK_API_URL: ")
