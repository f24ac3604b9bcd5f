"""Replay under an amended policy (政策调整后的重新测算): what would change, changing nothing.

Decided claims (granted, paid or refused) are evaluated twice with the rules engine, person by
person in DESIGN rule 9's order, each against the grants the same rulebook made before: once under
today's rulebook (shipped packs, the deployment's overrides) and once under the amended one
(`--pack FILE` in place of its policy's pack, and/or `--overrides FILE` in place of the overrides).
A claim is listed when its eligibility or amount differs between the two, with what was paid:
the candidates for a top-up (补发) or a recovery (追回). Comparing two evaluations made now, not
the stored amount, lists exactly what the amendment changes: refusals for other causes (failed
inspection, upheld objection, fraud, reference checks, a confirmed signal) are not the amendment's
doing — such a claim is not listed and, as at night, does not count as a grant towards the
person's caps. Reads only, in chunks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from models.tables import CLAIM
from rules.decision import Decision, Grant
from rules.overrides import LocalOverrides
from rules.packs import PolicyPack
from services.nightly.grants import GRANTED_STATES, grant_of, person_order
from services.nightly.rulebook import record_of
from services.settings import chunk_size

DECIDED: tuple[str, ...] = (*GRANTED_STATES, "rejected", "recovery_due", "recovered")
REFUSED_STATES: frozenset[str] = frozenset({"rejected", "recovery_due", "recovered"})
OTHER_CAUSES: frozenset[str] = frozenset({
    "inspection_failed", "objection_upheld", "fraud", "duplicate_certificate", "completion_failed",
    "certificate_not_in_registry", "certificate_mismatch", "insured_months_not_confirmed", "signal_confirmed"})
"""refusals that are not the rules' decision: a replay neither lists such a claim (no amendment changes
it) nor counts it as a grant in the person's history (the night does not either: services/nightly/grants.py)"""
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Rulebook:
    packs: dict[str, PolicyPack]
    overrides: LocalOverrides

    def decide(self, row: Any, history: Sequence[Grant]) -> Decision | None:
        from rules.engine import evaluate
        from rules.run import ClaimFactsError

        pack = self.packs.get(row.policy)
        if pack is None:
            return None
        try:
            return evaluate(record_of(row), history, pack, self.overrides)
        except ClaimFactsError:
            return None


@dataclass(frozen=True, slots=True)
class Change:
    claim_id: str
    policy: str
    person_name: str
    state: str
    paid: Decimal
    before_eligible: bool
    before_amount: Decimal
    after_eligible: bool
    after_amount: Decimal
    after_reasons: str

    @property
    def difference(self) -> Decimal:
        return self.after_amount - self.before_amount

    @property
    def action(self) -> str:
        """recover: more went out than is due; top_up: a paid claim is due more than it got;
        review: an open claim whose amount or eligibility is to be decided again before payment."""
        if self.paid > self.after_amount:
            return "recover"
        if self.state == "paid" and self.after_amount > self.paid:
            return "top_up"
        return "review"


ACTION_ZH = {"top_up": "补发", "recover": "追回", "review": "待审核调整"}


def _amount(decision: Decision | None) -> tuple[bool, Decimal]:
    if decision is None or not decision.eligible:
        return False, ZERO
    return True, decision.amount


def replay(conn: Connection, before: Rulebook, after: Rulebook, policy: str | None = None) -> Iterator[Change]:
    """The claims whose eligibility or amount the amendment changes, person by person."""
    query = (select(CLAIM).where(CLAIM.c.state.in_(DECIDED)).order_by(CLAIM.c.person_key, CLAIM.c.person_id))
    if policy:
        query = query.where(CLAIM.c.policy == policy)
    pending: list[Any] = []
    for row in conn.execution_options(yield_per=chunk_size()).execute(query):
        if pending and (pending[-1].person_key, pending[-1].person_id) != (row.person_key, row.person_id):
            yield from _person(pending, before, after)
            pending = []
        pending.append(row)
    if pending:
        yield from _person(pending, before, after)


def _person(rows: list[Any], before: Rulebook, after: Rulebook) -> Iterator[Change]:
    histories: dict[str, list[Grant]] = defaultdict(list)
    for row in sorted(rows, key=person_order):
        if row.state in REFUSED_STATES and row.reasons and set(row.reasons.split(";")) <= OTHER_CAUSES:
            continue  # refused for a cause that is not the rules': no amendment changes it, and no grant
        old = before.decide(row, histories["before"])
        new = after.decide(row, histories["after"])
        was, was_amount = _amount(old)
        now, now_amount = _amount(new)
        if was:
            histories["before"].append(grant_of(row, was_amount))
        if now:
            histories["after"].append(grant_of(row, now_amount))
        if (was, was_amount) != (now, now_amount):
            yield Change(row.claim_id, row.policy, row.person_name, row.state,
                         row.advance_paid + row.final_paid - row.recovered, was, was_amount, now, now_amount,
                         ";".join(new.reasons) if new else "")
