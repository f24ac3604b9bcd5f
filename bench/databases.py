"""Fresh benchmark databases: a temp SQLite file, or a fresh schema on a PostgreSQL server, and
a copy of the imported claims for the floor on the same kind of database."""

from __future__ import annotations

import os
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import SQLModel

from models.db import make_engine
from models.schema import upgrade


def _copied_tables() -> list[str]:
    """Every product table but the schema version, in foreign-key order."""
    return [t.name for t in SQLModel.metadata.sorted_tables if t.name != "schema_version"]


@dataclass
class BenchDatabase:
    url: str
    engine: Engine
    schema: str | None = None
    """the PostgreSQL schema to drop afterwards (None for SQLite)"""


def _driver_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _admin(url: str) -> Engine:
    return create_engine(_driver_url(url), isolation_level="AUTOCOMMIT")


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def fresh(server_url: str | None, workdir: Path, name: str) -> BenchDatabase:
    """A new empty database at the current schema version."""
    if server_url is None or server_url.startswith("sqlite"):
        url = f"sqlite:///{workdir / (name + '.db')}"
        schema = None
    else:
        schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        admin = _admin(server_url)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        url = _with_search_path(server_url, schema)
    engine = make_engine(url)
    upgrade(engine)
    return BenchDatabase(url, engine, schema)


def clone_imported(source: BenchDatabase, server_url: str | None, workdir: Path, name: str) -> BenchDatabase:
    """A second database holding exactly what import wrote into `source` (the floor starts there)."""
    if source.schema is None:
        path = workdir / (name + ".db")
        raw = source.engine.raw_connection()
        try:
            target = sqlite3.connect(path)
            raw.driver_connection.backup(target)  # type: ignore[union-attr]
            target.close()
        finally:
            raw.close()
        url = f"sqlite:///{path}"
        return BenchDatabase(url, make_engine(url), None)
    assert server_url is not None
    copy = fresh(server_url, workdir, name)
    with copy.engine.begin() as conn:
        for table in _copied_tables():
            conn.execute(text(f'INSERT INTO "{copy.schema}".{table} SELECT * FROM "{source.schema}".{table}'))
            if "id" in SQLModel.metadata.tables[table].c:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{copy.schema}\".{table}', 'id'), "
                                  f'COALESCE((SELECT MAX(id) FROM "{copy.schema}".{table}), 0) + 1, false)'))
    return copy


def drop(database: BenchDatabase, server_url: str | None) -> None:
    database.engine.dispose()
    if database.schema and server_url:
        admin = _admin(server_url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{database.schema}" CASCADE'))
        admin.dispose()


def analyze(database: BenchDatabase) -> None:
    """Fresh planner statistics for every product table of this database (PostgreSQL: table by
    table in its schema, never the whole server's database; SQLite: ANALYZE)."""
    with database.engine.begin() as conn:
        if database.schema is None:
            conn.execute(text("ANALYZE"))
            return
        for table in _copied_tables():
            conn.execute(text(f'ANALYZE "{database.schema}".{table}'))


class ServerCpu:
    """CPU seconds the PostgreSQL server spent in this engine's connections (its backends'
    utime + stime from /proc: only for a server on this machine that /proc shows; None when not
    obtainable). The pool is emptied at start so that every connection is seen from its birth;
    a backend that ends before `seconds()` is read is not counted."""

    def __init__(self, database: BenchDatabase) -> None:
        self._pids: set[int] = set()
        self.available = database.schema is not None and Path("/proc").is_dir()
        if not self.available:
            return
        database.engine.dispose()

        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT pg_backend_pid()")
            self._pids.add(int(cursor.fetchone()[0]))
            cursor.close()

        event.listen(database.engine, "connect", _on_connect)

    @staticmethod
    def _cpu(pid: int) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def seconds(self) -> float | None:
        if not self.available or not self._pids:
            return None
        seen = [self._cpu(pid) for pid in self._pids]
        if all(s is None for s in seen):
            return None
        return round(sum(s for s in seen if s is not None), 2)
