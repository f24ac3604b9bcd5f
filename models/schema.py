"""Versioned schema path: `claims init` applies every migration not yet recorded."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    exists,
    insert,
    inspect,
    text,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, select

import models.oversight  # registers the reference tables (version 60)
import models.tables  # registers the tables on SQLModel.metadata
from models.tables import SchemaVersion


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Engine], None]


def _initial(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)


def _index_claim_id(engine: Engine) -> None:
    # lookups by the applicant's reference alone (inspect/complete/object files) scanned the table
    with engine.begin() as conn:
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_claim_claim_id ON claim (claim_id)"))


def _payment_release(engine: Engine) -> None:
    models.tables.RELEASE.create(engine, checkfirst=True)


def _work_leases(engine: Engine) -> None:
    # the two tables as version 4 made them (services/nightly/leasing.py has today's shape); frozen
    # here so that later versions change them by their own migrations
    v4 = MetaData()
    Table("work_step", v4,
          Column("run_key", String(64), primary_key=True),
          Column("step", String(32), primary_key=True),
          Column("partitions", Integer, nullable=False),
          Column("published_by", String(100), nullable=False),
          Column("published_at", DateTime, nullable=False))
    Table("work_partition", v4,
          Column("run_key", String(64), primary_key=True),
          Column("step", String(32), primary_key=True),
          Column("lo", BigInteger, primary_key=True),
          Column("hi", BigInteger, nullable=False),
          Column("claims", Integer, nullable=False),
          Column("status", String(8), nullable=False),
          Column("worker", String(100)),
          Column("taken_at", DateTime),
          Column("done_at", DateTime))
    v4.create_all(engine, checkfirst=True)


def _work_partition_result(engine: Engine) -> None:
    # what a done partition did (its StepResult as JSON): the fan-out night reads its summary
    # back from the database instead of from the workers' processes
    if "result" in {c["name"] for c in inspect(engine).get_columns("work_partition")}:
        return
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE work_partition ADD COLUMN result TEXT"))


def _claim_months_paid(engine: Engine) -> None:
    # the months an assessed per-month amount pays: fewer than claimed when capped (核减); later
    # claims count these, not the months claimed, toward 最长不超过6个月
    if "months_paid" in {c["name"] for c in inspect(engine).get_columns("claim")}:
        return
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE claim ADD COLUMN months_paid INTEGER"))
def _payment_outbox(engine: Engine) -> None:
    # batches of payment orders, each order in exactly one batch, and the files handed over
    # (fresh databases already have them from the initial migration: checkfirst)
    for table in (models.tables.OUTBOX_BATCH, models.tables.BATCH_ORDER, models.tables.HANDOVER):
        table.create(engine, checkfirst=True)
    _adopt_sent_payments(engine)


LEGACY_BATCH_ACTOR = "migration 20: sent before the outbox"


def _adopt_sent_payments(engine: Engine) -> None:
    # payments the file channel sent before the outbox existed went out in its day files
    # (payments-DATE.csv): each day's becomes a batch already handed over under that file's name, so
    # the outbox never seals them into a new batch nor writes them again
    payment, batch = models.tables.PAYMENT, models.tables.OUTBOX_BATCH
    order, handover = models.tables.BATCH_ORDER, models.tables.HANDOVER
    marked = "batch_id" in {c["name"] for c in inspect(engine).get_columns("payment")}  # from migration 99
    with engine.begin() as conn:
        in_batch = exists().where(order.c.payment_id == payment.c.id)
        sent = conn.execute(
            sa_select(payment.c.id, payment.c.reference, payment.c.idempotency_key, payment.c.amount,
                   payment.c.business_date)
            .where(payment.c.kind.in_(("advance", "final")), payment.c.status.in_(("sent", "confirmed", "failed")),
                   payment.c.reference.is_not(None), ~in_batch)
            .order_by(payment.c.business_date, payment.c.id)).all()
        by_day: dict[date, list[Any]] = {}
        for row in sent:
            by_day.setdefault(row.business_date, []).append(row)
        for day, rows in by_day.items():
            digest = hashlib.sha256()
            for row in rows:
                digest.update(f"{row.reference}|{row.idempotency_key}|{row.amount:.2f}\n".encode())
            name = f"payments-{day.isoformat()}.csv"
            batch_id = conn.execute(insert(batch).values(
                business_date=day, file_name=name, rows=len(rows), total=sum(r.amount for r in rows),
                hash=digest.hexdigest()).returning(batch.c.id)).scalar_one()
            conn.execute(insert(order), [{"payment_id": r.id, "batch_id": batch_id, "line": number}
                                         for number, r in enumerate(rows, start=1)])
            if marked:
                conn.execute(payment.update().where(payment.c.id.in_([r.id for r in rows])).values(batch_id=batch_id))
            conn.execute(insert(handover).values(batch_id=batch_id, file_name=name, is_copy=False,
                                                 actor=LEGACY_BATCH_ACTOR))


def _lease_holder(engine: Engine) -> None:
    # the lease names its holder (host, pid, flow run id) and carries a fencing generation
    present = {c["name"] for c in inspect(engine).get_columns("lease")}
    wanted = (("host", "VARCHAR(100)"), ("pid", "INTEGER"), ("run_id", "VARCHAR(64)"),
              ("generation", "BIGINT NOT NULL DEFAULT 0"))
    with engine.begin() as conn:
        for column, kind in wanted:
            if column not in present:
                conn.execute(text(f"ALTER TABLE lease ADD COLUMN {column} {kind}"))
    models.tables.LEASE_RELEASE.create(engine, checkfirst=True)
def _reference_tables(engine: Engine) -> None:
    # certificate registry and insurance extracts (issue 23); a fresh database has them from version 1
    models.oversight.REF_CERTIFICATE.create(engine, checkfirst=True)
    models.oversight.REF_INSURANCE.create(engine, checkfirst=True)


def _fund_accounts(engine: Engine) -> None:
    # the fund ledger (专账): budget and drawn per policy, year and region (issue 23)
    models.oversight.FUND.create(engine, checkfirst=True)


def _payment_payee_snapshot(engine: Engine) -> None:
    # a payment order keeps the payee's name, account and bank as they stood on its claim when it
    # was ordered (issue 17): the bank's file and the finance bureau's export read them from the
    # order, so a later payee change cannot alter what an order sent. Orders written before keep
    # the claim's (else the payee registry's) values as they stand now.
    present = {c["name"] for c in inspect(engine).get_columns("payment")}
    claim_columns = {c["name"] for c in inspect(engine).get_columns("claim")}
    with engine.begin() as conn:
        for column, kind in (("payee_name", "VARCHAR(200)"), ("bank_account", "VARCHAR(64)"),
                             ("bank_name", "VARCHAR(100)")):
            if column not in present:
                conn.execute(text(f"ALTER TABLE payment ADD COLUMN {column} {kind}"))
        copied = [c for c in ("payee_name", "bank_account") if c not in present]
        registry = {"payee_name": "name", "bank_account": "bank_account"}
        for column in copied:
            conn.execute(text(
                f"UPDATE payment SET {column} = COALESCE("
                f"(SELECT claim.{column} FROM claim WHERE claim.id = payment.claim_pk), "
                f"(SELECT payee.{registry[column]} FROM payee WHERE payee.payee_id = payment.payee_id)) "
                "WHERE payment.kind IN ('advance', 'final')"))
        if "bank_name" not in present and "bank_name" in claim_columns:
            conn.execute(text(
                "UPDATE payment SET bank_name = (SELECT claim.bank_name FROM claim WHERE claim.id = payment.claim_pk) "
                "WHERE payment.kind IN ('advance', 'final')"))


def _claim_later_fields(engine: Engine) -> None:
    # optional claim fields added after the first schema (rules/record.py LATER_FIELDS): the payee's
    # bank (开户行) and a student apprentice's actual allowance (学徒实习津贴, money in fen); a fresh
    # database has them from version 1
    present = {c["name"] for c in inspect(engine).get_columns("claim")}
    wanted = (("bank_name", "VARCHAR(100)"), ("apprentice_allowance_actual", "BIGINT"))
    with engine.begin() as conn:
        for column, kind in wanted:
            if column not in present:
                conn.execute(text(f"ALTER TABLE claim ADD COLUMN {column} {kind}"))


def _config_seen(engine: Engine) -> None:
    # the overrides and settings each night saw, so a change shows in the event feed (issue 21)
    models.oversight.CONFIG_SEEN.create(engine, checkfirst=True)


def _signal_holds(engine: Engine) -> None:
    # claims set aside by an institution signal until a reviewer clears or confirms (issue 23)
    models.oversight.SIGNAL_HOLD.create(engine, checkfirst=True)


def _money_audit(engine: Engine) -> None:
    # events of format 2 hash the claim's money after the move (claim_event.version, .money); payment
    # rows carry their own hash (payment.hash), and anchors from now on digest the payments written
    # since the previous anchor as well (audit_anchor.first/last_payment_id; NULL on older anchors).
    # Events already written stay format 1 and are verified as format 1: rehashing them here would
    # bless whatever the table holds today and would break the anchors already copied to the outside
    # log. Payment rows have no hash yet: they get one now, so from here on an edit shows (what they
    # held before this migration is what the audit vouches for).
    from models.audit_hash import payment_hash

    tables = ("claim_event", "payment", "audit_anchor")
    columns = {t: {c["name"] for c in inspect(engine).get_columns(t)} for t in tables}
    wanted = (("claim_event", "version", "INTEGER NOT NULL DEFAULT 1"), ("claim_event", "money", "TEXT"),
              ("payment", "hash", "VARCHAR(64)"), ("audit_anchor", "first_payment_id", "BIGINT"),
              ("audit_anchor", "last_payment_id", "BIGINT"))
    with engine.begin() as conn:
        for table, column, kind in wanted:
            if column not in columns[table]:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))
    payment = models.tables.PAYMENT
    last = 0
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                sa_select(payment.c.id, payment.c.claim_pk, payment.c.kind, payment.c.attempt, payment.c.amount,
                          payment.c.idempotency_key, payment.c.payee_type, payment.c.payee_id,
                          payment.c.business_date)
                .where(payment.c.id > last, payment.c.hash.is_(None)).order_by(payment.c.id).limit(5000)).all()
            if not rows:
                return
            conn.execute(payment.update().where(payment.c.id == bindparam("b_id"))
                         .values(hash=bindparam("b_hash")),
                         [{"b_id": r.id, "b_hash": payment_hash(r._mapping)} for r in rows])
            last = rows[-1].id


def _batch_release(engine: Engine) -> None:
    # approval binds to one outbox batch (id, count, total, hash), issue 17; a fresh database has it from version 1
    models.tables.BATCH_RELEASE.create(engine, checkfirst=True)


CLAIM_BODY_SQL = ("CASE WHEN organizer IS NOT NULL AND organizer != '' THEN organizer "
                  "WHEN payee_type = 'institution' THEN payee_id END")
"""a claim's training body (its organizer, else its institution payee), as services/oversight/signals.py
`CLAIM_BODY` writes it: the night's signal scan finds the seats of the waiting claims' bodies by it"""
HAS_BODY_SQL = "organizer IS NOT NULL OR payee_type = 'institution'"
"""the claims ix_claim_body holds (signals.py `HAS_BODY`): not the years of individual claims, whose
NULL bodies would make SQLite's statistics (rows per value, averaged) promise half the table"""


def _claim_body_index(engine: Engine) -> None:
    # the expression and the condition as the query writes them (SQLite and PostgreSQL match an index
    # on an expression only to the same expression, a partial index only to a query holding its
    # condition); doubled parentheses: PostgreSQL's syntax for an expression
    with engine.begin() as conn:
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_claim_body ON claim (({CLAIM_BODY_SQL})) "
                          f"WHERE {HAS_BODY_SQL}"))


def _claim_posting_window_index(engine: Engine) -> None:
    # the night's postings artifact reads the claims of the windows opened that day; partial, so the
    # import of a new claim (no window yet) writes nothing to it
    with engine.begin() as conn:
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_claim_posting_window ON claim (posting_window_id) "
                          "WHERE posting_window_id IS NOT NULL"))


UNBATCHED_SQL = "batch_id IS NULL AND reference IS NOT NULL"
"""the orders ix_payment_unbatched holds: sent to no batch yet (services/money/outbox.py `_free`
repeats these terms word for word: SQLite uses a partial index only for a query holding them)"""


def _payment_batch_marker(engine: Engine) -> None:
    # each order notes its batch (payment.batch_id, a copy of payment_batch_order's, which stays the
    # truth: the outbox still checks it, and `claims audit verify` names a copy that disagrees)
    if "batch_id" not in {c["name"] for c in inspect(engine).get_columns("payment")}:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE payment ADD COLUMN batch_id BIGINT"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE payment SET batch_id = (SELECT o.batch_id FROM payment_batch_order o "
                          "WHERE o.payment_id = payment.id) WHERE batch_id IS NULL AND EXISTS "
                          "(SELECT 1 FROM payment_batch_order o WHERE o.payment_id = payment.id)"))
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_payment_unbatched ON payment (id) WHERE {UNBATCHED_SQL}"))


HANDLED_TRIGGERS: tuple[str, ...] = ("record_inspection", "record_completion", "amend", "amend_payee")
"""events whose actor handled the claim's facts: they may not review it nor release its payment
(services/access/roles.py)"""
HANDLED_SQL = "trigger IN (" + ", ".join(f"'{t}'" for t in HANDLED_TRIGGERS) + ")"
"""the condition ix_event_handler holds, as `roles.check_may_approve` writes it"""


def _handler_indexes(engine: Engine) -> None:
    # a release asks whether its approver handled any claim of the batch: first whether the approver
    # handled any claim at all, by these two indexes, instead of reading every event of the batch's
    # claims; partial, so the nightly moves write nothing to the first
    with engine.begin() as conn:
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS ix_event_handler ON claim_event ((trim(actor))) "
                          f"WHERE {HANDLED_SQL}"))
        conn.execute(text("CREATE INDEX IF NOT EXISTS ix_inspection_inspector ON inspection ((trim(inspector)))"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _initial),
    Migration(2, "index claim.claim_id", _index_claim_id),
    Migration(3, "payment releases by an approver", _payment_release),
    Migration(4, "work partitions shared by several workers", _work_leases),
    Migration(5, "work partitions keep what they did", _work_partition_result),
    Migration(10, "claims keep the months their amount pays", _claim_months_paid),
    Migration(20, "payment outbox: batches, their orders, handovers", _payment_outbox),
    Migration(30, "the lease names its holder and carries a fencing generation", _lease_holder),
    Migration(60, "reference extracts: certificate registry and insurance", _reference_tables),
    Migration(61, "fund ledger: budget per policy, year and region", _fund_accounts),
    Migration(70, "a payment release binds to one outbox batch", _batch_release),
    Migration(71, "payment orders keep their payee's name, account and bank", _payment_payee_snapshot),
    Migration(80, "audit format 2: events hash the money after the move, payments carry a hash", _money_audit),
    Migration(90, "claims: optional bank name and apprentice's actual allowance", _claim_later_fields),
    Migration(95, "the overrides and settings each night saw", _config_seen),
    Migration(96, "claims an institution signal set aside for a reviewer", _signal_holds),
    Migration(97, "index claims by their training body (the night's signal scan)", _claim_body_index),
    Migration(98, "index claims by their posting window (the night's postings)", _claim_posting_window_index),
    Migration(99, "orders note their batch, and the orders in no batch are indexed", _payment_batch_marker),
    Migration(100, "index who handled claims (a release's check of its approver)", _handler_indexes),
)


def applied_versions(engine: Engine) -> set[int]:
    if not inspect(engine).has_table("schema_version"):
        return set()
    with Session(engine) as session:
        return set(session.exec(select(SchemaVersion.version)).all())


def upgrade(engine: Engine) -> list[Migration]:
    """Apply pending migrations in order; returns the ones applied (none when current)."""
    done = applied_versions(engine)
    applied: list[Migration] = []
    for migration in MIGRATIONS:
        if migration.version in done:
            continue
        migration.apply(engine)
        with Session(engine) as session:
            session.add(SchemaVersion(version=migration.version, name=migration.name))
            session.commit()
        applied.append(migration)
    return applied


def current_version(engine: Engine) -> int:
    return max(applied_versions(engine), default=0)


def require_current(engine: Engine) -> None:
    latest = MIGRATIONS[-1].version
    if current_version(engine) < latest:
        raise RuntimeError(
            f"the database schema is at version {current_version(engine)}, the product needs "
            f"{latest}: run `claims init` first"
        )
