"""Engine and session factory: SQLite (one process) or PostgreSQL (several replicas)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

READ_ONLY = "fitbot_read_only"  # execution option of the engine behind Database.read()


def make_engine(url: str) -> Engine:
    """Build the engine; SQLite gets WAL and a busy timeout so threads wait instead of failing.

    SQLite transactions start with BEGIN IMMEDIATE: the write lock is taken at the start, so a unit of
    work reads and writes one consistent state, the way row locks (FOR UPDATE) make it on PostgreSQL.
    pysqlite would otherwise begin only at the first write, after the reads a decision was based on.
    Read-only sessions (`Database.read`) begin deferred instead: in WAL mode they read a snapshot
    without waiting for the writer.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun by the listener below
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # With WAL, NORMAL syncs at checkpoints rather than every commit: a crash of fitbot loses
            # nothing; a power cut may lose the last commits but never corrupts the file.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)


class Database:
    """Owns the engine; `unit_of_work()` is the one way code gets a session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(self.engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back if it raises."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session that only reads (the dispatcher rendering a message); it never waits for SQLite's writer.

        It ends with a commit, not a rollback: psycopg forgets the connection's prepared statements at every
        ROLLBACK, and the dispatcher's statements would be parsed and planned again on each batch.
        """
        with self._readers() as session:  # if the block raises, closing the session rolls back
            yield session
            session.commit()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A plain connection in a transaction, for hot paths that need no ORM objects (the dispatcher)."""
        with self.engine.begin() as connection:
            yield connection

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def close(self) -> None:
        self.engine.dispose()
