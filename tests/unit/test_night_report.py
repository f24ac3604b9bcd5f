"""The night's summary: a failed step says failed, money is numbers that add up per policy and
kind, and claims held for a payment release are not set aside."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from services.nightly.report import database_label, night_markdown, set_aside_count, summary_rows
from services.nightly.steps import StepResult


def _results() -> tuple[dict[str, StepResult], StepResult]:
    advances = StepResult("pay_advances")
    advances.money[("huludao-2019", "advance")] = Decimal("450.00")
    advances.money[("zhumadian-2019", "advance")] = Decimal("100.10")
    advances.moved[("huludao-2019", "advance_paid")] += 1
    assess = StepResult("assess")
    assess.set_aside.append(("zhumadian-2019", "Z1", "missing_parameter X"))
    pay = StepResult("pay_due")
    pay.money[("huludao-2019", "final")] = Decimal("1050.00")
    pay.held["zhumadian-2019"] += 3
    return {"pay_advances": advances, "apply_inspections": StepResult("apply_inspections"),
            "assess": assess}, pay


def test_a_failed_step_is_failed_and_later_steps_not_reached() -> None:
    results, _ = _results()
    rows = summary_rows(results, failed="assess")
    by_step = {r["step"]: r["result"] for r in rows if r["step"] != "total"}
    assert by_step == {"pay_advances": "done", "apply_inspections": "done", "assess": "failed",
                       "post": "not reached", "close_postings": "not reached", "pay_due": "not reached"}
    page = night_markdown(date(2020, 6, 4), results, "assess", {"summary": "nightly-summary-20200604"},
                          "db:sqlite/claims.db")
    assert "failed at assess" in page and "(/artifacts/key/nightly-summary-20200604)" in page


def test_totals_per_policy_and_kind_are_numbers_and_held_claims_are_not_set_aside() -> None:
    results, pay = _results()
    results["pay_due"] = pay
    rows = summary_rows(results)
    totals = {r["policy"]: r for r in rows if r["step"] == "total"}
    assert totals["huludao-2019"]["advance (yuan)"] == 450.0
    assert totals["huludao-2019"]["final (yuan)"] == 1050.0
    assert totals["all"]["advance (yuan)"] == 550.1
    assert totals["zhumadian-2019"]["held for release"] == 3
    assert totals["zhumadian-2019"]["set aside"] == 1
    assert set_aside_count(results) == 1, "held claims do not count toward the set-aside alert"
    assert {r["step"] for r in rows} >= {"post", "total"}


def test_the_database_tag_names_no_host_or_password() -> None:
    assert database_label("postgresql://claims:secret@db.example:5432/claims") == "db:postgresql/claims"
    assert database_label("sqlite:////var/lib/claims/claims.db") == "db:sqlite/claims.db"


def test_the_nights_page_reads_in_chinese(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CLAIMS_LANG", "zh")
    results, _ = _results()
    page = night_markdown(date(2020, 6, 4), results, "assess", {"summary": "nightly-summary-20200604"},
                          "db:sqlite/claims.db")
    assert "**在 assess（审核）失败**" in page and "## 相关产出" in page
    assert "数据库 `db:sqlite/claims.db`" in page
