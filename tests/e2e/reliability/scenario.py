"""A small real database for the reliability drills: a few hundred synthetic claims imported,
inspected and completed, nights run as `claims nightly` runs them, and a snapshot of everything
a night writes (states, money, payments, event trails) to compare runs by.

Nights use the shipped policy packs, the file payment channel and a one-working-day posting
window, so that two nights exercise all six steps: D0 pays advances, applies inspections,
assesses and posts; D1 closes the postings and pays.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from bench.synthetic import generate
from intake.readers import read_rows
from models.db import make_engine
from models.schema import upgrade
from models.tables import CLAIM, EVENT, PAYMENT
from services.access.actors import Actor
from services.importing.filing import import_file
from services.importing.rosters import record_completions, record_inspections
from services.nightly import lease
from services.nightly.runner import run_night
from services.oversight.audit import write_anchor
from tests.release import release

D0 = date(2020, 5, 6)
D1 = D0 + timedelta(days=1)
NIGHTS = (D0, D1)
CLAIMS = 240
CHUNK = 40
LEASE_HOURS = "0.0002"
"""a lease of under a second, so a crashed run's lease lapses at once in the drills"""

CLERK = Actor("drill-clerk", "clerk")
INSPECTOR = Actor("drill-inspector", "inspector")


def night_env(payment_dir: Path) -> dict[str, str]:
    """Settings every night of a drill runs with, in process and in the subprocesses. Every step is cut
    into partitions of CHUNK claims (`CLAIMS_SQL_PARTITION_FACTOR` 1: the steps that write in SQL too),
    so a drill can kill a step between its partitions."""
    return {"CLAIMS_POSTING_WORKING_DAYS": "1", "CLAIMS_PAYMENT_DIR": str(payment_dir),
            "CLAIMS_SQL_PARTITION_FACTOR": "1", "CLAIMS_PAYMENT_CHANNEL": "file",
            "CLAIMS_NIGHTLY_LEASE_HOURS": LEASE_HOURS,
            "CLAIMS_LOCAL_OVERRIDES": "", "CLAIMS_SETTINGS": "", "CLAIMS_ACTORS": ""}


def build(url: str, files_dir: Path, claims: int = CLAIMS) -> Engine:
    """Schema, the synthetic claims filed on D0, their inspections and completions recorded."""
    engine = make_engine(url)
    upgrade(engine)
    files = generate(claims, files_dir)
    report = import_file(engine, files.claims, actor=CLERK, on=D0)
    assert report.rejected == 0 and report.filed == files.claims_written, report.rejections[:3]
    record_inspections(engine, read_rows(files.inspections), actor=INSPECTOR)
    record_completions(engine, read_rows(files.completions), actor=CLERK, on=D0)
    return engine


def night(engine: Engine, day: date, label: str = "drill") -> None:
    """One night as `claims nightly --no-prefect` runs it: lease, steps, anchor; then its batches
    released by a distinct approver (approval is on by default)."""
    holder = lease.holder_name(f"nightly-{day} {label}")
    deadline = time.monotonic() + 30
    while True:
        try:
            lease.acquire(engine, holder)
            break
        except lease.LeaseHeld:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)  # a crashed run's lease lapses within LEASE_HOURS
    try:
        run_night(engine, day, run_id=f"{label}-{day}", size=CHUNK)
        write_anchor(engine, day, f"{label}-{day}")
    finally:
        lease.release(engine, holder)
    release(engine, day)


@dataclass(frozen=True)
class Snapshot:
    claims: dict[tuple[str, str], tuple[Any, ...]]
    """(policy, claim_id) -> state and money columns"""
    payments: Counter[tuple[Any, ...]]
    """(policy, claim_id, kind, attempt, amount, status, business date) -> rows"""
    trails: dict[tuple[str, str], tuple[tuple[str, str, str], ...]]
    """(policy, claim_id) -> its events as (from, to, trigger)"""


def snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as conn:
        rows = conn.execute(select(CLAIM)).all()
        names = {r.id: (r.policy, r.claim_id) for r in rows}
        claims = {names[r.id]: (r.state, r.amount, r.advance_amount, r.advance_paid, r.final_paid,
                                r.recovery_owed, r.recovered, r.reasons, r.set_aside_step) for r in rows}
        payments = Counter((*names[p.claim_pk], p.kind, p.attempt, p.amount, p.status, p.business_date)
                           for p in conn.execute(select(PAYMENT)))
        trails: dict[tuple[str, str], list[tuple[str, str, str]]] = {key: [] for key in claims}
        for e in conn.execute(select(EVENT).order_by(EVENT.c.claim_pk, EVENT.c.seq)):
            trails[names[e.claim_pk]].append((e.from_state, e.to_state, e.trigger))
    return Snapshot(claims, payments, {k: tuple(v) for k, v in trails.items()})


def batch_keys(payment_dir: Path) -> Counter[str]:
    """Payment keys in the file channel's batch files, with how often each appears."""
    keys: Counter[str] = Counter()
    for path in sorted(payment_dir.glob("payments-*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in list(csv.reader(handle))[1:]:
                keys[row[1]] += 1
    return keys


def sent_keys(engine: Engine) -> set[str]:
    """Idempotency keys of the advance and final payments the channel accepted."""
    with engine.connect() as conn:
        return set(conn.execute(select(PAYMENT.c.idempotency_key).where(
            PAYMENT.c.kind.in_(("advance", "final")), PAYMENT.c.status == "sent")).scalars())
