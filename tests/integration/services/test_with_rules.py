"""The nightly steps with the real rules engine and shipped packs: amounts, advances and a
Zhumadian claim set aside for its open amount until a local override supplies it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from services.access.actors import Actor
from services.nightly.runner import run_night
from services.oversight.failures import list_failures, retry
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import claims_by_id, payments

READY = dict(inspection_result="pass", inspected_on=date(2020, 6, 1))


def test_huludao_certificate_claim_is_paid_its_seed_amount(engine: Engine, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("G1", **READY))
    run_night(engine, date(2020, 6, 1))
    claim = claims_by_id(engine)["G1"]
    assert (claim.state, claim.amount) == ("publicly_posted", Decimal("2000.00"))
    assert "000_024512f998c4ead0.txt 二(一)5" in claim.citations
    run_night(engine, date(2020, 6, 8))
    assert [(p.kind, p.amount) for p in payments(engine, "G1")] == [("final", Decimal("2000.00"))]


def test_project_training_advance_then_the_rest(engine: Engine, payment_dir: Path) -> None:
    with engine.begin() as conn:
        insert_claims(conn, claim_row("P1", kind="project_training", payee_type="institution",
                                      payee_id="52211400MJ0000000X", advance_requested=True, class_id="K-7",
                                      catalog_standard=Decimal("1500"), certificate_date=None))
    run_night(engine, date(2020, 6, 1))
    claim = claims_by_id(engine)["P1"]
    assert (claim.state, claim.advance_paid) == ("advance_paid", Decimal("750.00"))
    from tests.integration.services.conftest import CLAIM
    with engine.begin() as conn:
        conn.execute(CLAIM.update().values(inspection_result="pass", inspected_on=date(2020, 6, 2),
                                           completion_result="pass", certificate_date=date(2020, 6, 2)))
    run_night(engine, date(2020, 6, 2))
    run_night(engine, date(2020, 6, 9))
    assert [(p.kind, p.amount) for p in payments(engine, "P1")] == [
        ("advance", Decimal("750.00")), ("final", Decimal("750.00"))]
    assert claims_by_id(engine)["P1"].state == "paid"


def test_open_amount_sets_aside_until_a_local_override(
        engine: Engine, payment_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAIMS_LOCAL_OVERRIDES", raising=False)
    with engine.begin() as conn:
        insert_claims(conn, claim_row("Z1", policy="zhumadian-2019", region="411702", **READY))
    result = run_night(engine, date(2020, 6, 1))
    [(policy, claim_id, reason)] = result["assess"].set_aside
    assert (policy, claim_id) == ("zhumadian-2019", "Z1") and "skill_upgrade.amount.L4" in reason
    assert [(f.claim_id, f.step) for f in list_failures(engine)] == [("Z1", "assess")]
    overrides = tmp_path / "local.yaml"
    overrides.write_text("policies:\n  zhumadian-2019:\n    in_force: true\n    parameters:\n"
                         "      skill_upgrade.amount.L4: 1200\n", encoding="utf-8")
    monkeypatch.setenv("CLAIMS_LOCAL_OVERRIDES", str(overrides))
    retry(engine, actor=Actor("root", "admin"), on=date(2020, 6, 2), claim_id="Z1")
    claim = claims_by_id(engine)["Z1"]
    assert (claim.state, claim.amount, claim.set_aside_step) == ("assessed", Decimal("1200.00"), None)
    assert '"local": true' in (claim.decision_trace or "")
    run_night(engine, date(2020, 6, 2))
    run_night(engine, date(2020, 6, 9))
    assert claims_by_id(engine)["Z1"].state == "paid"


def test_months_beyond_the_six_are_cut_and_the_months_paid_kept(engine: Engine, payment_dir: Path) -> None:
    """Heilongjiang 附件1 第19项 以工代训 最长不超过6个月, 500 a month: 4 months, then 4 more of which
    2 are paid (核减, capped), then 1 refused — nothing remains; a later night counts what was paid."""
    person = dict(policy="heilongjiang-2019", kind="work_based_training", person_id="230102199001011235",
                  person_key=77, region="230102", groups="poor_labor", payee_type="enterprise",
                  payee_id="91230102MA0000000X", occupation=None, level=None, certificate_date=None, **READY)
    with engine.begin() as conn:
        insert_claims(conn, claim_row("W1", months=4, training_end=date(2020, 4, 30), **person),
                      claim_row("W2", months=4, training_end=date(2020, 5, 20), **person))
    run_night(engine, date(2020, 6, 1))
    with engine.begin() as conn:
        insert_claims(conn, claim_row("W3", months=1, training_end=date(2020, 5, 25), **person))
    run_night(engine, date(2020, 6, 2))
    claims = claims_by_id(engine)
    assert [(claims[c].amount, claims[c].months_paid) for c in ("W1", "W2")] == [
        (Decimal("2000.00"), 4), (Decimal("1000.00"), 2)]
    assert "capped: claimed 4 months, paid 2" in claims["W2"].decision_trace
    assert (claims["W3"].state, claims["W3"].reasons) == ("rejected", "term_limit")


def test_a_student_apprentice_without_the_actual_allowance_waits_for_it(
        engine: Engine, payment_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nanxun 四(一)2 学生学徒补贴金额一般按学徒月实习津贴标准确定，每人每年不高于3000元: without the
    claim's apprentice_allowance_actual the night sets it aside as missing_facts (never paid the
    ceiling); with 2400 given, 2400 is assessed."""
    overrides = tmp_path / "local.yaml"
    overrides.write_text("policies:\n  nanxun-2019:\n    in_force: true\n    in_force_from: 2019-01-01\n",
                         encoding="utf-8")
    monkeypatch.setenv("CLAIMS_LOCAL_OVERRIDES", str(overrides))
    with engine.begin() as conn:
        insert_claims(conn, claim_row("S1", policy="nanxun-2019", region="330503", kind="apprenticeship",
                                      apprentice_type="student", apprentice_year=1, payee_type="enterprise",
                                      payee_id="52211400MJ0000000X", groups="", **READY))
    result = run_night(engine, date(2020, 6, 1))
    [(policy, claim_id, reason)] = result["assess"].set_aside
    assert (policy, claim_id) == ("nanxun-2019", "S1")
    assert reason.startswith("missing_facts: apprentice_allowance_actual:"), reason
    from tests.integration.services.conftest import CLAIM
    with engine.begin() as conn:
        conn.execute(CLAIM.update().values(apprentice_allowance_actual=Decimal("2400.00")))
    retry(engine, actor=Actor("root", "admin"), on=date(2020, 6, 2), claim_id="S1")
    claim = claims_by_id(engine)["S1"]
    assert (claim.state, claim.amount, claim.set_aside_step) == ("assessed", Decimal("2400.00"), None)
