"""The nightly flow's orchestration, against the session's Prefect server, with a small fake
step registry standing in for services.nightly (the real steps are tested end to end in
test_nightly_cli.py). Checks what operations staff see: the run's name, its artifacts and logs
(masked), retries of a chunk on a stale read, and a failing partition stopping the night."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import date
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import Engine, insert, select, update

from flows import registry
from flows.nightly import nightly
from models.tables import CLAIM, LEASE, WINDOW
from services.nightly import lease
from services.nightly.moves import StaleClaims
from services.nightly.report import database_label
from services.nightly.steps import STEP_ORDER, Partition, StepResult

from .helpers import artifacts, flow_run_name, logs, run_tags

KEYS = {"summary": "nightly-summary-20200604", "postings": "nightly-postings-20200604",
        "progress": "nightly-progress-20200604", "set aside": "nightly-set-aside-20200604",
        "night": "nightly-20200604", "week": "nightly-week-2020-w23"}

pytestmark = pytest.mark.prefect

AS_OF = date(2020, 6, 4)
PERSON_ID = "210102199003071234"


def _file_claim(engine: Engine) -> int:
    with engine.begin() as conn:
        return int(conn.execute(insert(CLAIM).values(
            claim_id="G001", policy="huludao-2019", kind="skill_certificate",
            person_id=PERSON_ID, person_name="王小明", region="211402", filed_on=date(2020, 5, 1),
            payee_type="individual", payee_id=PERSON_ID, content_hash="x", state="assessed",
            amount=Decimal("1500.00"),
        )).inserted_primary_key[0])


class FakeSteps:
    """Two partitions per step; `post` posts the claim as the real step would; `fail` lists
    exceptions a (step, partition) raises on its first calls."""

    def __init__(self, engine: Engine, claim_pk: int,
                 fail: dict[tuple[str, int], list[Exception]] | None = None) -> None:
        self.engine, self.claim_pk, self.fail = engine, claim_pk, fail or {}
        self.calls: Counter[tuple[str, int]] = Counter()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        table = {step: (self.partitions, partial(self.chunk, step)) for step in STEP_ORDER}
        monkeypatch.setattr(registry, "steps", lambda: table)

    def partitions(self, _engine: Engine, _as_of: date, _size: int) -> list[Partition]:
        return [Partition("any", 0, 10, 1), Partition("any", 10, 20, 0)]

    def chunk(self, step: str, engine: Engine, part: Partition, as_of: date,
              _run: str | None) -> StepResult:
        self.calls[(step, part.lo)] += 1
        pending = self.fail.get((step, part.lo))
        if pending:
            raise pending.pop(0)
        result = StepResult(step, claims_seen=part.claims, chunks=1)
        if part.lo == 0 and step == "pay_advances":
            result.money[("huludao-2019", "advance")] = Decimal("450.00")
            result.moved[("huludao-2019", "advance_paid")] += 1
        if part.lo == 0 and step == "assess":
            result.set_aside.append(("zhumadian-2019", "Z007",
                                     f"missing_parameter X (person {PERSON_ID})"))
        if part.lo == 0 and step == "post":
            with engine.begin() as conn:
                window = conn.execute(insert(WINDOW).values(
                    policy="huludao-2019", opened_on=as_of, closes_on=date(2020, 6, 11),
                    working_days=5)).inserted_primary_key[0]
                conn.execute(update(CLAIM).where(CLAIM.c.id == self.claim_pk).values(
                    state="publicly_posted", posting_window_id=window))
            result.moved[("huludao-2019", "publicly_posted")] += 1
        return result


def test_night_is_named_by_date_and_shows_masked_artifacts(
        engine: Engine, db_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSteps(engine, _file_claim(engine),
                     fail={("post", 10): [StaleClaims("1 of 1 claims changed")]})
    fake.install(monkeypatch)
    monkeypatch.setenv("CLAIMS_NIGHTLY_RETRY_DELAYS", "0")

    state = nightly(as_of=AS_OF, database_url=db_url, return_state=True)

    assert state.is_completed(), state.message
    run_id = state.state_details.flow_run_id
    assert flow_run_name(run_id) == "nightly-2020-06-04"
    assert fake.calls[("post", 10)] == 2, "a stale chunk is retried"
    found = artifacts(run_id)
    assert set(found) >= set(KEYS.values())
    summary = json.loads(found[KEYS["summary"]].data)
    post = next(r for r in summary if r["step"] == "post" and r["policy"] == "huludao-2019")
    assert post["claims moved"] == 1 and post["to state"] == "publicly_posted 1"
    advance = next(r for r in summary if r["step"] == "pay_advances")
    assert advance["money (yuan)"] == "advance 450.00" and advance["advance (yuan)"] == 450.0
    assert {r["result"] for r in summary if r["step"] != "total"} == {"done"}
    assert [r["step"] for r in summary if r["policy"] == "-"] == [
        "apply_inspections", "close_postings", "pay_due"]
    assert json.loads(found[KEYS["set aside"]].data) == [{
        "step": "assess", "policy": "zhumadian-2019", "claim_id": "Z007",
        "reason": "missing_parameter X (person 210102********1234)"}]
    postings = found[KEYS["postings"]].data
    assert "| huludao-2019 | G001 | 王*明 | 210102********1234 | skill_certificate | 1,500.00 |" \
        in postings
    assert found[KEYS["progress"]].data == 100.0
    assert "completed" in found[KEYS["night"]].data
    assert f"(/artifacts/key/{KEYS['set aside']})" in found[KEYS["night"]].data
    assert "## 监管 oversight" in found[KEYS["night"]].data  # signals holding claims, and no budget: warned
    assert "未设专账预算" in found[KEYS["night"]].data
    assert set(run_tags(run_id)) >= {"as_of:2020-06-04", database_label(db_url)}
    messages = logs(run_id, containing="Z007")
    assert any("Z007" in m and "210102********1234" in m for m in messages)
    # Prefect's warning that a thread's time limit cannot interrupt a blocking call: once a night,
    # not once for each of the night's 19 task runs
    assert len([m for m in messages if "running in a worker thread" in m]) == 1
    everything = postings + json.dumps(summary, ensure_ascii=False) + "\n".join(messages)
    assert PERSON_ID not in everything
    with engine.connect() as conn:
        assert conn.execute(select(LEASE)).all() == [], "the lease is released"


def test_failing_partition_stops_the_night_and_frees_the_lease(
        engine: Engine, db_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSteps(engine, _file_claim(engine), fail={
        ("assess", 10): [ValueError(f"bad row for {PERSON_ID}")] * 5})
    fake.install(monkeypatch)
    monkeypatch.setenv("CLAIMS_NIGHTLY_RETRY_DELAYS", "0")

    state = nightly(as_of=AS_OF, database_url=db_url, return_state=True)

    assert state.is_failed()
    assert fake.calls[("assess", 10)] == 1, "a bug is not retried, only database I/O is"
    assert fake.calls[("assess", 0)] == 1, "the other partitions of the step still ran"
    assert fake.calls[("post", 0)] == 0, "later steps do not run"
    run_id = state.state_details.flow_run_id
    found = artifacts(run_id)
    summary = json.loads(found[KEYS["summary"]].data)
    results = {r["step"]: r["result"] for r in summary if r["step"] != "total"}
    assert results["assess"] == "failed" and results["post"] == "not reached"
    assert results["apply_inspections"] == "done"
    assert found[KEYS["progress"]].data == pytest.approx((2 + 1 / 2) / 6 * 100), "as far as it got"
    assert "failed at assess" in found[KEYS["night"]].data
    messages = logs(run_id, containing="1 of 2 partitions failed")
    assert any("assess partition 1" in m and "210102********1234" in m for m in messages)
    assert not any(PERSON_ID in m for m in messages)
    with engine.connect() as conn:
        assert conn.execute(select(LEASE)).all() == []


def test_a_held_lease_refuses_a_second_run(
        engine: Engine, db_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSteps(engine, _file_claim(engine))
    fake.install(monkeypatch)
    lease.acquire(engine, "nightly-2020-06-03 on ops-1")

    state = nightly(as_of=AS_OF, database_url=db_url, return_state=True)

    assert state.is_failed()
    assert "another nightly run holds the lease since" in str(state.message) + str(
        state.result(raise_on_failure=False))
    assert sum(fake.calls.values()) == 0


def test_a_retried_night_replaces_its_failed_attempt(
        engine: Engine, db_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSteps(engine, _file_claim(engine), fail={
        ("assess", 10): [ValueError("bad row")]})
    fake.install(monkeypatch)
    monkeypatch.setenv("CLAIMS_NIGHTLY_RETRY_DELAYS", "0")

    state = nightly.with_options(retries=1, retry_delay_seconds=0)(
        as_of=AS_OF, database_url=db_url, return_state=True)

    assert state.is_completed(), state.message
    run_id = state.state_details.flow_run_id
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    with get_client(sync_client=True) as client:
        keys = [a.key for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))]
    assert sorted(keys) == sorted(set(keys)), "one artifact per key, not one per attempt"
    summary = json.loads(artifacts(run_id)[KEYS["summary"]].data)
    assert {r["result"] for r in summary if r["step"] != "total"} == {"done"}
    assert artifacts(run_id)[KEYS["progress"]].data == 100.0


def test_a_chunk_past_its_time_limit_fails_the_night(
        engine: Engine, db_url: str, prefect_api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSteps(engine, _file_claim(engine))
    fake.install(monkeypatch)
    slow = registry.steps()

    def sleepy(engine: Engine, part: Partition, as_of: date, run_id: str | None) -> StepResult:
        time.sleep(10)
        return StepResult("pay_advances")
    monkeypatch.setattr(registry, "steps", lambda: {**slow, "pay_advances": (fake.partitions, sleepy)})
    monkeypatch.setenv("CLAIMS_NIGHTLY_RETRY_DELAYS", "0")
    monkeypatch.setenv("CLAIMS_CHUNK_TIMEOUT_SECONDS", "1")

    started = time.monotonic()
    state = nightly(as_of=AS_OF, database_url=db_url, return_state=True)

    assert state.is_failed()
    assert time.monotonic() - started < 30
    messages = logs(state.state_details.flow_run_id, containing="exceeded timeout")
    assert any("exceeded timeout of 1.0 second" in m for m in messages), messages
