"""The night's oversight section and the advance: a claim a signal holds gets no advance, and the
night's page names the signals holding claims and warns when no fund budget is configured."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, select

from models.tables import CLAIM
from services.nightly.runner import run_step
from services.oversight.holds import night_lines, waiting_count
from services.settings import Settings
from tests.factories import claim_row, insert_claims

MAY = dict(training_start=date(2020, 5, 1), training_end=date(2020, 5, 20))


def _claim(claim_id: str, person: int, body: str, class_id: str, **extra: object) -> dict[str, object]:
    pid = f"21140219900101{person:04d}"
    return claim_row(claim_id, person_id=pid, organizer=body, class_id=class_id,
                     person_key=int(hashlib.sha1(pid.encode()).hexdigest()[:7], 16), **MAY, **extra)


def test_a_held_claim_gets_no_advance_and_the_night_page_says_so(engine: Engine, payment_dir: Path) -> None:
    advance = dict(advance_requested=True, payee_type="institution", payee_id="91211400MA0000000X")
    with engine.begin() as conn:  # 甲 and 乙 list trainee 1 at overlapping dates
        insert_claims(conn, _claim("H-A1", 1, "甲", "A1", **advance), _claim("H-B1", 1, "乙", "B1"),
                      _claim("H-A2", 2, "甲", "A1"))
    result = run_step(engine, "pay_advances", date(2020, 6, 1))
    assert [(c, r.split(":")[0]) for _, c, r in result.set_aside] == [("H-A1", "oversight_signal")]
    with engine.connect() as conn:
        row = conn.execute(select(CLAIM.c.state, CLAIM.c.advance_paid, CLAIM.c.set_aside_reason)
                           .where(CLAIM.c.claim_id == "H-A1")).one()
    assert (row.state, row.advance_paid) == ("filed", Decimal("0"))
    assert "shared_trainees" in row.set_aside_reason and "claims oversight clear|confirm" in row.set_aside_reason
    assert waiting_count(engine) == 2
    page = "\n".join(night_lines(engine, date(2020, 6, 1), Settings()))
    assert "未设专账预算" in page
    assert "| shared_trainees | 同期多机构学员 | 2 | 2 |" in page
    assert "age_min" not in page and "implausible_age" in page  # not computed: named
    budgeted = Settings(fund_budgets={("huludao-2019", 2020, "211402"): Decimal("100.00")},
                        oversight_age_min=16, oversight_age_max=60, oversight_surge_ratio=Decimal("1.5"))
    page = "\n".join(night_lines(engine, date(2020, 6, 2), budgeted))
    assert "未设专账预算" not in page and "Not computed" not in page and "| 2 | 0 |" in page


def test_evaluation_bodies_come_from_the_registry_and_surge_against_their_months(engine: Engine) -> None:
    from models.oversight import REF_CERTIFICATE
    from services.oversight.signals import Parameters, read_rosters, signals

    months = {1: 4, 2: 5, 3: 12}  # 评价丙 issues 4, 5, then 12 certificates a month
    rows, refs = [], []
    for month, n in months.items():
        for i in range(n):
            number = f"Z{month}-{i}"
            rows.append(claim_row(number, person_id=f"2114021990{month:02d}01{i:04d}", certificate_no=number,
                                  certificate_date=date(2020, month, 10)))
            refs.append({"certificate_no": number, "person_id": "x", "issuer": "评价丙",
                         "extract_on": date(2020, 4, 1)})
    with engine.begin() as conn:
        insert_claims(conn, *rows)
        conn.execute(REF_CERTIFICATE.insert(), refs)
        seats = read_rosters(conn)
    assert len(seats) == 21 and {s.issuer for s in seats} == {"评价丙"}
    [surge] = signals(seats, Parameters(surge_ratio=Decimal("1.5")))
    assert (surge.organizer, surge.signal, surge.count, len(surge.claims)) == ("评价丙", "certificate_surge", 1, 12)


def test_an_approved_claim_a_signal_points_at_is_not_paid(engine: Engine, payment_dir: Path) -> None:
    from models.tables import PAYMENT

    approved = dict(state="approved", amount=Decimal("1000.00"))
    with engine.begin() as conn:  # 甲 and 乙 list trainee 1 at overlapping dates; 丙's trainee 3 is clean
        insert_claims(conn, _claim("P-A1", 1, "甲", "A1", **approved), _claim("P-B1", 1, "乙", "B1", **approved),
                      _claim("P-C3", 3, "丙", "C1", **approved))
    run_step(engine, "pay_advances", date(2020, 6, 1))  # the night's first listing scans
    result = run_step(engine, "pay_due", date(2020, 6, 1))
    assert sorted(c for _, c, r in result.set_aside if r.startswith("oversight_signal")) == ["P-A1", "P-B1"]
    with engine.connect() as conn:
        paid = set(conn.execute(select(CLAIM.c.claim_id).join(PAYMENT, PAYMENT.c.claim_pk == CLAIM.c.id)).scalars())
    assert "P-A1" not in paid and "P-B1" not in paid
