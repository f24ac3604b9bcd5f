"""Every nightly step finds its claims through the state index, never by reading every claim:
years of settled history must not cost a night anything (SQLite's plan, where an OR of state
lists alone had made pay_due and pay_advances scan the table)."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from sqlalchemy import Engine, func, select, text

from models.db import make_engine
from models.schema import upgrade
from models.tables import CLAIM
from services.nightly.base import LAST_EVENT, STEP_COLUMNS, Run, _where, chunk_columns
from services.nightly.steps import STEP_ORDER
from services.settings import load_settings

HISTORY_STATS = {"ix_claim_certificate": "100500 1", "ix_claim_person": "100500 3", "ix_claim_claim_id": "100500 1",
                 "ix_claim_state_person": "100500 50250 2", "sqlite_autoindex_claim_1": "100500 50250 1"}


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Engine:
    """A few claims, with the statistics SQLite keeps for a database of a million claims most of
    them settled (as ANALYZE wrote them for bench.steady's 100,000 claims of history)."""
    from tests.factories import claim_row, insert_claims

    engine = make_engine(sqlite_url)
    upgrade(engine)
    with engine.begin() as conn:
        insert_claims(conn, *(claim_row(f"N{i}", state=state, person_key=i) for i, state in
                              enumerate(("paid", "filed", "approved", "payment_failed", "inspected"))))
        conn.execute(text("ANALYZE"))
        for index, stat in HISTORY_STATS.items():
            conn.execute(text("UPDATE sqlite_stat1 SET stat = :stat WHERE tbl = 'claim' AND idx = :idx"),
                         {"stat": stat, "idx": index})
    engine.dispose()  # the statistics are read when a connection opens
    return engine


@pytest.mark.parametrize("step", STEP_ORDER)
def test_step_source_uses_the_state_index(sqlite_engine: Engine, step: str) -> None:
    module = importlib.import_module(f"services.nightly.{step}")
    query = (select(CLAIM.c.person_key, func.count())
             .where(_where(module, Run(date(2020, 5, 10)), load_settings())).group_by(CLAIM.c.person_key))
    sql = str(query.compile(sqlite_engine, compile_kwargs={"literal_binds": True}))
    with sqlite_engine.connect() as conn:
        plan = [row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql))]
    assert not any(line.startswith("SCAN claim") for line in plan), plan
    assert any("ix_claim_state_person" in line for line in plan), plan


@pytest.mark.parametrize("step", STEP_ORDER)
def test_a_chunk_reads_its_claims_and_their_last_events_through_indexes(sqlite_engine: Engine, step: str) -> None:
    module = importlib.import_module(f"services.nightly.{step}")
    columns = getattr(module, "COLUMNS", STEP_COLUMNS)
    query = (select(*chunk_columns(columns)).select_from(LAST_EVENT)
             .where(CLAIM.c.person_key >= 0, CLAIM.c.person_key < 1000,
                    _where(module, Run(date(2020, 5, 10)), load_settings())))
    sql = str(query.compile(sqlite_engine, compile_kwargs={"literal_binds": True}))
    with sqlite_engine.connect() as conn:
        plan = [row[-1] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql))]
    assert not any(line.startswith(("SCAN claim", "SCAN claim_event")) for line in plan), plan
    assert any("ix_claim_state_person" in line for line in plan), plan
    assert any(line.startswith("SEARCH claim_event USING") for line in plan), plan
