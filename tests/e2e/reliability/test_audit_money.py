"""The audit covers money (issue 18), through the installed `claims`: after two nights that pay,
`claims audit verify` is green; multiplying an amount by ten by hand in the claim table or the
payment table, deleting or inserting an event or a payment row, or putting the database back to a
copy taken before a night makes it fail (exit 1) naming what differs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, insert, select, text, update

from models.tables import BATCH_ORDER, CLAIM, EVENT, PAYMENT
from tests.conftest import run_claims
from tests.e2e.reliability import scenario
from tests.e2e.reliability.scenario import D0, D1


def _env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "vault").mkdir(exist_ok=True)
    return {**scenario.night_env(tmp_path / "payments"), "CLAIMS_PAYMENT_APPROVAL_REQUIRED": "false",
            "CLAIMS_AUDIT_KEY": str(tmp_path / "vault" / "key"),
            "CLAIMS_AUDIT_LOG": str(tmp_path / "vault" / "audit.log")}


def _two_nights(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                copy_after_first: Path | None = None) -> tuple[Engine, dict[str, str]]:
    env = _env(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    engine = scenario.build(db_url, tmp_path / "files", claims=40)
    assert run_claims("init", db=db_url, env=env).returncode == 0
    for day in (D0, D1):
        done = run_claims("nightly", "--no-prefect", "--as-of", day.isoformat(), db=db_url, env=env)
        assert done.returncode == 0, done.stderr
        if copy_after_first is not None and day == D0:
            engine.dispose()
            shutil.copy(db_url.split("///", 1)[1], copy_after_first)
    return engine, env


def _verify(db_url: str, env: dict[str, str]) -> tuple[int, str]:
    done = run_claims("audit", "verify", db=db_url, env=env)
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def _times(engine: Engine, table: Any, column: str, row_id: int, factor: int) -> None:
    """By hand, as someone with the database's password would: `UPDATE … SET x = x * 10`."""
    op = f"* {factor}" if factor > 0 else f"/ {-factor}"
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {table.name} SET {column} = {column} {op} WHERE id = :id"), {"id": row_id})


def test_money_edited_by_hand_and_events_or_payments_deleted_or_inserted_are_named(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, env = _two_nights(db_url, tmp_path, monkeypatch)
    code, out = _verify(db_url, env)
    assert code == 0, out
    with engine.connect() as conn:
        paid = conn.execute(select(CLAIM.c.id, CLAIM.c.claim_id, CLAIM.c.amount).where(CLAIM.c.final_paid > 0)
                            .order_by(CLAIM.c.id).limit(1)).one()
        payment = conn.execute(select(PAYMENT.c.id, PAYMENT.c.amount).where(PAYMENT.c.claim_pk == paid.id)
                               .order_by(PAYMENT.c.id.desc()).limit(1)).one()
        assert conn.execute(select(func.count()).select_from(EVENT).where(EVENT.c.version == 2)).scalar_one()

    # the claim's amount ×10 by hand: the claim no longer holds what its last event recorded
    _times(engine, CLAIM, "amount", paid.id, 10)
    code, out = _verify(db_url, env)
    assert code == 1
    assert f"claim {paid.claim_id}" in out and "money changed without an event" in out
    assert f"amount is {paid.amount * 10:.2f} but event" in out and f"recorded {paid.amount:.2f}" in out
    _times(engine, CLAIM, "amount", paid.id, -10)
    assert _verify(db_url, env)[0] == 0

    # what was paid ×10 on the claim: its payment rows do not add up to it
    _times(engine, CLAIM, "final_paid", paid.id, 10)
    code, out = _verify(db_url, env)
    assert code == 1 and "final_paid is" in out and "final payment rows add up to" in out
    _times(engine, CLAIM, "final_paid", paid.id, -10)

    # the payment row ×10: its own hash no longer matches
    _times(engine, PAYMENT, "amount", payment.id, 10)
    code, out = _verify(db_url, env)
    assert code == 1
    assert f"payment id {payment.id}" in out and f"now {payment.amount * 10:.2f}" in out
    assert "was changed after it was written" in out
    _times(engine, PAYMENT, "amount", payment.id, -10)
    assert _verify(db_url, env)[0] == 0

    # a payment row deleted: the anchor over the payments breaks, and the claim's rows no longer add up
    with engine.begin() as conn:
        row = conn.execute(select(PAYMENT).where(PAYMENT.c.id == payment.id)).one()
        orders = conn.execute(select(BATCH_ORDER).where(BATCH_ORDER.c.payment_id == payment.id)).all()
        conn.execute(delete(BATCH_ORDER).where(BATCH_ORDER.c.payment_id == payment.id))
        conn.execute(delete(PAYMENT).where(PAYMENT.c.id == payment.id))
    code, out = _verify(db_url, env)
    assert code == 1 and "payment rows (ids" in out and "changed, added or removed" in out
    with engine.begin() as conn:
        conn.execute(insert(PAYMENT).values(dict(row._mapping)))
        for order in orders:
            conn.execute(insert(BATCH_ORDER).values(dict(order._mapping)))
    assert _verify(db_url, env)[0] == 0

    # a payment row slipped in by hand, its hash computed the product's way: the claim's rows no longer
    # add up to what the claim says was paid
    from models.audit_hash import payment_hash

    forged = {**{k: v for k, v in row._mapping.items() if k != "id"}, "attempt": row.attempt + 5,
              "idempotency_key": "forged", "reference": None}
    forged["hash"] = payment_hash(forged)
    with engine.begin() as conn:
        forged_id = conn.execute(insert(PAYMENT).values(forged)).inserted_primary_key[0]
    code, out = _verify(db_url, env)
    assert code == 1 and "final payment rows add up to" in out
    with engine.begin() as conn:
        conn.execute(delete(PAYMENT).where(PAYMENT.c.id == forged_id))

    # an event deleted, then one inserted
    with engine.begin() as conn:
        last = conn.execute(select(EVENT).where(EVENT.c.claim_pk == paid.id).order_by(EVENT.c.seq.desc())
                            .limit(1)).one()
        conn.execute(delete(EVENT).where(EVENT.c.id == last.id))
    code, out = _verify(db_url, env)
    assert code == 1 and f"claim {paid.claim_id}" in out and "events were deleted" in out
    with engine.begin() as conn:
        conn.execute(insert(EVENT).values(dict(last._mapping)))
        conn.execute(insert(EVENT).values({**{k: v for k, v in last._mapping.items() if k != "id"},
                                           "seq": last.seq + 1, "prev_hash": last.hash, "hash": "f" * 64}))
    code, out = _verify(db_url, env)
    assert code == 1 and f"claim {paid.claim_id}" in out and f"#{last.seq + 1}" in out
    engine.dispose()


def test_a_database_put_back_to_a_copy_from_before_a_night_is_behind_the_log(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db_file = tmp_path / "claims.db"
    db_url = f"sqlite:///{db_file}"
    copy = tmp_path / "copy-after-D0.db"
    engine, env = _two_nights(db_url, tmp_path, monkeypatch, copy_after_first=copy)
    assert _verify(db_url, env)[0] == 0
    engine.dispose()
    shutil.copy(copy, db_file)  # restored from the copy taken after the first night
    code, out = _verify(db_url, env)
    assert code == 1 and "the database is behind the outside audit log" in out
    # the copy's own chains are intact: only the outside log tells
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_anchor")).scalar_one() >= 1
    # the log gone instead: told apart from a disagreeing one
    Path(env["CLAIMS_AUDIT_LOG"]).unlink()
    code, out = _verify(db_url, env)
    assert code == 1 and "is missing" in out and "behind" not in out


def test_a_payee_or_account_edited_by_hand_before_the_first_night_is_named(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The filing event hashes the claim's money as filed: a hand edit of payee or account between
    `claims import` and the first night is named by `claims audit verify`, and the night's moves do
    not take the edited values into the chain."""
    from bench.synthetic import generate
    from models.db import make_engine

    env = _env(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert run_claims("init", db=db_url, env=env).returncode == 0
    files = generate(40, tmp_path / "files")
    done = run_claims("import", str(files.claims), "--on", D0.isoformat(), db=db_url, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    engine = make_engine(db_url)
    with engine.connect() as conn:
        versions = conn.execute(select(EVENT.c.version, func.count()).group_by(EVENT.c.version)).all()
        assert dict(versions) == {2: 40}  # every filing event records the money as filed
        first, second = conn.execute(select(CLAIM.c.id, CLAIM.c.claim_id, CLAIM.c.bank_account, CLAIM.c.payee_id)
                                     .where(CLAIM.c.bank_account.is_not(None)).order_by(CLAIM.c.id).limit(2)).all()
    code, out = _verify(db_url, env)
    assert code == 0, out

    with engine.begin() as conn:  # by hand, as someone with the database's password would
        conn.execute(update(CLAIM).where(CLAIM.c.id == first.id).values(bank_account="6222000011112222"))
        conn.execute(update(CLAIM).where(CLAIM.c.id == second.id).values(payee_id="91110000MA00000000"))
    code, out = _verify(db_url, env)
    assert code == 1
    assert f"claim {first.claim_id}" in out and "money changed without an event" in out
    assert f"bank_account is 6222000011112222 but event #1 recorded {first.bank_account}" in out
    assert f"claim {second.claim_id}" in out
    assert f"payee_id is 91110000MA00000000 but event #1 recorded {second.payee_id}" in out

    # the first night moves the claims on: their events record the money the chain knew, not the edit
    done = run_claims("nightly", "--no-prefect", "--as-of", D0.isoformat(), db=db_url, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    code, out = _verify(db_url, env)
    assert code == 1
    assert "bank_account is 6222000011112222 but event #" in out and f"recorded {first.bank_account}" in out
    assert "payee_id is 91110000MA00000000 but event #" in out and f"recorded {second.payee_id}" in out

    # put back, the log is green again
    with engine.begin() as conn:
        conn.execute(update(CLAIM).where(CLAIM.c.id == first.id).values(bank_account=first.bank_account))
        conn.execute(update(CLAIM).where(CLAIM.c.id == second.id).values(payee_id=second.payee_id))
    code, out = _verify(db_url, env)
    assert code == 0, out
    engine.dispose()
