"""Streaming reads for exports: one SELECT, fetched in chunks, never a query per claim."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, Row, Select, Table, func, select

from models.tables import Claim, ImportBatch, ImportRejection, Payee, Payment, PostingWindow

CLAIM: Table = Claim.__table__  # type: ignore[attr-defined]
PAYMENT: Table = Payment.__table__  # type: ignore[attr-defined]
PAYEE: Table = Payee.__table__  # type: ignore[attr-defined]
WINDOW: Table = PostingWindow.__table__  # type: ignore[attr-defined]
REJECTION: Table = ImportRejection.__table__  # type: ignore[attr-defined]
BATCH: Table = ImportBatch.__table__  # type: ignore[attr-defined]

CHUNK_ROWS = 2000


def stream(engine: Engine, stmt: Select[Any], chunk: int = CHUNK_ROWS) -> Iterator[Row[Any]]:
    """Rows of `stmt`, fetched `chunk` at a time (a server-side cursor on PostgreSQL)."""
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=chunk).execute(stmt)
        for partition in result.partitions():
            yield from partition


def count(engine: Engine, stmt: Select[Any]) -> int:
    """How many rows `stmt` returns (for progress bars)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one())
