"""Step 4 — put assessed claims on the public notice (公示).

Each policy gets one posting window per business day; it closes after the product setting's
number of working days on China's holiday calendar (services/calendar.py). The seeds fix no
length: the default is the product's (services/settings.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Date, case, literal, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from models.tables import WINDOW
from services.calendar import add_working_days
from services.nightly.base import CLAIM, MOVE_COLUMNS, Batch, Run
from services.nightly.sql_moves import SqlMove
from services.settings import Settings
from states.lifecycle import sources

WRITES_IN_SQL = True
"""its partitions are `sql_partition_factor` times larger (services.nightly.base.partition_size)"""
STEP = "post"
COLUMNS = MOVE_COLUMNS


def source(run: Run, settings: Settings) -> Any:
    return CLAIM.c.state.in_(sources("post"))


def open_window(conn: Connection, policy: str, on: date, working_days: int) -> tuple[int, date]:
    """The posting window of (policy, on), created if new; safe when chunks race for it."""
    values = {"policy": policy, "opened_on": on, "working_days": working_days,
              "closes_on": add_working_days(on, working_days)}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(WINDOW).values(values).on_conflict_do_nothing(
        index_elements=["policy", "opened_on"]))
    found = conn.execute(select(WINDOW.c.id, WINDOW.c.closes_on)
                         .where(WINDOW.c.policy == policy, WINDOW.c.opened_on == on)).one()
    return found.id, found.closes_on


def _reason(on: date, closes_on: date, working_days: int) -> str:
    return f"posted {on} until {closes_on} ({working_days} working days)"


def sql_moves(conn: Connection, run: Run, settings: Settings, chunk: ColumnElement[bool]) -> list[SqlMove]:
    """Every claim of the chunk goes on its policy's window of the day."""
    policies = conn.execute(select(CLAIM.c.policy).where(chunk).distinct()).scalars().all()
    if not policies:
        return []
    windows = {p: open_window(conn, p, run.as_of, settings.posting_days(p)) for p in sorted(policies)}
    by_policy = CLAIM.c.policy
    return [SqlMove(
        "post", true(),
        reason=case({p: _reason(run.as_of, closes, settings.posting_days(p)) for p, (_, closes) in windows.items()},
                    value=by_policy),
        sets={"posting_window_id": case({p: w for p, (w, _) in windows.items()}, value=by_policy),
              "posting_closes_on": case({p: literal(closes, Date) for p, (_, closes) in windows.items()},
                                        value=by_policy)})]


def decide(conn: Connection, rows: list[Any], batch: Batch) -> None:
    on = batch.run.as_of
    windows = {policy: open_window(conn, policy, on, batch.settings.posting_days(policy))
               for policy in sorted({r.policy for r in rows})}
    for row in rows:
        window_id, closes_on = windows[row.policy]
        batch.move(row, "post", reason=_reason(on, closes_on, batch.settings.posting_days(row.policy)),
                   posting_window_id=window_id, posting_closes_on=closes_on)
