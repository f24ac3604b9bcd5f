"""Reference extracts: imported once (the same rows again change nothing), and the night's
assessment checks claims against them with reason codes where they are present."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, func, select

from models.oversight import REF_CERTIFICATE, REF_INSURANCE
from services.nightly.runner import run_night
from services.oversight.reference import import_certificates, import_insurance
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import claims_by_id

READY = dict(inspection_result="pass", inspected_on=date(2020, 6, 1))
EXTRACT = date(2020, 5, 31)
REGISTRY = [
    {"证书编号": "Z-OK", "姓名": "王小明", "身份证号": "211402199001011234", "职业": "电工", "等级": "中级工（四级）",
     "发证日期": "2020-04-20", "发证机构": "葫芦岛市职业技能鉴定中心"},
    {"证书编号": "Z-OTHER", "姓名": "李四", "身份证号": "211402198001011111", "职业": "电工", "等级": "四级",
     "发证日期": "2020-04-20", "发证机构": "某评价机构"},
    {"证书编号": "Z-LEVEL", "姓名": "王小明", "身份证号": "211402199001011234", "职业": "电工", "等级": "L3",
     "发证日期": "2020-04-20", "发证机构": "某评价机构"},
]


def test_extracts_load_once_and_assessment_checks_against_them(engine: Engine, payment_dir: Path) -> None:
    rows = list(enumerate(REGISTRY, start=2))
    first = import_certificates(engine, rows, extract_on=EXTRACT)
    again = import_certificates(engine, rows, extract_on=EXTRACT)
    assert (first.added, again.added, again.unchanged) == (3, 0, 3)
    bad = import_insurance(engine, [(2, {"身份证号": "211402199001011234", "参保月数": "12", "截至日期": "2020-04-30"}),
                                    (3, {"身份证号": "211402199001011234", "参保月数": "十二"})], extract_on=EXTRACT)
    assert bad.added == 1 and [n for n, _ in bad.problems] == [3]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(REF_CERTIFICATE)).scalar_one() == 3
        assert conn.execute(select(REF_CERTIFICATE.c.level).where(
            REF_CERTIFICATE.c.certificate_no == "Z-OK")).scalar_one() == "L4"
        assert conn.execute(select(func.count()).select_from(REF_INSURANCE)).scalar_one() == 1

    person = "211402199001011234"
    with engine.begin() as conn:
        insert_claims(
            conn,
            claim_row("R-OK", certificate_no="Z-OK", **READY),
            claim_row("R-MISSING", certificate_no="Z-NONE", person_id="211402199102021232", **READY),
            claim_row("R-HOLDER", certificate_no="Z-OTHER", person_id="211402199203031238", **READY),
            claim_row("R-LEVEL", certificate_no="Z-LEVEL", occupation="焊工", **READY),
            claim_row("R-MONTHS", certificate_no=None, person_id="211402199304041236", **READY),
        )
    # the insured-months check: a claim stating more months than the extract shows for the person
    with engine.begin() as conn:
        insert_claims(conn, claim_row("R-INS", certificate_no=None, person_id=person, insured_months=36,
                                      occupation="钳工", **READY))
    run_night(engine, date(2020, 6, 1))
    claims = claims_by_id(engine)
    assert (claims["R-OK"].state, claims["R-OK"].amount) == ("publicly_posted", Decimal("2000.00"))
    assert claims["R-MISSING"].reasons == "certificate_not_in_registry"
    assert claims["R-HOLDER"].reasons == "certificate_mismatch"
    assert claims["R-MONTHS"].state == "publicly_posted"  # no insured months stated, nothing to check
    assert claims["R-LEVEL"].reasons == "certificate_mismatch"
    assert claims["R-MISSING"].state == claims["R-HOLDER"].state == claims["R-LEVEL"].state == "rejected"
    assert "insured_months_not_confirmed" in claims["R-INS"].reasons


def test_an_extract_is_screened_as_claims_are(engine: Engine) -> None:
    """A hostile or garbled extract: a zero-width space in a certificate number, an issuer over its
    column (which failed the whole chunk on PostgreSQL), a formula — each row refused naming the
    field, the rows beside them loaded; an identity number with full-width digits and a lower-case
    x is read as the claim's is, so the two meet."""
    rows = [(2, {**REGISTRY[0], "证书编号": "Z\u200b-OK"}),
            (3, {**REGISTRY[0], "证书编号": "Z-LONG", "发证机构": "鉴" * 201}),
            (4, {**REGISTRY[0], "证书编号": "Z-FORMULA", "姓名": "=HYPERLINK(1)"}),
            (5, {**REGISTRY[0], "证书编号": "Z-WIDE", "身份证号": "２１１４０２１９９００１０１１２３x"})]
    report = import_certificates(engine, rows, extract_on=EXTRACT)
    assert report.added == 1
    assert [(n, text.split(":")[0]) for n, text in report.problems] == [
        (2, "certificate_no"), (3, "issuer"), (4, "name")]
    assert "200B" in report.problems[0][1]
    with engine.connect() as conn:
        assert conn.execute(select(REF_CERTIFICATE.c.person_id)).scalars().all() == ["21140219900101123X"]
    insurance = import_insurance(engine, [(2, {"身份证号": "21140219900101123\u202eX", "参保月数": "12"})],
                                 extract_on=EXTRACT)
    assert insurance.added == 0 and [n for n, _ in insurance.problems] == [2]
