"""The payment outbox: orders sealed into batches after commit, files written from the batches,
each order in exactly one batch and one file, copies marked 副本, reconcile reading the files back."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from models.tables import BATCH_ORDER, BATCH_RELEASE, HANDOVER, OUTBOX_BATCH, PAYMENT
from services.money.outbox import seal_batches, write_copy
from services.oversight.audit import verify
from services.oversight.reconcile import reconcile
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import FakeRules
from tests.release import night_then_release

ORG = "91211400MA0Y1XXXX1"


def _advance(claim_id: str) -> dict[str, object]:
    return claim_row(claim_id, kind="enterprise_training", payee_type="enterprise", payee_id=ORG,
                     payee_name="葫芦岛某培训学校", bank_account="6222020000001234567",
                     advance_requested=True, class_id="K-2020-01", certificate_date=None)


def _lines(payment_dir: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    for path in sorted(payment_dir.glob("payments-*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows.extend(list(csv.reader(handle))[1:])
    return rows


def test_orders_sealed_once_written_once_copies_marked_and_files_reconciled(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, _advance("E1"), _advance("E2"))
    night_then_release(engine, date(2020, 6, 1))
    night_then_release(engine, date(2020, 6, 1))  # the same night again: no new batch, no new file
    with engine.connect() as conn:
        [batch] = conn.execute(select(OUTBOX_BATCH)).all()
        keys = set(conn.execute(select(PAYMENT.c.idempotency_key)).scalars())
        handovers = conn.execute(select(HANDOVER)).all()
    assert (batch.rows, str(batch.total), batch.file_name) == (2, "1000.00", f"payments-2020-06-01-B{batch.id:08d}.csv")
    assert [(h.is_copy, h.file_name) for h in handovers] == [(False, batch.file_name)]
    lines = _lines(payment_dir)
    assert sorted(r[1] for r in lines) == sorted(keys) and {r[11] for r in lines} == {str(batch.id)}
    assert reconcile(engine).holds

    # an order belongs to exactly one batch, ever: the database refuses a second
    with pytest.raises(IntegrityError), engine.begin() as conn:
        other = conn.execute(insert(OUTBOX_BATCH).values(business_date=date(2020, 6, 2), file_name="x.csv", rows=1,
                                                         total=batch.total, hash="x").returning(OUTBOX_BATCH.c.id))
        payment_id = conn.execute(select(PAYMENT.c.id).limit(1)).scalar_one()
        conn.execute(insert(BATCH_ORDER).values(payment_id=payment_id, batch_id=other.scalar_one(), line=1))

    copy = write_copy(engine, batch.id, payment_dir, actor="wang")
    assert copy.name == f"副本-{batch.file_name}"
    with copy.open(encoding="utf-8-sig", newline="") as handle:
        copied = list(csv.reader(handle))
    assert copied[0][-1] == "副本标记" and [r[:-1] for r in copied[1:]] == lines
    assert {r[-1] for r in copied[1:]} == {"副本"}
    with engine.connect() as conn:
        assert conn.execute(select(HANDOVER.c.actor).where(HANDOVER.c.is_copy.is_(True))).scalars().all() == ["wang"]
    assert reconcile(engine).holds  # a copy is not taken for a new batch

    # a line added by hand, and a file deleted, are named
    path = payment_dir / batch.file_name
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(lines[0])
    named = [b.message for b in reconcile(engine).breaches if b.check == "batch_file"]
    assert any("line 4" in m and lines[0][1] in m for m in named), named
    path.unlink()
    named = [b.message for b in reconcile(engine).breaches if b.check == "batch_file"]
    assert named == [f"{batch.file_name}: batch {batch.id}'s file is missing (deleted?)"]


def test_orders_sealed_before_a_crash_are_written_by_the_next_days_night_once(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, _advance("E1"))
    night_then_release(engine, date(2020, 6, 1))
    for path in payment_dir.glob("payments-*.csv"):  # as if killed after the seal, before the file
        path.unlink()
    with engine.begin() as conn:
        conn.execute(HANDOVER.delete())
    assert seal_batches(engine, date(2020, 6, 2)) == []  # nothing sealed twice
    night_then_release(engine, date(2020, 6, 2))
    lines = _lines(payment_dir)
    assert [r[1] for r in lines] == ["huludao-2019:E1:advance:1"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OUTBOX_BATCH)).scalar_one() == 1
    assert reconcile(engine).holds


def test_payments_sent_before_the_outbox_are_one_handed_over_batch_per_day_and_never_sent_again(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    from sqlalchemy import delete

    from models.schema import LEGACY_BATCH_ACTOR, _adopt_sent_payments

    with engine.begin() as conn:
        insert_claims(conn, _advance("E1"), _advance("E2"))
    night_then_release(engine, date(2020, 6, 1))
    # the database as the file channel left it before migration 20: payments sent, no batch rows,
    # one day file payments-DATE.csv
    with engine.begin() as conn:
        for table in (BATCH_RELEASE, HANDOVER, BATCH_ORDER, OUTBOX_BATCH):
            conn.execute(delete(table))
        conn.execute(PAYMENT.update().values(batch_id=None))
    for path in payment_dir.glob("payments-*.csv"):
        path.rename(payment_dir / "payments-2020-06-01.csv")
    _adopt_sent_payments(engine)
    _adopt_sent_payments(engine)  # idempotent: adopted payments are in a batch
    with engine.connect() as conn:
        [batch] = conn.execute(select(OUTBOX_BATCH)).all()
        orders = conn.execute(select(func.count()).select_from(BATCH_ORDER)).scalar_one()
        [handover] = conn.execute(select(HANDOVER)).all()
    assert (batch.file_name, batch.rows, str(batch.total), orders) == ("payments-2020-06-01.csv", 2, "1000.00", 2)
    assert (handover.actor, handover.is_copy) == (LEGACY_BATCH_ACTOR, False)
    assert seal_batches(engine, date(2020, 6, 2)) == []  # nothing sealed again, nothing written again
    night_then_release(engine, date(2020, 6, 2))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OUTBOX_BATCH)).scalar_one() == 1
    assert sorted(p.name for p in payment_dir.glob("payments-*.csv")) == ["payments-2020-06-01.csv"]
    assert reconcile(engine).holds
    assert verify(engine).intact  # the adopted orders carry their batch's mark


def test_each_order_notes_its_batch_the_unsent_are_found_by_index_and_a_changed_mark_is_named(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    """payment.batch_id (migration 99) copies payment_batch_order's batch, so the outbox finds the
    orders in no batch through ix_payment_unbatched instead of walking every order ever sent; the
    copy never decides alone (an order whose mark was set by hand is still sealed once, by its
    batch order row) and `claims audit verify` names a mark that disagrees."""
    from sqlalchemy import event, update

    with engine.begin() as conn:
        insert_claims(conn, *(_advance(f"E{n}") for n in range(1, 6)))
    night_then_release(engine, date(2020, 6, 1))
    with engine.connect() as conn:
        marks = conn.execute(select(PAYMENT.c.batch_id, BATCH_ORDER.c.batch_id)
                             .join(BATCH_ORDER, BATCH_ORDER.c.payment_id == PAYMENT.c.id)).all()
    assert len(marks) == 5 and all(noted == sealed for noted, sealed in marks)
    assert verify(engine).intact

    seen: list[tuple[str, Any]] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "payment.status ||" in statement:
            seen.append((statement, parameters))  # the accepted orders in no batch (the ordered wait: few)

    event.listen(engine, "before_cursor_execute", remember)
    assert seal_batches(engine, date(2020, 6, 2)) == []
    event.remove(engine, "before_cursor_execute", remember)
    assert seen
    with engine.connect() as conn:
        for statement, parameters in seen:
            if engine.dialect.name == "sqlite":
                plan = [r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                assert any("ix_payment_unbatched" in p for p in plan), (statement, plan)
            else:
                conn.exec_driver_sql("SET enable_seqscan = off")
                plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters)]
                assert not any("ix_payment_status_day" in p or "Seq Scan on payment" in p for p in plan), plan

    with engine.begin() as conn:  # by hand: one order's mark points at another batch
        first = conn.execute(select(PAYMENT.c.id).order_by(PAYMENT.c.id).limit(1)).scalar_one()
        conn.execute(update(PAYMENT).where(PAYMENT.c.id == first).values(batch_id=999))
    problems = verify(engine).problems
    assert len(problems) == 1 and f"payment id {first}" in problems[0] and "notes batch 999" in problems[0]


def test_migration_99_marks_the_orders_already_in_batches(engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    from models.schema import MIGRATIONS

    with engine.begin() as conn:
        insert_claims(conn, _advance("E1"), _advance("E2"))
    night_then_release(engine, date(2020, 6, 1))
    with engine.begin() as conn:  # as a database of version 98 holds them: batch orders, no marks
        conn.execute(PAYMENT.update().values(batch_id=None))
    assert not verify(engine).intact
    migration = next(m for m in MIGRATIONS if m.version == 99)
    migration.apply(engine)
    migration.apply(engine)  # idempotent
    assert verify(engine).intact
    assert seal_batches(engine, date(2020, 6, 2)) == []  # marked: nothing sealed again


def test_writing_batches_does_not_probe_the_orders_of_batches_already_handed_over(
        engine: Engine, rules: FakeRules, payment_dir: Path) -> None:
    """Every night and every release asks which batches to write: only the batches never handed
    over are looked into for an order waiting for its release, not every order ever sent."""
    from sqlalchemy import event

    from services.money.outbox import write_batches

    with engine.begin() as conn:
        insert_claims(conn, *(_advance(f"E{n}") for n in range(1, 4)))
    night_then_release(engine, date(2020, 6, 1))  # sealed, released, written, handed over
    seen: list[str] = []

    def remember(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    assert write_batches(engine, payment_dir) == []
    event.remove(engine, "before_cursor_execute", remember)
    assert seen and not any("payment_batch_order" in statement for statement in seen), seen
