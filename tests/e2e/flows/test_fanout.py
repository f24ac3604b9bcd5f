"""The nightly flow fans a night out to `nightly-worker` deployment runs on a process work pool:
two real `prefect worker start` processes (standing in for two hosts) against the session's
Prefect server and one PostgreSQL schema, every night of the benchmark's calendar over a few
thousand synthetic claims. Each claim moves once per transition and is paid once, the end
state equals the set-based floor's, both workers took partitions, and the night's summary
artifact is read back from the database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolUpdate
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from sqlalchemy import text

from bench.schedule import IMPORT_DAY
from flows.nightly import FanOutFailed, nightly
from flows.nightly_worker import nightly_worker
from flows.settings import WORKER_DEPLOYMENT, WORKER_QUEUE
from services.nightly import lease
from tests.conftest import run_claims
from tests.integration.scale.once import (
    FLOOR_APPROVER,
    assert_floor_agrees,
    assert_moved_and_paid_once,
    import_backlog,
    run_calendar,
    scalar,
)
from tests.release import release

from .helpers import artifacts

pytestmark = [pytest.mark.postgres, pytest.mark.prefect, pytest.mark.slow]

CLAIMS = 3_000
PARTITION = 150
POOL = "claims-fanout-test"
HOSTS = ("host-a", "host-b")
ROOT = Path(__file__).resolve().parents[3]
PREFECT = str(Path(sys.executable).parent / "prefect")


def _prefect(*args: str) -> None:
    done = subprocess.run([PREFECT, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.fixture
def worker_hosts(prefect_api: str, pg_url: str, tmp_path: Path) -> Iterator[list[Path]]:
    """A process pool, the nightly-worker deployment on its queue, and two workers serving that
    queue one flow run at a time each (as docs/scaling.md starts them on each host), whose
    environment names the test's PostgreSQL schema; returns their logs."""
    _prefect("work-pool", "create", POOL, "--type", "process", "--overwrite")
    entrypoint = "flows/nightly_worker.py:nightly_worker"
    flow_name, _, deployment_name = WORKER_DEPLOYMENT.partition("/")
    assert nightly_worker.name == flow_name
    nightly_worker.from_source(source=str(ROOT), entrypoint=entrypoint).deploy(
        name=deployment_name, work_pool_name=POOL, work_queue_name=WORKER_QUEUE, print_next_steps=False)
    procs: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    for host in HOSTS:
        env = {**os.environ, "PREFECT_API_URL": prefect_api, "CLAIMS_DATABASE_URL": pg_url,
               "CLAIMS_WORKER_HOST": host, "CLAIMS_PAYMENT_DIR": str(tmp_path / "payments"),
               "PREFECT_WORKER_QUERY_SECONDS": "1", "PYTHONPATH": str(ROOT)}
        log = tmp_path / f"worker-{host}.log"
        logs.append(log)
        procs.append(subprocess.Popen(
            [PREFECT, "worker", "start", "--pool", POOL, "--work-queue", WORKER_QUEUE, "--name", host,
             "--limit", "1"],
            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT))
    try:
        yield logs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _children(parent: UUID) -> list[Any]:
    with get_client(sync_client=True) as client:
        return list(client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent]))))


def _pause(paused: bool) -> None:
    with get_client(sync_client=True) as client:
        client.update_work_pool(POOL, WorkPoolUpdate(is_paused=paused))


def _logs(paths: list[Path]) -> str:
    return "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:] for p in paths)


def test_a_fanned_out_night_moves_and_pays_each_claim_once(
        worker_hosts: list[Path], pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_DATABASE_URL", pg_url)
    backlog = import_backlog(pg_url, tmp_path, CLAIMS)
    engine = backlog.engine

    # the lease still makes a fanned-out night refuse while another night runs (no worker starts)
    lease.acquire(engine, "another night")
    refused = nightly(as_of=IMPORT_DAY, chunk_size=PARTITION, hosts=2, return_state=True)
    assert refused.is_failed()
    assert "another nightly run holds the lease" in str(refused.message)
    assert _children(refused.state_details.flow_run_id) == []
    lease.release(engine, "another night")

    # worker runs that no worker starts (the pool is paused) are cancelled, and the night fails
    _pause(True)
    monkeypatch.setenv("CLAIMS_NIGHTLY_FANOUT_START_SECONDS", "1")
    unserved = nightly(as_of=IMPORT_DAY, chunk_size=PARTITION, hosts=2, return_state=True)
    monkeypatch.delenv("CLAIMS_NIGHTLY_FANOUT_START_SECONDS")
    _pause(False)
    assert unserved.is_failed()
    with pytest.raises(FanOutFailed, match=r"nightly-worker-2020-05-06-1-of-2: Cancelled \(no worker of "
                                           r"the pool started it within 1 s\)"):
        unserved.result()
    assert [c.state.name for c in _children(unserved.state_details.flow_run_id)] == ["Cancelled"] * 2
    assert scalar(engine, "SELECT COUNT(*) FROM work_step") == 0

    run_keys: list[str] = []

    def night(day: date) -> None:
        if not run_keys:  # the first night as staff start it: the installed command
            done = run_claims("nightly", "--as-of", day.isoformat(), "--chunk-size",
                              str(PARTITION), "--hosts", "2", db=pg_url)
            assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{_logs(worker_hosts)}"
            found = re.search(rf"flow run nightly-{day}: Completed \(([0-9a-f-]{{36}})\)", done.stdout)
            assert found, done.stdout
            run_keys.append(found.group(1))
            release(engine, day, FLOOR_APPROVER)  # approval is on by default: a distinct approver releases
            return
        state = nightly(as_of=day, chunk_size=PARTITION, hosts=2, return_state=True)
        assert state.is_completed(), f"{state.message}\n{_logs(worker_hosts)}"
        run_keys.append(str(state.state_details.flow_run_id))
        release(engine, day, FLOOR_APPROVER)

    started = time.monotonic()
    nights = run_calendar(backlog, night)
    print(f"{nights} fanned-out nights over {CLAIMS} claims in {time.monotonic() - started:.1f} s")

    # every night's partitions were run by the night's worker runs, and both hosts took some
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT run_key, worker, COUNT(*) FROM work_partition "
                                 "WHERE status = 'done' GROUP BY run_key, worker")).all()
    assert {key for key, _, _ in rows} <= set(run_keys)
    hosts = {worker.split(" ")[0] for _, worker, _ in rows}
    assert hosts == set(HOSTS), rows
    assert scalar(engine, "SELECT COUNT(*) FROM work_partition WHERE status <> 'done'") == 0
    first = UUID(run_keys[0])
    children = _children(first)
    assert len(children) == 2 and all(c.state.is_completed() for c in children)
    assert {str(c.id) for c in children} >= {w.split(" ")[1] for k, w, _ in rows if k == str(first)}

    # the first night's summary artifact, read back from the database, counts every move it made
    summary = next(a for k, a in artifacts(first).items() if k.startswith("nightly-summary-"))
    moved = sum(int(row["claims moved"]) for row in _table(summary) if row["step"] != "total")
    assert moved == scalar(engine, f"SELECT COUNT(*) FROM claim_event WHERE run_id = '{first}'") > 0

    assert_moved_and_paid_once(backlog)
    assert_floor_agrees(backlog, tmp_path, size=PARTITION, several_workers=True)


def _table(artifact: Any) -> list[dict[str, Any]]:
    import json

    data = artifact.data
    return list(json.loads(data) if isinstance(data, str) else data)
