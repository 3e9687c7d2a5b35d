"""Alembic, driven from code: `fitbot serve` and `fitbot db upgrade` both call `upgrade()`; commands that
only read (`fitbot export`) ask `unmigrated()` first."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import make_url

from storage.db import make_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def unmigrated(url: str) -> str | None:
    """Why the database at `url` isn't at fitbot's latest schema (None when it is). A SQLite file that doesn't
    exist is reported without being created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return f"there is no database file at {parsed.database}"
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    if current is None:
        return "it has no fitbot tables yet"
    return None if current == head else f"its schema is at {current}, not the latest ({head})"
