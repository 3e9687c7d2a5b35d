"""The App Home: what a viewer's tab shows. Published when they open it, and again through the outbox
(storage.home_tabs) when something it shows changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot import plans as plan_flow
from bot.message_kinds import PUBLISH, SlackCall
from bot.presentation.home import LISTED, home_view
from storage.desk import desk
from storage.models import utcnow
from storage.outbox import Claimed
from storage.triages import Workspace
from storage.writes import Write


def render_home(session: Session, workspace: Workspace, user_id: str) -> dict[str, Any]:
    found = desk(session, workspace, user_id, limit=LISTED)
    now = utcnow()
    return home_view(found, {plan.id: plan_flow.overdue(plan, found.plan_items[plan.id], now)
                             for plan, _, _ in found.plans})


class HomeRefresh:
    """views.publish of one viewer's tab, rendered as it is when the row is sent."""

    reads_database = True

    def preload(self, session: Session, rows: list[Claimed]) -> None:
        pass

    def render(self, session: Session, row: Claimed) -> SlackCall:
        user_id = row.payload["user_id"]
        return SlackCall(PUBLISH, {"user_id": user_id, "view": render_home(session, Workspace(row.team_id), user_id)})

    def unreachable(self, session: Session, row: Claimed, error: str) -> None:
        return None

    def after_send(self, row: Claimed, channel: str, ts: str | None) -> list[Write]:
        return []
