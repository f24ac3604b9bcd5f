"""The nightly steps, in STEP_ORDER, as (PartitionFn, ChunkFn) pairs — and a plain-Python runner.

Flows (Prefect) fan each step's partitions out themselves; tests, `claims retry` and anyone
without Prefect use `run_step` / `run_night`. Every step is idempotent in the database: a
re-run for the same business date finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from types import ModuleType

from sqlalchemy import Engine

from services.money.outbox import PAYING_STEPS, dispatch
from services.nightly import (
    apply_inspections,
    assess,
    close_postings,
    pay_advances,
    pay_due,
    post,
)
from services.nightly.base import Run, make_step, person_partitions, run_chunk
from services.nightly.steps import STEP_ORDER, ChunkFn, Partition, PartitionFn, StepResult
from services.settings import chunk_size

MODULES: dict[str, ModuleType] = {
    m.STEP: m for m in (pay_advances, apply_inspections, assess, post, close_postings, pay_due)
}
assert tuple(MODULES) == STEP_ORDER, "every step of STEP_ORDER needs its module, in order"

STEPS: dict[str, tuple[PartitionFn, ChunkFn]] = {name: make_step(m) for name, m in MODULES.items()}

ChunkCallback = Callable[[Partition, StepResult], None]


def run_step(engine: Engine, step: str, as_of: date, run_id: str | None = None, size: int | None = None,
             on_chunk: ChunkCallback | None = None, *, run: Run | None = None) -> StepResult:
    """Run every partition of `step` for `as_of`, one transaction each; `on_chunk` after each."""
    if step not in MODULES:
        raise ValueError(f"no step {step!r}; steps are {', '.join(STEP_ORDER)}")
    module = MODULES[step]
    run = run or Run(as_of, run_id)
    total = StepResult(step)
    for partition in person_partitions(engine, module, run, size or chunk_size()):
        done = run_chunk(engine, module, partition, run)
        total.merge(done)
        if on_chunk is not None:
            on_chunk(partition, done)
    if step in PAYING_STEPS:
        dispatch(engine, as_of)
    return total


def run_night(engine: Engine, as_of: date, run_id: str | None = None, size: int | None = None,
              on_chunk: ChunkCallback | None = None) -> dict[str, StepResult]:
    """All steps in order for the business date `as_of`."""
    return {step: run_step(engine, step, as_of, run_id, size, on_chunk) for step in STEP_ORDER}


__all__ = ["MODULES", "STEPS", "ChunkCallback", "Run", "run_night", "run_step"]
