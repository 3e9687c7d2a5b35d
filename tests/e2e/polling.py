"""Listeners finish after the ack, so tests poll the database with a deadline instead of checking once."""

from __future__ import annotations

import time

from storage.models import OutboxMessage


def wait_for_row(db, row_id: int, status: str, timeout: float = 10.0) -> OutboxMessage:
    deadline = time.monotonic() + timeout
    while True:
        with db.unit_of_work() as s:
            row = s.get(OutboxMessage, row_id)
        if row is not None and row.status == status:
            return row
        if time.monotonic() >= deadline:
            raise AssertionError(f"outbox row {row_id} is {row and row.status!r}, expected {status!r} "
                                 f"(last error: {row and row.last_error})")
        time.sleep(0.05)
