"""Engines. The database is `CLAIMS_DATABASE_URL`, default a SQLite file.

The unit of work is a core transaction, `with engine.begin() as conn:`, one per chunk of claims
(docs/architecture.md): no ORM session holds objects across a step. There is no session helper.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import weakref
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

DEFAULT_DATABASE_URL = "sqlite:///claims.db"


def database_url() -> str:
    return os.environ.get("CLAIMS_DATABASE_URL", DEFAULT_DATABASE_URL)


SQLITE_PAGE_BYTES = 4096
"""Product setting: the page size of a new SQLite database (an existing one keeps its own).
SQLite's default. 8 KiB pages were measured (docs/performance.md, fourth machine): the 100k
import 42,900 → 51,900 rows/s, but at 1M the nights' ratio to the floor 2.44–2.80 against
2.20–2.22 in every run with 4 KiB pages; the nights come first."""


DEFAULT_LOCK_TIMEOUT_SECONDS = 60
"""Product setting: how long a statement waits for a lock another connection holds before it
fails (SQLite busy_timeout, PostgreSQL lock_timeout); a night then fails and says so instead of
waiting until someone takes the database down (CLAIMS_DB_LOCK_TIMEOUT_SECONDS; 0 = no limit on
PostgreSQL)."""

DEFAULT_STATEMENT_TIMEOUT_SECONDS = 1800
"""Product setting: PostgreSQL statement_timeout, the longest one statement may run
(CLAIMS_DB_STATEMENT_TIMEOUT_SECONDS; 0 = no limit). A chunk is a few thousand claims; the
night's task time limit (flows.settings) is the same."""


def lock_timeout_seconds() -> float:
    return float(os.environ.get("CLAIMS_DB_LOCK_TIMEOUT_SECONDS", DEFAULT_LOCK_TIMEOUT_SECONDS))


def statement_timeout_seconds() -> float:
    return float(os.environ.get("CLAIMS_DB_STATEMENT_TIMEOUT_SECONDS", DEFAULT_STATEMENT_TIMEOUT_SECONDS))


def postgres_timeouts() -> str:
    """libpq `options` setting the session's lock and statement timeouts (milliseconds)."""
    return (f"-c lock_timeout={int(lock_timeout_seconds() * 1000)} "
            f"-c statement_timeout={int(statement_timeout_seconds() * 1000)}")


def busy_seconds() -> float:
    """how long a command waits for a SQLite file another process is writing: CLAIMS_DB_BUSY_SECONDS,
    else the lock timeout"""
    return float(os.environ.get("CLAIMS_DB_BUSY_SECONDS", lock_timeout_seconds()))


def _sha256_hex(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # the audit chain's hash for the moves written in SQL (services/nightly/sql_moves.py);
    # PostgreSQL has sha256 built in
    dbapi_connection.create_function("sha256_hex", 1, _sha256_hex, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_BYTES}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds() * 1000)}")
    cursor.close()


_SQLITE_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


@atexit.register
def _close_sqlite_files() -> None:
    """Close every SQLite engine's connections at exit, not leave them to interpreter teardown
    (which skips a connection holding a user function, such as sha256_hex): the last connection to
    close checkpoints the WAL into the file and removes it, so a copy of the file alone is the
    whole database."""
    for engine in list(_SQLITE_ENGINES):
        engine.dispose()


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_seconds()})
        event.listen(engine, "connect", _sqlite_pragmas)
        _SQLITE_ENGINES.add(engine)
        return engine
    given = make_url(url).query.get("options")  # e.g. a search_path: kept, timeouts added
    given = given if isinstance(given, str) else " ".join(given or ())
    options = f"{given} {postgres_timeouts()}".strip()
    return create_engine(url, pool_pre_ping=True, connect_args={"options": options})


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(database_url())
