"""The fund ledger (专账): payments draw on a budget per policy, year and region.

The seeds pay from a fund: Ordos pays 培训补贴 "全部从专账资金中列支" and asks each body for its
补贴资金预算 (004_f9282158eb6a007b.txt); none states its size, so budgets are the deployment's
(`funds:` in the settings file). No budget for a (policy, year, region) means unlimited.

`draw` is the one call a payment step makes before sending, inside the chunk's transaction: per
account it takes the row's lock (an UPDATE first, which PostgreSQL holds to commit and which makes
SQLite's writer lock ours), pays in filing order what fits in what remains, stops at the first
claim that does not fit (no later claim overtakes it) and holds the rest with a reason. Two
workers drawing on one account therefore queue on the row: the ledger is never overspent.
A payment the bank refuses stays drawn (the retry draws again): the ledger errs towards paying
less, never more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from intake.messages import msg
from models.oversight import FUND
from services.settings import Settings

Item = tuple[Any, str, int, Decimal]
"""(claim row, payment kind, attempt, amount) as services.money.payments.send takes them"""


def _key(row: Any, on: date) -> tuple[str, int, str]:
    return row.policy, on.year, row.region


def draw(conn: Connection, items: list[Item], on: date, settings: Settings,
         hold: Callable[[Any, str], None]) -> list[Item]:
    """The items the budgets allow, in their original order; `hold(row, reason)` for the rest."""
    budgets = settings.fund_budgets
    if not budgets or not items:
        return items
    groups: dict[tuple[str, int, str], list[Item]] = defaultdict(list)
    for item in items:
        groups[_key(item[0], on)].append(item)
    held: set[int] = set()
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    for key in sorted(groups):
        if key not in budgets:
            continue
        policy, year, region = key
        budget = budgets[key]
        conn.execute(dialect.insert(FUND).values(policy=policy, year=year, region=region, budget=budget,
                                                 drawn=Decimal("0")).on_conflict_do_nothing())
        where = and_(FUND.c.policy == policy, FUND.c.year == year, FUND.c.region == region)
        conn.execute(update(FUND).where(where).values(budget=budget))  # the lock, and today's budget
        drawn = conn.execute(select(FUND.c.drawn).where(where)).scalar_one()
        left = budget - drawn
        taken = Decimal("0")
        full = False
        for item in sorted(groups[key], key=lambda i: (i[0].filed_on, i[0].claim_id)):
            if not full and item[3] <= left - taken:
                taken += item[3]
                continue
            full = True
            held.add(id(item))
            hold(item[0], f"fund budget {policy} {year} {region}: {budget:.2f} budgeted, "
                          f"{drawn + taken:.2f} drawn, {item[3]:.2f} does not fit; held in filing order")
        if taken:
            conn.execute(update(FUND).where(where).values(drawn=FUND.c.drawn + taken))
    return [item for item in items if id(item) not in held]


def unlimited_warning(settings: Settings) -> str | None:
    """The night's warning when no budget is configured at all."""
    if settings.fund_budgets:
        return None
    return msg("funds.unlimited", "en")


@dataclass(frozen=True, slots=True)
class FundLine:
    policy: str
    year: int
    region: str
    budget: Decimal | None
    committed: Decimal
    paid: Decimal
    recovered: Decimal
    drawn: Decimal

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.drawn


def fund_lines(conn: Connection, year: int, settings: Settings) -> list[FundLine]:
    """Per (policy, region) for `year`: budget, committed (approved, not paid), paid and recovered
    (payments dated in the year), drawn on the ledger. Grouped queries, no row per claim."""
    from sqlalchemy import extract, func

    from models.money import Money
    from models.tables import CLAIM, PAYMENT
    from states.lifecycle import sources

    keys: set[tuple[str, str]] = {(p, r) for (p, y, r) in settings.fund_budgets if y == year}
    committed: dict[tuple[str, str], Decimal] = {}
    for policy, region, amount, advance, final in conn.execute(
            select(CLAIM.c.policy, CLAIM.c.region, func.sum(CLAIM.c.amount, type_=Money()),
                   func.sum(CLAIM.c.advance_paid, type_=Money()), func.sum(CLAIM.c.final_paid, type_=Money()))
            .where(CLAIM.c.state.in_(sources("pay", "retry_payment")))
            .group_by(CLAIM.c.policy, CLAIM.c.region)):
        committed[(policy, region)] = _yuan(amount) - _yuan(advance) - _yuan(final)
    from services.money.totals import money_totals

    money = money_totals(conn, CLAIM.c.policy, CLAIM.c.region,
                         where=(extract("year", PAYMENT.c.business_date) == year,))
    drawn = {(p, r): _yuan(d) for p, r, d in conn.execute(
        select(FUND.c.policy, FUND.c.region, FUND.c.drawn).where(FUND.c.year == year))}
    keys |= set(committed) | set(money) | set(drawn)
    lines = []
    for policy, region in sorted(keys):
        totals = money.get((policy, region))
        paid, recovered = (totals.paid, totals.recovered) if totals else (ZERO, ZERO)
        lines.append(FundLine(policy, year, region, settings.fund_budgets.get((policy, year, region)),
                              committed.get((policy, region), ZERO), paid, recovered,
                              drawn.get((policy, region), ZERO)))
    return lines


ZERO = Decimal("0.00")


def _yuan(value: Any) -> Decimal:
    from models.money import to_yuan

    return to_yuan(Decimal(str(value or 0)))
