"""The rejected list, produced by the installed `claims export rejected`."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine

from exports.labels import REASON_ZH, reasons_zh
from exports.rejected import error_items
from tests.conftest import run_claims
from tests.e2e.exports.files import all_text, sheets, table
from tests.e2e.exports.helpers import standard_scenario

ADDITIONS = Path(__file__).resolve().parents[3] / "docs" / "glossary-additions.md"

GLOSSARY_REASONS = {
    "annual_limit", "duplicate_occupation_level", "outside_policy_period", "ineligible_group",
    "not_combinable", "term_limit", "duplicate_certificate", "institution_not_listed",
    "inspection_failed", "completion_failed", "objection_upheld", "fraud", "missing_parameter",
    "policy_not_in_force",
}


def test_every_glossary_reason_has_plain_chinese() -> None:
    from rules.reasons import REASONS
    from services.oversight.reference import REASON_ZH as REFERENCE_REASONS

    assert set(REASON_ZH) >= GLOSSARY_REASONS
    # plus the rules' own new codes, the reference checks' (certificate registry, insurance extract)
    # and every code docs/glossary-additions.md documents
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", ADDITIONS.read_text(encoding="utf-8"), re.M))
    assert {"payee_incomplete", "signal_confirmed", "capped"} <= documented
    assert set(REASON_ZH) <= GLOSSARY_REASONS | set(REASONS) | set(REFERENCE_REASONS) | documented
    assert reasons_zh("annual_limit;fraud") == (
        "每人每年享受职业培训补贴不超过3次，本年度已满；查实虚假培训或套取、骗取补贴资金")


def test_import_errors_are_read_in_every_stored_shape() -> None:
    assert error_items('[{"field": "region", "message": "not in 葫芦岛市"}]') == [
        ("region", "not in 葫芦岛市")]
    assert error_items('{"level": "unknown code"}') == [("level", "unknown code")]
    assert error_items("person_id: check digit is wrong 211402199001011230") == [
        ("person_id", "check digit is wrong 211402********1230")]


def test_rejected_list_has_reasons_in_chinese_and_masked_identities(
        engine: Engine, db_url: str, tmp_path: Path) -> None:
    s = standard_scenario(engine)
    out = tmp_path / "rejected.xlsx"
    done = run_claims("export", "rejected", "--out", str(out), db=db_url)
    assert done.returncode == 0, done.stderr
    book = sheets(out)
    _, claims, footer = table(book["不予补贴"], "序号")
    by_id = {r[1]: r for r in claims}
    assert set(by_id) == {"H004", "H006"}
    assert by_id["H004"][3] == "张*"
    assert by_id["H004"][6] == "不予补贴"
    assert "本年度已满" in by_id["H004"][7] and "同一职业同一等级" in by_id["H004"][7]
    assert by_id["H006"][7] == "公示期间异议成立"
    assert footer[0][1] == "2件"
    _, imports, _ = table(book["导入未受理"], "序号")
    assert [(r[1], r[2], r[4], r[5]) for r in imports] == [
        ("claims-2020-05.csv", 3, "数据有误", "person_id"),
        ("claims-2020-05.csv", 5, "与已受理申报内容冲突", "amount")]
    text = all_text(out)
    for pid in s.person_ids.values():
        assert pid not in text
    assert s.person_ids["H002"][:17] + "0" not in text
