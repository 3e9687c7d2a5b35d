"""Shared fixtures: the database every test runs against.

By default each test session gets a fresh SQLite file. With FITBOT_TEST_DATABASE_URL set (CI runs the
suite a second time with PostgreSQL), that database is wiped and migrated from scratch instead.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from storage.db import Database
from storage.migrate import upgrade

TABLES = ("outbox", "triages")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("FITBOT_TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'fitbot.db'}"
    if url.startswith("postgres"):
        db = Database(url)
        try:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            db.close()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def session_db(database_url):
    db = Database(database_url)
    yield db
    db.close()


@pytest.fixture
def db(session_db):
    """The test database, emptied before the test."""
    with session_db.engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    return session_db
