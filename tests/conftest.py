"""Shared fixtures: the database every test runs against.

By default each test session gets a fresh SQLite file. With FITBOT_TEST_DATABASE_URL set (CI runs the
suite a second time with PostgreSQL), the session gets its own schema there, migrated from scratch.
"""

from __future__ import annotations

import pytest

from storage.db import Database
from storage.migrate import upgrade
from tests.databases import empty, private_database


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with private_database("fitbot_test", tmp_path_factory.mktemp("db")) as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def session_db(database_url):
    db = Database(database_url)
    yield db
    db.close()


@pytest.fixture
def db(session_db):
    """The test database, emptied before the test."""
    empty(session_db)
    return session_db
