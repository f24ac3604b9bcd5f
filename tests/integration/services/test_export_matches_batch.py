"""One source for what the bank gets: `claims export payments` (the finance bureau's list) shows the
same rows, totals, payee names and accounts as the batch file the outbox wrote for the bank, as the
orders stored them — even after the claim's payee was changed."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from models.tables import CLAIM, OUTBOX_BATCH
from services.nightly.runner import run_night
from tests.conftest import run_claims
from tests.factories import claim_row, insert_claims
from tests.integration.services.conftest import FakeRules

ORG = "91211400MA0Y1XXXX1"
DAY = date(2020, 6, 1)


def _advance(claim_id: str, account: str) -> dict[str, object]:
    return claim_row(claim_id, kind="enterprise_training", payee_type="enterprise", payee_id=ORG,
                     payee_name="葫芦岛某培训学校", bank_account=account,
                     advance_requested=True, class_id="K-2020-01", certificate_date=None)


def _csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_export_and_batch_file_agree_row_by_row_after_a_payee_change(
        engine: Engine, db_url: str, rules: FakeRules, payment_dir: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # approval is not what this test is about: the night sends at once (explicitly, whatever the default)
    monkeypatch.setenv("CLAIMS_PAYMENT_APPROVAL_REQUIRED", "false")
    with engine.begin() as conn:
        insert_claims(conn, _advance("E1", "6222020000001234567"), _advance("E2", "6222020000007654321"))
    run_night(engine, DAY)
    with engine.connect() as conn:
        [batch] = conn.execute(select(OUTBOX_BATCH)).all()
    bank = _csv(payment_dir / batch.file_name)
    header, bank_rows = bank[0], bank[1:]
    assert len(bank_rows) == 2

    # the payee changes on the claim after the order was written: what was sent does not change
    with engine.begin() as conn:
        conn.execute(update(CLAIM).where(CLAIM.c.claim_id == "E1")
                     .values(payee_name="另一家学校", bank_account="6228480000000000001"))
    out = tmp_path / "拨付清单.csv"
    done = run_claims("export", "payments", "--date", DAY.isoformat(), "--out", str(out), db=db_url,
                      env={"CLAIMS_PAYMENT_APPROVAL_REQUIRED": "false"})
    assert done.returncode == 0, done.stderr
    rows = _csv(out)
    start = next(i for i, r in enumerate(rows) if r and r[0] == "序号")
    export_header = rows[start]
    body = [r for r in rows[start + 1:] if r and r[0].isdigit()]
    col = {name: export_header.index(name) for name in export_header}
    bcol = {name: header.index(name) for name in header}
    pairs = [("参考号", "支付流水号"), ("申报编号", "申报编号"), ("收款人名称", "收款人"),
             ("收款人证件号码", "收款人证件号码"), ("银行账号/社保卡号", "收款账号（银行账号/社保卡号）"),
             ("金额（元）", "金额（元）"), ("批次号", "批次号")]
    assert [[b[bcol[x]] for x, _ in pairs] for b in bank_rows] == [[e[col[y]] for _, y in pairs] for e in body]
    assert {e[col["收款人"]] for e in body} == {"葫芦岛某培训学校"}
    assert "6228480000000000001" not in {e[col["收款账号（银行账号/社保卡号）"]] for e in body}
    assert {e[col["收款人类型"]] for e in body} == {"企业"}
    total = next(r for r in rows[start + 1:] if r and r[0] == "合计")
    assert Decimal(total[col["金额（元）"]]) == batch.total == sum(Decimal(b[bcol["金额（元）"]]) for b in bank_rows)
    by_batch = next(r for r in rows[start + 1:] if r and r[0] == "按批次")
    assert by_batch[1] == str(batch.id) and Decimal(by_batch[col["金额（元）"]]) == batch.total
