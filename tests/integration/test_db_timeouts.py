"""A lock another connection holds makes a statement fail after the lock timeout, on SQLite
(busy_timeout) and PostgreSQL (lock_timeout), instead of waiting until someone takes the
database down; PostgreSQL also stops a statement past the statement timeout."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.exc import OperationalError

from models.db import make_engine
from models.tables import CLAIM


def test_a_held_lock_fails_the_waiting_statement_after_the_lock_timeout(
        engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_DB_LOCK_TIMEOUT_SECONDS", "1")
    waiting = make_engine(db_url)
    holder = engine.connect()
    try:
        tx = holder.begin()
        if engine.dialect.name == "sqlite":
            holder.execute(update(CLAIM).values(state="x"))  # takes the write lock
        else:
            holder.execute(text("LOCK TABLE claim IN ACCESS EXCLUSIVE MODE"))
        started = time.monotonic()
        with pytest.raises(OperationalError) as failed, waiting.begin() as conn:
            conn.execute(update(CLAIM).values(state="y"))
        assert time.monotonic() - started < 10
        assert ("lock timeout" in str(failed.value) or "database is locked" in str(failed.value))
        tx.rollback()
    finally:
        holder.close()
        waiting.dispose()


def test_postgresql_stops_a_statement_past_the_statement_timeout(
        engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("statement_timeout is PostgreSQL's; SQLite has the busy timeout only")
    monkeypatch.setenv("CLAIMS_DB_STATEMENT_TIMEOUT_SECONDS", "1")
    slow = make_engine(db_url)
    try:
        with pytest.raises(OperationalError, match="statement timeout"), slow.connect() as conn:
            conn.execute(text("SELECT pg_sleep(5)"))
        with slow.connect() as conn:
            assert conn.execute(text("SHOW search_path")).scalar() == \
                engine.connect().execute(text("SHOW search_path")).scalar(), "the test's schema kept"
    finally:
        slow.dispose()
