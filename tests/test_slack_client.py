"""fitbot's Web API clients: slack_sdk's WebClient and retry handlers, plus fitbot's two rules."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.slack_client import UnsentRequestRetryHandler, delivery_client, interactive_client, interactive_handlers
from tests.support.fake_slack import FakeSlack, Reply

SETTINGS = Settings(bot_token="xoxb-test", signing_secret="s", app_token=None, api_url="", database_url="sqlite://",
                    port=3000, log_level="INFO")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def settings_for(fake: FakeSlack) -> Settings:
    return replace(SETTINGS, api_url=fake.url)


def test_both_clients_are_slack_sdks_own(fake: FakeSlack) -> None:
    for client in (interactive_client(settings_for(fake)), delivery_client(settings_for(fake))):
        assert type(client) is WebClient
        assert client.base_url == fake.url
        assert client.chat_postMessage(channel="C1", text="hello")["ok"]
    assert [c.params["text"] for c in fake.calls("chat.postMessage")] == ["hello", "hello"]


def test_slack_errors_and_http_failures_raise_as_slack_sdk_does(fake: FakeSlack) -> None:
    client = delivery_client(settings_for(fake))
    fake.script("chat.postMessage", Reply(429, headers={"Retry-After": "7"}), Reply(503), {"ok": False,
                                                                                            "error": "is_archived"})
    for status, error in ((429, "ratelimited"), (503, None), (200, "is_archived")):
        with pytest.raises(SlackApiError) as info:
            client.chat_postMessage(channel="C1", text="x")
        assert info.value.response.status_code == status
        if error:
            assert info.value.response["error"] == error
    assert [c.status for c in fake.calls("chat.postMessage")] == [429, 503, 200]  # the dispatcher reschedules


def test_interactive_client_retries_once_on_a_short_429_and_on_5xx(fake: FakeSlack) -> None:
    client = interactive_client(settings_for(fake))
    fake.script("views.open", Reply(429, headers={"Retry-After": "1"}))
    fake.script("views.update", Reply(503))
    assert client.views_open(trigger_id="1.2.x", view={"type": "modal"})["ok"]
    assert client.views_update(view_id="V1", view={"type": "modal"})["ok"]
    calls = fake.calls("views.open")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 1.0  # Retry-After honoured
    assert [c.status for c in fake.calls("views.update")] == [503, 200]


def test_interactive_client_never_repeats_a_post_or_a_views_open_after_a_5xx(fake: FakeSlack) -> None:
    client = interactive_client(settings_for(fake))
    fake.script("chat.postMessage", Reply(500))
    fake.script("views.open", Reply(503))
    for call in (lambda: client.chat_postMessage(channel="U1", text="x"),
                 lambda: client.views_open(trigger_id="1.2.x", view={"type": "modal"})):
        with pytest.raises(SlackApiError):
            call()
    assert [c.status for c in fake.calls("chat.postMessage")] == [500]  # it may have been posted
    assert [c.status for c in fake.calls("views.open")] == [503]


def test_interactive_client_answers_at_once_when_slack_asks_for_a_long_wait(fake: FakeSlack) -> None:
    client = interactive_client(settings_for(fake))
    fake.script("views.open", Reply(429, headers={"Retry-After": "30"}))
    started = time.monotonic()
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id="1.2.x", view={"type": "modal"})
    assert info.value.response.status_code == 429
    assert time.monotonic() - started < 2
    assert len(fake.calls("views.open")) == 1


def test_a_request_that_never_left_is_retried_once_and_then_raises() -> None:
    retried = []

    class Counting(UnsentRequestRetryHandler):
        def prepare_for_next_attempt(self, **kwargs) -> None:
            retried.append(kwargs["error"])
            super().prepare_for_next_attempt(**kwargs)

    client = WebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", retry_handlers=[Counting()])
    with pytest.raises(OSError, match="Connection refused"):
        client.auth_test()
    assert len(retried) == 1  # the first refusal was tried again; the second one raised


def test_a_call_that_timed_out_is_not_sent_again(fake: FakeSlack) -> None:
    """A second views.open would find its trigger_id used by the first, which may have opened the modal."""
    client = WebClient(token="xoxb-test", base_url=fake.url, timeout=0.5, retry_handlers=interactive_handlers())
    fake.script("views.open", Reply(delay=1.0))
    with pytest.raises(TimeoutError):
        client.views_open(trigger_id="1.2.x", view={"type": "modal"})
    time.sleep(0.8)
    assert len(fake.calls("views.open")) == 1


def test_log_level_debug_shows_every_call_and_info_does_not(fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    delivery_client(replace(settings_for(fake), log_level="INFO")).chat_postMessage(channel="C1", text="unseen")
    assert not any("unseen" in r.getMessage() for r in caplog.records)
    delivery_client(replace(settings_for(fake), log_level="DEBUG")).chat_postMessage(channel="C1", text="seen")
    assert any("chat.postMessage" in r.getMessage() and "seen" in r.getMessage() for r in caplog.records)
