"""App Home tabs fitbot keeps current: who has opened one, and the outbox row that publishes it again.

Each viewer has one refresh row, armed again whenever something their tab shows changes. The row is
rendered when it is sent, so however many changes arm it meanwhile, one publish shows them all. A change
that lands while the row is being sent (rendered already, perhaps without it) arms a second row, so it
is published too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from storage.models import HomeViewer, OutboxMessage, utcnow
from storage.outbox import CANCELLED, FAILED, PENDING, SENDING, SENT
from storage.triages import Workspace
from storage.upsert import insert_unless_exists
from storage.writes import Write

HOME = "home"
# A change usually comes with others (a plan and its items, a revision and its note): wait this long,
# so one publish shows them together.
SETTLE = timedelta(seconds=2)


def home_subject(user_id: str) -> str:
    return f"home:{user_id}"


def record_viewer(session: Session, workspace: Workspace, user_id: str) -> None:
    insert_unless_exists(session, HomeViewer.__table__, {"team_id": workspace.team_id, "user_id": user_id,
                                                         "opened_at": utcnow()}, ["team_id", "user_id"])


def _arm(key: str, only_if: str = "") -> text:
    """Only for viewers (a tab nobody opened isn't published), and only when the row isn't already waiting."""
    return text(
        "INSERT INTO outbox (team_id, dedupe_key, kind, channel_id, payload, subject, status, due_at, attempts,"
        # Typed: PostgreSQL won't guess one type for a parameter that is both selected and compared.
        f" created_at) SELECT team_id, CAST({key} AS VARCHAR(200)), '{HOME}', user_id, :payload,"
        f" CAST(:subject AS VARCHAR(64)), '{PENDING}', :due_at, 0,"
        f" :created_at FROM home_viewers WHERE team_id = :team_id AND user_id = :user_id{only_if}"
        f" ON CONFLICT (team_id, dedupe_key) DO UPDATE SET status = '{PENDING}', due_at = excluded.due_at,"
        " attempts = 0, last_error = NULL, lease_until = NULL, claimed_by = NULL"
        f" WHERE outbox.status IN ('{SENT}', '{CANCELLED}', '{FAILED}')"
    ).bindparams(*(bindparam(name, type_=OutboxMessage.__table__.c[name].type) for name in ("payload", "due_at",
                                                                                            "created_at")))


_REFRESH = _arm(":subject")
# The second row, while the first is being sent.
_AGAIN = _arm(":again", " AND EXISTS (SELECT 1 FROM outbox o WHERE o.team_id = :team_id"
                                     f" AND o.dedupe_key = :subject AND o.status = '{SENDING}')")


def refresh(workspace: Workspace, user_ids: set[str | None], now: datetime | None = None) -> list[Write]:
    """Writes that arm the Home refresh of each of `user_ids` who has opened fitbot's Home."""
    now = now or utcnow()
    return [Write(statement, {"team_id": workspace.team_id, "user_id": user, "subject": home_subject(user),
                              "again": f"{home_subject(user)}:again", "payload": {"user_id": user},
                              "due_at": now + SETTLE, "created_at": now})
            for user in sorted(u for u in user_ids if u) for statement in (_REFRESH, _AGAIN)]
