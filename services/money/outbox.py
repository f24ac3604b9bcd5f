"""The payment outbox: orders are rows, batches are rows, files are written from them after commit.

A payment order (a `payment` row of kind advance/final) is committed in the same transaction as
its claim's move (services/nightly/base.py), with status `sent`, or `ordered` where payment approval
is required (the default). Its path: ordered → released → sent → confirmed/failed (a bank's word);
an unsent order voided by a payee change is `void` (closed; paying again is a new order). After
that commit, `dispatch`:

1. `seal_batches`: orders in no batch yet are sealed into batches (one transaction per batch of at
   most chunk-size orders): a `payment_batch` row with its file name, rows, total and hash, and one
   `payment_batch_order` row per order. The primary key of `payment_batch_order` is the order, so
   the database holds every order in exactly one batch, ever.
   Ordered orders are sealed apart, one policy per batch: such a batch waits for an approver's
   release (services/money/approval.py), bound to its id, count, total and hash.
2. `write_batches`: every batch whose file was never handed over, that waits for no release and
   still holds an order (not all voided) is written (to a temporary
   file, then renamed) and the handover recorded. A crash between the file and the record writes
   the same file again under the same name, with the same rows: never a new batch.

`write_copy` writes a batch again on request: the same rows, marked 副本 in the file name and on
every row, with the handover (who, when) recorded. A file carries its batch id and each order's
reference (on which the bank deduplicates). Kill points: outbox.after_seal (batch committed, no
file), outbox.after_file (file written, handover not recorded), release.after_release (release
committed, no file).

Every commit that writes orders or batches goes through `money_transaction` (one line for a
lease fencing check).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, exists, func, insert, select, update

from intake.messages import msg
from intake.privacy import FORMULA_PREFIXES
from models.tables import BATCH_ORDER, CLAIM, HANDOVER, OUTBOX_BATCH, PAYMENT
from services.crash_drill import checkpoint
from services.gc_pause import gc_paused
from services.money.channel import BATCH_HEADERS, KIND_ZH, outbox_dir
from services.nightly.lease import fence
from services.settings import chunk_size

ORDER_KINDS = ("advance", "final")
ORDERED, RELEASED, VOID = "ordered", "released", "void"
SENDABLE = ("sent", "confirmed", "failed")
"""statuses of orders the channel accepted (a bank's later word does not take them out of their batch)"""
COPY_MARK = "副本"
PAYING_STEPS = ("pay_advances", "pay_due")
"""nightly steps that commit orders; the outbox is dispatched after each"""
OUTBOX_ACTOR = "system:outbox"
LEGACY_FILE = re.compile(r"payments-\d{4}-\d{2}-\d{2}\.csv")
"""a day file of the channel before the outbox; migration 20 made its payments one batch, handed over"""


@contextmanager
def money_transaction(engine: Engine) -> Iterator[Connection]:
    """The one transaction that commits payment orders or batches: fenced by the night's lease, so a
    stalled run whose lease was taken over rolls back instead of paying."""
    with engine.begin() as conn:
        fence(conn)
        yield conn


@dataclass
class DispatchReport:
    sealed: list[int] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


def file_name(batch_id: int, on: date) -> str:
    return f"payments-{on.isoformat()}-B{batch_id:08d}.csv"


def copy_name(name: str) -> str:
    return f"{COPY_MARK}-{name}"


def batch_hash(lines: list[tuple[str, str, Decimal]]) -> str:
    """sha256 over (reference, key, amount) of the batch's orders, in line order."""
    digest = hashlib.sha256()
    for reference, key, amount in lines:
        digest.update(f"{reference}|{key}|{amount:.2f}\n".encode())
    return digest.hexdigest()


def dispatch(engine: Engine, on: date, out_dir: Path | None = None, *, actor: str = OUTBOX_ACTOR) -> DispatchReport:
    """Seal unbatched orders into batches, then write every batch not yet handed over."""
    report = DispatchReport()
    report.sealed = seal_batches(engine, on)
    report.written = write_batches(engine, out_dir or outbox_dir(), actor=actor)
    return report


def _free() -> tuple[Any, ...]:
    """An order of a kind the bank is sent, with its reference, in no batch yet: found through
    ix_payment_unbatched (its terms, `models.schema.UNBATCHED_SQL`, repeated), and checked against
    payment_batch_order, whose key holds an order in one batch ever."""
    in_batch = exists().where(BATCH_ORDER.c.payment_id == PAYMENT.c.id)
    return (PAYMENT.c.batch_id.is_(None), PAYMENT.c.reference.is_not(None), PAYMENT.c.kind.in_(ORDER_KINDS),
            ~in_batch)


_LINE_COLUMNS = (PAYMENT.c.id, PAYMENT.c.idempotency_key, PAYMENT.c.reference, PAYMENT.c.amount)


def _sent_batch(conn: Connection, after: int, limit: int) -> list[Any]:
    """Accepted (sent) orders in no batch, any policy, the next `limit` by id after `after`. The
    status is compared as `status || ''`, so that no planner walks the status index over every
    order ever sent instead of ix_payment_unbatched (SQLite without statistics did)."""
    return list(conn.execute(select(*_LINE_COLUMNS).where(PAYMENT.c.status.concat("").in_(SENDABLE),
                                                          PAYMENT.c.id > after, *_free())
                             .order_by(PAYMENT.c.id).limit(limit)))


def _ordered_batches(conn: Connection, limit: int) -> list[tuple[str, list[int]]]:
    """The ordered orders in no batch cut into batches: one policy a batch, at most `limit`
    orders, each batch taking the policy of the lowest order left (the outbox's rule) — worked out
    from one read of (id, policy), so sealing n orders reads them once, not once per batch."""
    rows = conn.execute(select(PAYMENT.c.id, CLAIM.c.policy)
                        .select_from(PAYMENT.join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk))
                        .where(PAYMENT.c.status == ORDERED, *_free()).order_by(PAYMENT.c.id))
    queues: dict[str, list[int]] = {}
    for payment_id, policy in rows:
        queues.setdefault(policy, []).append(payment_id)
    taken = dict.fromkeys(queues, 0)
    batches: list[tuple[str, list[int]]] = []
    while True:
        heads = [(queue[taken[policy]], policy) for policy, queue in queues.items() if taken[policy] < len(queue)]
        if not heads:
            return batches
        _, policy = min(heads)
        start = taken[policy]
        batches.append((policy, queues[policy][start:start + limit]))
        taken[policy] = start + limit


def _lines(conn: Connection, policy: str, ids: list[int]) -> list[Any]:
    """A planned batch's orders as they stand now, in id order: the policy's ordered orders in no
    batch from its first to its last id (one voided or sealed meanwhile drops out)."""
    return list(conn.execute(select(*_LINE_COLUMNS).select_from(PAYMENT.join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk))
                             .where(PAYMENT.c.id.between(ids[0], ids[-1]), CLAIM.c.policy == policy,
                                    PAYMENT.c.status == ORDERED, *_free()).order_by(PAYMENT.c.id)))


def awaiting_release() -> Any:
    """A batch holding an order that waits for a release (a column expression on OUTBOX_BATCH)."""
    return exists().where(BATCH_ORDER.c.batch_id == OUTBOX_BATCH.c.id, BATCH_ORDER.c.payment_id == PAYMENT.c.id,
                          PAYMENT.c.status == ORDERED)


def seal_batches(engine: Engine, on: date, size: int | None = None) -> list[int]:
    """Orders in no batch → batches of at most `size` orders, one transaction each; the batch ids.
    Accepted (sent) orders first, by id; then the ordered ones, one policy a batch."""
    limit = size or chunk_size()
    sealed: list[int] = []
    after = 0
    while True:  # accepted orders: keyset by id, each batch the next `limit` of them
        with money_transaction(engine) as conn:
            orders = _sent_batch(conn, after, limit)
            if not orders:
                break
            sealed.append(_seal(conn, orders, on))
        after = orders[-1].id
        checkpoint("outbox.after_seal")
    with engine.connect() as conn:
        planned = _ordered_batches(conn, limit)
    for policy, ids in planned:
        with money_transaction(engine) as conn:
            orders = _lines(conn, policy, ids)
            if not orders:
                continue
            sealed.append(_seal(conn, orders, on))
        checkpoint("outbox.after_seal")
    return sealed


def _seal(conn: Connection, orders: list[Any], on: date) -> int:
    lines = [(o.reference, o.idempotency_key, o.amount) for o in orders]
    total = sum((o.amount for o in orders), Decimal("0"))
    batch_id: int = conn.execute(insert(OUTBOX_BATCH).values(
        business_date=on, file_name=f"pending-{lines[0][1]}"[:200], rows=len(orders), total=total,
        hash=batch_hash(lines)).returning(OUTBOX_BATCH.c.id)).scalar_one()
    conn.execute(OUTBOX_BATCH.update().where(OUTBOX_BATCH.c.id == batch_id)
                 .values(file_name=file_name(batch_id, on)))
    conn.execute(insert(BATCH_ORDER), [{"payment_id": o.id, "batch_id": batch_id, "line": number}
                                       for number, o in enumerate(orders, start=1)])
    conn.execute(update(PAYMENT).where(PAYMENT.c.id.in_(select(BATCH_ORDER.c.payment_id)
                                                        .where(BATCH_ORDER.c.batch_id == batch_id)))
                 .values(batch_id=batch_id))
    return batch_id


def batch_rows(conn: Connection, batch_id: int) -> list[list[str]]:
    """The batch's file rows (without header), in line order: the one rendering of what the bank gets
    (the payee's name and account as the order stored them when it was written)."""
    query = (select(PAYMENT.c.reference, PAYMENT.c.idempotency_key, PAYMENT.c.kind, PAYMENT.c.amount,
                    PAYMENT.c.business_date, PAYMENT.c.payee_type, PAYMENT.c.payee_id,
                    CLAIM.c.policy, CLAIM.c.claim_id, PAYMENT.c.payee_name, PAYMENT.c.bank_account)
             .select_from(BATCH_ORDER.join(PAYMENT, PAYMENT.c.id == BATCH_ORDER.c.payment_id)
                          .join(CLAIM, CLAIM.c.id == PAYMENT.c.claim_pk))
             .where(BATCH_ORDER.c.batch_id == batch_id, PAYMENT.c.status != VOID).order_by(BATCH_ORDER.c.line))
    rows = []
    batch, kinds, formula = str(batch_id), KIND_ZH, FORMULA_PREFIXES
    for (reference, key, kind, amount, business_date, payee_type, payee_id, policy, claim_id, payee_name,
         bank_account) in conn.execute(query).all():  # one fetch, not a round of the cursor per order
        cells = [reference, key, policy, claim_id, kinds.get(kind, kind), payee_type, payee_name or "", payee_id,
                 bank_account or "", f"{amount:.2f}", business_date.isoformat(), batch]
        # `intake.privacy.safe_cell` inline (a batch file is the release's largest write): a text that
        # a spreadsheet would take for a formula gets a leading quote
        rows.append([("'" + cell if cell.startswith(formula) else cell) if type(cell) is str else str(cell)
                     for cell in cells])
    return rows


def _write(path: Path, rows: list[list[str]], *, copy: bool) -> None:
    text = io.StringIO(newline="")
    text.write("\ufeff")  # UTF-8 with BOM, as Excel in China expects
    writer = csv.writer(text)
    writer.writerow([*BATCH_HEADERS, "批次号", *(["副本标记"] if copy else [])])
    for row in rows:
        writer.writerow([*row, *([COPY_MARK] if copy else [])])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(text.getvalue().encode("utf-8"))
    os.replace(temporary, path)


def write_batches(engine: Engine, out_dir: Path, *, actor: str = OUTBOX_ACTOR) -> list[str]:
    """Write every batch whose file was never handed over, that waits for no release and holds an
    order (a batch whose every order was voided by payee changes sends no empty file); record each
    handover (a released batch's orders become sent with it). The one path by which files are
    written: the night's dispatch and a release (services/money/approval.py) both call it."""
    written: list[str] = []
    with engine.connect() as conn:
        # the batches never handed over first, then which of those wait for a release: asked in one
        # query, the planner probed every order of every batch ever sent for a release it waits for
        handed = exists().where(HANDOVER.c.batch_id == OUTBOX_BATCH.c.id, HANDOVER.c.is_copy.is_(False))
        unsent = list(conn.execute(select(OUTBOX_BATCH.c.id, OUTBOX_BATCH.c.file_name)
                                   .where(~handed, OUTBOX_BATCH.c.rows > 0).order_by(OUTBOX_BATCH.c.id)))
        waiting = set(conn.execute(select(OUTBOX_BATCH.c.id).where(
            OUTBOX_BATCH.c.id.in_([b.id for b in unsent]), awaiting_release())).scalars()) if unsent else set()
    pending = [batch for batch in unsent if batch.id not in waiting]
    for batch in pending:
        with engine.connect() as conn, gc_paused():  # services/gc_pause.py
            rows = batch_rows(conn, batch.id)
        _write(Path(out_dir) / batch.file_name, rows, copy=False)
        checkpoint("outbox.after_file")
        with money_transaction(engine) as conn:
            if conn.execute(select(OUTBOX_BATCH.c.id).where(OUTBOX_BATCH.c.id == batch.id, awaiting_release())
                            ).first() is not None:
                continue  # its release was voided meanwhile (a payee change): no handover, reconcile names the file
            conn.execute(insert(HANDOVER).values(batch_id=batch.id, file_name=batch.file_name, is_copy=False,
                                                 actor=actor))
            mine = select(BATCH_ORDER.c.payment_id).where(BATCH_ORDER.c.batch_id == batch.id)
            conn.execute(PAYMENT.update().where(PAYMENT.c.id.in_(mine), PAYMENT.c.status == RELEASED)
                         .values(status="sent"))
        written.append(batch.file_name)
    return written


class NoSuchBatch(LookupError):
    pass


def write_copy(engine: Engine, batch_id: int, out_dir: Path, *, actor: str) -> Path:
    """The batch's file again: the same rows, marked 副本; the handover recorded."""
    with engine.connect() as conn:
        batch = conn.execute(select(OUTBOX_BATCH).where(OUTBOX_BATCH.c.id == batch_id)).first()
        if batch is None:
            raise NoSuchBatch(f"no payment batch {batch_id}")
        if conn.execute(select(OUTBOX_BATCH.c.id).where(OUTBOX_BATCH.c.id == batch_id, awaiting_release())
                        ).first() is not None:
            raise NoSuchBatch(f"payment batch {batch_id} waits for its release: it has no file to copy")
        rows = batch_rows(conn, batch_id)
        copies = conn.execute(select(func.count()).select_from(HANDOVER).where(
            HANDOVER.c.batch_id == batch_id, HANDOVER.c.is_copy.is_(True))).scalar_one()
    name = copy_name(batch.file_name) if not copies else copy_name(f"{copies + 1}-{batch.file_name}")
    path = Path(out_dir) / name
    _write(path, rows, copy=True)
    with money_transaction(engine) as conn:
        conn.execute(insert(HANDOVER).values(batch_id=batch_id, file_name=name, is_copy=True, actor=actor))
    return path


def check_files(engine: Engine, out_dir: Path) -> list[tuple[str, str]]:
    """Read back every batch file written: (file, problem) for a file missing, a file whose rows,
    total or hash differ from its batch, a line the database does not hold (added by hand), an order
    in more than one file, and a payments file no batch owns. Copies (副本) are not read."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, str] = {}
    with engine.connect() as conn:
        handed = exists().where(HANDOVER.c.batch_id == OUTBOX_BATCH.c.id, HANDOVER.c.is_copy.is_(False))
        batches = list(conn.execute(select(OUTBOX_BATCH, handed.label("handed")).order_by(OUTBOX_BATCH.c.id)))
        for batch in batches:
            if LEGACY_FILE.fullmatch(batch.file_name):
                continue  # a day file the channel wrote before the outbox (migration 20): not re-read
            path = Path(out_dir) / batch.file_name
            if not path.exists():
                if batch.handed:  # a batch not yet handed over is written by the next dispatch
                    problems.append((batch.file_name, msg("outbox.file_missing", "en", batch=batch.id)))
                continue
            expected = {row[1]: row for row in batch_rows(conn, batch.id)}
            with path.open(encoding="utf-8-sig", newline="") as handle:
                lines = list(csv.reader(handle))[1:]
            total, read = Decimal("0"), []
            for number, row in enumerate(lines, start=2):
                key = row[1] if len(row) > 1 else ""
                if key not in expected or len(row) < 12 or [row[0], row[9], row[11]] != [
                        expected[key][0], expected[key][9], expected[key][11]]:
                    problems.append((batch.file_name, msg("outbox.not_order", "en", number=number,
                                                          key=key or "no key", batch=batch.id)))
                    continue
                if key in seen:
                    problems.append((batch.file_name, msg("outbox.twice", "en", number=number, key=key,
                                                          other=seen[key])))
                seen[key] = batch.file_name
                total += Decimal(row[9])
                read.append((row[0], key, Decimal(row[9])))
            if len(lines) != batch.rows or total != batch.total or batch_hash(read) != batch.hash:
                problems.append((batch.file_name, msg("outbox.totals", "en", rows=len(lines), total=f"{total:.2f}",
                                                      batch=batch.id, batch_rows=batch.rows,
                                                      batch_total=f"{batch.total:.2f}")))
        owned = {b.file_name for b in batches}
    for path in sorted(Path(out_dir).glob("payments-*.csv")) if Path(out_dir).is_dir() else []:
        if path.name not in owned:
            problems.append((path.name, msg("outbox.unowned", "en")))
    return problems
