"""Outbox claims on the real database: leases, exclusivity, and two dispatchers draining together."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select, text

from bot.dispatcher import Dispatcher
from storage import outbox
from storage.models import OutboxMessage
from storage.triages import Workspace
from tests.support.fake_slack import FakeSlack

WS = Workspace("T0001")


def _enqueue(db, n: int, channel: str = "C0001") -> list[int]:
    with db.unit_of_work() as s:
        return [outbox.enqueue(s, WS, dedupe_key=f"k{i}", kind="test", channel_id=channel,
                               payload={"text": f"message {i}"}) for i in range(n)]


def test_duplicate_dedupe_key_is_ignored(db):
    first = _enqueue(db, 1)
    assert first[0] is not None
    assert _enqueue(db, 1) == [None]


def test_a_claimed_row_is_not_claimed_again_until_its_lease_expires(db):
    _enqueue(db, 1)
    with db.unit_of_work() as s:
        (claimed,) = outbox.claim(s, owner="a", lease=timedelta(minutes=5), limit=10)
    with db.unit_of_work() as s:
        assert outbox.claim(s, owner="b", lease=timedelta(minutes=5), limit=10) == []
    with db.unit_of_work() as s:  # owner "a" died: shorten its lease to the past
        s.get(OutboxMessage, claimed.id).lease_until -= timedelta(minutes=10)
    with db.unit_of_work() as s:
        (again,) = outbox.claim(s, owner="b", lease=timedelta(minutes=5), limit=10)
    assert (again.id, again.attempts) == (claimed.id, 2)
    with db.unit_of_work() as s:  # the dead owner's late answer changes nothing
        assert outbox.mark_sent(s, "a", [outbox.Delivered(claimed.id, "C0001", "1.0", None)]) == set()
        assert outbox.mark_sent(s, "b", [outbox.Delivered(claimed.id, "C0001", "2.0", None)]) == {claimed.id}
    with db.unit_of_work() as s:
        row = s.get(OutboxMessage, claimed.id)
        assert (row.status, row.sent_ts, row.claimed_by) == ("sent", "2.0", "b")


def test_start_up_release_makes_claimed_rows_claimable_at_once(db):
    _enqueue(db, 2)
    with db.unit_of_work() as s:
        assert len(outbox.claim(s, owner="crashed", lease=timedelta(minutes=5), limit=10)) == 2
    with db.unit_of_work() as s:
        assert outbox.release_all_claims(s) == 2
    with db.unit_of_work() as s:
        assert len(outbox.claim(s, owner="restarted", lease=timedelta(minutes=5), limit=10)) == 2


def test_rows_not_yet_due_wait(db):
    with db.unit_of_work() as s:
        outbox.enqueue(s, WS, dedupe_key="later", kind="test", channel_id="C1", payload={"text": "x"},
                       due_at=outbox.utcnow() + timedelta(hours=1))
    with db.unit_of_work() as s:
        assert outbox.claim(s, owner="a", lease=timedelta(minutes=1), limit=10) == []


def test_two_dispatchers_send_each_row_exactly_once(db):
    if not db.is_postgres:
        pytest.skip("several dispatchers share one database only on PostgreSQL")
    _enqueue(db, 1000)
    with FakeSlack() as slack:
        dispatchers = [Dispatcher(db, WebClient(token="xoxb-x", base_url=slack.url), owner=f"d{i}")
                       for i in range(2)]
        results = []
        start = threading.Barrier(2)

        def drain(dispatcher: Dispatcher) -> None:
            start.wait()  # both claim against the same backlog at once
            results.append(dispatcher.run_pass())

        threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        texts = [m["text"] for m in slack.messages()]
    assert len(texts) == 1000
    assert len(set(texts)) == 1000
    assert sum(r.sent for r in results) == 1000  # no row counted by both
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).where(OutboxMessage.status == "sent")) == 1000


def test_postgres_vacuums_the_outbox_early(db):
    if not db.is_postgres:
        pytest.skip("autovacuum is a PostgreSQL setting")
    with db.engine.connect() as conn:
        options = conn.execute(text("SELECT reloptions FROM pg_class WHERE oid = 'outbox'::regclass")).scalar_one()
    assert set(options) >= {"autovacuum_vacuum_scale_factor=0.01", "autovacuum_analyze_scale_factor=0.02"}
