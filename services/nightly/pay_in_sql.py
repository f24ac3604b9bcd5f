"""Final orders decided by the claim's own columns, written in SQL: no claim row comes into Python.

An approved claim owing money, with its payee's name and account, no open signal hold, a policy in
force, no fund budget on its (policy, year, region) and the file channel is paid as
`services.nightly.pay_due.decide` would pay it — one `final` order of the assessed amount less what
was paid, the move to paid — in a handful of statements per chunk: the orders staged in a temp table
with their keys, references, hashes and the move's event hash; the payment rows inserted in DESIGN
rule 9's person order; the claims updated (guarded by their event sequence); the events inserted.
Byte for byte what the Python path writes (tests/integration/services/test_pay_in_sql.py).

Every other claim of the step — a failed payment's retry, an advance above or equal to the amount, a
hold, a missing payee, a draft policy, a budgeted fund, any other channel, money that differs from its
last event's record — is left to the Python decision, which reads only what this did not move.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    not_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from models.money import from_fen
from models.oversight import SIGNAL_HOLD
from models.tables import CLAIM, EVENT, PAYMENT
from services.access.actors import Actor
from services.crash_drill import checkpoint
from services.money.channel import FileChannel, current_channel
from services.money.payments import ORDERED, SENT
from services.nightly.lease import fence
from services.nightly.moves import empty_temp_table
from services.nightly.rulebook import Rules
from services.nightly.sql_moves import (
    as_text,
    claims_from_stage,
    destination,
    events_from_stage,
    joined,
    money_text_sql,
    recorded_money_matches,
    sha256_hex,
)
from services.nightly.steps import StepResult
from services.settings import Settings

KIND = "final"
TRIGGER = "pay"
ORDER_NOTE = "ordered: the outbox writes its file"
"""what the file channel answers for an accepted order (services/money/channel.py:FileChannel)"""

PYTHON_WHITESPACE = ("\t", "\n", "\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x1f", " ", "\x85", "\xa0",
                     "\u1680", *(chr(c) for c in range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f",
                     "\u205f", "\u3000")
"""the characters Python's str.strip() removes: a payee field that starts with none of them and is
not empty has something left after strip(), as `payee_check.payee_problem` asks"""
assert all(not c.strip() for c in PYTHON_WHITESPACE)

_META = MetaData()
STAGE = Table(
    "claim_order_stage", _META,
    Column("m_pk", BigInteger), Column("m_seq", Integer), Column("m_policy", String(32)),
    Column("m_from", String(24)), Column("m_to", String(24)), Column("m_prev", String(64)),
    Column("m_money", Text), Column("m_fen", BigInteger), Column("m_final", BigInteger),
    Column("m_attempt", Integer), Column("m_key", String(120)), Column("m_status", String(16)),
    Column("m_ref", String(64)), Column("m_reason", Text), Column("m_hash", String(64)),
    Column("m_pay_hash", String(64)),
    Column("m_payee_type", String(16)), Column("m_payee_id", String(18)), Column("m_payee_name", String(200)),
    Column("m_bank_account", String(64)), Column("m_bank_name", String(100)),
    Column("m_person", String(32)), Column("m_earned", String(10)), Column("m_filed", String(10)),
    Column("m_claim_id", String(64)),
    prefixes=["TEMPORARY"],
)
"""a chunk's orders before they are written (a temp table per connection, emptied before use)"""


def yuan_text(fen: ColumnElement[int]) -> ColumnElement[str]:
    """`models.audit_hash.money_value` of a positive amount in fen: 2000.00, 0.50"""
    return as_text(fen // 100) + "." + func.substr(as_text(100 + fen % 100), 2, 2)


def _filled(column: ColumnElement[str | None]) -> ColumnElement[bool]:
    return and_(column.isnot(None), column != "", func.substr(column, 1, 1).notin_(PYTHON_WHITESPACE))


def _rest() -> ColumnElement[int]:
    return literal_column("claim.amount") - literal_column("claim.advance_paid") - literal_column("claim.final_paid")


def payable_in_sql(conn: Connection, chunk: ColumnElement[bool], run_on: date, settings: Settings,
                   rules: Rules) -> tuple[ColumnElement[bool], list[str]] | None:
    """The claims of `chunk` whose order this module may write (a condition over the claim joined with
    its last event) and the policies of the chunk's approved claims; None when none may (no approved
    claim, or another channel than the file channel decides what is accepted)."""
    if type(current_channel(settings)) is not FileChannel:
        return None
    policies = conn.execute(select(CLAIM.c.policy).where(chunk, CLAIM.c.state == "approved").distinct()
                            ).scalars().all()
    if not policies:
        return None
    not_in_force = sorted(p for p in policies if not rules.in_force(p))
    budgeted = sorted((p, r) for (p, year, r) in settings.fund_budgets if year == run_on.year)
    held = exists().where(SIGNAL_HOLD.c.claim_pk == CLAIM.c.id, SIGNAL_HOLD.c.status == "open")
    return and_(
        chunk, CLAIM.c.state == "approved", _rest() > 0,
        not_(and_(CLAIM.c.draft == true(), CLAIM.c.policy.in_(not_in_force))) if not_in_force else true(),
        not_(tuple_(CLAIM.c.policy, CLAIM.c.region).in_(budgeted)) if budgeted else true(),
        _filled(CLAIM.c.payee_name), _filled(CLAIM.c.bank_account),
        ~held, recorded_money_matches()), sorted(policies)


def _status(settings: Settings, policies: list[str]) -> ColumnElement[str]:
    """ordered where the policy's orders wait for a release (services/money/approval.py), else sent"""
    released = [p for p in policies if settings.needs_payment_approval(p)]
    if len(released) in (0, len(policies)):
        return literal(ORDERED if released else SENT)
    return case((CLAIM.c.policy.in_(released), literal(ORDERED)), else_=literal(SENT))


def _bytewise(conn: Connection, column: ColumnElement[str]) -> ColumnElement[str]:
    """Python's order of str (code points): SQLite's default; PostgreSQL's "C" collation"""
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def write_orders(conn: Connection, run_on: date, run_id: str | None, actor: Actor,
                 settings: Settings, rules: Rules, chunk: ColumnElement[bool], result: StepResult) -> int:
    """Order and move to paid the claims of `chunk` `payable_in_sql` selects; count them in `result`.
    Returns how many were paid."""
    payable = payable_in_sql(conn, chunk, run_on, settings, rules)
    if payable is None:
        return 0
    where, policies = payable
    stage = empty_temp_table(conn, STAGE)
    last = CLAIM.join(EVENT, and_(EVENT.c.claim_pk == CLAIM.c.id, EVENT.c.seq == CLAIM.c.event_seq))
    attempt = CLAIM.c.payment_attempt + 1
    key = CLAIM.c.policy + ":" + CLAIM.c.claim_id + f":{KIND}:" + as_text(attempt)
    earned = func.coalesce(CLAIM.c.certificate_date, CLAIM.c.training_end, CLAIM.c.filed_on)
    conn.execute(insert(stage).from_select(
        ["m_pk", "m_seq", "m_policy", "m_from", "m_to", "m_prev", "m_money", "m_fen", "m_final", "m_attempt",
         "m_key", "m_ref", "m_status", "m_payee_type", "m_payee_id", "m_payee_name", "m_bank_account",
         "m_bank_name", "m_person", "m_earned", "m_filed", "m_claim_id"],
        select(CLAIM.c.id, CLAIM.c.event_seq, CLAIM.c.policy, CLAIM.c.state, destination(TRIGGER),
               CLAIM.c.event_head,
               money_text_sql({"final_paid": "claim.amount - claim.advance_paid"}),
               _rest(), literal_column("claim.amount") - literal_column("claim.advance_paid"), attempt,
               key, "PAY" + func.upper(func.substr(sha256_hex(conn, key), 1, 17)),  # channel.reference_for
               _status(settings, policies),
               CLAIM.c.payee_type, CLAIM.c.payee_id, CLAIM.c.payee_name, CLAIM.c.bank_account, CLAIM.c.bank_name,
               CLAIM.c.person_id, as_text(earned), as_text(CLAIM.c.filed_on), CLAIM.c.claim_id)
        .select_from(last).where(where)))
    # the event's reason, the order's hash (models.audit_hash.payment_hash), the event's hash
    on_text = run_on.isoformat()
    reason = "paid " + yuan_text(stage.c.m_fen) + " (" + stage.c.m_ref + ")"
    conn.execute(update(stage).values(
        m_reason=reason,
        m_pay_hash=sha256_hex(conn, joined(
            literal("p1"), as_text(stage.c.m_pk), literal(KIND), as_text(stage.c.m_attempt),
            yuan_text(stage.c.m_fen), stage.c.m_key, stage.c.m_payee_type, stage.c.m_payee_id, literal(on_text))),
        m_hash=sha256_hex(conn, joined(
            literal("2"), stage.c.m_prev, as_text(stage.c.m_pk), as_text(stage.c.m_seq + 1), stage.c.m_from,
            stage.c.m_to, literal(TRIGGER), literal(actor.name), literal(actor.role), literal(on_text),
            literal(run_id or ""), reason, stage.c.m_money))))
    counts = conn.execute(select(stage.c.m_policy, stage.c.m_to, stage.c.m_status, func.count(),
                                 func.sum(stage.c.m_fen))
                          .group_by(stage.c.m_policy, stage.c.m_to, stage.c.m_status)).all()
    staged = sum(row[3] for row in counts)
    if not staged:
        return 0
    fence(conn)
    checkpoint("pay_due.before_flush")
    now = datetime.now(UTC)
    conn.execute(insert(PAYMENT).from_select(
        ["claim_pk", "kind", "attempt", "amount", "status", "payee_type", "payee_id", "payee_name",
         "bank_account", "bank_name", "idempotency_key", "business_date", "reference", "settled_on", "note",
         "created_at", "hash"],
        select(stage.c.m_pk, literal(KIND), stage.c.m_attempt, stage.c.m_fen, stage.c.m_status,
               stage.c.m_payee_type, stage.c.m_payee_id, stage.c.m_payee_name, stage.c.m_bank_account,
               stage.c.m_bank_name, stage.c.m_key, literal(run_on, PAYMENT.c.business_date.type), stage.c.m_ref,
               literal(None, PAYMENT.c.settled_on.type), literal(ORDER_NOTE), literal(now, PAYMENT.c.created_at.type),
               stage.c.m_pay_hash)
        .order_by(_bytewise(conn, stage.c.m_person), stage.c.m_earned, stage.c.m_filed,
                  _bytewise(conn, stage.c.m_claim_id), stage.c.m_pk)))
    checkpoint("pay_due.after_payments")
    claims_from_stage(conn, stage, staged, run_on, now,
                      {"final_paid": stage.c.m_final, "payment_attempt": stage.c.m_attempt,
                       "set_aside_step": None, "set_aside_reason": None})
    checkpoint("moves.before_events")
    events_from_stage(conn, stage, TRIGGER, actor, run_on, now, run_id)
    for policy, to_state, status, count, fen in counts:
        result.moved[(policy, to_state)] += count
        if status == ORDERED:
            result.held[policy] += count
        money_key = (policy, KIND)
        result.money[money_key] = result.money.get(money_key, Decimal("0")) + from_fen(int(fen))
    return int(staged)

