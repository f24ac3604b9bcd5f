"""Streaming reads for exports: one SELECT, fetched in chunks, never a query per claim."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, Row, Select, func, select

from services.settings import chunk_size


def stream(engine: Engine, stmt: Select[Any], chunk: int | None = None) -> Iterator[Row[Any]]:
    """Rows of `stmt`, fetched `chunk` at a time (a server-side cursor on PostgreSQL)."""
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=chunk or chunk_size()).execute(stmt)
        for partition in result.partitions():
            yield from partition


def count(engine: Engine, stmt: Select[Any]) -> int:
    """How many rows `stmt` returns (for progress bars)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())
