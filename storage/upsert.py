"""INSERT … ON CONFLICT DO NOTHING for both dialects: duplicates from Slack retries are not errors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_unless_exists(session: Session, table: Table, values: dict[str, Any], conflict: list[str]) -> int | None:
    """Insert a row and return its id, or None when a row with the same `conflict` columns exists."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(table.c.id)
    )
    return session.execute(stmt).scalar_one_or_none()
