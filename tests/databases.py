"""Test databases: a fresh SQLite file, or a private schema in the shared PostgreSQL database.

A schema per test run (and per special test) lets several runs share PostgreSQL's `test` database
without wiping each other's tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.db import Database

POSTGRES_URL = os.environ.get("FITBOT_TEST_DATABASE_URL", "")
TABLES = ("outbox", "pulse_warnings", "pulses", "plan_items", "plans", "diagnoses", "triage_revisions", "triages",
          "home_viewers")


DEADLOCK = "40P01"  # PostgreSQL's SQLSTATE for a deadlock it broke by failing one side


def empty(db: Database, attempts: int = 5) -> None:
    """Delete every row fitbot stores (children first). An e2e module's fitbot may be sending meanwhile, and
    PostgreSQL can break the deadlock between its row locks and these deletes on our side: try again."""
    for attempt in range(1, attempts + 1):
        try:
            with db.engine.begin() as conn:
                for table in TABLES:
                    conn.execute(text(f"DELETE FROM {table}"))
            return
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != DEADLOCK or attempt == attempts:
                raise


@contextmanager
def private_database(name: str, sqlite_dir: Path) -> Iterator[str]:
    """A database URL nobody else uses, removed afterwards (PostgreSQL schemas) or left in a tmp dir (SQLite)."""
    if not POSTGRES_URL:
        yield f"sqlite:///{sqlite_dir / f'{name}.db'}"
        return
    schema = f"{name}_{os.getpid()}"
    admin = Database(POSTGRES_URL)
    try:
        conn = admin.engine.connect()
    except OperationalError as exc:
        admin.close()
        reason = str(exc.orig or exc).strip().splitlines()[0]
        pytest.exit(f"PostgreSQL at FITBOT_TEST_DATABASE_URL is unreachable ({reason}). Start it with: "
                    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start", returncode=3)
    conn.close()
    try:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in POSTGRES_URL else "?"
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.close()
