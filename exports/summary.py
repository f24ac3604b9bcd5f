"""The quarterly / annual report (季报、年报) as plain figures.

Over the claims filed in [from, to]: how many are in each state now, and a funnel of how far
they got (a claim counts for every stage up to the furthest its history or state reached).
Money: paid, recovered, owed and net of the payments with a business date in [from, to], by policy
and claim kind, from `services.money.totals.money_totals` (the one query every money report reads:
a recovery is subtracted once, when the money came back). Outstanding advances and recoveries are
as the database stands now, from the same query.

`summary_figures(engine, date_from, date_to)` is what the nightly flow attaches as Prefect
artifacts (`SummaryFigures.as_tables()`); it holds no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, case, func, select

from models.tables import CLAIM, EVENT, PAYMENT
from services.money.totals import Totals, money_totals, paid_payment
from states.lifecycle import STATE_CODES, STATE_ZH

FUNNEL: tuple[tuple[str, str], ...] = (
    ("filed", "受理"),
    ("on_site_inspected", "现场检查通过"),
    ("assessed", "审核通过"),
    ("publicly_posted", "公示"),
    ("approved", "公示期满"),
    ("paid", "已拨付"),
)
STAGE_RANK: dict[str, int] = {
    "filed": 0, "advance_paid": 0, "on_site_inspected": 1, "assessed": 2, "publicly_posted": 3,
    "objected": 3, "approved": 4, "payment_failed": 4, "paid": 5,
}
ADVANCE_OPEN_STATES: tuple[str, ...] = ("advance_paid", "on_site_inspected", "assessed",
                                        "publicly_posted", "objected", "approved",
                                        "payment_failed")


@dataclass(frozen=True, slots=True)
class MoneyLine:
    policy: str
    claim_kind: str
    totals: Totals


@dataclass(frozen=True, slots=True)
class Outstanding:
    policy: str
    claims: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SummaryFigures:
    date_from: date
    date_to: date
    claims: int
    by_state: dict[str, int]
    funnel: list[tuple[str, str, int]]
    money: list[MoneyLine]
    advances_outstanding: list[Outstanding]
    recoveries_outstanding: list[Outstanding]

    def as_tables(self) -> dict[str, list[dict[str, Any]]]:
        """JSON-safe tables (money as decimal strings), e.g. for Prefect table artifacts."""
        return {
            "by_state": [{"state": s, "state_zh": STATE_ZH[s], "claims": n}
                         for s, n in self.by_state.items()],
            "funnel": [{"stage": s, "stage_zh": zh, "claims": n} for s, zh, n in self.funnel],
            "money": [{"policy": m.policy, "claim_kind": m.claim_kind, **m.totals.as_dict()}
                      for m in self.money],
            "advances_outstanding": [_out(o) for o in self.advances_outstanding],
            "recoveries_outstanding": [_out(o) for o in self.recoveries_outstanding],
        }

    def totals_by_policy(self) -> dict[str, Totals]:
        out: dict[str, Totals] = {}
        for m in self.money:
            out[m.policy] = out.get(m.policy, Totals()) + m.totals
        return out

    def money_by_policy(self) -> dict[str, Decimal]:
        """Net paid per policy: advances and final payments less money returned (services.money.totals)."""
        return {policy: t.net for policy, t in self.totals_by_policy().items()}


def _out(o: Outstanding) -> dict[str, Any]:
    return {"policy": o.policy, "claims": o.claims, "amount": str(o.amount)}


def summary_figures(engine: Engine, date_from: date, date_to: date) -> SummaryFigures:
    filed = CLAIM.c.filed_on.between(date_from, date_to)
    with engine.connect() as conn:
        by_state_rows = conn.execute(
            select(CLAIM.c.state, func.count()).where(filed).group_by(CLAIM.c.state)).all()
        reached = _reached(conn, filed)
        money = money_totals(conn, CLAIM.c.policy, CLAIM.c.kind, date_from=date_from, date_to=date_to)
        advances = money_totals(conn, CLAIM.c.policy, where=(
            CLAIM.c.state.in_(ADVANCE_OPEN_STATES), PAYMENT.c.kind == "advance", paid_payment()))
        recoveries = money_totals(conn, CLAIM.c.policy, where=(
            CLAIM.c.state == "recovery_due", PAYMENT.c.kind == "recovery"))
    counts: dict[str, int] = {state: int(n) for state, n in by_state_rows}
    by_state = {s: int(counts.get(s, 0)) for s in STATE_CODES}
    total = sum(by_state.values())
    funnel = [(code, zh, sum(n for rank, n in reached.items() if rank >= i))
              for i, (code, zh) in enumerate(FUNNEL)]
    return SummaryFigures(
        date_from, date_to, total, by_state, funnel,
        [MoneyLine(p, ck, t) for (p, ck), t in sorted(money.items())],
        [Outstanding(p, t.claims, t.advance) for (p,), t in sorted(advances.items()) if t.advance],
        [Outstanding(p, t.claims, t.owed) for (p,), t in sorted(recoveries.items()) if t.owed],
    )


def _reached(conn: Any, filed: Any) -> dict[int, int]:
    """furthest funnel rank -> claims, from each claim's events and its current state."""
    event_rank = (select(EVENT.c.claim_pk,
                         func.max(case(STAGE_RANK, value=EVENT.c.to_state, else_=0)).label("r"))
                  .group_by(EVENT.c.claim_pk).subquery())
    rows = conn.execute(
        select(CLAIM.c.state, event_rank.c.r, func.count())
        .select_from(CLAIM)
        .outerjoin(event_rank, event_rank.c.claim_pk == CLAIM.c.id)
        .where(filed)
        .group_by(CLAIM.c.state, event_rank.c.r)
    ).all()
    out: dict[int, int] = {}
    for state, by_event, n in rows:
        rank = max(STAGE_RANK.get(state, 0), int(by_event or 0))
        out[rank] = out.get(rank, 0) + int(n)
    return out
