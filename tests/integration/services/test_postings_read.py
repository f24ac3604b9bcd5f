"""The night's postings artifact (`postings_markdown`) reads the claims of the windows opened that
day through ix_claim_posting_window (migration 98), not every claim ever filed, and lists exactly
them, masked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, event, insert

from models.tables import WINDOW
from services.nightly.report import postings_markdown
from tests.factories import claim_row, insert_claims

DAY = date(2020, 9, 28)


def test_the_days_postings_are_read_by_their_window(engine: Engine) -> None:
    with engine.begin() as conn:
        today = conn.execute(insert(WINDOW).values(policy="huludao-2019", opened_on=DAY, closes_on=date(2020, 10, 12),
                                                   working_days=5).returning(WINDOW.c.id)).scalar_one()
        earlier = conn.execute(insert(WINDOW).values(policy="huludao-2019", opened_on=date(2020, 9, 1),
                                                     closes_on=date(2020, 9, 8), working_days=5)
                               .returning(WINDOW.c.id)).scalar_one()
        insert_claims(conn, *(claim_row(f"T{n}", person_id=f"21140219900101{n:04d}", state="publicly_posted",
                                        amount=Decimal("1500.00"), posting_window_id=today) for n in range(3)))
        insert_claims(conn, *(claim_row(f"E{n}", person_id=f"21140219800101{n:04d}", state="paid",
                                        amount=Decimal("1000.00"), posting_window_id=earlier) for n in range(50)))
        insert_claims(conn, *(claim_row(f"F{n}", person_id=f"21140219700101{n:04d}") for n in range(500)))
    engine.dispose()  # no statistics (ANALYZE), as a bureau's SQLite file has none
    seen: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM claim" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    notice = postings_markdown(engine, DAY)
    event.remove(engine, "before_cursor_execute", remember)

    assert "| huludao-2019 | 3 | 4,500.00 | 2020-10-12 |" in notice
    assert [line.split(" | ")[1] for line in notice.splitlines() if line.startswith("| huludao-2019 | T")] == [
        "T0", "T1", "T2"]
    assert "E0" not in notice and "211402198001010000" not in notice and "王*明" in notice
    assert len(seen) == 2
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            for statement, parameters in seen:
                plan = [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                assert not any(p.startswith("SCAN claim") for p in plan), (statement, plan)
                assert any("ix_claim_posting_window" in p for p in plan), (statement, plan)
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            for statement, parameters in seen:
                plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
                assert not any("Seq Scan on claim" in p for p in plan), (statement, plan)
