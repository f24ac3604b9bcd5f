"""The ops commands as a user runs them: the installed `claims` in a subprocess, on claims the
nightly steps (run in-process here) have moved."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine

from services.money.channel import FailingChannel, use_channel
from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import claims_by_id, payments
from tests.release import cli_release, night_then_release

READY = dict(inspection_result="pass", inspected_on=date(2020, 9, 1))


def _posted(engine: Engine, *ids: str) -> None:
    with engine.begin() as conn:
        for n, claim_id in enumerate(ids):
            insert_claims(conn, claim_row(claim_id, person_id=f"21140219900101{n:03d}X", **READY))
    night_then_release(engine, date(2020, 9, 1))


def test_object_and_review_from_the_command_line(engine: Engine, db_url: str, payment_dir: Path) -> None:
    _posted(engine, "G1", "G2")
    done = run_claims("object", "G1", "--reason", "培训期间未到场", "--on", "2020-09-02", db=db_url)
    assert done.returncode == 0, done.stderr
    assert "objected" in done.stdout
    assert run_claims("object", "NOPE", "--reason", "x", db=db_url).returncode != 0
    upheld = run_claims("review", "G1", "--uphold", "--reason", "核实属实", "--actor", "王复核", "--on",
                        "2020-09-03", db=db_url)
    assert upheld.returncode == 0, upheld.stderr
    run_claims("object", "G2", "--reason", "疑似重复", "--on", "2020-09-02", db=db_url)
    dismissed = run_claims("review", "G2", "--dismiss", "--reason", "无重复", "--actor", "李复核", "--on", "2020-09-03",
                          db=db_url)
    assert dismissed.returncode == 0, dismissed.stderr
    claims = claims_by_id(engine)
    assert (claims["G1"].state, claims["G1"].reasons) == ("rejected", "objection_upheld")
    assert claims["G2"].state == "publicly_posted"
    shown = json.loads(run_claims("show", "G1", "--json", db=db_url).stdout)
    assert [(h["from"], h["to"]) for h in shown["history"]][-2:] == [("publicly_posted", "objected"),
                                                                    ("objected", "rejected")]
    assert run_claims("review", "G2", "--reason", "x", db=db_url).returncode != 0  # neither flag


def test_failed_lists_a_refused_payment_and_retry_pays_it(
        engine: Engine, db_url: str, payment_dir: Path) -> None:
    _posted(engine, "G1")
    use_channel(FailingChannel(["*"]))
    night_then_release(engine, date(2020, 9, 8))
    listed = run_claims("failed", "--json", db=db_url)
    assert listed.returncode == 0, listed.stderr
    [item] = json.loads(listed.stdout)
    assert (item["claim_id"], item["state"], item["step"]) == ("G1", "payment_failed", "pay_due")
    assert run_claims("retry", db=db_url).returncode != 0  # needs CLAIM_ID or --all
    out_dir = payment_dir.parent / "cli-payments"
    env = {"CLAIMS_PAYMENT_DIR": str(out_dir)}
    done = run_claims("retry", "--all", "--on", "2020-09-08", "--actor", "root", db=db_url, env=env)
    assert done.returncode == 0, done.stderr
    assert "0 still set aside" in done.stdout
    assert [(p.attempt, p.status) for p in payments(engine, "G1")] == [(1, "failed"), (2, "ordered")]
    cli_release(db_url, "2020-09-08", env=env)  # approval is on by default: the retry waits for a release
    assert [(p.attempt, p.status) for p in payments(engine, "G1")] == [(1, "failed"), (2, "sent")]
    files = "".join(p.read_text(encoding="utf-8-sig") for p in out_dir.glob("payments-2020-09-08-B*.csv"))
    assert files.count("huludao-2019:G1:final:2") == 1 and "huludao-2019:G1:final:1" not in files
    again = run_claims("retry", "G1", "--on", "2020-09-08", db=db_url, env=env)
    assert again.returncode == 0 and "nothing to retry" in again.stdout
    assert json.loads(run_claims("failed", "--json", db=db_url).stdout) == []


def test_bank_statement_recover_and_recovered(engine: Engine, db_url: str, payment_dir: Path,
                                              tmp_path: Path) -> None:
    _posted(engine, "G1", "G2")
    night_then_release(engine, date(2020, 9, 8))
    refs = {p.claim_id: p.reference for p in payments(engine)}
    statement = tmp_path / "statement.csv"
    statement.write_text("reference,amount,status\n"
                         f"{refs['G1']},2000.00,confirmed\n{refs['G2']},2000.00,failed\nPAYXYZ,1.00,confirmed\n",
                         encoding="utf-8")
    done = run_claims("bank", "import", str(statement), "--on", "2020-09-10", db=db_url)
    assert done.returncode == 1, done.stdout + done.stderr  # the unknown reference is reported
    assert "PAYXYZ" in done.stdout and "1 confirmed, 1 failed" in done.stdout
    assert claims_by_id(engine)["G2"].state == "payment_failed"

    marked = run_claims("recover", "G1", "--reason", "虚假培训", "--on", "2020-11-02", db=db_url)
    assert marked.returncode == 0, marked.stderr
    assert "2000.00 to recover" in marked.stdout
    returns = tmp_path / "returns.csv"
    returns.write_text("claim_id,amount,on\nG1,2000.00,2020-11-20\n", encoding="utf-8")
    back = run_claims("recovered", str(returns), db=db_url)
    assert back.returncode == 0, back.stdout + back.stderr
    claim = claims_by_id(engine)["G1"]
    assert (claim.state, claim.recovered) == ("recovered", Decimal("2000.00"))
    assert run_claims("recovered", str(returns), db=db_url).returncode == 0  # already recorded
    assert claims_by_id(engine)["G1"].recovered == Decimal("2000.00")
    assert run_claims("recover", "G2", "--reason", "x", db=db_url).returncode != 0  # nothing out
