"""A bank statement line contradicting an earlier one is a conflict: exit non-zero, nothing changed,
until an administrator decides with `claims bank resolve` (installed `claims`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import claims_by_id, payments
from tests.release import night_then_release

READY = dict(inspection_result="pass", inspected_on=date(2020, 9, 1))


def test_confirmed_then_failed_is_a_conflict_and_pays_nothing_twice(
        engine: Engine, db_url: str, payment_dir: Path, tmp_path: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", **READY))
    night_then_release(engine, date(2020, 9, 1))
    night_then_release(engine, date(2020, 9, 8))
    [paid] = payments(engine, "G1")
    first, later = tmp_path / "s1.csv", tmp_path / "s2.csv"
    first.write_text(f"reference,amount,status\n{paid.reference},{paid.amount:.2f},confirmed\n", encoding="utf-8")
    later.write_text(f"reference,amount,status\n{paid.reference},{paid.amount:.2f},failed\n", encoding="utf-8")
    assert run_claims("bank", "import", str(first), "--on", "2020-09-10", db=db_url).returncode == 0
    done = run_claims("bank", "import", str(later), "--on", "2020-09-11", db=db_url)
    assert done.returncode == 1 and "conflict" in done.stdout, done.stdout + done.stderr
    assert claims_by_id(engine)["G1"].state == "paid"
    assert [p.status for p in payments(engine, "G1")] == ["confirmed"]
    night_then_release(engine, date(2020, 9, 12))  # the next night pays nothing again
    assert len(payments(engine, "G1")) == 1

    decided = run_claims("bank", "resolve", paid.reference, "--failed", "--actor", "wang", "--on", "2020-09-12",
                         db=db_url)
    assert decided.returncode == 0, decided.stdout + decided.stderr
    claim = claims_by_id(engine)["G1"]
    assert claim.state == "payment_failed"
    [after] = payments(engine, "G1")
    assert after.status == "failed" and "resolved failed by wang on 2020-09-12" in (after.note or "")
    assert run_claims("bank", "resolve", paid.reference, "--confirmed", "--failed", db=db_url).returncode == 2

    [batch_file] = payment_dir.glob("payments-*-B*.csv")
    batch_id = int(batch_file.stem.rsplit("-B", 1)[1])
    copied = run_claims("bank", "copy", str(batch_id), "--actor", "zhao", db=db_url,
                        env={"CLAIMS_PAYMENT_DIR": str(payment_dir)})
    assert copied.returncode == 0, copied.stdout + copied.stderr
    copy = payment_dir / f"副本-{batch_file.name}"
    assert copy.read_text(encoding="utf-8-sig").count("副本") == 2  # the header's 副本标记 and the one row
    assert run_claims("bank", "copy", "999999", db=db_url).returncode == 1


def test_two_genuine_returns_of_the_same_sum_on_the_same_day_are_two(
        engine: Engine, db_url: str, payment_dir: Path, tmp_path: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", **READY))
    night_then_release(engine, date(2020, 9, 1))
    night_then_release(engine, date(2020, 9, 8))
    assert run_claims("recover", "G1", "--reason", "虚假培训", "--on", "2020-11-02", db=db_url).returncode == 0
    one, two = tmp_path / "a" / "returns.csv", tmp_path / "b" / "returns.csv"
    for folder, path in ((tmp_path / "a", one), (tmp_path / "b", two)):
        folder.mkdir()
        path.write_text(f"claim_id,amount,on,note\nG1,500.00,2020-11-20,{folder.name}\n", encoding="utf-8")
    for path in (one, two, one):  # the first file loaded again is recorded once
        done = run_claims("recovered", str(path), db=db_url)
        assert done.returncode == 0, done.stdout + done.stderr
    by_ref = tmp_path / "by-ref.csv"
    by_ref.write_text("claim_id,amount,on,reference\nG1,500.00,2020-11-21,R1\nG1,500.00,2020-11-21,R2\n",
                      encoding="utf-8")
    assert run_claims("recovered", str(by_ref), db=db_url).returncode == 0
    assert run_claims("recovered", str(by_ref), db=db_url).returncode == 0
    returned = [p for p in payments(engine, "G1") if p.status == "returned"]
    assert len(returned) == 4 and claims_by_id(engine)["G1"].recovered == 2000
