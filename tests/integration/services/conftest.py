"""Service-level fixtures: a rulebook we control, the payment channel in a temp directory,
and small helpers to read claims, events and payments back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text

from models.money import to_yuan
from models.tables import CLAIM, EVENT, PAYMENT
from rules.decision import Decision, Grant
from services.money.channel import FileChannel, use_channel
from services.nightly.rulebook import use_rulebook


@dataclass
class FakeRules:
    """Pays `amounts[claim_id]` (default 1000.00), advances `advance_rate` of it, refuses the 4th
    certificate of a year (annual_limit), names `missing[claim_id]` as a missing parameter and
    treats `drafts` as draft policies unless listed in `confirmed`."""

    amounts: dict[str, Decimal] = field(default_factory=dict)
    advance_rate: Decimal = Decimal("0.5")
    missing: dict[str, str] = field(default_factory=dict)
    drafts: set[str] = field(default_factory=set)
    confirmed: set[str] = field(default_factory=set)
    fail_on: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)

    def in_force(self, policy: str) -> bool:
        return policy not in self.drafts or policy in self.confirmed

    def evaluate(self, row: Any, history: Sequence[Grant]) -> Decision:
        self.calls.append(row.claim_id)
        if row.claim_id in self.fail_on:
            raise RuntimeError(f"rules blew up on {row.claim_id}")
        draft = row.policy in self.drafts
        if row.claim_id in self.missing:
            return Decision(row.claim_id, row.policy, False, Decimal("0.00"), row.payee_type,
                            reasons=("missing_parameter",), missing=(self.missing[row.claim_id],), draft=draft)
        year = row.certificate_date.year if row.certificate_date else None
        if year and sum(1 for g in history if g.subsidy_year == year) >= 3:
            return Decision(row.claim_id, row.policy, False, Decimal("0.00"), row.payee_type,
                            reasons=("annual_limit",), citations=("000_024512f998c4ead0.txt 二(一)5",),
                            draft=draft)
        amount = self.amounts.get(row.claim_id, Decimal("1000.00"))
        advance = to_yuan(amount * self.advance_rate) if row.advance_requested else None
        return Decision(row.claim_id, row.policy, True, amount, row.payee_type, advance_amount=advance,
                        citations=("000_024512f998c4ead0.txt 二(一)5",), draft=draft)


@pytest.fixture
def rules() -> Iterator[FakeRules]:
    fake = FakeRules()
    use_rulebook(lambda: fake)
    yield fake
    use_rulebook(None)


@pytest.fixture
def payment_dir(tmp_path: Path) -> Iterator[Path]:
    out = tmp_path / "payments"
    use_channel(FileChannel(out))
    yield out
    use_channel(None)


def claims_by_id(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {r.claim_id: r for r in conn.execute(select(CLAIM)).all()}


def payments(engine: Engine, claim_id: str | None = None) -> list[Any]:
    query = select(PAYMENT, CLAIM.c.claim_id).join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk)
    if claim_id:
        query = query.where(CLAIM.c.claim_id == claim_id)
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(PAYMENT.c.id)).all())


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(EVENT)).scalar_one(),
                conn.execute(select(func.count()).select_from(PAYMENT)).scalar_one())


def history(engine: Engine, claim_id: str) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(EVENT).join(CLAIM, CLAIM.c.id == EVENT.c.claim_pk)
                            .where(CLAIM.c.claim_id == claim_id).order_by(EVENT.c.seq)).all()
    return [(e.from_state, e.to_state, e.trigger) for e in rows]


def event_heads(engine: Engine) -> dict[int, str]:
    """claim pk -> the head of its event chain"""
    with engine.connect() as conn:
        return {r.id: r.event_head for r in conn.execute(text("SELECT id, event_head FROM claim"))}
