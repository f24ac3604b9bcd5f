"""`claims import`, `claims amend`, `claims withdraw` through the installed command, on SQLite
and PostgreSQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.db import make_engine
from models.tables import (
    AMENDMENT,
    BATCH,
    CLAIM,
    EVENT,
    PAYMENT,
    REJECTION,
)
from services.importing.filing_pool import POOL_MIN_BYTES
from tests.conftest import run_claims
from tests.unit.intake.claimrows import BAD, bad_row, good_row, write_csv
from tests.unit.intake.test_readers import write_xlsx

WIDE = {"COLUMNS": "400"}
"""Rich tables wide enough that a message is not wrapped across lines."""


def init(db: str) -> None:
    done = run_claims("init", db=db)
    assert done.returncode == 0, done.stderr


def count(db: str, table: object) -> int:
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]
    finally:
        engine.dispose()


@pytest.mark.slow
def test_ten_thousand_rows_with_five_percent_bad(db_url: str, tmp_path: Path) -> None:
    init(db_url)
    rows, bad = [], {}
    for i in range(10_000):
        if i % 20 == 7:
            row, field = bad_row(len(bad))
            bad[i + 2] = (row["claim_id"], field)
            rows.append(row)
        else:
            rows.append(good_row(i))
    path = write_csv(tmp_path / "claims.csv", rows)
    assert path.stat().st_size > POOL_MIN_BYTES  # read and checked by the worker pool
    report = tmp_path / "rejected.csv"

    first = run_claims("import", str(path), "--on", "2020-06-01", "--report", str(report),
                       db=db_url)
    assert first.returncode == 1, first.stderr
    assert "filed 9500" in first.stdout and "rejected 500" in first.stdout
    assert count(db_url, CLAIM) == 9500
    assert count(db_url, EVENT) == 9500
    with report.open(encoding="utf-8-sig") as fh:
        reported = list(csv.DictReader(fh))
    named = {(int(r["row"]), r["claim_id"], r["field"]) for r in reported}
    for row_number, (claim_id, field) in bad.items():
        assert (row_number, claim_id, field) in named, (row_number, field)
    assert len({int(r["row"]) for r in reported}) == 500
    assert {field for _, field in bad.values()} == {bad_row(k)[1] for k in range(len(BAD))}
    assert not any("211402199002301234" in r["message"] for r in reported)  # masked
    assert count(db_url, REJECTION) == 500

    second = run_claims("import", str(path), "--on", "2020-06-02", db=db_url)
    assert second.returncode == 1
    assert "filed 0" in second.stdout and "skipped 9500" in second.stdout
    assert count(db_url, CLAIM) == 9500 and count(db_url, EVENT) == 9500


def test_changed_row_is_a_conflict_never_applied(db_url: str, tmp_path: Path) -> None:
    init(db_url)
    rows = [good_row(i) for i in range(5)]
    assert run_claims("import", str(write_csv(tmp_path / "a.csv", rows)), "--on", "2020-06-01",
                      db=db_url).returncode == 0
    changed = [dict(rows[0], level="L3"), rows[1]]
    done = run_claims("import", str(write_csv(tmp_path / "b.csv", changed)), "--on",
                      "2020-06-02", db=db_url, env=WIDE)
    assert done.returncode == 1
    assert "conflicts 1" in done.stdout and "skipped 1" in done.stdout
    assert "level: filed 'L4', this file 'L3'" in done.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        level = conn.execute(select(CLAIM.c.level).where(CLAIM.c.claim_id == "C000000")).scalar()
        kinds = conn.execute(select(REJECTION.c.kind, REJECTION.c.row_number)).all()
    engine.dispose()
    assert level == "L4"
    assert [(k, n) for k, n in kinds] == [("conflict", 2)]


def test_same_claim_twice_in_one_file(db_url: str, tmp_path: Path) -> None:
    init(db_url)
    row = good_row(3)
    path = write_csv(tmp_path / "dup.csv", [row, good_row(4), dict(row, person_name="李四")])
    done = run_claims("import", str(path), "--on", "2020-06-01", db=db_url, env=WIDE)
    assert done.returncode == 1
    text = done.stdout
    assert "filed 2" in text and "conflicts 1" in text
    assert "appears again in this file (first at row 2)" in text


def test_header_only_file_files_nothing_and_succeeds(db_url: str, tmp_path: Path) -> None:
    init(db_url)
    done = run_claims("import", str(write_csv(tmp_path / "h.csv", [])), db=db_url)
    assert done.returncode == 0, done.stderr
    assert "0 rows" in done.stdout


def test_truncated_xlsx_files_nothing(db_url: str, tmp_path: Path) -> None:
    init(db_url)
    whole = write_xlsx(tmp_path / "c.xlsx", [good_row(i) for i in range(30)]).read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole[: len(whole) * 2 // 3])
    done = run_claims("import", str(cut), db=db_url, env=WIDE)
    assert done.returncode == 2
    assert "nothing was filed" in done.stderr
    assert count(db_url, CLAIM) == 0 and count(db_url, BATCH) == 0


def test_xlsx_and_jsonl_import(db_url: str, tmp_path: Path) -> None:
    init(db_url)
    xlsx = write_xlsx(tmp_path / "c.xlsx", [good_row(i) for i in range(3)])
    assert run_claims("import", str(xlsx), db=db_url).returncode == 0
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text("\n".join(json.dumps(good_row(i), ensure_ascii=False) for i in range(3, 6))
                     + "\nnot json\n", encoding="utf-8")
    done = run_claims("import", str(jsonl), db=db_url)
    assert done.returncode == 1
    assert "filed 3" in done.stdout and "rejected 1" in done.stdout
    assert count(db_url, CLAIM) == 6


def history(db: str, claim_id: str) -> list[tuple[str, str, str]]:
    engine = make_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(
            select(EVENT.c.from_state, EVENT.c.to_state, EVENT.c.trigger)
            .join(CLAIM, CLAIM.c.id == EVENT.c.claim_pk)
            .where(CLAIM.c.claim_id == claim_id).order_by(EVENT.c.seq)).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_withdraw_and_amend_show_in_history(db_url: str, tmp_path: Path) -> None:
    init(db_url)
    rows = [good_row(i) for i in range(3)]
    assert run_claims("import", str(write_csv(tmp_path / "a.csv", rows)), "--on", "2020-06-01",
                      db=db_url).returncode == 0

    done = run_claims("withdraw", "C000001", "--reason", "申请人撤回", "--on", "2020-06-03",
                      db=db_url)
    assert done.returncode == 0, done.stderr
    assert history(db_url, "C000001") == [("", "filed", "file"), ("filed", "withdrawn", "withdraw")]
    again = run_claims("withdraw", "C000001", "--reason", "again", db=db_url)
    assert again.returncode == 1
    assert "C000001" in again.stderr and "withdrawn" in again.stderr and "withdraw" in again.stderr

    fix = tmp_path / "fix.csv"
    fix.write_text("claim_id,policy,level,certificate_no\nC000000,huludao-2019,L3,Z-NEW\n"
                   "C000002,nanxun-2019,L9,\nC000001,heilongjiang-2019,L3,\n", encoding="utf-8")
    done = run_claims("amend", str(fix), "--on", "2020-06-04", db=db_url, env=WIDE)
    assert done.returncode == 1  # row 3 has a bad level, row 4 is withdrawn
    text = done.stdout
    assert "amended 1" in text and "'L9' is not a known code" in text
    assert "not allowed in state 'withdrawn'" in text
    assert history(db_url, "C000000")[-1] == ("filed", "filed", "amend")
    engine = make_engine(db_url)
    with engine.connect() as conn:
        level = conn.execute(select(CLAIM.c.level).where(CLAIM.c.claim_id == "C000000")).scalar()
        amendment = conn.execute(select(AMENDMENT)).one()
    engine.dispose()
    assert level == "L3"
    assert json.loads(amendment.before) == {"level": "L4", "certificate_no": "Z00000000"}
    assert json.loads(amendment.after) == {"level": "L3", "certificate_no": "Z-NEW"}

    # The amended claim re-imported in its original form is a conflict, not a silent revert.
    back = run_claims("import", str(write_csv(tmp_path / "a2.csv", rows[:1])), db=db_url)
    assert back.returncode == 1 and "conflicts 1" in back.stdout


def test_claim_id_under_two_policies_needs_policy(db_url: str, tmp_path: Path) -> None:
    init(db_url)
    twin = dict(good_row(1), claim_id="C000000")
    assert run_claims("import", str(write_csv(tmp_path / "a.csv", [good_row(0), twin])),
                      db=db_url).returncode == 0
    done = run_claims("withdraw", "C000000", "--reason", "x", db=db_url)
    assert done.returncode == 1 and "--policy" in done.stderr
    done = run_claims("withdraw", "C000000", "--reason", "x", "--policy", "heilongjiang-2019",
                      db=db_url)
    assert done.returncode == 0, done.stderr


def test_withdrawing_after_an_advance_owes_it_back(db_url: str, tmp_path: Path) -> None:
    from decimal import Decimal

    from sqlalchemy import update


    init(db_url)
    assert run_claims("import", str(write_csv(tmp_path / "a.csv", [good_row(1)])), "--on",
                      "2020-06-01", db=db_url).returncode == 0
    engine = make_engine(db_url)
    with engine.begin() as conn:  # as the nightly advance step leaves it
        conn.execute(update(CLAIM).values(state="advance_paid", advance_paid=Decimal("600.00")))
    done = run_claims("withdraw", "C000001", "--reason", "班级取消", "--on", "2020-06-05",
                      db=db_url)
    assert done.returncode == 0, done.stderr
    assert "recovery_due" in done.stdout
    with engine.connect() as conn:
        owed = conn.execute(select(CLAIM.c.recovery_owed)).scalar_one()
        payment = conn.execute(select(PAYMENT)).one()
    engine.dispose()
    assert owed == Decimal("600.00")
    assert (payment.kind, payment.amount, payment.status) == ("recovery", Decimal("600.00"), "due")


def test_optional_later_fields_keep_reimports_skipped(db_url: str, tmp_path: Path) -> None:
    """A file written before 开户行 and 学徒月实习津贴 existed, imported again with those columns
    empty, is the same claims again (skipped); filling one is a changed claim (a conflict, never
    applied). A new claim carrying them stores them (rules/record.py LATER_FIELDS)."""
    from rules.record import FIRST_FIELDS
    init(db_url)
    rows = [good_row(i) for i in range(4)]
    old = tmp_path / "old.csv"
    with old.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(FIRST_FIELDS))
        writer.writeheader()
        writer.writerows(rows)
    assert run_claims("import", str(old), "--on", "2020-06-01", db=db_url).returncode == 0
    again = [dict(row, bank_name="", apprentice_allowance_actual="") for row in rows]
    again[1]["bank_name"] = "中国农业银行葫芦岛分行"
    again.append(dict(good_row(9), claim_id="C000099", bank_name="湖州银行南浔支行",
                      apprentice_allowance_actual="2400.00"))
    done = run_claims("import", str(write_csv(tmp_path / "new.csv", again)), "--on", "2020-06-02",
                      db=db_url, env=WIDE)
    assert done.returncode == 1, done.stdout
    assert "filed 1" in done.stdout and "skipped 3" in done.stdout and "conflicts 1" in done.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(CLAIM.c.claim_id, CLAIM.c.bank_name)).all())
        allowance = conn.execute(select(CLAIM.c.apprentice_allowance_actual)
                                 .where(CLAIM.c.claim_id == "C000099")).scalar_one()
    engine.dispose()
    assert stored["C000001"] is None and stored["C000099"] == "湖州银行南浔支行"
    assert str(allowance) == "2400.00"
