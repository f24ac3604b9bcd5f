"""Fraud checks the seeds ask for, end to end: filed by `import`, inspected, assessed by the night.

- the same certificate number used by two persons (duplicate_certificate), in one night and
  across nights;
- one person in two classes at overlapping times (fraud, citing the seed's supervision clause),
  recovering an advance already paid;
- a training body not on the deployment's catalogue list (institution_not_listed);
- a region outside the policy's jurisdiction (refused at import).
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from intake.identity import make_credit_code, make_person_id
from services.access.actors import Actor
from services.importing.filing import import_file
from services.importing.rosters import record_completions, record_inspections
from services.nightly.runner import run_night
from services.oversight.reconcile import reconcile
from tests.conftest import run_claims
from tests.e2e.reliability.scenario import CLAIM, EVENT, PAYMENT
from tests.unit.intake.claimrows import good_row

CLERK = Actor("fraud-clerk", "clerk")
INSPECTOR = Actor("fraud-inspector", "inspector")
D0 = date(2020, 5, 11)
PERSON_A = make_person_id("211402", date(1980, 3, 1), 11)
PERSON_B = make_person_id("211402", date(1985, 7, 9), 22)
ORG = make_credit_code(7, "211402")


@pytest.fixture(autouse=True)
def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMS_PAYMENT_DIR", str(tmp_path / "payments"))
    monkeypatch.setenv("CLAIMS_PAYMENT_CHANNEL", "file")
    monkeypatch.delenv("CLAIMS_LOCAL_OVERRIDES", raising=False)
    monkeypatch.delenv("CLAIMS_SETTINGS", raising=False)


def certificate(claim_id: str, person: str, number: str, **extra: str) -> dict[str, str]:
    row = {**good_row(0), "claim_id": claim_id, "person_id": person, "payee_id": person, "certificate_no": number,
           "groups": "enterprise_employee;unemployment_insured", "payee_name": "王小明",
           "bank_account": "6217000000000000019"}  # a claim without a payee account is not paid
    row.update(extra)
    return row


def file_and_inspect(engine: Engine, tmp_path: Path, rows: list[dict[str, str]], on: date) -> None:
    path = tmp_path / f"claims-{on}-{rows[0]['claim_id']}.csv"
    columns = sorted({k for r in rows for k in r})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    report = import_file(engine, path, actor=CLERK, on=on)
    assert report.filed == len(rows), report.rejections
    record_inspections(engine, [(n, {"claim_id": r["claim_id"], "policy": r["policy"], "inspected_on": on.isoformat(),
                                     "result": "pass"}) for n, r in enumerate(rows, 2)], actor=INSPECTOR)


def claim(engine: Engine, claim_id: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(CLAIM).where(CLAIM.c.claim_id == claim_id)).one()


def last_reason(engine: Engine, claim_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(select(EVENT.c.reason).join(CLAIM, CLAIM.c.id == EVENT.c.claim_pk)
                                .where(CLAIM.c.claim_id == claim_id).order_by(EVENT.c.seq.desc())).first()[0])


def test_one_certificate_claimed_by_two_persons_in_one_night(engine: Engine, tmp_path: Path) -> None:
    file_and_inspect(engine, tmp_path, [certificate("A1", PERSON_A, "ZS-0001"),
                                        certificate("B1", PERSON_B, "ZS-0001")], D0)
    run_night(engine, D0)
    states = {c: claim(engine, c).state for c in ("A1", "B1")}
    assert sorted(states.values()) == ["publicly_posted", "rejected"]
    loser = next(c for c, s in states.items() if s == "rejected")
    winner = "A1" if loser == "B1" else "B1"
    assert claim(engine, loser).reasons == "duplicate_certificate"
    assert f"claim {winner}" in last_reason(engine, loser) and "ZS-0001" in last_reason(engine, loser)
    assert "000_024512f998c4ead0.txt 四(十二)" in json.loads(claim(engine, loser).citations)


def test_a_certificate_granted_before_is_refused_to_another_person_later(engine: Engine, tmp_path: Path) -> None:
    file_and_inspect(engine, tmp_path, [certificate("A1", PERSON_A, "ZS-0002")], D0)
    run_night(engine, D0)
    file_and_inspect(engine, tmp_path, [certificate("B1", PERSON_B, "ZS-0002", occupation="焊工")],
                     date(2020, 5, 12))
    run_night(engine, date(2020, 5, 12))
    assert claim(engine, "A1").state == "publicly_posted"
    refused = claim(engine, "B1")
    assert (refused.state, refused.reasons) == ("rejected", "duplicate_certificate")
    assert "claim A1 under huludao-2019" in last_reason(engine, "B1")


def _class_claim(claim_id: str, class_id: str, start: str, end: str, **extra: str) -> dict[str, str]:
    return certificate(claim_id, PERSON_A, f"ZS-{claim_id}", class_id=class_id, training_start=start,
                       training_end=end, **extra)


def test_one_person_in_two_overlapping_classes_is_refused_as_fraud(engine: Engine, tmp_path: Path) -> None:
    file_and_inspect(engine, tmp_path, [
        _class_claim("K1", "KB-01", "2020-03-01", "2020-03-31", occupation="电工", certificate_date="2020-04-05"),
        _class_claim("K2", "KB-02", "2020-03-20", "2020-04-20", occupation="焊工", certificate_date="2020-04-25"),
        _class_claim("K3", "KB-03", "2020-04-21", "2020-04-30", occupation="车工", certificate_date="2020-05-05"),
    ], D0)
    run_night(engine, D0)
    assert claim(engine, "K1").state == "publicly_posted"
    assert claim(engine, "K3").state == "publicly_posted"  # after the other classes ended: no overlap
    refused = claim(engine, "K2")
    assert (refused.state, refused.reasons) == ("rejected", "fraud")
    assert "000_024512f998c4ead0.txt 四(十二)" in json.loads(refused.citations)
    assert "overlaps class KB-01" in last_reason(engine, "K2") and "claim K1" in last_reason(engine, "K2")


def test_overlapping_class_with_an_advance_paid_owes_it_back(engine: Engine, tmp_path: Path) -> None:
    advance = {"payee_type": "enterprise", "payee_id": ORG, "enterprise_funded": "true", "advance_requested": "true",
               "certificate_date": "", "certificate_no": "", "groups": "enterprise_employee;unemployment_insured"}
    file_and_inspect(engine, tmp_path, [
        _class_claim("K1", "KB-11", "2020-03-01", "2020-03-31", occupation="电工", certificate_date="2020-04-05"),
        _class_claim("K2", "KB-12", "2020-03-15", "2020-04-15", occupation="焊工", **advance),
    ], D0)
    run_night(engine, D0)
    assert claim(engine, "K2").state == "on_site_inspected" and claim(engine, "K2").advance_paid > 0
    record_completions(engine, [(2, {"claim_id": "K2", "certificate_no": "ZS-K2X", "certificate_date": "2020-04-20",
                                     "result": "pass"})], actor=CLERK, on=date(2020, 5, 12))
    run_night(engine, date(2020, 5, 12))
    refused = claim(engine, "K2")
    assert (refused.state, refused.reasons) == ("recovery_due", "fraud")
    assert refused.recovery_owed == refused.advance_paid
    with engine.connect() as conn:
        owed = conn.execute(select(PAYMENT.c.amount, PAYMENT.c.status).where(
            PAYMENT.c.claim_pk == refused.id, PAYMENT.c.kind == "recovery")).all()
    assert [(o.amount, o.status) for o in owed] == [(refused.advance_paid, "due")]
    assert reconcile(engine).holds


def test_training_body_not_on_the_catalogue_list(engine: Engine, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    listed = make_credit_code(99, "211402")
    overrides = tmp_path / "local.yaml"
    overrides.write_text(f"policies:\n  huludao-2019:\n    approved_institutions: ['{listed}']\n", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_LOCAL_OVERRIDES", str(overrides))
    project = good_row(35)
    assert project["kind"] == "project_training" and project["payee_type"] == "institution"
    file_and_inspect(engine, tmp_path, [
        {**project, "claim_id": "P1"},
        {**project, "claim_id": "P2", "payee_id": listed,
         "person_id": PERSON_B, "certificate_no": "ZP-2"},
    ], D0)
    run_night(engine, D0)
    refused = claim(engine, "P1")
    assert (refused.state, refused.reasons) == ("rejected", "institution_not_listed")
    assert claim(engine, "P2").state == "publicly_posted"


def test_region_outside_the_policy_is_refused_at_import(db_url: str, tmp_path: Path) -> None:
    assert run_claims("init", db=db_url).returncode == 0
    path = tmp_path / "claims.csv"
    rows = [certificate("R1", PERSON_A, "ZR-1"), certificate("R2", PERSON_B, "ZR-2", region="110101")]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=sorted(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    done = run_claims("import", str(path), db=db_url)
    assert done.returncode == 1
    out = " ".join(done.stdout.split())
    assert "region" in out and "110101" in out and "R2" in out and "filed 1" in out
    shown = run_claims("show", "R2", "--json", db=db_url)
    assert shown.returncode != 0
