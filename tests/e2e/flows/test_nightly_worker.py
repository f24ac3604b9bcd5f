"""The nightly-worker flow run in-process against the session's Prefect server, with the fake
step registry of test_nightly_flow.py: it records itself (host + flow run id) on the partitions
it ran, keeps what they did, retries database I/O and fails a bug with a scrubbed message. And
a fan-out night refuses SQLite (the real fan-out is test_fanout.py)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from flows.nightly import nightly
from flows.nightly_worker import nightly_worker
from models.tables import LEASE
from services.nightly import leasing
from services.nightly.moves import StaleClaims
from services.nightly.steps import STEP_ORDER

from .helpers import artifacts
from .test_nightly_flow import AS_OF, PERSON_ID, FakeSteps, _file_claim

pytestmark = pytest.mark.prefect

PART = leasing.WORK_PARTITION


def test_a_worker_runs_every_step_records_itself_and_retries_io(
        engine: Engine, db_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSteps(engine, _file_claim(engine), fail={("post", 10): [StaleClaims("1 of 1 claims changed")]})
    fake.install(monkeypatch)
    monkeypatch.setenv("CLAIMS_NIGHTLY_RETRY_DELAYS", "0")
    monkeypatch.setenv("CLAIMS_WORKER_HOST", "host-x")

    state = nightly_worker(as_of=AS_OF, run_key="night-k1", size=5, database_url=db_url, return_state=True)

    assert state.is_completed(), state.message
    run_id = state.state_details.flow_run_id
    assert fake.calls[("post", 10)] == 2, "a stale partition is retried in the worker"
    assert all(fake.calls[(step, lo)] == 1 for step in STEP_ORDER for lo in (0, 10) if (step, lo) != ("post", 10))
    with engine.connect() as conn:
        rows = conn.execute(select(PART.c.step, PART.c.status, PART.c.worker)
                            .where(PART.c.run_key == "night-k1")).all()
    assert len(rows) == 2 * len(STEP_ORDER)
    assert {(status, worker) for _, status, worker in rows} == {("done", f"host-x {run_id}")}
    kept = leasing.results(engine, "night-k1")
    assert kept["pay_advances"].money == {("huludao-2019", "advance"): Decimal("450.00")}
    assert kept["post"].moved == {("huludao-2019", "publicly_posted"): 1}
    table = json.loads(artifacts(run_id)["nightly-worker"].data)
    assert [r["step"] for r in table] == list(STEP_ORDER)
    assert all(r["partitions taken"] == 2 for r in table)
    # the same run key again finds every step published and done: nothing runs twice
    again = nightly_worker(as_of=AS_OF, run_key="night-k1", size=5, database_url=db_url, return_state=True)
    assert again.is_completed()
    assert sum(fake.calls.values()) == 2 * len(STEP_ORDER) + 1


def test_a_bug_fails_the_worker_with_a_scrubbed_message_and_leaves_the_partition_undone(
        engine: Engine, db_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSteps(engine, _file_claim(engine), fail={("assess", 10): [ValueError(f"bad row for {PERSON_ID}")]})
    fake.install(monkeypatch)
    monkeypatch.setenv("CLAIMS_NIGHTLY_RETRY_DELAYS", "0")

    state = nightly_worker(as_of=AS_OF, run_key="night-k2", size=5, database_url=db_url, return_state=True)

    assert state.is_failed()
    message = str(state.message) + str(state.result(raise_on_failure=False))
    assert "assess partition (person keys 10..20, 0 claims): ValueError: bad row for 210102********1234" in message
    assert PERSON_ID not in message
    assert fake.calls[("assess", 10)] == 1, "a bug is not retried"
    assert fake.calls[("post", 0)] == 0, "the worker stops at the failed step"
    assert leasing.unfinished(engine, "night-k2", "assess") == 1


def test_a_fanned_out_night_needs_postgresql(sqlite_url: str, prefect_api: str) -> None:
    from models.db import make_engine
    from models.schema import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    state = nightly(as_of=AS_OF, database_url=sqlite_url, hosts=2, return_state=True)
    assert state.is_failed()
    assert "hosts > 0 needs PostgreSQL" in str(state.message) + str(state.result(raise_on_failure=False))
    with engine.connect() as conn:
        assert conn.execute(select(LEASE)).all() == [], "the lease is released"
    engine.dispose()
