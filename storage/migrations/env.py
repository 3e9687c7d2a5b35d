"""Alembic environment: URL and metadata come from fitbot, not from an ini file."""

from alembic import context
from sqlalchemy import text

from storage.db import make_engine
from storage.models import Base

# Replicas starting together against one PostgreSQL take turns migrating.
_PG_MIGRATION_LOCK = 0x66697462  # "fitb"


def run_migrations_online() -> None:
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK})
                connection.commit()
    engine.dispose()


run_migrations_online()
