"""Payee checks before money moves, through the installed `claims`: an account Excel turned into a
number, and an individual's account that is not 16–19 digits, are named at import; an approved
claim without a payee name or account is set aside at payment (payee_incomplete, `claims failed`),
corrected with `claims amend` (history kept) and paid by the next night."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from models.tables import AMENDMENT, OUTBOX_BATCH, PAYMENT
from services.nightly.runner import run_night
from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import FakeRules, claims_by_id, history
from tests.unit.intake.claimrows import good_row, write_csv

NO_APPROVAL = {"CLAIMS_PAYMENT_APPROVAL_REQUIRED": "false"}


def test_excel_numbers_and_short_personal_accounts_are_named_at_import(engine: Engine, db_url: str,
                                                                       tmp_path: Path) -> None:
    garbled, short, fine = good_row(0), good_row(9), good_row(18)  # three individual payees
    assert {r["payee_type"] for r in (garbled, short, fine)} == {"individual"}
    garbled["bank_account"] = "6.22202E+18"
    short["bank_account"] = "62220200123"  # 11 digits: an organisation's length, not a card's
    fine["bank_account"] = "6222020200112233445"
    report = tmp_path / "rejected.csv"
    done = run_claims("import", str(write_csv(tmp_path / "claims.csv", [garbled, short, fine])),
                      "--on", "2020-06-01", "--report", str(report), db=db_url, env={"COLUMNS": "400"})
    assert done.returncode != 0 or "rejected 2" in done.stdout, done.stdout + done.stderr
    with report.open(encoding="utf-8-sig", newline="") as handle:
        text = handle.read()
    assert garbled["claim_id"] in text and "scientific notation" in text and "设置单元格格式 → 文本" in text
    assert short["claim_id"] in text and "16 to 19 digits" in text
    assert fine["claim_id"] not in text


def test_missing_payee_is_set_aside_amended_and_paid_after_the_next_night(
        engine: Engine, db_url: str, rules: FakeRules, payment_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_PAYMENT_APPROVAL_REQUIRED", "false")  # explicit, whatever the default
    approved = {"state": "approved", "amount": Decimal("1000.00"), "state_on": date(2020, 6, 9)}
    with engine.begin() as conn:
        insert_claims(conn, claim_row("P1", bank_account=None, **approved),
                      claim_row("P2", payee_name=None, person_id="211402199001011250",
                                payee_id="211402199001011250", **approved),
                      claim_row("P3", person_id="211402199001011269", payee_id="211402199001011269", **approved))
    run_night(engine, date(2020, 6, 10))
    claims = claims_by_id(engine)
    assert claims["P3"].state == "paid"
    assert (claims["P1"].state, claims["P2"].state) == ("approved", "approved")
    with engine.connect() as conn:
        assert sorted(conn.execute(select(PAYMENT.c.idempotency_key)).scalars()) == ["huludao-2019:P3:final:1"]

    listed = run_claims("failed", "--json", db=db_url)
    assert listed.returncode == 0, listed.stderr
    reasons = {f["claim_id"]: f["reason"] for f in json.loads(listed.stdout)}
    assert reasons["P1"].startswith("payee_incomplete: no bank_account")
    assert reasons["P2"].startswith("payee_incomplete: no payee_name")

    fixes = tmp_path / "payee.csv"
    with fixes.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["claim_id", "policy", "payee_name", "bank_account"])
        writer.writerow(["P1", "huludao-2019", "", "6222020200112233445"])
        writer.writerow(["P2", "huludao-2019", "王小明", ""])
    amended = run_claims("amend", str(fixes), "--actor", "zhang", "--on", "2020-06-10", db=db_url,
                         env={"CLAIMS_ACTOR": "zhang"})
    assert amended.returncode == 0, amended.stdout + amended.stderr
    with engine.connect() as conn:
        kept = {json.loads(a.after).get("bank_account") or json.loads(a.after).get("payee_name")
                for a in conn.execute(select(AMENDMENT))}
    assert kept == {"6222020200112233445", "王小明"}  # history kept
    assert history(engine, "P1")[-1][2] == "amend_payee"

    run_night(engine, date(2020, 6, 11))
    claims = claims_by_id(engine)
    assert (claims["P1"].state, claims["P2"].state) == ("paid", "paid")
    with engine.connect() as conn:
        sent = {r.idempotency_key: (r.payee_name, r.bank_account) for r in conn.execute(select(PAYMENT))}
    assert sent["huludao-2019:P1:final:1"] == ("王小明", "6222020200112233445")
    lines = [row for path in sorted(payment_dir.glob("payments-*.csv"))
             for row in csv.reader(path.open(encoding="utf-8-sig", newline=""))][1:]
    assert any(r[3] == "P1" and r[8] == "6222020200112233445" for r in lines)


def _bank_lines(out: Path) -> list[list[str]]:
    return [row for path in sorted(out.glob("payments-*.csv"))
            for row in list(csv.reader(path.open(encoding="utf-8-sig", newline="")))[1:]]


def test_payee_amended_before_the_release_voids_the_order_and_needs_a_release_by_someone_else(
        engine: Engine, db_url: str, tmp_path: Path) -> None:
    """A claim paid at night whose batch waits for its release; `claims amend` of its account voids
    the unsent order (the claim waits as payment_failed) and the batch is resealed without it, so a
    release must bind to what it holds now; the next night orders the claim anew; the amender may
    not release that batch, a distinct approver does; the bank gets the new account exactly once
    and `claims reconcile` passes."""
    out = tmp_path / "payments"
    env = {"CLAIMS_PAYMENT_APPROVAL_REQUIRED": "true", "CLAIMS_PAYMENT_DIR": str(out), "COLUMNS": "300"}
    old_account, new_account = "6222020200112233445", "6222020200199887766"
    approved = {"state": "approved", "amount": Decimal("1000.00"), "state_on": date(2020, 6, 9)}
    with engine.begin() as conn:
        insert_claims(conn, claim_row("P1", bank_account=old_account, **approved),
                      claim_row("P2", person_id="211402199001011269", payee_id="211402199001011269",
                                bank_account="6222020200155556666", **{**approved, "amount": Decimal("800.00")}))
    night = run_claims("nightly", "--as-of", "2020-06-10", "--no-prefect", db=db_url, env=env)
    assert night.returncode == 0, night.stdout + night.stderr
    with engine.connect() as conn:
        batch = conn.execute(select(OUTBOX_BATCH)).one()
        assert (batch.rows, batch.total) == (2, Decimal("1800.00"))
        assert sorted(conn.execute(select(PAYMENT.c.status)).scalars()) == ["ordered", "ordered"]
    assert not list(out.glob("payments-*.csv"))  # nothing left before a release

    # a correction the amendment refuses (an account Excel garbled; a payee id, not a payee field
    # after approval) voids nothing: the order stays as it is
    refused_fixes = tmp_path / "refused.csv"
    with refused_fixes.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["claim_id", "policy", "bank_account", "payee_id"],
                                      ["P1", "huludao-2019", "6.22202E+18", ""],
                                      ["P2", "huludao-2019", "", "211402199001011277"]])
    refused = run_claims("amend", str(refused_fixes), "--actor", "zhang", "--on", "2020-06-10", db=db_url,
                         env={**env, "CLAIMS_ACTOR": "zhang"})
    assert "P1" in refused.stdout + refused.stderr and "P2" in refused.stdout + refused.stderr
    with engine.connect() as conn:
        assert sorted(conn.execute(select(PAYMENT.c.status)).scalars()) == ["ordered", "ordered"]
        assert conn.execute(select(OUTBOX_BATCH.c.rows)).scalar_one() == 2
    assert {c.state for c in claims_by_id(engine).values()} == {"paid"}

    fixes = tmp_path / "payee.csv"
    with fixes.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["claim_id", "policy", "bank_account"], ["P1", "huludao-2019", new_account]])
    amended = run_claims("amend", str(fixes), "--actor", "zhang", "--on", "2020-06-10", db=db_url,
                         env={**env, "CLAIMS_ACTOR": "zhang"})
    assert amended.returncode == 0, amended.stdout + amended.stderr
    claims = claims_by_id(engine)
    assert (claims["P1"].state, claims["P1"].bank_account) == ("payment_failed", new_account)
    assert history(engine, "P1")[-1][2] == "amend_payee"
    with engine.connect() as conn:
        orders = {r.idempotency_key: r.status for r in conn.execute(select(PAYMENT))}
        assert orders == {"huludao-2019:P1:final:1": "void", "huludao-2019:P2:final:1": "ordered"}
        batch = conn.execute(select(OUTBOX_BATCH)).one()  # resealed: a release binds to what it holds now
        assert (batch.rows, batch.total) == (1, Decimal("800.00"))
    # the batch without P1 is released as it is now (P2 only)
    released = run_claims("approve", "--date", "2020-06-10", "--actor", "钱审批", db=db_url, env=env)
    assert released.returncode == 0, released.stdout + released.stderr

    night = run_claims("nightly", "--as-of", "2020-06-11", "--no-prefect", db=db_url, env=env)
    assert night.returncode == 0, night.stdout + night.stderr
    with engine.connect() as conn:
        again = conn.execute(select(PAYMENT).where(PAYMENT.c.idempotency_key == "huludao-2019:P1:final:2")).one()
    assert (again.status, again.bank_account) == ("ordered", new_account)
    refused = run_claims("approve", "--date", "2020-06-11", "--actor", "zhang", db=db_url, env=env)
    assert refused.returncode != 0 and "amended claims in this batch" in " ".join(
        (refused.stdout + refused.stderr).split()), refused.stdout + refused.stderr
    assert "P1" not in {r[3] for r in _bank_lines(out)}  # refused: nothing of P1 left
    released = run_claims("approve", "--date", "2020-06-11", "--actor", "钱审批", db=db_url, env=env)
    assert released.returncode == 0, released.stdout + released.stderr

    lines = _bank_lines(out)
    assert sorted((r[3], r[8], r[9]) for r in lines) == [("P1", new_account, "1000.00"),
                                                         ("P2", "6222020200155556666", "800.00")]
    assert not any(old_account in cell for r in lines for cell in r)
    assert claims_by_id(engine)["P1"].state == "paid"
    reconciled = run_claims("reconcile", db=db_url, env=env)
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
