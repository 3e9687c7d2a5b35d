"""Alembic, driven from code: `fitbot serve` and `fitbot db upgrade` both call `upgrade()`; commands that
only read (`fitbot export`) ask `unmigrated()` first."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import make_url

from storage.db import READ_ONLY, Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


UPGRADE = "run `fitbot db upgrade` (or `fitbot serve`) first"


def unmigrated(db: Database) -> str | None:
    """Why `db` isn't at fitbot's latest schema (None when it is). A SQLite file that doesn't exist is reported
    without being created, and the check only reads (it never waits for SQLite's writer)."""
    parsed = make_url(db.url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return f"there is no database file at {parsed.database}; {UPGRADE}"
    with db.engine.execution_options(**{READ_ONLY: True}).connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    scripts = ScriptDirectory.from_config(alembic_config(db.url))
    head = scripts.get_current_head()
    if current is None:
        return f"it has no fitbot tables yet; {UPGRADE}"
    if current == head:
        return None
    if current not in {script.revision for script in scripts.walk_revisions()}:
        return f"its schema ({current}) is newer than this fitbot's ({head}); run a fitbot at least as recent"
    return f"its schema is at {current}, not the latest ({head}); {UPGRADE}"
