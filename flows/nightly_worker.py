"""The `nightly-worker` flow: one host's share of a night that the nightly flow fanned out.

Every worker run of a night gets the same run key (the nightly flow run's id) and partition
size, and runs `services.nightly.leasing.run_night`: the steps in order, taking person partitions one
at a time from `work_partition` until each step is done by someone (docs/scaling.md). What each
partition did is kept in the database, where the nightly flow reads the night's summary; this
run's own artifact lists what it took. A partition that fails on database I/O is retried here
(the nightly flow's delays); any other failure fails this run, its partition stays pending for
the other workers, and the nightly flow reports the failed run.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run

from flows import registry
from flows.settings import concrete_annotations, retry_delays
from models.db import database_url as configured_url
from models.db import engine_for
from models.schema import require_current
from services.access.scrub import scrub
from services.nightly import lease, leasing
from services.nightly.moves import RETRYABLE
from services.nightly.steps import STEP_ORDER, STEP_ZH, ChunkFn, Partition, StepResult

if TYPE_CHECKING:
    from sqlalchemy import Engine


class WorkerChunkFailed(RuntimeError):
    """A partition failed in this worker; the message is scrubbed of identity numbers."""


def worker_name(run_id: str | None) -> str:
    """host + flow run id: what `work_partition.worker` records for this run. The host is
    CLAIMS_WORKER_HOST when set (several workers on one machine), else the host name."""
    host = os.environ.get("CLAIMS_WORKER_HOST") or socket.gethostname()
    return f"{host} {run_id or 'no-flow-run'}"[:100]


def _with_retries(step: str, chunk_fn: ChunkFn, delays: tuple[float, ...],
                  log: Callable[[str], None]) -> ChunkFn:
    def chunk(engine: Engine, part: Partition, as_of: date, run_id: str | None) -> StepResult:
        for attempt in range(len(delays) + 1):
            try:
                return chunk_fn(engine, part, as_of, run_id)
            except RETRYABLE as exc:
                if attempt == len(delays):
                    raise WorkerChunkFailed(
                        f"{step} partition (person keys {part.lo}..{part.hi}, {part.claims} claims) "
                        f"failed after {attempt} retries: {type(exc).__name__}: {scrub(str(exc))}") from None
                log(f"{step} partition {part.lo}..{part.hi}: {type(exc).__name__}, retry in {delays[attempt]} s")
                time.sleep(delays[attempt])
            except Exception as exc:
                raise WorkerChunkFailed(
                    f"{step} partition (person keys {part.lo}..{part.hi}, {part.claims} claims): "
                    f"{type(exc).__name__}: {scrub(str(exc))}") from None
        raise AssertionError("unreachable")  # pragma: no cover
    return chunk


def worker_rows(results: dict[str, StepResult]) -> list[dict[str, str | int]]:
    return [{"step": step, "步骤": STEP_ZH[step], "partitions taken": results[step].chunks,
             "claims seen": results[step].claims_seen,
             "claims moved": sum(results[step].moved.values()),
             "set aside": len(results[step].set_aside)}
            for step in STEP_ORDER if step in results]


@flow(name="nightly-worker", persist_result=False,
      description="One host's share of a fanned-out night: takes person partitions of each step "
                  "from the database until the step is done.")
def nightly_worker(as_of: date, run_key: str, size: int,
                   database_url: str | None = None) -> dict[str, dict[str, int]]:
    """Work on night `as_of` under `run_key` (the nightly flow run's id) with `size` claims per
    partition, beside the other workers of the same key. The database is the worker host's
    CLAIMS_DATABASE_URL unless `database_url` is given."""
    logger = get_run_logger()
    engine = engine_for(database_url or configured_url())
    require_current(engine)
    worker = worker_name(flow_run.get_id())
    delays = retry_delays()
    steps = {step: (partitions_fn, _with_retries(step, chunk_fn, delays, logger.warning))
             for step, (partitions_fn, chunk_fn) in registry.steps().items()}
    logger.info("worker %s on night %s, run key %s, %d claims per partition", worker, as_of, run_key, size)
    adopted = lease.adopt(engine)  # fence this worker's chunks with the coordinating night's lease
    try:
        results = leasing.run_night(engine, as_of, run_key=run_key, worker=worker, size=size, steps=steps)
    finally:
        if adopted is not None:
            lease.forget(engine)
    for step, result in results.items():
        logger.info("step %s: %d partitions taken here, %d claims seen, %d moved", step, result.chunks,
                    result.claims_seen, sum(result.moved.values()))
    create_table_artifact(table=worker_rows(results), key="nightly-worker",
                          description=f"nightly-{as_of} worker {worker}: partitions it took per step")
    return {step: {"partitions": r.chunks, "claims_seen": r.claims_seen, "moved": sum(r.moved.values())}
            for step, r in results.items()}


concrete_annotations(nightly_worker.fn)
