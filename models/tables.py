"""sqlmodel tables. Claims carry their lifecycle columns so nightly steps can read and
write a chunk with one SELECT and one bulk UPDATE; the history lives in append-only tables.
Money columns are `Money` (Decimal yuan in Python, integer fen in the database).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.money import Money


def utcnow() -> datetime:
    return datetime.now(UTC)


class Claim(SQLModel, table=True):
    __tablename__ = "claim"
    __table_args__ = (
        UniqueConstraint("policy", "claim_id", name="uq_claim_policy_claim_id"),
        Index("ix_claim_state_person", "state", "person_key"),
        Index("ix_claim_person", "person_id"),
        Index("ix_claim_certificate", "certificate_no"),
        Index("ix_claim_claim_id", "claim_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # --- the record as filed (CONTRACT §1) ---
    claim_id: str = Field(max_length=64)
    policy: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    person_id: str = Field(max_length=18)
    person_name: str = Field(max_length=100)
    groups: str = Field(default="", max_length=400)
    region: str = Field(max_length=6)
    filed_on: date
    payee_type: str = Field(max_length=16)
    payee_id: str = Field(max_length=18)
    occupation: str | None = Field(default=None, max_length=100)
    level: str | None = Field(default=None, max_length=32)
    urgent: bool = False
    certificate_no: str | None = Field(default=None, max_length=64)
    certificate_date: date | None = None
    enterprise_funded: bool = False
    apprentice_type: str | None = Field(default=None, max_length=16)
    apprentice_year: int | None = None
    months: int | None = None
    days: int | None = None
    training_start: date | None = None
    training_end: date | None = None
    employed_on: date | None = None
    catalog_standard: Decimal | None = Field(default=None, sa_type=Money)
    advance_requested: bool = False
    class_id: str | None = Field(default=None, max_length=64)
    organizer: str | None = Field(default=None, max_length=100)
    payee_name: str | None = Field(default=None, max_length=200)
    bank_account: str | None = Field(default=None, max_length=64)
    insured_months: int | None = None
    employed_months: int | None = None
    employed_in_province: bool | None = None
    # optional fields added later (rules/record.py LATER_FIELDS; version 90)
    bank_name: str | None = Field(default=None, max_length=100)
    apprentice_allowance_actual: Decimal | None = Field(default=None, sa_type=Money)
    # --- bookkeeping ---
    person_key: int = Field(default=0, description="stable hash of person_id: work is partitioned by it")
    content_hash: str = Field(max_length=64)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id")
    # --- lifecycle ---
    state: str = Field(default="filed", max_length=24)
    state_on: date | None = Field(default=None, description="business date of the last transition")
    amount: Decimal | None = Field(default=None, sa_type=Money)
    months_paid: int | None = Field(
        default=None, description="the months the assessed amount pays (核减 when fewer than claimed)")
    advance_amount: Decimal | None = Field(default=None, sa_type=Money)
    advance_paid: Decimal = Field(default=Decimal("0"), sa_type=Money)
    final_paid: Decimal = Field(default=Decimal("0"), sa_type=Money)
    recovery_owed: Decimal = Field(default=Decimal("0"), sa_type=Money)
    recovered: Decimal = Field(default=Decimal("0"), sa_type=Money)
    reasons: str = Field(default="", max_length=400)
    citations: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    decision_trace: str | None = Field(default=None, sa_column=Column(Text))
    draft: bool = False
    inspection_result: str | None = Field(default=None, max_length=8)
    inspected_on: date | None = None
    completion_result: str | None = Field(default=None, max_length=8)
    completed_on: date | None = None
    posting_window_id: int | None = Field(default=None, foreign_key="posting_window.id")
    posting_closes_on: date | None = None
    payment_attempt: int = 0
    set_aside_step: str | None = Field(default=None, max_length=32)
    set_aside_reason: str | None = Field(default=None, sa_column=Column(Text))
    event_seq: int = 0
    event_head: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Person(SQLModel, table=True):
    __tablename__ = "person"
    person_id: str = Field(primary_key=True, max_length=18)
    name: str = Field(max_length=100)


class Payee(SQLModel, table=True):
    __tablename__ = "payee"
    payee_id: str = Field(primary_key=True, max_length=18)
    payee_type: str = Field(max_length=16)
    name: str | None = Field(default=None, max_length=200)
    bank_account: str | None = Field(default=None, max_length=64)


class TrainingClass(SQLModel, table=True):
    """A class filing (开班备案): the approval an advance rests on."""

    __tablename__ = "training_class"
    policy: str = Field(primary_key=True, max_length=32)
    class_id: str = Field(primary_key=True, max_length=64)
    organizer: str | None = Field(default=None, max_length=100)
    payee_id: str | None = Field(default=None, max_length=18)
    training_start: date | None = None
    training_end: date | None = None


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=500)
    file_sha256: str = Field(max_length=64)
    rows: int = 0
    filed: int = 0
    skipped: int = 0
    rejected: int = 0
    conflicts: int = 0
    actor: str = Field(default="system", max_length=100)
    at: datetime = Field(default_factory=utcnow)


class ImportRejection(SQLModel, table=True):
    """An input row that could not be filed, kept with its raw content and every error."""

    __tablename__ = "import_rejection"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="import_batch.id", index=True)
    row_number: int
    claim_id: str | None = Field(default=None, max_length=200)
    policy: str | None = Field(default=None, max_length=64)
    kind: str = Field(default="invalid", max_length=16, description="invalid | conflict")
    raw: str = Field(sa_column=Column(Text, nullable=False))
    errors: str = Field(sa_column=Column(Text, nullable=False))


class Inspection(SQLModel, table=True):
    __tablename__ = "inspection"
    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    inspected_on: date
    inspector: str = Field(max_length=100)
    result: str = Field(max_length=8)
    note: str | None = Field(default=None, sa_column=Column(Text))
    recorded_at: datetime = Field(default_factory=utcnow)


class Completion(SQLModel, table=True):
    __tablename__ = "completion"
    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    completed_on: date
    certificate_no: str | None = Field(default=None, max_length=64)
    certificate_date: date | None = None
    level: str | None = Field(default=None, max_length=32)
    result: str = Field(max_length=8)
    actor: str = Field(max_length=100)
    recorded_at: datetime = Field(default_factory=utcnow)


class ClaimEvent(SQLModel, table=True):
    """Append-only transition log, hash-chained per claim (prev_hash -> hash)."""

    __tablename__ = "claim_event"
    __table_args__ = (UniqueConstraint("claim_pk", "seq", name="uq_event_claim_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id")
    seq: int
    from_state: str = Field(max_length=24)
    to_state: str = Field(max_length=24)
    trigger: str = Field(max_length=32)
    actor: str = Field(max_length=100)
    role: str = Field(max_length=16)
    on: date = Field(description="business date")
    at: datetime = Field(default_factory=utcnow)
    run_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(max_length=64)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"},
                         description="hash format: 1 the transition; 2 also the money after it")
    money: str | None = Field(default=None, sa_column=Column(Text),
                              description="format 2: the claim's money columns after the move, as hashed")


class Payment(SQLModel, table=True):
    """Money out (advance, final) or owed back (recovery). The idempotency key is derived
    from what is paid (claim, kind, attempt) and unique in the database."""

    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_payment_idempotency_key"),
        Index("ix_payment_status_day", "status", "business_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    kind: str = Field(max_length=16, description="advance | final | recovery")
    attempt: int = 1
    amount: Decimal = Field(sa_type=Money)
    status: str = Field(
        default="pending",
        max_length=16,
        description="pending | sent | confirmed | failed (recovery: due | confirmed)",
    )
    idempotency_key: str = Field(max_length=120)
    payee_type: str = Field(max_length=16)
    payee_id: str = Field(max_length=18)
    payee_name: str | None = Field(default=None, max_length=200,
                                   description="the payee's name on the claim when the order was written")
    bank_account: str | None = Field(default=None, max_length=64,
                                     description="the account on the claim when the order was written")
    bank_name: str | None = Field(default=None, max_length=100, description="开户行, as on the claim then")
    business_date: date
    reference: str | None = Field(default=None, max_length=64)
    settled_on: date | None = None
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    hash: str | None = Field(default=None, max_length=64,
                             description="sha256 of what is paid, to whom, under which key (moves.payment_hash)")
    batch_id: int | None = Field(
        default=None, description="the outbox batch the order was sealed in, as payment_batch_order holds it: "
                                  "kept on the order so the orders in no batch are found by an index "
                                  "(ix_payment_unbatched), not by walking every order ever sent")


class PostingWindow(SQLModel, table=True):
    """A public posting (公示) opened on a day for a policy, ending after N working days."""

    __tablename__ = "posting_window"
    __table_args__ = (UniqueConstraint("policy", "opened_on", name="uq_posting_policy_day"),)
    id: int | None = Field(default=None, primary_key=True)
    policy: str = Field(max_length=32)
    opened_on: date
    closes_on: date
    working_days: int


class PaymentRelease(SQLModel, table=True):
    """An approver's release of a policy's payment batch for one business day (when required)."""

    __tablename__ = "payment_release"
    __table_args__ = (UniqueConstraint("policy", "business_date", name="uq_release_policy_day"),)
    id: int | None = Field(default=None, primary_key=True)
    policy: str = Field(max_length=32)
    business_date: date
    approver: str = Field(max_length=100)
    claims: int
    amount: Decimal = Field(sa_type=Money)
    at: datetime = Field(default_factory=utcnow)


class PaymentBatch(SQLModel, table=True):
    """The outbox's batch: orders sealed together after their claims' moves were committed, written
    to one file for the bank (services/money/outbox.py). Its rows, total and hash never change."""

    __tablename__ = "payment_batch"
    __table_args__ = (UniqueConstraint("file_name", name="uq_payment_batch_file"),)
    id: int | None = Field(default=None, primary_key=True)
    business_date: date
    file_name: str = Field(max_length=200)
    rows: int
    total: Decimal = Field(sa_type=Money)
    hash: str = Field(max_length=64, description="sha256 of the file's rows (references, keys, amounts)")
    created_at: datetime = Field(default_factory=utcnow)


class PaymentBatchOrder(SQLModel, table=True):
    """An order (payment row) in its batch: the primary key on payment_id holds each order in
    exactly one batch, ever."""

    __tablename__ = "payment_batch_order"
    payment_id: int = Field(foreign_key="payment.id", primary_key=True)
    batch_id: int = Field(foreign_key="payment_batch.id", index=True)
    line: int


class BatchHandover(SQLModel, table=True):
    """A batch file handed over: the first writing (is_copy false) and every rewrite (副本, is_copy true)."""

    __tablename__ = "payment_batch_handover"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="payment_batch.id", index=True)
    file_name: str = Field(max_length=220)
    is_copy: bool = False
    actor: str = Field(max_length=100)
    at: datetime = Field(default_factory=utcnow)


class BatchRelease(SQLModel, table=True):
    """An approver's release of one outbox batch (services/money/approval.py): bound to the batch's
    id, count, total and hash. Any change to the batch (an order voided) voids the release; a voided
    release stays as history and the batch needs a new one."""

    __tablename__ = "payment_batch_release"
    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="payment_batch.id", index=True)
    policy: str = Field(max_length=32)
    business_date: date
    approver: str = Field(max_length=100)
    claims: int
    amount: Decimal = Field(sa_type=Money)
    hash: str = Field(max_length=64, description="the batch's hash when it was released")
    at: datetime = Field(default_factory=utcnow)
    voided_at: datetime | None = None
    void_reason: str | None = Field(default=None, max_length=400)


class Objection(SQLModel, table=True):
    __tablename__ = "objection"
    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    raised_on: date
    reason: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=100)
    status: str = Field(default="open", max_length=16, description="open | upheld | dismissed")
    reviewer: str | None = Field(default=None, max_length=100)
    reviewed_on: date | None = None
    review_reason: str | None = Field(default=None, sa_column=Column(Text))


class Amendment(SQLModel, table=True):
    __tablename__ = "amendment"
    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    before: str = Field(sa_column=Column(Text, nullable=False))
    after: str = Field(sa_column=Column(Text, nullable=False))
    actor: str = Field(max_length=100)
    on: date


class AuditAnchor(SQLModel, table=True):
    """Nightly anchor over the chain heads that changed that day."""

    __tablename__ = "audit_anchor"
    id: int | None = Field(default=None, primary_key=True)
    on: date
    run_id: str | None = Field(default=None, max_length=64)
    first_event_id: int = Field(default=0, description="events with id in (first_event_id, last_event_id]")
    last_event_id: int = 0
    heads: int
    digest: str = Field(max_length=64)
    prev_digest: str = Field(default="", max_length=64)
    at: datetime = Field(default_factory=utcnow)
    first_payment_id: int | None = Field(default=None, sa_type=BigInteger,
                                         description="format 2: payments with id in (first, last] too")
    last_payment_id: int | None = Field(default=None, sa_type=BigInteger)


class Lease(SQLModel, table=True):
    """A named lock row: one nightly run per database at a time."""

    __tablename__ = "lease"
    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=100)
    acquired_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    host: str | None = Field(default=None, max_length=100, description="the holder's host name")
    pid: int | None = Field(default=None, description="the holder's process id on that host")
    run_id: str | None = Field(default=None, max_length=64, description="the holder's flow run id")
    generation: int = Field(default=0, sa_type=BigInteger,
                            description="fencing token: every take-over raises it")


class LeaseRelease(SQLModel, table=True):
    """An administrator's release of a held lease (`claims lease release`), kept for the record."""

    __tablename__ = "lease_release"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    holder: str = Field(max_length=100)
    generation: int = Field(sa_type=BigInteger)
    actor: str = Field(max_length=100)
    at: datetime = Field(default_factory=utcnow)


class SchemaVersion(SQLModel, table=True):
    __tablename__ = "schema_version"
    version: int = Field(primary_key=True)
    name: str = Field(max_length=200)
    applied_at: datetime = Field(default_factory=utcnow)


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


# Typed handles on the tables, for core SQL (bulk reads and writes): the one place that reaches
# behind sqlmodel for `__table__`.
CLAIM = _table(Claim)
PERSON = _table(Person)
PAYEE = _table(Payee)
CLASS = _table(TrainingClass)
BATCH = _table(ImportBatch)
REJECTION = _table(ImportRejection)
INSPECTION = _table(Inspection)
COMPLETION = _table(Completion)
EVENT = _table(ClaimEvent)
PAYMENT = _table(Payment)
WINDOW = _table(PostingWindow)
RELEASE = _table(PaymentRelease)
OBJECTION = _table(Objection)
AMENDMENT = _table(Amendment)
ANCHOR = _table(AuditAnchor)
LEASE = _table(Lease)
OUTBOX_BATCH = _table(PaymentBatch)
BATCH_ORDER = _table(PaymentBatchOrder)
HANDOVER = _table(BatchHandover)
BATCH_RELEASE = _table(BatchRelease)
LEASE_RELEASE = _table(LeaseRelease)

WORK_METADATA = MetaData()
"""The work-partition tables (services/nightly/leasing.py): core tables, created by their own
migrations (models/schema.py versions 4 and 5), not by the initial `create_all`."""

WORK_STEP = Table(
    "work_step", WORK_METADATA,
    Column("run_key", String(64), primary_key=True),
    Column("step", String(32), primary_key=True),
    Column("partitions", Integer, nullable=False),
    Column("published_by", String(100), nullable=False),
    Column("published_at", DateTime, nullable=False),
)

WORK_PARTITION = Table(
    "work_partition", WORK_METADATA,
    Column("run_key", String(64), primary_key=True),
    Column("step", String(32), primary_key=True),
    Column("lo", BigInteger, primary_key=True),
    Column("hi", BigInteger, nullable=False),
    Column("claims", Integer, nullable=False),
    Column("status", String(8), nullable=False),
    Column("worker", String(100)),
    Column("taken_at", DateTime),
    Column("done_at", DateTime),
    Column("result", Text),
)


def text_length(column: Any) -> int:
    """A text column's length: what a text brought in for it may hold at most."""
    length = getattr(column.type, "length", None)
    assert length is not None, f"{column} is a text column with a length"
    return int(length)
