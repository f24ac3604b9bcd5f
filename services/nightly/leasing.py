"""Person-partition leases: several workers run the same nightly step on one database at once.

For each (run key, step) the first worker to arrive publishes the step's person partitions as
rows of `work_partition` (the `work_step` header row's primary key makes exactly one worker
the publisher; the others wait on it and then read its list). Each worker then takes one
pending partition at a time:

- PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED` in a lease transaction held open while the
  partition's own transaction runs; the row is marked done before the lease commits. A worker
  that dies releases its row lock with its connection, so the partition is pending again for
  the others; if it died after the chunk committed, the step finds nothing left to do there
  (every step is idempotent in the database).
- SQLite (one writer): the row is claimed with a conditional UPDATE (pending -> taken).

A step ends for a worker when every partition of it is done (a barrier), so no worker starts
step k+1 while a person's claims may still move in step k. Partitions never overlap and all of
a person's claims are in one partition, so two workers never touch the same person.

A done partition keeps what it did (`work_partition.result`, the partition's StepResult as
JSON), so whoever started the workers reads the night's summary back from the database
(`results`) and watches its progress (`progress`). The tables come with `claims init`
(models/schema.py, versions 4 and 5).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    case,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from intake.validate import text_problem
from models.tables import WORK_PARTITION, WORK_STEP, text_length
from services.nightly.steps import STEP_ORDER, ChunkFn, Partition, PartitionFn, StepResult

PENDING, TAKEN, DONE = "pending", "taken", "done"
ANCHOR_STEP = "audit_anchor"
DEFAULT_POLL_SECONDS = 0.2
"""how often a worker with nothing left to take checks whether the step is finished"""

Steps = Mapping[str, tuple[PartitionFn, ChunkFn]]
OnChunk = Callable[[str, Partition, StepResult], None]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _is_postgres(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "postgresql"


def dump_result(result: StepResult) -> str:
    """A partition's StepResult as JSON (money as decimal strings, never floats)."""
    return json.dumps({
        "claims_seen": result.claims_seen, "chunks": result.chunks,
        "moved": [[p, s, n] for (p, s), n in sorted(result.moved.items())],
        "money": [[p, k, str(a)] for (p, k), a in sorted(result.money.items())],
        "set_aside": [list(row) for row in result.set_aside],
        "held": dict(sorted(result.held.items())),
    }, ensure_ascii=False)


def load_result(step: str, text: str) -> StepResult:
    data = json.loads(text)
    result = StepResult(step, claims_seen=data["claims_seen"], chunks=data["chunks"])
    for policy, state, count in data["moved"]:
        result.moved[(policy, state)] += count
    for policy, kind, amount in data["money"]:
        result.money[(policy, kind)] = result.money.get((policy, kind), Decimal("0")) + Decimal(amount)
    result.set_aside.extend((p, c, r) for p, c, r in data["set_aside"])
    result.held.update(data.get("held", {}))
    return result


def _insert_ignoring_conflict(conn: Connection, table: Table, values: dict[str, Any]) -> bool:
    dialect = postgresql if _is_postgres(conn) else sqlite
    stmt = dialect.insert(table).values(**values).on_conflict_do_nothing()
    pk = next(iter(table.primary_key.columns))
    return conn.execute(stmt.returning(pk)).first() is not None


def publish(engine: Engine, run_key: str, step: str, worker: str,
            list_partitions: Callable[[], list[Partition]]) -> int:
    """Publish the step's partitions once per run key; returns how many the step has."""
    with engine.begin() as conn:
        header = {"run_key": run_key, "step": step, "partitions": 0, "published_by": worker,
                  "published_at": _now()}
        if _insert_ignoring_conflict(conn, WORK_STEP, header):
            parts = list_partitions()
            if parts:
                conn.execute(WORK_PARTITION.insert(), [
                    {"run_key": run_key, "step": step, "lo": p.lo, "hi": p.hi, "claims": p.claims,
                     "status": PENDING} for p in parts])
            conn.execute(update(WORK_STEP)
                         .where(WORK_STEP.c.run_key == run_key, WORK_STEP.c.step == step)
                         .values(partitions=len(parts)))
            return len(parts)
        count = conn.execute(select(WORK_STEP.c.partitions)
                             .where(WORK_STEP.c.run_key == run_key, WORK_STEP.c.step == step)).scalar_one()
        return int(count)


def _pending(run_key: str, step: str) -> Any:
    return (select(WORK_PARTITION.c.lo, WORK_PARTITION.c.hi, WORK_PARTITION.c.claims)
            .where(WORK_PARTITION.c.run_key == run_key, WORK_PARTITION.c.step == step,
                   WORK_PARTITION.c.status == PENDING)
            .order_by(WORK_PARTITION.c.lo).limit(1))


def _mark(conn: Connection, run_key: str, step: str, lo: int, worker: str, status: str,
          expect: str, result: StepResult | None = None) -> int:
    stamp: dict[str, Any] = {"taken_at": _now()} if status == TAKEN else {"done_at": _now()}
    if result is not None:
        stamp["result"] = dump_result(result)
    return int(conn.execute(
        update(WORK_PARTITION)
        .where(WORK_PARTITION.c.run_key == run_key, WORK_PARTITION.c.step == step,
               WORK_PARTITION.c.lo == lo, WORK_PARTITION.c.status == expect)
        .values(status=status, worker=worker, **stamp)).rowcount)


def _take_and_run_pg(engine: Engine, run_key: str, step: str, worker: str,
                     run: Callable[[Partition], StepResult]) -> StepResult | None:
    with engine.connect() as lease, lease.begin():
        row = lease.execute(_pending(run_key, step).with_for_update(skip_locked=True)).first()
        if row is None:
            return None
        result = run(Partition(step, row.lo, row.hi, row.claims))
        _mark(lease, run_key, step, row.lo, worker, DONE, PENDING, result)
        return result


def _take_and_run_single_writer(engine: Engine, run_key: str, step: str, worker: str,
                                run: Callable[[Partition], StepResult]) -> StepResult | None:
    while True:
        with engine.begin() as conn:
            row = conn.execute(_pending(run_key, step)).first()
            if row is None:
                return None
            if not _mark(conn, run_key, step, row.lo, worker, TAKEN, PENDING):
                continue
        result = run(Partition(step, row.lo, row.hi, row.claims))
        with engine.begin() as conn:
            _mark(conn, run_key, step, row.lo, worker, DONE, TAKEN, result)
        return result


def unfinished(engine: Engine, run_key: str, step: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(
            select(func.count()).select_from(WORK_PARTITION)
            .where(WORK_PARTITION.c.run_key == run_key, WORK_PARTITION.c.step == step,
                   WORK_PARTITION.c.status != DONE)).scalar_one())


def run_step(engine: Engine, step: str, as_of: date, *, run_key: str, worker: str, size: int,
             steps: Steps | None = None, run_id: str | None = None, on_chunk: OnChunk | None = None,
             poll: float = DEFAULT_POLL_SECONDS) -> StepResult:
    """Take and run partitions of `step` until every one is done (by this or another worker)."""
    partitions_fn, chunk_fn = (steps or _registered_steps())[step]
    publish(engine, run_key, step, worker, lambda: partitions_fn(engine, as_of, size))
    take = _take_and_run_pg if _is_postgres(engine) else _take_and_run_single_writer
    merged = StepResult(step)

    def run(part: Partition) -> StepResult:
        result = chunk_fn(engine, part, as_of, run_id or run_key)
        if on_chunk:
            on_chunk(step, part, result)
        return result

    while True:
        result = take(engine, run_key, step, worker, run)
        if result is not None:
            merged.merge(result)
            continue
        if unfinished(engine, run_key, step) == 0:
            return merged
        time.sleep(poll)


def check_names(*, run_key: str, worker: str) -> None:
    """A run key or worker name no work row may hold is refused before any partition is taken: one
    over its column would fail a worker on PostgreSQL after its chunk committed, mid-night."""
    for field, value, column in (("run_key", run_key, WORK_STEP.c.run_key),
                                 ("worker", worker, WORK_PARTITION.c.worker)):
        if not value.strip():
            raise ValueError(f"--{field.replace('_', '-')} is empty")
        if problem := text_problem(field, value, text_length(column)):
            raise ValueError(f"--{field.replace('_', '-')}: {problem}")


def run_night(engine: Engine, as_of: date, *, run_key: str, worker: str, size: int,
              steps: Steps | None = None, on_chunk: OnChunk | None = None) -> dict[str, StepResult]:
    """Every nightly step in order, sharing each step's partitions with the other workers that
    run the same `run_key` (all workers of one night must use the same key and size)."""
    from models.schema import require_current

    check_names(run_key=run_key, worker=worker)
    require_current(engine)
    results = {step: run_step(engine, step, as_of, run_key=run_key, worker=worker, size=size,
                              steps=steps, on_chunk=on_chunk)
               for step in STEP_ORDER}
    if anchor_once(engine, as_of, run_key=run_key, worker=worker):
        from services.money.outbox import dispatch

        dispatch(engine, as_of)  # the outbox after every step: one worker (the anchoring one)
    return results


def anchor_once(engine: Engine, as_of: date, *, run_key: str, worker: str) -> bool:
    """After the last step, exactly one worker of the run anchors the audit log (as the flow does)."""
    from services.oversight.audit import write_anchor

    with engine.begin() as conn:
        won = _insert_ignoring_conflict(conn, WORK_STEP, {
            "run_key": run_key, "step": ANCHOR_STEP, "partitions": 0, "published_by": worker,
            "published_at": _now()})
    if won:
        write_anchor(engine, as_of, run_key)
    return won


def published(engine: Engine, run_key: str) -> set[str]:
    """The steps of the run whose partitions were published (ANCHOR_STEP once anchored)."""
    with engine.connect() as conn:
        return set(conn.execute(select(WORK_STEP.c.step).where(WORK_STEP.c.run_key == run_key))
                   .scalars())


def progress(engine: Engine, run_key: str) -> dict[str, tuple[int, int]]:
    """step -> (partitions done, partitions published) for the run."""
    done = func.sum(case((WORK_PARTITION.c.status == DONE, 1), else_=0))
    with engine.connect() as conn:
        rows = conn.execute(select(WORK_PARTITION.c.step, func.coalesce(done, 0), func.count())
                            .where(WORK_PARTITION.c.run_key == run_key)
                            .group_by(WORK_PARTITION.c.step)).all()
    return {step: (int(d), int(n)) for step, d, n in rows}


def results(engine: Engine, run_key: str) -> dict[str, StepResult]:
    """What every worker of the run did, merged per published step (from the done partitions)."""
    merged = {step: StepResult(step) for step in STEP_ORDER if step in published(engine, run_key)}
    with engine.connect() as conn:
        rows = conn.execute(select(WORK_PARTITION.c.step, WORK_PARTITION.c.result)
                            .where(WORK_PARTITION.c.run_key == run_key,
                                   WORK_PARTITION.c.status == DONE,
                                   WORK_PARTITION.c.result.is_not(None))
                            .order_by(WORK_PARTITION.c.step, WORK_PARTITION.c.lo))
        for step, text in rows:
            if step in merged:
                merged[step].merge(load_result(step, text))
    return merged


def taken_by(engine: Engine, run_key: str) -> dict[str, int]:
    """worker -> partitions it ran in the run."""
    with engine.connect() as conn:
        rows = conn.execute(select(WORK_PARTITION.c.worker, func.count())
                            .where(WORK_PARTITION.c.run_key == run_key,
                                   WORK_PARTITION.c.status == DONE)
                            .group_by(WORK_PARTITION.c.worker)).all()
    return {str(worker): int(n) for worker, n in rows}


def _registered_steps() -> Steps:
    from services.nightly.runner import STEPS

    return STEPS
