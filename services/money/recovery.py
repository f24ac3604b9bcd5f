"""Money that must come back (追回): what is owed, and what has come back.

A claim that owes money has a payment row of kind `recovery` (status `due`, then `confirmed`
once all of it is back) and `claim.recovery_owed`; each sum returned is a `recovery` row with
status `returned` and adds to `claim.recovered`. When `recovered` reaches `recovery_owed` the
claim moves to `recovered` (confirm_recovery).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from intake.messages import msg
from intake.validate import half_width, text_problem
from models.money import to_yuan
from models.tables import CLAIM, text_length
from services.access.actors import Actor
from services.access.roles import check_may_mark_recovery, check_role
from services.lookup import find_claims, one_claim
from services.money.payments import CONFIRMED, DUE, PAYMENT, RETURNED, next_attempt, payment_row, payments_of
from services.nightly.moves import plan_move, write_moves
from services.settings import chunk_size
from states.lifecycle import IllegalTransition, sources

ZERO = Decimal("0")
RECOVERY = "recovery"


def money_out(claim: Any) -> Decimal:
    """What was paid out on the claim and not yet owed back."""
    return Decimal(claim.advance_paid) + Decimal(claim.final_paid) - Decimal(claim.recovery_owed)


def recovery_rows(conn: Connection, owed: Sequence[tuple[Any, Decimal, str]], on: date) -> list[dict[str, Any]]:
    """Recovery rows (status due) for (claim, amount, note) — one SELECT for the attempt numbers."""
    wanted = [(claim, amount, note) for claim, amount, note in owed if amount > 0]
    if not wanted:
        return []
    earlier = payments_of(conn, [claim.id for claim, _, _ in wanted], RECOVERY)
    return [payment_row(claim, RECOVERY, next_attempt(earlier.get(claim.id, []), RECOVERY), amount, on,
                        status=DUE, note=note)
            for claim, amount, note in wanted]


# --- claims recover: money paid must come back -------------------------------------------------

RECOVERY_REASONS: tuple[str, ...] = (
    "fraud", "inspection_failed", "objection_upheld", "completion_failed", "duplicate_certificate",
    "duplicate_occupation_level", "annual_limit", "ineligible_group", "not_combinable", "term_limit",
    "outside_policy_period", "institution_not_listed",
)
BEFORE_FINAL = sources("reject")


class RecoveryError(ValueError):
    """A recovery that cannot be recorded, with the reason."""


@dataclass(frozen=True)
class Demand:
    claim_id: str
    policy: str
    state: str
    amount: Decimal


def demand_recovery(engine: Engine, claim_id: str, *, reason: str, actor: Actor, on: date,
                    reason_code: str = "fraud", policy: str | None = None) -> Demand:
    """Mark all money paid out on a claim as to be recovered (追回): a paid claim by
    demand_recovery, a claim with only its advance out by reject."""
    if reason_code not in RECOVERY_REASONS:
        raise RecoveryError(f"reason code {reason_code!r} is not one of {', '.join(RECOVERY_REASONS)}")
    if not reason.strip():
        raise RecoveryError("a recovery needs its reason (--reason TEXT)")
    if problem := text_problem("reason", reason, free=True):
        raise RecoveryError(problem)
    with engine.begin() as conn:
        claim = one_claim(conn, claim_id, policy)
        check_may_mark_recovery(conn, actor, claim.id, claim.claim_id)
        amount = money_out(claim)
        if amount <= 0:
            raise RecoveryError(f"claim {claim_id} ({claim.state}) has no money out to recover")
        if claim.state == "paid":
            trigger = "demand_recovery"
        elif claim.state in BEFORE_FINAL:
            trigger = "reject"
        else:
            raise IllegalTransition(claim_id, claim.state, "demand_recovery",
                                    "its money is already being recovered or was")
        move = plan_move(claim, trigger, reason=f"{reason_code}: {reason}", reasons=reason_code,
                         recovery_owed=claim.recovery_owed + amount, set_aside_step=None,
                         set_aside_reason=None)
        conn.execute(insert(PAYMENT), recovery_rows(conn, [(claim, amount, f"{reason_code}: {reason}")], on))
        write_moves(conn, [move], actor=actor, on=on)
        return Demand(claim.claim_id, claim.policy, move.to_state, amount)


# --- claims recovered FILE: money actually returned ----------------------------------------------

@dataclass
class ReturnProblem:
    row: int
    claim_id: str | None
    field: str
    message: str


@dataclass
class ReturnReport:
    recorded: int = 0
    unchanged: int = 0
    settled: list[str] = field(default_factory=list)
    problems: list[ReturnProblem] = field(default_factory=list)


def record_returns(engine: Engine, rows: Iterable[tuple[int, Mapping[str, Any]]], *, actor: Actor,
                   on: date, chunk: int | None = None, source: str | None = None) -> ReturnReport:
    """Rows claim_id, [policy], amount, [on], [reference]: each a sum returned. A return is keyed by
    the statement's own reference (参考号) when the row has one, else by the file (`source`) and
    line: two genuine returns of the same sum on the same day are two, and a file loaded twice is
    recorded once. Without either, by claim, date, amount and occurrence within the load."""
    check_role(actor)
    report = ReturnReport()
    seen: dict[tuple[str, str | None, date, Decimal], int] = defaultdict(int)
    batch: list[tuple[int, Mapping[str, Any]]] = []
    for item in rows:
        batch.append(item)
        if len(batch) >= (chunk or chunk_size()):
            _returns_chunk(engine, batch, actor, on, seen, report, source)
            batch = []
    if batch:
        _returns_chunk(engine, batch, actor, on, seen, report, source)
    return report


def _return_reference(raw: Mapping[str, Any]) -> str:
    """The statement's reference as typed ("" if none)."""
    for name in ("reference", "参考号", "statement_reference"):
        if str(raw.get(name) or "").strip():
            return str(raw[name]).strip()
    return ""


def _keyed_reference(typed: str) -> str:
    """The reference a return is keyed by: full-width digits and letters as ASCII, so the same
    statement re-exported by another program (１２３ for 123) is the same return, not a second one."""
    return half_width(typed)


def return_key(policy: str, claim_id: str, day: date, amount: Decimal, occurrence: int, *,
               reference: str = "", source: str | None = None, line: int = 0) -> str:
    """The idempotency key of a return: by statement reference, else file and line, else occurrence."""
    if reference:
        key = f"{policy}:{claim_id}:returned:ref:{reference}"
    elif source:
        key = f"{policy}:{claim_id}:returned:{source}:{line}"
    else:
        key = f"{policy}:{claim_id}:returned:{day.isoformat()}:{amount:.2f}:{occurrence}"
    if len(key) > 120:
        key = f"{policy}:{claim_id}:returned:#" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return key[:120]


REFERENCE_LIMIT = text_length(PAYMENT.c.reference)
"""a statement's reference is at most as long as a payment's own bank reference"""
CLAIM_ID_LIMIT = text_length(CLAIM.c.claim_id)


class _Bad(ValueError):
    def __init__(self, claim_id: str | None, field_name: str, message: str) -> None:
        super().__init__(message)
        self.claim_id, self.field_name, self.message = claim_id, field_name, message


def _parse_return(raw: Mapping[str, Any], default_on: date) -> tuple[str, str | None, Decimal, date]:
    claim_id = str(raw.get("claim_id") or "").strip()
    if not claim_id:
        raise _Bad(None, "claim_id", msg("roster.missing", "en"))
    if problem := text_problem("claim_id", claim_id, CLAIM_ID_LIMIT):
        raise _Bad(None, "claim_id", problem)  # the id as typed is not echoed: it may hold bidi characters
    reference = _return_reference(raw)
    if reference and (problem := text_problem("reference", reference, REFERENCE_LIMIT)):
        raise _Bad(claim_id, "reference", problem)  # a hidden character would make it another return
    policy = str(raw.get("policy") or "").strip() or None
    text = str(raw.get("amount") or "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _Bad(claim_id, "amount", msg("returns.not_amount", "en", value=repr(text))) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise _Bad(claim_id, "amount", msg("returns.amount_form", "en", value=text))
    day_text = str(raw.get("on") or "").strip()
    try:
        day = date.fromisoformat(day_text) if day_text else default_on
    except ValueError:
        raise _Bad(claim_id, "on", msg("returns.not_date", "en", value=repr(day_text))) from None
    return claim_id, policy, to_yuan(amount), day


def _returns_chunk(engine: Engine, batch: list[tuple[int, Mapping[str, Any]]], actor: Actor, on: date,
                   seen: dict[tuple[str, str | None, date, Decimal], int], report: ReturnReport,
                   source: str | None = None) -> None:
    parsed: list[tuple[int, str, str | None, Decimal, date]] = []
    batch_raw = dict(batch)
    for number, raw in batch:
        try:
            claim_id, policy, amount, day = _parse_return(raw, on)
        except _Bad as bad:
            report.problems.append(ReturnProblem(number, bad.claim_id, bad.field_name, bad.message))
            continue
        parsed.append((number, claim_id, policy, amount, day))
    with engine.begin() as conn:
        found = find_claims(conn, [(c, p) for _, c, p, _, _ in parsed])
        wanted: list[tuple[int, Any, Decimal, date, str]] = []
        legacy: dict[str, str] = {}
        for number, claim_id, policy, amount, day in parsed:
            matches = found.get((claim_id, policy), [])
            if len(matches) != 1:
                message = msg("roster.no_claim" if not matches else "returns.several_policies", "en")
                report.problems.append(ReturnProblem(number, claim_id, "claim_id" if not matches else "policy",
                                                     message))
                continue
            occurrence = seen[(claim_id, policy, day, amount)] = seen[(claim_id, policy, day, amount)] + 1
            claim = matches[0]
            typed = _return_reference(batch_raw[number])
            key = return_key(claim.policy, claim.claim_id, day, amount, occurrence,
                             reference=_keyed_reference(typed), source=source, line=number)
            # a return recorded before references were keyed half-width is found by its key as typed
            earlier = return_key(claim.policy, claim.claim_id, day, amount, occurrence,
                                 reference=typed, source=source, line=number)
            wanted.append((number, claim, amount, day, key))
            if earlier != key:
                legacy[key] = earlier
        keys = [w[4] for w in wanted] + list(legacy.values())
        known = set(conn.execute(select(PAYMENT.c.idempotency_key).where(
            PAYMENT.c.idempotency_key.in_(keys))).scalars()) if wanted else set()
        known |= {key for key, earlier in legacy.items() if earlier in known}
        _apply_returns(conn, wanted, known, actor, on, report)


def _apply_returns(conn: Connection, wanted: list[tuple[int, Any, Decimal, date, str]], known: set[str],
                   actor: Actor, on: date, report: ReturnReport) -> None:
    back: dict[int, Decimal] = defaultdict(Decimal)
    claims: dict[int, Any] = {}
    inserts: list[dict[str, Any]] = []
    for number, claim, amount, day, key in wanted:
        if key in known:
            report.unchanged += 1
            continue
        if claim.state != "recovery_due":
            report.problems.append(ReturnProblem(number, claim.claim_id, "claim_id",
                                                 msg("returns.wrong_state", "en", state=claim.state)))
            continue
        still_owed = claim.recovery_owed - claim.recovered - back[claim.id]
        if amount > still_owed:
            report.problems.append(ReturnProblem(number, claim.claim_id, "amount",
                                                 msg("returns.too_much", "en", amount=f"{amount:.2f}",
                                                     owed=f"{still_owed:.2f}")))
            continue
        back[claim.id] += amount
        claims[claim.id] = claim
        known.add(key)  # the same statement line twice in one file is one return
        row = payment_row(claim, RECOVERY, 0, amount, day, status=RETURNED, key=key,
                          note=f"returned, recorded by {actor.name}")
        row["settled_on"] = day
        inserts.append(row)
    if not inserts:
        return
    conn.execute(insert(PAYMENT), inserts)
    moves, partial = [], []
    for pk, amount in back.items():
        claim = claims[pk]
        total = claim.recovered + amount
        if total >= claim.recovery_owed:
            moves.append(plan_move(claim, "confirm_recovery", reason=f"recovered {total:.2f} in full",
                                   recovered=total))
            report.settled.append(claim.claim_id)
        else:
            partial.append({"b_pk": pk, "b_seq": claim.event_seq, "v_recovered": total})
    if partial:
        conn.execute(update(CLAIM).where(CLAIM.c.id == bindparam("b_pk"), CLAIM.c.event_seq == bindparam("b_seq"))
                     .values(recovered=bindparam("v_recovered")), partial)
    if moves:
        write_moves(conn, moves, actor=actor, on=on)
        conn.execute(update(PAYMENT).where(PAYMENT.c.claim_pk.in_([m.claim_pk for m in moves]),
                                           PAYMENT.c.kind == RECOVERY, PAYMENT.c.status == DUE)
                     .values(status=CONFIRMED, settled_on=on))
    report.recorded += len(inserts)
