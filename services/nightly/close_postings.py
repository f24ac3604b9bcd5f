"""Step 5 — close the postings whose window has ended (公示期满): the claim is approved for
payment. A claim with an objection is in `objected` and waits for `claims review`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, String, and_, cast, true
from sqlalchemy.sql.elements import ColumnElement

from services.nightly.base import CLAIM, MOVE_COLUMNS, Batch, Run
from services.nightly.sql_moves import SqlMove
from services.settings import Settings
from states.lifecycle import sources

WRITES_IN_SQL = True
"""its partitions are `sql_partition_factor` times larger (services.nightly.base.partition_size)"""
STEP = "close_postings"
COLUMNS = [*MOVE_COLUMNS, CLAIM.c.posting_closes_on]


def source(run: Run, settings: Settings) -> Any:
    return and_(CLAIM.c.state.in_(sources("close_posting")), CLAIM.c.posting_closes_on <= run.as_of)


def sql_moves(conn: Connection, run: Run, settings: Settings, chunk: ColumnElement[bool]) -> list[SqlMove]:
    return [SqlMove("close_posting", true(), reason="posting window closed on "
                    + cast(CLAIM.c.posting_closes_on, String) + " with no objection open")]


def decide(conn: Connection, rows: list[Any], batch: Batch) -> None:
    for row in rows:
        batch.move(row, "close_posting",
                   reason=f"posting window closed on {row.posting_closes_on} with no objection open")
