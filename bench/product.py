"""The product's lifecycle over the synthetic files, through its own service layer, timed.

Inspections and completions go through `services.importing.rosters` (bulk), objections and their review
through `services.objections` (one transaction each: they are single human acts), the nights
through `services.nightly.run_step` per step — or, with `prefect=True`, through the nightly
Prefect flow against the configured server.
"""

from __future__ import annotations

import csv
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from bench.schedule import COMPLETION_DAY, OBJECTION_DAY, REVIEW_DAY, SETTLED_STATES, nights
from bench.synthetic import SyntheticFiles
from intake.readers import read_rows
from models.tables import CLAIM
from services.access.actors import Actor
from services.nightly.steps import STEP_ORDER

INSPECTOR = Actor("bench-inspector", "inspector")
CLERK = Actor("bench-clerk", "clerk")
PUBLIC = Actor("bench-public", "clerk")
REVIEWER = Actor("bench-reviewer", "reviewer")
APPROVER = Actor("bench-approver", "approver")
"""releases each night's payment batches (approval is on by default); handled none of the claims"""


@dataclass
class Timings:
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    claims: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    nights: int = 0
    prefect_nights: list[float] = field(default_factory=list)

    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """this process's cpu per step (on SQLite the database's work is in it): steady under the
    load of a shared machine, where the wall-clock seconds are not"""

    def add(self, name: str, seconds: float, claims: int, cpu: float = 0.0) -> None:
        self.seconds[name] += seconds
        self.claims[name] += claims
        self.cpu[name] += cpu

    def since(self, name: str, began: tuple[float, float], claims: int) -> None:
        """Add the wall and cpu seconds since `began` (`clock()`)."""
        wall, cpu = clock()
        self.add(name, wall - began[0], claims, cpu - began[1])


def clock() -> tuple[float, float]:
    """(wall, this process's cpu) now, for `Timings.since`."""
    return time.perf_counter(), time.process_time()


def unsettled(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(CLAIM)
                                .where(CLAIM.c.state.notin_(SETTLED_STATES))).scalar_one())


def objections_for(engine: Engine, path: Path, state: str) -> list[dict[str, str]]:
    """The objection rows whose claim is in `state` (one query per 500 rows)."""
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    wanted: set[tuple[str, str]] = set()
    with engine.connect() as conn:
        for start in range(0, len(rows), 500):
            ids = [r["claim_id"] for r in rows[start:start + 500]]
            found = conn.execute(select(CLAIM.c.claim_id, CLAIM.c.policy)
                                 .where(CLAIM.c.claim_id.in_(ids), CLAIM.c.state == state)).all()
            wanted.update((f.claim_id, f.policy) for f in found)
    return [r for r in rows if (r["claim_id"], r["policy"]) in wanted]


def _timed(timings: Timings, name: str, work: Callable[[], int]) -> None:
    began = clock()
    claims = work()
    timings.since(name, began, claims)


def raise_objections(engine: Engine, path: Path, on: date) -> int:
    from services.objections import raise_objection

    rows = objections_for(engine, path, "publicly_posted")
    for row in rows:
        raise_objection(engine, row["claim_id"], policy=row["policy"], reason=row["reason"], actor=PUBLIC, on=on)
    return len(rows)


def review_objections(engine: Engine, path: Path, on: date) -> int:
    from services.objections import review_objection

    rows = objections_for(engine, path, "objected")
    for row in rows:
        review_objection(engine, row["claim_id"], policy=row["policy"], uphold=row["outcome"] == "uphold",
                         reason=row["review_reason"], actor=REVIEWER, on=on)
    return len(rows)


def _completions(engine: Engine, path: Path, on: date) -> int:
    from services.importing.rosters import record_completions

    return record_completions(engine, read_rows(path), actor=CLERK, on=on).recorded


def run_night_steps(engine: Engine, day: date, size: int, timings: Timings) -> None:
    from services.nightly.runner import run_step

    for step in STEP_ORDER:
        began = clock()
        result = run_step(engine, step, day, f"bench-{day}", size)
        timings.since(step, began, sum(result.moved.values()))


def release_night(engine: Engine, day: date, timings: Timings) -> None:
    """The night's batches released by a distinct approver and sent (services/money/approval.py)."""
    from services.money.approval import approve_batch, waiting_batches

    began = clock()
    with engine.connect() as conn:
        waiting = waiting_batches(conn, on=day)
    if waiting:
        approve_batch(engine, on=day, actor=APPROVER)
    timings.since("release", began, sum(w.claims for w in waiting))


def run_night_prefect(url: str, day: date, size: int, timings: Timings) -> None:
    from flows.nightly import nightly

    began = clock()
    results: Any = nightly(as_of=day, database_url=url, chunk_size=size)
    spent = time.perf_counter() - began[0]
    timings.prefect_nights.append(spent)
    timings.since("night (Prefect flow)", began, sum(sum(r.moved.values()) for r in results.values()))


def prefect_fixed_cost(engine: Engine, url: str, day: date, size: int) -> tuple[float, float, float]:
    """(flow seconds, plain seconds, flow cpu seconds of this process) of the same night with nothing
    left to do: the difference is what Prefect itself costs per night (flow run, task runs,
    artifacts, API calls); the cpu is the client's share, the rest of the wall time is spent
    waiting for the server's answers."""
    from flows.nightly import nightly

    start, cpu = time.perf_counter(), time.process_time()
    nightly(as_of=day, database_url=url, chunk_size=size)
    flow_seconds, flow_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    run_night_steps(engine, day, size, Timings())
    return flow_seconds, time.perf_counter() - start, flow_cpu


def _inspections(engine: Engine, path: Path, day: date) -> int:
    from services.importing.rosters import record_inspections

    return record_inspections(engine, read_rows(path), actor=INSPECTOR, on=day).recorded


def run_lifecycle(engine: Engine, url: str, files: SyntheticFiles, *, size: int, prefect: bool = False,
                  log: Callable[[str], None] = print) -> Timings:
    """Record the rosters and run every night until every claim is settled."""
    timings = Timings()
    first = True
    for day in nights():
        if first:
            _timed(timings, "record inspections", partial(_inspections, engine, files.inspections, day))
            first = False
        if day == COMPLETION_DAY:
            _timed(timings, "record completions", partial(_completions, engine, files.completions, day))
        if day == OBJECTION_DAY:
            _timed(timings, "raise objections", partial(raise_objections, engine, files.objections, day))
        if day == REVIEW_DAY:
            _timed(timings, "review objections", partial(review_objections, engine, files.objections, day))
        if prefect:
            run_night_prefect(url, day, size, timings)
        else:
            run_night_steps(engine, day, size, timings)
        release_night(engine, day, timings)
        timings.nights += 1
        left = unsettled(engine)
        log(f"night {day}: {left} claims not yet settled")
        if left == 0 and day >= REVIEW_DAY:
            return timings
    raise RuntimeError(f"claims still unsettled after {timings.nights} nights")
