"""fitbot's Web API clients: kept-alive connections, with slack_sdk's answers, errors and retries unchanged."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.slack_client import KeepAliveWebClient, delivery_client, interactive_client
from tests.support.fake_slack import FakeSlack, Reply

SETTINGS = Settings(bot_token="xoxb-test", signing_secret="s", app_token=None, api_url="", database_url="sqlite://",
                    port=3000, log_level="INFO")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def settings_for(fake: FakeSlack) -> Settings:
    return replace(SETTINGS, api_url=fake.url)


def connections(fake: FakeSlack, method: str) -> list[int]:
    return [call.connection for call in fake.calls(method)]


def test_calls_from_one_thread_share_one_connection(fake: FakeSlack) -> None:
    client = delivery_client(settings_for(fake))
    for n in range(3):
        response = client.chat_postMessage(channel="C1", text=f"hello {n}")
        assert response["ok"] and response["channel"] == "C1"
    assert len(set(connections(fake, "chat.postMessage"))) == 1
    assert [c.params["text"] for c in fake.calls("chat.postMessage")] == ["hello 0", "hello 1", "hello 2"]


def test_each_thread_has_its_own_connection(fake: FakeSlack) -> None:
    client = delivery_client(settings_for(fake))
    threads = [threading.Thread(target=lambda: [client.auth_test() for _ in range(2)]) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ports = connections(fake, "auth.test")
    assert len(ports) == 6 and len(set(ports)) == 3


def test_a_connection_the_server_closed_is_replaced_without_an_error(fake: FakeSlack) -> None:
    client = delivery_client(settings_for(fake))
    client.auth_test()
    fake.drop_connections()  # what an idle timeout on Slack's side does
    assert client.chat_postMessage(channel="C1", text="still works")["ok"]
    first, second = connections(fake, "auth.test") + connections(fake, "chat.postMessage")
    assert first != second


def test_slack_errors_and_http_failures_raise_as_slack_sdk_does(fake: FakeSlack) -> None:
    client = delivery_client(settings_for(fake))
    fake.script("chat.postMessage", Reply(429, headers={"Retry-After": "7"}), Reply(503), {"ok": False,
                                                                                            "error": "is_archived"})
    for status, error, retry_after in ((429, "ratelimited", "7"), (503, None, None), (200, "is_archived", None)):
        with pytest.raises(SlackApiError) as info:
            client.chat_postMessage(channel="C1", text="x")
        assert info.value.response.status_code == status
        assert info.value.response.headers.get("Retry-After") == retry_after
        if error:
            assert info.value.response["error"] == error
    assert client.chat_postMessage(channel="C1", text="x")["ok"]  # the connection survived every error
    assert len(set(connections(fake, "chat.postMessage"))) == 1


def test_interactive_client_retries_once_on_429_and_5xx(fake: FakeSlack) -> None:
    client = interactive_client(settings_for(fake))
    fake.script("views.open", Reply(429, headers={"Retry-After": "1"}))
    fake.script("views.update", Reply(503))
    assert client.views_open(trigger_id="1.2.x", view={"type": "modal"})["ok"]
    assert client.views_update(view_id="V1", view={"type": "modal"})["ok"]
    assert [c.status for c in fake.calls("views.open")] == [429, 200]
    assert [c.status for c in fake.calls("views.update")] == [503, 200]


def test_unreachable_slack_is_a_connection_error() -> None:
    client = delivery_client(replace(SETTINGS, api_url="http://127.0.0.1:9/api/"))
    with pytest.raises(ConnectionError, match=r"cannot connect to 127\.0\.0\.1:9 "):
        client.auth_test()


def test_a_call_that_timed_out_is_not_sent_again(fake: FakeSlack) -> None:
    """A second views.open would find its trigger_id used by the first, which may have opened the modal."""
    client = KeepAliveWebClient(token="xoxb-test", base_url=fake.url, retries=1, timeout=0.5)
    fake.script("views.open", Reply(delay=1.0))
    with pytest.raises(TimeoutError):
        client.views_open(trigger_id="1.2.x", view={"type": "modal"})
    assert len(fake.calls("views.open")) == 1
