"""Killing fitbot between the ack and the post loses nothing: the restarted process delivers it, once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxMessage
from tests.databases import private_database
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
