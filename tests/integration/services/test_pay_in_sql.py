"""Pay due's usual orders are written in SQL (services/nightly/pay_in_sql.py). They must write what the
Python path writes, byte for byte — payment rows and their keys, references and hashes, the order of the
rows (batches are sealed in it), the move to paid, its event reason, money snapshot and hash chain, the
batch files — and must leave every claim with something in its way to the Python decision."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, update

from bench import databases
from bench.product import run_lifecycle
from bench.schedule import IMPORT_DAY
from bench.synthetic import generate
from bench.verify import differences
from models.audit_hash import payment_hash
from models.oversight import SIGNAL_HOLD
from models.tables import CLAIM, EVENT, PAYMENT
from services.access.actors import Actor
from services.money.channel import reference_for
from services.nightly import pay_due, pay_in_sql
from services.nightly.moves import event_hash_v2, money_text
from services.nightly.runner import run_step
from services.oversight.audit import verify
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import event_heads

CLERK = Actor("clerk", "clerk")
DAY = date(2020, 6, 1)


def _spy(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    paid: Counter[str] = Counter()
    real = pay_in_sql.write_orders

    def counted(*args: Any, **kwargs: Any) -> int:
        done = real(*args, **kwargs)
        paid["in_sql"] += done
        return done

    monkeypatch.setattr(pay_in_sql, "write_orders", counted)
    return paid



def _payments(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(PAYMENT.c.id, PAYMENT.c.claim_pk, PAYMENT.c.kind, PAYMENT.c.attempt, PAYMENT.c.amount,
                   PAYMENT.c.status, PAYMENT.c.idempotency_key, PAYMENT.c.reference, PAYMENT.c.note,
                   PAYMENT.c.payee_name, PAYMENT.c.bank_account, PAYMENT.c.bank_name, PAYMENT.c.hash)
            .order_by(PAYMENT.c.id))]


def test_orders_in_sql_write_exactly_what_the_python_path_writes(
        db_url: str, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.importing.filing import import_file

    files = generate(400, tmp_path / "input")
    assert import_file(engine, files.claims, actor=CLERK, on=IMPORT_DAY).filed == 400
    schema = db_url.split("search_path%3D")[1].split("&")[0] if "search_path" in db_url else None
    server = db_url.split("?")[0] if schema else None
    python_only = databases.clone_imported(databases.BenchDatabase(db_url, engine, schema), server, tmp_path, "py")
    paid = _spy(monkeypatch)

    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "payments"))
    run_lifecycle(engine, db_url, files, size=100, log=lambda _: None)
    assert paid["in_sql"] > 300

    in_sql = paid["in_sql"]
    with monkeypatch.context() as python:
        python.delattr(pay_due, "write_in_sql")
        python.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "python-payments"))
        run_lifecycle(python_only.engine, python_only.url, files, size=100, log=lambda _: None)
    assert paid["in_sql"] == in_sql  # the second run wrote no order in SQL

    assert event_heads(engine) == event_heads(python_only.engine)
    assert [p[1:] for p in _payments(engine)] == [p[1:] for p in _payments(python_only.engine)]  # same order too
    assert differences(engine, python_only.engine, (tmp_path / "payments", tmp_path / "python-payments")) == []
    for side in (engine, python_only.engine):
        assert verify(side).intact


def _approved(engine: Engine, *rows: dict[str, Any]) -> None:
    """Approved claims whose one event (format 2) records their money, as a night would have left them."""
    with engine.begin() as conn:
        insert_claims(conn, *rows)
        for claim in conn.execute(select(CLAIM).order_by(CLAIM.c.id)).all():
            money = money_text(claim._mapping)
            head = event_hash_v2("", claim.id, 1, "", "approved", "close_posting", "system", "system",
                                 date(2020, 5, 30), None, None, money)
            conn.execute(insert(EVENT).values(
                claim_pk=claim.id, seq=1, from_state="", to_state="approved", trigger="close_posting", actor="system",
                role="system", on=date(2020, 5, 30), at=datetime.now(UTC), run_id=None, reason=None, prev_hash="",
                hash=head, version=2, money=money))
            conn.execute(update(CLAIM).where(CLAIM.c.id == claim.id).values(event_seq=1, event_head=head))


def _claim(n: int, **overrides: Any) -> dict[str, Any]:
    person = f"21140219900101{n:04d}"
    values: dict[str, Any] = dict(person_id=person, payee_id=person, state="approved", amount=Decimal("2000.00"),
                                  payment_attempt=0,
                                  bank_name="中国工商银行葫芦岛分行")
    values.update(overrides)
    return claim_row(f"P{n}", **values)


@pytest.mark.parametrize("path", ["sql", "python"])
def test_only_a_claim_with_nothing_in_its_way_is_ordered_in_sql_and_both_paths_agree(
        engine: Engine, path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "payments"))
    _approved(engine,
              _claim(1),                                                       # paid: an order of 2000.00
              _claim(2, payee_name="\u3000"),                                  # a name of one ideographic space
              _claim(3),                                                       # an open signal hold
              _claim(4, advance_paid=Decimal("2000.00")),                      # settled by the advance
              _claim(5, amount=Decimal("1500.00"), advance_paid=Decimal("2000.00")),  # 500.00 to recover
              _claim(6, amount=Decimal("1800.00"), advance_paid=Decimal("600.00"), payment_attempt=1))
    with engine.begin() as conn:
        pk3 = conn.execute(select(CLAIM.c.id).where(CLAIM.c.claim_id == "P3")).scalar_one()
        conn.execute(insert(SIGNAL_HOLD).values(claim_pk=pk3, signal="pass_rate", body="某培训学校", score="0.990",
                                                detail="合格率异常", raised_on=date(2020, 5, 31), status="open"))
    paid = _spy(monkeypatch)
    if path == "python":
        monkeypatch.delattr(pay_due, "write_in_sql")

    result = run_step(engine, "pay_due", DAY, "night-1")

    assert paid["in_sql"] == (2 if path == "sql" else 0)  # P1 and P6
    with engine.connect() as conn:
        claims = {c.claim_id: c for c in conn.execute(select(CLAIM))}
        orders = {claims_pk: row for claims_pk, row in
                  ((r.claim_pk, r) for r in conn.execute(select(PAYMENT).where(PAYMENT.c.kind == "final")))}
        events = {r.claim_pk: r for r in conn.execute(select(EVENT).where(EVENT.c.seq == 2))}
    assert {c: claims[c].state for c in claims} == {
        "P1": "paid", "P2": "approved", "P3": "approved", "P4": "paid", "P5": "recovery_due", "P6": "paid"}
    assert "payee_incomplete" in (claims["P2"].set_aside_reason or "")
    assert "pass_rate" in (claims["P3"].set_aside_reason or "")
    assert result.held == Counter({"huludao-2019": 2})
    assert result.money[("huludao-2019", "final")] == Decimal("3200.00")
    for claim_id, amount, attempt in (("P1", Decimal("2000.00"), 1), ("P6", Decimal("1200.00"), 2)):
        claim, order = claims[claim_id], orders[claims[claim_id].id]
        key = f"huludao-2019:{claim_id}:final:{attempt}"
        assert (order.idempotency_key, order.amount, order.attempt, order.status) == (key, amount, attempt, "ordered")
        assert order.reference == reference_for(key) and order.note == "ordered: the outbox writes its file"
        assert (order.payee_name, order.bank_account, order.bank_name) == (
            "王小明", "6217000000000000001", "中国工商银行葫芦岛分行")
        assert order.hash == payment_hash(order._mapping)
        assert claim.final_paid == amount and claim.payment_attempt == attempt
        event = events[claim.id]
        assert event.reason == f"paid {amount:.2f} ({order.reference})"
        assert event.money == money_text(claim._mapping)
        assert claim.event_head == event.hash == event_hash_v2(
            event.prev_hash, claim.id, 2, "approved", "paid", "pay", "nightly", "system", DAY, "night-1",
            event.reason, event.money)


def test_a_payee_name_a_spreadsheet_would_run_is_quoted_in_the_batch_file(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.tables import OUTBOX_BATCH
    from services.money.outbox import batch_rows

    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "payments"))
    _approved(engine, _claim(1, payee_name='=HYPERLINK("http://x.cn","点我")'), _claim(2, payee_name="-王小明"))
    paid = _spy(monkeypatch)
    run_step(engine, "pay_due", DAY, "night-1")  # the night seals its orders into a batch
    assert paid["in_sql"] == 2
    with engine.connect() as conn:
        [batch] = conn.execute(select(OUTBOX_BATCH.c.id)).scalars().all()
        rows = batch_rows(conn, batch)
    assert [row[6] for row in rows] == ['\'=HYPERLINK("http://x.cn","点我")', "'-王小明"]
    assert [row[9] for row in rows] == ["2000.00", "2000.00"]


@pytest.mark.parametrize("path", ["sql", "python"])
def test_an_amount_or_account_edited_by_hand_is_never_ordered(
        engine: Engine, path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "payments"))
    _approved(engine, _claim(1), _claim(2), _claim(3))
    with engine.begin() as conn:  # by hand, as someone with the database's password would
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id == "P2").values(amount=Decimal("20000.00")))
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id == "P3").values(bank_account="6.21700E+18"))
    if path == "python":
        monkeypatch.delattr(pay_due, "write_in_sql")

    run_step(engine, "pay_due", DAY, "night-1")

    with engine.connect() as conn:
        claims = {c.claim_id: c for c in conn.execute(select(CLAIM))}
        ordered = {r.claim_pk for r in conn.execute(select(PAYMENT.c.claim_pk))}
    assert ordered == {claims["P1"].id}
    assert claims["P2"].state == claims["P3"].state == "approved"
    assert (claims["P2"].set_aside_reason or "").startswith("money_not_recorded: amount differ")
    assert (claims["P3"].set_aside_reason or "").startswith("money_not_recorded: bank_account differ")
