"""FakeSlack behaves as specified when driven by a real slack_sdk WebClient over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.support.fake_slack import BOT_USER_ID, FakeSlack, Reply


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.url)


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response["error"]


def test_post_message_records_the_call_and_answers_like_slack(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C0001", text="hi", blocks=[{"type": "divider"}])
    second = client.chat_postMessage(channel="U0042", text="dm")

    assert first["channel"] == "C0001"
    assert first["message"]["user"] == BOT_USER_ID
    assert float(second["ts"]) > float(first["ts"])
    assert second["channel"].startswith("D")
    [call, _] = fake.wait_for("chat.postMessage", count=2)
    assert call.token == "xoxb-test"
    assert call.params["blocks"] == [{"type": "divider"}]
    assert [m["text"] for m in fake.messages("C0001")] == ["hi"]


def test_channel_world_gives_realistic_delivery_errors() -> None:
    with FakeSlack(strict_channels=True) as fake:
        client = WebClient(token="xoxb-test", base_url=fake.url)
        fake.add_channel("C0PUB", member=False)
        fake.add_channel("G0PRIV", private=True, member=False)
        fake.add_channel("C0OLD", archived=True)

        def post(channel: str) -> str:
            return error_of(lambda: client.chat_postMessage(channel=channel, text="x"))

        assert post("C0PUB") == "not_in_channel"
        assert post("G0PRIV") == "channel_not_found"
        assert post("C0NONE") == "channel_not_found"
        assert post("C0OLD") == "is_archived"
        assert error_of(lambda: client.conversations_join(channel="G0PRIV")) == (
            "method_not_supported_for_channel_type"
        )

        assert client.conversations_join(channel="C0PUB")["channel"]["id"] == "C0PUB"
        assert client.chat_postMessage(channel="C0PUB", text="x")["ok"]
        assert len(fake.messages()) == 1


def test_tokens_and_unknown_methods(fake: FakeSlack, client: WebClient) -> None:
    fake.revoked_tokens.add("xoxb-test")
    assert error_of(client.auth_test) == "token_revoked"
    assert error_of(WebClient(base_url=fake.url).auth_test) == "not_authed"
    assert error_of(lambda: client.api_call("no.such.method")) == "unknown_method"


def test_form_bodies_have_json_fields_decoded(fake: FakeSlack, client: WebClient) -> None:
    view = {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    response = client.api_call("views.open", params={"trigger_id": "1.2.3", "view": json.dumps(view)})

    assert fake.calls("views.open")[0].params["view"] == view
    assert response["view"]["id"].startswith("V")
    assert response["view"]["callback_id"] == "cb"
    assert response["view"]["hash"]


def test_scripted_429_carries_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.script("chat.postMessage", Reply(status=429))

    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0001", text="x")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "1"
    assert client.chat_postMessage(channel="C0001", text="x")["ok"]  # script consumed


def test_scripted_delay_simulates_a_slow_slack(fake: FakeSlack, client: WebClient) -> None:
    fake.script("auth.test", Reply(delay=0.3))
    started = time.monotonic()
    assert client.auth_test()["ok"]
    assert time.monotonic() - started >= 0.3


def test_down_and_up(fake: FakeSlack, client: WebClient) -> None:
    fake.down()
    with pytest.raises(SlackApiError) as info:
        client.auth_test()
    assert info.value.response.status_code == 503
    fake.up()
    assert client.auth_test()["ok"]


def test_wait_for_timeout_lists_what_arrived(fake: FakeSlack, client: WebClient) -> None:
    client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*got 0[\s\S]*auth\.test -> 200 ok"):
        fake.wait_for("chat.postMessage", timeout=0.1)
    fake.assert_no_call("chat.postMessage", during=0.05)
