"""Files as district offices send them, through the installed `claims` (issue 20, CONTRACT §1a):
a GB18030 CSV with Chinese column names, Excel's date forms, Chinese labels and 是/否 imports."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from models.db import make_engine
from models.tables import CLAIM
from services.importing.filing_pool import POOL_MIN_BYTES
from tests.conftest import run_claims
from tests.unit.intake.claimrows import good_row, office_row


def write_office_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="gb18030", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_gb18030_chinese_headers_dates_and_labels_import(db_url: str, tmp_path: Path) -> None:
    assert run_claims("init", db=db_url).returncode == 0
    small = write_office_csv(tmp_path / "区县申报.csv", [office_row(i) for i in range(18)])
    done = run_claims("import", str(small), "--on", "2020-06-01", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "filed 18" in done.stdout and "not a claim field" not in done.stdout
    again = run_claims("import", str(small), "--on", "2020-06-01", db=db_url,
                       env={"CLAIMS_LANG": "zh"})
    assert "共18行" in again.stdout and "跳过 18" in again.stdout, again.stdout
    english = run_claims("--lang", "en", "import", str(small), db=db_url, env={"CLAIMS_LANG": "zh"})
    assert "18 rows" in english.stdout and "skipped 18" in english.stdout, english.stdout
    many = 6600
    big = write_office_csv(tmp_path / "全年.csv", [office_row(i) for i in range(18, 18 + many)])
    assert big.stat().st_size > POOL_MIN_BYTES  # the worker pool's path
    done = run_claims("import", str(big), "--on", "2020-06-01", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"filed {many}" in done.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        stored = {r.claim_id: r for r in conn.execute(select(CLAIM))}
    engine.dispose()
    for i in (0, 1, 4, 8, 18 + many - 1):
        want, got = good_row(i), stored[good_row(i)["claim_id"]]
        assert (got.policy, got.kind, got.region, got.filed_on.isoformat()) == (
            want["policy"], want["kind"], want["region"], want["filed_on"])


def test_the_filled_template_imports_without_edits(db_url: str, tmp_path: Path) -> None:
    from datetime import date

    from openpyxl import load_workbook

    assert run_claims("init", db=db_url).returncode == 0
    blank = tmp_path / "申报模板.xlsx"
    done = run_claims("template", "--out", str(blank), db=db_url)
    assert done.returncode == 0, done.stderr
    workbook = load_workbook(blank)
    sheet = workbook["申报"]
    header = [c.value for c in sheet[1]]
    assert "身份证号码" in header and sheet["D2"].number_format == "@"
    assert [ws.title for ws in workbook.worksheets] == ["申报", "代码表", "填表说明"]
    rows = [office_row(i) for i in range(9)]
    assert "开户行" in header and "学徒月实习津贴" in header
    rows[0]["开户行"] = "中国工商银行葫芦岛分行"
    rows[4]["学徒月实习津贴"] = "2400"
    for r, row in enumerate(rows, start=2):
        for c, name in enumerate(header, start=1):
            value: object = row.get(str(name))
            if name == "申报日期":
                value = date(2020, 5, 10)  # an Excel date cell
            sheet.cell(row=r, column=c, value=value)
    workbook.save(blank)
    done = run_claims("import", str(blank), "--on", "2020-06-01", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "filed 9" in done.stdout and "not a claim field" not in done.stdout
    engine = make_engine(db_url)
    with engine.connect() as conn:
        later = {r.claim_id: (r.bank_name, r.apprentice_allowance_actual) for r in conn.execute(
            select(CLAIM.c.claim_id, CLAIM.c.bank_name, CLAIM.c.apprentice_allowance_actual))}
    engine.dispose()
    assert later["C000000"] == ("中国工商银行葫芦岛分行", None)
    assert later["C000004"] == (None, Decimal("2400.00")) and later["C000001"] == (None, None)
    roster = tmp_path / "检查.xlsx"
    assert run_claims("template", "--kind", "inspections", "--out", str(roster),
                      db=db_url).returncode == 0
    book = load_workbook(roster)
    assert [c.value for c in book["现场检查"][1]] == ["申报编号", "政策", "检查日期", "检查人",
                                                   "检查结果", "备注"]
    for c, value in enumerate(["C000000", "葫芦岛市", "2020/6/2", "李检查", "通过"], start=1):
        book["现场检查"].cell(row=2, column=c, value=value)
    book.save(roster)
    done = run_claims("inspect", str(roster), db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_claims("template", "--kind", "nope", db=db_url).returncode == 2


def test_an_advance_that_cannot_be_paid_is_named(db_url: str, tmp_path: Path) -> None:
    import json

    from tests.unit.intake.claimrows import write_csv

    assert run_claims("init", db=db_url).returncode == 0
    no_class = {**good_row(20), "advance_requested": "true", "level": "", "certificate_date": ""}
    no_advance = {**good_row(2), "advance_requested": "true", "class_id": "KB-1"}
    path = write_csv(tmp_path / "c.csv", [no_class, no_advance, good_row(3)])
    done = run_claims("import", str(path), "--on", "2020-06-01", db=db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "C000020" in done.stdout and "no class filing number" in done.stdout
    assert "C000002" in done.stdout and "C000003" not in done.stdout
    night = run_claims("nightly", "--as-of", "2020-06-01", "--no-prefect", db=db_url)
    assert night.returncode in (0, 1), night.stdout + night.stderr
    failed = {f["claim_id"]: f for f in json.loads(
        run_claims("failed", "--json", db=db_url).stdout)}
    assert failed["C000020"]["step"] == "pay_advances"
    assert "no class filing number" in failed["C000020"]["reason"]
    assert "C000002" in failed and "C000003" not in failed
    show = run_claims("show", "C000020", db=db_url, env={"COLUMNS": "200"})
    assert "no class filing number" in show.stdout and "set aside" in show.stdout
