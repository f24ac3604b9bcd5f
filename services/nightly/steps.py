"""The nightly steps' shared shape: a step is decided and written one person-partition at a time.

A partition is a half-open range of `claim.person_key` values holding a few thousand claims;
all of one person's claims fall in the same partition, so per-person caps are decided in one
place and two workers never touch the same person. Flows (Prefect) only order the steps and
fan the partitions out; every function here is plain Python over an Engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

STEP_ORDER: tuple[str, ...] = (
    "pay_advances",
    "apply_inspections",
    "assess",
    "post",
    "close_postings",
    "pay_due",
)

STEP_ZH: dict[str, str] = {
    "pay_advances": "预支拨付",
    "apply_inspections": "现场检查结果",
    "assess": "审核",
    "post": "公示",
    "close_postings": "公示期满",
    "pay_due": "拨付",
}


@dataclass(frozen=True, slots=True)
class Partition:
    step: str
    lo: int
    hi: int
    """person_key in [lo, hi)"""
    claims: int


@dataclass(slots=True)
class StepResult:
    step: str
    claims_seen: int = 0
    moved: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(policy, to_state) -> claims moved"""
    money: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    """(policy, payment kind) -> amount written"""
    set_aside: list[tuple[str, str, str]] = field(default_factory=list)
    """(policy, claim_id, reason) set aside for an administrator"""
    held: Counter[str] = field(default_factory=Counter)
    """policy -> claims waiting for a payment release (not set aside: nothing is wrong)"""
    chunks: int = 0

    def merge(self, other: StepResult) -> None:
        self.claims_seen += other.claims_seen
        self.moved.update(other.moved)
        for key, amount in other.money.items():
            self.money[key] = self.money.get(key, Decimal("0")) + amount
        self.set_aside.extend(other.set_aside)
        self.held.update(other.held)
        self.chunks += other.chunks


# Signatures every step module provides (registered in services.nightly.STEPS):
PartitionFn = Callable[[Engine, date, int], list[Partition]]
"""(engine, as_of, claims_per_partition) -> partitions with work for this step"""
ChunkFn = Callable[[Engine, Partition, date, str | None], StepResult]
"""(engine, partition, as_of, run_id) -> what this partition did; one transaction"""
