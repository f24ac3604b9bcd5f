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

from models.tables import AMENDMENT, PAYMENT
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
