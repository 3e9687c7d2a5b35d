"""Dispatcher outcomes against the loopback fake: pacing on 429, backoff, giving up visibly."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import event, select

from bot import dispatcher as dispatcher_module
from bot.dispatcher import Dispatcher, backoff
from bot.message_kinds import UPDATE, SlackCall, StoredMessage
from bot.onboarding import checklist, pulse
from bot.pacing import ChannelPacer
from bot.plan_messages import PLAN_KINDS
from bot.plans import PlanRequest, start_plan
from bot.pulse_messages import pulse_kinds
from bot.slack_client import UnsentRequestRetryHandler
from storage import outbox
from storage.models import OutboxMessage, utcnow
from storage.triages import Workspace
from tests.support.fake_slack import FakeSlack, Reply


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake


def _enqueue(db, *channels: str) -> None:
    with db.unit_of_work() as s:
        for i, channel in enumerate(channels):
            outbox.enqueue(s, Workspace("T0001"), dedupe_key=f"k{i}", kind="test", channel_id=channel,
                           payload={"text": f"message {i}"})


def _rows(db) -> list[OutboxMessage]:
    with db.unit_of_work() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_rate_limited_channel_holds_its_other_rows_but_not_other_channels(db, slack):
    _enqueue(db, "CBUSY", "CQUIET", "CBUSY", "CQUIET", "CBUSY", "CQUIET")
    # Slack rate-limits whichever channel's post arrives first (channels are sent in parallel).
    slack.script("chat.postMessage", Reply(status=429, headers={"Retry-After": "30"}))
    result = Dispatcher(db, _client(slack)).run_pass()
    limited = slack.calls("chat.postMessage")[0].params["channel"]
    assert (result.sent, result.retried) == (3, 3)
    assert [c.params["channel"] for c in slack.calls("chat.postMessage")].count(limited) == 1  # no second 429
    for row in _rows(db):
        if row.channel_id == limited:
            assert (row.status, row.last_error, row.attempts) == ("pending", "ratelimited", 0)
            assert timedelta(seconds=28) < row.due_at - utcnow() <= timedelta(seconds=30)
        else:
            assert row.status == "sent"


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(30) == timedelta(minutes=10)


def test_gives_up_after_max_attempts_and_records_why(db, slack, monkeypatch):
    monkeypatch.setattr(dispatcher_module, "MAX_ATTEMPTS", 2)
    monkeypatch.setattr(dispatcher_module, "backoff", lambda attempts: timedelta(0))
    _enqueue(db, "C1")
    slack.down(502)
    d = Dispatcher(db, _client(slack))
    assert d.run_pass().retried == 1
    assert d.run_pass().failed == 1
    (row,) = _rows(db)
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, "http_502 (gave up after 2 attempts)")


def test_connection_refused_is_retried(db):
    _enqueue(db, "C1")
    unreachable = WebClient(token="xoxb-x", base_url="http://127.0.0.1:9/api/", timeout=2)
    result = Dispatcher(db, unreachable).run_pass()
    assert result.retried == 1
    (row,) = _rows(db)
    assert row.status == "pending"
    assert row.last_error.startswith("connection error")


def test_revoked_token_fails_the_row_with_slacks_error(db, slack):
    _enqueue(db, "C1")
    slack.revoked_tokens.add("xoxb-gone")
    Dispatcher(db, WebClient(token="xoxb-gone", base_url=slack.url)).run_pass()
    (row,) = _rows(db)
    assert (row.status, row.last_error) == ("failed", "token_revoked")


def _client(slack, **kwargs) -> WebClient:
    """What delivery_client() builds."""
    return WebClient(token="xoxb-x", base_url=slack.url, retry_handlers=[UnsentRequestRetryHandler()], **kwargs)


def test_rate_limits_do_not_use_up_attempts_and_hold_the_channel_for_the_whole_pass(db, slack):
    _enqueue(db, *["CBUSY"] * 25)  # three claim batches
    slack.script("chat.postMessage", Reply(status=429, headers={"Retry-After": "30"}))
    result = Dispatcher(db, _client(slack)).run_pass()
    assert (result.sent, result.retried) == (0, 25)
    assert len(slack.calls("chat.postMessage")) == 1  # one 429, not one per batch
    assert {(r.status, r.attempts) for r in _rows(db)} == {("pending", 0)}


def test_a_failed_join_that_may_succeed_later_is_retried_not_sent_by_dm(db, slack):
    slack.add_channel("CPUB", member=False)
    with db.unit_of_work() as s:
        outbox.enqueue(s, Workspace("T0001"), dedupe_key="j", kind="test", channel_id="CPUB",
                       payload={"text": "hello"}, fallback_user_id="U0001")
    slack.script("conversations.join", Reply(status=503))
    assert Dispatcher(db, _client(slack)).run_pass().retried == 1
    (row,) = _rows(db)
    assert (row.status, row.last_error) == ("pending", "http_503")
    assert slack.messages() == []


class _GarbageServer:
    """Answers every connection with bytes that are not HTTP (a broken proxy)."""

    def __init__(self):
        import socket
        import threading

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.recv(65536)
            conn.sendall(b"GARBAGE\r\n\r\n")
            conn.close()


def test_a_broken_http_answer_is_retried_and_the_batch_goes_on(db):
    _enqueue(db, "C1", "C2")
    server = _GarbageServer()
    try:
        result = Dispatcher(db, WebClient(token="xoxb-x", base_url=f"http://127.0.0.1:{server.port}/api/")).run_pass()
    finally:
        server.sock.close()
    assert result.retried == 2
    assert all(r.status == "pending" and r.last_error.startswith("connection error") for r in _rows(db))


def test_rows_left_when_the_lease_runs_short_are_handed_back(db, slack, monkeypatch):
    monkeypatch.setattr(dispatcher_module, "ROW_BUDGET", dispatcher_module.LEASE)  # no time left at all
    _enqueue(db, "C1", "C2")
    d = Dispatcher(db, _client(slack))
    assert d.send_now([r.id for r in _rows(db)]).sent == 0
    assert slack.calls("chat.postMessage") == []
    assert {(r.status, r.attempts, r.claimed_by) for r in _rows(db)} == {("pending", 0, d.owner)}


def test_a_stopping_dispatcher_starts_no_new_work(db, slack):
    _enqueue(db, "C1")
    d = Dispatcher(db, _client(slack))
    d.stop()
    assert d.run_pass().sent == 0
    assert [r.status for r in _rows(db)] == ["pending"]


def test_rows_claimed_by_a_dispatcher_that_died_are_sent_by_another_after_the_lease(db, slack):
    _enqueue(db, "C1", "C2", "C3")
    with db.unit_of_work() as s:  # a dispatcher claims, then its process is killed before sending
        claimed = outbox.claim(s, owner="killed", lease=dispatcher_module.LEASE, limit=10)
    assert len(claimed) == 3
    survivor = Dispatcher(db, _client(slack), owner="survivor")
    assert survivor.run_pass().sent == 0  # the lease still holds
    with db.unit_of_work() as s:
        for row in s.scalars(select(OutboxMessage)):
            row.lease_until = utcnow() - timedelta(seconds=1)
    assert survivor.run_pass().sent == 3
    assert sorted(m["channel"] for m in slack.messages()) == ["C1", "C2", "C3"]
    assert {(r.status, r.claimed_by) for r in _rows(db)} == {("sent", "survivor")}


def test_a_dispatch_process_killed_mid_send_leaves_its_rows_to_another_after_the_lease(db, slack, database_url,
                                                                                       tmp_path):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    _enqueue(db, "C1", "C1", "C1")  # one channel: its rows go one after another
    slack.script("chat.postMessage", Reply(delay=30))  # Slack hangs on the first post
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "SLACK_BOT_TOKEN": "xoxb-x", "SLACK_API_URL": slack.url, "DATABASE_URL": database_url}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "dispatch"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        slack.wait_for("chat.postMessage", timeout=20)  # it has claimed the batch and is mid-send
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    rows = _rows(db)
    assert {r.status for r in rows} == {"sending"}
    assert {r.claimed_by.split(":")[1] for r in rows} == {str(proc.pid)}

    survivor = Dispatcher(db, _client(slack), owner="survivor")
    assert survivor.run_pass().sent == 0  # the dead process's lease still holds
    with db.unit_of_work() as s:  # two minutes later
        for row in s.scalars(select(OutboxMessage)):
            row.lease_until = utcnow() - timedelta(seconds=1)
    assert survivor.run_pass().sent == 3
    assert {(r.status, r.claimed_by) for r in _rows(db)} == {("sent", "survivor")}


class _BrokenForOneRow(StoredMessage):
    def render(self, session, row):
        if row.payload["text"] == "message 1":
            raise ValueError("a bug in one message")
        return super().render(session, row)


def test_a_row_that_fails_to_render_is_retried_and_the_rest_of_the_batch_goes_out(db, slack):
    _enqueue(db, "C1", "C1", "C2")
    with db.unit_of_work() as s:
        s.execute(OutboxMessage.__table__.update().values(kind="broken"))
    result = Dispatcher(db, _client(slack), kinds={"broken": _BrokenForOneRow()}).run_pass()
    assert (result.sent, result.retried) == (2, 1)
    assert sorted(m["text"] for m in slack.messages()) == ["message 0", "message 2"]  # channels go in parallel
    broken = next(r for r in _rows(db) if r.payload["text"] == "message 1")
    assert (broken.status, broken.last_error) == ("pending", "could not render: ValueError('a bug in one message')")


def test_a_rate_limited_channel_stays_held_in_the_next_passes_until_its_retry_after(db, slack):
    d = Dispatcher(db, _client(slack), pacer=ChannelPacer(1.0, burst=3))
    _enqueue(db, "CBUSY")
    slack.script("chat.postMessage", Reply(status=429, headers={"Retry-After": "30"}))
    assert d.run_pass().retried == 1
    with db.unit_of_work() as s:  # the next tick: more for the held channel, and for another one
        for key, channel in (("later-busy", "CBUSY"), ("later-quiet", "CQUIET")):
            outbox.enqueue(s, Workspace("T0001"), dedupe_key=key, kind="test", channel_id=channel,
                           payload={"text": key})
    result = d.run_pass()
    assert (result.sent, result.retried) == (1, 1)
    assert [c.params["channel"] for c in slack.calls("chat.postMessage")] == ["CBUSY", "CQUIET"]
    held = next(r for r in _rows(db) if r.payload["text"] == "later-busy")
    assert (held.status, held.attempts, held.last_error) == ("pending", 0, dispatcher_module.PACED)
    assert timedelta(seconds=28) < held.due_at - utcnow() <= timedelta(seconds=30)


def test_a_busy_channel_is_paced_in_order_and_other_channels_are_not(db, slack):
    _enqueue(db, "C1", "C1", "C1", "C1", "C1", "C2")
    started = utcnow()
    result = Dispatcher(db, _client(slack), pacer=ChannelPacer(1.0, burst=3)).run_pass()
    assert (result.sent, result.retried, result.failed) == (4, 2, 0)
    assert [m["text"] for m in slack.messages() if m["channel"] == "C1"] == ["message 0", "message 1", "message 2"]
    assert [m["text"] for m in slack.messages() if m["channel"] == "C2"] == ["message 5"]
    waiting = [r for r in _rows(db) if r.status == "pending"]
    assert [r.payload["text"] for r in waiting] == ["message 3", "message 4"]
    assert all((r.attempts, r.last_error) == (0, dispatcher_module.PACED) for r in waiting)
    first, second = (r.due_at - started for r in waiting)
    assert timedelta(seconds=0.5) < first < timedelta(seconds=2) and second - first == timedelta(seconds=1)


class _Edit(StoredMessage):
    def render(self, session, row):
        return SlackCall(UPDATE, {"channel": row.channel_id, "ts": "1.000001", "text": row.payload["text"]})


def test_edits_are_not_paced(db, slack):
    """Slack's per-channel limit is on posting: a burst of edits (clicks on nudges) goes out at once."""
    _enqueue(db, "C1", "C1", "C1", "C1", "C1")
    with db.unit_of_work() as s:
        s.execute(OutboxMessage.__table__.update().values(kind="edit"))
    result = Dispatcher(db, _client(slack), kinds={"edit": _Edit()}, pacer=ChannelPacer(1.0, burst=3)).run_pass()
    assert (result.sent, result.retried) == (5, 0)
    assert len(slack.calls("chat.update")) == 5


class _Withdrawable(StoredMessage):
    """Rows whose text is in `withdrawn` no longer apply (as a reminder whose item was closed)."""

    def __init__(self) -> None:
        self.withdrawn: set[str] = set()

    def render(self, session, row):
        return None if row.payload["text"] in self.withdrawn else super().render(session, row)


def test_when_slack_is_slow_the_rest_of_a_channel_is_rendered_again_before_it_is_sent(db, slack, monkeypatch):
    monkeypatch.setattr(dispatcher_module, "FRESH_FOR", 0.2)
    _enqueue(db, "C1", "C1", "C1")
    with db.unit_of_work() as s:
        s.execute(OutboxMessage.__table__.update().values(kind="withdrawable"))
    kind = _Withdrawable()
    slack.script("chat.postMessage", Reply(delay=0.6))  # the first message takes a while
    threading.Timer(0.2, kind.withdrawn.add, ["message 1"]).start()  # meanwhile, the second stops applying
    result = Dispatcher(db, _client(slack), kinds={"withdrawable": kind}).run_pass()
    assert result.sent == 2
    assert [m["text"] for m in slack.messages()] == ["message 0", "message 2"]
    assert [r.status for r in _rows(db)] == ["sent", "cancelled", "sent"]


def test_a_sent_row_is_recorded_soon_even_while_the_next_call_waits_on_slack(db, slack):
    """What a hard crash would send twice stays small: rows are not left unrecorded until the batch ends."""
    _enqueue(db, "C1", "C1")
    slack.script("chat.postMessage", Reply(), Reply(delay=1.0))  # the second post takes a second
    during: list[str] = []
    look = threading.Timer(0.5, lambda: during.extend(r.status for r in _rows(db)))
    look.start()
    result = Dispatcher(db, _client(slack)).run_pass()
    look.join()
    assert during == ["sent", "sending"]
    assert result.sent == 2
    assert [r.status for r in _rows(db)] == ["sent", "sent"]


class _UnrecordableForOneRow(StoredMessage):
    def after_send(self, row, channel, ts):
        if row.payload["text"] == "message 1":
            raise ValueError("a bug in what one sent message means")
        return super().after_send(row, channel, ts)


def test_a_sent_row_that_cannot_be_recorded_does_not_keep_the_others_unrecorded(db, slack):
    _enqueue(db, "C1", "C1", "C2", "C3")
    with db.unit_of_work() as s:
        s.execute(OutboxMessage.__table__.update().values(kind="unrecordable"))
    d = Dispatcher(db, _client(slack), kinds={"unrecordable": _UnrecordableForOneRow()})
    assert d.run_pass().sent == 3
    assert {r.payload["text"]: r.status for r in _rows(db)} == {
        "message 0": "sent", "message 1": "sending", "message 2": "sent", "message 3": "sent"}
    with db.unit_of_work() as s:
        outbox.enqueue(s, Workspace("T0001"), dedupe_key="later", kind="test", channel_id="C1",
                       payload={"text": "a later message"})
    assert d.run_pass().sent == 1  # recording still works for what comes next
    assert [r.status for r in _rows(db) if r.payload["text"] == "a later message"] == ["sent"]


def test_when_one_channel_fails_the_rows_other_channels_sent_are_still_recorded(db, slack, monkeypatch):
    _enqueue(db, "C2", "C1")
    with db.unit_of_work() as s:
        s.execute(OutboxMessage.__table__.update().values(kind="broken"))  # C1's row, message 1, fails to render
    slack.script("chat.postMessage", Reply(delay=0.3))  # C2's post answers after C1's sender has failed

    def database_blip(*args, **kwargs):
        raise RuntimeError("the database went away for a moment")

    monkeypatch.setattr(outbox, "reschedule", database_blip)  # so C1's retry can't be stored
    with pytest.raises(RuntimeError):
        Dispatcher(db, _client(slack), kinds={"broken": _BrokenForOneRow()}).run_pass()
    assert {r.payload["text"]: r.status for r in _rows(db)} == {"message 0": "sent", "message 1": "sending"}


def test_plan_messages_of_a_batch_are_read_together_not_row_by_row(db, slack, monkeypatch):
    monkeypatch.setattr(dispatcher_module, "BATCH", 20)  # several batches
    for n in range(5):
        start_plan(db, checklist.load(), Workspace("T0001"), check_ins=pulse.load(), view_id=f"V{n}",
                   created_by="U0LEAD", triage_id=None,
                   request=PlanRequest(engineer_user_id=f"UE{n}", engineer_name=None, manager_user_id="U0MGR",
                                       buddy_user_id=None, channel_id=f"C{n}", start_date=utcnow().date()
                                       - timedelta(days=100), timezone="America/Chicago", nudge_time="09:00"))
    statements = []

    def record(conn, cursor, statement, *_):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        result = Dispatcher(db, _client(slack), kinds={**PLAN_KINDS, **pulse_kinds(pulse.load())}).run_pass()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    nudges = [m for m in slack.messages() if any(b.get("block_id", "").startswith("item:") for b in m["blocks"])]
    assert result.sent > dispatcher_module.BATCH and len(nudges) > 60
    item_reads = [s for s in statements if s.lstrip().startswith("SELECT") and "FROM plan_items" in s]
    digests = len([m for m in slack.messages() if "progress" in m["text"].lower()])
    # One read per batch (and one per digest, which counts every item of its plan).
    assert len(item_reads) <= -(-result.sent // dispatcher_module.BATCH) + digests
