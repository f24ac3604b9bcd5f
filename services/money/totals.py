"""Money totals: the one definition of paid, recovered, owed and net that every report reads.

One grouped query over the payment rows (joined to their claims), one row per group:

- **paid** (已拨付): advances and final payments ordered and not failed or voided (the claim's
  advance_paid / final_paid count them from the order on); a failed payment is not money out, its
  retry is a new payment row.
- **demanded** (应追回): recovery demands (kind recovery, status due, or confirmed once all of it
  came back). A demand is not money back.
- **recovered** (已追回): sums actually returned (kind recovery, status returned), each once.
- **owed** (待追回) = demanded − recovered; **net** (净拨付) = paid − recovered.

The quarterly summary (exports/summary.py), the target report (exports/targets.py), the fund
ledger (services/money/funds.py) and the night's page (services/nightly/report.py) take their
money from `money_totals`, so a recovery is subtracted once, where it came back, and the
summary's net paid equals the target report's over the same claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, distinct, func, select, type_coerce

from models.money import Money, to_yuan
from models.tables import CLAIM, PAYMENT

ZERO = Decimal("0.00")
PAID_KINDS: tuple[str, ...] = ("advance", "final")
NOT_PAID: tuple[str, ...] = ("failed", "void")
"""statuses of an advance or final payment that is not money out (failed by channel or bank, voided unsent)"""
RECOVERY = "recovery"
DEMAND_STATUSES: tuple[str, ...] = ("due", "confirmed")
RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class Totals:
    payments: int = 0
    """advances and final payments counted in `paid`"""
    claims: int = 0
    """claims with a payment row in the group"""
    advance: Decimal = ZERO
    final: Decimal = ZERO
    demanded: Decimal = ZERO
    recovered: Decimal = ZERO

    @property
    def paid(self) -> Decimal:
        return self.advance + self.final

    @property
    def owed(self) -> Decimal:
        return self.demanded - self.recovered

    @property
    def net(self) -> Decimal:
        return self.paid - self.recovered

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.payments + other.payments, self.claims + other.claims, self.advance + other.advance,
                      self.final + other.final, self.demanded + other.demanded, self.recovered + other.recovered)

    def as_dict(self) -> dict[str, str | int]:
        """JSON-safe (money as decimal strings)."""
        return {"payments": self.payments, "claims": self.claims, "advance": f"{self.advance:.2f}",
                "final": f"{self.final:.2f}", "paid": f"{self.paid:.2f}",
                "recovered": f"{self.recovered:.2f}", "owed": f"{self.owed:.2f}",
                "net": f"{self.net:.2f}"}


def _sum_if(condition: ColumnElement[bool]) -> Any:
    return type_coerce(func.coalesce(func.sum(case((condition, PAYMENT.c.amount), else_=0)), 0), Money)


def money_totals(conn: Connection, *keys: Any, where: tuple[Any, ...] = (),
                 date_from: date | None = None, date_to: date | None = None) -> dict[tuple[Any, ...], Totals]:
    """Totals per group of `keys` (columns or labelled expressions over CLAIM and PAYMENT): one
    query. `where` narrows the claims or payments; `date_from`/`date_to` the payments' business date."""
    live = PAYMENT.c.status.not_in(NOT_PAID)
    paid = and_(PAYMENT.c.kind.in_(PAID_KINDS), live)
    stmt = (select(*keys,
                   func.sum(case((paid, 1), else_=0)), func.count(distinct(PAYMENT.c.claim_pk)),
                   _sum_if(and_(PAYMENT.c.kind == "advance", live)),
                   _sum_if(and_(PAYMENT.c.kind == "final", live)),
                   _sum_if(and_(PAYMENT.c.kind == RECOVERY, PAYMENT.c.status.in_(DEMAND_STATUSES))),
                   _sum_if(and_(PAYMENT.c.kind == RECOVERY, PAYMENT.c.status == RETURNED)))
            .select_from(PAYMENT.join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk))
            .where(*where))
    if date_from is not None:
        stmt = stmt.where(PAYMENT.c.business_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(PAYMENT.c.business_date <= date_to)
    if keys:
        stmt = stmt.group_by(*keys)
    found: dict[tuple[Any, ...], Totals] = {}
    width = len(keys)
    for row in conn.execute(stmt):
        values = tuple(row)
        count, claims, advance, final, demanded, recovered = values[width:]
        if not count and not demanded and not recovered:
            continue
        found[values[:width]] = Totals(int(count or 0), int(claims or 0), _yuan(advance), _yuan(final), _yuan(demanded),
                                       _yuan(recovered))
    return found


def _yuan(value: Any) -> Decimal:
    return to_yuan(Decimal(str(value or 0)))


def paid_payment() -> ColumnElement[bool]:
    """An advance or final payment that counts as paid (a WHERE clause on PAYMENT)."""
    return and_(PAYMENT.c.kind.in_(PAID_KINDS), PAYMENT.c.status.not_in(NOT_PAID))
