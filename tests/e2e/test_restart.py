"""Killing fitbot loses nothing: the restarted process delivers what was queued or came due meanwhile, once."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxMessage, utcnow
from tests.databases import private_database
from tests.e2e import plan_payloads as pp
from tests.e2e import triage_payloads as tp
from tests.e2e.fitbot_process import FitbotProcess
from tests.e2e.polling import wait_for_row
from tests.support.fake_slack import FakeSlack


@pytest.fixture
def own_database_url(tmp_path):
    """A database no other fitbot process touches (the module's test server would deliver the row itself)."""
    with private_database("fitbot_restart", tmp_path) as url:
        yield url


def test_killed_after_ack_delivers_after_restart(own_database_url, tmp_path):
    with FakeSlack() as slack:
        fitbot = FitbotProcess(database_url=own_database_url, api_url=slack.url, workdir=tmp_path).start()
        try:
            slack.down(503)
            response = fitbot.post(tp.submission(tp.AUGMENTATION, channel_id="C0100"))
            assert response.json()["response_action"] == "update"
            slack.wait_for("chat.postMessage")  # the immediate attempt failed
            db = Database(own_database_url)
            with db.unit_of_work() as s:
                row_id = s.scalars(select(OutboxMessage.id)).one()
            wait_for_row(db, row_id, "pending")  # queued for a retry
        finally:
            fitbot.kill()  # SIGKILL: no chance to clean up
        slack.up()
        calls_before = len(slack.calls("chat.postMessage"))

        restarted = FitbotProcess(database_url=own_database_url, api_url=slack.url, workdir=tmp_path).start()
        try:
            (delivered,) = slack.wait_for("chat.postMessage", predicate=lambda c: c.ok, timeout=20)
            assert delivered.params["channel"] == "C0100"
            wait_for_row(db, row_id, "sent")
            db.close()
            assert len([c for c in slack.calls("chat.postMessage")[calls_before:] if c.ok]) == 1
        finally:
            assert restarted.stop() == 0  # SIGTERM drains and exits cleanly


def test_nudges_missed_while_down_go_out_once_on_restart_and_say_when_they_are_late(own_database_url, tmp_path):
    with FakeSlack() as slack:
        fitbot = FitbotProcess(database_url=own_database_url, api_url=slack.url, workdir=tmp_path).start()
        try:
            form = pp.plan_form(start=date.today() + timedelta(days=30))
            assert fitbot.post(pp.plan_submission(form)).json()["response_action"] == "update"
        finally:
            fitbot.kill()
        db = Database(own_database_url)
        with db.unit_of_work() as s:  # fitbot stayed down while two nudges came due: 3 days ago and 2 hours ago
            first, second = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge")
                                      .order_by(OutboxMessage.due_at).limit(2)).all()
            for row, missed_by in ((first, timedelta(days=3)), (second, timedelta(hours=2))):
                row.due_at = utcnow() - missed_by
                row.payload = {**row.payload, "due": row.due_at.isoformat()}
            missed = {first.payload["item_id"]: "late", second.payload["item_id"]: "on time"}

        restarted = FitbotProcess(database_url=own_database_url, api_url=slack.url, workdir=tmp_path).start()
        try:
            slack.wait_for("chat.postMessage", count=2, timeout=20)
            wait_for_row(db, first.id, "sent")
            wait_for_row(db, second.id, "sent")
            time.sleep(2.5)  # more than a tick of the scheduler: nothing goes out twice
        finally:
            assert restarted.stop() == 0
        db.close()
        posts = slack.calls("chat.postMessage")
        assert len(posts) == 2
        notes = {int(c.params["blocks"][-1]["block_id"].split(":")[1]):
                 "late" if "This reminder is late" in json.dumps(c.params["blocks"]) else "on time" for c in posts}
        assert notes == missed
