"""A release's check that its approver handled none of the batch's claims (`check_may_approve`):
refused exactly as before for an inspector, a handler of the facts or one who handled some claim
of the batch; for an approver who handled nothing anywhere it is four probes by index (migration
100), with no event of the batch's claims read."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, event, select

from models.tables import CLAIM
from services.access.actors import Actor
from services.access.roles import Forbidden, check_may_approve
from services.importing.rosters import record_inspections
from tests.factories import claim_row, insert_claims

ON = date(2020, 6, 2)


def _claims(engine: Engine) -> dict[str, int]:
    with engine.begin() as conn:
        insert_claims(conn, *(claim_row(f"A{n}", person_id=f"21140219900101{n:04d}") for n in range(40)))
    rows = [(n + 2, {"claim_id": f"A{n}", "inspected_on": "2020-06-01", "result": "pass",
                     "inspector": "李检查" if n < 20 else "周检查"}) for n in range(40)]
    assert record_inspections(engine, rows, actor=Actor("赵录入", "inspector"), on=ON).recorded == 40
    with engine.connect() as conn:
        return {claim_id: pk for claim_id, pk in conn.execute(select(CLAIM.c.claim_id, CLAIM.c.id))}


def test_handlers_are_refused_as_before(engine: Engine) -> None:
    pks = _claims(engine)
    batch = [pks[f"A{n}"] for n in range(30, 40)]
    with engine.connect() as conn:
        for who in ("赵录入", "周检查"):  # recorded the roster; inspected claims of the batch
            with pytest.raises(Forbidden):
                check_may_approve(conn, Actor(who, "approver"), batch)
        check_may_approve(conn, Actor("李检查", "approver"), batch)  # inspected others, none of these
        check_may_approve(conn, Actor("钱审批", "approver"), batch)


def test_an_approver_who_handled_nothing_is_checked_by_index(engine: Engine) -> None:
    pks = _claims(engine)
    engine.dispose()  # no statistics, as a bureau's SQLite file has none
    seen: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    with engine.connect() as conn:
        check_may_approve(conn, Actor("钱审批", "approver"), sorted(pks.values()))
    event.remove(engine, "before_cursor_execute", remember)
    assert len(seen) == 4 and not any("IN (" in s and "claim_pk" in s.split("WHERE")[1] for s, _ in seen)
    probes = {"claim_event": "ix_event_handler", "inspection": "ix_inspection_inspector"}
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if not sqlite:
            conn.exec_driver_sql("SET enable_seqscan = off")

        def plan(statement: str, parameters: Any) -> str:
            explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            return " | ".join(str(r[-1] if sqlite else r[0]) for r in conn.exec_driver_sql(explain + statement,
                                                                                          parameters))

        for table, index in probes.items():
            statement, parameters = next((s, p) for s, p in seen if f"FROM {table}" in s)
            assert index in plan(statement, parameters), statement
        for statement, parameters in seen:  # none walks a table that grows with the claims
            shown = plan(statement, parameters)
            for table in ("claim", "claim_event", "inspection"):
                assert f"SCAN {table} " not in shown + " " and f"Seq Scan on {table} " not in shown + " ", shown
