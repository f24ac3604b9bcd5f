"""Step 2 — apply on-site inspection results (现场检查) recorded by `claims inspect`.

pass → on_site_inspected; fail → rejected, or recovery_due with a recovery row for the advance
(reason inspection_failed). Where the product setting says a policy's kind needs no inspection
the claim passes with an event saying so (the shipped default: every claim is inspected).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, String, and_, cast, or_, true
from sqlalchemy.sql.elements import ColumnElement

from services.nightly.base import CLAIM, MOVE_COLUMNS, ZERO, Batch, Run
from services.nightly.sql_moves import SqlMove
from services.settings import ANY, Settings
from states.lifecycle import sources

WRITES_IN_SQL = True
"""its partitions are `sql_partition_factor` times larger (services.nightly.base.partition_size)"""
STEP = "apply_inspections"
COLUMNS = [*MOVE_COLUMNS, CLAIM.c.inspection_result, CLAIM.c.inspected_on, CLAIM.c.recovery_owed]
FAILED = "inspection_failed"


def _exempt(settings: Settings) -> Any:
    pairs = [and_(CLAIM.c.policy == p if p != ANY else true(), CLAIM.c.kind == k if k != ANY else true())
             for p, k in settings.exempt_pairs()]
    return or_(*pairs) if pairs else None


def source(run: Run, settings: Settings) -> Any:
    inspected = CLAIM.c.inspection_result.isnot(None)
    exempt = _exempt(settings)
    ready = inspected if exempt is None else or_(inspected, exempt)
    return and_(CLAIM.c.state.in_(sources("pass_inspection", "fail_inspection")), ready)


def sql_moves(conn: Connection, run: Run, settings: Settings, chunk: ColumnElement[bool]) -> list[SqlMove]:
    """A passed inspection moves by the table alone; a failed one owes money back (`decide`)."""
    return [SqlMove("pass_inspection", CLAIM.c.inspection_result == "pass",
                    reason="on-site inspection passed on " + cast(CLAIM.c.inspected_on, String))]


def decide(conn: Connection, rows: list[Any], batch: Batch) -> None:
    owed: list[tuple[Any, Any, str]] = []
    for row in rows:
        if row.inspection_result == "pass":
            batch.move(row, "pass_inspection", reason=f"on-site inspection passed on {row.inspected_on}")
        elif row.inspection_result == "fail":
            after = batch.move_then(row, "fail_inspection", reason=f"{FAILED}: on-site inspection failed on "
                               f"{row.inspected_on}", reasons=FAILED, amount=ZERO,
                               recovery_owed=row.recovery_owed + row.advance_paid)
            if row.advance_paid > 0:
                owed.append((row, row.advance_paid, f"{FAILED}: advance paid back"))
            elif after.state == "recovery_due":
                batch.move(after, "confirm_recovery", reason="no advance went out: nothing to recover")
        else:
            batch.move(row, "pass_inspection",
                       reason=f"inspection not required for {row.policy} {row.kind} by the product setting "
                              f"inspection ({batch.settings.source})")
    batch.owe(conn, owed)
