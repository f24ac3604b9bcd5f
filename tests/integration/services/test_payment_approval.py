"""Where the settings require payment approval, the night pays a policy's claims only after a
named approver, who inspected and reviewed none of them, released that day's batch."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from models.tables import INSPECTION
from services.nightly.runner import run_night
from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import claims_by_id, payments

READY = dict(inspection_result="pass", inspected_on=date(2020, 9, 1))
CLOSES = date(2020, 9, 8)  # 2020-09-01 + 5 working days


@pytest.fixture
def approval_required(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("CLAIMS_PAYMENT_APPROVAL_REQUIRED", "true")
    return {"CLAIMS_PAYMENT_APPROVAL_REQUIRED": "true"}


def test_the_batch_waits_for_an_approver_who_did_not_inspect(
        engine: Engine, db_url: str, payment_dir: Path, approval_required: dict[str, str]) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", person_id="211402199001010011", **READY),
                      claim_row("G2", person_id="211402199001010027", **READY))
    run_night(engine, date(2020, 9, 1))
    claims = claims_by_id(engine)
    with engine.begin() as conn:
        conn.execute(insert(INSPECTION).values(
            claim_pk=claims["G1"].id, inspected_on=date(2020, 9, 1), inspector="李检查", result="pass"))

    run_night(engine, CLOSES)
    claims = claims_by_id(engine)
    assert {c.state for c in claims.values()} == {"approved"}
    assert all(c.set_aside_reason.startswith("awaiting payment approval") for c in claims.values())
    assert payments(engine) == []
    listed = json.loads(run_claims("failed", "--json", db=db_url, env=approval_required).stdout)
    assert [(f["claim_id"], f["reason"][:25]) for f in listed] == [("G1", "awaiting payment approval"),
                                                                   ("G2", "awaiting payment approval")]

    refused = run_claims("approve", "--date", CLOSES.isoformat(), "--actor", "李检查", db=db_url,
                         env=approval_required)
    assert refused.returncode != 0
    assert "cannot release its payment" in refused.stderr

    done = run_claims("approve", "--date", CLOSES.isoformat(), "--actor", "赵审批", db=db_url,
                      env=approval_required)
    assert done.returncode == 0, done.stderr
    assert "2 claims, 4000.00 yuan" in done.stdout  # two L4 certificates, 2000 each (000 二(一)5)
    again = run_claims("approve", "--date", CLOSES.isoformat(), "--actor", "赵审批", db=db_url,
                       env=approval_required)
    assert "already released" in again.stdout

    run_night(engine, CLOSES)
    claims = claims_by_id(engine)
    assert {c.state for c in claims.values()} == {"paid"}
    assert all(c.set_aside_step is None for c in claims.values())
    assert len(payments(engine)) == 2


def test_without_the_setting_approve_says_so(engine: Engine, db_url: str) -> None:
    done = run_claims("approve", "--date", "2020-09-08", "--policy", "huludao-2019", db=db_url)
    assert done.returncode != 0
    assert "does not require payment approval" in done.stderr
