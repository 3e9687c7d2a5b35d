"""Dialect-specific INSERT … ON CONFLICT for SQLite and PostgreSQL: duplicates from Slack retries are not errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Integer, Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

# Handlers work in an ORM Session; the dispatcher's hot path uses a plain Connection. Both execute.
Executor = Session | Connection


def is_postgres(executor: Executor) -> bool:
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    return bind.dialect.name == "postgresql"


def conflict_insert(executor: Executor, table: Table) -> Any:
    """INSERT for `table` in the executor's dialect, which offers on_conflict_do_nothing / _do_update."""
    return (postgresql if is_postgres(executor) else sqlite).insert(table)


def insert_unless_exists(session: Session, table: Table, values: dict[str, Any], conflict: list[str]) -> int | None:
    """Insert a row and return its id, or None when a row with the same `conflict` columns exists."""
    stmt = conflict_insert(session, table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    return session.execute(stmt.returning(table.c.id)).scalar_one_or_none()


def among(executor: Executor, column: Any, values: Iterable[int]) -> ColumnElement[bool]:
    """`column IN values`, as one array parameter on PostgreSQL: the SQL text is the same whatever the
    number of values, so the driver's and the server's statement caches keep hitting."""
    values = list(values)
    if is_postgres(executor):
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(Integer)))
    return column.in_(values)


def among_parameter(postgres: bool, column: Any, name: str) -> ColumnElement[bool]:
    """`among`, for a statement built once: the list is the parameter `name`, bound at each execution."""
    if postgres:
        return column == any_(bindparam(name, type_=postgresql.ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))
