"""The App Home refresh row: only for people who opened the tab, one per viewer however many changes arm
it, and armed again once it has been sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage import home_tabs, outbox
from storage.models import OutboxMessage
from storage.triages import Workspace
from storage.writes import run_together

WS = Workspace("T0001")


def _rows(db) -> list[tuple[str, str]]:
    with db.unit_of_work() as s:
        return [(r.channel_id, r.status) for r in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_refresh_rows_exist_for_viewers_only_and_once_while_waiting(db):
    with db.unit_of_work() as s:
        home_tabs.record_viewer(s, WS, "U1")
        home_tabs.record_viewer(s, WS, "U1")  # opened twice: one viewer
    for _ in range(3):
        with db.unit_of_work() as s:
            run_together(s, home_tabs.refresh(WS, {"U1", "U2", None}))
    assert _rows(db) == [("U1", "pending")]


def test_a_change_while_the_refresh_is_being_sent_arms_a_second_row(db):
    with db.unit_of_work() as s:
        home_tabs.record_viewer(s, WS, "U1")
        run_together(s, home_tabs.refresh(WS, {"U1"}))
    with db.unit_of_work() as s:  # claimed: rendered, perhaps before the change below
        outbox.claim(s, owner="d", lease=timedelta(minutes=1), limit=10, due_by=outbox.utcnow() + timedelta(seconds=5))
    for _ in range(2):
        with db.unit_of_work() as s:
            run_together(s, home_tabs.refresh(WS, {"U1"}))
    assert _rows(db) == [("U1", "sending"), ("U1", "pending")]


def test_a_sent_refresh_is_armed_again_by_the_next_change(db):
    with db.unit_of_work() as s:
        home_tabs.record_viewer(s, WS, "U1")
        run_together(s, home_tabs.refresh(WS, {"U1"}))
    with db.unit_of_work() as s:
        (row,) = outbox.claim(s, owner="d", lease=timedelta(minutes=1), limit=10,
                              due_by=outbox.utcnow() + timedelta(seconds=5))
        outbox.mark_sent(s, "d", [outbox.Delivered(row.id, "U1", None, None)])
    assert _rows(db) == [("U1", "sent")]
    with db.unit_of_work() as s:
        run_together(s, home_tabs.refresh(WS, {"U1"}))
    assert _rows(db) == [("U1", "pending")]
