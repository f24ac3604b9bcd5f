"""Fresh benchmark databases: a temp SQLite file, or a fresh schema on a PostgreSQL server, and
a copy of the imported claims for the floor on the same kind of database."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
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
